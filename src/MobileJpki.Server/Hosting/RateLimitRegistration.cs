using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using MobileJpki.Web;

namespace MobileJpki.Server.Hosting;

/// <summary>The throttled operations (docs/security.md, "Throttling"); each name is a policy of ASP.NET Core's rate limiter.</summary>
public static class RateLimitPolicies
{
    /// <summary>Operator sign-in, the API and the console's sign-in page.</summary>
    public const string OperatorSignIn = "operator-sign-in";

    /// <summary>Login challenges of the portal (phone and card) and of kiosks and hospital readers.</summary>
    public const string LoginChallenges = "login-challenges";

    /// <summary>Device links: made by the authorization page, looked up and answered by the phone (codes are short: no guessing).</summary>
    public const string DeviceLinks = "device-links";

    /// <summary>The simulator's phones and cards (each phone an RSA key generation and files on disk).</summary>
    public const string Simulator = "simulator";

    /// <summary>Web Push subscriptions of a phone.</summary>
    public const string PushSubscriptions = "push-subscriptions";
}

/// <summary>One limit: at most <see cref="PermitLimit"/> requests per <see cref="Window"/> (a fixed window, no queue).</summary>
public sealed class RateLimitRule
{
    public int PermitLimit { get; set; }

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A second limit per account (the phone or terminal the route names) over all sources; 0: none.</summary>
    public int PerAccountPermitLimit { get; set; }

    internal void Validate(string name)
    {
        if (PermitLimit is < 1 or > 1_000_000_000 || PerAccountPermitLimit is < 0 or > 1_000_000_000)
        {
            throw new InvalidOperationException($"RateLimits:{name}: PermitLimit must be 1–1000000000 and PerAccountPermitLimit 0–1000000000.");
        }

        if (Window < TimeSpan.FromSeconds(1) || Window > TimeSpan.FromDays(1))
        {
            throw new InvalidOperationException($"RateLimits:{name}:Window must be between 00:00:01 and 1.00:00:00.");
        }
    }
}

/// <summary>The <c>RateLimits</c> section: one rule per throttled operation, counted per source address (defaults in docs/security.md).</summary>
public sealed class RateLimitOptions
{
    public RateLimitRule OperatorSignIn { get; set; } = new() { PermitLimit = 20 };

    public RateLimitRule LoginChallenges { get; set; } = new() { PermitLimit = 120, PerAccountPermitLimit = 60 };

    public RateLimitRule DeviceLinks { get; set; } = new() { PermitLimit = 60 };

    public RateLimitRule Simulator { get; set; } = new() { PermitLimit = 20 };

    public RateLimitRule PushSubscriptions { get; set; } = new() { PermitLimit = 20, PerAccountPermitLimit = 5 };

    /// <summary>Throws, naming the setting, when a rule is out of range: a bad limit fails the start rather than a request.</summary>
    public void Validate()
    {
        OperatorSignIn.Validate(nameof(OperatorSignIn));
        LoginChallenges.Validate(nameof(LoginChallenges));
        DeviceLinks.Validate(nameof(DeviceLinks));
        Simulator.Validate(nameof(Simulator));
        PushSubscriptions.Validate(nameof(PushSubscriptions));
    }

    internal IEnumerable<(string Policy, RateLimitRule Rule)> Rules() =>
    [
        (RateLimitPolicies.OperatorSignIn, OperatorSignIn),
        (RateLimitPolicies.LoginChallenges, LoginChallenges),
        (RateLimitPolicies.DeviceLinks, DeviceLinks),
        (RateLimitPolicies.Simulator, Simulator),
        (RateLimitPolicies.PushSubscriptions, PushSubscriptions),
    ];
}

/// <summary>
/// Names the route value that identifies the account of a throttled endpoint (a phone id, a terminal id): besides its
/// per-source limit, the endpoint is then limited per account over all sources, so many addresses together cannot
/// flood one phone or one terminal either.
/// </summary>
public sealed record RateLimitAccount(string RouteValue);

