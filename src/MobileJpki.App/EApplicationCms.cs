using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace MobileJpki.App;

/// <summary>
/// Builds an e-application's CMS SignedData (RFC 5652) with .NET's <see cref="SignedCms"/>: the form JSON as id-data
/// encapsulated content, one signer identified by issuer and serial, SHA-256 with RSA PKCS#1 v1.5, signed attributes
/// contentType, messageDigest, signingTime and signingCertificateV2 (RFC 5035), the signer's certificate included.
/// </summary>
/// <remarks>
/// The key may be a <see cref="MobileJpki.Card.JpkiRsa"/>: the private operation then happens inside the SE (or card)
/// over APDUs, as for the 利用申請 the card signs.
/// </remarks>
public static class EApplicationCms
{
    public const string SigningCertificateV2Oid = "1.2.840.113549.1.9.16.2.47";

    public static byte[] Build(byte[] content, X509Certificate2 certificate, RSA key, DateTimeOffset signingTime)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var signed = new SignedCms(new ContentInfo(content), detached: false);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate, key)
        {
            IncludeOption = X509IncludeOption.EndCertOnly,
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"),
        };

        // The time comes from the server's clock (the sandbox clock may be ahead of real time); SignedCms would
        // otherwise add the machine's own.
        signer.SignedAttributes.Add(new Pkcs9SigningTime(signingTime.UtcDateTime));
        signer.SignedAttributes.Add(new AsnEncodedData(SigningCertificateV2Oid, SigningCertificateV2(certificate)));
        signed.ComputeSignature(signer, silent: true);
        return signed.Encode();
    }

    /// <summary>SigningCertificateV2 { certs { ESSCertIDv2 { certHash SHA-256 (hashAlgorithm DEFAULT), issuerSerial } } }.</summary>
    private static byte[] SigningCertificateV2(X509Certificate2 certificate)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                using (writer.PushSequence())
                {
                    writer.WriteOctetString(SHA256.HashData(certificate.RawData));
                    using (writer.PushSequence())
                    {
                        // issuer GeneralNames { directoryName [4] Name }
                        using (writer.PushSequence())
                        {
                            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
                            {
                                writer.WriteEncodedValue(certificate.IssuerName.RawData);
                            }
                        }

                        writer.WriteInteger(certificate.SerialNumberBytes.Span);
                    }
                }
            }
        }

        return writer.Encode();
    }
}
