namespace DeployMatrix.Core.Model;

/// <summary>
/// A log entry's severity, with Cloud Logging's numbers (google.logging.type.LogSeverity: DEFAULT 0, DEBUG 100 …
/// EMERGENCY 800), so "at or above" is a comparison of numbers on both platforms.
/// </summary>
public enum LogSeverity
{
    Default = 0,
    Debug = 100,
    Info = 200,
    Notice = 300,
    Warning = 400,
    Error = 500,
    Critical = 600,
    Alert = 700,
    Emergency = 800,
}

/// <summary>Severity names as Cloud Logging writes them (upper case), and the level words local logs use for them.</summary>
public static class LogSeverities
{
    /// <summary>The names a matrix may write for <c>severity</c>, lowest first.</summary>
    public static readonly IReadOnlyList<string> Names = [.. Enum.GetValues<LogSeverity>().Select(Name)];

    /// <summary>The Cloud Logging name: <c>ERROR</c>, <c>WARNING</c>.</summary>
    public static string Name(LogSeverity severity) => severity.ToString().ToUpperInvariant();

    /// <summary>
    /// A severity from its name or a common level word (case-insensitive): Cloud Logging's names, and the words
    /// log libraries print for them (<c>warn</c>, <c>err</c>, <c>fatal</c>, <c>trace</c>); null for anything else.
    /// </summary>
    public static LogSeverity? Parse(string word) => word.ToUpperInvariant() switch
    {
        "DEFAULT" => LogSeverity.Default,
        "TRACE" or "DEBUG" => LogSeverity.Debug,
        "INFO" or "INFORMATION" => LogSeverity.Info,
        "NOTICE" => LogSeverity.Notice,
        "WARN" or "WARNING" => LogSeverity.Warning,
        "ERR" or "ERROR" => LogSeverity.Error,
        "CRIT" or "CRITICAL" or "FATAL" => LogSeverity.Critical,
        "ALERT" => LogSeverity.Alert,
        "EMERG" or "EMERGENCY" or "PANIC" => LogSeverity.Emergency,
        _ => null,
    };
}
