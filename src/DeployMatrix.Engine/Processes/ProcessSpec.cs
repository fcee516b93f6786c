namespace DeployMatrix.Engine.Processes;

/// <summary>
/// A child process to run: a program and its arguments as an array (never through a shell), where it
/// runs, and what it sees. Everything a caller may want of a child — its lines as they come, a log file,
/// a bound — is said here, so every child process of DeployMatrix is started and stopped one way.
/// </summary>
public sealed record ProcessSpec
{
    /// <summary>The program: a path, or a name looked up on <see cref="SearchPath"/> (else this process's PATH).</summary>
    public required string Program { get; init; }

    public IReadOnlyList<string> Args { get; init; } = [];

    public required string WorkingDirectory { get; init; }

    /// <summary>Variables set on top of the inherited environment (see <see cref="InheritEnvironment"/>); a null value removes the variable.</summary>
    public IReadOnlyDictionary<string, string?> Env { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// True (the default): the child starts with this process's whole environment and <see cref="Env"/> on
    /// top — right for the operator's own tools (build commands, gate <c>command:</c> checks, git, a binary
    /// lane's <c>run</c>, the agent itself), which need the operator's credentials and settings. False: the
    /// child sees <see cref="Env"/> and nothing else — how a revision or job starts, as on Cloud Run (the local
    /// platform's allow-list is its revision environment).
    /// </summary>
    public bool InheritEnvironment { get; init; } = true;

    /// <summary>Called with every line the child prints, as it arrives (from any thread, one line at a time).</summary>
    public Action<ProcessLine>? OnLine { get; init; }

    /// <summary>Every line is appended to this file as well (created with its folder).</summary>
    public string? LogPath { get; init; }

    /// <summary>
    /// When set, each line in <see cref="LogPath"/> starts with the time it arrived, UTC to the millisecond, and a
    /// space (<c>2026-02-21T10:15:00.123Z …</c>): how a revision's log says when, for the gate's log probes.
    /// </summary>
    public TimeProvider? LogTimestamps { get; init; }

    /// <value>True (the default) keeps standard output and error in the result; long-running children that write a log turn it off.</value>
    public bool Capture { get; init; } = true;

    /// <summary>How long the child may run before it is stopped and the result says so; null (the default) is no bound.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <value>How long a child gets between SIGINT and having its process tree killed; the default is 5 seconds.</value>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The PATH the program is looked up on when its name has no '/'; null: this process's own.</summary>
    public string? SearchPath { get; init; }

    /// <summary>The command as one line for messages: the program and its arguments, space-separated.</summary>
    public override string ToString() => string.Join(' ', Args.Prepend(Program));
}

/// <summary>One line a child printed; <see cref="IsError"/> when it came on standard error.</summary>
public sealed record ProcessLine(bool IsError, string Text);

/// <summary>How a child ended.</summary>
public enum ProcessEnd
{
    /// <summary>It exited by itself; <see cref="ProcessResult.ExitCode"/> is its own.</summary>
    Exited,

    /// <summary>It ran past <see cref="ProcessSpec.Timeout"/> and was stopped (SIGINT, grace, then the tree killed).</summary>
    TimedOut,
}

/// <summary>A finished child: its exit code, what it printed (when captured), and how long it ran.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr, TimeSpan Duration, ProcessEnd End)
{
    public bool TimedOut => End == ProcessEnd.TimedOut;

    /// <summary>The last non-empty line of standard error, else the exit code: where most tools say what went wrong.</summary>
    public string LastError => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? $"exit {ExitCode}";
}

/// <summary>The child could not be started at all (no such program, not executable).</summary>
public sealed class ProcessStartException(string program, string reason) : Exception($"cannot run '{program}': {reason}")
{
    public string Program { get; } = program;

    /// <summary>Why, as the system said it (e.g. "No such file or directory").</summary>
    public string Reason { get; } = reason;
}
