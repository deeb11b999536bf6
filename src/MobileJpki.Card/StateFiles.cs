using System.Text.Json;

namespace MobileJpki.Card;

/// <summary>Bounded reading and atomic writing of the JSON files that hold a card's or a phone's state.</summary>
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
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
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
}
