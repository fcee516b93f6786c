using System.Globalization;
using System.Text;
using System.Text.Json;
using DeployMatrix.Core.Text;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Files;

namespace DeployMatrix.Engine.Drill;

/// <summary>Writes the drill's evidence: step-results.jsonl, summary.json and SUMMARY.md in the seed's shapes, plus timeline.svg.</summary>
public static class DrillReport
{
    public const string Schema = "deploymatrix.drill.canary.v1";

    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(string outDir, TargetRef target, DrillResult result, DateTimeOffset generatedAt)
    {
        var lines = result.Steps.Select(s => JsonSerializer.Serialize(StepJson(s), Compact));
        SafeFile.Write(Path.Combine(outDir, "step-results.jsonl"), string.Join('\n', lines) + "\n");
        var passed = result.Steps.Count(s => s.Status == "pass");
        var summary = new Dictionary<string, object?>
        {
            ["schema"] = Schema,
            ["generated_at"] = generatedAt.ToString("O", CultureInfo.InvariantCulture),
            ["project"] = target.Project,
            ["region"] = target.Region,
            ["service"] = target.Service,
            ["stable_revision"] = result.Stable,
            ["canary_revision"] = result.Canary,
            ["dry_run"] = result.DryRun,
            ["totals"] = new Dictionary<string, int> { ["step_count"] = result.Steps.Count, ["passed"] = passed, ["failed"] = result.Steps.Count - passed },
            ["overall_status"] = result.Passed ? "pass" : "fail",
            ["steps"] = result.Steps.Select(StepJson).ToList(),
        };
        SafeFile.Write(Path.Combine(outDir, "summary.json"), JsonSerializer.Serialize(summary, Indented) + "\n");
        SafeFile.Write(Path.Combine(outDir, "timeline.svg"), TimelineSvg.Render(target, result));
        SafeFile.Write(Path.Combine(outDir, "SUMMARY.md"), Markdown(target, result, generatedAt));
    }

    private static Dictionary<string, object?> StepJson(DrillStep s) => new()
    {
        ["step_id"] = s.StepId,
        ["description"] = s.Description,
        ["command"] = s.Command,
        ["status"] = s.Status,
        ["reason"] = s.Reason,
        ["started_at"] = s.StartedAt,
        ["ended_at"] = s.EndedAt,
        ["log_path"] = s.LogPath,
    };

    private static string Markdown(TargetRef target, DrillResult result, DateTimeOffset generatedAt)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Canary drill: {UntrustedText.Markdown(target.Service)} ({UntrustedText.Markdown(target.Environment)}) — {(result.DryRun ? "DRY RUN" : result.Passed ? "PASS" : "FAIL")}\n\n");
        md.Append(CultureInfo.InvariantCulture, $"- Generated: {generatedAt:O}\n- Stable revision: {UntrustedText.MarkdownCode(result.Stable)}\n- Canary revision: {UntrustedText.MarkdownCode(result.Canary)}\n");
        if (result.DryRun)
        {
            md.Append("- Dry run: nothing was run and nothing changed; each step's log holds the commands it would run. A revision in capitals is named when the drill runs: STABLE the stable revision, CANARY the latest ready one\n");
        }
        md.Append("\n![Traffic, error rate and p95 latency per revision over the drill, each step marked with its weight and verdict](timeline.svg)\n\n");
        md.Append("| step | status | reason | command | log |\n|---|---|---|---|---|\n");
        foreach (var s in result.Steps)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {UntrustedText.MarkdownCode(s.StepId)} | {s.Status} | {UntrustedText.Markdown(s.Reason)} | {UntrustedText.MarkdownCode(s.Command)} | [{UntrustedText.Markdown(s.LogPath)}]({s.LogPath}) |\n");
        }

        return md.ToString();
    }
}
