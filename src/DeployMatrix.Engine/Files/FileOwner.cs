using System.Runtime.InteropServices;

namespace DeployMatrix.Engine.Files;

/// <summary>Who owns a file; .NET exposes a file's mode but not its owner.</summary>
public static partial class FileOwner
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxUid = 0x8;

    // struct statx is laid out the same on every Linux architecture (unlike struct stat): stx_uid at byte 20.
    private const int StatxSize = 256;
    private const int UidOffset = 20;

    /// <summary>
    /// Whether the effective user owns <paramref name="path"/> itself — a symbolic link is judged as the
    /// link, not as what it points to, since whoever made the link chose the target — and the folder it is
    /// in (relative paths in a matrix resolve from there, so whoever owns the folder decides what runs, as
    /// git's <c>safe.directory</c> rule says). False when either cannot be examined. On systems without
    /// <c>statx</c> (not Linux) it answers true: the check is not available there.
    /// </summary>
    public static bool IsCurrentUsers(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }

        var full = Path.GetFullPath(path);
        return Owned(full) && Path.GetDirectoryName(full) is { } folder && Owned(folder);
    }

    private static bool Owned(string path)
    {
        var buffer = new byte[StatxSize];
        return Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxUid, buffer) == 0 &&
               BitConverter.ToUInt32(buffer, UidOffset) == GetEuid();
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, [Out] byte[] buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
