using DeployMatrix.Core.Rendering;

namespace DeployMatrix.Core.Tests.Rendering;

public sealed class LineDiffTests
{
    [Fact]
    public void IdenticalTexts_HaveNoDiff()
    {
        Assert.Equal("", LineDiff.Unified("a\nb\n", "a\nb\n", "x", "y"));
    }

    [Fact]
    public void ChangedLine_IsShownAsAUnifiedHunkWithContext()
    {
        var before = string.Join('\n', Enumerable.Range(1, 10).Select(i => $"line {i}")) + "\n";
        var after = before.Replace("line 5\n", "line five\n", StringComparison.Ordinal);

        var diff = LineDiff.Unified(before, after, "DOC.md", "rendered");

        Assert.Equal(
            "--- DOC.md\n+++ rendered\n@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+line five\n line 6\n line 7\n line 8\n",
            diff);
    }

    [Fact]
    public void DistantChanges_GetSeparateHunks()
    {
        var before = string.Join('\n', Enumerable.Range(1, 30).Select(i => $"l{i}")) + "\n";
        var after = before.Replace("l2\n", "L2\n", StringComparison.Ordinal).Replace("l28\n", "L28\n", StringComparison.Ordinal);

        var diff = LineDiff.Unified(before, after, "a", "b");

        Assert.Equal(2, diff.Split('\n').Count(l => l.StartsWith("@@", StringComparison.Ordinal)));
        Assert.Contains("-l2\n+L2\n", diff, StringComparison.Ordinal);
        Assert.Contains("-l28\n+L28\n", diff, StringComparison.Ordinal);
    }

    [Fact]
    public void InsertedAndRemovedLines_AreMarked()
    {
        var diff = LineDiff.Unified("a\nb\nc\n", "a\nc\nd\n", "old", "new");

        Assert.Equal("--- old\n+++ new\n@@ -1,3 +1,3 @@\n a\n-b\n c\n+d\n", diff);
    }
}
