using DeployMatrix.Core;

namespace DeployMatrix.Engine;

/// <summary>
/// An operation refused or failed for a reason people can act on: the message is one line with the fix,
/// and <see cref="ExitCode"/> is what the command exits with (<see cref="ExitCodes"/>).
/// </summary>
public class OperationException(string message, int exitCode = ExitCodes.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
