using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Processes;

namespace DeployMatrix.CloudRun.Gcloud;

/// <summary>
/// Runs a command from an argument array (never through a shell): the program is the first word, found
/// on the PATH the command sees. gcloud's prompts are turned off through its environment, not by adding
/// flags, so what runs is exactly what <c>plan --format shell</c> prints. It runs in the matrix's folder,
/// where the seed's scripts ran (<c>gcloud builds submit … .</c> sends that folder). Its lines go to
/// <paramref name="onLine"/> as they come (a Cloud Build's log streams while it runs).
/// </summary>
public sealed class GcloudProcess(IProcessRunner processes, string workingDirectory, Func<string, string?> environment, Action<ProcessLine>? onLine = null, TimeSpan? timeout = null)
{
    /// <exception cref="PlatformException">The program is not on PATH (exit 2), or it ran past its bound.</exception>
    public async Task<ProcessResult> RunAsync(IReadOnlyList<string> command, CancellationToken ct)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal) { ["CLOUDSDK_CORE_DISABLE_PROMPTS"] = "1" };
        if (environment("PATH") is { } path)
        {
            env["PATH"] = path;
        }

        ProcessResult result;
        try
        {
            result = await processes.RunAsync(new ProcessSpec
            {
                Program = command[0],
                Args = [.. command.Skip(1)],
                WorkingDirectory = workingDirectory,
                Env = env,
                SearchPath = environment("PATH"),
                OnLine = onLine,
                Timeout = timeout ?? TimeSpan.FromMinutes(30),
            }, ct);
        }
        catch (ProcessStartException)
        {
            throw new PlatformException($"{command[0]} is not on PATH; install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install) or use --executor api", 2);
        }

        return result.TimedOut
            ? throw new PlatformException($"{command[0]} {string.Join(' ', command.Skip(1).Take(3))} did not finish in time and was stopped")
            : result;
    }
}
