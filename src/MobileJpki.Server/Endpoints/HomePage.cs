using System.Net;
using MobileJpki.Ra;

namespace MobileJpki.Server.Endpoints;

/// <summary>The landing page: what this is, where the CA certificates and API document are, how to run the demo.</summary>
internal static class HomePage
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpRequest request, ProcessingWindow window) =>
        {
            var baseUrl = WebUtility.HtmlEncode($"{request.Scheme}://{request.Host}");
            var html = $$"""
                <!doctype html>
                <html lang="ja">
                <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
                <title>MobileJpki — スマホ用電子証明書 サンドボックス</title>
                <style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.6}code,pre{background:#f3f3f3;padding:.1rem .3rem}pre{padding:.6rem;overflow:auto}.en{color:#555}</style>
                </head>
                <body>
                <h1>MobileJpki <small>スマホ用電子証明書搭載サービス サンドボックス</small></h1>
                <p>マイナンバーカードと同等の電子証明書（署名用・利用者証明用）をスマートフォンに搭載するサービスのオープンな再現環境です。カードとスマホの安全領域はAPDUレベルで模擬し、暗号は本物です。実在の J-LIS とは関係ありません。</p>
                <p class="en">An open sandbox of Japan's smartphone certificate service for the My Number Card: a real CA, a virtual card and phone emulated at the APDU level. Not affiliated with the real agency (J-LIS).</p>
                <h2>CA証明書 / CA certificates</h2>
                <ul>
                <li>署名用 / Digital signature: <a href="/ca/sign.cer">sign.cer</a> (DER) · <a href="/ca/sign.pem">sign.pem</a></li>
                <li>利用者証明用 / User authentication: <a href="/ca/auth.cer">auth.cer</a> (DER) · <a href="/ca/auth.pem">auth.pem</a></li>
                </ul>
                <h2>API</h2>
                <p><a href="/openapi/v1.json">OpenAPI document</a> · 受付時間 / issuance window: {{window.Opening:HH\:mm}}–{{window.Cutoff:HH\:mm}} JST（{{window.Cutoff:HH\:mm}}以降の申請は翌日処理 / later applications wait for the next day）</p>
                <h2>デモ / Demo</h2>
                <pre>dotnet run --project src/MobileJpki.Cli -- demo --server {{baseUrl}}</pre>
                <p>カードとスマホを作り、申請 → 発行 → 通知 → 利用登録 を実行して2枚のスマホ用電子証明書を表示します。<br><span class="en">Makes a card and a phone, applies, waits for issuance and the notice, registers, and prints the two phone certificates.</span></p>
                </body>
                </html>
                """;
            return Results.Content(html, "text/html; charset=utf-8");
        }).ExcludeFromDescription();
    }
}
