using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Local.Platform;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Local.Tests.Platform;

/// <summary>
/// The local log probe: a revision's log as a real process writes it, each line stamped as it comes, read for the
/// entries at or above a severity within a window.
/// </summary>
public sealed class LocalLogsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AnErrorLoggedInTheWindow_Counts_AndAnOlderOneDoesNot()
    {
        var log = Path.Combine(_dir.Path, "api-00002.log");
        var now = TimeProvider.System.GetUtcNow();
        // An error from an hour ago, as the same log would hold it from an earlier run of the revision.
        File.WriteAllText(log, $"{LogStamp.Format(now.AddHours(-1))} ERROR an old failure\n");

        await WriteAsync(log, "echo 'listening on 8080'; echo '[error] db refused: password=hunter22' >&2; echo '{\"severity\":\"WARNING\",\"message\":\"slow\"}'");

        var errors = LocalLogs.Read([("api-00002", log)], new LogQuery(LogSeverity.Error, now.AddMinutes(-10), 5));
        var warnings = LocalLogs.Read([("api-00002", log)], new LogQuery(LogSeverity.Warning, now.AddMinutes(-10), 5));
        var hour = LocalLogs.Read([("api-00002", log)], new LogQuery(LogSeverity.Error, now.AddHours(-2), 5));

        var entry = Assert.Single(errors.First);
        Assert.Equal(1, errors.Count);
        Assert.Equal(("api-00002", LogSeverity.Error, "[error] db refused: password=hunter22"), (entry.Revision, entry.Severity, entry.Text));
        Assert.InRange(entry.Timestamp, now.AddSeconds(-1), TimeProvider.System.GetUtcNow());
        Assert.Equal(2, warnings.Count);
        Assert.Equal(2, hour.Count);
    }

    [Fact]
    public async Task ARevisionThatLoggedNoError_HasNone()
    {
        var log = Path.Combine(_dir.Path, "api-00003.log");

        await WriteAsync(log, "echo 'INFO started'; echo 'error rates are computed by the proxy'; echo 'WARN cache cold'");

        Assert.Equal(0, LocalLogs.Read([("api-00003", log), ("api-00004", Path.Combine(_dir.Path, "missing.log"))], new LogQuery(LogSeverity.Error, TimeProvider.System.GetUtcNow().AddMinutes(-10), 5)).Count);
    }

    [Theory]
    [InlineData("ERROR boom", LogSeverity.Error)]
    [InlineData("[error] boom", LogSeverity.Error)]
    [InlineData("error: boom", LogSeverity.Error)]
    [InlineData("2026-02-21T10:15:00Z CRITICAL runtime: boom", LogSeverity.Critical)]
    [InlineData("{\"level\":\"warn\",\"msg\":\"x\"}", LogSeverity.Warning)]
    [InlineData("{\"severity\":\"ERROR\"}", LogSeverity.Error)]
    [InlineData("{\"message\":\"no level\"}", LogSeverity.Default)]
    [InlineData("the error rate is fine", LogSeverity.Default)]
    [InlineData("error rates are fine", LogSeverity.Default)]
    [InlineData("{not json ERROR", LogSeverity.Default)]
    public void ALinesSeverity_IsItsJsonFieldOrItsLevelWord(string line, LogSeverity expected) =>
        Assert.Equal(expected, LocalLogs.SeverityOf(line));

    [Fact]
    public void LinesWithoutTheAgentsStamp_HaveNoKnownTime_AndNeverCount()
    {
        var log = Path.Combine(_dir.Path, "old.log");
        File.WriteAllText(log, "ERROR written before lines were stamped\n");

        Assert.Equal(0, LocalLogs.Read([("old", log)], new LogQuery(LogSeverity.Error, DateTimeOffset.MinValue, 5)).Count);
    }

    /// <summary>Runs a shell script as a revision runs: its output appended to <paramref name="log"/>, each line stamped.</summary>
    private async Task WriteAsync(string log, string script)
    {
        var result = await new ProcessRunner(TimeProvider.System).RunAsync(new ProcessSpec
        {
            Program = "/bin/sh",
            Args = ["-c", script],
            WorkingDirectory = _dir.Path,
            LogPath = log,
            LogTimestamps = TimeProvider.System,
            Capture = false,
        }, CancellationToken.None);
        Assert.Equal(0, result.ExitCode);
    }
}
