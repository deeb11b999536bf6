using System.Diagnostics;
using System.Formats.Asn1;
using System.Numerics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using MobileJpki.Core;
using MobileJpki.Ra;
using MobileJpki.Revocation.Ocsp;
using MobileJpki.Storage;

namespace MobileJpki.Server.Tests.Revocation;

/// <summary>The server on real Kestrel with <see cref="Partitions"/> CRL partitions and a fast OCSP refresher (SQLite).</summary>
public class RevocationServer : MjpkiServer
{
    public const int Partitions = 4;

    public RevocationServer()
        : this(StorageProvider.Sqlite)
    {
    }

    protected RevocationServer(StorageProvider provider)
        : base(provider)
    {
        UseKestrel(0);
        StartServer();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Pki:CrlPartitions", Partitions.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Revocation:OcspPollInterval", "00:00:00.200");
    }
}

/// <summary>The same on PostgreSQL.</summary>
public sealed class PostgresRevocationServer() : RevocationServer(StorageProvider.Postgres);

/// <summary>Status changes as CertificateStatusChanges makes them (row, then the stale mark), and the real openssl.</summary>
public static class RevocationSupport
{
    public const string OpenSsl = "/usr/bin/openssl";

    /// <summary>Puts a certificate on hold, revokes it (keeping a hold's time), or lifts the hold, in one transaction.</summary>
    public static async Task SetStatusAsync(MjpkiServer server, string serial, CertificateStatus status, string? reason)
    {
        var at = server.Clock.GetUtcNow();
        await using var db = server.OpenDb();
        await using var tx = await db.Database.BeginTransactionAsync();
        var row = await db.Certificates.SingleAsync(c => c.Serial == serial);
        var from = (CertificateStatus)row.Status;
        row.Status = (int)status;
        row.StatusChangedAt = at;
        (row.RevokedAt, row.RevocationReason) = status switch
        {
            CertificateStatus.Revoked => (from == CertificateStatus.Suspended ? row.RevokedAt : at, reason),
            CertificateStatus.Suspended => (at, RevocationReasons.Hold),
            _ => (null, null),
        };
        await db.SaveChangesAsync();
        await db.OcspResponses.Where(o => o.Serial == serial).ExecuteUpdateAsync(s => s.SetProperty(o => o.Stale, true));
        await tx.CommitAsync();
    }

    /// <summary>Waits until the shared pre-signed response of <paramref name="serial"/> says <paramref name="status"/> and is not stale.</summary>
    public static async Task<OcspResponseEntity> WaitForOcspAsync(MjpkiServer server, string serial, OcspCertStatus status)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            await using (var db = server.OpenDb())
            {
                var row = await db.OcspResponses.AsNoTracking().SingleOrDefaultAsync(o => o.Serial == serial);
                if (row is { Stale: false } && row.CertStatus == (int)status)
                {
                    return row;
                }
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"no {status} response for {serial}");
            await Task.Delay(100);
        }
    }

    public static (int Code, string Output) Run(params string[] args)
    {
        Assert.True(File.Exists(OpenSsl), "openssl is required for this test");
        var start = new ProcessStartInfo(OpenSsl) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000), "openssl did not finish");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>A CRL's number, entries (serial → reason code or null) and issuingDistributionPoint URL, read with AsnReader.</summary>
    public static (BigInteger Number, Dictionary<BigInteger, int?> Entries, string? PartitionUrl, bool IdpCritical) ParseCrl(byte[] der)
    {
        var tbs = new AsnReader(der, AsnEncodingRules.DER).ReadSequence().ReadSequence();
        tbs.ReadInteger();
        tbs.ReadSequence();
        tbs.ReadEncodedValue();
        tbs.ReadEncodedValue();
        tbs.ReadEncodedValue();
        var entries = new Dictionary<BigInteger, int?>();
        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var list = tbs.ReadSequence();
            while (list.HasData)
            {
                var entry = list.ReadSequence();
                var serial = entry.ReadInteger();
                entry.ReadEncodedValue();
                int? reason = null;
                if (entry.HasData)
                {
                    var extension = entry.ReadSequence().ReadSequence();
                    Assert.Equal("2.5.29.21", extension.ReadObjectIdentifier());
                    reason = (int)new AsnReader(extension.ReadOctetString(), AsnEncodingRules.DER).ReadEnumeratedValue<MobileJpki.Revocation.CrlReason>();
                }

                Assert.True(entries.TryAdd(serial, reason), "a serial listed twice");
            }
        }

        BigInteger number = -1;
        string? url = null;
        var critical = false;
        var extensions = tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)).ReadSequence();
        while (extensions.HasData)
        {
            var extension = extensions.ReadSequence();
            var oid = extension.ReadObjectIdentifier();
            var isCritical = extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && extension.ReadBoolean();
            var value = new AsnReader(extension.ReadOctetString(), AsnEncodingRules.DER);
            if (oid == "2.5.29.20")
            {
                number = value.ReadInteger();
            }
            else if (oid == "2.5.29.28")
            {
                critical = isCritical;
                var idp = value.ReadSequence();
                var fullName = idp.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)).ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true));
                url = fullName.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 6));
            }
        }

        return (number, entries, url, critical);
    }
}
