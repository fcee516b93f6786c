using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ProxyBench;

internal static class Tools
{
    public static bool Exists(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]).Any(dir => File.Exists(Path.Combine(dir, tool)));

    public static string Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/sbin"]).Select(dir => Path.Combine(dir, tool)).First(File.Exists);

    /// <summary>Builds the example workspace and returns the control service binary.</summary>
    public static string BuildExample()
    {
        // The repository holding this build, or the one DEPLOYMATRIX_REPO_ROOT names (a build kept elsewhere, as the tests allow).
        var root = Environment.GetEnvironmentVariable("DEPLOYMATRIX_REPO_ROOT") ?? AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "DeployMatrix.slnx")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        var example = Path.Combine(root, "examples", "openagents");
        using var cargo = Process.Start(new ProcessStartInfo("cargo", ["build", "--release", "--quiet"]) { WorkingDirectory = example })!;
        cargo.WaitForExit();
        return Path.Combine(example, "target", "release", "openagents-control-service");
    }

    public static async Task<string> RunAsync(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{file} failed: {errors}{output}");
    }
}

internal sealed record WrkResult(double RequestsPerSecond, double P50Ms, double P99Ms, long Errors);

internal static partial class Wrk
{
    /// <param name="pauseMs">With a pause, each connection waits this long after every answer before its next request: a
    /// paced load below saturation, where latency shows the front door's own cost instead of queueing.</param>
    public static async Task<WrkResult> RunAsync(int port, string path, int threads, int connections, int seconds, int pauseMs = 0)
    {
        string[] pace = [];
        if (pauseMs > 0)
        {
            var script = Path.Combine(Path.GetTempPath(), $"dm-wrk-pause-{pauseMs}.lua");
            File.WriteAllText(script, $"function delay()\n  return {pauseMs}\nend\n");
            pace = ["-s", script];
        }

        var output = await Tools.RunAsync("wrk", [$"-t{threads}", $"-c{connections}", $"-d{seconds}s", "--latency", .. pace, $"http://127.0.0.1:{port}{path}"]);
        var rps = double.Parse(Rps().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var errors = Errors().Matches(output).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        var non2xx = Non2xx().Match(output) is { Success: true } n ? long.Parse(n.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        return new WrkResult(rps, Percentile(output, "50%"), Percentile(output, "99%"), errors + non2xx);
    }

    private static double Percentile(string output, string label)
    {
        var match = Regex.Match(output, $@"^\s*{Regex.Escape(label)}\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "s" => value * 1000, _ => value };
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex Rps();

    [GeneratedRegex(@"(?:connect|read|write|timeout) (\d+)")]
    private static partial Regex Errors();

    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")]
    private static partial Regex Non2xx();
}
