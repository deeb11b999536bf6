using System.Text.Json;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Ra.Tests;

/// <summary>The per-type form rules of e-applications (fields, lengths, formats, date ranges) and the summaries they give.</summary>
public sealed class EApplicationFormsTests
{
    private static readonly DateOnly Today = new(2026, 11, 27);

    [Theory]
    [InlineData(EApplicationTypes.MovingOut, """{"movingDate":"2026-12-04","destinationPostalCode":"530-0005","destinationAddress":"大阪府大阪市北区中之島1-3-20","householdMembers":2}""", "転出予定日 2026-12-04")]
    [InlineData(EApplicationTypes.MovingInVisit, """{"municipalityCode":"271004","movedInDate":"2026-12-01","visitDate":"2026-12-03","visitTime":"08:30","householdMembers":1}""", "来庁予定 2026-12-03 08:30")]
    [InlineData(EApplicationTypes.Passport, """{"applicationKind":"renewal","validityYears":5,"nameRomaji":"DIGITAL TARO","currentPassportNumber":"TK1234567","pickupOffice":"東京都旅券課"}""", "5年旅券・切替")]
    [InlineData(EApplicationTypes.BenefitAccount, """{"bankCode":"0001","branchCode":"123","accountType":"savings","accountNumber":"7654321","accountHolderKana":"デジタル　タロウ"}""", "貯蓄 ****321")]
    [InlineData(EApplicationTypes.HealthInsurance, """{"insurerNumber":"123456","number":"A-1","consent":true}""", "保険者番号 123456")]
    public void Validate_GoodForm_SummaryWithoutPersonalFacts(string type, string json, string expected)
    {
        var summary = EApplicationForms.Validate(type, Parse(json), Today);

        Assert.Contains(expected, summary, StringComparison.Ordinal);
        Assert.DoesNotContain("DIGITAL", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("大阪", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("7654321", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("タロウ", summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(EApplicationTypes.BenefitAccount, "bankCode", "\"001\"")]
    [InlineData(EApplicationTypes.BenefitAccount, "bankCode", "\"０００１\"")] // full-width digits are not ASCII digits
    [InlineData(EApplicationTypes.BenefitAccount, "bankCode", "1")]
    [InlineData(EApplicationTypes.BenefitAccount, "branchCode", "\"1234\"")]
    [InlineData(EApplicationTypes.BenefitAccount, "accountNumber", "\"12345678\"")]
    [InlineData(EApplicationTypes.BenefitAccount, "accountType", "\"gold\"")]
    [InlineData(EApplicationTypes.BenefitAccount, "accountHolderKana", "\"でじたる\"")]
    [InlineData(EApplicationTypes.BenefitAccount, "accountHolderKana", "\"デジタルデジタルデジタルデジタルデジタルデジタルデジタルデジタル\"")]
    [InlineData(EApplicationTypes.MovingOut, "movingDate", "\"2026-11-12\"")] // 15 days ago
    [InlineData(EApplicationTypes.MovingOut, "movingDate", "\"2026-12-28\"")] // 31 days ahead
    [InlineData(EApplicationTypes.MovingOut, "movingDate", "\"2026-02-30\"")]
    [InlineData(EApplicationTypes.MovingOut, "destinationPostalCode", "\"5300005\"")]
    [InlineData(EApplicationTypes.MovingOut, "destinationPostalCode", "\"530-0005\\n\"")]
    [InlineData(EApplicationTypes.MovingOut, "destinationAddress", "\"\"")]
    [InlineData(EApplicationTypes.MovingOut, "destinationAddress", "\"line\\u0007bell\"")]
    [InlineData(EApplicationTypes.MovingOut, "householdMembers", "0")]
    [InlineData(EApplicationTypes.MovingOut, "householdMembers", "2.5")]
    [InlineData(EApplicationTypes.MovingOut, "contactPhone", "\"12345\"")]
    [InlineData(EApplicationTypes.MovingInVisit, "municipalityCode", "\"27100\"")]
    [InlineData(EApplicationTypes.MovingInVisit, "visitTime", "\"08:29\"")]
    [InlineData(EApplicationTypes.MovingInVisit, "visitTime", "\"17:01\"")]
    [InlineData(EApplicationTypes.MovingInVisit, "visitDate", "\"2026-11-30\"")] // before moving in
    [InlineData(EApplicationTypes.Passport, "nameRomaji", "\"Digital Taro\"")]
    [InlineData(EApplicationTypes.Passport, "validityYears", "\"10\"")]
    [InlineData(EApplicationTypes.Passport, "currentPassportNumber", "\"TK12345\"")]
    [InlineData(EApplicationTypes.HealthInsurance, "insurerNumber", "\"1234567\"")]
    [InlineData(EApplicationTypes.HealthInsurance, "consent", "\"yes\"")]
    [InlineData(EApplicationTypes.HealthInsurance, "branchNumber", "\"1\"")]
    public void Validate_BadField_BadFormNamingTheField(string type, string field, string value)
    {
        var form = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Good(type).GetRawText())!;
        form[field] = Parse(value);

        var ex = Assert.Throws<MjpkiException>(() => EApplicationForms.Validate(type, JsonSerializer.SerializeToElement(form), Today));

        Assert.Equal("bad-form", ex.Code);
        Assert.Equal(ErrorKind.BadRequest, ex.Kind);
        Assert.Contains($"'{field}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MissingRequiredUnknownOrDuplicateField_BadForm()
    {
        var missing = Assert.Throws<MjpkiException>(() => EApplicationForms.Validate(EApplicationTypes.BenefitAccount, Parse("""{"bankCode":"0001"}"""), Today));
        Assert.Contains("'branchCode'", missing.Message, StringComparison.Ordinal);

        var unknown = Assert.Throws<MjpkiException>(() => EApplicationForms.Validate(EApplicationTypes.HealthInsurance, Parse("""{"insurerNumber":"123456","number":"1","consent":true,"myNumber":"123456789012"}"""), Today));
        Assert.Contains("'myNumber'", unknown.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("123456789012", unknown.Message, StringComparison.Ordinal);

        var duplicate = Assert.Throws<MjpkiException>(() => EApplicationForms.Validate(EApplicationTypes.HealthInsurance, Parse("""{"insurerNumber":"123456","insurerNumber":"654321","number":"1","consent":true}"""), Today));
        Assert.Contains("'insurerNumber'", duplicate.Message, StringComparison.Ordinal);

        Assert.Equal("bad-form", Assert.Throws<MjpkiException>(() => EApplicationForms.Validate(EApplicationTypes.Passport, Parse("[1,2]"), Today)).Code);
    }

    [Fact]
    public void Validate_PassportRenewalWithoutNumberOrNewWithNumber_BadForm()
    {
        Assert.Contains("'currentPassportNumber'", Assert.Throws<MjpkiException>(() => EApplicationForms.Validate(EApplicationTypes.Passport, Parse("""{"applicationKind":"renewal","validityYears":10,"nameRomaji":"A B","pickupOffice":"X"}"""), Today)).Message, StringComparison.Ordinal);
        Assert.Contains("'currentPassportNumber'", Assert.Throws<MjpkiException>(() => EApplicationForms.Validate(EApplicationTypes.Passport, Parse("""{"applicationKind":"new","validityYears":10,"nameRomaji":"A B","pickupOffice":"X","currentPassportNumber":"TK1234567"}"""), Today)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MovingInVisitMoreThan14DaysAfterMovingIn_BadForm()
    {
        var ex = Assert.Throws<MjpkiException>(() => EApplicationForms.Validate(EApplicationTypes.MovingInVisit, Parse("""{"municipalityCode":"271004","movedInDate":"2026-11-14","visitDate":"2026-11-30","visitTime":"10:00","householdMembers":1}"""), Today));

        Assert.Contains("14", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownType_UnknownEApplicationType()
    {
        Assert.Equal("unknown-e-application-type", Assert.Throws<MjpkiException>(() => EApplicationForms.Validate("marriage", Parse("{}"), Today)).Code);
    }

    [Fact]
    public void InformationSamples_SamePersonSameRowsOtherPersonOthers()
    {
        var me = Guid.Parse("0190d3c4-0000-7000-8000-000000000001");
        var other = Guid.Parse("0190d3c4-0000-7000-8000-000000000002");
        foreach (var view in InformationViews.All)
        {
            var first = JsonSerializer.Serialize(InformationSamples.For(me, view));
            Assert.Equal(first, JsonSerializer.Serialize(InformationSamples.For(me, view)));
            Assert.NotEqual(first, JsonSerializer.Serialize(InformationSamples.For(other, view)));
        }

        Assert.Equal("unknown-information-view", Assert.Throws<MjpkiException>(() => InformationSamples.For(me, "genome")).Code);
    }

    private static JsonElement Good(string type) => Parse(type switch
    {
        EApplicationTypes.MovingOut => """{"movingDate":"2026-12-04","destinationPostalCode":"530-0005","destinationAddress":"大阪府","householdMembers":2,"contactPhone":"090-1234-5678"}""",
        EApplicationTypes.MovingInVisit => """{"municipalityCode":"271004","movedInDate":"2026-12-01","visitDate":"2026-12-03","visitTime":"10:00","householdMembers":1}""",
        EApplicationTypes.Passport => """{"applicationKind":"renewal","validityYears":10,"nameRomaji":"DIGITAL TARO","currentPassportNumber":"TK1234567","pickupOffice":"東京都旅券課"}""",
        EApplicationTypes.BenefitAccount => """{"bankCode":"0001","branchCode":"123","accountType":"ordinary","accountNumber":"1234567","accountHolderKana":"デジタル タロウ"}""",
        _ => """{"insurerNumber":"06123456","symbol":"ABC","number":"12345","branchNumber":"01","consent":true}""",
    });

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
