using MobileJpki.Core.Audit;

namespace MobileJpki.Core.Tests.Audit;

public sealed class AuditChainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 4, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Verify_ChainBuiltByComputeHash_IsOkWithCountAndHead()
    {
        var chain = Build(5);

        var result = AuditChain.Verify(chain);

        Assert.True(result.Ok);
        Assert.Equal(5, result.Count);
        Assert.Equal(chain[^1].Hash, result.HeadHash);
        Assert.Null(result.BrokenSequence);
    }

    [Fact]
    public void Verify_EmptyLog_IsOkWithGenesisHead()
    {
        var result = AuditChain.Verify([]);

        Assert.True(result.Ok);
        Assert.Equal(0, result.Count);
        Assert.Equal(AuditChain.GenesisHash, result.HeadHash);
    }

    [Fact]
    public void Verify_ChangedReason_NamesThatEntry()
    {
        var chain = Build(5);
        chain[2] = chain[2] with { Reason = "changed afterwards" };

        var result = AuditChain.Verify(chain);

        Assert.False(result.Ok);
        Assert.Equal(3, result.BrokenSequence);
        Assert.Contains("altered", result.Problem, StringComparison.Ordinal);
        Assert.Equal(2, result.Count);
    }

    [Fact]
    public void Verify_RehashedTamperedEntry_NamesTheNextEntry()
    {
        // A forger who recomputes the changed entry's hash still breaks the next link.
        var chain = Build(5);
        var forged = chain[2] with { Outcome = "forbidden" };
        chain[2] = forged with { Hash = AuditChain.ComputeHash(forged) };

        var result = AuditChain.Verify(chain);

        Assert.False(result.Ok);
        Assert.Equal(4, result.BrokenSequence);
        Assert.Contains("does not link", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_DeletedEntry_NamesTheGap()
    {
        var chain = Build(5);
        chain.RemoveAt(1);

        var result = AuditChain.Verify(chain);

        Assert.False(result.Ok);
        Assert.Equal(2, result.BrokenSequence);
        Assert.Contains("missing", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ReorderedEntries_AreRefused()
    {
        var chain = Build(4);
        (chain[1], chain[2]) = (chain[2], chain[1]);

        var result = AuditChain.Verify(chain);

        Assert.False(result.Ok);
        Assert.Equal(2, result.BrokenSequence);
    }

    [Fact]
    public void ComputeHash_ShiftedFieldBoundary_DiffersFromConcatenation()
    {
        var a = AuditChain.ComputeHash(AuditChain.GenesisHash, 1, T0, new AuditEvent("operator:ab", null, "c", null, null, null, "ok"));
        var b = AuditChain.ComputeHash(AuditChain.GenesisHash, 1, T0, new AuditEvent("operator:a", null, "bc", null, null, null, "ok"));

        Assert.NotEqual(a, b);
    }

    [Fact]
    public void ComputeHash_NullAndEmpty_Differ()
    {
        var a = AuditChain.ComputeHash(AuditChain.GenesisHash, 1, T0, new AuditEvent("system", null, "x", null, null, null, "ok"));
        var b = AuditChain.ComputeHash(AuditChain.GenesisHash, 1, T0, new AuditEvent("system", string.Empty, "x", null, null, null, "ok"));

        Assert.NotEqual(a, b);
    }

    [Fact]
    public void ComputeHash_KnownEntry_MatchesTheDocumentedEncoding()
    {
        // Recompute by hand from docs/operations.md's rule, so the encoding cannot change silently.
        var e = new AuditEvent("system", null, "a", null, null, null, "ok");
        var bytes = new List<byte>();
        bytes.AddRange("mjpki-audit-v1"u8.ToArray());
        bytes.AddRange(new byte[32]);
        bytes.AddRange(BigEndian(1));
        bytes.AddRange(BigEndian(T0.ToUnixTimeMilliseconds()));
        foreach (var f in new[] { "system", null, "a", null, null, null, "ok" })
        {
            bytes.Add(f is null ? (byte)0 : (byte)1);
            var utf8 = f is null ? [] : System.Text.Encoding.UTF8.GetBytes(f);
            bytes.AddRange(BitConverter.IsLittleEndian ? BitConverter.GetBytes(utf8.Length).Reverse() : BitConverter.GetBytes(utf8.Length));
            bytes.AddRange(utf8);
        }

        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes.ToArray()));

        Assert.Equal(expected, AuditChain.ComputeHash(AuditChain.GenesisHash, 1, T0, e));
    }

    private static byte[] BigEndian(long value)
    {
        var b = BitConverter.GetBytes(value);
        return BitConverter.IsLittleEndian ? b.Reverse().ToArray() : b;
    }

    private static List<AuditRecord> Build(int count)
    {
        var list = new List<AuditRecord>();
        var previous = AuditChain.GenesisHash;
        for (var i = 1; i <= count; i++)
        {
            var at = T0.AddMinutes(i);
            var e = new AuditEvent("operator:op" + i, "operator", "hotline.suspend", Guid.NewGuid().ToString(), "lost phone " + i, "127.0.0.1", "ok");
            var hash = AuditChain.ComputeHash(previous, i, at, e);
            list.Add(new AuditRecord(i, at, e.Actor, e.Role, e.Action, e.Target, e.Reason, e.Source, e.Outcome, previous, hash));
            previous = hash;
        }

        return list;
    }
}
