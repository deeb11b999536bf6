namespace MobileJpki.Core.Audit;

/// <summary>Reads the audit log in sequence order, a page at a time (supervisors and <c>mjpki audit verify</c>).</summary>
public interface IAuditReader
{
    /// <summary>Entries with a sequence above <paramref name="afterSequence"/>, oldest first, at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<AuditRecord>> ReadAsync(long afterSequence, int max, CancellationToken ct);

    /// <summary>The newest entry, or null while the log is empty.</summary>
    Task<AuditHead?> ReadHeadAsync(CancellationToken ct);
}

/// <summary>One page of the audit log; <see cref="Next"/> is the <c>after</c> for the next page, null at the end.</summary>
public sealed record AuditPage(
    [property: System.Text.Json.Serialization.JsonPropertyName("entries")] IReadOnlyList<AuditRecord> Entries,
    [property: System.Text.Json.Serialization.JsonPropertyName("next")] long? Next);
