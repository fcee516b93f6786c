using DeployMatrix.Core.Text;

namespace DeployMatrix.Core.Tests.Text;

/// <summary>Text from outside stays on its line and inside its Markdown cell or code span, and sends no terminal escape.</summary>
public sealed class UntrustedTextTests
{
    [Theory]
    [InlineData("plain text, ünïcode ✓", "plain text, ünïcode ✓")]
    [InlineData("a\nb\r\tc", @"a\nb\r\tc")]
    [InlineData("\u001b[31mred\u007f\u0085", @"\u001b[31mred\u007f\u0085")]
    [InlineData("admin\u202Eexe.txt", @"admin\u202eexe.txt")]
    [InlineData("line\u2028sep", @"line\u2028sep")]
    public void OneLine_EscapesControlsSeparatorsAndBidiOverrides(string text, string shown) =>
        Assert.Equal(shown, UntrustedText.OneLine(text));

    [Fact]
    public void Lines_KeepsLinesAndTabs_ButEscapesWhatATerminalWouldActOn() =>
        Assert.Equal("one\r\n\ttwo\n\\u001b[2J".Replace("\r\n", "\n", StringComparison.Ordinal), UntrustedText.Lines("one\r\n\ttwo\n\u001b[2J"));

    [Fact]
    public void Markdown_EscapesWhatWouldOpenEmphasisCodeLinksHtmlOrACell() =>
        Assert.Equal(@"a \| b \*c\* \_d\_ \`e\` \[f\](g) \<h\> \~i\~ \\ x", UntrustedText.Markdown(@"a | b *c* _d_ `e` [f](g) <h> ~i~ \ x"));

    [Theory]
    [InlineData("rev-1", "`rev-1`")]
    [InlineData("a`b", "``a`b``")]
    [InlineData("`x``", "``` `x`` ```")]
    [InlineData("a|b\nc", @"`a\|b\nc`")]
    public void MarkdownCode_IsFencedLongerThanAnyRunOfBackticksInside(string text, string shown) =>
        Assert.Equal(shown, UntrustedText.MarkdownCode(text));

    [Fact]
    public void AShellComment_CannotEndItsLine() =>
        Assert.Equal(@"# ok\nrm -rf ~", UntrustedText.ShellComment("ok\nrm -rf ~"));
}
