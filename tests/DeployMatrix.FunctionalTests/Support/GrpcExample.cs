using System.Diagnostics;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Support;

/// <summary>
/// The gRPC example (examples/grpc-echo), published once per test run as the single-file program its
/// lane builds, and a scratch copy of its matrix on a free port whose build step takes that program.
/// </summary>
internal static class GrpcExample
{
    private static readonly Lazy<string> Published = new(Publish);

    /// <summary>The published service, built once per test run.</summary>
    public static string Binary => Published.Value;

    /// <summary>A copy of the example's matrix in <paramref name="dir"/>, listening on <paramref name="port"/>, its build copying the published program.</summary>
    public static void CopyTo(TempDir dir, int port)
    {
        var source = Path.Combine(RepoPaths.Root, "examples", "grpc-echo", "deploymatrix.yaml");
        var text = File.ReadAllText(source)
            .Replace("port: 18190", $"port: {port}", StringComparison.Ordinal)
            .Replace("command: dotnet publish Echo/Echo.csproj -c Release -o out -p:PublishSingleFile=true --self-contained false --nologo -v q", $"command: cp {Binary} out/grpc-echo", StringComparison.Ordinal);
        Assert.Contains($"cp {Binary}", text, StringComparison.Ordinal);
        dir.Write("deploymatrix.yaml", text);
        Directory.CreateDirectory(Path.Combine(dir.Path, "out"));
    }

    private static string Publish()
    {
        var output = Path.Combine(RepoPaths.Root, "artifacts", "grpc-echo-published");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "publish", Path.Combine(RepoPaths.Root, "examples", "grpc-echo", "Echo", "Echo.csproj"), "-c", "Release", "-o", output,
                     "-p:PublishSingleFile=true", "--self-contained", "false", "--nologo", "-v", "q" })
        {
            start.ArgumentList.Add(arg);
        }

        using var publish = Process.Start(start)!;
        var errors = publish.StandardError.ReadToEndAsync();
        var outputText = publish.StandardOutput.ReadToEnd();
        if (!publish.WaitForExit(TimeSpan.FromMinutes(10)) || publish.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish of the gRPC example failed: {outputText}{errors.Result}");
        }

        return Path.Combine(output, "grpc-echo");
    }
}
