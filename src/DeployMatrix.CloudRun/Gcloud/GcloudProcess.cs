using System.Diagnostics;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.CloudRun.Gcloud;

/// <summary>How one command ended: its exit code and what it printed.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The last non-empty line of stderr: where gcloud says what went wrong.</summary>
    public string LastError => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? $"exit {ExitCode}";
}

/// <summary>
/// Runs a command from an argument array (never through a shell): the program is the first word, found
/// on PATH. gcloud's prompts are turned off through its environment, not by adding flags, so what runs
/// is exactly what <c>plan --format shell</c> prints. It runs in the matrix's folder, where the seed's
/// scripts ran (<c>gcloud builds submit … .</c> sends that folder).
/// </summary>
public sealed class GcloudProcess(string workingDirectory, Func<string, string?> environment, TimeSpan? timeout = null)
{
    public async Task<CommandResult> RunAsync(IReadOnlyList<string> command, CancellationToken ct)
    {
        var start = new ProcessStartInfo(Locate(command[0])) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CLOUDSDK_CORE_DISABLE_PROMPTS"] = "1";
        if (environment("PATH") is { } path)
        {
            start.Environment["PATH"] = path;
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new PlatformException($"{command[0]} is not on PATH; install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install) or use --executor api", 2);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bound.CancelAfter(timeout ?? TimeSpan.FromMinutes(30));
            try
            {
                await process.WaitForExitAsync(bound.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new PlatformException($"{command[0]} {string.Join(' ', command.Skip(1).Take(3))} did not finish in time and was stopped");
            }

            return new CommandResult(process.ExitCode, await stdout, await stderr);
        }
    }

    /// <summary>The program on the PATH this command sees (which may differ from this process's own).</summary>
    private string Locate(string program) =>
        program.Contains('/', StringComparison.Ordinal) ? program
            : (environment("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(dir => Path.Combine(dir, program))
                .FirstOrDefault(File.Exists) ?? program;
}
