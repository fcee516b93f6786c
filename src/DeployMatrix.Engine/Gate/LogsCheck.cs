using System.Globalization;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Gate;

/// <summary>
/// The seed's error-log probe: the service's log entries at or above the severity in the window number at most
/// <c>max</c>. Above it fails, showing the first few entries — redacted, cut, each on one line.
/// </summary>
internal sealed class LogsCheck : IGateCheck
{
    /// <summary>How many entries the check's log and its reason show.</summary>
    public const int Shown = 5;

    public string CommandOf(CheckSpec spec) => spec is LogsCheckSpec l
        ? string.Create(CultureInfo.InvariantCulture, $"log entries of {l.Lane} ({l.Where}) at {LogSeverities.Name(l.Severity)} or worse in the last {Durations.Format(l.Window)} (at most {l.Max})")
        : spec.Type;

    public async Task<string> RunAsync(CheckSpec check, CheckContext context, CancellationToken ct)
    {
        var spec = (LogsCheckSpec)check;
        if (context.Platform is null)
        {
            throw new CheckSkipped($"no platform to read the logs of {spec.Lane} ({spec.Where}) on");
        }

        var target = context.TargetOf(spec.Lane, spec.Env, spec.Region);
        var since = context.Now - spec.Window;
        var readout = await context.Platform.ReadLogsAsync(target, new LogQuery(spec.Severity, since, Shown), ct);
        var what = $"{LogSeverities.Name(spec.Severity)} or worse since {since.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}";
        context.Log($"{readout.Source}: {readout.Count} entries {what}");
        foreach (var entry in readout.First)
        {
            context.Log("  " + Line(entry, context.Redactor));
        }

        if (readout.Count <= spec.Max)
        {
            return $"{readout.Count} entries {what} (at most {spec.Max})";
        }

        var first = readout.First.Count == 0 ? "" : $"; first: {string.Join(" | ", readout.First.Take(3).Select(e => Line(e, context.Redactor)))}";
        throw new CheckFailed($"{readout.Count} log entries of {target.Service} {what}, more than {spec.Max}{first}");
    }

    /// <summary>One entry on one line: redacted before it is cut, so no part of a known secret survives the cut.</summary>
    private static string Line(LogEntry entry, Redactor redactor)
    {
        var text = Core.Text.UntrustedText.OneLine(redactor.Apply(entry.Text));
        return $"{entry.Timestamp.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {LogSeverities.Name(entry.Severity)}{(entry.Revision is null ? "" : $" {entry.Revision}")}: {(text.Length > 200 ? text[..200] + "…" : text)}";
    }
}
