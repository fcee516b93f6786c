using System.Text;

namespace DeployMatrix.Core.Rendering;

/// <summary>A unified line diff (like <c>diff -u</c>) so a stale document shows exactly what changed.</summary>
public static class LineDiff
{
    private const int Context = 3;

    /// <summary>Largest LCS table computed; beyond it the changed middle is shown as removed then added.</summary>
    private const long MaxCells = 16_000_000;

    public static string Unified(string expected, string actual, string expectedName, string actualName)
    {
        var a = SplitLines(expected);
        var b = SplitLines(actual);
        var ops = Diff(a, b);
        if (ops.All(o => o.Kind == ' '))
        {
            return "";
        }

        var text = new StringBuilder();
        text.Append("--- ").Append(expectedName).Append('\n');
        text.Append("+++ ").Append(actualName).Append('\n');
        foreach (var hunk in Hunks(ops))
        {
            text.Append(hunk);
        }

        return text.ToString();
    }

    private static string[] SplitLines(string text) =>
        text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n');

    private readonly record struct Op(char Kind, string Line, int A, int B);

    private static List<Op> Diff(string[] a, string[] b)
    {
        var prefix = 0;
        while (prefix < a.Length && prefix < b.Length && a[prefix] == b[prefix])
        {
            prefix++;
        }

        var suffix = 0;
        while (suffix < a.Length - prefix && suffix < b.Length - prefix && a[^(suffix + 1)] == b[^(suffix + 1)])
        {
            suffix++;
        }

        var ops = new List<Op>();
        for (var i = 0; i < prefix; i++)
        {
            ops.Add(new Op(' ', a[i], i, i));
        }

        var am = a[prefix..^suffix];
        var bm = b[prefix..^suffix];
        if ((long)am.Length * bm.Length <= MaxCells)
        {
            Lcs(am, bm, prefix, ops);
        }
        else
        {
            ops.AddRange(am.Select((l, i) => new Op('-', l, prefix + i, prefix)));
            ops.AddRange(bm.Select((l, i) => new Op('+', l, prefix + am.Length, prefix + i)));
        }

        for (var i = 0; i < suffix; i++)
        {
            ops.Add(new Op(' ', a[a.Length - suffix + i], a.Length - suffix + i, b.Length - suffix + i));
        }

        return ops;
    }

    private static void Lcs(string[] a, string[] b, int offset, List<Op> ops)
    {
        var table = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                table[i, j] = a[i] == b[j] ? table[i + 1, j + 1] + 1 : Math.Max(table[i + 1, j], table[i, j + 1]);
            }
        }

        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                ops.Add(new Op(' ', a[x], offset + x++, offset + y++));
            }
            else if (x < a.Length && (y == b.Length || table[x + 1, y] >= table[x, y + 1]))
            {
                // Removals before additions, as diff -u prints them.
                ops.Add(new Op('-', a[x], offset + x++, offset + y));
            }
            else
            {
                ops.Add(new Op('+', b[y], offset + x, offset + y++));
            }
        }
    }

    private static IEnumerable<string> Hunks(List<Op> ops)
    {
        var i = 0;
        while (i < ops.Count)
        {
            if (ops[i].Kind == ' ')
            {
                i++;
                continue;
            }

            var start = Math.Max(0, i - Context);
            var end = i;
            // Extend while the next change is within two context windows, so nearby changes share a hunk.
            while (end < ops.Count)
            {
                var next = ops.FindIndex(end, o => o.Kind != ' ');
                if (next < 0 || next - end > 2 * Context && end != i)
                {
                    break;
                }

                end = next + 1;
                while (end < ops.Count && ops[end].Kind != ' ')
                {
                    end++;
                }
            }

            var stop = Math.Min(ops.Count, end + Context);
            var slice = ops.GetRange(start, stop - start);
            var aCount = slice.Count(o => o.Kind != '+');
            var bCount = slice.Count(o => o.Kind != '-');
            var text = new StringBuilder();
            text.Append($"@@ -{slice[0].A + (aCount == 0 ? 0 : 1)},{aCount} +{slice[0].B + (bCount == 0 ? 0 : 1)},{bCount} @@\n");
            foreach (var op in slice)
            {
                text.Append(op.Kind).Append(op.Line).Append('\n');
            }

            yield return text.ToString();
            i = stop;
        }
    }
}
