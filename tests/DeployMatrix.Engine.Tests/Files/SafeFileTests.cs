using DeployMatrix.Engine.Files;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Engine.Tests.Files;

/// <summary>Files the tool writes are never written through a link planted at their name or their folder.</summary>
public sealed class SafeFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public void Write_OverALinkPlantedAtTheName_ReplacesTheLink_AndLeavesItsTargetAlone()
    {
        var victim = _dir.Write("victim.txt", "victim");
        var path = Path.Combine(_dir.Path, "state.json");
        File.CreateSymbolicLink(path, victim);

        SafeFile.Write(path, "secret");

        Assert.Equal("victim", File.ReadAllText(victim));
        Assert.Null(new FileInfo(path).LinkTarget);
        Assert.Equal("secret", File.ReadAllText(path));
        Assert.Equal(SafeFile.OwnerOnly, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Write_LeavesNoTemporaryFileBehind()
    {
        SafeFile.Write(Path.Combine(_dir.Path, "a.json"), "1");
        SafeFile.Write(Path.Combine(_dir.Path, "a.json"), "2");

        Assert.Equal(["a.json"], Directory.GetFileSystemEntries(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_IntoAFolderThatIsALink_IsRefused()
    {
        var elsewhere = Directory.CreateDirectory(Path.Combine(_dir.Path, "elsewhere")).FullName;
        var linked = Path.Combine(_dir.Path, "logs");
        Directory.CreateSymbolicLink(linked, elsewhere);

        var e = Assert.Throws<IOException>(() => SafeFile.Write(Path.Combine(linked, "a.log"), "x"));

        Assert.Equal($"refusing to write into {linked}: it is a symbolic link", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
    }

    [Fact]
    public void TryCreateNew_PassesOverANameTakenByALink_DanglingOrNot()
    {
        var victim = _dir.Write("victim.txt", "victim");
        var live = Path.Combine(_dir.Path, "r1.json");
        var dangling = Path.Combine(_dir.Path, "r2.json");
        File.CreateSymbolicLink(live, victim);
        File.CreateSymbolicLink(dangling, Path.Combine(_dir.Path, "nowhere"));

        Assert.False(SafeFile.TryCreateNew(live, "receipt"));
        Assert.False(SafeFile.TryCreateNew(dangling, "receipt"));
        Assert.True(SafeFile.TryCreateNew(Path.Combine(_dir.Path, "r3.json"), "receipt"));

        Assert.Equal("victim", File.ReadAllText(victim));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "nowhere")));
        Assert.Equal("receipt", File.ReadAllText(Path.Combine(_dir.Path, "r3.json")));
    }

    [Fact]
    public void StateFolder_IsOwnerOnly_AndIgnoresItselfForGit()
    {
        var root = Path.Combine(_dir.Path, ".deploymatrix");
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, SafeFile.OwnerOnlyFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        StateFolder.Ensure(root);

        Assert.Equal(SafeFile.OwnerOnlyFolder, File.GetUnixFileMode(root));
        Assert.Contains("*", File.ReadAllLines(Path.Combine(root, ".gitignore")));
    }

    public void Dispose() => _dir.Dispose();
}
