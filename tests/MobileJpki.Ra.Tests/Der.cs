using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.Ra.Tests;

/// <summary>Reads certificate fields with our own ASN.1 code, so assertions do not lean on the code under test.</summary>
internal static class Der
{
    public static List<string> Policies(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions["2.5.29.32"];
        var result = new List<string>();
        if (extension is null)
        {
            return result;
        }

        var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
        while (reader.HasData)
        {
            result.Add(reader.ReadSequence().ReadObjectIdentifier());
        }

        return result;
    }

    /// <summary>A certificatePolicies extension naming one policy, as the CA writes it.</summary>
    public static X509Extension PoliciesExtension(string policyOid)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(policyOid);
            }
        }

        return new X509Extension("2.5.29.32", writer.Encode(), critical: false);
    }

    public static byte[] TbsOf(byte[] certificate) =>
        new AsnReader(certificate, AsnEncodingRules.DER).ReadSequence().ReadEncodedValue().ToArray();

    /// <summary>True when <paramref name="certificate"/> chains to <paramref name="root"/> at <paramref name="at"/>, ignoring the machine's stores.</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 root, DateTimeOffset at)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        return chain.Build(certificate);
    }
}
