using System.Net;
using System.Net.Sockets;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Commands;

/// <summary>The dashboard's arguments: bad ones get one line with the fix and exit 2, before anything listens.</summary>
public sealed class DashboardCommandTests
{
    [Theory]
    [InlineData("70000")]
    [InlineData("-1")]
    public void APortOutOfRange_IsOneLineAndExit2(string port)
    {
        using var repo = TempDir.CopyOfExample();

        var run = CliRun.Invoke(repo.Path, "dashboard", "--port", port);

        Assert.Equal((2, $"deploymatrix: --port {port} is not a port; give 1..65535, or 0 for any free port\n"), (run.ExitCode, run.Err));
        Assert.False(File.Exists(Path.Combine(repo.Path, ".deploymatrix", "dashboard.json")));
    }

    [Fact]
    public void APortInUse_IsOneLineAndExit2_AndLeavesNoTokenFile()
    {
        using var repo = TempDir.CopyOfExample();
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var run = CliRun.Invoke(repo.Path, "--platform", "local", "dashboard", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"deploymatrix: port {port} on 127.0.0.1 is in use (another dashboard?); pick another with --port N (0: any free port)\n", run.Err);
        Assert.Empty(run.Out);
        Assert.False(File.Exists(Path.Combine(repo.Path, ".deploymatrix", "dashboard.json")));
    }
}
