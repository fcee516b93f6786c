namespace DeployMatrix.Core;

/// <summary>The fixed exit codes of every command.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A step, check or gate failed (no-go), a guard found something, or a document is stale.</summary>
    public const int Failed = 1;

    /// <summary>Bad arguments or a bad matrix; nothing was changed.</summary>
    public const int BadInput = 2;

    /// <summary>A frozen legacy lane or command was refused (EX_CONFIG, as the upstream scripts used).</summary>
    public const int FrozenLegacy = 78;
}
