using System.Globalization;
using System.Text;

namespace DeployMatrix.Core.Rendering.Charts;

/// <summary>How a timeline chart is drawn.</summary>
public sealed record TimelineChartOptions
{
    /// <summary>The chart's width in CSS pixels; its height follows from the legend, the stage labels and the panels.</summary>
    /// <value>The default is 760; below 360 the panels are too narrow to read, so 360 is used.</value>
    public double Width { get; init; } = 760;
}

/// <summary>
/// A <see cref="TimelineChart"/> as a standalone SVG document (also fit to inline in HTML): a title, a legend in
/// rows above the plot, stage labels staggered above the plot, then three panels over one time axis — traffic
/// (step lines, 0/50/100 %), error rate (%) and p95 latency (ms) — with every stage boundary drawn through them.
/// Pure: no IO, and the same chart gives the same text.
/// </summary>
public static class TimelineChartSvg
{
    private const double Left = 56, Right = 28, FontSize = 11, LegendRow = 18, StageRow = 15, TitleRow = 24, PanelGap = 10, TimeTickSpacing = 72;
    private const int MaxMarkers = 80;

    private sealed record Panel(string Title, string Unit, double Height, Func<RevisionSeries, IReadOnlyList<TimedValue>> Values, bool Steps);

    private static readonly Panel[] Panels =
    [
        new("traffic (%)", "%", 130, r => r.TrafficPercent, Steps: true),
        new("error rate (%)", "%", 80, r => r.ErrorRatePercent, Steps: false),
        new("p95 latency (ms)", " ms", 80, r => r.P95Ms, Steps: false),
    ];

