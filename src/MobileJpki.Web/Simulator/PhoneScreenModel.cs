using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using MobileJpki.App;
using MobileJpki.Core.Protocol;
using MobileJpki.Device;

namespace MobileJpki.Web.Simulator;

/// <summary>
/// Base of the pages of one simulated phone (/app/phones/{phoneId}/…): the phone is looked up in this browser's
/// workspace only, so an id from another browser is simply not found (404, no data).
/// </summary>
public abstract class PhoneScreenModel : SimulatorPageModel
{
    /// <summary>The phone's id from the route.</summary>
    [BindProperty(SupportsGet = true)]
    [StringLength(16)]
    public string PhoneId { get; set; } = string.Empty;

    /// <summary>The phone's list entry (model name), once found.</summary>
    public PhoneEntry? Entry { get; private set; }

    /// <summary>True when this browser has no phone of that id.</summary>
    public bool Missing { get; private set; }

    /// <summary>The browser's devices.</summary>
    protected SimulatorDevices Devices => HttpContext.RequestServices.GetRequiredService<SimulatorDevices>();

    /// <summary>
    /// Runs <paramref name="work"/> with the phone and its portal app under the workspace lock; a phone this browser
    /// does not have sets <see cref="Missing"/> and a 404 status instead. Refusals are shown with <see cref="SimulatorPageModel.ShowError"/>.
    /// Returns true when the work ran to the end.
    /// </summary>
    protected async Task<bool> WithPhoneAsync(WebScreens screens, Func<VirtualPhone, PortalApp, Task> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        using var gate = await Workspace.LockAsync(ct);
        Entry = Devices.ListPhones(Workspace).FirstOrDefault(p => p.Id == PhoneId);
        var phone = Entry is null ? null : Devices.OpenPhone(Workspace, PhoneId);
        if (phone is null)
        {
            Missing = true;
            Response.StatusCode = StatusCodes.Status404NotFound;
            return false;
        }

        try
        {
            await work(phone, Devices.App(Workspace, phone, screens));
            return true;
        }
        catch (AppException e)
        {
            OnRefused(phone, e);
            ShowError(e);
            return false;
        }
    }

    /// <summary>Called with the phone when its app's work was refused, before the refusal is shown.</summary>
    protected virtual void OnRefused(VirtualPhone phone, AppException error)
    {
    }

    /// <summary>The server's view of the phone, or null when the app on it has not applied yet.</summary>
    protected static async Task<PhoneStatus?> StatusOrNullAsync(PortalApp app, CancellationToken ct, bool withCertificates = false)
    {
        try
        {
            return await app.SyncAsync(ct, withCertificates);
        }
        catch (AppException e) when (e.Code == "not-applied")
        {
            return null;
        }
    }
}
