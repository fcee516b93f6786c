using DeployMatrix.Core.Guard;
using DeployMatrix.Core.Loading;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Core.Tests.Guard;

/// <summary>
/// The guard's parts one by one: gitignore-style globs (https://git-scm.com/docs/gitignore#_pattern_format),
/// which files count as scripts, where a comment starts, and what a scan skips.
/// </summary>
public sealed class GuardPartsTests
{
    [Theory]
    [InlineData("artisan", "artisan", true)]
    [InlineData("artisan", "apps/web/artisan", true)]       // no slash: a name at any depth
    [InlineData("artisan", "apps/web/artisan.bak", false)]
    [InlineData("artisan", "xartisan", false)]
    [InlineData("*.php", "src/a.php", true)]
    [InlineData("*.php", "src/a.phpx", false)]
    [InlineData("src/*.php", "src/a.php", true)]
    [InlineData("src/*.php", "src/lib/a.php", false)]       // '*' stays within one name
    [InlineData("src/*.php", "other/src/a.php", false)]     // a slash anchors at the root
    [InlineData("src/?.php", "src/a.php", true)]
    [InlineData("src/?.php", "src/ab.php", false)]
    [InlineData("src/?.php", "src//.php", false)]
    [InlineData("**/composer.json", "composer.json", true)]
    [InlineData("**/composer.json", "a/b/composer.json", true)]
    [InlineData("**/composer.json", "a/b/composer.jsonx", false)]
    [InlineData("deploy/**", "deploy/a/b.sh", true)]
    [InlineData("deploy/**", "deployx/a", false)]
    [InlineData("a/**/b", "a/b", true)]
    [InlineData("a/**/b", "a/x/y/b", true)]
    [InlineData("a/**/b", "a/xb", false)]
    [InlineData("a.b/c+d", "a.b/c+d", true)]                // regex characters are literal
    [InlineData("a.b/c+d", "axb/cd", false)]
    public void Globs_MatchAsGitignoreDoes(string glob, string path, bool matches)
    {
        Assert.Equal(matches, Glob.ToRegex(glob).IsMatch(path));
    }

    [Theory]
    [InlineData("web/package.json", "PackageJson")]
    [InlineData("Makefile", "Make")]
    [InlineData("GNUmakefile", "Make")]
    [InlineData("makefile", "Make")]
    [InlineData("justfile", "Make")]
    [InlineData("Procfile", "Make")]
    [InlineData("build/rules.mk", "Make")]
    [InlineData("Dockerfile", "Docker")]
    [InlineData("Containerfile", "Docker")]
    [InlineData("Dockerfile.prod", "Docker")]
    [InlineData("images/api.dockerfile", "Docker")]
    [InlineData("scripts/a.sh", "Shell")]
    [InlineData("scripts/a.BASH", "Shell")]
    [InlineData("scripts/a.zsh", "Shell")]
    [InlineData("repo/.github/workflows/ci.yml", "CiWorkflow")]
    [InlineData("repo/.github/workflows/ci.yaml", "CiWorkflow")]
    [InlineData("repo/.circleci/config.yml", "CiWorkflow")]
    [InlineData("cloudbuild.prod.yaml", "CiWorkflow")]
    [InlineData(".gitlab-ci.yml", "CiWorkflow")]
    [InlineData("azure-pipelines.yml", "CiWorkflow")]
    [InlineData("bitbucket-pipelines.yml", "CiWorkflow")]
    [InlineData(".travis.yml", "CiWorkflow")]
    [InlineData("Jenkinsfile", "CiWorkflow")]
    [InlineData("repo/.github/ISSUE_TEMPLATE.yml", null)]
    [InlineData("repo/config.yml", null)]
    [InlineData("README.md", null)]
    [InlineData("Makefile.txt", null)]
    [InlineData("composer.json", null)]
    public void Scripts_AreKnownByNameAndPlace(string path, string? kind)
    {
        Assert.Equal(kind, ScriptKinds.Classify(path)?.ToString());
    }

    [Theory]
    [InlineData("#!/bin/sh\necho\n", "Shell")]
    [InlineData("#!/usr/bin/env bash\n", "Shell")]
    [InlineData("#!/usr/bin/env zsh\n", "Shell")]
    [InlineData("#!/usr/bin/env python3\n", null)]
    [InlineData("echo sh\n", null)]
    [InlineData("", null)]
    public void AFileWithoutExtension_IsAScript_WhenItsShebangIsAShell(string content, string? kind)
    {
        using var dir = new TempDir();
        dir.Write("tools/release", content);

        Assert.Equal(kind, ScriptKinds.Classify(Path.Combine(dir.Path, "tools/release"))?.ToString());
    }

