using System.Security.Cryptography;
using System.Text;
using static MobileJpki.Card.Tests.TestCards;

namespace MobileJpki.Card.Tests;

public class JpkiAppletTests
{
    private const string SelectAp = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01";

    private readonly VirtualCard card = Fresh();

    private JpkiApplet Applet => card.Applet;

    private static string SelectEf(ushort fid) => $"00 A4 02 0C 02 {fid:X4}";

    private static string Verify(string pin) => $"00 20 00 80 {pin.Length:X2} {Convert.ToHexString(Encoding.ASCII.GetBytes(pin))}";

    private static string Pso(byte[] digestInfo) => $"80 2A 00 80 {digestInfo.Length:X2} {Convert.ToHexString(digestInfo)} 00";

    private ushort Send(string hex) => TestCards.Send(Applet, hex);

    [Fact]
    public void Select_JpkiAid_SuccessWithP2_0C_Or_00()
    {
        Assert.Equal(StatusWords.Success, Send(SelectAp));
        Assert.Equal(StatusWords.Success, Send("00 A4 04 00 0A D3 92 F0 00 26 01 00 00 00 01"));
    }

    [Fact]
    public void Select_OtherAid_FileNotFound()
    {
        Assert.Equal(StatusWords.FileNotFound, Send("00 A4 04 0C 07 A0 00 00 02 47 10 01"));
    }

    [Theory]
    [InlineData("00 A4 04 04 0A D3 92 F0 00 26 01 00 00 00 01")]
    [InlineData("00 A4 01 0C 02 00 06")]
    public void Select_BadP1P2_IncorrectP1P2(string hex)
    {
        Assert.Equal(StatusWords.IncorrectP1P2, Send(hex));
    }

    [Fact]
    public void SelectEf_BeforeApOrUnknownFid_FileNotFound()
    {
        Assert.Equal(StatusWords.FileNotFound, Send(SelectEf(JpkiFiles.TokenInfo)));
        Send(SelectAp);
        Assert.Equal(StatusWords.FileNotFound, Send(SelectEf(0x1234)));
        Assert.Equal(StatusWords.Success, Send(SelectEf(JpkiFiles.TokenInfo)));
    }

    [Fact]
    public void ReadBinary_NoEfSelected_CommandNotAllowed()
    {
        Send(SelectAp);
        Assert.Equal(StatusWords.CommandNotAllowedNoCurrentEf, Send("00 B0 00 00 00"));
    }