    /// <summary>The chart as SVG text (UTF-8 when written; no XML declaration needed).</summary>
    public static string Render(TimelineChart chart, TimelineChartOptions? options = null)
    {
        var width = Math.Max(360, (options ?? new TimelineChartOptions()).Width);
        var plotRight = width - Right;
        var end = EndOf(chart);
        var x = new Scale(0, end.TotalSeconds, Left, plotRight);

        var (legend, legendHeight) = ChartLayout.Legend([.. chart.Revisions.Select(LegendText)], Left, 32, plotRight - Left, FontSize, LegendRow);
        var stageTop = 32 + legendHeight + (legendHeight > 0 ? 4 : 0);
        var labels = ChartLayout.StageLabels([.. chart.Stages.Select(s => (x.Map(s.At.TotalSeconds), LabelText(s)))], Left, plotRight, FontSize, StageRow);
        var stageRows = labels.Count == 0 ? 0 : labels.Max(l => l.Row) + 1;
        var cursor = stageTop + (stageRows * StageRow);
        var tops = new double[Panels.Length];
        for (var i = 0; i < Panels.Length; i++)
        {
            cursor += TitleRow;
            tops[i] = cursor;
            cursor += Panels[i].Height + PanelGap;
        }

        var plotBottom = cursor - PanelGap;
        var height = plotBottom + 44;

        var svg = new StringBuilder();
        var title = ChartTheme.Xml(chart.Title);
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"{ChartTheme.RootClass}\" width=\"{width:0.#}\" height=\"{height:0.#}\" viewBox=\"0 0 {width:0.#} {height:0.#}\" role=\"img\" aria-label=\"{title}\">\n"));
        svg.Append(Invariant($"<title>{title}</title>\n<desc>{ChartTheme.Xml(Description(chart))}</desc>\n"));
        svg.Append(ChartTheme.Style());
        svg.Append("<rect class=\"dm-bg\" width=\"100%\" height=\"100%\"/>\n");
        svg.Append(Invariant($"<text class=\"dm-title\" x=\"{Left:0.#}\" y=\"22\">{title}</text>\n"));
        WriteLegend(svg, legend);

        var timeStep = ChartTicks.TimeStep(end, Math.Max(2, (int)((plotRight - Left) / TimeTickSpacing) + 1));
        var timeTicks = ChartTicks.TimeTicks(end, timeStep);
        for (var i = 0; i < Panels.Length; i++)
        {
            WritePanel(svg, chart, Panels[i], x, tops[i], timeTicks);
        }

        WriteTimeAxis(svg, chart, x, plotBottom, timeTicks, timeStep);
        WriteStages(svg, chart, labels, stageTop, stageRows, plotBottom, x);
        return svg.Append("</svg>\n").ToString();
    }

    /// <summary>Where the time axis ends: the chart's end, else its latest point or stage; at least a second.</summary>
    private static TimeSpan EndOf(TimelineChart chart)
    {
        var latest = chart.Revisions.SelectMany(r => r.TrafficPercent.Concat(r.ErrorRatePercent).Concat(r.P95Ms)).Select(v => v.At)
            .Concat(chart.Stages.Select(s => s.At)).DefaultIfEmpty(TimeSpan.Zero).Max();
        var end = chart.End ?? latest;
        return end < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : end;
    }

    private static string LegendText(RevisionSeries r) => r.Role is { Length: > 0 } role ? $"{role} {r.Name}" : r.Name;

    /// <summary>"5% PASS", "rollback PASS", "25% FAIL — quota exceeded" (a long detail shortened).</summary>
    internal static string LabelText(StageMarker s)
    {
        var parts = new List<string>();
        if (s.Name is { Length: > 0 } name)
        {
            parts.Add(name);
        }

        if (s.WeightPercent is { } w)
        {
            parts.Add(Invariant($"{w}%"));
        }

        parts.Add(s.Verdict);
        var text = string.Join(' ', parts);
        return s.Detail is { Length: > 0 } detail ? $"{text} — {TextMetrics.Fit(detail, 24 * FontSize * TextMetrics.AdvancePerEm, FontSize)}" : text;
    }

    private static string Description(TimelineChart chart)
    {
        var revisions = string.Join(", ", chart.Revisions.Select(LegendText));
        var stages = string.Join("; ", chart.Stages.OrderBy(s => s.At).Select(s => $"{LabelText(s)} at {ChartTicks.Relative(s.At)}"));
        return $"Traffic, error rate and p95 latency per revision over time: {revisions}." + (stages.Length > 0 ? $" Stages: {stages}." : "");
    }

    private static void WriteLegend(StringBuilder svg, IReadOnlyList<LegendEntry> legend)
    {
        foreach (var e in legend)
        {
            var mid = e.Box.Y + (e.Box.Height / 2);
            var series = e.Series % ChartTheme.SeriesColours;
            svg.Append(Invariant($"<g class=\"dm-legend-entry\"><line class=\"dm-traffic dm-s{series}\" x1=\"{e.Box.X:0.#}\" y1=\"{mid:0.#}\" x2=\"{e.Box.X + ChartLayout.SwatchWidth:0.#}\" y2=\"{mid:0.#}\"/>"));
            svg.Append(Invariant($"<text x=\"{e.TextX:0.#}\" y=\"{mid + 4:0.#}\">{ChartTheme.Xml(e.Text)}</text></g>\n"));
        }
    }

    private static void WritePanel(StringBuilder svg, TimelineChart chart, Panel panel, Scale x, double top, IReadOnlyList<TimeSpan> timeTicks)
    {
        var bottom = top + panel.Height;
        var max = chart.Revisions.SelectMany(panel.Values).Select(v => v.Value).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        // Headroom above the highest measurement, so its line does not run along the panel's top edge.
        IReadOnlyList<double> ticks = panel.Steps ? [0, 50, 100] : ChartTicks.ValueTicks(max * 1.1, 4);
        var y = new Scale(0, ticks[^1], bottom, top);
        svg.Append(Invariant($"<g class=\"dm-panel\" data-panel=\"{ChartTheme.Xml(panel.Title)}\">\n"));
        svg.Append(Invariant($"<text class=\"dm-panel-title dm-halo\" x=\"{Left:0.#}\" y=\"{top - 9:0.#}\">{panel.Title}</text>\n"));
        foreach (var t in timeTicks)
        {
            svg.Append(Invariant($"<line class=\"dm-grid\" x1=\"{x.Map(t.TotalSeconds):0.#}\" y1=\"{top:0.#}\" x2=\"{x.Map(t.TotalSeconds):0.#}\" y2=\"{bottom:0.#}\"/>\n"));
        }

        var step = ticks.Count > 1 ? ticks[1] - ticks[0] : 1;
        foreach (var v in ticks)
        {
            svg.Append(Invariant($"<line class=\"{(v == 0 ? "dm-axis" : "dm-grid")}\" x1=\"{Left:0.#}\" y1=\"{y.Map(v):0.#}\" x2=\"{x.Pixel1:0.#}\" y2=\"{y.Map(v):0.#}\"/>"));
            svg.Append(Invariant($"<text class=\"dm-muted\" x=\"{Left - 6:0.#}\" y=\"{y.Map(v) + 4:0.#}\" text-anchor=\"end\">{ChartTicks.Value(v, step)}</text>\n"));
        }

        svg.Append(Invariant($"<line class=\"dm-axis\" x1=\"{Left:0.#}\" y1=\"{top:0.#}\" x2=\"{Left:0.#}\" y2=\"{bottom:0.#}\"/>\n"));
        var drawn = 0;
        for (var i = 0; i < chart.Revisions.Count; i++)
        {
            var revision = chart.Revisions[i];
            var values = panel.Values(revision);
            var series = i % ChartTheme.SeriesColours;
            var name = ChartTheme.Xml(revision.Name);
            if (panel.Steps)
            {
                // Equal shares of two revisions (50/50) would hide one line under the other: each sits a little apart.
                var offset = (i - ((chart.Revisions.Count - 1) / 2.0)) * 2.5;
                var points = ChartGeometry.StepPoints(values, EndOf(chart), x, y, offset);
                drawn += points.Count;
                if (points.Count > 0)
                {
                    svg.Append(Invariant($"<path class=\"dm-traffic dm-s{series}\" data-revision=\"{name}\" d=\"{PathData(points)}\"/>\n"));
                }

                continue;
            }

            var line = ChartGeometry.LinePoints(values, x, y);
            drawn += line.Count;
            if (line.Count > 1)
            {
                svg.Append(Invariant($"<path class=\"dm-measure dm-s{series}\" data-revision=\"{name}\" d=\"{PathData(line)}\"/>\n"));
            }

            if (line.Count <= MaxMarkers)
            {
                var sorted = values.Where(v => double.IsFinite(v.Value)).OrderBy(v => v.At).ToList();
                for (var j = 0; j < line.Count && j < sorted.Count; j++)
                {
                    var label = Invariant($"{LegendText(revision)}: {ChartTicks.Value(sorted[j].Value, step / 10)}{panel.Unit} at {ChartTicks.Relative(sorted[j].At)}");
                    svg.Append(Invariant($"<circle class=\"dm-f{series}\" cx=\"{line[j].X:0.#}\" cy=\"{line[j].Y:0.#}\" r=\"2.5\"><title>{ChartTheme.Xml(label)}</title></circle>\n"));
                }
            }
        }

        if (drawn == 0)
        {
            svg.Append(Invariant($"<text class=\"dm-muted\" x=\"{(Left + x.Pixel1) / 2:0.#}\" y=\"{top + (panel.Height / 2) + 4:0.#}\" text-anchor=\"middle\">nothing measured</text>\n"));
        }

        svg.Append("</g>\n");
    }

    private static void WriteTimeAxis(StringBuilder svg, TimelineChart chart, Scale x, double bottom, IReadOnlyList<TimeSpan> ticks, TimeSpan step)
    {
        var clock = chart.Labels == TimeLabels.Clock && chart.Start is not null;
        svg.Append("<g class=\"dm-time-axis\">\n");
        foreach (var t in ticks)
        {
            var px = x.Map(t.TotalSeconds);
            var label = clock ? ChartTicks.Clock(chart.Start!.Value, t, step) : ChartTicks.Relative(t);
            svg.Append(Invariant($"<line class=\"dm-axis\" x1=\"{px:0.#}\" y1=\"{bottom:0.#}\" x2=\"{px:0.#}\" y2=\"{bottom + 4:0.#}\"/>"));
            svg.Append(Invariant($"<text class=\"dm-muted dm-time-tick\" x=\"{px:0.#}\" y=\"{bottom + 16:0.#}\" text-anchor=\"middle\">{label}</text>\n"));
        }

        var caption = clock ? "time (UTC)" : chart.Start is { } start ? $"time since {start.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC" : "time since start";
        svg.Append(Invariant($"<text class=\"dm-muted\" x=\"{x.Pixel1:0.#}\" y=\"{bottom + 34:0.#}\" text-anchor=\"end\">{caption}</text>\n</g>\n"));
    }

    private static void WriteStages(StringBuilder svg, TimelineChart chart, IReadOnlyList<StageLabel> labels, double stageTop, int rows, double bottom, Scale x)
    {
        svg.Append("<g class=\"dm-stages\">\n");
        var rowTop = (int row) => stageTop + ((rows - 1 - row) * StageRow);
        foreach (var l in labels)
        {
            var s = chart.Stages[l.Stage];
            var px = x.Map(s.At.TotalSeconds);
            svg.Append(Invariant($"<line class=\"dm-stage {ChartTheme.VerdictClass(s.Kind)}\" x1=\"{px:0.#}\" y1=\"{rowTop(l.Row) + 2:0.#}\" x2=\"{px:0.#}\" y2=\"{bottom:0.#}\"/>\n"));
        }

        // Labels after every line, each with a halo, so no line runs through a label's letters.
        foreach (var l in labels)
        {
            var s = chart.Stages[l.Stage];
            var textX = l.AnchorEnd ? l.Box.Right : l.Box.X;
            var tip = s.Detail is { Length: > 0 } d ? $"{LabelText(s with { Detail = null })} — {d}" : LabelText(s);
            svg.Append(Invariant($"<text class=\"dm-stage-label dm-halo {ChartTheme.VerdictClass(s.Kind)}\" x=\"{textX:0.#}\" y=\"{rowTop(l.Row) + 11:0.#}\"{(l.AnchorEnd ? " text-anchor=\"end\"" : "")}>"));
            svg.Append(Invariant($"<title>{ChartTheme.Xml(tip)}</title>{ChartTheme.Xml(l.Text)}</text>\n"));
        }

        svg.Append("</g>\n");
    }

    private static string PathData(IReadOnlyList<(double X, double Y)> points) =>
        "M" + string.Join(" L", points.Select(p => Invariant($"{p.X:0.##},{p.Y:0.##}")));

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