    [Fact]
    public void AFileWithAnExtension_IsNotOpenedForItsShebang()
    {
        using var dir = new TempDir();
        dir.Write("tools/release.txt", "#!/bin/sh\n");

        Assert.Null(ScriptKinds.Classify(Path.Combine(dir.Path, "tools/release.txt")));
        Assert.Null(ScriptKinds.Classify(Path.Combine(dir.Path, "tools/missing")));
    }

    [Theory]
    [InlineData("php artisan # migrate", "php artisan")]
    [InlineData("# all comment", "")]
    [InlineData("  php artisan  ", "php artisan")]
    [InlineData("echo a#b", "echo a#b")]                     // '#' inside a word is not a comment
    [InlineData("echo '# not' # yes", "echo '# not'")]
    [InlineData("echo \"it's # here\" x", "echo \"it's # here\" x")]
    [InlineData("echo 'a\" # b' c # d", "echo 'a\" # b' c")]
    [InlineData("run:\t# tab", "run:")]
    public void AComment_StartsAtAHashThatStartsAWord_OutsideQuotes(string line, string code)
    {
        Assert.Equal(code, RepositoryGuard.StripComment(line));
    }

    [Fact]
    public void AScan_SkipsBuildAndVendorFolders_TheMatrixItself_AndOddPackageFiles()
    {
        using var repo = RepoWithLegacy("""
            commands: [{ command: php artisan, why: legacy }]
            assets: ["**/artisan"]
            archived: [archive/]
            """);
        foreach (var skipped in new[] { ".git", "node_modules", "target", "bin", "obj", "artifacts", ".deploymatrix", "vendor", ".venv" })
        {
            repo.Write($"{skipped}/deploy.sh", "php artisan migrate\n");
            repo.Write($"{skipped}/artisan", "x\n");
        }

        repo.Write("broken/package.json", "{ \"scripts\": { \"a\": \"php artisan\" ");
        repo.Write("list/package.json", "[\"php artisan\"]");
        repo.Write("noscripts/package.json", "{ \"name\": \"php artisan\" }");
        repo.Write("arrayscripts/package.json", "{ \"scripts\": [\"php artisan\"] }");
        repo.Write("numbers/package.json", "{ \"scripts\": { \"n\": 1, \"ok\": \"php artisan up\" } }");
        repo.Write("deep/a/b/c/run.sh", "\n\nphp artisan down\n");

        var findings = RepositoryGuard.Scan(MatrixLoader.Load(Path.Combine(repo.Path, "deploymatrix.yaml")).Matrix!, repo.Path);

        Assert.Equal(
            ["deep/a/b/c/run.sh:3: forbidden legacy command 'php artisan' (legacy); use the matrix's canonical lanes instead",
             "numbers/package.json:1: forbidden legacy command 'php artisan' (legacy); use the matrix's canonical lanes instead"],
            findings.Select(f => f.ToString()));
    }

    [Fact]
    public void AnAssetFinding_NamesItsPattern_AndEveryArchivedPath()
    {
        using var repo = RepoWithLegacy("""
            assets: ["**/artisan", "*.php"]
            archived: [archive/a/, archive/b/]
            """);
        repo.Write("app/index.php", "<?php\n");
        repo.Write("archive/b/index.php", "<?php\n");

        var finding = Assert.Single(RepositoryGuard.Scan(MatrixLoader.Load(Path.Combine(repo.Path, "deploymatrix.yaml")).Matrix!, repo.Path));

        Assert.Equal(
            "app/index.php:1: legacy deploy asset outside the archived paths (matches '*.php'); move it under archive/a/ or archive/b/",
            finding.ToString());
        Assert.Equal(("*.php", FindingKind.LegacyAsset), (finding.Subject, finding.Kind));
    }

    /// <summary>A scratch repository whose matrix has one binary lane and the given <c>legacy:</c> section (its lines, unindented).</summary>
    private static TempDir RepoWithLegacy(string legacy)
    {
        var repo = new TempDir();
        repo.Write("deploymatrix.yaml", "matrix: { title: T, status: active, updated: 2026-01-01 }\nenvironments: [staging]\nlanes:\n  ops: { kind: binary, run: ops-cli <command> }\nlegacy:\n"
            + string.Concat(legacy.Split('\n').Select(line => $"  {line}\n")));
        return repo;
    }
}
