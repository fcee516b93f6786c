namespace DeployMatrix.Engine.Gate;

/// <summary>Replaces known secret values with *** in anything written to logs, evidence or the terminal.</summary>
public sealed class Redactor
{
    private readonly List<string> _secrets = [];
    private readonly Lock _lock = new();

    public const string Mask = "***";

    public void Add(string secret)
    {
        // Very short values would redact ordinary words; tokens are long.
        if (secret.Length < 4)
        {
            return;
        }

        lock (_lock)
        {
            if (!_secrets.Contains(secret))
            {
                _secrets.Add(secret);
                _secrets.Sort((a, b) => b.Length.CompareTo(a.Length));
            }
        }
    }

    public string Apply(string text)
    {
        lock (_lock)
        {
            foreach (var secret in _secrets)
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }
}
