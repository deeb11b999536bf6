using Microsoft.Extensions.Options;
using MobileJpki.Core.Protocol;
using MobileJpki.Pki;
using MobileJpki.Server.Endpoints;
using MobileJpki.Server.Hosting;
using MobileJpki.Web;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddMobileJpki(builder.Configuration);
builder.Services.AddMobileJpkiTelemetry(builder.Configuration);
builder.Services.AddMobileJpkiWeb(
    builder.Configuration.GetSection("Pki").Get<PkiOptions>() ?? new PkiOptions(),
    simulator: builder.Configuration.GetSection("Sandbox").Get<SandboxOptions>()?.Enabled == true);
builder.Services.AddMobileJpkiRateLimits(builder.Configuration);
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 256 * 1024);

var app = builder.Build();
app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = Problems.HandleAsync });
app.UseStatusCodePages();
app.UseRateLimiter();
await app.Services.InitializeMobileJpkiAsync();

app.MapOpenApi("/openapi/{documentName}.json");
HomePage.Map(app);
CaEndpoints.Map(app);
RevocationEndpoints.Map(app);
OfficeEndpoints.Map(app);
ApplicationEndpoints.Map(app);
LifecycleEndpoints.Map(app);
NotificationEndpoints.Map(app);
HotlineEndpoints.Map(app);
AuditEndpoints.Map(app);
MobileJpki.Server.Oidc.OidcEndpoints.Map(app);
PortalEndpoints.Map(app);
KioskEndpoints.Map(app);
HospitalEndpoints.Map(app);
EApplicationEndpoints.Map(app);
MyPageEndpoints.Map(app);
if (app.Services.GetRequiredService<IOptions<SandboxOptions>>().Value.Enabled)
{
    SandboxEndpoints.Map(app);
}

app.MapMobileJpkiWeb();
app.MapMobileJpkiTelemetry();
app.MapGet("/api/v1/time", (TimeProvider time) => Results.Json(new ServerTime(time.GetUtcNow())))
    .WithTags("Portal app")
    .WithSummary("The service's clock, which the app uses for the creation time of its applications (the sandbox clock may be ahead of real time)");
app.Run();

/// <summary>Entry point; public so integration tests can host it.</summary>
public partial class Program;
