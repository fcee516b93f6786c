using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Core.Tests.Golden;

/// <summary>
/// The model the loader builds from each good matrix, property by property: every value written in the
/// file and every default filled in where it is not (GET, 200, five-minute command timeouts, a guard of
/// '.', the inherited rollout), with each position.
/// </summary>
public sealed class ModelGoldenTests
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { WithCheckKinds } },
    };

    public static TheoryData<string> Matrices => ["example", "full", "merge-keys", "minimal", "regions", "shortest"];

    [Theory]
    [MemberData(nameof(Matrices))]
    public void TheLoadedModel_IsAsOnRecord(string name)
    {
        var path = name == "example" ? RepoPaths.Example : Path.Combine(RepoPaths.Corpus("good"), name + ".yaml");
        var loaded = MatrixLoader.Load(path);
        Assert.Empty(loaded.Diagnostics);

        var json = JsonSerializer.Serialize(loaded.Matrix, Json).Replace(RepoPaths.Root, "<REPO>", StringComparison.Ordinal);

        GoldenFile.Match($"model-{name}.json", json + "\n");
    }

    /// <summary>Gate checks are written with their kind and every field of it, not as the abstract base.</summary>
    private static void WithCheckKinds(JsonTypeInfo info)
    {
        if (info.Type == typeof(CheckSpec))
        {
            info.PolymorphismOptions = new JsonPolymorphismOptions
            {
                DerivedTypes =
                {
                    new JsonDerivedType(typeof(HttpCheckSpec), "http"),
                    new JsonDerivedType(typeof(BudgetCheckSpec), "budget"),
                    new JsonDerivedType(typeof(CommandCheckSpec), "command"),
                    new JsonDerivedType(typeof(LaneCheckSpec), "lane"),
                    new JsonDerivedType(typeof(GuardCheckSpec), "guard"),
                    new JsonDerivedType(typeof(LogsCheckSpec), "logs"),
                },
            };
        }
    }
}
