using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeployMatrix.Local.Supervisor;

namespace RolloutBench;

/// <summary>
/// A scratch copy of the example matrix on free ports with its own agent, driven only through the
/// root launcher — the same commands a person runs.
/// </summary>
internal sealed partial class Example : IAsyncDisposable
{
    private const string Lane = "openagents-control-service";
    private readonly string _dir;
    private readonly string _launcher;

    private Example(string dir, string launcher, int port)
    {
        _dir = dir;
        _launcher = launcher;
        Url = new Uri($"http://127.0.0.1:{port}/api/v1/control/status");
    }

    public Uri Url { get; }

    public static bool CargoExists() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, "cargo")));

    public static async Task<Example> SetUpAsync()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "DeployMatrix.slnx")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        var source = Path.Combine(root, "examples", "openagents");
        var dir = Directory.CreateTempSubdirectory("dm-rollout-bench-").FullName;
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/.deploymatrix/", StringComparison.Ordinal)))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }

        var port = Ports.Free();
        var matrix = Path.Combine(dir, "deploymatrix.yaml");
        var text = PortPattern().Replace(await File.ReadAllTextAsync(matrix), m =>
            $"service: {m.Groups["service"].Value}, port: {(m.Groups["service"].Value == "openagents-control-service-staging" ? port : Ports.Free())}");
        // Gates sized for seconds-long windows: 50 requests per revision before a verdict.
        text = text.Replace("min-requests: 100", "min-requests: 50", StringComparison.Ordinal);
        await File.WriteAllTextAsync(matrix, text);
        await File.WriteAllTextAsync(Path.Combine(dir, "faulty.yaml"), text.Replace(
            "staging: { service: openagents-control-service-staging,",
            "staging: { env: { FAULT_5XX_PERCENT: \"5\" }, service: openagents-control-service-staging,", StringComparison.Ordinal));

        var example = new Example(dir, Path.Combine(root, "deploymatrix"), port);
        await example.RunAsync("build", Lane, "--tag", "b1");
        await example.RunAsync("agent", "start");
        return example;
    }

    /// <summary>A stable revision with all traffic and a new canary with none; returns their names.</summary>
    public async Task<(string Stable, string Canary)> StableAndCanaryAsync(bool faulty)
    {
        await RunAsync("deploy", Lane, "--env", "staging", "--tag", "b1");
        var stable = await LatestAsync();
        await RunAsync(["--file", faulty ? "faulty.yaml" : "deploymatrix.yaml", "deploy", Lane, "--env", "staging", "--tag", "b1", "--no-traffic"]);
        return (stable, await LatestAsync());
    }

    public async Task<(int ExitCode, string Verdict)> RolloutAsync(int windowSeconds)
    {
        var (code, output) = await RunAsync(["rollout", Lane, "--env", "staging", "--window", $"{windowSeconds}s"], check: false);
        var verdict = output.Split('\n').LastOrDefault(l => l.Contains("rollout complete", StringComparison.Ordinal) || l.Contains("rollout failed", StringComparison.Ordinal))?.Trim() ?? "";
        return (code, verdict.Length > 160 ? verdict[..160] + "…" : verdict);
    }

    /// <summary>All traffic back on the stable revision, ready for the next run.</summary>
    public Task ResetAsync(string stable) => RunAsync("traffic", Lane, "--env", "staging", "--to", $"{stable}=100");

    private async Task<string> LatestAsync()
    {
        var (_, json) = await RunAsync("status", Lane, "--env", "staging", "--output", "json");
        return JsonDocument.Parse(json).RootElement[0].GetProperty("latest_created_revision").GetString()!;
    }

    private Task<(int, string)> RunAsync(params string[] args) => RunAsync(args, check: true);

    private async Task<(int ExitCode, string Output)> RunAsync(string[] args, bool check)
    {
        var start = new ProcessStartInfo(_launcher) { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--platform");
        start.ArgumentList.Add("local");
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var all = await output + await errors;
        return check && process.ExitCode != 0
            ? throw new InvalidOperationException($"deploymatrix {string.Join(' ', args)} exited {process.ExitCode}: {all}")
            : (process.ExitCode, all);
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync(["agent", "stop"], check: false);
        Directory.Delete(_dir, recursive: true);
    }

    [GeneratedRegex(@"service: (?<service>[a-z0-9-]+), port: \d+")]
    private static partial Regex PortPattern();
}
