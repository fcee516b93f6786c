using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Tests.Yaml;

/// <summary>
/// The YAML tree under every matrix: positions on each node, anchors and merge keys, and what a broken
/// file turns into (one diagnostic at the spot, never an exception).
/// </summary>
public sealed class YamlTreeReaderTests
{
    private readonly DiagnosticBag _diagnostics = new("m.yaml");

    private YNode? Read(string text) => YamlTreeReader.Read(text, _diagnostics);

    private string Problems() => string.Join("\n", _diagnostics.Sorted().Select(d => $"{d.Pos} {d.Code}: {d.Message}"));

    [Fact]
    public void EveryNode_KnowsItsLineAndColumn()
    {
        var root = Assert.IsType<YMapping>(Read("lanes:\n  api:\n    port: 8080\n    args: [a, b]\n"));

        var lanes = Assert.IsType<YMapping>(root.Get("lanes"));
        var api = Assert.IsType<YMapping>(lanes.Get("api"));
        var args = Assert.IsType<YSequence>(api.Get("args"));
        Assert.Equal(new SourcePos(1, 1), root.Pos);
        Assert.Equal(new SourcePos(2, 3), lanes.Pairs[0].Key.Pos);
        Assert.Equal(new SourcePos(3, 11), api.Get("port")!.Pos);
        Assert.Equal(new SourcePos(4, 11), args.Pos);
        Assert.Equal([new SourcePos(4, 12), new SourcePos(4, 15)], args.Items.Select(i => i.Pos));
        Assert.Empty(_diagnostics.Items);
    }

    [Fact]
    public void AnEmptyFile_IsOneDiagnostic_AtItsStart()
    {
        Assert.Null(Read(""));
        Assert.Equal("1:1 empty: the matrix file is empty", Problems());
    }

    [Fact]
    public void ASecondDocument_IsRefused_WithTheFix()
    {
        var root = Read("a: 1\n---\nb: 2\n");

        Assert.NotNull(root);
        Assert.Equal("2:1 yaml: a matrix file holds one YAML document; remove the '---' separator and what follows", Problems());
    }

