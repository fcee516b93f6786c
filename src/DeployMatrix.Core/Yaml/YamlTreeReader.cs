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
    /// <summary>Parses one YAML document. Returns null (with diagnostics) when the text is not valid YAML.</summary>
    public static YNode? Read(string text, DiagnosticBag diagnostics)
    {
        var anchors = new Dictionary<string, YNode>(StringComparer.Ordinal);
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
            var root = ReadNode(parser, anchors, diagnostics);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var second))
            {
                diagnostics.Add(PosOf(second), "yaml", "a matrix file holds one YAML document; remove the '---' separator and what follows");
            }

            return root;
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

    private static YNode ReadNode(IParser parser, Dictionary<string, YNode> anchors, DiagnosticBag diagnostics)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (anchors.TryGetValue(alias.Value.Value, out var target))
            {
                return target;
            }

            diagnostics.Add(PosOf(alias), "yaml", $"unknown alias '*{alias.Value.Value}'");
            return new YScalar(PosOf(alias), "", Plain: true);
        }

        YNode node;
        AnchorName anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            // An explicit !!str tag makes a plain scalar a string, as a quoted one is.
            var plain = scalar.Style == ScalarStyle.Plain && scalar.Tag.IsEmpty;
            node = new YScalar(PosOf(scalar), scalar.Value, plain);
            anchor = scalar.Anchor;
        }
        else if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            var items = new List<YNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadNode(parser, anchors, diagnostics));
            }

            node = new YSequence(PosOf(seqStart), items);
            anchor = seqStart.Anchor;
        }
        else
        {
            var mapStart = parser.Consume<MappingStart>();
            node = ReadMapping(parser, anchors, diagnostics, PosOf(mapStart));
            anchor = mapStart.Anchor;
        }

        if (!anchor.IsEmpty)
        {
            anchors[anchor.Value] = node;
        }

        return node;
    }

    private static YMapping ReadMapping(IParser parser, Dictionary<string, YNode> anchors, DiagnosticBag diagnostics, SourcePos pos)
    {
        var pairs = new List<YPair>();
        var seen = new Dictionary<string, SourcePos>(StringComparer.Ordinal);
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            var keyNode = ReadNode(parser, anchors, diagnostics);
            var value = ReadNode(parser, anchors, diagnostics);
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
