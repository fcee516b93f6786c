using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Tests.Model;

public sealed class CommandWordsTests
{
    [Theory]
    [InlineData("cargo run -- serve", new[] { "cargo", "run", "--", "serve" })]
    [InlineData("echo 'a b' \"c d\"", new[] { "echo", "a b", "c d" })]
    [InlineData("cd app&&php artisan", new[] { "cd", "app", "&&", "php", "artisan" })]
    [InlineData("a;b|c", new[] { "a", ";", "b", "|", "c" })]
    [InlineData("x\\ y", new[] { "x y" })]
    public void Split_GroupsLikeAShell(string text, string[] words)
    {
        Assert.Equal(words, CommandWords.Split(text));
    }

    [Theory]
    [InlineData("php artisan migrate", true)]
    [InlineData("/usr/bin/php artisan", true)]
    [InlineData("phpunit artisan", false)]
    [InlineData("php", false)]
    [InlineData("echo php; artisan", false)]
    public void IndexOf_MatchesWholeWordsInOrder(string text, bool found)
    {
        Assert.Equal(found, CommandWords.IndexOf(CommandWords.Split(text), ["php", "artisan"]) >= 0);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("value(spec.x[0])", "'value(spec.x[0])'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("", "''")]
    public void Quote_QuotesOnlyWhenNeeded(string word, string quoted)
    {
        Assert.Equal(quoted, CommandWords.Quote(word));
        Assert.Equal([word], CommandWords.Split(quoted));
    }

    [Theory]
    [InlineData("imagee", "image")]
    [InlineData("lane", "lanes")]
    [InlineData("servce", "service")]
    [InlineData("prod", "production")]
    public void DidYouMean_FindsTheIntendedWord(string typo, string intended)
    {
        Assert.Equal(intended, DidYouMean.Closest(typo, ["image", "lanes", "service", "production", "staging", "kind"]));
    }

    [Fact]
    public void DidYouMean_StaysQuietWhenNothingIsClose()
    {
        Assert.Null(DidYouMean.Closest("zzzzzz", ["image", "lanes"]));
    }
}
