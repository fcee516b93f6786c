using System.Globalization;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Yaml;

namespace DeployMatrix.Core.Loading;

/// <summary>
/// Reads one YAML mapping against the keys it may hold. Unknown keys, missing keys and wrong types are
/// reported with positions and the reader carries on, so a file's problems are all reported in one run.
/// </summary>
internal sealed class MapReader
{
    private readonly YMapping _map;
    private readonly DiagnosticBag _diagnostics;

    public MapReader(YMapping map, string context, DiagnosticBag diagnostics, IReadOnlyCollection<string> known)
    {
        _map = map;
        Context = context;
        _diagnostics = diagnostics;
        foreach (var pair in map.Pairs.Where(p => !known.Contains(p.Key.Value)))
        {
            diagnostics.Add(pair.Key.Pos, "unknown-key", $"unknown key '{pair.Key.Value}' in {context}{DidYouMean.Hint(pair.Key.Value, known)}");
        }
    }

    public string Context { get; }

    public SourcePos Pos => _map.Pos;

    public DiagnosticBag Diagnostics => _diagnostics;

    public bool Has(string key) => _map.Get(key) is { } node && !(node is YScalar s && s.IsNull);

    public YNode? Node(string key) => _map.Get(key);

    /// <summary>The position of a key's value, or of the mapping when the key is absent.</summary>
    public SourcePos PosOf(string key) => _map.Get(key)?.Pos ?? _map.Pos;

    public void Missing(string key, string? hint = null) =>
        _diagnostics.Add(_map.Pos, "missing-key", $"{Context} is missing '{key}'{hint}");

    public string? String(string key, bool required = false)
    {
        var node = _map.Get(key);
        if (node is null || node is YScalar { IsNull: true })
        {
            if (required)
            {
                Missing(key);
            }

            return null;
        }

        if (node is YScalar scalar)
        {
            return scalar.Value;
        }

        TypeError(key, node, "a string");
        return null;
    }

    public bool? Bool(string key)
    {
        var node = _map.Get(key);
        if (node is null or YScalar { IsNull: true })
        {
            return null;
        }

        if (node is YScalar scalar && scalar.AsBool() is { } value)
        {
            return value;
        }

        TypeError(key, node, "true or false");
        return null;
    }

    public long? Integer(string key, long min, long max)
    {
        var node = _map.Get(key);
        if (node is null or YScalar { IsNull: true })
        {
            return null;
        }

        return Values.Integer(node, $"'{key}' in {Context}", min, max, _diagnostics);
    }

    public TimeSpan? Duration(string key, TimeSpan min, TimeSpan max)
    {
        var node = _map.Get(key);
        return node is null or YScalar { IsNull: true } ? null : Values.Duration(node, $"'{key}' in {Context}", min, max, _diagnostics);
    }

    public double? Percent(string key, double min, double max)
    {
        var node = _map.Get(key);
        return node is null or YScalar { IsNull: true } ? null : Values.Percent(node, $"'{key}' in {Context}", min, max, _diagnostics);
    }

    public T? Enum<T>(string key, IReadOnlyDictionary<string, T> values)
        where T : struct
    {
        var text = String(key);
        if (text is null)
        {
            return null;
        }

        if (values.TryGetValue(text, out var value))
        {
            return value;
        }

        _diagnostics.Add(PosOf(key), "unknown-value", $"'{key}' in {Context} is '{text}', which is not known{DidYouMean.Hint(text, values.Keys)}");
        return null;
    }

    public YMapping? Mapping(string key, bool required = false)
    {
        var node = _map.Get(key);
        if (node is null or YScalar { IsNull: true })
        {
            if (required)
            {
                Missing(key);
            }

            return null;
        }

        if (node is YMapping map)
        {
            return map;
        }

        TypeError(key, node, "a mapping");
        return null;
    }

    /// <summary>A list; a single scalar is accepted as a one-item list when <paramref name="allowSingle"/>.</summary>
    public IReadOnlyList<YNode> List(string key, bool allowSingle = false)
    {
        var node = _map.Get(key);
        switch (node)
        {
            case null or YScalar { IsNull: true }:
                return [];
            case YSequence seq:
                return seq.Items;
            case YScalar when allowSingle:
                return [node];
            default:
                TypeError(key, node, "a list");
                return [];
        }
    }

