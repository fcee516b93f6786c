using System.Diagnostics;

namespace DeployMatrix.Tests.Support;

/// <summary>
/// The example's Rust programs, built once per test run with cargo (std only, no network). Tests run
/// these real services rather than stand-ins.
/// </summary>
internal static class ExampleBinaries
{
    private static readonly Lazy<string> Built = new(Build);

    public static string Directory => Built.Value;

    public static string ControlService => Path.Combine(Directory, "openagents-control-service");

    public static string Runtime => Path.Combine(Directory, "runtime");

    private static string Build()
    {
        var root = Path.Combine(RepoPaths.Root, "examples", "openagents");
        var start = new ProcessStartInfo("cargo") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "build", "--release", "--quiet" })
        {
            start.ArgumentList.Add(arg);
        }

        using var cargo = Process.Start(start)!;
        var errors = cargo.StandardError.ReadToEndAsync();
        cargo.StandardOutput.ReadToEnd();
        if (!cargo.WaitForExit(TimeSpan.FromMinutes(5)) || cargo.ExitCode != 0)
        {
            throw new InvalidOperationException($"cargo build of the example failed: {errors.Result}");
        }

        return Path.Combine(root, "target", "release");
    }
}
