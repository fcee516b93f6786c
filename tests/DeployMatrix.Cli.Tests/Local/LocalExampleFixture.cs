using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using DeployMatrix.Cli.Tests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Local;

/// <summary>
/// A copy of the example in a scratch folder, on free ports, with both service lanes built by the real
/// `build` command (cargo) and a real agent started by `agent start`. Shared by the tests of the
/// collection, which run one after another.
/// </summary>
public sealed partial class LocalExampleFixture : IAsyncLifetime
{
    private readonly TempDir _dir = TempDir.CopyOfExample();

    public string Dir => _dir.Path;

    public Dictionary<string, int> Ports { get; } = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        var matrix = Path.Combine(Dir, "deploymatrix.yaml");
        var text = PortPattern().Replace(File.ReadAllText(matrix), m =>
        {
            var port = FreePort();
            Ports[m.Groups["service"].Value] = port;
            return $"service: {m.Groups["service"].Value}, port: {port}";
        });
        await File.WriteAllTextAsync(matrix, text);
        // The same lanes with failing migrations, sharing this folder's state and artifacts.
        await File.WriteAllTextAsync(Path.Combine(Dir, "faulty.yaml"), text.Replace(
            "staging: { service: runtime-staging,",
            "staging: { env: { FAULT_MIGRATE_EXIT: \"3\" }, service: runtime-staging,", StringComparison.Ordinal));

        foreach (var lane in new[] { "runtime", "openagents-control-service", "lightning-wallet-executor" })
        {
            var build = Cli("build", lane, "--tag", "t1");
            Assert.True(build.ExitCode == 0, build.ToString());
        }

        var start = Cli("agent", "start");
        Assert.True(start.ExitCode == 0, start.ToString());

        // Production takes only gated tags: deploy staging and pass the gate for t1 once.
        foreach (var lane in new[] { "runtime", "openagents-control-service" })
        {
            var deploy = Cli("deploy", lane, "--env", "staging", "--tag", "t1");
            Assert.True(deploy.ExitCode == 0, deploy.ToString());
        }

        var gate = Cli("gate", "--tag", "t1");
        Assert.True(gate.ExitCode == 0, gate.ToString());
    }

    /// <summary>Writes a variant of the matrix (same lanes, state and artifacts) with one text replaced.</summary>
    public string Variant(string name, string find, string replace)
    {
        var text = File.ReadAllText(Path.Combine(Dir, "deploymatrix.yaml"));
        Assert.Contains(find, text, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(Dir, name), text.Replace(find, replace, StringComparison.Ordinal));
        return name;
    }

    public CliRun Cli(params string[] args) => CliRun.Invoke(Dir, ["--platform", "local", .. args]);

    public async Task DisposeAsync()
    {
        Cli("agent", "stop");
        await Task.Yield();
        _dir.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"service: (?<service>[a-z0-9-]+), port: \d+")]
    private static partial Regex PortPattern();
}

[CollectionDefinition(Name)]
public sealed class LocalExampleCollection : ICollectionFixture<LocalExampleFixture>
{
    public const string Name = "local example";
}
