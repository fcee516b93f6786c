using DeployMatrix.Core.Rendering.Charts;

namespace DeployMatrix.Core.Tests.Rendering.Charts;

public sealed class ChartLayoutTests
{
    [Fact]
    public void StageLabelsCloseInTime_AreStaggeredIntoRows_AndNeverOverlap()
    {
        (double, string)[] stages = [(100, "5% PASS"), (104, "25% FAIL — quota exceeded"), (110, "50% PASS"), (400, "100% PASS"), (700, "rollback PASS")];

        var labels = ChartLayout.StageLabels(stages, 50, 720, 11, 15);

        Assert.Equal([0, 1, 2, 0, 0], labels.Select(l => l.Row));
        foreach (var a in labels)
        {
            Assert.All(labels.Where(b => b != a), b => Assert.False(a.Box.Overlaps(b.Box), $"'{a.Text}' overlaps '{b.Text}'"));
        }
    }

    [Fact]
    public void AStageLabelNearTheRightEdge_EndsAtItsLine_InsideThePlot()
    {
        var label = Assert.Single(ChartLayout.StageLabels([(715, "rollback PASS")], 50, 720, 11, 15));

        Assert.True(label.AnchorEnd);
        Assert.True(label.Box.Right <= 715 && label.Box.X >= 50);
    }

    [Fact]
    public void LegendEntries_WrapIntoRowsByMeasuredWidth_AndNeverOverlap()
    {
        string[] texts = ["stable openagents-control-service-staging-00001-abc", "canary openagents-control-service-staging-00002-def", "x", "another-revision-with-a-long-name"];

        var (entries, height) = ChartLayout.Legend(texts, 50, 30, 400, 11, 18);

        Assert.Equal(4, entries.Count);
        Assert.True(height >= 3 * 18, $"expected at least three rows, got {height / 18}");
        Assert.All(entries, e => Assert.True(e.Box.X >= 50 && e.Box.Right <= 450, $"'{e.Text}' leaves the legend's width"));
        Assert.All(entries, e => Assert.True(e.Box.Width >= TextMetrics.Width(e.Text, 11), "box narrower than its text"));
        foreach (var a in entries)
        {
            Assert.All(entries.Where(b => b != a), b => Assert.False(a.Box.Overlaps(b.Box), $"'{a.Text}' overlaps '{b.Text}'"));
        }
    }

    [Fact]
    public void ALegendEntryWiderThanARow_IsShortenedToFit()
    {
        var (entries, _) = ChartLayout.Legend([new string('r', 200)], 0, 0, 300, 11, 18);

        var entry = Assert.Single(entries);
        Assert.EndsWith("…", entry.Text, StringComparison.Ordinal);
        Assert.True(entry.Box.Right <= 300);
    }
}
