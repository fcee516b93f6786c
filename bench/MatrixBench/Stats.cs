using System.Diagnostics;

namespace MatrixBench;

/// <summary>Median, 90th percentile and minimum of repeated runs, after one warm-up run.</summary>
internal sealed record Stats(double Median, double P90, double Min)
{
    public static Stats Measure(int iterations, Action action)
    {
        action();
        var samples = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var watch = Stopwatch.StartNew();
            action();
            samples[i] = watch.Elapsed.TotalMilliseconds;
        }

        Array.Sort(samples);
        return new Stats(samples[iterations / 2], samples[(int)Math.Ceiling(iterations * 0.9) - 1], samples[0]);
    }
}

/// <summary>Runs the built CLI as a separate process, as a user would.</summary>
internal static class Cli
{
    public static void Run(string dll, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploymatrix {string.Join(' ', args)} exited {process.ExitCode}");
        }
    }
}
