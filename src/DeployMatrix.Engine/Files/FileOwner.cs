using System.Runtime.InteropServices;

namespace DeployMatrix.Engine.Files;

/// <summary>Who owns a file; .NET exposes a file's mode but not its owner.</summary>
public static partial class FileOwner
{
    private const int AtFdCwd = -100;
    private const uint StatxUid = 0x8;

    // struct statx is laid out the same on every Linux architecture (unlike struct stat): stx_uid at byte 20.
    private const int StatxSize = 256;
    private const int UidOffset = 20;

    /// <summary>
    /// Whether the effective user owns <paramref name="path"/> (symbolic links followed: the file that would be
    /// read). False when it cannot be examined. On systems without <c>statx</c> (not Linux) it answers true:
    /// the check is not available there.
    /// </summary>
    public static bool IsCurrentUser(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }

        var buffer = new byte[StatxSize];
        return Statx(AtFdCwd, Path.GetFullPath(path), 0, StatxUid, buffer) == 0 &&
               BitConverter.ToUInt32(buffer, UidOffset) == GetEuid();
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
