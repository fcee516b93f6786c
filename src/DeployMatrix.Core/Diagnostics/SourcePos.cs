namespace DeployMatrix.Core.Diagnostics;

/// <summary>A 1-based line and column in a matrix file.</summary>
public readonly record struct SourcePos(int Line, int Column)
{
    public static readonly SourcePos None = new(0, 0);

    public bool IsKnown => Line > 0;

    public override string ToString() => $"{Line}:{Column}";
}
