using System.Text.Json;
using MobileJpki.Core;

namespace MobileJpki.Card;

/// <summary>
/// Bounded reading, atomic writing and exclusive locking of the JSON files that hold a card's or a phone's state.
/// The files hold private keys and PIN counters: they and their folders are created 0600/0700 (<see cref="PrivateFiles"/>).
/// </summary>
public static class StateFiles
{
    public const long MaxFileLength = 1024 * 1024;

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>Reads and deserializes <paramref name="path"/>; any size, syntax or shape problem is an <see cref="InvalidDataException"/>.</summary>
    public static T Read<T>(string path, string what)
        where T : class
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            if (stream.Length > MaxFileLength)
            {
                throw new InvalidDataException($"The {what} file '{path}' is larger than {MaxFileLength} bytes.");
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }

        try
        {
            return JsonSerializer.Deserialize<T>(bytes, Options)
                ?? throw new InvalidDataException($"The {what} file '{path}' is empty.");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"The {what} file '{path}' is not a valid {what} file: {e.Message}", e);
        }
    }

    /// <summary>Writes to a temporary file beside <paramref name="path"/> and moves it over, so a crash never leaves half a file.</summary>
    public static void WriteAtomic<T>(string path, T value)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        PrivateFiles.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, PrivateFiles.Options(FileMode.CreateNew)))
            {
                JsonSerializer.Serialize(stream, value, Options);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>
    /// Takes the exclusive lock of the state file <paramref name="path"/>: <c>PATH.lock</c> beside it, held open with
    /// <see cref="FileShare.None"/> (an OS lock, flock on Unix) until the returned stream is disposed or the process
    /// ends. The state file itself cannot carry the lock, as every save replaces it by a rename. The lock file is left
    /// in place: deleting it on release would let two later openers lock two different files.
    /// </summary>
    /// <exception cref="IOException">Another process, or another open in this one, holds the lock; the message says so.</exception>
    public static FileStream Lock(string path, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var lockPath = Path.GetFullPath(path) + ".lock";
        try
        {
            return new FileStream(lockPath, PrivateFiles.Options(FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException)
        {
            var whatJa = what switch { "card" => "カード", "phone" => "スマホ", _ => what };
            throw new IOException(
                $"{whatJa}ファイル '{path}' は別のプログラムが使用中です / The {what} file '{path}' is in use by another program (lock {lockPath}); close that one first.",
                e);
        }
    }
}
