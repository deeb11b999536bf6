using System.Reflection;

namespace MobileJpki.Revocation.Tests;

/// <summary>STYLE.md layering: the revocation service is host- and database-free; the SA plugs in through its reader.</summary>
public sealed class ArchitectureTests
{
    [Fact]
    public void Revocation_ReferencesOnlyCoreAndTheRuntime()
    {
        var references = typeof(IRevocationStatusReader).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();

        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.DoesNotContain(references, r => r.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal));
        Assert.All(references.Where(r => r.StartsWith("MobileJpki.", StringComparison.Ordinal)), r => Assert.Equal("MobileJpki.Core", r));
    }

    [Fact]
    public void StatusReader_IsAnInterfaceOwnedHere()
    {
        Assert.True(typeof(IRevocationStatusReader).IsInterface);
        Assert.Equal(typeof(IRevocationStatusReader).Assembly, Assembly.GetAssembly(typeof(Ocsp.OcspResponder)));
    }
}
