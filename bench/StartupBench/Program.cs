using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using MatrixBench;

// Cold start of `validate`, `status` and `plan` on the example matrix with the CLI exactly as `dotnet pack` ships it:
// the linux-x64 tool package (ReadyToRun: precompiled) against the portable "any" package (the same code, JIT-compiled
// at start-up), each run as `dotnet deploymatrix.dll …` so only the compilation differs, plus the installed tool's
// own launcher (the apphost `dotnet tool install` puts on the PATH). Every process is a fresh one: nothing stays warm
// but the OS file cache (one warm-up run per row).
// Usage: dotnet run -c Release --project bench/StartupBench -- [ITERATIONS]
var iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
var repo = FindRepo();
var work = Directory.CreateTempSubdirectory("dm-startup-");
try
{
    var packages = Path.Combine(work.FullName, "packages");
    Run("dotnet", work.FullName, "pack", Path.Combine(repo, "src", "DeployMatrix.Cli", "DeployMatrix.Cli.csproj"), "-c", "Release",
        "--artifacts-path", Path.Combine(work.FullName, "artifacts"), "-o", packages, "--nologo", "-v", "q");
    var r2r = Extract(packages, "linux-x64", work.FullName);
    var jit = Extract(packages, "any", work.FullName);
    var tools = Path.Combine(work.FullName, "tools");
    Run("dotnet", work.FullName, "tool", "install", "--tool-path", tools, "--add-source", packages, "DeployMatrix.Cli", "--version", Version(packages));
    var shim = Path.Combine(tools, "deploymatrix");

    // A copy of the example, so the agent's state stays out of the checkout.
    var example = CopyExample(repo, Path.Combine(work.FullName, "example"));
    Run("dotnet", example, Path.Combine(r2r, "deploymatrix.dll"), "agent", "start");
    try
    {
        string[][] commands = [["validate"], ["status", "--platform", "local"], ["plan", "runtime", "--env", "staging", "--tag", "abc1234"]];
        Console.WriteLine($"{iterations} fresh processes per row after one warm-up, {Environment.ProcessorCount} cores");
        Console.WriteLine();
        Console.WriteLine("| command | JIT (any) median ms | ReadyToRun (linux-x64) median ms | R2R / JIT | installed tool median ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var command in commands)
        {
            var jitMs = Stats.Measure(iterations, () => Run("dotnet", example, [Path.Combine(jit, "deploymatrix.dll"), .. command])).Median;
            var r2rMs = Stats.Measure(iterations, () => Run("dotnet", example, [Path.Combine(r2r, "deploymatrix.dll"), .. command])).Median;
            var shimMs = Stats.Measure(iterations, () => Run(shim, example, command)).Median;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {string.Join(' ', command)} | {jitMs:F0} | {r2rMs:F0} | {r2rMs / jitMs:F2} | {shimMs:F0} |"));
        }
    }
    finally
    {
        Run("dotnet", example, Path.Combine(r2r, "deploymatrix.dll"), "agent", "stop");
    }
}
finally
{
    work.Delete(recursive: true);
}

return 0;

// The tool's files as the package holds them (tools/net10.0/RID/), unpacked once.
static string Extract(string packages, string rid, string work)
{
    var package = Directory.GetFiles(packages, $"DeployMatrix.Cli.{rid}.*.nupkg").Single();
    var target = Path.Combine(work, rid);
    ZipFile.ExtractToDirectory(package, target);
    return Path.Combine(target, "tools", "net10.0", rid);
}

// The example's sources (the matrix names files in them), without build output or state.
static string CopyExample(string repo, string target)
{
    var source = Path.Combine(repo, "examples", "openagents");
    foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
    {
        var relative = Path.GetRelativePath(source, file);
        if (relative.StartsWith("target/", StringComparison.Ordinal) || relative.StartsWith(".deploymatrix/", StringComparison.Ordinal))
        {
            continue;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, relative))!);
        File.Copy(file, Path.Combine(target, relative));
    }

    return target;
}

static string Version(string packages)
{
    var name = Path.GetFileNameWithoutExtension(Directory.GetFiles(packages, "DeployMatrix.Cli.any.*.nupkg").Single());
    return name["DeployMatrix.Cli.any.".Length..];
}

static void Run(string program, string directory, params string[] args)
{
    var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var arg in args)
    {
        start.ArgumentList.Add(arg);
    }

    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEndAsync();
    var error = process.StandardError.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {output.Result}{error}");
    }
}

static string FindRepo()
{
    foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DeployMatrix.slnx")))
            {
                return dir.FullName;
            }
        }
    }

    throw new InvalidOperationException("run from inside the repository: dotnet run -c Release --project bench/StartupBench");
}
