using System.Collections.Concurrent;
using MobileJpki.Core;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace MobileJpki.Pki;

/// <summary>One token (found by label), its logged-in sessions and the recovery when the HSM or a session goes away.</summary>
/// <remarks>
/// <para><b>Session pool.</b> A PKCS#11 session runs one operation at a time, so each concurrent signer rents its own
/// session and gives it back afterwards: the CA's parallel batch signing is never serialised on one session. Sessions
/// are opened on demand (as many as there have ever been concurrent signers) and kept.</para>
/// <para><b>Recovery.</b> Other CAs are known to stay broken after an HSM restart until the process restarts. Here an
/// operation that fails with an error meaning "your session/handles/library state is gone" (<see cref="IsGone"/>)
/// makes the token start a new <see cref="Generation"/>: every pooled session is dropped, the slot is found again by
/// label (slot ids change), the library is finalised and initialised again if it lost its state or the token is not
/// visible, keys look their handles up again, and the operation is retried once. If the token is still not there,
/// the caller gets <c>hsm-unavailable</c> (503 at the HTTP edge; the RA requeues the batch) and the next operation
/// tries again, so signing recovers by itself when the HSM comes back.</para>
/// <para><b>First contact</b> errors (module missing, token not found, wrong PIN) are configuration errors with their
/// own codes, so the server fails at start with a clear message. A wrong PIN is never retried automatically (HSMs
/// lock a PIN after a few wrong tries).</para>
/// </remarks>
internal sealed class Pkcs11Token : IDisposable
{
    private readonly Pkcs11Module _module;
    private readonly Pkcs11KeyUri _uri;
    private readonly Lock _gate = new();
    private readonly ConcurrentBag<Lease> _idle = [];
    private ISlot? _slot;
    private long _slotEpoch;
    private long _generation;
    private bool _connectedOnce;
    private bool _pinRejected;
    private bool _disposed;

    public Pkcs11Token(Pkcs11Module module, Pkcs11KeyUri uri)
    {
        _module = module;
        _uri = uri;
    }

    public string Label => _uri.Token;

    /// <summary>Changes whenever sessions and object handles had to be dropped; keys cache their handle per generation.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Runs <paramref name="operation"/> in a logged-in session of its own, recovering once from a lost HSM.</summary>
    /// <param name="operation">Gets the session and the generation it belongs to; must not keep either.</param>
    public T Run<T>(Func<ISession, long, T> operation)
    {
        var mayReset = true;
        for (var attempt = 0; ; attempt++)
        {
            long failedEpoch;
            try
            {
                using (_module.EnterUse())
                {
                    if (TryRun(operation, attempt, mayReset, out var result))
                    {
                        return result;
                    }

                    continue;
                }
            }
            catch (ResetRequiredException e)
            {
                failedEpoch = e.Epoch;
            }

            // Outside the library: C_Finalize waits for every other thread to leave it.
            mayReset = false;
            _module.Reset(failedEpoch);
        }
    }

    private bool TryRun<T>(Func<ISession, long, T> operation, int attempt, bool mayReset, out T result)
    {
        var lease = RentOrRecover(attempt, mayReset);
        if (lease is null)
        {
            result = default!;
            return false;
        }

        bool keep = true;
        try
        {
            result = operation(lease.Session, lease.Generation);
            return true;
        }
        catch (Exception e) when (IsGone(e))
        {
            keep = false;
            Close(lease);
            if (attempt > 0)
            {
                throw Unavailable(e);
            }

            Recover(lease.Generation);
            result = default!;
            return false;
        }
        finally
        {
            if (keep)
            {
                Return(lease);
            }
        }
    }

    /// <summary>Opens the token now (slot, session, login) so that bad configuration fails at start, not at the first signature.</summary>
    public void Connect() => Run<bool>((_, _) => true);

    /// <summary>True for errors after which the session, the object handles or the whole library state are void.</summary>
    public static bool IsGone(Exception e) => e switch
    {
        Pkcs11Exception p => IsGone(p.RV),
        StaleHandleException => true,

        // A session of a library that was finalised and loaded again.
        ObjectDisposedException => true,
        _ => false,
    };

    public static bool IsGone(CKR rv) => rv is CKR.CKR_SESSION_HANDLE_INVALID or CKR.CKR_SESSION_CLOSED or CKR.CKR_SESSION_COUNT
        or CKR.CKR_DEVICE_REMOVED or CKR.CKR_DEVICE_ERROR or CKR.CKR_DEVICE_MEMORY or CKR.CKR_TOKEN_NOT_PRESENT
        or CKR.CKR_TOKEN_NOT_RECOGNIZED or CKR.CKR_CRYPTOKI_NOT_INITIALIZED or CKR.CKR_SLOT_ID_INVALID
        or CKR.CKR_KEY_HANDLE_INVALID or CKR.CKR_OBJECT_HANDLE_INVALID or CKR.CKR_USER_NOT_LOGGED_IN
        or CKR.CKR_GENERAL_ERROR or CKR.CKR_FUNCTION_FAILED;

    public void Dispose()
    {
        using (_module.EnterUse())
        {
            lock (_gate)
            {
                _disposed = true;
                DropSessions();
                _slot = null;
            }
        }
    }

    private Lease? RentOrRecover(int attempt, bool mayReset)
    {
        var generation = Generation;
        try
        {
            return Rent(mayReset);
        }
        catch (Exception e) when (IsGone(e))
        {
            if (attempt > 0)
            {
                throw Unavailable(e);
            }

            Recover(generation);
            return null;
        }
    }

