using System.Globalization;
using System.Xml.Linq;
using DeployMatrix.Core.Rendering.Charts;

namespace DeployMatrix.Core.Tests.Rendering.Charts;

public sealed class TimelineChartSvgTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static TimelineChart Drill(string canaryName = "web-00002") => new()
    {
        Title = "Canary drill of web-staging (staging)",
        Revisions =
        [
            new RevisionSeries("web-00001") { Role = "stable", TrafficPercent = [new(S(0), 100), new(S(2), 95), new(S(12), 75), new(S(22), 100)] },
            new RevisionSeries(canaryName)
            {
                Role = "canary",
                TrafficPercent = [new(S(0), 0), new(S(2), 5), new(S(12), 25), new(S(22), 0)],
                ErrorRatePercent = [new(S(7), 0.5), new(S(12), 2.5)],
                P95Ms = [new(S(7), 25), new(S(12), 250)],
            },
        ],
        Stages =
        [
            new StageMarker(S(2), "PASS", VerdictKind.Pass) { WeightPercent = 5 },
            new StageMarker(S(12), "FAIL", VerdictKind.Fail) { WeightPercent = 25, Detail = "error rate 2.5% above the 1% gate" },
            new StageMarker(S(22), "PASS", VerdictKind.Pass) { Name = "rollback" },
        ],
        End = S(30),
    };

    [Fact]
    public void TheChart_IsWellFormedSvg_WithAnAccessibleName()
    {
        var doc = XDocument.Parse(TimelineChartSvg.Render(Drill()));

        var root = doc.Root!;
        Assert.Equal(Svg + "svg", root.Name);
        Assert.Equal("img", root.Attribute("role")?.Value);
        Assert.Equal("Canary drill of web-staging (staging)", root.Attribute("aria-label")?.Value);
        Assert.Equal("Canary drill of web-staging (staging)", root.Element(Svg + "title")?.Value);
        Assert.Contains("25% FAIL", root.Element(Svg + "desc")?.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Traffic_IsDrawnAsStepsWithMiterJoins_OnePathPerRevision()
    {
        var svg = TimelineChartSvg.Render(Drill());
        var paths = XDocument.Parse(svg).Descendants(Svg + "path").Where(p => Class(p).Contains("dm-traffic")).ToList();

        Assert.Equal(["web-00001", "web-00002"], paths.Select(p => p.Attribute("data-revision")?.Value));
        foreach (var path in paths)
        {
            var points = Points(path.Attribute("d")!.Value);
            Assert.Equal(8, points.Count); // 4 values: 3 changes, each a hold and a step, and the last hold
            Assert.All(points.Zip(points.Skip(1)), s => Assert.True(s.First.X == s.Second.X || s.First.Y == s.Second.Y, $"slanted segment {s}"));
        }

        Assert.Contains(".dm-traffic{fill:none;stroke-width:2.5;stroke-linejoin:miter", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void StageLabels_NameWeightAndVerdict()
    {
        var labels = XDocument.Parse(TimelineChartSvg.Render(Drill())).Descendants(Svg + "text").Where(t => Class(t).Contains("dm-stage-label")).ToList();

        Assert.Equal(["5% PASS", "25% FAIL — error rate 2.5% above…", "rollback PASS"], labels.Select(l => string.Concat(l.Nodes().OfType<XText>().Select(n => n.Value))));
        Assert.Equal("25% FAIL — error rate 2.5% above the 1% gate", labels[1].Element(Svg + "title")?.Value);
        Assert.Contains("dm-stage-fail", Class(labels[1]), StringComparison.Ordinal);
    }

    [Fact]
    public void TheTimeAxis_HasRoundRelativeTicks()
    {
        var ticks = XDocument.Parse(TimelineChartSvg.Render(Drill())).Descendants(Svg + "text").Where(t => Class(t).Contains("dm-time-tick"));

        Assert.Equal(["+0s", "+5s", "+10s", "+15s", "+20s", "+25s", "+30s"], ticks.Select(t => t.Value));
    }

    [Fact]
    public void ClockLabels_NameUtcTimes()
    {
        var chart = Drill() with { Labels = TimeLabels.Clock, Start = new DateTimeOffset(2026, 12, 1, 18, 0, 0, TimeSpan.Zero) };

        var ticks = XDocument.Parse(TimelineChartSvg.Render(chart)).Descendants(Svg + "text").Where(t => Class(t).Contains("dm-time-tick"));

        Assert.Equal("18:00:00", ticks.First().Value);
        Assert.Equal("18:00:30", ticks.Last().Value);
    }

    [Fact]
    public void ARevisionsName_IsEscaped_NeverMarkup()
    {
        var svg = TimelineChartSvg.Render(Drill("a<b&\"c\u001b[31m"));

        var doc = XDocument.Parse(svg);
        Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value == "canary a<b&\"c\\u001b[31m");
        Assert.Contains(doc.Descendants(Svg + "path"), p => p.Attribute("data-revision")?.Value == "a<b&\"c\\u001b[31m");
        Assert.Contains("a&lt;b&amp;&quot;c", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("a<b", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Colours_FollowTheReadersScheme_UnlessTheHostForcesOne()
    {
        var style = XDocument.Parse(TimelineChartSvg.Render(Drill())).Descendants(Svg + "style").Single().Value;

        Assert.Contains("@media (prefers-color-scheme: dark){.dm-chart{--dm-bg:#0d1117", style, StringComparison.Ordinal);
        Assert.Contains($".{ChartTheme.ForceDark} .dm-chart,.dm-chart.{ChartTheme.ForceDark}{{--dm-bg:#0d1117", style, StringComparison.Ordinal);
        Assert.Contains($".{ChartTheme.ForceLight} .dm-chart,.dm-chart.{ChartTheme.ForceLight}{{--dm-bg:#ffffff", style, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLegend_SitsAboveThePlot()
    {
        var doc = XDocument.Parse(TimelineChartSvg.Render(Drill(new string('n', 150)), new TimelineChartOptions { Width = 400 }));

        var legendBottom = doc.Descendants(Svg + "g").Where(g => Class(g) == "dm-legend-entry").SelectMany(g => g.Elements(Svg + "text")).Max(t => Num(t, "y"));
        var plotTop = doc.Descendants(Svg + "g").Where(g => Class(g) == "dm-panel").SelectMany(g => g.Elements(Svg + "line")).Min(l => Num(l, "y1"));
        var labelsTop = doc.Descendants(Svg + "text").Where(t => Class(t).Contains("dm-stage-label")).Min(t => Num(t, "y") - 11);
        Assert.True(legendBottom < labelsTop && labelsTop < plotTop, $"legend ends at {legendBottom}, labels start at {labelsTop}, plot at {plotTop}");
    }

    [Fact]
    public void NothingMeasured_IsSaid_NotDrawnAsZero()
    {
        var svg = TimelineChartSvg.Render(new TimelineChart { Title = "empty", Revisions = [new RevisionSeries("r")] });

        Assert.Equal(3, XDocument.Parse(svg).Descendants(Svg + "text").Count(t => t.Value == "nothing measured"));
    }

    private static string Class(XElement e) => e.Attribute("class")?.Value ?? "";

    private static double Num(XElement e, string attribute) => double.Parse(e.Attribute(attribute)!.Value, CultureInfo.InvariantCulture);

    private static List<(double X, double Y)> Points(string d) =>
        [.. d.TrimStart('M').Split(" L").Select(p => p.Split(',')).Select(p => (double.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[1], CultureInfo.InvariantCulture)))];

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);
}
