using System.Security.Cryptography;
using System.Text;

namespace MobileJpki.Ra;

/// <summary>PBKDF2-SHA256 password hashes with a per-account salt and iteration count.</summary>
public static class OperatorPasswords
{
    private const int SaltBytes = 16;

    private const int HashBytes = 32;

    public static (byte[] Hash, byte[] Salt) Hash(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return (Derive(password, salt, iterations), salt);
    }

    /// <summary>Constant-time comparison of the derived key.</summary>
    public static bool Verify(string password, byte[] hash, byte[] salt, int iterations) =>
        CryptographicOperations.FixedTimeEquals(Derive(password, salt, iterations), hash);

    private static byte[] Derive(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
}

/// <summary>How the hotline hashes and compares operator passwords (a seam: tests count the comparisons).</summary>
public interface IOperatorPasswords
{
    (byte[] Hash, byte[] Salt) Hash(string password, int iterations);

    bool Verify(string password, byte[] hash, byte[] salt, int iterations);
}

/// <summary><see cref="OperatorPasswords"/> as the service uses it.</summary>
public sealed class Pbkdf2OperatorPasswords : IOperatorPasswords
{
    public (byte[] Hash, byte[] Salt) Hash(string password, int iterations) => OperatorPasswords.Hash(password, iterations);

    public bool Verify(string password, byte[] hash, byte[] salt, int iterations) => OperatorPasswords.Verify(password, hash, salt, iterations);
}
