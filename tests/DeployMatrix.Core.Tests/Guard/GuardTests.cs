using DeployMatrix.Core.Guard;
using DeployMatrix.Core.Loading;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Core.Tests.Guard;

public sealed class GuardTests
{
    private const string Matrix = """
        matrix: { title: T, status: active, updated: 2026-01-01 }
        environments: [staging]
        lanes:
          ops: { kind: binary, run: ops-cli <command> }
        legacy:
          commands:
            - { command: php artisan, why: legacy Laravel/PHP }
            - { command: mix test, why: legacy Elixir }
            - { command: npm run deploy, why: legacy Node deploy }
          assets: ["**/artisan", "**/composer.json"]
          archived: [archive/laravel/]
        """;

    [Fact]
    public void Guard_FindsForbiddenCommandsInEveryKindOfScript()
    {
        using var repo = new TempDir();
        repo.Write("deploymatrix.yaml", Matrix);
        repo.Write("scripts/deploy.sh", "#!/bin/sh\nset -e\ncd app && php artisan migrate --force\n");
        repo.Write("Makefile", "test:\n\tmix test --cover\n");
        repo.Write(".github/workflows/ci.yml", "jobs:\n  deploy:\n    steps:\n      - run: npm run deploy\n");
        repo.Write("Dockerfile", "FROM php:8\nRUN /usr/local/bin/php artisan optimize\n");
        repo.Write("web/package.json", "{\n  \"name\": \"web\",\n  \"scripts\": {\n    \"ship\": \"npm run deploy -- --prod\"\n  }\n}\n");
        repo.Write("tools/release", "#!/usr/bin/env bash\nmix test\n");

        var findings = RepositoryGuard.Scan(MatrixLoader.Load(Path.Combine(repo.Path, "deploymatrix.yaml")).Matrix!, repo.Path);

        Assert.Equal(
            [
                ".github/workflows/ci.yml:4: npm run deploy",
                "Dockerfile:2: php artisan",
                "Makefile:2: mix test",
                "scripts/deploy.sh:3: php artisan",
                "tools/release:2: mix test",
                "web/package.json:4: npm run deploy",
            ],
            findings.Select(f => $"{f.Path}:{f.Line}: {f.Subject}"));
        Assert.All(findings, f => Assert.Equal(FindingKind.ForbiddenCommand, f.Kind));
    }

    [Fact]
    public void Guard_IgnoresComments_Documentation_AndArchivedPaths()
    {
        using var repo = new TempDir();
        repo.Write("deploymatrix.yaml", Matrix);
        repo.Write("scripts/deploy.sh", "#!/bin/sh\n# never run php artisan here\necho 'php artisan' is gone # php artisan\nphp artisan down\n");
        repo.Write("README.md", "Do not use `php artisan` any more.\n");
        repo.Write("archive/laravel/deploy.sh", "php artisan migrate\n");
        repo.Write("archive/laravel/artisan", "#!/usr/bin/env php\n");

        var findings = RepositoryGuard.Scan(MatrixLoader.Load(Path.Combine(repo.Path, "deploymatrix.yaml")).Matrix!, repo.Path);

        var finding = Assert.Single(findings);
        Assert.Equal("scripts/deploy.sh", finding.Path);
        Assert.Equal(4, finding.Line);
    }

    [Fact]
    public void Guard_FlagsLegacyAssetsOutsideTheArchivedPaths()
    {
        using var repo = new TempDir();
        repo.Write("deploymatrix.yaml", Matrix);
        repo.Write("apps/web/artisan", "#!/usr/bin/env php\n");
        repo.Write("apps/web/composer.json", "{}\n");
        repo.Write("archive/laravel/composer.json", "{}\n");

        var findings = RepositoryGuard.Scan(MatrixLoader.Load(Path.Combine(repo.Path, "deploymatrix.yaml")).Matrix!, repo.Path);

        Assert.Equal(["apps/web/artisan", "apps/web/composer.json"], findings.Select(f => f.Path));
        Assert.All(findings, f => Assert.Equal(FindingKind.LegacyAsset, f.Kind));
        Assert.All(findings, f => Assert.Contains("archive/laravel/", f.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Guard_OnTheExample_FindsNothing()
    {
        var matrix = MatrixLoader.Load(RepoPaths.Example).Matrix!;

        Assert.Empty(RepositoryGuard.Scan(matrix, matrix.BaseDirectory));
    }

    [Fact]
    public async Task Guard_ReadsRegularFilesOnly_NotLinksFifosOrDevices()
    {
        using var repo = new TempDir();
        repo.Write("deploymatrix.yaml", Matrix);
        using var outside = new TempDir();
        var real = Path.Combine(outside.Path, "deploy.sh");
        File.WriteAllText(real, "php artisan migrate\n");
        Directory.CreateDirectory(Path.Combine(repo.Path, "scripts"));
        File.CreateSymbolicLink(Path.Combine(repo.Path, "scripts", "zero.sh"), "/dev/zero");
        File.CreateSymbolicLink(Path.Combine(repo.Path, "scripts", "linked.sh"), real);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [Path.Combine(repo.Path, "scripts", "pipe.sh")]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        repo.Write("scripts/ok.sh", "echo fine\nmix test\n");
        var matrix = MatrixLoader.Load(Path.Combine(repo.Path, "deploymatrix.yaml")).Matrix!;

        // Bounded only so a regression fails instead of hanging the run: the old scan never returned.
        var findings = await Task.Run(() => RepositoryGuard.Scan(matrix, repo.Path)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["scripts/ok.sh:2: mix test"], findings.Select(f => $"{f.Path}:{f.Line}: {f.Subject}"));
    }

    [Fact]
    public void Guard_AScriptPastOneMiB_IsAFindingNotAHidingPlace()
    {
        using var repo = new TempDir();
        repo.Write("deploymatrix.yaml", Matrix);
        repo.Write("scripts/big.sh", new string('#', RepositoryGuard.MaxScriptBytes) + "\nphp artisan migrate\n");
        repo.Write("scripts/edge.sh", new string('#', RepositoryGuard.MaxScriptBytes - 14) + "\nmix test\n");

        var findings = RepositoryGuard.Scan(MatrixLoader.Load(Path.Combine(repo.Path, "deploymatrix.yaml")).Matrix!, repo.Path);

        Assert.Equal(
            ["scripts/big.sh:1: TooLarge", "scripts/edge.sh:2: ForbiddenCommand"],
            findings.Select(f => $"{f.Path}:{f.Line}: {f.Kind}"));
        Assert.Equal("scripts/big.sh:1: script larger than 1 MiB is not scanned for legacy commands; split it or move it under archive/laravel/", findings[0].ToString());
    }

    [Fact]
    public void Guard_StopsWhenCancelled()
    {
        using var repo = new TempDir();
        repo.Write("deploymatrix.yaml", Matrix);
        repo.Write("scripts/a.sh", "mix test\n");

        Assert.Throws<OperationCanceledException>(() =>
            RepositoryGuard.Scan(MatrixLoader.Load(Path.Combine(repo.Path, "deploymatrix.yaml")).Matrix!, repo.Path, new CancellationToken(canceled: true)));
    }
}
