using System.Globalization;
using DeployMatrix.Core.Diagnostics;

namespace DeployMatrix.Core.Yaml;

/// <summary>A YAML node that remembers where it was written, so every later check can point at it.</summary>
public abstract record YNode(SourcePos Pos)
{
    /// <summary>What a user would call this node in an error message.</summary>
    public abstract string Describe();
}

/// <summary>A scalar. <paramref name="Plain"/> is false for quoted and block scalars, which are always strings.</summary>
public sealed record YScalar(SourcePos Pos, string Value, bool Plain) : YNode(Pos)
{
    public bool IsNull => Plain && Value is "" or "~" or "null" or "Null" or "NULL";

    public bool? AsBool() => Plain
        ? Value switch
        {
            "true" or "True" or "TRUE" => true,
            "false" or "False" or "FALSE" => false,
            _ => null,
        }
        : null;

    public long? AsInteger() =>
        Plain && long.TryParse(Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null;

    public double? AsNumber() =>
        Plain && double.TryParse(Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? d : null;

    public override string Describe()
    {
        if (IsNull)
        {
            return "null";
        }

        if (AsBool() is not null)
        {
            return "a boolean";
        }

        return AsNumber() is not null ? "a number" : "a string";
    }
}

public sealed record YSequence(SourcePos Pos, IReadOnlyList<YNode> Items) : YNode(Pos)
{
    public override string Describe() => "a list";
}

public sealed record YPair(YScalar Key, YNode Value);

public sealed record YMapping(SourcePos Pos, IReadOnlyList<YPair> Pairs) : YNode(Pos)
{
    public override string Describe() => "a mapping";

    public YNode? Get(string key) => Pairs.FirstOrDefault(p => p.Key.Value == key)?.Value;
}