    [Fact]
    public void BrokenYaml_IsOneDiagnostic_WithoutYamlDotNetsPositionPrefix()
    {
        Assert.Null(Read("a: 1\n b: 2\nc: [\n"));

        var d = Assert.Single(_diagnostics.Items);
        Assert.Equal("yaml", d.Code);
        Assert.StartsWith("invalid YAML: ", d.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Line:", d.Message, StringComparison.Ordinal);
        Assert.False(d.Message.EndsWith('.'));
        Assert.True(char.IsLower(d.Message["invalid YAML: ".Length]));
        Assert.Equal(2, d.Pos.Line);
    }

    [Fact]
    public void AnUnclosedFlowCollection_PointsAtTheOpening()
    {
        Assert.Null(Read("lanes: {api: [1, 2\n"));

        var d = Assert.Single(_diagnostics.Items);
        Assert.Equal("yaml", d.Code);
        Assert.True(d.Pos.IsKnown);
    }

    [Fact]
    public void AnAlias_IsTheAnchoredNode_AndAnUnknownAlias_IsNamed()
    {
        var root = Assert.IsType<YMapping>(Read("base: &b {port: 1}\nsame: *b\nlist: &l [x]\nagain: *l\nword: &w hi\necho: *w\nmissing: *nope\n"));

        Assert.Same(root.Get("base"), root.Get("same"));
        Assert.Same(root.Get("list"), root.Get("again"));
        Assert.Same(root.Get("word"), root.Get("echo"));
        var missing = Assert.IsType<YScalar>(root.Get("missing"));
        Assert.Equal(("", true), (missing.Value, missing.Plain));
        Assert.Equal("7:10 yaml: unknown alias '*nope'", Problems());
    }

    [Fact]
    public void MergeKeys_BringInMappings_AndExplicitKeysWin_WhereverTheyStand()
    {
        var root = Assert.IsType<YMapping>(Read(
            "a: &a {port: 1, region: eu, cpu: 1}\n" +
            "b: &b {port: 2, memory: 512Mi}\n" +
            "lane:\n  region: us\n  <<: [*a, *b]\n  cpu: 2\n"));

        var lane = Assert.IsType<YMapping>(root.Get("lane"));
        Assert.Equal(
            ["region=us", "port=1", "cpu=1", "memory=512Mi"],
            lane.Pairs.Select(p => $"{p.Key.Value}={((YScalar)p.Value).Value}"));
        // A key after the merge repeats a merged one: that is a duplicate, as written twice by hand.
        Assert.Equal("6:3 duplicate-key: duplicate key 'cpu' (first defined at line 1:29)", Problems());
    }

    [Fact]
    public void AMergeKey_TakesOnlyMappings()
    {
        var root = Assert.IsType<YMapping>(Read("a: &a [1]\nlane:\n  <<: *a\n  <<: [x]\n"));

        Assert.Empty(Assert.IsType<YMapping>(root.Get("lane")).Pairs);
        Assert.Equal(
            [(1, "'<<' merges a mapping (or a list of mappings)"), (4, "'<<' merges a mapping (or a list of mappings)")],
            _diagnostics.Sorted().Select(d => (d.Pos.Line, d.Message)));
    }

    [Fact]
    public void AQuotedMergeKey_IsAnOrdinaryKey()
    {
        var root = Assert.IsType<YMapping>(Read("'<<': {port: 1}\n"));

        Assert.Equal("<<", Assert.Single(root.Pairs).Key.Value);
        Assert.Empty(_diagnostics.Items);
    }

    [Fact]
    public void ADuplicateKey_PointsAtBothPlaces_AndTheFirstValueStays()
    {
        var root = Assert.IsType<YMapping>(Read("port: 1\nregion: eu\nport: 2\n"));

        Assert.Equal("1", ((YScalar)root.Get("port")!).Value);
        Assert.Equal(2, root.Pairs.Count);
        Assert.Equal("3:1 duplicate-key: duplicate key 'port' (first defined at line 1:1)", Problems());
    }

    [Fact]
    public void AKeyThatIsNotAScalar_IsRefused_AndSkipped()
    {
        var root = Assert.IsType<YMapping>(Read("? [a, b]\n: 1\nok: 2\n"));

        Assert.Equal("ok", Assert.Single(root.Pairs).Key.Value);
        Assert.Equal("1:3 yaml: a key must be a plain word, not a list", Problems());
    }

    [Theory]
    [InlineData("v: 8080", true)]
    [InlineData("v: '8080'", false)]
    [InlineData("v: \"8080\"", false)]
    [InlineData("v: !!str 8080", false)]
    [InlineData("v: |\n  8080\n", false)]
    public void OnlyUntaggedPlainScalars_ArePlain(string text, bool plain)
    {
        var root = Assert.IsType<YMapping>(Read(text));

        Assert.Equal(plain, ((YScalar)root.Get("v")!).Plain);
    }

    [Fact]
    public void NestingPast64Levels_IsOneDiagnostic_AtTheFirstLevelTooDeep()
    {
        Assert.Null(Read("a: " + new string('[', 30000) + new string(']', 30000) + "\n"));
        Assert.Equal("1:67 yaml: nesting deeper than 64 levels", Problems());
    }

    [Fact]
    public void NestingOf64Levels_IsRead()
    {
        Assert.NotNull(Read("a: " + new string('[', 63) + new string(']', 63) + "\n"));
        Assert.Empty(_diagnostics.Items);
    }

    [Fact]
    public void AnAlias_CountsTheLevelsItBrings_SoAnchorsCannotStackPastTheBound()
    {
        // Each anchor is 40 levels of its own and uses the one before it at its deepest level.
        var text = "a: &a " + new string('[', 40) + new string(']', 40) + "\n" +
                   "b: &b " + new string('[', 39) + "*a" + new string(']', 39) + "\n";

        Assert.Null(Read(text));
        Assert.Equal("2:46 yaml: nesting deeper than 64 levels", Problems());
    }
}
