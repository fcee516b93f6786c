using System.Globalization;
using System.Text;
using System.Text.Json;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Text;
using DeployMatrix.Engine.Files;

namespace DeployMatrix.Engine.Gate;

/// <summary>Writes the gate's evidence in the seed's shapes: results.tsv, results.json and SUMMARY.md.</summary>
internal static class EvidenceWriter
{
    public const string Schema = "deploymatrix.gate.v1";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(GateReport report, GateConfig gate, Matrix matrix, Redactor redactor)
    {
        var tsv = new StringBuilder("check_id\trequired\tstatus\tdescription\tlog_path\tcommand\n");
        foreach (var r in report.Results)
        {
            tsv.Append(CultureInfo.InvariantCulture, $"{Clean(r.CheckId)}\t{(r.Required ? "true" : "false")}\t{r.Status}\t{Clean(r.Description)}\t{Relative(r.LogPath, report)}\t{Clean(r.Command)}\n");
        }

        SafeFile.Write(Path.Combine(report.EvidenceDirectory, "results.tsv"), redactor.Apply(tsv.ToString()));
        var json = JsonSerializer.Serialize(new
        {
            schema = Schema,
            from = report.From,
            to = report.To,
            tag = report.Tag,
            decision = report.Go ? "go" : "no-go",
            started_at = report.StartedAt,
            ended_at = report.EndedAt,
            totals = new
            {
                checks = report.Results.Count,
                passed = report.Results.Count(r => r.Status == CheckStatus.Passed),
                failed = report.Results.Count(r => r.Status == CheckStatus.Failed),
                skipped = report.Results.Count(r => r.Status == CheckStatus.Skipped),
            },
            releases = report.Releases.Select(r => new { lane = r.Lane, env = r.Env, revision = r.Revision, digest = r.Digest, image = r.Image }),
            checks = report.Results.Select(r => new
            {
                check_id = r.CheckId,
                required = r.Required,
                status = r.Status,
                description = r.Description,
                reason = r.Reason,
                command = r.Command,
                log_path = Relative(r.LogPath, report),
                duration_ms = Math.Round(r.DurationMs, 1),
            }),
        }, Indented);
        SafeFile.Write(Path.Combine(report.EvidenceDirectory, "results.json"), redactor.Apply(json) + "\n");
        SafeFile.Write(Path.Combine(report.EvidenceDirectory, "SUMMARY.md"), redactor.Apply(Summary(report, gate, matrix)));
    }

    private static string Summary(GateReport report, GateConfig gate, Matrix matrix)
    {
        var md = new StringBuilder();
        md.Append(CultureInfo.InvariantCulture, $"# Release gate {Md(report.From)} → {Md(report.To)}: {(report.Go ? "GO" : "NO-GO")}\n\n");
        md.Append(CultureInfo.InvariantCulture, $"- Matrix: {Md(matrix.Info.Title)}\n- Tag: {Code(report.Tag)}\n- Started: {report.StartedAt}\n- Ended: {report.EndedAt}\n");
        if (gate.Doc is { } doc)
        {
            md.Append(CultureInfo.InvariantCulture, $"- Validation document: {Code(doc.Path)}\n");
        }

        if (report.Releases.Count > 0)
        {
            md.Append(CultureInfo.InvariantCulture, $"\nWhat {Md(report.From)} served at 100%, and this verdict is for:\n\n| lane | revision | digest | image |\n|---|---|---|---|\n");
            foreach (var r in report.Releases)
            {
                md.Append(CultureInfo.InvariantCulture, $"| {Md(r.Lane)} | {Code(r.Revision ?? "")} | {Code(r.Digest ?? "unknown")} | {Code(r.Image ?? "")} |\n");
            }
        }

        md.Append("\n| check | required | status | reason | log |\n|---|---|---|---|---|\n");
        foreach (var r in report.Results)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {Code(r.CheckId)} | {(r.Required ? "yes" : "no")} | {r.Status} | {Md(r.Reason)} | [{Md(Path.GetFileName(r.LogPath))}]({Relative(r.LogPath, report)}) |\n");
        }

        var blocking = report.Results.Where(r => r.Required && r.Status != CheckStatus.Passed).ToList();
        md.Append('\n').Append(blocking.Count == 0
            ? "Every required check passed.\n"
            : $"No-go: {string.Join(", ", blocking.Select(b => $"{Code(b.CheckId)} {b.Status}"))}. A required failure or skip blocks promotion.\n");
        return md.ToString();
    }

    private static string Relative(string path, GateReport report) => Path.GetRelativePath(report.EvidenceDirectory, path);

    /// <summary>A TSV field: one line, tabs escaped with the rest of the controls.</summary>
    private static string Clean(string text) => UntrustedText.OneLine(text);

    private static string Md(string text) => UntrustedText.Markdown(text);

    private static string Code(string text) => UntrustedText.MarkdownCode(text);
}
