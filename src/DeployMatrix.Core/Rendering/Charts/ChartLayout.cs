namespace DeployMatrix.Core.Rendering.Charts;

/// <summary>A rectangle in SVG user units (y grows downwards).</summary>
internal readonly record struct Box(double X, double Y, double Width, double Height)
{
    public double Right => X + Width;

    public double Bottom => Y + Height;

    /// <summary>True when the two share area (touching edges do not count).</summary>
    public bool Overlaps(Box other) => X < other.Right && other.X < Right && Y < other.Bottom && other.Y < Bottom;
}

/// <summary>
/// Text measured without a font engine (the chart is written without IO): a generous average advance per
/// character, so laid-out text is never wider than its box in common sans-serif fonts.
/// </summary>
internal static class TextMetrics
{
    // A sans-serif font's average advance is about 0.5–0.55 em; digits and capitals run wider, so 0.62 leaves room.
    public const double AdvancePerEm = 0.62;

    public static double Width(string text, double fontSize) => text.Length * fontSize * AdvancePerEm;

    /// <summary>The text cut to fit a width (at a word's end when one is in the second half), ending in "…" when cut; whole when it fits.</summary>
    public static string Fit(string text, double width, double fontSize)
    {
        if (Width(text, fontSize) <= width)
        {
            return text;
        }

        var chars = Math.Max(0, (int)Math.Floor((width / (fontSize * AdvancePerEm)) + 1e-9) - 1);
        var cut = text[..Math.Min(chars, text.Length)];
        // At a word's end when one is near, so no word is left half-read.
        var space = cut.LastIndexOf(' ');
        return (space > chars / 2 ? cut[..space] : cut).TrimEnd() + "…";
    }
}

/// <summary>One legend entry placed: its whole box (swatch and text) and where its text starts.</summary>
internal sealed record LegendEntry(int Series, string Text, Box Box, double TextX);

/// <summary>One stage label placed: its row (0 is nearest the plot), its box and how its text is anchored.</summary>
internal sealed record StageLabel(int Stage, string Text, int Row, Box Box, bool AnchorEnd);

/// <summary>Where legend entries and stage labels go, so that none of them overlaps another or the data.</summary>
internal static class ChartLayout
{
    public const double SwatchWidth = 16, SwatchGap = 5, EntryGap = 18;

    /// <summary>
    /// Legend entries in rows left to right, a new row whenever the next entry (measured) would pass
    /// <paramref name="width"/>; an entry wider than a whole row is shortened with "…". Rows are
    /// <paramref name="rowHeight"/> apart from <paramref name="top"/>.
    /// </summary>
    /// <returns>The entries and the legend's height (rows × row height; zero without entries).</returns>
    public static (IReadOnlyList<LegendEntry> Entries, double Height) Legend(IReadOnlyList<string> texts, double left, double top, double width, double fontSize, double rowHeight)
    {
        var entries = new List<LegendEntry>();
        double x = left, row = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            var text = TextMetrics.Fit(texts[i], width - SwatchWidth - SwatchGap, fontSize);
            var w = SwatchWidth + SwatchGap + TextMetrics.Width(text, fontSize);
            if (x > left && x + w > left + width)
            {
                (x, row) = (left, row + 1);
            }

            entries.Add(new LegendEntry(i, text, new Box(x, top + (row * rowHeight), w, rowHeight), x + SwatchWidth + SwatchGap));
            x += w + EntryGap;
        }

        return (entries, entries.Count == 0 ? 0 : (row + 1) * rowHeight);
    }

    /// <summary>
    /// Stage labels beside their boundary lines: starting just right of the line, or ending just left of it
    /// where the plot's right edge would cut it; each in the lowest row where it overlaps no label already
    /// placed (with a gap), so labels of stages close in time are staggered upwards. Rows are counted from the
    /// plot upwards; a box's Y is its row's offset above the plot (row × height), to be flipped by the caller.
    /// </summary>
    public static IReadOnlyList<StageLabel> StageLabels(IReadOnlyList<(double X, string Text)> stages, double left, double right, double fontSize, double rowHeight)
    {
        const double pad = 4, gap = 8;
        var placed = new List<StageLabel>();
        foreach (var (stage, i) in stages.Select((s, i) => (s, i)).OrderBy(s => s.s.X))
        {
            var text = TextMetrics.Fit(stage.Text, right - left - pad, fontSize);
            var w = TextMetrics.Width(text, fontSize);
            var anchorEnd = stage.X + pad + w > right;
            var x = anchorEnd ? Math.Max(left, stage.X - pad - w) : stage.X + pad;
            for (var row = 0; ; row++)
            {
                var box = new Box(x, row * rowHeight, w, rowHeight);
                var wide = box with { X = box.X - (gap / 2), Width = box.Width + gap };
                if (!placed.Any(p => p.Box.Overlaps(wide)))
                {
                    placed.Add(new StageLabel(i, text, row, box, anchorEnd));
                    break;
                }
            }
        }

        return [.. placed.OrderBy(p => p.Stage)];
    }
}