    [Fact]
    public void ReadBinary_TokenInfo_Is32BytesPaddedLabel()
    {
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.TokenInfo));
        var response = ResponseApdu.Parse(Applet.Transmit(Hex("00 B0 00 00 00")));
        Assert.Equal(StatusWords.Success, response.Sw);
        Assert.Equal("JPKIAPICCTOKEN2                 ", Encoding.ASCII.GetString(response.Data));
    }

    [Fact]
    public void ReadBinary_LeZero_Returns256Bytes_AndOffsetBeyondFile_WrongP1P2()
    {
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.AuthCertificate));
        var first = ResponseApdu.Parse(Applet.Transmit(Hex("00 B0 00 00 00")));
        Assert.Equal(StatusWords.Success, first.Sw);
        Assert.Equal(256, first.Data.Length);
        Assert.Equal(0x30, first.Data[0]);

        var partial = ResponseApdu.Parse(Applet.Transmit(Hex("00 B0 00 10 08")));
        Assert.Equal(first.Data.AsSpan(0x10, 8).ToArray(), partial.Data);

        Assert.Equal(StatusWords.WrongP1P2, Send("00 B0 7F 00 00"));
    }

    [Fact]
    public void ReadBinary_ShortEfAddressingOrNoLe_Rejected()
    {
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.AuthCertificate));
        Assert.Equal(StatusWords.IncorrectP1P2, Send("00 B0 8A 00 00"));
        Assert.Equal(StatusWords.WrongLength, Send("00 B0 00 00"));
    }

    [Fact]
    public void ReadBinary_KeyEf_IncompatibleFileStructure()
    {
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.SigningKey));
        Assert.Equal(StatusWords.IncompatibleFileStructure, Send("00 B0 00 00 00"));
    }

    [Fact]
    public void ReadBinary_SigningCertificate_NeedsSigningPin()
    {
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.SigningCertificate));
        Assert.Equal(StatusWords.SecurityStatusNotSatisfied, Send("00 B0 00 00 00"));

        Send(SelectEf(JpkiFiles.SigningPin));
        Assert.Equal(StatusWords.Success, Send(Verify(SigningPassword)));
        Send(SelectEf(JpkiFiles.SigningCertificate));
        Assert.Equal(StatusWords.Success, Send("00 B0 00 00 00"));
    }

    [Fact]
    public void Verify_NoData_ReportsTriesLeft()
    {
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.SigningPin));
        Assert.Equal(0x63C5, Send("00 20 00 80"));
        Send(SelectEf(JpkiFiles.AuthPin));
        Assert.Equal(0x63C3, Send("00 20 00 80"));
    }

    [Fact]
    public void Verify_WrongThenCorrect_DecrementsThenResetsCounter()
    {
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.AuthPin));
        Assert.Equal(0x63C2, Send(Verify("9999")));
        Assert.Equal(0x63C1, Send(Verify("9998")));
        Assert.Equal(StatusWords.Success, Send(Verify(AuthPin)));
        Assert.Equal(0x63C3, Send("00 20 00 80"));
        Assert.Equal(3, Applet.State.Pins[JpkiFiles.AuthPin].TriesLeft);
    }

    [Fact]
    public void Verify_FiveWrongSigningPasswords_LocksAndCorrectOneStillFails()
    {
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.SigningPin));
        for (var left = 4; left >= 0; left--)
        {
            Assert.Equal(StatusWords.VerifyFailed(left), Send(Verify("WRONG1")));
        }

        Assert.Equal(StatusWords.AuthenticationBlocked, Send(Verify(SigningPassword)));
        Assert.Equal(StatusWords.VerifyFailed(0), Send("00 20 00 80"));
        Send(SelectEf(JpkiFiles.SigningCertificate));
        Assert.Equal(StatusWords.SecurityStatusNotSatisfied, Send("00 B0 00 00 00"));
    }

    [Fact]
    public void Verify_WithoutPinEfOrWithBadP2_Rejected()
    {
        Send(SelectAp);
        Assert.Equal(StatusWords.CommandNotAllowedNoCurrentEf, Send(Verify(AuthPin)));
        Send(SelectEf(JpkiFiles.AuthPin));
        Assert.Equal(StatusWords.IncorrectP1P2, Send("00 20 00 81 04 31 32 33 34"));
        Assert.Equal(3, Applet.State.Pins[JpkiFiles.AuthPin].TriesLeft);
    }

    [Fact]
    public void Verify_TruncatedApdu_WrongLengthAndNoStateChange()
    {
        var changes = 0;
        Applet.StateChanged += (_, _) => changes++;
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.AuthPin));
        Assert.Equal(StatusWords.WrongLength, Send("00 20 00 80 04 31 32"));
        Assert.Equal(StatusWords.WrongLength, Send("00 20 00 80 04 31 32 33 34 35 36"));
        Assert.Equal(StatusWords.WrongLength, Applet.Transmit(new byte[CommandApdu.MaxLength + 1]) is var r ? Sw(r) : 0);
        Assert.Equal(0, changes);
        Assert.Equal(3, Applet.State.Pins[JpkiFiles.AuthPin].TriesLeft);
    }

    [Fact]
    public void Verify_WrongPin_RaisesStateChanged()
    {
        var changes = 0;
        Applet.StateChanged += (_, _) => changes++;
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.AuthPin));
        Send(Verify("0000"));
        Assert.Equal(1, changes);
    }

    [Fact]
    public void ChangeReferenceData_RequiresVerificationAndValidPin()
    {
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.SigningPin));
        Assert.Equal(StatusWords.SecurityStatusNotSatisfied, Send("00 24 01 80 06 4E 45 57 34 35 36"));
        Send(Verify(SigningPassword));
        Assert.Equal(StatusWords.WrongData, Send("00 24 01 80 06 6E 65 77 34 35 36")); // lowercase is not wire form
        Assert.Equal(StatusWords.WrongData, Send("00 24 01 80 04 31 32 33 34"));
        Assert.Equal(StatusWords.IncorrectP1P2, Send("00 24 00 80 06 4E 45 57 34 35 36"));
        Assert.Equal(StatusWords.Success, Send("00 24 01 80 06 4E 45 57 34 35 36"));

        Send(SelectAp);
        Send(SelectEf(JpkiFiles.SigningPin));
        Assert.Equal(0x63C4, Send(Verify(SigningPassword)));
        Assert.Equal(StatusWords.Success, Send(Verify("NEW456")));
    }

    [Fact]
    public void ComputeDigitalSignature_ChecksKeyPinAndData_ThenSigns()
    {
        var hash = SHA256.HashData("hello"u8);
        var digestInfo = DigestInfos.Build(HashAlgorithmName.SHA256, hash);
        Send(SelectAp);
        Assert.Equal(StatusWords.CommandNotAllowedNoCurrentEf, Send(Pso(digestInfo)));
        Send(SelectEf(JpkiFiles.AuthKey));
        Assert.Equal(StatusWords.SecurityStatusNotSatisfied, Send(Pso(digestInfo)));

        Send(SelectEf(JpkiFiles.AuthPin));
        Send(Verify(AuthPin));
        Send(SelectEf(JpkiFiles.AuthKey));
        Assert.Equal(StatusWords.IncorrectP1P2, Send($"80 2A 9E 9A {digestInfo.Length:X2} {Convert.ToHexString(digestInfo)} 00"));
        Assert.Equal(StatusWords.WrongData, Send("80 2A 00 80 03 01 02 03 00"));

        var response = ResponseApdu.Parse(Applet.Transmit(Hex(Pso(digestInfo))));
        Assert.Equal(StatusWords.Success, response.Sw);
        using var publicKey = RSA.Create();
        publicKey.ImportSubjectPublicKeyInfo(card.AuthPublicKeyInfo, out _);
        Assert.True(publicKey.VerifyHash(hash, response.Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        Send(SelectEf(JpkiFiles.SigningKey));
        Assert.Equal(StatusWords.SecurityStatusNotSatisfied, Send(Pso(digestInfo)));
    }

    /// <summary>
    /// Found by the card fuzz harness (fuzz/crashes/card/sign-le-shorter-than-signature): Le 2B got all 256 bytes of the
    /// signature. ISO 7816-4 allows at most Ne bytes and none without Le; a truncated signature is useless, so 6700.
    /// </summary>
    [Theory]
    [InlineData("2B")]
    [InlineData("FF")]
    [InlineData("")]
    public void ComputeDigitalSignature_LeShorterThanTheSignatureOrAbsent_WrongLengthAndNoData(string le)
    {
        var digestInfo = DigestInfos.Build(HashAlgorithmName.SHA256, SHA256.HashData("hello"u8));
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.AuthPin));
        Send(Verify(AuthPin));
        Send(SelectEf(JpkiFiles.AuthKey));

        var response = Applet.Transmit(Hex($"80 2A 00 80 {digestInfo.Length:X2} {Convert.ToHexString(digestInfo)} {le}"));

        Assert.Equal(Hex("6700"), response);
        Assert.Equal(StatusWords.Success, Send($"80 2A 00 80 00 {digestInfo.Length:X4} {Convert.ToHexString(digestInfo)} 0100"));
        Assert.Equal(StatusWords.Success, Send(Pso(digestInfo)));
    }

    [Theory]
    [InlineData("00 CA 00 00 00", StatusWords.InsNotSupported)]
    [InlineData("84 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01", StatusWords.ClaNotSupported)]
    [InlineData("10 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01", StatusWords.ClaNotSupported)]
    [InlineData("80 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01", StatusWords.ClaNotSupported)]
    [InlineData("00 2A 00 80 01 00 00", StatusWords.ClaNotSupported)]
    public void Transmit_UnknownInsOrCla_Rejected(string hex, ushort expected)
    {
        Assert.Equal(expected, Send(hex));
    }

    [Fact]
    public void Verification_ClearedByReselectResetAndPowerOff()
    {
        void VerifyAndCheckReadable()
        {
            Send(SelectAp);
            Send(SelectEf(JpkiFiles.SigningPin));
            Send(Verify(SigningPassword));
            Send(SelectEf(JpkiFiles.SigningCertificate));
            Assert.Equal(StatusWords.Success, Send("00 B0 00 00 00"));
        }

        VerifyAndCheckReadable();
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.SigningCertificate));
        Assert.Equal(StatusWords.SecurityStatusNotSatisfied, Send("00 B0 00 00 00"));

        VerifyAndCheckReadable();
        Applet.Reset();
        Assert.Equal(StatusWords.CommandNotAllowedNoCurrentEf, Send("00 B0 00 00 00"));
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.SigningCertificate));
        Assert.Equal(StatusWords.SecurityStatusNotSatisfied, Send("00 B0 00 00 00"));

        VerifyAndCheckReadable();
        Applet.PowerOff();
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.SigningCertificate));
        Assert.Equal(StatusWords.SecurityStatusNotSatisfied, Send("00 B0 00 00 00"));
    }

    [Fact]
    public void Select_FailedAidSelect_KeepsSession()
    {
        Send(SelectAp);
        Send(SelectEf(JpkiFiles.AuthPin));
        Send(Verify(AuthPin));
        Send("00 A4 04 0C 07 A0 00 00 02 47 10 01");
        Send(SelectEf(JpkiFiles.AuthKey));
        Assert.Equal(StatusWords.Success, Send(Pso(DigestInfos.Build(HashAlgorithmName.SHA256, new byte[32]))));
    }
}
