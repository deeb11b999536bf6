using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Ra.Portal;

/// <summary>
/// マイナ保険証: the eligibility answer (オンライン資格確認) for the person of a hospital-reader session, from sample data
/// derived deterministically from the person id (the same person always gets the same insurance), and recorded in
/// the person's usage log.
/// </summary>
public sealed class Hospital(IUsageLog usage, TimeProvider time)
{
    private static readonly (string Number, string Name)[] Insurers =
    [
        ("01130012", "全国健康保険協会 東京支部（サンプル） / Japan Health Insurance Association, Tokyo (sample)"),
        ("06139999", "サンプル健康保険組合 / Sample Health Insurance Society"),
        ("138016", "千代田区 国民健康保険（サンプル） / National Health Insurance, Chiyoda (sample)"),
        ("31130010", "サンプル共済組合 / Sample Mutual Aid Association"),
    ];

    /// <summary>The eligibility of the session's person, as the reader at the session's hospital shows it.</summary>
    public async Task<EligibilityView> CheckAsync(SessionRecord session, CancellationToken ct)
    {
        if (session.Audience != SessionAudiences.Hospital || session.Party is null)
        {
            throw SessionService.Invalid();
        }

        var now = time.GetUtcNow();
        var view = SampleFor(session.PersonId, session.Party, now);
        await usage.RecordAsync(new UsageRecord(0, session.PersonId, now, UsageKinds.Hospital, session.CertificateSerial, session.Party, "資格確認 / eligibility check"), ct);
        return view;
    }

    /// <summary>The sample insurance of a person: a function of the person id only.</summary>
    public static EligibilityView SampleFor(Guid personId, string hospitalId, DateTimeOffset checkedAt)
    {
        var h = SHA256.HashData(personId.ToByteArray());
        var insurer = Insurers[h[0] % Insurers.Length];
        var symbol = (BinaryPrimitives.ReadUInt16BigEndian(h.AsSpan(1)) % 9000 + 1000).ToString(CultureInfo.InvariantCulture);
        var number = (BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(3)) % 9_000_000 + 1_000_000).ToString(CultureInfo.InvariantCulture);
        var branch = (h[7] % 5).ToString("00", CultureInfo.InvariantCulture);
        var from = new DateOnly(2020, 4, 1).AddDays(BinaryPrimitives.ReadUInt16BigEndian(h.AsSpan(8)) % 1800);
        return new EligibilityView(
            personId.ToString(),
            true,
            insurer.Number,
            insurer.Name,
            symbol,
            number,
            branch,
            "3割 / 30%",
            from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            null,
            hospitalId,
            checkedAt);
    }
}
