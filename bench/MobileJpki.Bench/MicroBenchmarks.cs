using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using MobileJpki.Card;

namespace MobileJpki.Bench;

/// <summary>The primitives issuance and the card are built on.</summary>
[ShortRunJob]
[MemoryDiagnoser]
public class MicroBenchmarks
{
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly byte[] _data = RandomNumberGenerator.GetBytes(512);
    private VirtualCard _card = null!;
    private byte[] _verify = null!;

    [GlobalSetup]
    public void Setup()
    {
        _card = VirtualCard.CreateBlank("ABC123", "1234");
        _card.Applet.Transmit(new byte[] { 0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01 });
        _card.Applet.Transmit(new byte[] { 0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18 });
        _verify = [0x00, 0x20, 0x00, 0x80, 0x04, (byte)'1', (byte)'2', (byte)'3', (byte)'4'];
    }

    [Benchmark(Description = "RSA-2048 sign (SHA-256, PKCS#1)")]
    public byte[] RsaSign() => _rsa.SignData(_data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    [Benchmark(Description = "Card APDU: VERIFY auth PIN")]
    public byte[] CardVerify() => _card.Applet.Transmit(_verify);
}