    public IReadOnlyList<string> StringList(string key, bool allowSingle = false)
    {
        var result = new List<string>();
        foreach (var item in List(key, allowSingle))
        {
            if (item is YScalar { IsNull: false } s)
            {
                result.Add(s.Value);
            }
            else
            {
                _diagnostics.Add(item.Pos, "type", $"items of '{key}' in {Context} must be strings, not {item.Describe()}");
            }
        }

        return result;
    }

    /// <summary>A list of paths relative to the matrix file, each with its position for existence checks.</summary>
    public IReadOnlyList<FileRef> FileList(string key)
    {
        var result = new List<FileRef>();
        foreach (var item in List(key, allowSingle: true))
        {
            if (item is YScalar { IsNull: false } s)
            {
                result.Add(new FileRef(s.Value, s.Pos));
            }
            else
            {
                _diagnostics.Add(item.Pos, "type", $"items of '{key}' in {Context} must be paths, not {item.Describe()}");
            }
        }

        return result;
    }

    /// <summary>A mapping of names to string values (environment variables, substitutions).</summary>
    public IReadOnlyDictionary<string, string> StringMap(string key)
    {
        var map = Mapping(key);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (map is null)
        {
            return result;
        }

        foreach (var pair in map.Pairs)
        {
            if (pair.Value is YScalar s)
            {
                result[pair.Key.Value] = s.IsNull ? "" : s.Value;
            }
            else
            {
                _diagnostics.Add(pair.Value.Pos, "type", $"'{key}.{pair.Key.Value}' in {Context} must be a string, not {pair.Value.Describe()}");
            }
        }

        return result;
    }

    public void TypeError(string key, YNode node, string expected) =>
        _diagnostics.Add(node.Pos, "type", $"'{key}' in {Context} must be {expected}, not {node.Describe()}");
}

/// <summary>Scalar conversions shared by every reader; each reports its own error and returns null.</summary>
internal static class Values
{
    public static long? Integer(YNode node, string what, long min, long max, DiagnosticBag diagnostics)
    {
        if (node is not YScalar scalar || scalar.AsInteger() is not { } value)
        {
            diagnostics.Add(node.Pos, "type", $"{what} must be an integer, not {Describe(node)}");
            return null;
        }

        if (value < min || value > max)
        {
            diagnostics.Add(node.Pos, "range", $"{what} is {value}, outside {min}..{max}");
            return null;
        }

        return value;
    }

    /// <summary>Durations are written with a unit: <c>500ms</c>, <c>30s</c>, <c>10m</c>, <c>1h</c>, or combined <c>1m30s</c>.</summary>
    public static TimeSpan? Duration(YNode node, string what, TimeSpan min, TimeSpan max, DiagnosticBag diagnostics)
    {
        if (node is not YScalar scalar || Durations.Parse(scalar.Value) is not { } value)
        {
            diagnostics.Add(node.Pos, "type", $"{what} must be a duration such as 30s, 10m or 1h, not {Describe(node)}");
            return null;
        }

        if (value < min || value > max)
        {
            diagnostics.Add(node.Pos, "range", $"{what} is {Durations.Format(value)}, outside {Durations.Format(min)}..{Durations.Format(max)}");
            return null;
        }

        return value;
    }

    /// <summary>Percents are written <c>1%</c> or as a bare number meaning percent.</summary>
    public static double? Percent(YNode node, string what, double min, double max, DiagnosticBag diagnostics)
    {
        double? value = null;
        if (node is YScalar scalar)
        {
            var text = scalar.Value.Trim();
            if (text.EndsWith('%') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && double.IsFinite(p))
            {
                value = p;
            }
            else
            {
                value = scalar.AsNumber();
            }
        }

        if (value is null)
        {
            diagnostics.Add(node.Pos, "type", $"{what} must be a percent such as 1% or 20%, not {Describe(node)}");
            return null;
        }

        if (value < min || value > max)
        {
            diagnostics.Add(node.Pos, "range", $"{what} is {value.Value.ToString(CultureInfo.InvariantCulture)}%, outside {min.ToString(CultureInfo.InvariantCulture)}%..{max.ToString(CultureInfo.InvariantCulture)}%");
            return null;
        }

        return value;
    }

    private static string Describe(YNode node) => node is YScalar s && !s.IsNull ? $"'{s.Value}'" : node.Describe();
}
