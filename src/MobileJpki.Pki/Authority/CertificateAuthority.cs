using System.Security.Cryptography.X509Certificates;
using MobileJpki.Core;

namespace MobileJpki.Pki;

/// <summary>One certificate to issue, with the records it belongs to.</summary>
public sealed record IssueOrder(IssueRequest Request, Guid PersonId, string? PhoneId, Guid? ApplicationId);

/// <summary>A freshly signed certificate.</summary>
public sealed record IssuedCertificate(string Serial, CertificateKind Kind, byte[] Der);

/// <summary>A serial and its to-be-signed data, stored before the CA signs.</summary>
public sealed record CertificateIntent(
    string Serial,
    CertificateKind Kind,
    Guid PersonId,
    string? PhoneId,
    Guid? ApplicationId,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    byte[] Tbs,
    int? CrlShard = null);

/// <summary>The CA's five-minute view of storage: it records intents and results, nothing else.</summary>
public interface ICertificateLedger
{
    Task RecordIntentsAsync(IReadOnlyList<CertificateIntent> intents, CancellationToken ct);

    Task RecordSignedAsync(IReadOnlyList<IssuedCertificate> signed, CancellationToken ct);
}

/// <summary>The RA's view of the CA: one call that issues certificates.</summary>
public interface ICertificateAuthority
{
    Task<IReadOnlyList<IssuedCertificate>> IssueAsync(IReadOnlyList<IssueOrder> orders, CancellationToken ct);

    /// <summary>The issuing CA certificate of a hierarchy, handed out beside end-entity certificates.</summary>
    X509Certificate2 CaCertificate(Hierarchy hierarchy);
}

/// <summary>
/// The CA's issuance cycle (docs/issuance-cycle.md), step by step: prepare and lint every certificate,
/// store the serials and to-be-signed data, sign, store the signed certificates, return them.
/// </summary>
public sealed class CertificateAuthority(CaHierarchy hierarchy, CertificateIssuer issuer, ICertificateLedger ledger) : ICertificateAuthority
{
    public X509Certificate2 CaCertificate(Hierarchy h) => hierarchy.CertificateFor(h);

    public async Task<IReadOnlyList<IssuedCertificate>> IssueAsync(IReadOnlyList<IssueOrder> orders, CancellationToken ct)
    {
        // Step 1: build each to-be-signed certificate and lint it against its profile; no CA signature yet.
        var prepared = orders.Select(o => issuer.Prepare(o.Request)).ToArray();

        // Step 2: the serials and TBS data are durable before anything is signed, so a crash after signing
        // can never leave a certificate we do not know about (and a serial is never reused).
        await ledger.RecordIntentsAsync(
            prepared.Select((p, i) => new CertificateIntent(p.SerialHex, p.Kind, orders[i].PersonId, orders[i].PhoneId, orders[i].ApplicationId, p.NotBefore, p.NotAfter, p.TbsCertificate, p.CrlPartition)).ToArray(),
            ct);

        // Step 3: sign. Certificates of one batch are independent, so they are signed on all cores.
        var signed = new IssuedCertificate[prepared.Length];
        try
        {
            Parallel.For(0, prepared.Length, new ParallelOptions { CancellationToken = ct }, i =>
                signed[i] = new IssuedCertificate(prepared[i].SerialHex, prepared[i].Kind, issuer.Sign(prepared[i])));
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<MjpkiException>().FirstOrDefault() is { } known)
        {
            // Our own error reaches the RA and the HTTP edge as itself (e.g. hsm-unavailable → 503), not as a 500.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(known);
        }

        // Step 4: record the signed certificates; step 5: hand them back.
        await ledger.RecordSignedAsync(signed, ct);
        return signed;
    }
}
