using System.Globalization;
using System.Text;
using System.Text.Json;
using DeployMatrix.Core.Rendering.Charts;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Core.Text;
using DeployMatrix.Engine.Drill;
using DeployMatrix.Engine.Files;

namespace DeployMatrix.Engine.Rehearsal;

/// <summary>Writes a rehearsal's evidence: rehearsal.json, SUMMARY.md, timeline.svg and receipt.json (phase logs are the runner's).</summary>
public static class RehearsalReport
{
    public const string Schema = "deploymatrix.rehearsal.v1";

    public const string ReceiptSchema = "deploymatrix.rehearsal-receipt.v1";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <returns>The receipt's path (what the audit record covers by hash).</returns>
    public static string Write(string dir, TargetRef target, RehearsalResult result, DateTimeOffset generatedAt)
    {
        var at = generatedAt.ToString("O", CultureInfo.InvariantCulture);
        var report = new Dictionary<string, object?>
        {
            ["schema"] = Schema,
            ["generated_at"] = at,
            ["lane"] = result.Lane,
            ["against"] = result.Against,
            ["service"] = result.Service,
            ["tag"] = result.Candidate.Tag,
            ["candidate"] = Release(result.Candidate),
            ["stable"] = Release(result.Stable),
            ["overall_status"] = result.Passed ? "pass" : "fail",
            ["rollback_safe"] = result.RollbackSafe,
            ["why"] = result.Why,
            ["load"] = new Dictionary<string, object?> { ["per_second"] = result.LoadPerSecond, ["latency_judged"] = false },
            ["phases"] = result.Phases.Select(p => new Dictionary<string, object?>
            {
                ["id"] = p.Id,
                ["description"] = p.Description,
                ["verdict"] = p.Verdict,
                ["reason"] = p.Reason,
                ["evidence"] = p.Evidence,
                ["started_at"] = p.StartedAt,
                ["ended_at"] = p.EndedAt,
                ["log"] = p.Log,
            }).ToList(),
        };
        SafeFile.Write(Path.Combine(dir, "rehearsal.json"), JsonSerializer.Serialize(report, Indented) + "\n");
        SafeFile.Write(Path.Combine(dir, DrillReportView.Timeline), TimelineChartSvg.Render(Chart(target, result)));
        SafeFile.Write(Path.Combine(dir, "SUMMARY.md"), Markdown(result, at));
        var receipt = Path.Combine(dir, "receipt.json");
        SafeFile.Write(receipt, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["schema"] = ReceiptSchema,
            ["timestamp"] = at,
            ["lane"] = result.Lane,
            ["against"] = result.Against,
            ["tag"] = result.Candidate.Tag,
            ["digest"] = result.Candidate.Digest,
            ["stable_tag"] = result.Stable.Tag,
            ["stable_digest"] = result.Stable.Digest,
            ["passed"] = result.Passed,
            ["rollback_safe"] = result.RollbackSafe,
            ["why"] = result.Why,
            ["report"] = "rehearsal.json",
        }, Indented) + "\n");
        return receipt;
    }

    /// <summary>The drill's chart of the rollout and rollback, titled for the rehearsal; a title alone when the rollout did not run.</summary>
    private static TimelineChart Chart(TargetRef target, RehearsalResult result)
    {
        var title = $"Rehearsal of {result.Lane} {result.Candidate.Tag} against {result.Against} ({result.Stable.Tag}): {(result.RollbackSafe ? "rollback safe" : "rollback NOT safe")}";
        return result.Rollout is { } rollout
            ? TimelineSvg.Chart(target, rollout) with { Title = title }
            : new TimelineChart { Title = title + " — the rollout did not run", Revisions = [], Stages = [] };
    }

    private static Dictionary<string, object?> Release(RehearsalRelease r) => new() { ["tag"] = r.Tag, ["digest"] = r.Digest, ["revision"] = r.Revision };

    private static string Markdown(RehearsalResult result, string at)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Rehearsal: {UntrustedText.Markdown(result.Lane)} {UntrustedText.MarkdownCode(result.Candidate.Tag)} against {UntrustedText.Markdown(result.Against)} — {(result.Passed ? "PASS" : "FAIL")}\n\n");
        md.Append(CultureInfo.InvariantCulture, $"- Generated: {at}\n");
        md.Append(CultureInfo.InvariantCulture, $"- Candidate: tag {UntrustedText.MarkdownCode(result.Candidate.Tag)}, {UntrustedText.MarkdownCode(result.Candidate.Digest)}\n");
        md.Append(CultureInfo.InvariantCulture, $"- Stable ({UntrustedText.Markdown(result.Against)} today): tag {UntrustedText.MarkdownCode(result.Stable.Tag)}, {UntrustedText.MarkdownCode(result.Stable.Digest)}\n");
        md.Append(CultureInfo.InvariantCulture, $"- Rollback safe: **{(result.RollbackSafe ? "yes" : "no")}** — {UntrustedText.Markdown(result.Why)}\n");
        md.Append(CultureInfo.InvariantCulture, $"- Load: {result.LoadPerSecond} requests/s during the rollout; stages judged by errors only, latency not judged (scratch revisions share this machine's cores)\n");
        md.Append("\n![Traffic, error rate and p95 latency per revision over the rollout and rollback](timeline.svg)\n\n");
        md.Append("| phase | verdict | reason | log |\n|---|---|---|---|\n");
        foreach (var p in result.Phases)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {UntrustedText.MarkdownCode(p.Id)} | {p.Verdict} | {UntrustedText.Markdown(p.Reason)} | [{UntrustedText.Markdown(p.Log)}]({p.Log}) |\n");
        }

        md.Append("\nA rehearsal proves that the stable release passes its smoke checks on the migrated schema, on a copy of this environment's data; it does not prove that every query the stable release can make still works.\n");
        return md.ToString();
    }
}
