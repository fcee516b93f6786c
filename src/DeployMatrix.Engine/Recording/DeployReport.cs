using System.Text;
using System.Text.Json.Nodes;
using DeployMatrix.Core.Text;

namespace DeployMatrix.Engine.Recording;

/// <summary>
/// The deploy report (the seed's staging deploy report: image tag, revision ids, traffic before and after, smoke
/// output, the rollback command with the stable revision), rendered from a deploy's receipt alone so the two never
/// disagree: every value it shows is a field of the receipt (<c>schema/receipt.schema.json</c>). A receipt with a
/// <c>domain</c> has its <c>domain_status</c> and <c>smoke_via</c> shown with it.
/// </summary>
public static class DeployReport
{
    /// <summary>Where a receipt's report goes: beside it, <c>…-deploy.json</c> → <c>…-deploy-report.md</c>.</summary>
    public static string PathFor(string receiptPath) =>
        Path.Combine(Path.GetDirectoryName(receiptPath) ?? "", Path.GetFileNameWithoutExtension(receiptPath) + "-report.md");

    /// <param name="receipt">A deploy receipt as written (<c>deploymatrix.receipt.v1</c>).</param>
    /// <param name="receiptName">The receipt's file name, which the report names as its source.</param>
    public static string Render(JsonObject receipt, string receiptName)
    {
        var md = new StringBuilder();
        void Line(string text = "") => md.Append(text).Append('\n');
        string? Field(string name) => receipt[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        string Code(string? value) => value is null ? "—" : UntrustedText.MarkdownCode(value);

        Line($"# Deploy report: {Text(Field("lane"))} → {Text(Field("environment"))}");
        Line();
        Line($"Rendered from the receipt {UntrustedText.MarkdownCode(receiptName)}; every value below is one of its fields.");
        Line();
        Line($"- Result: **{Text(Field("result"))}**{(Field("error") is { } error ? $" — {Text(error)}" : "")}");
        Line($"- When: {Text(Field("timestamp"))}");
        Line($"- Service: {Code(Field("service"))} ({Text(Field("platform"))}{(Field("project") is { } project ? $", project {Code(project)}" : "")}{(Field("region") is { } region ? $", region {Code(region)}" : "")})");
        Line($"- Tag: {Code(Field("tag"))}");
        Line($"- Image: {Code(Field("image"))}");
        Line($"- Digest: {Code(Field("digest"))}");
        Line($"- Revision: {Code(Field("revision"))}");
        Line($"- Traffic before: {Code(Field("traffic_before"))}");
        Line($"- Traffic after: {(Field("traffic_after") is { } after ? Code(after) : "unchanged (this deploy moved no traffic)")}");
        Line($"- Verify: {Verify(receipt, Field)}");
        if (Field("domain") is { } domain)
        {
            Line($"- Domain: {Code(domain)}");
            Line($"- Domain status: {Code(Field("domain_status"))}");
            Line($"- Smoke checks via: {Code(Field("smoke_via"))}");
        }

        Line();
        Line("## Smoke checks");
        Line();
        if (receipt["smoke"] is JsonArray { Count: > 0 } smoke)
        {
            Line("| request | expected | answer | body |");
            Line("|---|---|---|---|");
            foreach (var answer in smoke.OfType<JsonObject>())
            {
                var status = answer["status"]?.ToString() ?? "none";
                Line($"| {Cell(answer["request"]?.ToString())} | {answer["expect"]} | {status}{(answer["passed"]?.GetValue<bool>() == true ? "" : " (failed)")} | {Cell(answer["answer"]?.ToString())} |");
            }
        }
        else
        {
            Line("None ran.");
        }

        Line();
        Line("## Rollback");
        Line();
        if (Field("rollback_to") is { } stable)
        {
            Line($"- Stable revision: {Code(stable)}");
            Line($"- {Code(Field("rollback_command"))}");
            if (Field("rollback_gcloud") is { } gcloud)
            {
                Line($"- gcloud: {Code(gcloud)}");
            }
        }
        else
        {
            Line("No revision served traffic before this deploy, so there is none to roll back to.");
        }

        return md.ToString();
    }

    private static string Verify(JsonObject receipt, Func<string, string?> field) => field("verify") switch
    {
        null => "none (no verify checks for this environment)",
        "skipped" => $"**skipped** by {Text(field("verify_skipped_by"))}: {Text(field("verify_skip_reason"))} ({Text(field("verify_checks"))})",
        var status => $"{Text(status)} ({Text(field("verify_checks"))})",
    };

    private static string Text(string? value) => value is null ? "—" : UntrustedText.Markdown(value);

    /// <summary>A table cell: <see cref="UntrustedText.Markdown"/> escapes the pipe that would end it.</summary>
    private static string Cell(string? value) => value is null ? "" : UntrustedText.Markdown(value);
}
