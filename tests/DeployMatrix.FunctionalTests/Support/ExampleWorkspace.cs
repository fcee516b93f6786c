using System.Text.RegularExpressions;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Support;

/// <summary>How far a test's copy of the example is set up before the test runs.</summary>
public enum ExampleStage
{
    /// <summary>The files, on free ports, with the example's build output in place (cargo has nothing left to do).</summary>
    Files,

    /// <summary>Every lane with a local build built by the real <c>build</c> command, tagged t1.</summary>
    Built,

    /// <summary>Built, and the agent started by <c>agent start</c>.</summary>
    Agent,

    /// <summary>Both service lanes deployed to staging at t1 and the staging → production gate passed for t1.</summary>
    Gated,
}

/// <summary>
/// One test's own copy of the example in a scratch folder: its own ports, state, artifacts and agent,
/// driven by the real commands in-process. Tests own their workspace, so they run in any order.
/// </summary>
public sealed partial class ExampleWorkspace : IAsyncDisposable
{
    private static readonly string[] BuiltLanes = ["runtime", "openagents-control-service", "lightning-wallet-executor"];
    private readonly TempDir _dir = TempDir.CopyOfExample();
    private bool _agent;

    private ExampleWorkspace()
    {
    }

    public string Dir => _dir.Path;

    /// <summary>Each service's listener port in this copy, by service name.</summary>
    public Dictionary<string, int> Ports { get; } = new(StringComparer.Ordinal);

    public static async Task<ExampleWorkspace> CreateAsync(ExampleStage stage = ExampleStage.Gated)
    {
        var example = new ExampleWorkspace();
        try
        {
            await example.SetUpAsync(stage);
            return example;
        }
        catch
        {
            await example.DisposeAsync();
            throw;
        }
    }

    private async Task SetUpAsync(ExampleStage stage)
    {
        CopyBuildOutput();
        var matrix = Path.Combine(Dir, "deploymatrix.yaml");
        var text = PortPattern().Replace(File.ReadAllText(matrix), m =>
        {
            var port = TestPorts.Free();
            Ports[m.Groups["service"].Value] = port;
            return $"service: {m.Groups["service"].Value}, port: {port}";
        });
        await File.WriteAllTextAsync(matrix, text);
        // The same lanes with failing migrations, sharing this folder's state and artifacts.
        await File.WriteAllTextAsync(Path.Combine(Dir, "faulty.yaml"), text.Replace(
            "staging: { service: runtime-staging,",
            "staging: { env: { FAULT_MIGRATE_EXIT: \"3\" }, service: runtime-staging,", StringComparison.Ordinal));
        if (stage == ExampleStage.Files)
        {
            return;
        }

        foreach (var lane in BuiltLanes)
        {
            Ok(Cli("build", lane, "--tag", "t1"));
        }

        if (stage == ExampleStage.Built)
        {
            return;
        }

        Ok(Cli("agent", "start"));
        _agent = true;
        if (stage == ExampleStage.Agent)
        {
            return;
        }

        // Production takes only gated tags: deploy staging and pass the gate for t1 once.
        foreach (var lane in new[] { "runtime", "openagents-control-service" })
        {
            Ok(Cli("deploy", lane, "--env", "staging", "--tag", "t1"));
        }

        Ok(Cli("gate", "--tag", "t1"));
    }

    /// <summary>Writes a variant of the matrix (same lanes, state and artifacts) with one text replaced.</summary>
    public string Variant(string name, string find, string replace) => Variant(name, (find, replace));

    /// <summary>Writes a variant of the matrix with each text replaced, in order.</summary>
    public string Variant(string name, params (string Find, string Replace)[] changes)
    {
        var text = File.ReadAllText(Path.Combine(Dir, "deploymatrix.yaml"));
        foreach (var (find, replace) in changes)
        {
            Assert.Contains(find, text, StringComparison.Ordinal);
            text = text.Replace(find, replace, StringComparison.Ordinal);
        }

        File.WriteAllText(Path.Combine(Dir, name), text);
        return name;
    }

    /// <summary>A command on the local platform in this copy, as a person would type it.</summary>
    public CliRun Cli(params string[] args) => CliRun.Invoke(Dir, ["--platform", "local", .. args]);

    public async ValueTask DisposeAsync()
    {
        if (_agent)
        {
            Cli("agent", "stop");
        }

        await Task.Yield();
        _dir.Dispose();
    }

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    /// <summary>
    /// The example's cargo output, built once per test run, copied in after the sources: newer than
    /// them, so the lanes' build commands find nothing to do and each copy costs milliseconds.
    /// </summary>
    private void CopyBuildOutput()
    {
        var target = Path.GetDirectoryName(ExampleBinaries.Directory)!;
        foreach (var file in Directory.GetFiles(target, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(Dir, "target", Path.GetRelativePath(target, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, File.GetUnixFileMode(file));
        }
    }

    [GeneratedRegex(@"service: (?<service>[a-z0-9-]+), port: \d+")]
    private static partial Regex PortPattern();
}

/// <summary>A test with its own copy of the example, set up to <see cref="Stage"/> before it and torn down after.</summary>
public abstract class ExampleTest : IAsyncLifetime
{
    protected ExampleWorkspace Example { get; private set; } = null!;

    /// <value>The default is <see cref="ExampleStage.Gated"/>.</value>
    protected virtual ExampleStage Stage => ExampleStage.Gated;

    public async Task InitializeAsync() => Example = await ExampleWorkspace.CreateAsync(Stage);

    public async Task DisposeAsync() => await Example.DisposeAsync();
}
