using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using MobileJpki.Core;

namespace MobileJpki.Web;

/// <summary>
/// The virtual cards and phones of one browser. A browser is known by a random 256-bit id in an HttpOnly, SameSite=Strict
/// cookie; its devices live under <c>{data}/simulator/{SHA-256 of the id}</c>, so nothing on disk or in a URL lets
/// another browser reach them, and every simulator page works on the devices of the browser that asked only.
/// </summary>
public sealed class SimulatorWorkspace
{
    /// <summary>The cookie holding the browser's workspace id.</summary>
    public const string CookieName = "mjpki-sim";

    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new(StringComparer.Ordinal);
    private readonly string _root;
    private readonly string _key;
    private readonly List<IDisposable> _opened = [];

    private SimulatorWorkspace(string root, string key)
    {
        _root = root;
        _key = key;
    }

    /// <summary>This browser's directory (created on first use).</summary>
    public string Directory
    {
        get
        {
            // 0700: the card and phone files below hold private keys and PIN counters.
            PrivateFiles.CreateDirectory(_root);
            return _root;
        }
    }

    /// <summary>The directory of this browser's virtual cards.</summary>
    public string CardsDirectory => PrivateFiles.CreateDirectory(Path.Combine(Directory, "cards")).FullName;

    /// <summary>The directory of this browser's virtual phones.</summary>
    public string PhonesDirectory => PrivateFiles.CreateDirectory(Path.Combine(Directory, "phones")).FullName;

    /// <summary>
    /// The workspace of the browser behind <paramref name="context"/>; a browser without a valid id gets a new one
    /// (set as a cookie on the response).
    /// </summary>
    public static SimulatorWorkspace For(HttpContext context, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Request.Cookies.TryGetValue(CookieName, out var id) || !IsWellFormed(id))
        {
            id = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
            context.Response.Cookies.Append(CookieName, id, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = context.Request.IsHttps,
                IsEssential = true,
                Path = "/",
                MaxAge = TimeSpan.FromDays(365),
            });
        }

        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(id)));
        return new SimulatorWorkspace(Path.Combine(Path.GetFullPath(dataDirectory), "simulator", key[..32]), key);
    }

    /// <summary>True for a device id this UI made (16 lower-case hex digits): ids from forms and URLs are checked with it before they become file names.</summary>
    public static bool IsDeviceId(string? id) => id is { Length: 16 } && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));

    /// <summary>A new device id.</summary>
    public static string NewDeviceId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>
    /// Serialises work on this browser's devices: two tabs pressing buttons at once must not interleave writes to one
    /// phone's file (its SE counters would be lost).
    /// </summary>
    public async Task<IDisposable> LockAsync(CancellationToken ct)
    {
        var gate = Locks.GetOrAdd(_key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Release(gate, this);
    }

    /// <summary>
    /// Keeps a device opened under <see cref="LockAsync"/> until the lock is released: then its file lock is let go,
    /// before the next request of this browser may open it again.
    /// </summary>
    internal T Track<T>(T device)
        where T : IDisposable
    {
        lock (_opened)
        {
            _opened.Add(device);
        }

        return device;
    }

    private void CloseOpened()
    {
        IDisposable[] opened;
        lock (_opened)
        {
            opened = [.. _opened];
            _opened.Clear();
        }

        foreach (var device in opened)
        {
            device.Dispose();
        }
    }

    private static bool IsWellFormed(string id) =>
        id.Length == 43 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');


    private sealed class Release(SemaphoreSlim gate, SimulatorWorkspace workspace) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                try
                {
                    workspace.CloseOpened();
                }
                finally
                {
                    gate.Release();
                }
            }
        }
    }
}
