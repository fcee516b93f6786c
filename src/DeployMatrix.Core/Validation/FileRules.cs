using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Validation;

/// <summary>Every local file the matrix names must exist, relative to the matrix file's folder.</summary>
internal static class FileRules
{
    public static void CheckLane(Matrix matrix, Lane lane, DiagnosticBag d)
    {
        if (lane.Build?.CloudBuild?.Config is { } config)
        {
            Require(matrix, config, $"Cloud Build config of lane '{lane.Name}'", d);
        }

        foreach (var runbook in lane.Runbooks)
        {
            Require(matrix, runbook, $"runbook of lane '{lane.Name}'", d);
        }

        // Files the lane took from defaults.serving are checked once, there.
        foreach (var file in new[] { lane.Serving?.TlsCertificate, lane.Serving?.TlsKey })
        {
            if (file is not null && file != matrix.Defaults.Serving.TlsCertificate && file != matrix.Defaults.Serving.TlsKey)
            {
                Require(matrix, file, $"TLS file of lane '{lane.Name}'", d);
            }
        }

        if (lane.Run is { } run && ManifestPath(run) is { } manifest)
        {
            Require(matrix, manifest, $"Cargo manifest of lane '{lane.Name}'", d);
        }
    }

    public static void CheckGate(Matrix matrix, DiagnosticBag d)
    {
        foreach (var file in new[] { matrix.Defaults.Serving.TlsCertificate, matrix.Defaults.Serving.TlsKey })
        {
            if (file is not null)
            {
                Require(matrix, file, "TLS file of 'defaults.serving'", d);
            }
        }

        if (matrix.Gate?.Doc is { } doc)
        {
            Require(matrix, doc, "gate document", d);
        }
    }

    /// <summary>The path after <c>--manifest-path</c> in a cargo command, which must exist for the command to run.</summary>
    public static FileRef? ManifestPath(CommandText command)
    {
        var words = command.Words;
        for (var i = 0; i < words.Count; i++)
        {
            if (words[i] == "--")
            {
                break;
            }

            if (words[i] == "--manifest-path" && i + 1 < words.Count)
            {
                return new FileRef(words[i + 1], command.Pos);
            }

            if (words[i].StartsWith("--manifest-path=", StringComparison.Ordinal))
            {
                return new FileRef(words[i]["--manifest-path=".Length..], command.Pos);
            }
        }

        return null;
    }

    private static void Require(Matrix matrix, FileRef file, string what, DiagnosticBag d)
    {
        if (Path.IsPathRooted(file.Path))
        {
            d.Add(file.Pos, "path", $"{what} '{file.Path}' must be relative to the matrix file so the repository stays portable");
            return;
        }

        var full = Path.Combine(matrix.BaseDirectory, file.Path);
        if (!File.Exists(full) && !Directory.Exists(full))
        {
            d.Add(file.Pos, "missing-file", $"{what} '{file.Path}' does not exist (looked in {matrix.BaseDirectory})");
        }
    }
}
