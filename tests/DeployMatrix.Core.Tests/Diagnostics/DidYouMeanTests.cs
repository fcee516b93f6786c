using DeployMatrix.Core.Diagnostics;

namespace DeployMatrix.Core.Tests.Diagnostics;

/// <summary>
/// Suggestions for misspelt words: the distance is optimal string alignment (Damerau–Levenshtein
/// restricted to adjacent transpositions), checked against values worked out by hand.
/// </summary>
public sealed class DidYouMeanTests
{
    [Theory]
    [InlineData("", "", 0)]
    [InlineData("", "abc", 3)]
    [InlineData("abc", "", 3)]
    [InlineData("abc", "abc", 0)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("flaw", "lawn", 2)]
    [InlineData("ab", "ba", 1)]          // one transposition
    [InlineData("abcd", "badc", 2)]      // two transpositions
    [InlineData("ca", "abc", 3)]         // OSA, not full Damerau (which says 2)
    [InlineData("stagign", "staging", 1)]
    [InlineData("Image", "image", 1)]    // case counts here; Closest folds it
    public void Distance_IsOptimalStringAlignment(string a, string b, int distance)
    {
        Assert.Equal(distance, DidYouMean.Distance(a, b));
        Assert.Equal(distance, DidYouMean.Distance(b, a));
    }

    [Theory]
    [InlineData("prod", "production")]     // an unambiguous abbreviation
    [InlineData("PROD", "production")]
    [InlineData("st", "staging")]
    [InlineData("Stagign", "staging")]     // case folded before measuring
    [InlineData("imgae", "image")]
    [InlineData("servce", "service")]
    public void Closest_FindsTheIntendedWord(string given, string expected)
    {
        Assert.Equal(expected, DidYouMean.Closest(given, ["image", "service", "production", "preview", "staging"]));
    }

    [Fact]
    public void AnAmbiguousAbbreviation_FallsBackToDistance()
    {
        // "pr" starts both words; neither is within two edits, so nothing is suggested.
        Assert.Null(DidYouMean.Closest("pr", ["production", "preview"]));
        // One letter is too short to count as an abbreviation.
        Assert.Null(DidYouMean.Closest("p", ["production"]));
    }

    [Theory]
    [InlineData("abcxy", "abcde", "abcde")]       // 2 edits: the floor of the limit
    [InlineData("abxyz", "abcde", null)]          // 3 edits in a 5-letter word: too far
    [InlineData("abcdefxyz", "abcdefghi", "abcdefghi")] // 3 edits in 9 letters: a third
    [InlineData("abcdewxyz", "abcdefghi", null)]  // 4 edits in 9 letters
    public void Closest_AllowsAThirdOfTheWord_AndAtLeastTwoEdits(string given, string known, string? expected)
    {
        Assert.Equal(expected, DidYouMean.Closest(given, [known]));
    }

    [Fact]
    public void Closest_PrefersTheNearestWord_AndTheFirstOfATie()
    {
        Assert.Equal("lane", DidYouMean.Closest("lanx", ["lanes", "lane"]));
        Assert.Equal("abcd", DidYouMean.Closest("abcz", ["abcd", "abce"]));
    }

    [Fact]
    public void Hint_SuggestsOneWord_OrListsUpToTwelve_OrSaysNothing()
    {
        Assert.Equal(" (did you mean 'staging'?)", DidYouMean.Hint("stagin", ["staging", "production"]));
        Assert.Equal(" (expected one of: staging, production)", DidYouMean.Hint("zzzzzz", ["staging", "production"]));
        var twelve = Enumerable.Range(1, 12).Select(i => $"word{i:00}").ToList();
        Assert.Equal($" (expected one of: {string.Join(", ", twelve)})", DidYouMean.Hint("zzzzzzzzz", twelve));
        Assert.Equal("", DidYouMean.Hint("zzzzzzzzz", [.. twelve, "word13"]));
        Assert.Equal("", DidYouMean.Hint("zzzzzz", []));
    }
}
