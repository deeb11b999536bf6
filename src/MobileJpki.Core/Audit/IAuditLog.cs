namespace MobileJpki.Core.Audit;

/// <summary>One act to record: who, what, on whom, why, from where, and how it ended.</summary>
/// <param name="Actor">"operator:NAME", "office", "phone:ID", "system".</param>
/// <param name="Role">The actor's role when it has one ("operator", "supervisor").</param>
/// <param name="Action">e.g. "hotline.suspend", "office.address-change".</param>
/// <param name="Target">A person id, a serial or an account name; never a person's 基本4情報.</param>
/// <param name="Reason">Why, as the actor gave it.</param>
/// <param name="Source">Remote address of the request.</param>
/// <param name="Outcome">"ok" or the refusal's error code.</param>
public sealed record AuditEvent(string Actor, string? Role, string Action, string? Target, string? Reason, string? Source, string Outcome);

/// <summary>The append-only, hash-chained audit log (docs/operations.md, "Audit log").</summary>
public interface IAuditLog
{
    /// <summary>Appends the event as the next link of the chain; returns its sequence number.</summary>
    Task<long> AppendAsync(AuditEvent entry, CancellationToken ct);
}

/// <summary>Who acts and from where, for an act that names itself (its action, target and outcome) when it is decided.</summary>
public sealed record AuditCaller(string Actor, string? Role, string? Source)
{
    public AuditEvent Event(string action, string? target, string? reason, string outcome) => new(Actor, Role, action, target, reason, Source, outcome);
}
