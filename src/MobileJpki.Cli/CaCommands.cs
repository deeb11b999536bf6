using System.CommandLine;
using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MobileJpki.App;
using MobileJpki.Core;
using MobileJpki.Pki;

namespace MobileJpki.Cli;

/// <summary><c>mjpki ca init</c>: the key ceremony (docs/operations.md, "Key ceremony"); <c>mjpki ca crl</c>: fetch and check a server's CRLs.</summary>
internal static class CaCommands
{
    public static void Add(RootCommand root)
    {
        var ca = new Command("ca", "Certificate authority administration (runs locally, not against a server)");
        root.Subcommands.Add(ca);

        var signingKey = Common.Required("--signing-key", "Key URI of the digital-signature root: soft:NAME or pkcs11:token=…;object=…?module-path=…&pin-source=file:…");
        var authKey = Common.Required("--auth-key", "Key URI of the user-authentication root");
        var dataDir = new Option<string>("--data-dir") { Description = "The server's Pki:DataDirectory", DefaultValueFactory = _ => new PkiOptions().DataDirectory };
        var baseUrl = new Option<string>("--base-url") { Description = "The server's Pki:BaseUrl (put into the certificates' URLs)", DefaultValueFactory = _ => new PkiOptions().BaseUrl };
        var init = new Command("init", "Generate the two CA keys (inside the HSM for pkcs11: URIs) and create the root certificates") { signingKey, authKey, dataDir, baseUrl };
        init.Handle((p, _) =>
        {
            var options = new PkiOptions
            {
                SigningCaKeyUri = p.GetValue(signingKey)!,
                AuthCaKeyUri = p.GetValue(authKey)!,
                DataDirectory = p.GetValue(dataDir)!,
                BaseUrl = p.GetValue(baseUrl)!,
            };
            try
            {
                Init(options);
            }
            catch (MjpkiException e)
            {
                throw new AppException(e.Code, e.Message);
            }

            return Task.CompletedTask;
        });
        ca.Subcommands.Add(init);
        AddCrl(ca);
    }

    /// <summary><c>mjpki ca crl --server URL [--hierarchy sign|auth] [--partition N] [--out FILE]</c> (docs/revocation.md).</summary>
    private static void AddCrl(Command ca)
    {
        var server = Common.Server();
        var hierarchy = Common.Optional("--hierarchy", "sign or auth (default: both)");
        var partition = new Option<int?>("--partition") { Description = "A CRL partition number instead of the complete CRL" };
        var output = Common.Optional("--out", "Write the DER CRL to this file (with both hierarchies: FILE.sign / FILE.auth)");
        var crl = new Command("crl", "Fetch the CRL(s) from a server, verify the signature against the server's CA certificate, print number, thisUpdate, nextUpdate and entries / CRLを取得して署名を検証") { server, hierarchy, partition, output };
        crl.Handle(async (p, ct) =>
        {
            Hierarchy[] hierarchies = p.GetValue(hierarchy) switch
            {
                null => [Hierarchy.Signing, Hierarchy.Auth],
                var name when CertificateKinds.TryParseWireName(name, out var h) => [h],
                var name => throw new AppException("bad-hierarchy", $"--hierarchy は sign か auth です / --hierarchy must be sign or auth, not '{name}'."),
            };
            using var client = ServerApi.CreateHttpClient(p.GetValue(server)!);
            foreach (var h in hierarchies)
            {
                var path = p.GetValue(partition) is { } n ? $"/crl/{h.WireName()}/{n}.crl" : $"/crl/{h.WireName()}.crl";
                var der = await FetchAsync(client, path, ct);
                var caDer = await FetchAsync(client, $"/ca/{h.WireName()}.cer", ct);
                var info = CrlFile.Verify(der, caDer, path);
                Console.WriteLine($"{h.WireName()}: {path} number {info.Number} thisUpdate {info.ThisUpdate:yyyy-MM-dd'T'HH:mm:ss'Z'} nextUpdate {info.NextUpdate:yyyy-MM-dd'T'HH:mm:ss'Z'} entries {info.Entries} signature OK");
                if (p.GetValue(output) is { } file)
                {
                    await File.WriteAllBytesAsync(hierarchies.Length == 1 ? file : $"{file}.{h.WireName()}", der, ct);
                }
            }
        });
        ca.Subcommands.Add(crl);
    }

    private static async Task<byte[]> FetchAsync(HttpClient client, string path, CancellationToken ct)
    {
        try
        {
            using var response = await client.GetAsync(path, ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new AppException("fetch-failed", $"{path} の取得に失敗しました / {path}: HTTP {(int)response.StatusCode}.", (int)response.StatusCode);
            }

            return await response.Content.ReadAsByteArrayAsync(ct);
        }
        catch (HttpRequestException e)
        {
            throw new AppException("server-unreachable", $"サーバーに接続できません / the server cannot be reached: {e.Message}");
        }
    }

