using System.Reflection;
using System.Runtime.InteropServices;
using MobileJpki.Core;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace MobileJpki.Pki;

/// <summary>One loaded PKCS#11 library (C_Initialize'd once per process), shared by every token it serves.</summary>
/// <remarks>
/// <para><see cref="Epoch"/> counts initialisations. A token remembers the epoch its sessions were opened in; when the
/// library had to be finalised and initialised again (the module lost its state: CKR_CRYPTOKI_NOT_INITIALIZED, or a
/// token that only shows up after a rescan), every older session and object handle is void, even if a stale handle
/// number happens to be valid again in the new state.</para>
/// <para>Every call into the library runs inside <see cref="EnterUse"/>; <see cref="Reset"/> and <see cref="Dispose"/>
/// call C_Finalize only once no other thread is inside the library. Finalising under a signer in another thread (the
/// other CA's token lives in the same module) frees the state that signer is using and crashes the process.
/// <see cref="Reset"/> only acts for the epoch that failed, so two tokens seeing the same failure reset it once.</para>
/// </remarks>
internal sealed class Pkcs11Module : IDisposable
{
    private static readonly Pkcs11InteropFactories Factories = new();
    private readonly Lock _gate = new();
    private readonly ReaderWriterLockSlim _use = new(LockRecursionPolicy.NoRecursion);
    private IPkcs11Library? _library;
    private long _epoch;
    private bool _disposed;

    static Pkcs11Module() => NativeResolver.Register();

    public Pkcs11Module(string path) => Path = path;

    public string Path { get; }

    public long Epoch => Interlocked.Read(ref _epoch);

    /// <summary>The initialised library and its epoch, loading it if needed (throws "hsm-module-unavailable").</summary>
    public (IPkcs11Library Library, long Epoch) Acquire()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_library is null)
            {
                _library = Load(Path);
                Interlocked.Increment(ref _epoch);
            }

            return (_library, _epoch);
        }
    }

    /// <summary>Marks the calling thread as inside the library until the result is disposed (shared with other users).</summary>
    /// <remarks>Must not be nested, and <see cref="Reset"/> must not be called while inside.</remarks>
    public Use EnterUse()
    {
        _use.EnterReadLock();
        return new Use(_use);
    }

    /// <summary>Finalises the library if it is still the one of <paramref name="failedEpoch"/>; the next <see cref="Acquire"/> initialises it again.</summary>
    /// <remarks>Waits until no other thread is inside the library.</remarks>
    public void Reset(long failedEpoch)
    {
        _use.EnterWriteLock();
        try
        {
            lock (_gate)
            {
                if (_library is null || _epoch != failedEpoch)
                {
                    return;
                }

                DisposeQuietly(_library);
                _library = null;

                // Sessions opened in the finalised library are void from now on, not only after the next load.
                Interlocked.Increment(ref _epoch);
            }
        }
        finally
        {
            _use.ExitWriteLock();
        }
    }

    public void Dispose()
    {
        _use.EnterWriteLock();
        try
        {
            lock (_gate)
            {
                _disposed = true;
                if (_library is not null)
                {
                    DisposeQuietly(_library);
                    _library = null;
                }
            }
        }
        finally
        {
            _use.ExitWriteLock();
        }
    }

    /// <summary>Opens a second, independent handle on a module (tests and tools use it to act on the HSM from outside).</summary>
    internal static IPkcs11Library LoadDetached(string path) => Load(path);

    private static IPkcs11Library Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new MjpkiException(ErrorKind.Internal, "hsm-module-unavailable", $"The PKCS#11 module {path} does not exist (is the HSM client installed?).");
        }

        try
        {
            // Multi-threaded with OS locking: the CA signs on all cores, each thread in its own session.
            return Factories.Pkcs11LibraryFactory.LoadPkcs11Library(Factories, path, AppType.MultiThreaded);
        }
        catch (Pkcs11Exception e)
        {
            throw new MjpkiException(ErrorKind.Unavailable, "hsm-unavailable", $"The PKCS#11 module {path} could not be initialised ({e.RV}).", e);
        }
        catch (Exception e) when (e is not MjpkiException)
        {
            throw new MjpkiException(ErrorKind.Internal, "hsm-module-unavailable", $"The PKCS#11 module {path} could not be loaded: {e.Message}", e);
        }
    }

    private static void DisposeQuietly(IPkcs11Library library)
    {
        try
        {
            // C_Finalize: its result is ignored by Pkcs11Interop, which is what we want for a module that already lost its state.
            library.Dispose();
        }
        catch (Exception)
        {
            // A module that cannot even finalise is replaced all the same.
        }
    }

    /// <summary>A thread's stay inside the library.</summary>
    public readonly struct Use(ReaderWriterLockSlim gate) : IDisposable
    {
        public void Dispose() => gate.ExitReadLock();
    }

    /// <summary>
    /// Pkcs11Interop binds dlopen from "libdl", which Debian 12 only ships as libdl.so.2 (Pkcs11Interop issue #239):
    /// resolve it for that assembly before the first module is loaded.
    /// </summary>
    private static class NativeResolver
    {
        private static int _registered;

        public static void Register()
        {
            if (OperatingSystem.IsWindows() || Interlocked.Exchange(ref _registered, 1) == 1)
            {
                return;
            }

            try
            {
                NativeLibrary.SetDllImportResolver(typeof(Pkcs11InteropFactories).Assembly, Resolve);
            }
            catch (InvalidOperationException)
            {
                // The host registered its own resolver for the assembly already; it is in charge.
            }
        }

        private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (name != "libdl")
            {
                return IntPtr.Zero;
            }

            foreach (var candidate in new[] { "libdl.so.2", "libdl.so", "libc.so.6" })
            {
                if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle))
                {
                    return handle;
                }
            }

            return IntPtr.Zero;
        }
    }
}
