using MobileJpki.Pki;
using MobileJpki.Ra;

namespace MobileJpki.Ra.Tests.Hotline;

public sealed class PersonMatchingTests
{
    private static readonly Basic4Info Taro = new("デジタル 太郎", null, Gender.Male, new DateOnly(1985, 4, 1), "東京都千代田区紀尾井町1-3", null);

    [Theory]
    [InlineData("デジタル 太郎")]
    [InlineData("デジタル　太郎")]
    [InlineData(" デジタル太郎 ")]
    public void Matches_NameWithOtherSpacing_Matches(string said) => Assert.True(PersonMatching.Matches(Taro, said, null));

    [Fact]
    public void Matches_FullWidthDigitsInAddress_Matches() =>
        Assert.True(PersonMatching.Matches(Taro, "デジタル太郎", "東京都千代田区紀尾井町１－３"));

    [Fact]
    public void Matches_OtherName_DoesNotMatch() => Assert.False(PersonMatching.Matches(Taro, "デジタル 花子", null));

    [Fact]
    public void Matches_OtherAddress_DoesNotMatch() => Assert.False(PersonMatching.Matches(Taro, "デジタル 太郎", "大阪府大阪市北区1-1"));

    [Theory]
    [InlineData("東京都千代田区紀尾井町1-3", "東京都")]
    [InlineData("京都府京都市上京区", "京都府")]
    [InlineData("神奈川県横浜市", "神奈川県")]
    [InlineData("北海道札幌市", "北海道")]
    [InlineData("Somewhere", "—")]
    public void Prefecture_Address_IsItsPrefix(string address, string expected) =>
        Assert.Equal(expected, PersonMatching.Prefecture(Taro with { Address = address }));

    [Fact]
    public void NameInitial_Name_ShowsOnlyTheFirstCharacter() => Assert.Equal("デ＊", PersonMatching.NameInitial(Taro));
}
