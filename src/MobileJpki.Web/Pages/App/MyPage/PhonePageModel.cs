using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.App;
using MobileJpki.Card;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;
using MobileJpki.Web.Simulator;

namespace MobileJpki.Web.Pages.App.MyPage;

/// <summary>
/// Base of the My Page, lifecycle and portal pages: the phone named in the URL, opened from this browser's workspace
/// only (anything else is "not found"), the portal app on it, and the portal session the app keeps in its storage.
/// </summary>
public abstract class PhonePageModel : PhoneScreenModel
{
    /// <summary>The app-storage keys of the portal session (the app's own data, like its device secret).</summary>
    private const string SessionKey = "portalSession";
    private const string SessionExpiresKey = "portalSessionExpires";

    /// <summary>What the app showed during the request (titles and bodies), for the result screen.</summary>
    public WebScreens Screens { get; } = new();

    /// <summary>This browser's cards, for the "hold your card to the phone" choice.</summary>
    public IReadOnlyList<CardEntry> Cards => Devices.ListCards(Workspace);

    /// <summary>"/app/phones/{id}/{page}" of this phone.</summary>
    public string PhoneUrl(string page) => $"/app/phones/{PhoneId}/{page}";

    /// <summary>
    /// Opens the phone under the workspace lock and runs <paramref name="work"/> with the portal app on it; a refusal
    /// is recorded for the page. Returns false when the phone is not this browser's or the work was refused.
    /// </summary>
    protected Task<bool> WithAppAsync(Func<PortalApp, VirtualPhone, Task> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        return WithPhoneAsync(Screens, (phone, app) => work(app, phone), ct);
    }

    /// <summary>A session the server no longer accepts is forgotten, so the page offers to log in again.</summary>
    protected override void OnRefused(VirtualPhone phone, AppException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error.Code == "session-invalid")
        {
            ClearSession(phone);
        }
    }

    /// <summary>Checks the phone exists (for GET handlers that only show a form).</summary>
    protected async Task<bool> FindPhoneAsync(CancellationToken ct) => await WithAppAsync((_, _) => Task.CompletedTask, ct);

    /// <summary>Opens this browser's card <paramref name="cardId"/>, or refuses (no card chosen, or not this browser's).</summary>
    protected VirtualCard RequireCard(string? cardId) =>
        Devices.OpenCard(Workspace, cardId)
        ?? throw new AppException("card-not-chosen", "マイナンバーカードを選んでください（このブラウザのカードのみ） / Choose your My Number Card (one of this browser's cards).");

    /// <summary>The portal session token the app keeps, or null when logged out.</summary>
    protected static string? SessionToken(VirtualPhone phone) => phone.App.Values.GetValueOrDefault(SessionKey);

    /// <summary>When the kept session ends, or null.</summary>
    protected static DateTimeOffset? SessionExpires(VirtualPhone phone) =>
        DateTimeOffset.TryParse(phone.App.Values.GetValueOrDefault(SessionExpiresKey), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;

    /// <summary>The session token, or a refusal telling the person to log in.</summary>
    protected static string RequireSession(VirtualPhone phone) => SessionToken(phone)
        ?? throw new AppException("not-logged-in", "マイナポータルにログインしてください / Please log in to the portal first.");

    /// <summary>Keeps the session in the app's storage (the phone's file), as the app keeps its device secret.</summary>
    protected void StoreSession(VirtualPhone phone, SessionView session)
    {
        ArgumentNullException.ThrowIfNull(phone);
        ArgumentNullException.ThrowIfNull(session);
        phone.App.Values[SessionKey] = session.Token;
        phone.App.Values[SessionExpiresKey] = session.ExpiresAt.ToString("O", CultureInfo.InvariantCulture);
        Save(phone);
    }

    /// <summary>Forgets the session (logout, or the server said it is no longer valid).</summary>
    protected void ClearSession(VirtualPhone phone)
    {
        ArgumentNullException.ThrowIfNull(phone);
        if (phone.App.Values.Remove(SessionKey) | phone.App.Values.Remove(SessionExpiresKey))
        {
            Save(phone);
        }
    }

    /// <summary>Japan time for display.</summary>
    public static string Jst(DateTimeOffset at) => at.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private void Save(VirtualPhone phone) => phone.Save(Path.Combine(Workspace.PhonesDirectory, phone.PhoneId + ".json"));
}
