using DeployMatrix.Core.Maintenance;
using DeployMatrix.Local.Maintenance;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Local.Tests.Maintenance;

/// <summary>
/// The bypass token file on a real file system: what a reader accepts (a well-formed token, nothing
/// else), how a new one replaces whatever was there, and where each service's file lives.
/// </summary>
public sealed class MaintenanceTokenFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("")]                                  // what an interrupted first enable left
    [InlineData("\n")]
    [InlineData("short")]
    [InlineData("q6Lk0pZ3mN8vR2xW5yT1aB4cD7eF9gH0jK2lM3nP5r")] // 42 characters
    [InlineData("q6Lk0pZ3mN8vR2xW5yT1aB4cD7eF9gH0jK2lM3nP5r+")] // not base64url
    public void AnEmptyShortOrMalformedFile_IsNoToken_AndRotatingReplacesIt(string content)
    {
        var path = Path.Combine(_dir.Path, "secrets", "maintenance", "staging", "web.token");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);

        Assert.Null(MaintenanceTokenFile.Read(path));

        MaintenanceTokenFile.Rotate(path);

        var token = MaintenanceTokenFile.Read(path);
        Assert.NotNull(token);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", token);
        Assert.Equal(token, File.ReadAllText(path));
    }

    [Fact]
    public void Rotate_WritesANewTokenEachTime_OwnerOnly_AndLeavesNoTemporaryFile()
    {
        var path = Path.Combine(_dir.Path, "secrets", "maintenance", "staging", "web.token");

        MaintenanceTokenFile.Rotate(path);
        var first = MaintenanceTokenFile.Read(path);
        MaintenanceTokenFile.Rotate(path);
        var second = MaintenanceTokenFile.Read(path);

        Assert.True(BypassCookie.IsWellFormedToken(first));
        Assert.True(BypassCookie.IsWellFormedToken(second));
        Assert.NotEqual(first, second);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        Assert.Equal(["web.token"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void ALinkPlantedAtTheTokenPath_IsNotRead_NorWrittenThrough()
    {
        var victim = Path.Combine(_dir.Path, "victim.txt");
        var known = BypassCookie.NewToken(); // a token whoever planted the link knows
        File.WriteAllText(victim, known);
        var path = Path.Combine(_dir.Path, "secrets", "maintenance", "staging", "web.token");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, victim);

        Assert.Null(MaintenanceTokenFile.Read(path));

        MaintenanceTokenFile.Rotate(path);

        Assert.Equal(known, File.ReadAllText(victim));
        Assert.Null(new FileInfo(path).LinkTarget);
        Assert.NotEqual(known, MaintenanceTokenFile.Read(path));
    }

    [Fact]
    public void TokenFiles_OfDifferentServices_NeverCoincide()
    {
        var paths = new LocalPaths(_dir.Path);

        // Joined with a dash these two were one file, so one service's token bypassed the other.
        Assert.NotEqual(paths.MaintenanceToken("a", "b-c"), paths.MaintenanceToken("a-b", "c"));
        Assert.Equal(Path.Combine(_dir.Path, "secrets", "maintenance", "staging", "web.token"), paths.MaintenanceToken("staging", "web"));
        Assert.Throws<ArgumentException>(() => paths.MaintenanceToken("..", "web"));
        Assert.Throws<ArgumentException>(() => paths.MaintenanceToken("staging", "x/../../y"));
    }
}
