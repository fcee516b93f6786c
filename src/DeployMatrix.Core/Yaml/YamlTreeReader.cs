using DeployMatrix.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace DeployMatrix.Core.Yaml;

/// <summary>
/// Builds a <see cref="YNode"/> tree from YAML text with positions on every node. Reads parser events
/// directly (not the object model) so duplicate keys become diagnostics instead of exceptions.
/// </summary>
public static class YamlTreeReader
{
    /// <summary>
    /// The deepest nesting a matrix may have, counting aliases at the depth they are used. Reading (and every
    /// later walk of the tree) recurses once per level, so an unbounded depth lets a small file (60 KB of
    /// <c>[</c>) overflow the stack and kill the process; a real matrix is under 10 levels deep.
    /// </summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// The most nodes a file may stand for, counting each alias as the whole tree it repeats. An alias is
    /// read once and shared, but every later walk (the readers, the JSON Schema's view) visits it where it is
    /// used, so nine levels of aliases each repeating the one before ten times stand for 10⁹ nodes in a few
    /// hundred bytes. A real matrix is a few thousand nodes.
    /// </summary>
    public const int MaxNodes = 100_000;

    /// <summary>Stops reading at the first node past a bound; caught in <see cref="Read"/>.</summary>
    private sealed class TooBig(SourcePos pos, string message) : Exception(message)
    {
        public SourcePos Pos { get; } = pos;
    }

    /// <summary>An anchored node with the levels it spans and the nodes it stands for, counted where it is used.</summary>
    private readonly record struct Anchored(YNode Node, int Height, long Size);

    /// <summary>What one read carries: anchors, diagnostics, the flow collections open now and the nodes read so far.</summary>
    private sealed class ReadState(DiagnosticBag diagnostics)
    {
        public Dictionary<string, Anchored> Anchors { get; } = new(StringComparer.Ordinal);

        public DiagnosticBag Diagnostics { get; } = diagnostics;

        /// <summary>The <c>[</c> and <c>{</c> not yet closed, innermost last: what an unexpected end of the file points at.</summary>
        public Stack<(SourcePos Pos, char Opening)> OpenFlows { get; } = new();

        public long Nodes { get; set; }
    }

