namespace DeployMatrix.Tests.Support;

/// <summary>Runs the real command tree in-process on real files, capturing what a terminal would show.</summary>
public sealed record CliRun(int ExitCode, string Out, string Err)
{
    public static CliRun Invoke(string workingDirectory, params string[] args) => Invoke(workingDirectory, null, args);

    /// <param name="environment">Variables the command sees (credentials, endpoints); null: the process's own.</param>
    public static CliRun Invoke(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        Invoke(workingDirectory, environment, TimeProvider.System, args);

    /// <param name="time">The clock the commands run on (a fake one moved by the test).</param>
    public static CliRun Invoke(string workingDirectory, IReadOnlyDictionary<string, string>? environment, TimeProvider time, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var context = new Cli.CliContext(output, error, workingDirectory, time);
        if (environment is not null)
        {
            context = context with { Env = name => environment.GetValueOrDefault(name) };
        }

        var code = Cli.CliApp.Run(args, context);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs from the repository root, as the README's commands do.</summary>
    public static CliRun InRepo(params string[] args) => Invoke(RepoPaths.Root, args);

    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}
