using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Artifacts;
using DeployMatrix.Local.Supervisor;
using DeployMatrix.Local.Tests.Support;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Local.Tests.Agent;

/// <summary>
/// Revisions and jobs start from an empty environment, as on Cloud Run: a secret the operator exported
/// where the agent runs (here: this test process, which hosts the agent) never reaches them.
/// </summary>
public sealed class RevisionEnvironmentTests
{
    private const string Secret = "GOOGLE_OAUTH_ACCESS_TOKEN";
    private const string SecretValue = "ya29.operator-secret-for-the-cli-only";

    [Fact]
    public async Task Revision_GetsTheMatrixEnvAndThePlatformsVariables_AndNoneOfTheAgentsSecrets()
    {
        using var exported = new ExportedSecret();
        await using var h = new AgentHarness();

        var revision = await h.DeployControlAsync("svc", TestPorts.Free(), new() { ["GREETING"] = "from-the-matrix" });

        var environ = Environ(revision.Pid ?? throw new InvalidOperationException("no pid"));
        Assert.DoesNotContain(Secret, environ.Keys);
        Assert.Equal("from-the-matrix", environ["GREETING"]);
        Assert.Equal(revision.Name, environ["DEPLOYMATRIX_REVISION"]);
        Assert.Equal(revision.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture), environ["PORT"]);
        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), environ["PATH"]);
        Assert.DoesNotContain(environ.Keys, k => !Expected(k, "GREETING"));
    }

    [Fact]
    public async Task JobExecution_GetsTheMatrixEnvAndThePlatformsVariables_AndNoneOfTheAgentsSecrets()
    {
        using var exported = new ExportedSecret();
        await using var h = new AgentHarness();
        var script = Path.Combine(h.Dir, "migrate.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\ncat /proc/$$/environ > \"$DEPLOYMATRIX_DATA_DIR/environ\"\n");
        var artifact = h.Artifacts.Store("job", script);
        var dataDir = Path.Combine(h.Dir, "data");
        var launch = new LaunchSpec { Executable = artifact.Path, Env = new Dictionary<string, string> { ["MIGRATE_TO"] = "42" }, WorkingDirectory = h.Dir };
        var platform = new Dictionary<string, string> { ["DEPLOYMATRIX_JOB"] = "svc-migrate", ["DEPLOYMATRIX_DATA_DIR"] = dataDir };

        var started = h.Agent.StartExecution(new StartExecutionRequest(
            "staging", "svc-migrate", ArtifactStore.ImageName("job", artifact.Digest), artifact.Digest, launch, platform, dataDir));
        await WaitUntilAsync(() => h.Agent.ExecutionOf(started.Id)!.Status != ExecutionStatus.Running);

        Assert.Equal(ExecutionStatus.Succeeded, h.Agent.ExecutionOf(started.Id)!.Status);
        var environ = Parse(await File.ReadAllTextAsync(Path.Combine(dataDir, "environ")));
        Assert.DoesNotContain(Secret, environ.Keys);
        Assert.Equal("42", environ["MIGRATE_TO"]);
        Assert.Equal("svc-migrate", environ["DEPLOYMATRIX_JOB"]);
        Assert.DoesNotContain(environ.Keys, k => !Expected(k, "MIGRATE_TO"));
    }

    /// <summary>What a child may hold: the allow-list, the matrix's variable, the platform's (PORT, DEPLOYMATRIX_*).</summary>
    private static bool Expected(string name, string matrixVariable) =>
        RevisionEnvironment.AllowList.Contains(name) || name == matrixVariable || name == "PORT" || name.StartsWith("DEPLOYMATRIX_", StringComparison.Ordinal);

    private static Dictionary<string, string> Environ(int pid) => Parse(File.ReadAllText($"/proc/{pid}/environ"));

    private static Dictionary<string, string> Parse(string environ) =>
        environ.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(entry => entry.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : "", StringComparer.Ordinal);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), "condition not met in time");
            await Task.Delay(50);
        }
    }

    /// <summary>The secret exported in this process (where the agent runs) for the test's length.</summary>
    private sealed class ExportedSecret : IDisposable
    {
        public ExportedSecret() => Environment.SetEnvironmentVariable(Secret, SecretValue);

        public void Dispose() => Environment.SetEnvironmentVariable(Secret, null);
    }
}
