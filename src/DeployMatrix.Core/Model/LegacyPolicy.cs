using DeployMatrix.Core.Diagnostics;

namespace DeployMatrix.Core.Model;

/// <summary>What is frozen: forbidden commands, legacy asset patterns and the only paths where legacy assets may live.</summary>
public sealed record LegacyPolicy
{
    public static readonly LegacyPolicy Empty = new();

    public IReadOnlyList<ForbiddenCommand> Commands { get; init; } = [];

    /// <summary>Glob patterns (relative to the repository root) that identify legacy deploy assets.</summary>
    public IReadOnlyList<string> Assets { get; init; } = [];

    /// <summary>Folders (relative to the repository root) where legacy assets are allowed to remain.</summary>
    public IReadOnlyList<string> Archived { get; init; } = [];
}

/// <summary>A command that must not appear in canonical lanes or in the repository's scripts.</summary>
public sealed record ForbiddenCommand(string Command, string Why, SourcePos Pos)
{
    public IReadOnlyList<string> Words { get; } = CommandWords.Split(Command);
}
