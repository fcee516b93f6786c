using DeployMatrix.Core.Loading;

namespace DeployMatrix.Core.Model;

/// <summary>Durations as the matrix writes them (500ms, 30s, 10m, 1h, 1m30s), for command-line options too.</summary>
public static class Durations
{
    public static TimeSpan? Parse(string text) => Values.ParseDuration(text);

    public static string Format(TimeSpan value) => Values.Format(value);
}
