using QRCoder;

namespace MobileJpki.Server.Oidc;

/// <summary>The device link as an inline SVG QR code (QRCoder), for the phone's camera.</summary>
internal static class QrSvg
{
    public static string Render(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        var svg = new SvgQRCode(data).GetGraphic(4);

        // The XML declaration is not allowed inside HTML.
        var start = svg.IndexOf("<svg", StringComparison.Ordinal);
        return "<div role=\"img\" aria-label=\"QR\">" + (start >= 0 ? svg[start..] : svg) + "</div>";
    }
}
