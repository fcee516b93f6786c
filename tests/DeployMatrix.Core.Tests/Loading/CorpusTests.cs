using System.Text.RegularExpressions;
using DeployMatrix.Core.Loading;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Core.Tests.Loading;

/// <summary>
/// Every file in tests/corpus/bad is a broken matrix whose first line says where the error must be
/// reported and what it must say: "# expect: LINE:COL: text".
/// </summary>
public sealed partial class CorpusTests
{
    public static TheoryData<string> BadFiles() => [.. Directory.GetFiles(RepoPaths.Corpus("bad"), "*.yaml").Select(f => Path.GetFileName(f)).Order()];

    public static TheoryData<string> GoodFiles() => [.. Directory.GetFiles(RepoPaths.Corpus("good"), "*.yaml").Select(f => Path.GetFileName(f)).Order()];

    [Fact]
    public void Corpus_HoldsAtLeast25BrokenMatrices()
    {
        Assert.True(BadFiles().Count >= 25, $"only {BadFiles().Count} broken matrices");
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void BrokenMatrix_IsRejectedWithThePositionAndMessageItsHeaderExpects(string name)
    {
        var path = Path.Combine(RepoPaths.Corpus("bad"), name);
        var header = Expectation().Match(File.ReadLines(path).First());
        Assert.True(header.Success, $"{name} lacks a '# expect: LINE:COL: text' first line");

        var result = MatrixLoader.Load(path);

        Assert.False(result.Ok);
        Assert.Null(result.Matrix);
        Assert.NotEmpty(result.Diagnostics);
        Assert.All(result.Diagnostics, d => Assert.Matches(@"^.+:\d+:\d+: \S", d.ToString()));
        var line = int.Parse(header.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var column = int.Parse(header.Groups["col"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var text = header.Groups["text"].Value;
        Assert.Contains(result.Diagnostics, d => d.Pos.Line == line && d.Pos.Column == column && d.Message.Contains(text, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(GoodFiles))]
    public void GoodMatrix_LoadsWithoutDiagnostics(string name)
    {
        var result = MatrixLoader.Load(Path.Combine(RepoPaths.Corpus("good"), name));

        Assert.Empty(result.Diagnostics);
        Assert.NotNull(result.Matrix);
    }

    [GeneratedRegex(@"^# expect: (?<line>\d+):(?<col>\d+): (?<text>.+)$")]
    private static partial Regex Expectation();
}
