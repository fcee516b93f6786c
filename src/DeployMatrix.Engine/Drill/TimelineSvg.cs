using System.Globalization;
using System.Security;
using System.Text;

namespace DeployMatrix.Engine.Drill;

/// <summary>A two-panel SVG: traffic % per revision (top) and error rate per revision (bottom) over the drill's time.</summary>
internal static class TimelineSvg
{
    private const int Width = 720, PanelHeight = 160, Left = 60, Right = 20, Top = 30, Gap = 50;
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

    public static string Render(DrillResult result)
    {
        var revisions = new[] { result.Stable, result.Canary };
        var maxT = Math.Max(1, result.Samples.Count == 0 ? 1 : result.Samples[^1].Seconds);
        var maxErr = Math.Max(1, result.Samples.SelectMany(s => s.ErrorRatePercent.Values).DefaultIfEmpty(0).Max());
        var height = Top + (2 * PanelHeight) + Gap + 40;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        svg.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        Panel(svg, "traffic %", Top, 100, maxT);
        Panel(svg, "error rate %", Top + PanelHeight + Gap, maxErr, maxT);
        for (var i = 0; i < revisions.Length; i++)
        {
            var color = Colors[i % Colors.Length];
            var name = revisions[i];
            Line(svg, result.Samples.Select(s => (s.Seconds, (double)s.Traffic.GetValueOrDefault(name))), Top, 100, maxT, color);
            Line(svg, result.Samples.Select(s => (s.Seconds, s.ErrorRatePercent.GetValueOrDefault(name))), Top + PanelHeight + Gap, maxErr, maxT, color);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (i * 300)}\" y=\"{height - 10}\" fill=\"{color}\">■ {(i == 0 ? "stable" : "canary")} {SecurityElement.Escape(name)}</text>\n");
        }

        return svg.Append("</svg>\n").ToString();
    }

    private static void Panel(StringBuilder svg, string title, int top, double maxY, double maxT)
    {
        var bottom = top + PanelHeight;
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{top - 8}\" font-weight=\"bold\">{title}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{bottom}\" x2=\"{Width - Right}\" y2=\"{bottom}\" stroke=\"#888\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{top}\" x2=\"{Left}\" y2=\"{bottom}\" stroke=\"#888\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{top + 4}\" text-anchor=\"end\">{maxY:0.#}</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{bottom}\" text-anchor=\"end\">0</text>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right}\" y=\"{bottom + 14}\" text-anchor=\"end\">{maxT:0.#} s</text>\n");
    }

    private static void Line(StringBuilder svg, IEnumerable<(double T, double Y)> points, int top, double maxY, double maxT, string color)
    {
        var coords = points.Select(p => string.Create(CultureInfo.InvariantCulture,
            $"{Left + (p.T / maxT * (Width - Left - Right)):0.#},{top + PanelHeight - (p.Y / maxY * PanelHeight):0.#}")).ToList();
        if (coords.Count > 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', coords)}\"/>\n");
        }
    }
}
