using System.Diagnostics;
using System.Text;

namespace DeployMatrix.FunctionalTests.Support;

/// <summary>
/// The CLI as its own process (<c>dotnet deploymatrix.dll …</c>), for what only a process can meet: a
/// signal (SIGINT, SIGTERM, SIGKILL) while a command runs. Output is collected as it comes.
/// </summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();

    private CliProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public static CliProcess Start(string workingDirectory, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(Cli.CliApp).Assembly.Location);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["CI"] = "true";
        var cli = new CliProcess(new Process { StartInfo = info });
        cli._process.OutputDataReceived += (_, e) => Append(cli._out, e.Data);
        cli._process.ErrorDataReceived += (_, e) => Append(cli._err, e.Data);
        cli._process.Start();
        cli._process.BeginOutputReadLine();
        cli._process.BeginErrorReadLine();
        return cli;
    }

    public string Out
    {
        get
        {
            lock (_out)
            {
                return _out.ToString();
            }
        }
    }

    public string Err
    {
        get
        {
            lock (_err)
            {
                return _err.ToString();
            }
        }
    }

    public void Signal(int signal) => Assert.True(Engine.Processes.Signals.Send(_process.Id, signal), $"cannot signal {_process.Id}");

    /// <summary>Waits for the exit; fails the test past <paramref name="bound"/>.</summary>
    public async Task<int> ExitAsync(TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"the CLI did not exit within {bound.TotalSeconds} s\n--- stdout\n{Out}\n--- stderr\n{Err}");
        }

        return _process.ExitCode;
    }

    private static void Append(StringBuilder to, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (to)
        {
            to.Append(line).Append('\n');
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
