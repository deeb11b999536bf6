using MobileJpki.Card;
using MobileJpki.Core.Attestation;

namespace MobileJpki.Device;

/// <summary>A virtual Android phone: model facts, a secure element and the portal app's own storage, kept in a JSON file.</summary>
/// <remarks>A phone <see cref="Open(string, TimeProvider)"/>ed from a file holds that file's lock until disposed (docs/security.md).</remarks>
public sealed class VirtualPhone : IDisposable
{
    public const string FormatId = "mjpki-phone/1";
    private const int MaxAppValues = 1000;

    private readonly TimeProvider time;
    private string? autoSavePath;
    private FileStream? fileLock;

    private VirtualPhone(PhoneModel model, string osVersion, SecureElement secureElement, PhoneAppData app, TimeProvider time)
    {
        PhoneId = PhoneIdentity.TryFromDeviceCertificate(secureElement.State.DeviceCertificate, out var phoneId)
            ? phoneId
            : throw new InvalidDataException("The secure element's device certificate names no usable serial number.");
        Model = model;
        OsVersion = osVersion;
        SecureElement = secureElement;
        App = app;
        this.time = time;
        SecureElement.StateChanged += (_, _) => AutoSave();
    }

    /// <summary>The SE's serial number as its device certificate names it: the server accepts applications from this phone only under this id.</summary>
    public string PhoneId { get; }

    public PhoneModel Model { get; }

    public string OsVersion { get; }

    public SecureElement SecureElement { get; }

    /// <summary>The portal app's data; the caller saves the phone after changing it.</summary>
    public PhoneAppData App { get; private set; }

    /// <summary>What the app checks before offering 「スマホ用電子証明書が申請できます」.</summary>
    public bool IsEligibleForService => Model.Supported && SecureElement.IsUsable;

    public TimeProvider Time => time;

    /// <exception cref="ArgumentException">"unknown phone model" when <paramref name="modelId"/> is not in <see cref="PhoneModels"/>.</exception>
    public static VirtualPhone Create(string modelId, TimeProvider time) => Create(modelId, time, SecureElementMaker.Sandbox);

    /// <summary>A phone whose SE was made by <paramref name="maker"/> (its device certificate issued by that maker's root).</summary>
    /// <exception cref="ArgumentException">"unknown phone model" when <paramref name="modelId"/> is not in <see cref="PhoneModels"/>.</exception>
    public static VirtualPhone Create(string modelId, TimeProvider time, SecureElementMaker maker)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(maker);
        var model = PhoneModels.Find(modelId) ?? throw new ArgumentException($"unknown phone model '{modelId}'", nameof(modelId));
        return new VirtualPhone(model, model.Os, SecureElement.Create(model, time, maker), NewAppData(), time);
    }

    /// <summary>Erases the app's storage. The SE keeps its keys and certificates, as on a real phone (DESIGN.md).</summary>
    public void FactoryReset()
    {
        App = NewAppData();
        AutoSave();
    }

    /// <summary>A fresh installation of the app: new installation id, empty storage, SE untouched.</summary>
    public void ReinstallApp()
    {
        App = NewAppData();
        AutoSave();
    }

    public void Tamper() => SecureElement.Tamper();

    public static VirtualPhone Load(string path) => Load(path, TimeProvider.System);

    /// <summary>Reads a phone file (at most 1 MiB).</summary>
    /// <exception cref="InvalidDataException">The file is too large, corrupt or not a phone.</exception>
    public static VirtualPhone Load(string path, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var file = StateFiles.Read<PhoneFile>(path, "phone");
        if (file.Format != FormatId || file.SecureElement is null || file.App is null || file.PhoneId is null || file.OsVersion is null)
        {
            throw new InvalidDataException($"The phone file '{path}' is not in format {FormatId}.");
        }

        var model = PhoneModels.Find(file.ModelId ?? string.Empty)
            ?? throw new InvalidDataException($"The phone file '{path}' names an unknown model.");
        if (file.OsVersion.Length > 64)
        {
            throw new InvalidDataException($"The phone file '{path}' has a malformed OS version.");
        }

        if (file.App.InstallationId is null || file.App.Values is null || file.App.Values.Count > MaxAppValues)
        {
            throw new InvalidDataException($"The phone file '{path}' has malformed app data.");
        }

        file.SecureElement.Validate();
        var se = new SecureElement(file.SecureElement, time, model.Supported);
        // The stored phone id is for people reading the file; the phone's id is always its SE's attested one.
        return new VirtualPhone(model, file.OsVersion, se, file.App, time);
    }

    public static VirtualPhone Open(string path) => Open(path, TimeProvider.System);

    /// <summary>
    /// Locks the phone file (<see cref="StateFiles.Lock"/>), <see cref="Load(string, TimeProvider)"/>s it, then saves
    /// back on every SE change so counters survive the process. Dispose to release the lock.
    /// </summary>
    /// <exception cref="IOException">Another program (or another open in this one) has the phone open.</exception>
    public static VirtualPhone Open(string path, TimeProvider time)
    {
        var held = StateFiles.Lock(path, "phone");
        try
        {
            var phone = Load(path, time);
            phone.autoSavePath = path;
            phone.fileLock = held;
            return phone;
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>Releases the file lock of an opened phone; the phone stops saving on its own.</summary>
    public void Dispose()
    {
        lock (SecureElement.State.Applet.SyncRoot)
        {
            autoSavePath = null;
            fileLock?.Dispose();
            fileLock = null;
        }
    }

    public void Save(string path)
    {
        lock (SecureElement.State.Applet.SyncRoot)
        {
            StateFiles.WriteAtomic(path, new PhoneFile
            {
                Format = FormatId,
                PhoneId = PhoneId,
                ModelId = Model.Id,
                OsVersion = OsVersion,
                App = App,
                SecureElement = SecureElement.State,
            });
        }
    }

    private static PhoneAppData NewAppData() => new() { InstallationId = Guid.NewGuid().ToString("N") };

    private void AutoSave()
    {
        if (autoSavePath is not null)
        {
            Save(autoSavePath);
        }
    }

    private sealed class PhoneFile
    {
        public string? Format { get; set; }

        public string? PhoneId { get; set; }

        public string? ModelId { get; set; }

        public string? OsVersion { get; set; }

        public PhoneAppData? App { get; set; }

        public SecureElementState? SecureElement { get; set; }
    }
}
