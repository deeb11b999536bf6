namespace MobileJpki.Core;

/// <summary>
/// Files and folders that hold secrets (keys, card and phone state, the database, data folders): on Unix they are
/// created 0600 and 0700 by the system call that creates them, so there is no moment when another local user could
/// open them (docs/security.md, "Secrets at rest and in the CLI"). Existing files and folders keep their mode: the
/// operator who loosened one did so on purpose.
/// </summary>
public static class PrivateFiles
{
    /// <summary>rw------- for files.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>rwx------ for folders.</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Creates <paramref name="path"/> and every missing parent 0700 (on Unix); an existing folder is left as it is.</summary>
    public static DirectoryInfo CreateDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            return Directory.CreateDirectory(path);
        }

        // Directory.CreateDirectory(path, mode) gives the mode to the last folder only; the parents it makes would be
        // 0755, so each missing one is made here, top down.
        var full = Path.GetFullPath(path);
        var missing = new Stack<string>();
        for (var folder = full; !string.IsNullOrEmpty(folder) && !Directory.Exists(folder); folder = Path.GetDirectoryName(folder))
        {
            missing.Push(folder);
        }

        while (missing.TryPop(out var folder))
        {
            Directory.CreateDirectory(folder, DirectoryMode);
        }

        return new DirectoryInfo(full);
    }

    /// <summary>Creates the folder that will hold <paramref name="filePath"/> (see <see cref="CreateDirectory"/>).</summary>
    public static void CreateParentDirectory(string filePath) =>
        CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(filePath))!);

    /// <summary>Options that create a file 0600 (on Unix) when <paramref name="mode"/> creates one.</summary>
    public static FileStreamOptions Options(
        System.IO.FileMode mode,
        FileAccess access = FileAccess.Write,
        FileShare share = FileShare.None)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share };
        if (!OperatingSystem.IsWindows() && mode != System.IO.FileMode.Open && mode != System.IO.FileMode.Truncate)
        {
            options.UnixCreateMode = FileMode;
        }

        return options;
    }

    /// <summary>Writes <paramref name="contents"/> to a new or truncated file, created 0600.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> contents)
    {
        using var stream = new FileStream(path, Options(System.IO.FileMode.Create));
        stream.Write(contents);
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8) to a new or truncated file, created 0600.</summary>
    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Asynchronous <see cref="WriteAllBytes"/>.</summary>
    public static async Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> contents, CancellationToken ct)
    {
        await using var stream = new FileStream(path, Options(System.IO.FileMode.Create));
        await stream.WriteAsync(contents, ct);
    }
}
