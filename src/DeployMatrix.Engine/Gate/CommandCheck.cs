using System.Globalization;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Processes;

namespace DeployMatrix.Engine.Gate;

/// <summary>A command in the matrix's folder (contract tests, a smoke binary): exit 0 passes; bounded by its timeout.</summary>
internal sealed class CommandCheck : IGateCheck
{
    public string CommandOf(CheckSpec spec) => spec is CommandCheckSpec c ? c.Run.Text : spec.Type;

    public async Task<string> RunAsync(CheckSpec check, CheckContext context, CancellationToken ct)
    {
        var spec = (CommandCheckSpec)check;
        var words = spec.Run.Words;
        context.Log($"$ {spec.Run.Text}");
        ProcessResult result;
        try
        {
            // A gate command is the operator's own tool (contract tests, smoke binaries): it keeps the operator's environment.
            result = await context.Processes.RunAsync(new ProcessSpec
            {
                Program = words[0],
                Args = [.. words.Skip(1)],
                WorkingDirectory = context.Matrix.BaseDirectory,
                Timeout = spec.Timeout,
                OnLine = line => context.Log("  " + line.Text), // indented, as an answer's body: output cannot forge the verdict line
                Capture = false,
            }, ct);
        }
        catch (ProcessStartException e)
        {
            throw new CheckSkipped(e.Message);
        }

        if (result.TimedOut)
        {
            throw new CheckFailed(string.Create(CultureInfo.InvariantCulture, $"'{spec.Run.Text}' did not finish within {spec.Timeout.TotalSeconds:0} s"));
        }

        return result.ExitCode == 0 ? "exit 0" : throw new CheckFailed($"'{spec.Run.Text}' exited with {result.ExitCode}");
    }
}
