using System.Text;
using DeployMatrix.Core.Maintenance;
using DeployMatrix.Engine.Files;

namespace DeployMatrix.Local.Maintenance;

/// <summary>
/// A service's maintenance bypass token on disk (<see cref="LocalPaths.MaintenanceToken"/>): a file only
/// its owner reads (0600 in 0700 folders), holding one token of <see cref="BypassCookie.TokenBytes"/>
/// random bytes in base64url. It is replaced whole on every <c>maintenance enable</c> — so cookies from
/// before stop working — and never edited in place: a new file with a random name is created with
/// <see cref="FileMode.CreateNew"/> (never through a planted link) and renamed over the old one, so a
/// reader sees the old token or the new one, never an empty or half-written file.
/// </summary>
public static class MaintenanceTokenFile
{
    /// <summary>Longer than any token this tool writes; a bigger file is not a token and is not read whole.</summary>
    private const int MaxBytes = 1024;

    /// <summary>Writes a new random token to <paramref name="path"/>, replacing whatever was there (a damaged file included).</summary>
    /// <exception cref="IOException">The folder or file cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not ours to write.</exception>
    public static void Rotate(string path)
    {
        var folder = SafeFile.CreateFolder(Path.GetDirectoryName(path)!);
        File.SetUnixFileMode(folder, SafeFile.OwnerOnlyFolder); // a folder left wider by hand is narrowed before a secret goes in
        SafeFile.Write(path, BypassCookie.NewToken());
    }

    /// <summary>
    /// The token in <paramref name="path"/>, or null when there is no usable one: missing, unreadable, a
    /// link, too big, or not well formed (<see cref="BypassCookie.IsWellFormedToken"/> — e.g. the zero-byte
    /// file an interrupted write left). Null means nobody can bypass: maintenance fails closed.
    /// </summary>
    public static string? Read(string path)
    {
        try
        {
            var info = new FileInfo(path);
            // Empty covers what is not a regular file too (a FIFO, a device): never opened, so never blocks.
            if (!info.Exists || info.LinkTarget is not null || info.Length is 0 or > MaxBytes)
            {
                return null;
            }

            var token = File.ReadAllText(path, Encoding.ASCII).Trim();
            return BypassCookie.IsWellFormedToken(token) ? token : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
