using DeployMatrix.Engine.Files;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Engine.Tests.Files;

public sealed class FileOwnerTests
{
    [Fact]
    public void AFileThisUserCreated_IsOwnedByThisUser()
    {
        using var dir = new TempDir();

        Assert.True(FileOwner.IsCurrentUsers(dir.Write("deploymatrix.yaml", "x")));
    }

    [Fact]
    public void AFileThatCannotBeExamined_IsNotOwned()
    {
        Assert.False(FileOwner.IsCurrentUsers("/nonexistent/deploymatrix.yaml"));
    }

    [Fact]
    public void AFileOfAnotherUser_IsNotOwned()
    {
        using var dir = new TempDir();
        var file = dir.Write("deploymatrix.yaml", "x");
        // Only root can give a file away; anyone else checks a file root owns.
        using var chown = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("chown", ["65534", file]) { RedirectStandardError = true })!;
        chown.WaitForExit();
        var othersFile = chown.ExitCode == 0 ? file : "/proc/1/cmdline";

        Assert.False(FileOwner.IsCurrentUsers(othersFile));
    }

    [Fact]
    public void ALinkAnotherUserMade_ToThisUsersMatrix_IsNotOwned()
    {
        using var dir = new TempDir();
        var file = dir.Write("real.yaml", "x");
        var link = Path.Combine(dir.Path, "deploymatrix.yaml");
        File.CreateSymbolicLink(link, file);

        Assert.True(FileOwner.IsCurrentUsers(file));
        Assert.Equal(!GiveAway("-h", link), FileOwner.IsCurrentUsers(link));
    }

    [Fact]
    public void ThisUsersFile_InAFolderAnotherUserOwns_IsNotOwned()
    {
        using var dir = new TempDir();
        var folder = Directory.CreateDirectory(Path.Combine(dir.Path, "theirs")).FullName;
        var file = Path.Combine(folder, "deploymatrix.yaml");
        File.WriteAllText(file, "x");

        // Not root: a file of ours directly in /tmp (a folder root owns) stands for it.
        var ours = GiveAway(null, folder) ? file : Path.Combine(Path.GetTempPath(), $"dm-owner-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(ours, "x");
        try
        {
            Assert.False(FileOwner.IsCurrentUsers(ours));
        }
        finally
        {
            if (ours != file)
            {
                File.Delete(ours);
            }
        }
    }

    /// <summary>Gives a path to nobody (uid 65534); only root can. Returns whether it did.</summary>
    private static bool GiveAway(string? flag, string path)
    {
        string[] args = flag is null ? ["65534", path] : [flag, "65534", path];
        using var chown = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("chown", args) { RedirectStandardError = true })!;
        chown.WaitForExit();
        return chown.ExitCode == 0;
    }
}
