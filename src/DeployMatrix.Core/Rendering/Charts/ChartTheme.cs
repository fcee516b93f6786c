using System.Text;
using DeployMatrix.Core.Text;

namespace DeployMatrix.Core.Rendering.Charts;

/// <summary>
/// The chart's colours as CSS custom properties in the SVG's own style: light by default, dark under
/// <c>prefers-color-scheme: dark</c>, and either one forced by a host page with the class
/// <see cref="ForceLight"/> or <see cref="ForceDark"/> on the chart's <c>svg</c> or any element around it.
/// Series colours keep at least 3:1 contrast against their background in both themes (WCAG 1.4.11).
/// </summary>
public static class ChartTheme
{
    /// <summary>The class every chart's root <c>svg</c> carries.</summary>
    public const string RootClass = "dm-chart";

    /// <summary>Forces the light colours whatever the reader's system prefers.</summary>
    public const string ForceLight = "dm-theme-light";

    /// <summary>Forces the dark colours whatever the reader's system prefers.</summary>
    public const string ForceDark = "dm-theme-dark";

    /// <summary>How many series colours there are before they repeat.</summary>
    public const int SeriesColours = 6;

    private const string Light =
        "--dm-bg:#ffffff;--dm-fg:#1f2328;--dm-muted:#59636e;--dm-grid:#e4e8ec;--dm-axis:#818b98;" +
        "--dm-pass:#1a7f37;--dm-fail:#cf222e;--dm-warn:#9a6700;--dm-neutral:#59636e;" +
        "--dm-s0:#0969da;--dm-s1:#bc4c00;--dm-s2:#8250df;--dm-s3:#1a7f37;--dm-s4:#bf3989;--dm-s5:#57606a;";

    private const string Dark =
        "--dm-bg:#0d1117;--dm-fg:#e6edf3;--dm-muted:#9198a1;--dm-grid:#262c36;--dm-axis:#656c76;" +
        "--dm-pass:#3fb950;--dm-fail:#f85149;--dm-warn:#d29922;--dm-neutral:#9198a1;" +
        "--dm-s0:#4493f8;--dm-s1:#f0883e;--dm-s2:#ab7df8;--dm-s3:#3fb950;--dm-s4:#f778ba;--dm-s5:#9198a1;";

    /// <summary>The <c>style</c> element: colours, then the classes the writer uses.</summary>
    internal static string Style()
    {
        var css = new StringBuilder();
        css.Append("<style>\n");
        css.Append(".dm-chart{").Append(Light).Append("}\n");
        css.Append("@media (prefers-color-scheme: dark){.dm-chart{").Append(Dark).Append("}}\n");
        // Two classes outweigh the media rule's one, so a host's choice wins over the reader's system.
        css.Append(".dm-theme-light .dm-chart,.dm-chart.dm-theme-light{").Append(Light).Append("}\n");
        css.Append(".dm-theme-dark .dm-chart,.dm-chart.dm-theme-dark{").Append(Dark).Append("}\n");
        css.Append(".dm-chart text{fill:var(--dm-fg);font-family:system-ui,-apple-system,\"Segoe UI\",Helvetica,Arial,sans-serif;font-size:11px}\n");
        css.Append(".dm-chart .dm-bg{fill:var(--dm-bg)}\n");
        css.Append(".dm-chart .dm-title{font-size:14px;font-weight:600}\n");
        css.Append(".dm-chart .dm-panel-title{font-weight:600}\n");
        css.Append(".dm-chart .dm-muted{fill:var(--dm-muted)}\n");
        css.Append(".dm-chart .dm-grid{stroke:var(--dm-grid);stroke-width:1}\n");
        css.Append(".dm-chart .dm-axis{stroke:var(--dm-axis);stroke-width:1}\n");
        css.Append(".dm-chart .dm-halo{paint-order:stroke;stroke:var(--dm-bg);stroke-width:4px;stroke-linejoin:round}\n");
        css.Append(".dm-chart .dm-traffic{fill:none;stroke-width:2.5;stroke-linejoin:miter;stroke-linecap:butt}\n");
        css.Append(".dm-chart .dm-measure{fill:none;stroke-width:1.75;stroke-linejoin:round}\n");
        css.Append(".dm-chart .dm-stage{stroke-width:1;stroke-dasharray:4 3}\n");
        foreach (var (kind, colour) in new[] { ("pass", "pass"), ("fail", "fail"), ("inconclusive", "warn"), ("neutral", "neutral") })
        {
            css.Append(System.Globalization.CultureInfo.InvariantCulture, $".dm-chart .dm-stage-{kind}{{stroke:var(--dm-{colour})}} .dm-chart text.dm-stage-{kind}{{fill:var(--dm-{colour});stroke:var(--dm-bg)}}\n");
        }

        for (var i = 0; i < SeriesColours; i++)
        {
            css.Append(System.Globalization.CultureInfo.InvariantCulture, $".dm-chart .dm-s{i}{{stroke:var(--dm-s{i})}} .dm-chart .dm-f{i}{{fill:var(--dm-s{i})}}\n");
        }

        return css.Append("</style>\n").ToString();
    }

    /// <summary>Text for an XML text node or attribute: on one line (controls shown as escapes, which XML 1.0 could not hold) and with &amp;, &lt;, &gt;, quotes escaped.</summary>
    internal static string Xml(string text)
    {
        var line = UntrustedText.OneLine(text);
        var xml = new StringBuilder(line.Length);
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (char.IsHighSurrogate(c) && i + 1 < line.Length && char.IsLowSurrogate(line[i + 1]))
            {
                xml.Append(c).Append(line[++i]);
                continue;
            }

            // A lone surrogate and U+FFFE/U+FFFF are no XML characters at all: a parser would refuse the file.
            xml.Append(c switch
            {
                _ when char.IsSurrogate(c) || c is '\uFFFE' or '\uFFFF' => "\uFFFD",
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&apos;",
                _ => c.ToString(),
            });
        }

        return xml.ToString();
    }

    internal static string VerdictClass(VerdictKind kind) => kind switch
    {
        VerdictKind.Pass => "dm-stage-pass",
        VerdictKind.Fail => "dm-stage-fail",
        VerdictKind.Inconclusive => "dm-stage-inconclusive",
        _ => "dm-stage-neutral",
    };
}
