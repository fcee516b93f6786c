namespace DeployMatrix.Cli.Common;

/// <summary>A command line that cannot be right: one line with the fix, exit 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The matrix is not valid; its diagnostics are printed already, and the command exits 2.</summary>
internal sealed class InvalidMatrix() : Exception("the matrix is not valid");
