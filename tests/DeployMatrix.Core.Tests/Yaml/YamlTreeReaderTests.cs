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
        Assert.Equal(("yaml", new SourcePos(1, 14)), (d.Code, d.Pos));
        Assert.Equal("invalid YAML: this '[' is never closed; add the ']' where it ends", d.Message);
    }

    [Fact]
    public void AFlowListOpenAtTheEndOfTheFile_PointsAtItsBracket_NotAtTheEnd()
    {
        Assert.Null(Read("x: 1\na:\n  b: [1,\n    2\n"));

        Assert.Equal("3:6 yaml: invalid YAML: this '[' is never closed; add the ']' where it ends", Problems());
    }

    [Theory]
    [InlineData("a: 1\nb:\n\tc: 2\n", 3, 1)]
    [InlineData("lanes:\n  api:\n  \tkind: service\n", 3, 3)]
    [InlineData("lanes:\n  api:\n    kind: service\n\t\n    x: 1\n", 4, 1)]
    [InlineData("a: |\n\tx\n", 2, 1)]
    public void ATabUsedForIndentation_IsReportedAtTheTab(string text, int line, int column)
    {
        Assert.Null(Read(text));

        var d = Assert.Single(_diagnostics.Items);
        Assert.Equal(new SourcePos(line, column), d.Pos);
        Assert.Equal($"invalid YAML: a tab indents line {line}; YAML indents with spaces only — replace the tab with spaces", d.Message);
    }

    [Fact]
    public void TabsInsideValuesAndBeforeComments_AreNotIndentation()
    {
        var root = Assert.IsType<YMapping>(Read("a: 'x\ty'\nb: 1 \t# note\n"));

        Assert.Equal("x\ty", ((YScalar)root.Get("a")!).Value);
        Assert.Empty(_diagnostics.Items);
    }

    [Theory]
    [InlineData("a: \"x\\q\"\n", 1, 6, "found unknown escape character")]
    [InlineData("a: 'abc\n", 1, 4, "the quoted value that starts here is never closed")]
    [InlineData("a: b: c\n", 1, 5, "found invalid mapping")]
    [InlineData("a: @x\n", 1, 4, "cannot start any token")]
    public void ASyntaxError_PointsAtTheOffendingCharacter(string text, int line, int column, string says)
    {
        Assert.Null(Read(text));

        var d = Assert.Single(_diagnostics.Items);
        Assert.Equal(new SourcePos(line, column), d.Pos);
        Assert.Contains(says, d.Message, StringComparison.Ordinal);
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
        // Written keys win before and after '<<'; in a list, the first mapping that has a key gives it.
        Assert.Equal(
            ["region=us", "port=1", "memory=512Mi", "cpu=2"],
            lane.Pairs.Select(p => $"{p.Key.Value}={((YScalar)p.Value).Value}"));
        Assert.Empty(_diagnostics.Items);
    }

    [Fact]
    public void AMergedTarget_TakesItsOwnServiceAndPort_OverTheAnchoredOnes()
    {
        var root = Assert.IsType<YMapping>(Read(
            "staging: &base { service: api-staging, port: 19101, env: { LOG: debug } }\n" +
            "production: { <<: *base, service: api, port: 19102 }\n"));

        var production = Assert.IsType<YMapping>(root.Get("production"));
        Assert.Equal(["service=api", "port=19102"], production.Pairs.Where(p => p.Value is YScalar).Select(p => $"{p.Key.Value}={((YScalar)p.Value).Value}"));
        Assert.Same(Assert.IsType<YMapping>(root.Get("staging")).Get("env"), production.Get("env"));
        Assert.Empty(_diagnostics.Items);
    }

    [Fact]
    public void AKeyWrittenTwice_BesideAMerge_IsStillADuplicate_AtTheSecond()
    {
        var root = Assert.IsType<YMapping>(Read("a: &a {cpu: 1}\nlane:\n  <<: *a\n  cpu: 2\n  cpu: 3\n"));

        Assert.Equal("2", ((YScalar)Assert.IsType<YMapping>(root.Get("lane")).Get("cpu")!).Value);
        Assert.Equal("5:3 duplicate-key: duplicate key 'cpu' (first defined at line 4:3)", Problems());
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

    [Fact]
    public void AliasesOfAliases_AreRefusedQuickly_AtTheAliasThatGoesPastTheBound()
    {
        // Nine levels, each a list of ten of the one before: 10^9 nodes in about 600 bytes.
        var text = new System.Text.StringBuilder("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var level = 1; level < 9; level++)
        {
            text.Append($"l{level}: &l{level} [{string.Join(", ", Enumerable.Repeat($"*l{level - 1}", 10))}]\n");
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Null(Read(text.ToString()));
        clock.Stop();

        var d = Assert.Single(_diagnostics.Items);
        Assert.Equal(("yaml", 5), (d.Code, d.Pos.Line));
        Assert.StartsWith("alias '*l3' makes the matrix stand for more than 100000 nodes", d.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Fact]
    public void AliasesUsedAsUsual_AreCountedOnce_WhereTheyAreUsed_AndRead()
    {
        var text = "base: &b {port: 1, region: eu}\n" + string.Concat(Enumerable.Range(0, 200).Select(i => $"t{i}: {{ <<: *b, service: s{i} }}\n"));

        Assert.IsType<YMapping>(Read(text));
        Assert.Empty(_diagnostics.Items);
    }
}
