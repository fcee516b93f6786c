using System.Text.RegularExpressions;
using DeployMatrix.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace DeployMatrix.Core.Yaml;

/// <summary>
/// Builds a <see cref="YNode"/> tree from YAML text with positions on every node. Reads parser events
/// directly (not the object model) so duplicate keys become diagnostics instead of exceptions.
/// </summary>
public static partial class YamlTreeReader
{
    /// <summary>
    /// The deepest nesting a matrix may have, counting aliases at the depth they are used. Reading (and every
    /// later walk of the tree) recurses once per level, so an unbounded depth lets a small file (60 KB of
    /// <c>[</c>) overflow the stack and kill the process; a real matrix is under 10 levels deep.
    /// </summary>
    public const int MaxDepth = 64;

    /// <summary>Stops reading at the first node past <see cref="MaxDepth"/>; caught in <see cref="Read"/>.</summary>
    private sealed class TooDeep(SourcePos pos) : Exception
    {
        public SourcePos Pos { get; } = pos;
    }

    /// <summary>Parses one YAML document. Returns null (with diagnostics) when the text is not valid YAML.</summary>
    public static YNode? Read(string text, DiagnosticBag diagnostics)
    {
        var anchors = new Dictionary<string, (YNode Node, int Height)>(StringComparer.Ordinal);
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.TryConsume<StreamEnd>(out _))
            {
                diagnostics.Add(new SourcePos(1, 1), "empty", "the matrix file is empty");
                return null;
            }

            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, anchors, diagnostics, 1, out _);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var second))
            {
                diagnostics.Add(PosOf(second), "yaml", "a matrix file holds one YAML document; remove the '---' separator and what follows");
            }

            return root;
        }
        catch (TooDeep e)
        {
            diagnostics.Add(e.Pos, "yaml", $"nesting deeper than {MaxDepth} levels");
            return null;
        }
        catch (YamlException e)
        {
            diagnostics.Add(new SourcePos((int)e.Start.Line, (int)e.Start.Column), "yaml", Clean(e.Message));
            return null;
        }
        catch (InvalidOperationException)
        {
            // The scanner gives up without a YamlException on some unterminated flow collections.
            var at = parser.Current?.End ?? Mark.Empty;
            diagnostics.Add(new SourcePos(Math.Max(1, (int)at.Line), Math.Max(1, (int)at.Column)), "yaml",
                "invalid YAML: cannot parse what follows; look for an unclosed '{', '[' or quote");
            return null;
        }
    }

    /// <param name="depth">The level of the node about to be read (the document's root is 1).</param>
    /// <param name="height">How many levels the node read spans (a scalar: 1).</param>
    private static YNode ReadNode(IParser parser, Dictionary<string, (YNode Node, int Height)> anchors, DiagnosticBag diagnostics, int depth, out int height)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (anchors.TryGetValue(alias.Value.Value, out var target))
            {
                // An alias puts its whole anchored tree here: its levels count from this depth.
                height = target.Height;
                return depth + height - 1 > MaxDepth ? throw new TooDeep(PosOf(alias)) : target.Node;
            }

            diagnostics.Add(PosOf(alias), "yaml", $"unknown alias '*{alias.Value.Value}'");
            height = 1;
            return new YScalar(PosOf(alias), "", Plain: true);
        }

        if (depth > MaxDepth)
        {
            throw new TooDeep(parser.Current is { } deep ? PosOf(deep) : new SourcePos(1, 1));
        }

        YNode node;
        AnchorName anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            // An explicit !!str tag makes a plain scalar a string, as a quoted one is.
            var plain = scalar.Style == ScalarStyle.Plain && scalar.Tag.IsEmpty;
            node = new YScalar(PosOf(scalar), scalar.Value, plain);
            anchor = scalar.Anchor;
            height = 1;
        }
        else if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            var items = new List<YNode>();
            var inner = 0;
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadNode(parser, anchors, diagnostics, depth + 1, out var itemHeight));
                inner = Math.Max(inner, itemHeight);
            }

            node = new YSequence(PosOf(seqStart), items);
            anchor = seqStart.Anchor;
            height = inner + 1;
        }
        else
        {
            var mapStart = parser.Consume<MappingStart>();
            node = ReadMapping(parser, anchors, diagnostics, PosOf(mapStart), depth, out height);
            anchor = mapStart.Anchor;
        }

        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = (node, height);
        }

        return node;
    }

    private static YMapping ReadMapping(IParser parser, Dictionary<string, (YNode Node, int Height)> anchors, DiagnosticBag diagnostics, SourcePos pos, int depth, out int height)
    {
        var pairs = new List<YPair>();
        var seen = new Dictionary<string, SourcePos>(StringComparer.Ordinal);
        var inner = 0;
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            var keyNode = ReadNode(parser, anchors, diagnostics, depth + 1, out var keyHeight);
            var value = ReadNode(parser, anchors, diagnostics, depth + 1, out var valueHeight);
            inner = Math.Max(inner, Math.Max(keyHeight, valueHeight));
            if (keyNode is not YScalar key)
            {
                diagnostics.Add(keyNode.Pos, "yaml", $"a key must be a plain word, not {keyNode.Describe()}");
                continue;
            }

            if (key.Value == "<<" && key.Plain)
            {
                MergeInto(pairs, seen, value, diagnostics);
                continue;
            }

            if (seen.TryGetValue(key.Value, out var first))
            {
                diagnostics.Add(key.Pos, "duplicate-key", $"duplicate key '{key.Value}' (first defined at line {first.Line}:{first.Column})");
                continue;
            }

            seen[key.Value] = key.Pos;
            pairs.Add(new YPair(key, value));
        }

        height = inner + 1;
        return new YMapping(pos, pairs);
    }

    /// <summary>YAML merge keys (<c>&lt;&lt;: *defaults</c>): explicit keys win over merged ones.</summary>
    private static void MergeInto(List<YPair> pairs, Dictionary<string, SourcePos> seen, YNode source, DiagnosticBag diagnostics)
    {
        IEnumerable<YNode> sources = source is YSequence seq ? seq.Items : [source];
        foreach (var item in sources)
        {
            if (item is not YMapping map)
            {
                diagnostics.Add(item.Pos, "yaml", "'<<' merges a mapping (or a list of mappings)");
                continue;
            }

            foreach (var pair in map.Pairs.Where(p => !seen.ContainsKey(p.Key.Value)))
            {
                seen[pair.Key.Value] = pair.Key.Pos;
                pairs.Add(pair);
            }
        }
    }

    private static SourcePos PosOf(ParsingEvent e) => new((int)e.Start.Line, (int)e.Start.Column);

    /// <summary>YamlDotNet prefixes its messages with "(Line: 3, Col: 5, Idx: 40) - (…): "; the position is printed by us.</summary>
    private static string Clean(string message)
    {
        var text = PositionPrefix().Replace(message, "").Trim();
        if (text.Length == 0)
        {
            return "invalid YAML";
        }

        return "invalid YAML: " + char.ToLowerInvariant(text[0]) + text[1..].TrimEnd('.');
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\):\s*")]
    private static partial Regex PositionPrefix();
}
