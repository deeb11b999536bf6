using System.Reflection;
using MobileJpki.Core;

namespace MobileJpki.Core.Tests;

/// <summary>The layering of STYLE.md, enforced: policy and crypto code stay free of HTTP and the database.</summary>
public sealed class ArchitectureTests
{
    private static readonly string[] HostFree =
    [
        "MobileJpki.Core",
        "MobileJpki.Card",
        "MobileJpki.Device",
        "MobileJpki.App",
        "MobileJpki.Pki",
        "MobileJpki.Ra",
    ];

    public static TheoryData<string> HostFreeAssemblies => new(HostFree);

    [Theory]
    [MemberData(nameof(HostFreeAssemblies))]
    public void Assembly_PolicyAndCryptoLayers_DoNotReferenceAspNetCore(string name)
    {
        var references = Assembly.Load(name).GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(HostFreeAssemblies))]
    public void Assembly_OnlyStorageTouchesTheDatabase(string name)
    {
        var references = Assembly.Load(name).GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal) || r.StartsWith("Microsoft.Data.Sqlite", StringComparison.Ordinal));
    }

    [Fact]
    public void Card_DoesNotKnowAboutTheServerSide()
    {
        var references = Assembly.Load("MobileJpki.Card").GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.DoesNotContain("MobileJpki.Ra", references);
        Assert.DoesNotContain("MobileJpki.Pki", references);
        Assert.DoesNotContain("MobileJpki.Storage", references);
    }

    [Fact]
    public void Ra_DependsOnStorageOnlyThroughItsOwnInterface()
    {
        var references = Assembly.Load("MobileJpki.Ra").GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.DoesNotContain("MobileJpki.Storage", references);
        Assert.True(typeof(MobileJpki.Ra.IRaStore).IsInterface);
        Assert.True(typeof(MobileJpki.Ra.IRaStore).IsAssignableFrom(typeof(MobileJpki.Storage.StorageAuthority)));
    }

    [Fact]
    public void PublicTypes_InSourceAssemblies_AreNotNamedAfterTheRealAgency()
    {
        // The sandbox must never pose as J-LIS: no public type claims to be the real thing.
        foreach (var name in HostFree)
        {
            Assert.DoesNotContain(Assembly.Load(name).GetExportedTypes(), t => t.Name.Contains("Jlis", StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public void Oids_PolicyPerKind_AreDistinctAndUnderOurArc()
    {
        var policies = Enum.GetValues<CertificateKind>().Select(Oids.PolicyFor).ToArray();
        Assert.Equal(policies.Length, policies.Distinct().Count());
        Assert.All(policies, p => Assert.StartsWith(Oids.MobileJpkiArc + ".", p));
        Assert.DoesNotContain(policies, p => p.StartsWith("1.2.392.200149", StringComparison.Ordinal));
    }
}
