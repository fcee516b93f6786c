using DeployMatrix.Engine.Processes;

namespace DeployMatrix.FunctionalTests.Support;

/// <summary>
/// The CLI as its own process (<c>dotnet deploymatrix.dll …</c>, started by the engine's own process
/// runner), for what only a process can meet: a signal (SIGINT, SIGTERM, SIGKILL) while a command runs.
/// </summary>
public sealed class CliProcess : IAsyncDisposable
{
    private readonly ChildProcess _child;

    private CliProcess(ChildProcess child) => _child = child;

    public string Out => _child.Stdout;

    public string Err => _child.Stderr;

    public static CliProcess Start(string workingDirectory, params string[] args) => Start(workingDirectory, new Dictionary<string, string>(), args);

    /// <param name="env">Added to the CLI's environment (e.g. the Google API double's address and token).</param>
    public static CliProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> env, params string[] args) => new(new ProcessRunner(TimeProvider.System).Start(new ProcessSpec
    {
        Program = "dotnet",
        Args = [typeof(Cli.CliApp).Assembly.Location, .. args],
        WorkingDirectory = workingDirectory,
        Env = new Dictionary<string, string?>(env.Select(e => KeyValuePair.Create(e.Key, (string?)e.Value))) { ["CI"] = "true" },
    }));

    public bool HasExited => _child.Exited.IsCompleted;

    public void Signal(int signal) => Assert.True(Signals.Send(_child.Pid, signal), $"cannot signal {_child.Pid}");

    /// <summary>Waits for the exit; fails the test past <paramref name="bound"/>.</summary>
    public async Task<int> ExitAsync(TimeSpan bound)
    {
        try
        {
            return await _child.Exited.WaitAsync(bound);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"the CLI did not exit within {bound.TotalSeconds} s\n--- stdout\n{Out}\n--- stderr\n{Err}");
            throw;
        }
    }

    /// <summary>Stops the CLI if a failed test left it running.</summary>
    public ValueTask DisposeAsync() => _child.DisposeAsync();
}
