using System.Text;

namespace DeployMatrix.Engine.Files;

/// <summary>
/// Writes the files the tool keeps (state, evidence, receipts, agent.json, drill reports) so that nothing
/// planted beside them can redirect the bytes: the content goes to a new file with a random name, created
/// with <see cref="FileMode.CreateNew"/> (O_CREAT|O_EXCL: it never opens an existing file or follows a
/// link), flushed to disk, then renamed onto the target — a rename replaces a symbolic link at the target
/// instead of writing through it. Readers see the old file or the new one, never half of one.
/// </summary>
public static class SafeFile
{
    /// <summary>Owner read and write (0600): the mode of every file the tool keeps unless it says otherwise.</summary>
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Owner only (0700): folders that hold state, secrets or evidence.</summary>
    public const UnixFileMode OwnerOnlyFolder = OwnerOnly | UnixFileMode.UserExecute;

    /// <summary>Replaces (or creates) <paramref name="path"/> with <paramref name="content"/> (UTF-8, no BOM).</summary>
    /// <param name="mode">The new file's mode; the default is 0600.</param>
    /// <exception cref="IOException">The folder is missing or is a symbolic link, or the write failed (the target is then unchanged).</exception>
    public static void Write(string path, string content, UnixFileMode mode = OwnerOnly)
    {
        using var bytes = new MemoryStream(Encoding.UTF8.GetBytes(content));
        Write(path, bytes, mode);
    }

    /// <summary>Replaces (or creates) <paramref name="path"/> with what <paramref name="content"/> holds from its position on (a copied file).</summary>
    /// <exception cref="IOException">The folder is missing or is a symbolic link, or the write failed (the target is then unchanged).</exception>
    public static void Write(string path, Stream content, UnixFileMode mode = OwnerOnly)
    {
        var temp = WriteTemp(path, content, mode);
        try
        {
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>
    /// Creates <paramref name="path"/> with <paramref name="content"/> only when nothing of that name exists —
    /// a file, a folder or a link, dangling or not. For records that are never overwritten (receipts).
    /// </summary>
    /// <returns>False (and nothing written) when the name is taken.</returns>
    /// <exception cref="IOException">The folder is missing or is a symbolic link, or the write failed.</exception>
    public static bool TryCreateNew(string path, string content, UnixFileMode mode = OwnerOnly)
    {
        if (Taken(path))
        {
            return false;
        }

        using var bytes = new MemoryStream(Encoding.UTF8.GetBytes(content));
        var temp = WriteTemp(path, bytes, mode);
        try
        {
            // Without overwrite, .NET moves by link(2) then unlink(2): link fails when the name exists.
            File.Move(temp, path, overwrite: false);
            return true;
        }
        catch (IOException) when (Taken(path))
        {
            File.Delete(temp);
            return false;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Creates a folder (and its parents) owner-only, refusing one that is a symbolic link.</summary>
    /// <returns>The folder's full path.</returns>
    /// <exception cref="IOException">The folder is a symbolic link (or a file).</exception>
    public static string CreateFolder(string folder)
    {
        var full = Path.GetFullPath(folder);
        RefuseLinkedFolder(full);
        Directory.CreateDirectory(full, OwnerOnlyFolder);
        return full;
    }

    /// <summary>Whether an entry of this name exists, links included (File.Exists follows them).</summary>
    public static bool Taken(string path) =>
        File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;

    /// <exception cref="IOException">The folder is a symbolic link: what is written there would land wherever it points.</exception>
    public static void RefuseLinkedFolder(string folder)
    {
        if (new DirectoryInfo(folder).LinkTarget is not null)
        {
            throw new IOException($"refusing to write into {folder}: it is a symbolic link");
        }
    }

    private static string WriteTemp(string path, Stream content, UnixFileMode mode)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        RefuseLinkedFolder(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        // Created first, outside the try: a name that is somehow taken is someone else's file, not ours to delete.
        var stream = new FileStream(temp, options);
        try
        {
            using (stream)
            {
                content.CopyTo(stream);
                stream.Flush(flushToDisk: true);
            }
        }
        catch
        {
            File.Delete(temp);
            throw;
        }

        return temp;
    }
}
