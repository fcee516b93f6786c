using System.Globalization;
using System.Text.Json;

// Reads Stryker.NET's mutation-report.json files (the mutation-testing-elements schema) and prints,
// per project and per folder, how many mutants the tests killed, which survived, and the score:
// (killed + timeout) / (killed + timeout + survived + no coverage), as Stryker counts it; mutants that
// do not compile and ignored ones are not counted. With --survivors FOLDER,… the survivors of those
// folders are listed, one per line, to be killed by a test or explained. With --update PARTIAL.json
// (one report only), the files a later run limited by --mutate measured replace the same files of the
// first report: a few files measured again after their tests changed, without a whole new run.
//
//   dotnet run --project bench/MutationReport -- artifacts/mutation/core/reports/mutation-report.json … [--survivors Analysis,Planning]
//   dotnet run --project bench/MutationReport -- FULL.json --update PARTIAL.json [--survivors Rollout]
var reports = args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
var survivorFolders = Option("--survivors")?.Split(',') ?? [];
var updates = args.Select((a, i) => (a, i)).Where(p => p.a == "--update" && p.i + 1 < args.Length).Select(p => args[p.i + 1]).ToList();
if (reports.Count == 0 || (updates.Count > 0 && reports.Count != 1))
{
    Console.Error.WriteLine("usage: MutationReport REPORT.json… [--survivors FOLDER,…] | MutationReport REPORT.json --update PARTIAL.json… [--survivors FOLDER,…]");
    return 2;
}

var failing = false;
foreach (var report in reports)
{
    var files = FilesOf(report);
    foreach (var update in updates)
    {
        foreach (var (name, mutants) in FilesOf(update).Where(f => f.Value.Any(m => Counts.IsCounted(m.GetProperty("status").GetString()))))
        {
            files[name] = mutants;
        }
    }

    var root = CommonFolder([.. files.Keys]);
    var rows = new Dictionary<string, Counts>(StringComparer.Ordinal);
    var survivors = new List<string>();
    foreach (var file in files)
    {
        var relative = Path.GetRelativePath(root, file.Key);
        var folder = relative.Contains('/', StringComparison.Ordinal) ? relative[..relative.IndexOf('/', StringComparison.Ordinal)] : "(root)";
        var counts = rows.TryGetValue(folder, out var c) ? c : rows[folder] = new Counts();
        foreach (var mutant in file.Value)
        {
            var status = mutant.GetProperty("status").GetString();
            counts.Add(status);
            if (status is "Survived" or "NoCoverage" && survivorFolders.Contains(folder))
            {
                var start = mutant.GetProperty("location").GetProperty("start");
                survivors.Add(string.Create(CultureInfo.InvariantCulture,
                    $"  {relative}:{start.GetProperty("line").GetInt32()}:{start.GetProperty("column").GetInt32()} {status} {mutant.GetProperty("mutatorName").GetString()}: {mutant.GetProperty("replacement").GetString()?.ReplaceLineEndings(" ")}"));
            }
        }
    }

    var total = rows.Values.Aggregate(new Counts(), (sum, c) => sum.Plus(c));
    Console.WriteLine($"{Path.GetFileName(root)}: {total.Score:0.0}% ({total.Detected} of {total.Counted} mutants detected; {total.Survived} survived, {total.NoCoverage} not covered)");
    foreach (var (folder, counts) in rows.OrderBy(r => r.Key, StringComparer.Ordinal))
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {folder,-14} {counts.Score,6:0.0}%  killed {counts.Detected,4}  survived {counts.Survived,4}  no coverage {counts.NoCoverage,4}"));
    }

    foreach (var line in survivors)
    {
        Console.WriteLine(line);
    }

    failing |= total.Counted == 0;
}

return failing ? 1 : 0;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

// Each source file's mutants, by path. The documents stay open for the program's short life.
static Dictionary<string, IReadOnlyList<JsonElement>> FilesOf(string report) =>
    JsonDocument.Parse(File.ReadAllText(report)).RootElement.GetProperty("files").EnumerateObject()
        .ToDictionary(f => f.Name, f => (IReadOnlyList<JsonElement>)[.. f.Value.GetProperty("mutants").EnumerateArray()], StringComparer.Ordinal);

static string CommonFolder(IReadOnlyList<string> paths)
{
    var prefix = Path.GetDirectoryName(paths[0])!;
    while (!paths.All(p => p.StartsWith(prefix + "/", StringComparison.Ordinal)))
    {
        prefix = Path.GetDirectoryName(prefix)!;
    }

    return prefix;
}

/// <summary>Mutants by outcome, for one folder or a whole project.</summary>
internal sealed class Counts
{
    public int Killed { get; private set; }

    public int Timeout { get; private set; }

    public int Survived { get; private set; }

    public int NoCoverage { get; private set; }

    public int Detected => Killed + Timeout;

    public int Counted => Detected + Survived + NoCoverage;

    public double Score => Counted == 0 ? 0 : 100.0 * Detected / Counted;

    /// <summary>Whether a status counts toward the score (compile errors and ignored mutants do not).</summary>
    public static bool IsCounted(string? status) => status is "Killed" or "Timeout" or "Survived" or "NoCoverage";

    public void Add(string? status)
    {
        switch (status)
        {
            case "Killed":
                Killed++;
                break;
            case "Timeout":
                Timeout++;
                break;
            case "Survived":
                Survived++;
                break;
            case "NoCoverage":
                NoCoverage++;
                break;
        }
    }

    public Counts Plus(Counts other) => new() { Killed = Killed + other.Killed, Timeout = Timeout + other.Timeout, Survived = Survived + other.Survived, NoCoverage = NoCoverage + other.NoCoverage };
}
