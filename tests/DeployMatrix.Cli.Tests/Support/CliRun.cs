using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Support;

/// <summary>Runs the real command tree in-process on real files, capturing what a terminal would show.</summary>
public sealed record CliRun(int ExitCode, string Out, string Err)
{
    public static CliRun Invoke(string workingDirectory, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = CliApp.Run(args, new CliContext(output, error, workingDirectory, TimeProvider.System));
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs from the repository root, as the README's commands do.</summary>
    public static CliRun InRepo(params string[] args) => Invoke(RepoPaths.Root, args);

    public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}
