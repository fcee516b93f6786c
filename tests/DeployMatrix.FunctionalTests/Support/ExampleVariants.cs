using System.Text.RegularExpressions;

namespace DeployMatrix.FunctionalTests.Support;

/// <summary>Variants of a test's copy of the example, written beside its matrix for <c>--file</c>.</summary>
public static partial class ExampleVariants
{
    /// <summary>
    /// The copy's matrix with its runtime lane deploying to production only (<c>environments: [production]</c>,
    /// no staging target) and no gate check of runtime in staging.
    /// </summary>
    /// <returns>The variant's file name, relative to <paramref name="dir"/>.</returns>
    public static string WithoutRuntimeStaging(string dir)
    {
        var text = File.ReadAllText(Path.Combine(dir, "deploymatrix.yaml"));
        var without = RuntimeStaging().Replace(text, "", 1)
            .Replace("    description: The runtime service; every deploy runs its migration job with the same image.\n",
                "    description: The runtime service; every deploy runs its migration job with the same image.\n    environments: [production]\n", StringComparison.Ordinal);
        // The gate's checks of the runtime in staging go with its target (the whole '- id:' entry).
        without = GateCheck().Replace(without, m => m.Value.Contains("lane: runtime, env: staging", StringComparison.Ordinal) ? "" : m.Value);
        Assert.DoesNotContain("runtime-staging", without, StringComparison.Ordinal);
        Assert.Contains("environments: [production]", without, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(dir, "skipping.yaml"), without);
        return "skipping.yaml";
    }

    [GeneratedRegex(@" *staging: \{ service: runtime-staging, port: \d+, job: runtime-migrate-staging \}\n")]
    private static partial Regex RuntimeStaging();

    [GeneratedRegex(@"^    - id: [^\n]+\n(?:      [^\n]*\n)*", RegexOptions.Multiline)]
    private static partial Regex GateCheck();
}
