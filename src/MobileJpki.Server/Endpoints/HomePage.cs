using System.Net;
using MobileJpki.Ra;

namespace MobileJpki.Server.Endpoints;

/// <summary>The landing page: the browser UI first, then where the CA certificates and API document are, how to run the demo.</summary>
internal static class HomePage
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext http, ProcessingWindow window, Microsoft.Extensions.Options.IOptions<Hosting.SandboxOptions> sandbox) =>
        {
            // Outside the sandbox the simulators are not served: no links to them.
            var simulator = sandbox.Value.Enabled;
            var navigation = simulator ? SimulatorLinks : string.Empty;
            var entries = simulator ? SimulatorEntries : string.Empty;
            var request = http.Request;
            var baseUrl = WebUtility.HtmlEncode($"{request.Scheme}://{request.Host}");

            // The browser UI's own stylesheet and policy: no inline script or style, nothing from another origin.
            http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
            http.Response.Headers.XContentTypeOptions = "nosniff";
            http.Response.Headers["Referrer-Policy"] = "same-origin";
            var html = $$"""
                <!doctype html>
                <html lang="ja">
                <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
                <title>MobileJpki — スマホ用電子証明書 サンドボックス</title>
                <link rel="stylesheet" href="/ui/assets/site.css">
                </head>
                <body class="area-home">
                <a class="skip" href="#main">本文へ移動 / <span lang="en">Skip to content</span></a>
                <header class="site">
                <a class="brand" href="/">MobileJpki <span>サンドボックス</span></a>
                <nav aria-label="メニュー / Menu">
                {{navigation}}<a href="/console">コールセンター</a>
                </nav>
                </header>
                <main id="main" class="desk">
                <h1>MobileJpki <small>スマホ用電子証明書搭載サービス サンドボックス</small></h1>
                <p>マイナンバーカードと同等の電子証明書（署名用・利用者証明用）をスマートフォンに搭載するサービスのオープンな再現環境です。カードとスマホの安全領域はAPDUレベルで模擬し、暗号は本物です。実在の J-LIS とは関係ありません。</p>
                <p class="en" lang="en">An open sandbox of Japan's smartphone certificate service for the My Number Card: a real CA, a virtual card and phone emulated at the APDU level. Not affiliated with the real agency (J-LIS).</p>
                <section aria-labelledby="in-browser">
                <h2 id="in-browser">ブラウザで試す / <span lang="en">In the browser</span></h2>
                <ul class="entries">
                {{entries}}<li><a class="entry" href="/console" data-testid="home-console"><strong>コールセンター <span lang="en">Operator console</span></strong>
                <span>オペレーターがサインインし、検索、理由を付けた一時利用停止、監査ログの確認を行います。</span>
                <span class="en" lang="en">Operators sign in, search, suspend with a reason and read the audit trail.</span></a></li>
                </ul>
                </section>
                <h2>CA証明書 / <span lang="en">CA certificates</span></h2>
                <ul>
                <li>署名用 / <span lang="en">Digital signature</span>: <a href="/ca/sign.cer">sign.cer</a> (DER) · <a href="/ca/sign.pem">sign.pem</a></li>
                <li>利用者証明用 / <span lang="en">User authentication</span>: <a href="/ca/auth.cer">auth.cer</a> (DER) · <a href="/ca/auth.pem">auth.pem</a></li>
                </ul>
                <h2>API</h2>
                <p><a href="/openapi/v1.json" lang="en">OpenAPI document</a> · 受付時間 / <span lang="en">issuance window</span>: {{window.Opening:HH\:mm}}–{{window.Cutoff:HH\:mm}} JST（{{window.Cutoff:HH\:mm}}以降の申請は翌日処理 / <span lang="en">later applications wait for the next day</span>）</p>
                <h2>デモ / <span lang="en">Demo</span></h2>
                <pre>dotnet run --project src/MobileJpki.Cli -- demo --server {{baseUrl}}</pre>
                <p>カードとスマホを作り、申請 → 発行 → 通知 → 利用登録 を実行して2枚のスマホ用電子証明書を表示します。</p>
                <p class="en" lang="en">Makes a card and a phone, applies, waits for issuance and the notice, registers, and prints the two phone certificates.</p>
                </main>
                <footer class="site"><p>実在の J-LIS・デジタル庁とは関係のない試験環境です。 / <span lang="en">A test environment, not affiliated with J-LIS or the Digital Agency.</span></p></footer>
                </body>
                </html>
                """;
            return Results.Content(html, "text/html; charset=utf-8");
        }).ExcludeFromDescription();
    }

    private const string SimulatorLinks = """
        <a href="/app">スマホアプリ</a>
        <a href="/office">市区町村窓口</a>

        """;

    private const string SimulatorEntries = """
        <li><a class="entry" href="/app" data-testid="home-app"><strong>スマホアプリ <span lang="en">Phone app</span></strong>
        <span>仮想のマイナンバーカードとスマホで、申請から利用登録・マイページまで操作できます。</span>
        <span class="en" lang="en">Apply, register and manage phone certificates with a virtual card and phone.</span></a></li>
        <li><a class="entry" href="/office" data-testid="home-office"><strong>市区町村窓口 <span lang="en">Municipal office</span></strong>
        <span>カードの交付、住所変更、更新、暗証番号の初期化、紛失・発見の届出を行います。</span>
        <span class="en" lang="en">Issue a card, record an address change, renew it, reset its PIN, report it lost or found.</span></a></li>

        """;
}
