using System.Globalization;
using Microsoft.Extensions.Logging;
using MobileJpki.Core;
using MobileJpki.Core.Audit;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Ra;

/// <summary>
/// The hotline (マイナンバー総合フリーダイヤル) console: operators sign in, find a caller by the facts they give, and
/// suspend (一時利用停止) that person's phone certificates. Every act, allowed or refused, is appended to the audit log
/// (docs/operations.md, "Hotline and audit log"). Suspension itself is <see cref="CertificateLifecycle.SuspendAsync"/>.
/// </summary>
public sealed partial class HotlineService(
    IHotlineStore store,
    IAuditLog audit,
    CertificateLifecycle lifecycle,
    HotlineOptions options,
    IOperatorPasswords passwords,
    TimeProvider time,
    ILogger<HotlineService> logger)
{
    /// <summary>A fixed hash to check against for unknown names, so they cost as much time as wrong passwords.</summary>
    private static readonly Lazy<(byte[] Hash, byte[] Salt)> Decoy = new(() => OperatorPasswords.Hash(OperatorRules.NewPassword(), 1_000));

    /// <summary>
    /// Signs in; returns a bearer token valid for <see cref="HotlineOptions.SessionLifetime"/>. The attempt is counted
    /// (per account and source, <see cref="SignInThrottle"/>) before the password is compared, and a right password
    /// only wins when no other attempt of that account and source was counted meanwhile: a burst compares at most
    /// the limit, and a right password inside it fails like the wrong ones.
    /// </summary>
    public async Task<OperatorSessionView> SignInAsync(string? name, string? password, string? source, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(name) || name.Length > OperatorRules.MaxNameLength || name.Any(char.IsControl)
            || string.IsNullOrEmpty(password) || password.Length > OperatorRules.MaxPasswordLength)
        {
            throw MjpkiException.BadRequest("bad-field", "'name' and 'password' are required (name at most 64, password at most 256 characters).");
        }

        var account = await store.FindOperatorAsync(name, ct);
        var actor = "operator:" + name;
        if (account is null)
        {
            _ = passwords.Verify(password, Decoy.Value.Hash, Decoy.Value.Salt, options.PasswordIterations);
            await AppendAsync(actor, null, "operator.sign-in", name, null, source, "sign-in-failed", ct);
            throw SignInFailed();
        }

        if (account.Disabled)
        {
            await AppendAsync(actor, account.Role, "operator.sign-in", name, null, source, "operator-locked", ct);
            throw Locked();
        }

        var now = time.GetUtcNow();
        var from = SignInThrottle.SourceKey(source);
        var attempt = await store.CountSignInAttemptAsync(
            account.Id,
            from,
            now,
            counted => new SignInDecision(
                SignInThrottle.LockFor(counted, now, options),
                SignInThrottle.MayCompare(counted, now, options) ? null : Event(actor, account.Role, "operator.sign-in", name, null, source, "operator-locked")),
            ct);
        if (!SignInThrottle.MayCompare(attempt, now, options))
        {
            throw Locked();
        }

        if (!passwords.Verify(password, account.PasswordHash, account.PasswordSalt, account.PasswordIterations))
        {
            // Already counted: the entry is all that is left to write.
            await AppendAsync(actor, account.Role, "operator.sign-in", name, null, source, attempt.Attempts >= options.MaxFailedSignIns ? "locked-out" : "sign-in-failed", ct);
            LogSignInFailed(logger, name, attempt.Attempts);
            throw SignInFailed();
        }

        var token = OperatorRules.NewToken();
        var expires = now + options.SessionLifetime;
        var session = new OperatorSessionRecord(OperatorRules.TokenHash(token), account.Id, now, expires, Bound(source, 64));
        if (!await store.CompleteSignInAsync(account.Id, from, attempt, session, Event(actor, account.Role, "operator.sign-in", name, null, source, "ok"), ct))
        {
            // Other attempts came in while this one was compared: a burst, so the answer must not tell that this password was right.
            await AppendAsync(actor, account.Role, "operator.sign-in", name, "concurrent attempts", source, "sign-in-failed", ct);
            LogSignInFailed(logger, name, attempt.Attempts);
            throw SignInFailed();
        }

        return new OperatorSessionView(token, account.Name, account.Role, expires);
    }

    /// <summary>The operator behind a bearer token; 401 when it is missing, unknown or expired.</summary>
    public async Task<HotlineCaller> AuthenticateAsync(string? token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 128)
        {
            throw Unauthorized();
        }

        var account = await store.FindSessionOperatorAsync(OperatorRules.TokenHash(token), time.GetUtcNow(), ct);
        return account is null || account.Disabled ? throw Unauthorized() : new HotlineCaller(account.Id, account.Name, account.Role);
    }

    /// <summary>Refuses (403) and audits the attempt when the caller's role lacks <paramref name="right"/>.</summary>
    public async Task RequireAsync(HotlineCaller caller, HotlineRight right, string action, string? target, string? source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (OperatorRules.May(caller.Role, right))
        {
            return;
        }

        await AppendAsync(caller.Actor, caller.Role, action, target, null, source, "forbidden", ct);
        throw MjpkiException.Forbidden("operator-forbidden", "この操作の権限がありません / Your role may not do this.");
    }

    /// <summary>Finds persons by what the caller says: the birth date narrows by index, then name (and address) are compared with the card's 基本4情報.</summary>
    public async Task<IReadOnlyList<PersonMatchView>> FindAsync(HotlineCaller caller, PersonSearch search, string? source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(search);
        await RequireAsync(caller, HotlineRight.Find, "hotline.find", null, source, ct);
        var name = Field(search.Name, "name", 100, required: true)!;
        var address = Field(search.Address, "address", 200, required: false);
        if (!DateOnly.TryParseExact(search.BirthDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var birth))
        {
            throw MjpkiException.BadRequest("bad-field", "'birthDate' must be YYYY-MM-DD.");
        }

        var candidates = await store.GetPersonsBornOnAsync(birth, options.MaxCandidates, ct);
        var matches = new List<PersonMatchView>();
        foreach (var candidate in candidates)
        {
            var info = candidate.CardSigningCertificates.Select(PersonMatching.Read).OfType<MobileJpki.Pki.Basic4Info>().FirstOrDefault();
            if (info is null || !PersonMatching.Matches(info, name, address))
            {
                continue;
            }

            matches.Add(new PersonMatchView(
                candidate.PersonId.ToString(),
                PersonMatching.NameInitial(info),
                PersonMatching.Prefecture(info),
                candidate.PhoneCertificates.Select(c => new HotlineCertificateView(c.Serial, c.Kind.HierarchyOf().WireName(), c.PhoneId, c.Status.ToString().ToLowerInvariant())).ToArray()));
        }

        // The target names whom the operator found, never what was asked: the facts are 基本4情報.
        var target = matches.Count == 1 ? matches[0].PersonId : $"{matches.Count} matches";
        await AppendAsync(caller.Actor, caller.Role, "hotline.find", target, null, source, matches.Count == 0 ? "no-match" : "ok", ct);
        return matches;
    }

    /// <summary>一時利用停止 of every live phone certificate of the person, with the reason the operator gives.</summary>
    public async Task<LifecycleResult> SuspendAsync(HotlineCaller caller, Guid personId, string? reason, string? source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var target = personId.ToString();
        await RequireAsync(caller, HotlineRight.Suspend, "hotline.suspend", target, source, ct);
        var why = OperatorRules.CheckReason(reason);
        LifecycleResult result;
        try
        {
            result = await lifecycle.SuspendAsync(personId, null, Event(caller.Actor, caller.Role, "hotline.suspend", target, why, source, "ok"), ct);
        }
        catch (MjpkiException e)
        {
            await AppendAsync(caller.Actor, caller.Role, "hotline.suspend", target, why, source, e.Code, ct);
            throw;
        }

        return result;
    }

    /// <summary>A supervisor adds an account; returns the password when it was generated here (shown once).</summary>
    public async Task<OperatorAddResponse> AddOperatorAsync(HotlineCaller caller, OperatorAddRequest request, string? source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(request);
        var target = request.Name is { Length: <= OperatorRules.MaxNameLength } n && !n.Any(char.IsControl) ? n : null;
        await RequireAsync(caller, HotlineRight.ManageAccounts, "operator.add", target, source, ct);
        var name = OperatorRules.CheckName(request.Name);
        if (!OperatorRules.IsRole(request.Role))
        {
            throw MjpkiException.BadRequest("bad-role", "'role' must be operator or supervisor.");
        }

        var generated = request.Password is null ? OperatorRules.NewPassword() : null;
        var password = OperatorRules.CheckPassword(request.Password ?? generated);
        if (!await TryCreateAsync(name, request.Role!, password, Event(caller.Actor, caller.Role, "operator.add", name, request.Role, source, "ok"), ct))
        {
            await AppendAsync(caller.Actor, caller.Role, "operator.add", name, null, source, "operator-exists", ct);
            throw MjpkiException.Conflict("operator-exists", "そのオペレーター名はすでに使われています / An operator with this name already exists.");
        }

        return new OperatorAddResponse(name, request.Role!, generated);
    }

    /// <summary>A supervisor unlocks an account locked by wrong passwords (the failure count starts again at zero).</summary>
    public async Task UnlockOperatorAsync(HotlineCaller caller, string? name, string? source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var target = name is { Length: <= OperatorRules.MaxNameLength } n && !n.Any(char.IsControl) ? n : null;
        await RequireAsync(caller, HotlineRight.ManageAccounts, "operator.unlock", target, source, ct);
        var account = await store.FindOperatorAsync(OperatorRules.CheckName(name), ct);
        if (account is null)
        {
            await AppendAsync(caller.Actor, caller.Role, "operator.unlock", target, null, source, "unknown-operator", ct);
            throw MjpkiException.NotFound("unknown-operator", "そのオペレーターは登録されていません / No operator has this name.");
        }

        await store.UnlockOperatorAsync(account.Id, Event(caller.Actor, caller.Role, "operator.unlock", account.Name, null, source, "ok"), ct);
    }

    /// <summary>Creates the first supervisor unless an account of that name exists; true when created (and audited).</summary>
    public async Task<bool> BootstrapSupervisorAsync(string name, string password, CancellationToken ct)
    {
        OperatorRules.CheckName(name);
        OperatorRules.CheckPassword(password);
        return await store.FindOperatorAsync(name, ct) is null
            && await TryCreateAsync(name, OperatorRules.Supervisor, password, Event("system", null, "operator.bootstrap", name, OperatorRules.Supervisor, null, "ok"), ct);
    }

    /// <summary>Records an allowed act that changes nothing (e.g. reading the audit log).</summary>
    public Task RecordAsync(HotlineCaller caller, string action, string? target, string? source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return AppendAsync(caller.Actor, caller.Role, action, target, null, source, "ok", ct);
    }

    /// <summary>True when some supervisor account exists.</summary>
    public Task<bool> AnySupervisorAsync(CancellationToken ct) => store.AnySupervisorAsync(ct);

    private static MjpkiException SignInFailed() =>
        new(ErrorKind.Unauthorized, "sign-in-failed", "オペレーター名またはパスワードが違います / Wrong operator name or password.");

    private static MjpkiException Locked() =>
        MjpkiException.Forbidden("operator-locked", "このアカウントはロックされています。しばらく待つか、スーパーバイザーに連絡してください / This account is locked for now; wait, or ask a supervisor.");

    private static MjpkiException Unauthorized() =>
        new(ErrorKind.Unauthorized, "operator-unauthorized", "サインインが必要です（トークンが無効か期限切れ） / Sign in first: the token is missing, invalid or expired.");

    private static string? Field(string? value, string field, int max, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return required ? throw MjpkiException.BadRequest("bad-field", $"'{field}' is required.") : null;
        }

        return value.Length > max || value.Any(char.IsControl)
            ? throw MjpkiException.BadRequest("bad-field", $"'{field}' must be at most {max} printable characters.")
            : value;
    }

    private static string? Bound(string? value, int max) => value is null || value.Length <= max ? value : value[..max];

    /// <summary>The entry of an act, bounded to the columns' sizes.</summary>
    private static AuditEvent Event(string actor, string? role, string action, string? target, string? reason, string? source, string outcome) =>
        new(Bound(actor, 128)!, role, action, Bound(target, 128), Bound(reason, 512), Bound(source, 64), outcome);

    private async Task<bool> TryCreateAsync(string name, string role, string password, AuditEvent entry, CancellationToken ct)
    {
        var (hash, salt) = passwords.Hash(password, options.PasswordIterations);
        return await store.TryAddOperatorAsync(new OperatorAccount(Guid.NewGuid(), name, role, hash, salt, options.PasswordIterations, false, 0, time.GetUtcNow()), entry, ct);
    }

    /// <summary>An entry in a transaction of its own: for refusals and reads, which write nothing else.</summary>
    private Task<long> AppendAsync(string actor, string? role, string action, string? target, string? reason, string? source, string outcome, CancellationToken ct) =>
        audit.AppendAsync(Event(actor, role, action, target, reason, source, outcome), ct);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed hotline sign-in for operator {Name} ({Failures} attempts in a row from that source)")]
    private static partial void LogSignInFailed(ILogger logger, string name, int failures);
}
