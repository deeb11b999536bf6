using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.Core;

/// <summary>Reads the certificatePolicies extension, which tells our four certificate kinds apart.</summary>
public static class CertificatePolicies
{
    private const string ExtensionOid = "2.5.29.32";

    public static bool Has(X509Certificate2 certificate, string policyOid)
    {
        var ext = certificate.Extensions[ExtensionOid];
        if (ext is null)
        {
            return false;
        }

        try
        {
            var seq = new AsnReader(ext.RawData, AsnEncodingRules.DER).ReadSequence();
            while (seq.HasData)
            {
                if (seq.ReadSequence().ReadObjectIdentifier() == policyOid)
                {
                    return true;
                }
            }
        }
        catch (AsnContentException)
        {
            // A malformed extension carries no policy of ours.
        }

        return false;
    }

    /// <summary>The kind of one of our end-entity certificates, or null if it carries none of our policies.</summary>
    public static CertificateKind? KindOf(X509Certificate2 certificate)
    {
        foreach (var kind in Enum.GetValues<CertificateKind>())
        {
            if (Has(certificate, Oids.PolicyFor(kind)))
            {
                return kind;
            }
        }

        return null;
    }
}
