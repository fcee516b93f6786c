using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Commands;

/// <summary>.deploymatrix/ holds logs, evidence, receipts and secrets: its owner's alone, and never committed.</summary>
public sealed class StateFolderTests
{
    [Fact]
    public void AfterACommand_TheStateFolderIsOwnerOnly_AndCarriesAGitignoreOfEverything()
    {
        using var repo = TempDir.CopyOfExample();

        var run = CliRun.Invoke(repo.Path, "audit", "verify");

        Assert.Equal(0, run.ExitCode);
        var root = Path.Combine(repo.Path, ".deploymatrix");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(root));
        Assert.Equal("*", File.ReadAllLines(Path.Combine(root, ".gitignore")).Last());
    }

    [Fact]
    public void AStateFolderThatIsALink_IsRefusedWithOneLine()
    {
        using var repo = TempDir.CopyOfExample();
        var elsewhere = Directory.CreateDirectory(Path.Combine(repo.Path, "elsewhere")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(repo.Path, ".deploymatrix"), elsewhere);

        var run = CliRun.Invoke(repo.Path, "audit", "verify");

        Assert.Equal((2, $"deploymatrix: refusing to write into {Path.Combine(repo.Path, ".deploymatrix")}: it is a symbolic link\n"), (run.ExitCode, run.Err));
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
    }
}
