namespace DeployMatrix.Cli;

/// <summary>What a command may touch outside itself: its output streams, working folder and clock. Tests pass their own.</summary>
internal sealed record CliContext(TextWriter Out, TextWriter Err, string WorkingDirectory, TimeProvider Time)
{
    /// <summary>Output goes to a person's terminal, so long-running commands may redraw a live view.</summary>
    public bool Live { get; init; }

    /// <summary>Output goes to a terminal that shows colour (never a pipe, a file or TERM=dumb); NO_COLOR and --no-color still turn it off (<see cref="Common.Palette"/>).</summary>
    public bool Color { get; init; }

    /// <summary>Where a question's answer is read (stdin); tests pass their own.</summary>
    public TextReader In { get; init; } = TextReader.Null;

    /// <summary>Stdin is a person's terminal, so a change to production may ask first.</summary>
    public bool Interactive { get; init; }

    /// <summary>The global options of this run's command tree.</summary>
    public Common.GlobalOptions Options { get; } = new();

    /// <summary>Reads an environment variable (credentials, endpoints); tests pass their own.</summary>
    public Func<string, string?> Env { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>SIGINT/SIGTERM: what cancels the command and the exit code it then ends with.</summary>
    public Common.Interruption Interruption { get; init; } = Common.Interruption.None();
}
