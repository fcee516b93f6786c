using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Files;

namespace DeployMatrix.Engine.Recording;

/// <summary>One step as a receipt and the journal keep it.</summary>
public sealed record StepOutcome(int Index, string Kind, string Description, bool Ok, string? Detail, DateTimeOffset StartedAt, DateTimeOffset EndedAt)
{
    /// <summary>The step was stopped by a cancel (SIGINT, SIGTERM), not failed by what it found.</summary>
    public bool Cancelled { get; init; }
}

/// <summary>
/// Writes the receipt JSON of a plan or a rollout: the seed's runtime receipt fields (timestamp, project, region,
/// service, migrate_job, image, deployed_image) plus the steps and what they found
/// (<c>schema/receipt.schema.json</c> documents every field).
/// </summary>
public sealed class ReceiptWriter(string directory, TimeProvider time)
{
    public const string Schema = "deploymatrix.receipt.v1";

    /// <param name="smoke">Each smoke check's request and answer (the deploy report's smoke section).</param>
    /// <returns>
    /// The receipt's path: <c>receipts/TIMESTAMP-LANE-ENV-ACTION.json</c>, <c>…-ENV-REGION-ACTION.json</c> for one of several regions.
    /// A deploy's receipt has its report beside it, <c>…-deploy-report.md</c>, rendered from the receipt as written (<see cref="DeployReport"/>).
    /// </returns>
    public string Write(TargetRef target, string action, string? tag, IReadOnlyList<StepOutcome> steps, IReadOnlyDictionary<string, string> facts, string? error,
        IReadOnlyList<Execution.SmokeAnswer>? smoke = null, bool cancelled = false)
    {
        SafeFile.CreateFolder(directory);
        var now = time.GetUtcNow();
        var receipt = new JsonObject
        {
            ["schema"] = Schema,
            ["timestamp"] = now.ToString("O", CultureInfo.InvariantCulture),
            ["action"] = action,
            ["lane"] = target.Lane,
            ["environment"] = target.Environment,
            ["platform"] = PlatformNames.Name(target.Platform),
            ["project"] = target.Project,
            ["region"] = target.Region,
            ["service"] = target.Service,
            ["tag"] = tag,
            ["result"] = error is null ? "succeeded" : cancelled ? "cancelled" : "failed",
            ["error"] = error,
        };
        foreach (var (key, value) in facts.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            receipt[key] = value;
        }

        if (facts.GetValueOrDefault("rollback_to") is { } stable)
        {
            // The exact ways back, written once here so the report and anyone reading the receipt give the same command.
            receipt["rollback_command"] = $"deploymatrix rollback {target.Lane} --env {target.Environment}{(target.Regional ? $" --region {target.Region}" : "")} --to {stable}";
            if (target.Platform == PlatformKind.CloudRun)
            {
                receipt["rollback_gcloud"] = ShellRenderer.Join(GcloudCommands.For(new SetTraffic(target, [new TrafficSplit(RevisionRef.Named(stable), 100)]))[0]);
            }
        }

        if (smoke is { Count: > 0 })
        {
            receipt["smoke"] = new JsonArray([.. smoke.Select(a => (JsonNode)new JsonObject
            {
                ["request"] = a.Request,
                ["expect"] = a.Expect,
                ["status"] = a.Status,
                ["answer"] = a.Body,
                ["passed"] = a.Passed,
            })]);
        }

        receipt["steps"] = new JsonArray([.. steps.Select(s => (JsonNode)new JsonObject
        {
            ["index"] = s.Index,
            ["kind"] = s.Kind,
            ["description"] = s.Description,
            ["status"] = s.Ok ? "succeeded" : s.Cancelled ? "cancelled" : "failed",
            ["detail"] = s.Detail,
            ["started_at"] = s.StartedAt.ToString("O", CultureInfo.InvariantCulture),
            ["ended_at"] = s.EndedAt.ToString("O", CultureInfo.InvariantCulture),
        })]);
        // One receipt per region: a region's receipt names it, so two regions of one environment never share a name.
        var stem = $"{now.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}-{target.Lane}-{target.Environment}{(target.Regional ? $"-{target.Region}" : "")}-{action}";
        var text = receipt.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        // A receipt is never overwritten (the audit chain holds its hash): two in one millisecond get -2, -3, …;
        // a name taken by anything, a planted link included, is passed over, never written through.
        for (var n = 1; n <= 1000; n++)
        {
            var path = Path.Combine(directory, n == 1 ? $"{stem}.json" : $"{stem}-{n}.json");
            if (SafeFile.TryCreateNew(path, text))
            {
                if (action == "deploy")
                {
                    // From the text just written, so the report cannot say what the receipt does not.
                    SafeFile.TryCreateNew(DeployReport.PathFor(path), DeployReport.Render(JsonNode.Parse(text)!.AsObject(), Path.GetFileName(path)));
                }

                return path;
            }
        }

        throw new IOException($"more than 1000 receipts named {stem} in {directory}");
    }
}
