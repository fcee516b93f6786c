namespace DeployMatrix.Core.Guard;

internal enum ScriptKind
{
    Shell,
    Make,
    Docker,
    CiWorkflow,
    PackageJson,
}

/// <summary>Which files hold commands that run: the places a legacy deploy could hide.</summary>
internal static class ScriptKinds
{
    public static ScriptKind? Classify(string path)
    {
        var name = Path.GetFileName(path);
        var normalized = path.Replace('\\', '/');
        var extension = Path.GetExtension(name).ToLowerInvariant();
        if (name == "package.json")
        {
            return ScriptKind.PackageJson;
        }

        if (name is "Makefile" or "GNUmakefile" or "makefile" or "justfile" or "Procfile" || extension == ".mk")
        {
            return ScriptKind.Make;
        }

        if (name is "Dockerfile" or "Containerfile" || name.StartsWith("Dockerfile.", StringComparison.Ordinal) || extension == ".dockerfile")
        {
            return ScriptKind.Docker;
        }

        if (extension is ".sh" or ".bash" or ".zsh")
        {
            return ScriptKind.Shell;
        }

        if (IsCi(normalized, name, extension))
        {
            return ScriptKind.CiWorkflow;
        }

        return extension.Length == 0 && HasShellShebang(path) ? ScriptKind.Shell : null;
    }

    private static bool IsCi(string path, string name, string extension) =>
        (extension is ".yml" or ".yaml" &&
         (path.Contains("/.github/workflows/", StringComparison.Ordinal) || path.Contains("/.circleci/", StringComparison.Ordinal) ||
          name.StartsWith("cloudbuild", StringComparison.Ordinal) || name is ".gitlab-ci.yml" or "azure-pipelines.yml" or "bitbucket-pipelines.yml" or ".travis.yml"))
        || name == "Jenkinsfile";

    private static bool HasShellShebang(string path)
    {
        try
        {
            using var reader = new StreamReader(path);
            var first = reader.ReadLine();
            return first is not null && first.StartsWith("#!", StringComparison.Ordinal) && (first.Contains("sh", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
