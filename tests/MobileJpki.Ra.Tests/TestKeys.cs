using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace MobileJpki.Ra.Tests;

/// <summary>
/// RSA-2048 keys made once per run and shared by slot number: key generation dominates test time, and a key's
/// identity only matters within one test (each test uses distinct slots for distinct roles).
/// </summary>
internal static class TestKeys
{
    private static readonly ConcurrentDictionary<int, Lazy<RSA>> Keys = new();
    private static readonly Lazy<(string Signing, string Auth)> RootKeys = new(() => (Rsa(-1).ExportPkcs8PrivateKeyPem(), Rsa(-2).ExportPkcs8PrivateKeyPem()));

    /// <summary>The key in <paramref name="slot"/>; .NET's RSA signs concurrently, so sharing is safe.</summary>
    public static RSA Rsa(int slot) => Keys.GetOrAdd(slot, _ => new Lazy<RSA>(() => RSA.Create(2048))).Value;

    public static byte[] Spki(int slot) => Rsa(slot).ExportSubjectPublicKeyInfo();

    /// <summary>PKCS#8 PEMs of the two CA root keys, written into each test's key directory.</summary>
    public static (string Signing, string Auth) CaRootKeyPems => RootKeys.Value;
}
