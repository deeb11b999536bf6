namespace MobileJpki.Device;

/// <summary>A phone model and whether the smartphone certificate service supports it.</summary>
public sealed record PhoneModel(string Id, string Maker, string Name, string Os, bool Supported);

/// <summary>The models the emulator knows; ids are lowercase and stable because phone files store them.</summary>
public static class PhoneModels
{
    public static IReadOnlyList<PhoneModel> All { get; } =
    [
        new("pixel-8", "Google", "Pixel 8", "Android 14", true),
        new("pixel-7a", "Google", "Pixel 7a", "Android 14", true),
        new("galaxy-s23", "Samsung", "Galaxy S23", "Android 14", true),
        new("galaxy-a54", "Samsung", "Galaxy A54 5G", "Android 14", true),
        new("xperia-1-v", "Sony", "Xperia 1 V", "Android 14", true),
        new("xperia-10-v", "Sony", "Xperia 10 V", "Android 14", true),
        new("aquos-sense8", "Sharp", "AQUOS sense8", "Android 14", true),
        new("arrows-we", "FCNT", "arrows We", "Android 12", true),
        new("galaxy-s9", "Samsung", "Galaxy S9", "Android 10", false),
        new("huawei-p30", "Huawei", "P30", "Android 10", false),
        new("iphone-12", "Apple", "iPhone 12", "iOS 17", false),
    ];

    public static IEnumerable<PhoneModel> SupportedModels => All.Where(m => m.Supported);

    public static PhoneModel? Find(string id) => All.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.Ordinal));
}

/// <summary>Who is calling the secure element: an app's package name and signing-certificate hash, as Android's OMAPI checks.</summary>
public sealed record AppIdentity(string PackageName, string SigningCertSha256)
{
    /// <summary>The portal app (マイナポータルアプリ), the only app the SE's access rules admit.</summary>
    public static AppIdentity PortalApp { get; } = new(
        "jp.go.myna.portal.sandbox",
        "5A:3C:9E:11:7B:42:D8:60:AF:2E:91:C4:08:6D:B3:57:E2:1F:90:4A:C6:3D:58:B1:0E:77:A9:24:CF:61:D5:83");
}

/// <summary>The SE refused a caller: not the portal app, or an SE this model does not offer.</summary>
public sealed class SecureElementAccessDeniedException : Exception
{
    public SecureElementAccessDeniedException(string message)
        : base(message)
    {
    }
}

/// <summary>What the portal app keeps in its own storage; lost on factory reset or reinstall, unlike the SE.</summary>
public sealed class PhoneAppData
{
    public string InstallationId { get; set; } = string.Empty;

    public Dictionary<string, string> Values { get; set; } = [];
}
