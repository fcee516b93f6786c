using System.Globalization;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Processes;

namespace DeployMatrix.Engine.Rehearsal;

/// <summary>A lane's data command for its rehearsals (<c>rehearsal.data</c>), with the folder it runs in (the matrix's).</summary>
/// <param name="Timeout">How long it may run before it is stopped (its process tree) and the phase fails.</param>
public sealed record RehearsalData(CommandText Command, TimeSpan Timeout, string WorkingDirectory);

/// <summary>
/// Runs a lane's data command before a rehearsal's stable release starts: it loads the scratch data (e.g. a
/// <c>pg_dump --schema-only</c> of the environment's database into a scratch database) and may name, in the file
/// <c>DEPLOYMATRIX_SCRATCH_ENV</c> points at, variables the scratch revisions and migration job get instead of the
/// target's — so a service that finds its database through a variable finds the scratch one, never the environment's.
/// </summary>
internal static class ScratchData
{
    /// <summary>The scratch's root folder (the scratch agent's state, artifacts and data folders).</summary>
    public const string ScratchDirVariable = "DEPLOYMATRIX_SCRATCH_DIR";

    /// <summary>The scratch service's data folder: what its revisions and jobs get as <c>DEPLOYMATRIX_DATA_DIR</c>.</summary>
    public const string DataDirVariable = "DEPLOYMATRIX_DATA_DIR";

    /// <summary>A file the command may write <c>KEY=VALUE</c> lines to (as GitHub Actions' <c>GITHUB_ENV</c>).</summary>
    public const string EnvFileVariable = "DEPLOYMATRIX_SCRATCH_ENV";

    /// <summary>Runs the command; its output, with the values it named masked, goes to <paramref name="evidence"/>.</summary>
    /// <returns>The variables the command named (empty when none), and what happened in one line.</returns>
    /// <exception cref="OperationException">It could not start, did not finish in time, exited non-zero, or wrote a bad variable line.</exception>
    public static async Task<(IReadOnlyDictionary<string, string> Env, string Detail)> RunAsync(
        IProcessRunner processes, RehearsalData data, string scratchDir, string dataDir, List<string> evidence, CancellationToken ct)
    {
        var envFile = Path.Combine(scratchDir, "data.env");
        File.WriteAllText(envFile, "");
        var lines = new List<string>();
        evidence.Add($"$ {data.Command.Text}");
        evidence.Add($"  ({ScratchDirVariable}={scratchDir}, {DataDirVariable}={dataDir}, {EnvFileVariable}={envFile})");
        ProcessResult result;
        try
        {
            var words = data.Command.Words;
            result = await processes.RunAsync(new ProcessSpec
            {
                Program = words[0],
                Args = [.. words.Skip(1)],
                WorkingDirectory = data.WorkingDirectory,
                Env = new Dictionary<string, string?>(StringComparer.Ordinal)
                {
                    [ScratchDirVariable] = scratchDir,
                    [DataDirVariable] = dataDir,
                    [EnvFileVariable] = envFile,
                },
                Timeout = data.Timeout,
                OnLine = line =>
                {
                    lock (lines)
                    {
                        lines.Add(line.Text);
                    }
                },
                Capture = false,
            }, ct);
        }
        catch (ProcessStartException e)
        {
            throw new OperationException($"the data command did not start: {e.Message}");
        }

        // Read before the output is logged, so the values the command named (a scratch database's password) are masked.
        var env = ReadEnv(envFile, out var bad);
        // The file holds the values in clear (a scratch database's password), and the scratch folder outlives the rehearsal.
        File.Delete(envFile);
        var output = lines.Select(l => Mask(l, env.Values)).ToList();
        evidence.AddRange(output.Select(l => "  " + l));
        // Its last words say why it failed (the whole output is in the phase's log).
        var said = output.LastOrDefault(l => !string.IsNullOrWhiteSpace(l)) is { } last ? $": {Core.Text.UntrustedText.OneLine(last)}" : "";
        if (result.TimedOut)
        {
            throw new OperationException(string.Create(CultureInfo.InvariantCulture, $"the data command did not finish within {data.Timeout.TotalSeconds:0} s{said}"));
        }

        if (result.ExitCode != 0)
        {
            throw new OperationException(string.Create(CultureInfo.InvariantCulture, $"the data command exited with {result.ExitCode}{said}"));
        }

        if (bad is not null)
        {
            throw new OperationException($"the data command wrote {bad} to {EnvFileVariable}; write KEY=VALUE lines");
        }

        if (env.Count > 0)
        {
            evidence.Add($"the scratch revisions and migration job get {string.Join(", ", env.Keys)} from the data command (values not shown)");
        }

        return (env, env.Count == 0 ? "the data command loaded the scratch data" : $"the data command loaded the scratch data and set {string.Join(", ", env.Keys)}");
    }

    /// <summary>The file's <c>KEY=VALUE</c> lines (blank lines and <c>#</c> comments skipped; a later key wins).</summary>
    /// <param name="bad">The first line that is not one, described without its value; null when all are.</param>
    private static Dictionary<string, string> ReadEnv(string path, out string? bad)
    {
        bad = null;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Trim() is "" || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            var key = equals > 0 ? line[..equals].Trim() : "";
            if (key.Length == 0 || Core.Naming.ResourceNames.Variable(key) is not null)
            {
                bad ??= string.Create(CultureInfo.InvariantCulture, $"line {number}, which is not KEY=VALUE with a variable's name");
                continue;
            }

            env[key] = line[(equals + 1)..];
        }

        return env;
    }

    /// <summary>A line with every value named (of 4 characters or more: shorter ones would mask common words) as <c>***</c>.</summary>
    public static string Mask(string line, IEnumerable<string> values) =>
        Maskable(values).Aggregate(line, (text, value) => text.Replace(value, "***", StringComparison.Ordinal));

    /// <summary>
    /// Masks the values in every regular file left in the scratch folder once its agent has stopped (the revisions' and
    /// the migration's own logs, the copied data): what a service printed stays as evidence, but not a value the data
    /// command named. Byte for byte, so a file that is not text keeps every other byte.
    /// </summary>
    public static void Scrub(string scratchDir, IReadOnlyCollection<string> values)
    {
        var needles = Maskable(values).Select(System.Text.Encoding.UTF8.GetBytes).ToList();
        if (needles.Count == 0 || !Directory.Exists(scratchDir))
        {
            return;
        }

        var mask = "***"u8.ToArray();
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
        foreach (var file in Directory.EnumerateFiles(scratchDir, "*", options))
        {
            var bytes = File.ReadAllBytes(file);
            var masked = needles.Aggregate(bytes, (text, needle) => Replace(text, needle, mask));
            if (!ReferenceEquals(masked, bytes))
            {
                File.WriteAllBytes(file, masked);
            }
        }
    }

    private static IEnumerable<string> Maskable(IEnumerable<string> values) => values.Where(v => v.Length >= 4).OrderByDescending(v => v.Length);

    /// <returns><paramref name="text"/> itself when the needle is not in it.</returns>
    private static byte[] Replace(byte[] text, byte[] needle, byte[] with)
    {
        var at = text.AsSpan().IndexOf(needle);
        if (at < 0)
        {
            return text;
        }

        var output = new List<byte>(text.Length);
        var rest = text.AsSpan();
        while ((at = rest.IndexOf(needle)) >= 0)
        {
            output.AddRange(rest[..at]);
            output.AddRange(with);
            rest = rest[(at + needle.Length)..];
        }

        output.AddRange(rest);
        return [.. output];
    }
}
