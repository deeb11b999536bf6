using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Ra;

/// <summary>
/// My Page's information views (診療・薬剤・医療費・健診) over sample data: the same person always sees the same rows
/// (derived from a hash of the person id and the view), over fiscal year 2025 (令和7年度), so tests and demos are
/// repeatable. Only the session's own person id is ever passed in; nothing here is real medical data.
/// </summary>
public static class InformationSamples
{
    private static readonly string[] Hospitals = ["サンドボックス中央病院", "紀尾井町クリニック", "霞が関内科医院", "みなと整形外科", "さくら眼科"];
    private static readonly string[] Departments = ["内科", "整形外科", "眼科", "皮膚科", "耳鼻咽喉科"];
    private static readonly string[] Pharmacies = ["サンドボックス薬局", "紀尾井町調剤薬局", "みなと薬局"];
    private static readonly (string Name, string Dose)[] Medicines =
    [
        ("アムロジピン錠5mg", "1日1回 1錠"),
        ("ロキソプロフェンNa錠60mg", "1日3回 1錠"),
        ("レバミピド錠100mg", "1日3回 1錠"),
        ("カルボシステイン錠500mg", "1日3回 1錠"),
        ("ヒアルロン酸Na点眼液0.1%", "1日4回 1滴"),
        ("フェキソフェナジン錠60mg", "1日2回 1錠"),
    ];

    private static readonly DateOnly FiscalYearStart = new(2025, 4, 1);

    /// <summary>The view for <paramref name="personId"/>; 404 "unknown-information-view" for a view not in <see cref="InformationViews.All"/>.</summary>
    public static InformationView For(Guid personId, string? view)
    {
        var title = InformationViews.Title(view)
            ?? throw MjpkiException.NotFound("unknown-information-view", $"その情報はありません（{string.Join(", ", InformationViews.All)}） / Unknown information view; use one of {string.Join(", ", InformationViews.All)}.");
        var random = new Stream(personId, view!);
        var rows = view switch
        {
            InformationViews.Medical => MedicalVisits(random),
            InformationViews.Medicine => MedicineRows(random),
            InformationViews.Costs => Costs(personId),
            _ => Checkups(random),
        };
        return new InformationView(view!, title, true, rows);
    }

    private static List<IReadOnlyDictionary<string, string>> MedicalVisits(Stream random)
    {
        var rows = new List<IReadOnlyDictionary<string, string>>();
        foreach (var day in Days(random, 4 + random.Next(5)))
        {
            var hospital = random.Next(Hospitals.Length);
            rows.Add(new Dictionary<string, string>
            {
                ["date"] = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["facility"] = Hospitals[hospital],
                ["department"] = Departments[hospital],
                ["kind"] = random.Next(4) == 0 ? "入院 / inpatient" : "外来 / outpatient",
                ["points"] = (200 + random.Next(1800)).ToString(CultureInfo.InvariantCulture),
            });
        }

        return rows;
    }

    private static List<IReadOnlyDictionary<string, string>> MedicineRows(Stream random)
    {
        var rows = new List<IReadOnlyDictionary<string, string>>();
        foreach (var day in Days(random, 3 + random.Next(5)))
        {
            var medicine = Medicines[random.Next(Medicines.Length)];
            rows.Add(new Dictionary<string, string>
            {
                ["date"] = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["pharmacy"] = Pharmacies[random.Next(Pharmacies.Length)],
                ["medicine"] = medicine.Name,
                ["dosage"] = medicine.Dose,
                ["days"] = (7 * (1 + random.Next(4))).ToString(CultureInfo.InvariantCulture),
            });
        }

        return rows;
    }

    /// <summary>医療費: the medical visits' points per month, 1 point = 10 yen, 30% paid by the person.</summary>
    private static List<IReadOnlyDictionary<string, string>> Costs(Guid personId)
    {
        var visits = MedicalVisits(new Stream(personId, InformationViews.Medical));
        return visits
            .GroupBy(v => v["date"][..7], StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var total = g.Sum(v => int.Parse(v["points"], CultureInfo.InvariantCulture)) * 10;
                return (IReadOnlyDictionary<string, string>)new Dictionary<string, string>
                {
                    ["month"] = g.Key,
                    ["visits"] = g.Count().ToString(CultureInfo.InvariantCulture),
                    ["totalYen"] = total.ToString(CultureInfo.InvariantCulture),
                    ["paidYen"] = (total * 3 / 10).ToString(CultureInfo.InvariantCulture),
                };
            })
            .ToList();
    }

    private static List<IReadOnlyDictionary<string, string>> Checkups(Stream random)
    {
        var rows = new List<IReadOnlyDictionary<string, string>>();
        var height = 150 + random.Next(35);
        var weight = 45 + random.Next(40);
        for (var year = 2023; year <= 2025; year++)
        {
            weight += random.Next(5) - 2;
            var bmi = weight / Math.Pow(height / 100.0, 2);
            rows.Add(new Dictionary<string, string>
            {
                ["date"] = new DateOnly(year, 6, 1).AddDays(random.Next(120)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["heightCm"] = height.ToString(CultureInfo.InvariantCulture),
                ["weightKg"] = weight.ToString(CultureInfo.InvariantCulture),
                ["bmi"] = bmi.ToString("0.0", CultureInfo.InvariantCulture),
                ["bloodPressure"] = $"{105 + random.Next(40)}/{65 + random.Next(25)}",
                ["hba1c"] = (5.0 + (random.Next(15) / 10.0)).ToString("0.0", CultureInfo.InvariantCulture),
                ["ldlCholesterol"] = (80 + random.Next(80)).ToString(CultureInfo.InvariantCulture),
            });
        }

        return rows;
    }

    private static IEnumerable<DateOnly> Days(Stream random, int count) =>
        Enumerable.Range(0, count).Select(_ => FiscalYearStart.AddDays(random.Next(365))).Order();

    /// <summary>Deterministic numbers: SHA-256 of the person id, the view and a counter, 4 bytes at a time.</summary>
    private sealed class Stream(Guid personId, string view)
    {
        private readonly byte[] _seed = [.. personId.ToByteArray(), .. Encoding.UTF8.GetBytes(view)];
        private byte[] _block = [];
        private int _offset;
        private int _counter;

        public int Next(int maxExclusive)
        {
            if (_offset + 4 > _block.Length)
            {
                var counter = _counter++;
                _block = SHA256.HashData([.. _seed, (byte)(counter >> 24), (byte)(counter >> 16), (byte)(counter >> 8), (byte)counter]);
                _offset = 0;
            }

            var value = BinaryPrimitives.ReadUInt32BigEndian(_block.AsSpan(_offset));
            _offset += 4;
            return (int)(value % (uint)maxExclusive);
        }
    }
}