    private Lease Rent(bool mayReset)
    {
        while (_idle.TryTake(out var lease))
        {
            if (lease.Generation == Generation && lease.ModuleEpoch == _module.Epoch)
            {
                return lease;
            }

            // Opened before the last recovery (or before the library was initialised again): its handle is void.
            Close(lease);
            if (lease.ModuleEpoch != _module.Epoch)
            {
                Recover(lease.Generation);
            }
        }

        return Open(mayReset);
    }

    private void Return(Lease lease)
    {
        if (lease.Generation == Generation && !Volatile.Read(ref _disposed))
        {
            _idle.Add(lease);
        }
        else
        {
            Close(lease);
        }
    }

    /// <summary>Starts a new generation unless another thread already recovered from the same failure.</summary>
    private void Recover(long failedGeneration)
    {
        lock (_gate)
        {
            if (_generation != failedGeneration)
            {
                return;
            }

            Interlocked.Increment(ref _generation);
            DropSessions();
            _slot = null;
        }
    }

    private Lease Open(bool mayReset)
    {
        ISlot slot;
        long generation;
        long epoch;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pinRejected)
            {
                throw PinIncorrect();
            }

            if (_slot is null || _slotEpoch != _module.Epoch)
            {
                (_slot, _slotEpoch) = FindSlot(mayReset);
            }

            slot = _slot;
            generation = _generation;
            epoch = _slotEpoch;
        }

        // Read/write: key generation needs it, and signing sessions cost the same.
        var session = slot.OpenSession(SessionType.ReadWrite);
        try
        {
            Login(session);
            Volatile.Write(ref _connectedOnce, true);
            return new Lease(session, generation, epoch);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private void Login(ISession session)
    {
        try
        {
            session.Login(CKU.CKU_USER, _uri.ReadPin());
        }
        catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
            // Login is per application, not per session: an earlier session already did it.
        }
        catch (Pkcs11Exception e) when (e.RV is CKR.CKR_PIN_INCORRECT or CKR.CKR_PIN_INVALID or CKR.CKR_PIN_LEN_RANGE or CKR.CKR_PIN_LOCKED or CKR.CKR_PIN_EXPIRED)
        {
            lock (_gate)
            {
                _pinRejected = true;
            }

            throw PinIncorrect(e.RV);
        }
    }

    /// <summary>Finds the slot by token label; asks the caller to initialise the library again (once) when the token is not visible.</summary>
    private (ISlot Slot, long Epoch) FindSlot(bool mayReset)
    {
        var (library, epoch) = _module.Acquire();
        ISlot? slot;
        try
        {
            slot = library.GetSlotList(SlotsType.WithTokenPresent)
                .FirstOrDefault(s => string.Equals(s.GetTokenInfo().Label.TrimEnd(' ', '\0'), _uri.Token, StringComparison.Ordinal));
        }
        catch (Pkcs11Exception e) when (IsGone(e.RV))
        {
            throw mayReset ? new ResetRequiredException(epoch) : Unavailable(e);
        }

        if (slot is not null)
        {
            return (slot, epoch);
        }

        if (mayReset)
        {
            // Many modules (SoftHSM among them) only enumerate their tokens in C_Initialize.
            throw new ResetRequiredException(epoch);
        }

        throw Volatile.Read(ref _connectedOnce)
            ? new MjpkiException(ErrorKind.Unavailable, "hsm-unavailable", $"The HSM token '{_uri.Token}' is not present; CA signing waits until it is back.")
            : new MjpkiException(ErrorKind.Internal, "hsm-token-not-found", $"No token labelled '{_uri.Token}' in PKCS#11 module {_module.Path}.");
    }

    private void DropSessions()
    {
        while (_idle.TryTake(out var lease))
        {
            Close(lease);
        }
    }

    private static void Close(Lease lease)
    {
        try
        {
            lease.Session.Dispose();
        }
        catch (Exception)
        {
            // The session is usually already gone; that is why it is being closed.
        }
    }

    private MjpkiException Unavailable(Exception e) => e as MjpkiException ?? new MjpkiException(
        ErrorKind.Unavailable,
        "hsm-unavailable",
        $"The HSM token '{_uri.Token}' is unavailable ({(e is Pkcs11Exception p ? p.RV.ToString() : "unexpected signature")}); CA signing waits until it is back.",
        e);

    private MjpkiException PinIncorrect(CKR? rv = null) => new(
        ErrorKind.Internal,
        "hsm-pin-incorrect",
        $"The token '{_uri.Token}' refused the configured PIN{(rv is null ? string.Empty : $" ({rv})")}; fix the PIN in the key URI's pin source and restart (not retried, so the PIN does not lock).");

    private sealed record Lease(ISession Session, long Generation, long ModuleEpoch);

    /// <summary>The library has to be finalised and initialised again; thrown up to <see cref="Run"/>, which does it outside the library.</summary>
    private sealed class ResetRequiredException(long epoch) : Exception("The PKCS#11 library must be initialised again.")
    {
        public long Epoch { get; } = epoch;
    }
}

/// <summary>A signature that does not verify with the key's public half: a stale object handle or a faulty HSM.</summary>
internal sealed class StaleHandleException() : Exception("The HSM returned a signature that does not verify with the key's public key.");
