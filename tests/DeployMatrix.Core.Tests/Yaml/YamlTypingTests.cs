using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Tests.Yaml;

/// <summary>
/// Scalars typed by YAML 1.2's core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution): what a
/// node reads as, how it is named in messages, and what the JSON Schema sees.
/// </summary>
public sealed class YamlTypingTests
{
    private static YScalar Plain(string value) => new(new SourcePos(1, 1), value, Plain: true);

    private static YScalar Quoted(string value) => new(new SourcePos(1, 1), value, Plain: false);

    [Theory]
    [InlineData("", "null")]
    [InlineData("~", "null")]
    [InlineData("null", "null")]
    [InlineData("Null", "null")]
    [InlineData("NULL", "null")]
    [InlineData("true", "a boolean")]
    [InlineData("True", "a boolean")]
    [InlineData("TRUE", "a boolean")]
    [InlineData("false", "a boolean")]
    [InlineData("False", "a boolean")]
    [InlineData("FALSE", "a boolean")]
    [InlineData("tRUE", "a string")]
    [InlineData("yes", "a string")] // YAML 1.1's booleans are words in 1.2
    [InlineData("nUll", "a string")]
    [InlineData("8080", "a number")]
    [InlineData("-1.5", "a number")]
    [InlineData("1e3", "a number")]
    [InlineData("Infinity", "a string")]
    [InlineData("NaN", "a string")]
    [InlineData("8080x", "a string")]
    public void APlainScalar_IsNamedByItsType(string value, string described)
    {
        Assert.Equal(described, Plain(value).Describe());
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("8080")]
    public void AQuotedScalar_IsAlwaysAString(string value)
    {
        var s = Quoted(value);

        Assert.Equal("a string", s.Describe());
        Assert.False(s.IsNull);
        Assert.Null(s.AsBool());
        Assert.Null(s.AsInteger());
        Assert.Null(s.AsNumber());
    }

    [Theory]
    [InlineData("42", 42L)]
    [InlineData("-7", -7L)]
    [InlineData("+7", 7L)]
    [InlineData("1.0", null)]
    [InlineData("1,000", null)]
    [InlineData(" 42", null)]
    [InlineData("9223372036854775808", null)] // past long
    public void Integers_AreWholeSignedNumbers(string value, long? expected)
    {
        Assert.Equal(expected, Plain(value).AsInteger());
    }

    [Fact]
    public void Sequences_AndMappings_AreNamedAsSuch()
    {
        Assert.Equal("a list", new YSequence(new SourcePos(1, 1), []).Describe());
        Assert.Equal("a mapping", new YMapping(new SourcePos(1, 1), []).Describe());
    }

    [Fact]
    public void Json_CarriesEachScalarAsItsType_AndNestingAsIs()
    {
        var tree = YamlTreeReader.Read(
            "n: ~\nb: true\ni: 8080\nneg: -3\nf: 0.5\ndot: .5\nplus: +1.5\nexp: 1e3\n" +
            "inf: Infinity\nbad: 1e5x\nword: api\nquoted: '42'\nlist: [1, x]\nmap: {a: false}\nempty: ''\n",
            new DiagnosticBag("m.yaml"))!;

        var json = YamlJson.ToJson(tree)!.ToJsonString();

        Assert.Equal(
            """{"n":null,"b":true,"i":8080,"neg":-3,"f":0.5,"dot":0.5,"plus":1.5,"exp":1000,"inf":"Infinity","bad":"1e5x","word":"api","quoted":"42","list":[1,"x"],"map":{"a":false},"empty":""}""",
            json);
    }

    [Fact]
    public void Json_OfAWordThatDotNetWouldReadAsANumber_StaysAString()
    {
        // double.TryParse accepts a leading space and "∞"-style words; YAML does not.
        var json = YamlJson.ToJson(new YMapping(new SourcePos(1, 1), [
            new YPair(Plain("a"), Plain(" 1")),
            new YPair(Plain("b"), Plain("-Infinity")),
            new YPair(Plain("c"), Plain("1e999")),
        ]))!.ToJsonString();

        Assert.Equal("""{"a":" 1","b":"-Infinity","c":"1e999"}""", json);
    }
}
