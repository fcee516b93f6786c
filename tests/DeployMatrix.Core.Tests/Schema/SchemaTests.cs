using DeployMatrix.Tests.Support;
using Json.Schema;

namespace DeployMatrix.Core.Tests.Schema;

/// <summary>The committed JSON Schema (for editors) agrees with the loader on every example and on broken shapes.</summary>
public sealed class SchemaTests
{
    /// <summary>Broken matrices whose mistake is one of shape (keys, types, ranges, patterns), which a schema can see.</summary>
    public static TheoryData<string> ShapeErrors() =>
    [
        "env-variable-name-not-a-name.yaml",
        "environment-traffic-and-no-traffic.yaml",
        "environments-not-a-mapping.yaml",
        "gate-check-two-types.yaml",
        "image-without-tag.yaml",
        "lane-environments-empty.yaml",
        "lane-name-uppercase.yaml",
        "missing-matrix-section.yaml",
        "notify-secret-env-on-slack.yaml",
        "notify-unknown-event.yaml",
        "notify-unknown-kind.yaml",
        "notify-url-env-missing.yaml",
        "notify-url-in-matrix.yaml",
        "notify-webhook-without-secret-env.yaml",
        "port-not-integer.yaml",
        "port-out-of-range.yaml",
        "project-id-too-short.yaml",
        "project-id-with-slash.yaml",
        "region-not-a-region.yaml",
        "rehearsal-data-empty-command.yaml",
        "release-tags-keep-zero.yaml",
        "root-is-a-list.yaml",
        "rollout-gate-ceiling-without-unit.yaml",
        "rollout-gate-unknown-percentile.yaml",
        "service-name-too-long.yaml",
        "serving-header-bytes-too-small.yaml",
        "serving-request-timeout-not-a-duration.yaml",
        "serving-tls-without-cert.yaml",
        "serving-unknown-protocol.yaml",
        "smoke-path-without-slash.yaml",
        "stage-above-100.yaml",
        "stages-wrong-type.yaml",
        "traffic-unknown-policy.yaml",
        "unknown-kind.yaml",
        "unknown-lane-key.yaml",
        "unknown-platform.yaml",
        "unknown-top-key.yaml",
        "updated-not-a-date.yaml",
        "window-not-a-duration.yaml",
    ];

    public static TheoryData<string> ValidMatrices()
    {
        var files = Directory.GetFiles(Path.Combine(RepoPaths.Root, "examples"), "deploymatrix.yaml", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(RepoPaths.Corpus("good"), "*.yaml"))
            .Select(f => Path.GetRelativePath(RepoPaths.Root, f))
            .Order(StringComparer.Ordinal);
        return [.. files];
    }

    [Theory]
    [MemberData(nameof(ValidMatrices))]
    public void EveryExample_IsValidAgainstTheSchema(string relative)
    {
        var results = Evaluate(Path.Combine(RepoPaths.Root, relative));

        Assert.True(results.IsValid, Describe(results));
    }

    [Theory]
    [MemberData(nameof(ShapeErrors))]
    public void ShapeErrors_AreAlsoRejectedByTheSchema(string name)
    {
        var results = Evaluate(Path.Combine(RepoPaths.Corpus("bad"), name));

        Assert.False(results.IsValid);
    }

    [Fact]
    public void Example_PointsEditorsAtTheSchema()
    {
        var first = File.ReadLines(RepoPaths.Example).First();

        Assert.Equal("# yaml-language-server: $schema=../../schema/deploymatrix.schema.json", first);
    }

    private static EvaluationResults Evaluate(string path) => MatrixSchema.Evaluate(File.ReadAllText(path), path);

    private static string Describe(EvaluationResults results) =>
        string.Join('\n', (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
}
