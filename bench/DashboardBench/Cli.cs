using System.Diagnostics;

namespace DashboardBench;

/// <summary>The built CLI as a separate process, on the local platform, in the bench's matrix folder.</summary>
internal static class Cli
{
    public static Process Start(string dll, string folder, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])[dll, "--platform", "local", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    /// <exception cref="InvalidOperationException">The command exited non-zero (and <paramref name="check"/>).</exception>
    public static void Run(string dll, string folder, string a, string b = "", string c = "", string d = "", string e = "", string f = "", bool check = true) =>
        Run(dll, folder, check, [.. new[] { a, b, c, d, e, f }.Where(x => x.Length > 0)]);

    private static void Run(string dll, string folder, bool check, string[] args)
    {
        using var process = Start(dll, folder, args);
        var err = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploymatrix {string.Join(' ', args)} exited {process.ExitCode}: {err.Result}");
        }
    }
}
