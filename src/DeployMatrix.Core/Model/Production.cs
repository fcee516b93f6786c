namespace DeployMatrix.Core.Model;

/// <summary>
/// Which environments are production, for the confirmation a change there asks for at a terminal: the environment the
/// release gate promotes into (<c>gate.to</c>), and any environment named <c>production</c> or <c>prod</c>.
/// </summary>
public static class Production
{
    public static bool Is(Matrix matrix, string environment) =>
        string.Equals(environment, matrix.Gate?.To, StringComparison.Ordinal) || environment is "production" or "prod";
}
