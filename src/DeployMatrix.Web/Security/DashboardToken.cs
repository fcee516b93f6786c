using System.Security.Cryptography;
using System.Text;

namespace DeployMatrix.Web.Security;

/// <summary>
/// The dashboard's bearer token: 32 random bytes as hex, printed once at start and kept in
/// <c>.deploymatrix/dashboard.json</c> (mode 0600) like the agent's. Comparisons take the same time
/// whatever the guess, so a wrong token reveals nothing of the right one.
/// </summary>
public sealed class DashboardToken
{
    private readonly byte[] _token;
    private readonly Func<string?> _agentToken;

    /// <param name="token">The dashboard's own token.</param>
    /// <param name="agentToken">The local agent's token now (read from its agent.json), or null when no agent runs: it opens the dashboard too.</param>
    public DashboardToken(string token, Func<string?> agentToken)
    {
        Value = token;
        _token = Encoding.UTF8.GetBytes(token);
        _agentToken = agentToken;
    }

    /// <summary>The token as printed (64 hex characters).</summary>
    public string Value { get; }

    public static DashboardToken New(Func<string?> agentToken) => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)), agentToken);

    /// <summary>Whether <paramref name="presented"/> is the dashboard's token or the running agent's.</summary>
    public bool Accepts(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        var bytes = Encoding.UTF8.GetBytes(presented);
        return CryptographicOperations.FixedTimeEquals(bytes, _token)
            || (_agentToken() is { Length: > 0 } agent && CryptographicOperations.FixedTimeEquals(bytes, Encoding.UTF8.GetBytes(agent)));
    }
}
