using DeployMatrix.Engine.Files;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Engine.Tests.Files;

public sealed class FileOwnerTests
{
    [Fact]
    public void AFileThisUserCreated_IsOwnedByThisUser()
    {
        using var dir = new TempDir();

        Assert.True(FileOwner.IsCurrentUser(dir.Write("deploymatrix.yaml", "x")));
    }

    [Fact]
    public void AFileThatCannotBeExamined_IsNotOwned()
    {
        Assert.False(FileOwner.IsCurrentUser("/nonexistent/deploymatrix.yaml"));
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

        Assert.False(FileOwner.IsCurrentUser(othersFile));
    }
}
