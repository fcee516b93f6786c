using System.Globalization;
using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Rendering;
using DeployMatrix.Core.Yaml;
using MatrixBench;

// Validates and renders a generated matrix of N lanes (default 1,000) and reports, side by side in one
// run: the YAML parse alone (the floor), load + validate, render, and the whole CLI process
// (`deploymatrix validate` and `render`) against the process start-up floor (`deploymatrix --help`).
// Usage: dotnet run -c Release --project bench/MatrixBench -- [LANES] [ITERATIONS]
var lanes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
var iterations = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
var root = Path.Combine(Path.GetTempPath(), $"dm-bench-{Environment.ProcessId}");
var file = BigMatrix.Write(root, lanes);
Console.WriteLine($"matrix: {lanes} lanes, {new FileInfo(file).Length / 1024} KiB, {File.ReadLines(file).Count()} lines; {iterations} iterations each, {Environment.ProcessorCount} cores");

var text = File.ReadAllText(file);
var loaded = MatrixLoader.Load(file);
if (!loaded.Ok)
{
    Console.Error.WriteLine(string.Join('\n', loaded.Diagnostics.Take(10)));
    return 1;
}

var results = new List<(string Name, Stats Stats)>
{
    ("yaml parse only (floor)", Stats.Measure(iterations, () => YamlTreeReader.Read(text, new DeployMatrix.Core.Diagnostics.DiagnosticBag(file)))),
    ("load + validate", Stats.Measure(iterations, () => MatrixLoader.Load(file))),
    ("render", Stats.Measure(iterations, () => DeployMapRenderer.Render(loaded.Matrix!))),
    ("load + validate + render", Stats.Measure(iterations, () => DeployMapRenderer.Render(MatrixLoader.Load(file).Matrix!))),
};

var launcher = FindLauncher();
if (launcher is not null)
{
    var processRuns = Math.Min(iterations, 15);
    results.Add(("process: deploymatrix --help (start-up floor)", Stats.Measure(processRuns, () => Cli.Run(launcher, "--help"))));
    results.Add(("process: deploymatrix validate FILE", Stats.Measure(processRuns, () => Cli.Run(launcher, "validate", file))));
    results.Add(("process: deploymatrix render FILE", Stats.Measure(processRuns, () => Cli.Run(launcher, "render", file))));
}

var floor = results[0].Stats.Median;
Console.WriteLine();
Console.WriteLine("| measurement | median ms | p90 ms | min ms | × yaml parse |");
Console.WriteLine("|---|---:|---:|---:|---:|");
foreach (var (name, stats) in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {stats.Median:F1} | {stats.P90:F1} | {stats.Min:F1} | {stats.Median / floor:F1} |"));
}

Directory.Delete(root, recursive: true);
return 0;

static string? FindLauncher()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var dll = Path.Combine(dir.FullName, "artifacts", "launcher", "deploymatrix.dll");
        if (File.Exists(Path.Combine(dir.FullName, "DeployMatrix.slnx")))
        {
            if (!File.Exists(dll))
            {
                Console.WriteLine("(run ./deploymatrix --help once to build the CLI; process timings skipped)");
                return null;
            }

            return dll;
        }
    }

    return null;
}
