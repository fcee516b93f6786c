using System.Diagnostics;
using System.Text;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.CloudRun;

/// <summary>
/// The stand-in gcloud that carries gcloud's Cloud Run commands out on a Cloud Run double's v2 API
/// (<c>gcloud-to-double</c>; what it knows and its limits are at its top), installed as <c>gcloud</c> in a folder.
/// </summary>
internal static class GcloudToDouble
{
    /// <summary>Installs it in <paramref name="bin"/>, pointed at the double at <paramref name="api"/>; returns the PATH to give commands.</summary>
    public static string Install(string bin, Uri api, string token)
    {
        var gcloud = Path.Combine(bin, "gcloud");
        File.Copy(Path.Combine(RepoPaths.Root, "tests", "DeployMatrix.FunctionalTests", "CloudRun", "gcloud-to-double"), gcloud);
        File.SetUnixFileMode(gcloud, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(bin, "run-endpoint"), api.ToString());
        File.WriteAllText(Path.Combine(bin, "access-token"), token);
        return $"{bin}:/usr/bin:/bin";
    }

    /// <summary>The gcloud commands run, in order, each as one line (its arguments joined by spaces, without the program).</summary>
    public static List<string> Calls(string bin) =>
        Directory.Exists(Path.Combine(bin, "state"))
            ? [.. Directory.GetFiles(Path.Combine(bin, "state"), "call-*").Where(f => !f.EndsWith(".pwd", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
                .Select(f => string.Join(' ', Encoding.UTF8.GetString(File.ReadAllBytes(f)).TrimEnd('\0').Split('\0')))]
            : [];

    /// <summary>Runs the installed stand-in as a person would run gcloud (outside DeployMatrix); returns its exit code and stderr.</summary>
    public static (int Code, string Err) Run(string bin, params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(bin, "gcloud")) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var err = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, err.GetAwaiter().GetResult());
    }

    /// <summary>A <c>gcloud run services update-traffic</c> line as <see cref="Calls"/> shows it.</summary>
    public static string UpdateTraffic(string service, string flags) => $"run services update-traffic {service} --project openagentsgemini --region us-central1 {flags}";
}
