using DeployMatrix.Core.Planning;

namespace DeployMatrix.Core.Tests.Planning;

/// <summary>
/// gcloud's list and dictionary values (<c>gcloud topic escaping</c>): a value holding gcloud's separator
/// switches to the <c>^DELIM^</c> syntax, and what gcloud reads back is exactly what was meant.
/// </summary>
public sealed class GcloudListTests
{
    [Fact]
    public void ValuesWithoutACommaAreJoinedByCommas_AsBefore()
    {
        Assert.Equal("_TAG=abc1234,_REGION=eu", GcloudList.Dict(Pairs(("_TAG", "abc1234"), ("_REGION", "eu"))));
    }

    [Fact]
    public void AValueWithAComma_SwitchesToAnAlternateDelimiter_AndReadsBackAsTheSameMap()
    {
        var map = Pairs(("_TAG", "abc1234"), ("_FEATURES", "a,b=c"), ("_EMPTY", ""));

        var value = GcloudList.Dict(map);

        Assert.Equal("^|^_TAG=abc1234|_FEATURES=a,b=c|_EMPTY=", value);
        Assert.Equal(map, GcloudReads.Dict(value));
    }

    [Fact]
    public void TheDelimiter_IsOneNoValueHolds()
    {
        var map = Pairs(("_TAG", "t"), ("_A", "x,y|z;w:v"));

        var value = GcloudList.Dict(map);

        Assert.StartsWith("^@^", value, StringComparison.Ordinal);
        Assert.Equal(map, GcloudReads.Dict(value));
    }

    [Fact]
    public void AFirstItemStartingWithACaret_IsNotTakenForADelimiter()
    {
        Assert.Equal(["^a^b", "c"], GcloudReads.List(GcloudList.List(["^a^b", "c"])));
    }

    [Fact]
    public void EveryMapReadsBackUnchanged_WhateverItsValuesHold()
    {
        // Values drawn from the delimiters gcloud might be given, so the choice has to move past each.
        var random = new Random(14);
        const string alphabet = ",=^|;:@#%+~!*/& ab\"'$\\";
        for (var round = 0; round < 500; round++)
        {
            var map = Enumerable.Range(0, random.Next(1, 5))
                .Select(i => new KeyValuePair<string, string>($"_K{i}", new string([.. Enumerable.Range(0, random.Next(0, 12)).Select(_ => alphabet[random.Next(alphabet.Length)])])))
                .ToList();

            Assert.Equal(map, GcloudReads.Dict(GcloudList.Dict(map)));
        }
    }

    [Fact]
    public void TheBuildLine_CarriesTheEscapedSubstitutions_AsOneWord()
    {
        var step = new BuildImage("api", "abc1234", "r/api:abc1234", "deploy/cloudbuild.yaml", Pairs(("_TAG", "abc1234"), ("_LIST", "a,b")).ToDictionary());

        var command = Assert.Single(GcloudCommands.For(step));

        Assert.Equal(["gcloud", "builds", "submit", "--config", "deploy/cloudbuild.yaml", "--substitutions", "^|^_TAG=abc1234|_LIST=a,b", "."], command);
        Assert.Equal("gcloud builds submit --config deploy/cloudbuild.yaml --substitutions '^|^_TAG=abc1234|_LIST=a,b' .", Assert.Single(ShellRenderer.Lines(step)));
    }

    private static List<KeyValuePair<string, string>> Pairs(params (string Key, string Value)[] pairs) =>
        [.. pairs.Select(p => KeyValuePair.Create(p.Key, p.Value))];

    /// <summary>
    /// How gcloud reads a list or dictionary flag, step for step after its calliope/arg_parsers.py
    /// (ArgList.__call__, _TokenizeQuotedList, ArgDict's "([^=]+)(=?)(.*)"): written out here, apart
    /// from the code under test, so the two are checked against each other.
    /// </summary>
    private static class GcloudReads
    {
        public static List<string> List(string value)
        {
            var delimiter = ",";
            if (value.StartsWith('^') && value.IndexOf('^', 1) is var end and > 0)
            {
                delimiter = value[1..end];
                Assert.NotEqual("", delimiter); // gcloud: "Invalid delimeter"
                value = value[(end + 1)..];
            }

            if (value.Length == 0)
            {
                return [];
            }

            if (!value.EndsWith(delimiter, StringComparison.Ordinal))
            {
                value += delimiter;
            }

            return [.. value.Split(delimiter)[..^1]];
        }

        public static List<KeyValuePair<string, string>> Dict(string value) =>
            [.. List(value).Select(item =>
            {
                var at = item.IndexOf('=', StringComparison.Ordinal);
                Assert.True(at > 0, $"gcloud: Invalid flag value [{item}]");
                return KeyValuePair.Create(item[..at], item[(at + 1)..]);
            })];
    }
}
