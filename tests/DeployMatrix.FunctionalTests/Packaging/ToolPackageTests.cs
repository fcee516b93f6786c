using System.Diagnostics;
using System.IO.Compression;
using System.Reflection.PortableExecutable;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Packaging;

/// <summary>
/// <c>dotnet pack</c> of the CLI makes a .NET tool that installs with <c>dotnet tool install</c> and runs the example:
/// the linux-x64 package precompiled (ReadyToRun), the portable "any" package for every other platform.
/// </summary>
public sealed class ToolPackageTests
{
    [Fact]
    public void PackedTool_InstallsFromAFolder_AndValidatesTheExample_WithItsCodePrecompiled()
    {
        using var work = new TempDir();
        var packages = Path.Combine(work.Path, "packages");
        Run("dotnet", work.Path, "pack", Path.Combine(RepoPaths.Root, "src", "DeployMatrix.Cli", "DeployMatrix.Cli.csproj"), "-c", "Release",
            "--artifacts-path", Path.Combine(work.Path, "artifacts"), "-o", packages, "--nologo", "-v", "q");

        var names = Directory.GetFiles(packages, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, names.Count);
        Assert.StartsWith("DeployMatrix.Cli.", names[0], StringComparison.Ordinal);
        Assert.Contains(names, n => n!.StartsWith("DeployMatrix.Cli.linux-x64.", StringComparison.Ordinal));
        Assert.Contains(names, n => n!.StartsWith("DeployMatrix.Cli.any.", StringComparison.Ordinal));
        Assert.True(IsReadyToRun(packages, "linux-x64"), "the linux-x64 package's deploymatrix.dll carries precompiled code");
        Assert.False(IsReadyToRun(packages, "any"), "the portable package is plain IL");

        var version = Path.GetFileNameWithoutExtension(names.Single(n => n!.StartsWith("DeployMatrix.Cli.any.", StringComparison.Ordinal)))!["DeployMatrix.Cli.any.".Length..];
        var tools = Path.Combine(work.Path, "tools");
        Run("dotnet", work.Path, "tool", "install", "--tool-path", tools, "--add-source", packages, "DeployMatrix.Cli", "--version", version);

        using var example = TempDir.CopyOfExample();
        var validate = Run(Path.Combine(tools, "deploymatrix"), example.Path, "validate");
        Assert.StartsWith("deploymatrix.yaml: valid", validate, StringComparison.Ordinal);
        Assert.Contains(version, Run(Path.Combine(tools, "deploymatrix"), example.Path, "--version"), StringComparison.Ordinal);
    }

    /// <summary>Whether the package's entry assembly has a ReadyToRun header (ECMA-335 CLI header's ManagedNativeHeader).</summary>
    private static bool IsReadyToRun(string packages, string rid)
    {
        using var zip = ZipFile.OpenRead(Directory.GetFiles(packages, $"DeployMatrix.Cli.{rid}.*.nupkg").Single());
        using var copy = new MemoryStream();
        using (var entry = zip.GetEntry($"tools/net10.0/{rid}/deploymatrix.dll")!.Open())
        {
            entry.CopyTo(copy);
        }

        copy.Position = 0;
        using var pe = new PEReader(copy);
        return pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0;
    }

    private static string Run(string program, string directory, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', args)} did not finish in 10 minutes");
        }

        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} exited {process.ExitCode}:\n{output.Result}\n{error.Result}");
        return output.Result;
    }
}
