namespace DeployMatrix.Cli.Common;

/// <summary>A bad argument found after parsing (exit 2); the message says how to fix it.</summary>
internal sealed class UsageException(string message) : Exception(message);