    /// <summary>Parses one YAML document. Returns null (with diagnostics) when the text is not valid YAML.</summary>
    public static YNode? Read(string text, DiagnosticBag diagnostics)
    {
        var state = new ReadState(diagnostics);
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
            var root = ReadNode(parser, state, 1, out _, out _);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var second))
            {
                diagnostics.Add(PosOf(second), "yaml", "a matrix file holds one YAML document; remove the '---' separator and what follows");
            }

            return root;
        }
        catch (TooBig e)
        {
            diagnostics.Add(e.Pos, "yaml", e.Message);
            return null;
        }
        catch (YamlException e)
        {
            var (pos, message) = YamlSyntaxErrors.Describe(text, e, state.OpenFlows.Count > 0 ? state.OpenFlows.Peek() : null);
            diagnostics.Add(pos, "yaml", message);
            return null;
        }
        catch (InvalidOperationException)
        {
            // The scanner gives up without a YamlException on some unterminated flow collections.
            var at = parser.Current?.End ?? Mark.Empty;
            var (pos, message) = YamlSyntaxErrors.Unterminated(
                new SourcePos(Math.Max(1, (int)at.Line), Math.Max(1, (int)at.Column)), state.OpenFlows.Count > 0 ? state.OpenFlows.Peek() : null);
            diagnostics.Add(pos, "yaml", message);
            return null;
        }
    }

    /// <param name="depth">The level of the node about to be read (the document's root is 1).</param>
    /// <param name="height">How many levels the node read spans (a scalar: 1).</param>
    /// <param name="size">How many nodes it stands for, aliases expanded (a scalar: 1).</param>
    private static YNode ReadNode(IParser parser, ReadState state, int depth, out int height, out long size)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (state.Anchors.TryGetValue(alias.Value.Value, out var target))
            {
                // An alias puts its whole anchored tree here: its levels count from this depth, its nodes once more.
                (height, size) = (target.Height, target.Size);
                if (depth + height - 1 > MaxDepth)
                {
                    throw new TooBig(PosOf(alias), $"nesting deeper than {MaxDepth} levels");
                }

                Count(state, size, PosOf(alias), $"alias '*{alias.Value.Value}'");
                return target.Node;
            }

            state.Diagnostics.Add(PosOf(alias), "yaml", $"unknown alias '*{alias.Value.Value}'");
            (height, size) = (1, 1);
            return new YScalar(PosOf(alias), "", Plain: true);
        }

        if (depth > MaxDepth)
        {
            throw new TooBig(parser.Current is { } deep ? PosOf(deep) : new SourcePos(1, 1), $"nesting deeper than {MaxDepth} levels");
        }

        YNode node;
        AnchorName anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            // An explicit !!str tag makes a plain scalar a string, as a quoted one is.
            var plain = scalar.Style == ScalarStyle.Plain && scalar.Tag.IsEmpty;
            node = new YScalar(PosOf(scalar), scalar.Value, plain);
            anchor = scalar.Anchor;
            (height, size) = (1, 1);
            Count(state, 1, node.Pos, null);
        }
        else if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            Open(state, seqStart, seqStart.Style == SequenceStyle.Flow, '[');
            var items = new List<YNode>();
            (var inner, size) = (0, 1L);
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                items.Add(ReadNode(parser, state, depth + 1, out var itemHeight, out var itemSize));
                (inner, size) = (Math.Max(inner, itemHeight), size + itemSize);
            }

            Close(state, seqStart.Style == SequenceStyle.Flow);
            node = new YSequence(PosOf(seqStart), items);
            anchor = seqStart.Anchor;
            height = inner + 1;
            Count(state, 1, node.Pos, null);
        }
        else
        {
            var mapStart = parser.Consume<MappingStart>();
            Open(state, mapStart, mapStart.Style == MappingStyle.Flow, '{');
            node = ReadMapping(parser, state, PosOf(mapStart), depth, out height, out size);
            Close(state, mapStart.Style == MappingStyle.Flow);
            anchor = mapStart.Anchor;
            Count(state, 1, node.Pos, null);
        }

        if (!anchor.IsEmpty)
        {
            state.Anchors[anchor.Value] = new Anchored(node, height, size);
        }

        return node;
    }

    private static YMapping ReadMapping(IParser parser, ReadState state, SourcePos pos, int depth, out int height, out long size)
    {
        // Written pairs, and the values of '<<' where they stand; merged keys are filled in once every written key is known.
        var entries = new List<(YPair? Pair, YNode? Merge)>();
        var seen = new Dictionary<string, SourcePos>(StringComparer.Ordinal);
        (var inner, size) = (0, 1L);
        while (!parser.TryConsume<MappingEnd>(out _))
        {
            var keyNode = ReadNode(parser, state, depth + 1, out var keyHeight, out var keySize);
            var value = ReadNode(parser, state, depth + 1, out var valueHeight, out var valueSize);
            (inner, size) = (Math.Max(inner, Math.Max(keyHeight, valueHeight)), size + keySize + valueSize);
            if (keyNode is not YScalar key)
            {
                state.Diagnostics.Add(keyNode.Pos, "yaml", $"a key must be a plain word, not {keyNode.Describe()}");
                continue;
            }

            if (key.Value == "<<" && key.Plain)
            {
                entries.Add((null, value));
                continue;
            }

            if (seen.TryGetValue(key.Value, out var first))
            {
                state.Diagnostics.Add(key.Pos, "duplicate-key", $"duplicate key '{key.Value}' (first defined at line {first.Line}:{first.Column})");
                continue;
            }

            seen[key.Value] = key.Pos;
            entries.Add((new YPair(key, value), null));
        }

        var pairs = new List<YPair>();
        var taken = new HashSet<string>(seen.Keys, StringComparer.Ordinal);
        foreach (var (pair, merge) in entries)
        {
            if (pair is not null)
            {
                pairs.Add(pair);
            }
            else
            {
                MergeInto(pairs, taken, merge!, state.Diagnostics);
            }
        }

        height = inner + 1;
        return new YMapping(pos, pairs);
    }

    /// <summary>
    /// YAML's merge key (<c>&lt;&lt;: *defaults</c>, yaml.org/type/merge): the merged mappings' keys stand where
    /// <c>&lt;&lt;</c> stands, except those the mapping writes itself — wherever they are written — and, in a
    /// list of mappings, those an earlier mapping of the list already gave.
    /// </summary>
    private static void MergeInto(List<YPair> pairs, HashSet<string> taken, YNode source, DiagnosticBag diagnostics)
    {
        IEnumerable<YNode> sources = source is YSequence seq ? seq.Items : [source];
        foreach (var item in sources)
        {
            if (item is not YMapping map)
            {
                diagnostics.Add(item.Pos, "yaml", "'<<' merges a mapping (or a list of mappings)");
                continue;
            }

            pairs.AddRange(map.Pairs.Where(p => taken.Add(p.Key.Value)));
        }
    }

    /// <summary>Adds the nodes one node stands for to the file's count; past <see cref="MaxNodes"/> the read stops there.</summary>
    private static void Count(ReadState state, long nodes, SourcePos pos, string? alias)
    {
        state.Nodes += nodes;
        if (state.Nodes > MaxNodes)
        {
            throw new TooBig(pos, alias is null
                ? $"the matrix has more than {MaxNodes} nodes; a matrix is a few thousand"
                : $"{alias} makes the matrix stand for more than {MaxNodes} nodes (aliases of aliases multiply what they repeat); write the repeated values out, or alias fewer of them");
        }
    }

    private static void Open(ReadState state, ParsingEvent start, bool flow, char opening)
    {
        if (flow)
        {
            state.OpenFlows.Push((PosOf(start), opening));
        }
    }

    private static void Close(ReadState state, bool flow)
    {
        if (flow)
        {
            state.OpenFlows.Pop();
        }
    }

    private static SourcePos PosOf(ParsingEvent e) => new((int)e.Start.Line, (int)e.Start.Column);
}