/// <summary>
/// ASP.NET Core's rate limiter for the operations that an anonymous or weakly authenticated caller can repeat at the
/// service's cost (docs/security.md, "Throttling"): a fixed window per source address (an IPv6 source by its /64), and
/// per account where the route names one. Refusals are 429 problem+json "rate-limited" with Retry-After.
/// </summary>
public static partial class RateLimitRegistration
{
    public static IServiceCollection AddMobileJpkiRateLimits(this IServiceCollection services, IConfiguration config)
    {
        var options = config.GetSection("RateLimits").Get<RateLimitOptions>() ?? new RateLimitOptions();
        options.Validate();
        services.AddSingleton(options);
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = RejectAsync;
            foreach (var (policy, rule) in options.Rules())
            {
                o.AddPolicy(policy, new SourcePolicy(rule, WritesOnly: policy is RateLimitPolicies.OperatorSignIn or RateLimitPolicies.Simulator));
            }

            // The per-account limits run for every request; endpoints without RateLimitAccount metadata pass freely.
            var byPolicy = options.Rules().Where(r => r.Rule.PerAccountPermitLimit > 0).ToDictionary(r => r.Policy, r => r.Rule, StringComparer.Ordinal);
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => AccountPartition(context, byPolicy));
        });

        // The console's sign-in page and the simulator's home page (where phones and cards are made) post forms.
        services.Configure<RazorPagesOptions>(o =>
        {
            o.Conventions.AddPageApplicationModelConvention("/Console/SignIn", m => m.EndpointMetadata.Add(new EnableRateLimitingAttribute(RateLimitPolicies.OperatorSignIn)));
            o.Conventions.AddPageApplicationModelConvention("/App/Index", m => m.EndpointMetadata.Add(new EnableRateLimitingAttribute(RateLimitPolicies.Simulator)));
        });
        return services;
    }

    /// <summary>
    /// The address a limit counts: the relayed browser's when the request is the UI's own call to the API (its tag is
    /// MAC-ed with this process's key, see <see cref="UiRelay"/>), else the connection's; IPv6 by its /64 (one host
    /// has a whole /64).
    /// </summary>
    public static string SourceOf(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var address = context.RequestServices.GetService<UiRelay>()?.Verify(context.Request.Headers[UiRelay.HeaderName]) ?? context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "none";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var bytes = address.GetAddressBytes();
            Array.Clear(bytes, 8, 8);
            return new IPAddress(bytes) + "/64";
        }

        return address.ToString();
    }

    private static RateLimitPartition<string> AccountPartition(HttpContext context, Dictionary<string, RateLimitRule> byPolicy)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<RateLimitAccount>() is { } account
            && endpoint.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName is { } policy
            && byPolicy.TryGetValue(policy, out var rule)
            && context.Request.RouteValues[account.RouteValue] is string id)
        {
            // The route value's name keeps a kiosk and a hospital reader of the same id apart.
            return RateLimitPartition.GetFixedWindowLimiter($"{policy}|{account.RouteValue}|{id}", _ => Window(rule.PerAccountPermitLimit, rule.Window));
        }

        return RateLimitPartition.GetNoLimiter(string.Empty);
    }

    private static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) =>
        new() { PermitLimit = permits, Window = window, QueueLimit = 0, AutoReplenishment = true };

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken ct)
    {
        var http = context.HttpContext;
        var retry = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
        http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var policy = http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName ?? "global";
        LogRejected(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("MobileJpki.Server.RateLimits"), policy, SourceOf(http));
        var problem = Results.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "リクエストが多すぎます。しばらくしてからやり直してください / Too many requests; try again later.",
            type: Problems.TypeBase + "rate-limited",
            extensions: new Dictionary<string, object?> { ["code"] = "rate-limited" });
        await problem.ExecuteAsync(http);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rate limit {Policy} refused a request from {Source}")]
    private static partial void LogRejected(ILogger logger, string policy, string source);

    /// <summary>Per source address; form pages count their posts only (reading a page is free).</summary>
    private sealed record SourcePolicy(RateLimitRule Rule, bool WritesOnly) : IRateLimiterPolicy<string>
    {
        public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => null;

        public RateLimitPartition<string> GetPartition(HttpContext httpContext)
        {
            if (WritesOnly && (HttpMethods.IsGet(httpContext.Request.Method) || HttpMethods.IsHead(httpContext.Request.Method)))
            {
                return RateLimitPartition.GetNoLimiter(string.Empty);
            }

            return RateLimitPartition.GetFixedWindowLimiter(SourceOf(httpContext), _ => Window(Rule.PermitLimit, Rule.Window));
        }
    }
}