    private static void Init(PkiOptions options)
    {
        options.Validate();
        var caDirectory = Path.Combine(options.DataDirectory, "ca");
        foreach (var hierarchy in new[] { Hierarchy.Signing, Hierarchy.Auth })
        {
            var certificate = Path.Combine(caDirectory, hierarchy.WireName() + ".cer");
            if (File.Exists(certificate))
            {
                throw new AppException("ca-exists", $"A CA certificate already exists ({certificate}); ca init only creates new hierarchies.");
            }
        }

        // Checks module, token and PIN of pkcs11: keys before anything is generated.
        using var keys = KeyProviders.ForOptions(options);

        // Refuse before generating anything, so a half-done ceremony never leaves one new key beside an old one.
        foreach (var uri in new[] { options.SigningCaKeyUri, options.AuthCaKeyUri })
        {
            using var existing = keys.TryGetKey(uri);
            if (existing is not null)
            {
                throw new AppException("key-exists", $"A key already exists under {KeyProviders.Redact(uri)}; ca init never reuses or replaces keys.");
            }
        }

        foreach (var uri in new[] { options.SigningCaKeyUri, options.AuthCaKeyUri })
        {
            keys.CreateKey(uri).Dispose();
        }

        using var ca = CaHierarchy.LoadOrCreate(options, keys, TimeProvider.System);
        foreach (var hierarchy in new[] { Hierarchy.Signing, Hierarchy.Auth })
        {
            var certificate = ca.CertificateFor(hierarchy);
            Console.WriteLine($"{hierarchy.WireName()}: {certificate.Subject}");
            Console.WriteLine($"  key: {KeyProviders.Redact(options.KeyUriFor(hierarchy))}");
            Console.WriteLine($"  certificate: {Path.GetFullPath(Path.Combine(caDirectory, hierarchy.WireName() + ".cer"))}");
            Console.WriteLine($"  sha256 fingerprint: {Convert.ToHexString(SHA256.HashData(certificate.RawData))}");
            Console.WriteLine($"  valid until: {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd'T'HH:mm:ss'Z'}");
        }
    }
}

/// <summary>Reads a DER CRL just enough to check it against its CA and to report on it.</summary>
internal static class CrlFile
{
    public sealed record Info(BigInteger Number, DateTimeOffset ThisUpdate, DateTimeOffset NextUpdate, int Entries);

    /// <exception cref="AppException">"crl-invalid" (not a CRL, wrong issuer, bad signature).</exception>
    public static Info Verify(byte[] crlDer, byte[] caDer, string what)
    {
        try
        {
            using var ca = X509CertificateLoader.LoadCertificate(caDer);
            using var key = ca.GetRSAPublicKey() ?? throw Invalid(what, "the CA key is not RSA");
            var outer = new AsnReader(crlDer, AsnEncodingRules.DER);
            var list = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            var tbsDer = list.ReadEncodedValue();
            var algorithm = list.ReadSequence().ReadObjectIdentifier();
            var signature = list.ReadBitString(out _);
            list.ThrowIfNotEmpty();
            if (algorithm != "1.2.840.113549.1.1.11" || !key.VerifyData(tbsDer.Span, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                throw Invalid(what, "the signature does not verify with the server's CA certificate");
            }

            var tbs = new AsnReader(tbsDer, AsnEncodingRules.DER).ReadSequence();
            tbs.ReadInteger();
            tbs.ReadSequence();
            if (!tbs.ReadEncodedValue().Span.SequenceEqual(ca.SubjectName.RawData))
            {
                throw Invalid(what, "the issuer is not the server's CA");
            }

            var thisUpdate = ReadTime(tbs);
            var nextUpdate = ReadTime(tbs);
            var entries = 0;
            if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
            {
                var revoked = tbs.ReadSequence();
                while (revoked.HasData)
                {
                    revoked.ReadEncodedValue();
                    entries++;
                }
            }

            BigInteger number = -1;
            var extensions = tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)).ReadSequence();
            while (extensions.HasData)
            {
                var extension = extensions.ReadSequence();
                var oid = extension.ReadObjectIdentifier();
                if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                {
                    extension.ReadBoolean();
                }

                var value = extension.ReadOctetString();
                if (oid == "2.5.29.20")
                {
                    number = new AsnReader(value, AsnEncodingRules.DER).ReadInteger();
                }
            }

            return number < 0 ? throw Invalid(what, "no cRLNumber") : new Info(number, thisUpdate, nextUpdate, entries);
        }
        catch (AsnContentException)
        {
            throw Invalid(what, "not a DER CRL");
        }
    }

    private static DateTimeOffset ReadTime(AsnReader reader) =>
        reader.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime() : reader.ReadGeneralizedTime();

    private static AppException Invalid(string what, string why) => new("crl-invalid", $"CRLが正しくありません / {what}: {why}.");
}
