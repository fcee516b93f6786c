using System.Globalization;
using System.Net;
using System.Text;
using DeployMatrix.Engine.Rollout;

namespace DeployMatrix.Web.Rollouts;

/// <summary>
/// The rollout page's chart (<c>/rollouts/LANE/ENV/chart.svg</c>): the series the dashboard sampled (traffic per
/// revision, 5xx rate and p95 per revision, one point a second) with the stages. The one place the page meets the
/// chart code: until the shared timeline chart is in, it writes the series as a plain list in an SVG.
/// </summary>
internal static class RolloutChart
{
    /// <summary>Points listed, newest last: the last 20 (the page's table has the stage's totals).</summary>
    private const int Listed = 20;

    /// <summary>An SVG (UTF-8 text) of <paramref name="points"/>, the rollout's samples oldest first.</summary>
    public static string Render(RolloutFigures rollout, IReadOnlyList<SeriesPoint> points)
    {
        var lines = new List<string>
        {
            $"rollout #{rollout.Id} of {rollout.Lane} in {rollout.Env}: {rollout.State} at {rollout.Stage}% — {points.Count} sample(s), one a second while watched",
        };
        foreach (var point in points.TakeLast(Listed))
        {
            var revisions = point.Revisions.Select(r => string.Create(CultureInfo.InvariantCulture,
                $"{Role(rollout, r.Revision)} {r.Percent}% {r.Requests} req {r.ErrorRatePercent:0.##}% 5xx p95 {r.P95Ms:0.#} ms"));
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{point.At.UtcDateTime:HH:mm:ss}Z stage {point.Stage}%: {string.Join(" · ", revisions)}"));
        }

        const int lineHeight = 16;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"rollout #{rollout.Id} series\" width=\"760\" height=\"{(lines.Count * lineHeight) + 12}\" font-family=\"ui-monospace, monospace\" font-size=\"11\">");
        svg.Append("<style>text{fill:#1b1f24}@media (prefers-color-scheme: dark){text{fill:#e6edf3}}</style>");
        for (var i = 0; i < lines.Count; i++)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{(i + 1) * lineHeight}\">{WebUtility.HtmlEncode(lines[i])}</text>");
        }

        return svg.Append("</svg>").ToString();
    }

    private static string Role(RolloutFigures rollout, string revision) =>
        revision == rollout.Canary ? $"canary {revision}" : revision == rollout.Stable ? $"stable {revision}" : revision;
}
