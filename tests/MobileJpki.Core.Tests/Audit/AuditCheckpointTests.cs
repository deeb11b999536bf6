using System.Security.Cryptography;
using System.Text.Json;
using MobileJpki.Core.Audit;

namespace MobileJpki.Core.Tests.Audit;

/// <summary>Signed checkpoints of the head, and verifying a log against one: a cut tail and a rewritten head fail.</summary>
public sealed class AuditCheckpointTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 4, 1, 9, 0, 0, TimeSpan.Zero);
    private readonly ECDsa _auditKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa _otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    [Fact]
    public void Check_SignedByTheAuditKey_IsAcceptedAndRoundTripsThroughJson()
    {
        var checkpoint = AuditCheckpoint.Sign(new AuditHead(57, Build(57)[^1].Hash), T0.AddTicks(1234), _auditKey);

        var read = JsonSerializer.Deserialize<AuditCheckpoint>(JsonSerializer.Serialize(checkpoint))!;

        Assert.Null(read.Check(_auditKey.ExportSubjectPublicKeyInfo()));
        Assert.Equal((57L, T0), (read.Sequence, read.At));
        Assert.Equal(AuditCheckpoint.KeyIdOf(_auditKey.ExportSubjectPublicKeyInfo()), read.KeyId);
    }

    [Fact]
    public void Check_FromAnotherKey_IsRefusedNamingTheOtherKey()
    {
        var forged = AuditCheckpoint.Sign(new AuditHead(3, Build(3)[^1].Hash), T0, _otherKey);

        var problem = forged.Check(_auditKey.ExportSubjectPublicKeyInfo());

        Assert.Contains("another key", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_OtherKeyClaimingTheAuditKeysId_SignatureRefused()
    {
        // A forger copies the real key id into a checkpoint signed with their own key.
        var forged = AuditCheckpoint.Sign(new AuditHead(3, Build(3)[^1].Hash), T0, _otherKey) with
        {
            KeyId = AuditCheckpoint.KeyIdOf(_auditKey.ExportSubjectPublicKeyInfo()),
        };

        Assert.Contains("does not verify", forged.Check(_auditKey.ExportSubjectPublicKeyInfo()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sequence")]
    [InlineData("hash")]
    [InlineData("time")]
    [InlineData("signature")]
    public void Check_FieldChangedAfterSigning_SignatureRefused(string field)
    {
        var chain = Build(10);
        var good = AuditCheckpoint.Sign(new AuditHead(10, chain[^1].Hash), T0, _auditKey);
        var bytes = Convert.FromBase64String(good.Signature);
        bytes[5] ^= 1;
        var changed = field switch
        {
            "sequence" => good with { Sequence = 9 },
            "hash" => good with { HeadHash = chain[8].Hash },
            "time" => good with { At = T0.AddSeconds(1) },
            _ => good with { Signature = Convert.ToBase64String(bytes) },
        };

        Assert.Contains("does not verify", changed.Check(_auditKey.ExportSubjectPublicKeyInfo()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("")]
    public void Check_MalformedSignature_RefusedNotThrown(string signature)
    {
        var bad = AuditCheckpoint.Sign(new AuditHead(1, Build(1)[^1].Hash), T0, _auditKey) with { Signature = signature };

        Assert.NotNull(bad.Check(_auditKey.ExportSubjectPublicKeyInfo()));
    }

    [Fact]
    public void Check_MalformedHeadHashOrFormat_Refused()
    {
        var good = AuditCheckpoint.Sign(new AuditHead(1, Build(1)[^1].Hash), T0, _auditKey);
        var spki = _auditKey.ExportSubjectPublicKeyInfo();

        Assert.Contains("malformed", (good with { HeadHash = "zz" }).Check(spki), StringComparison.Ordinal);
        Assert.Contains("malformed", (good with { Sequence = -1 }).Check(spki), StringComparison.Ordinal);
        Assert.Contains("not an audit checkpoint", (good with { Format = "other" }).Check(spki), StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyAnchored_TailCut_NamesTheMissingRange()
    {
        var chain = Build(57);

        var result = AuditChain.Verify(chain.Take(40).ToList(), 57, chain[^1].Hash);

        Assert.False(result.Ok);
        Assert.Equal(41, result.BrokenSequence);
        Assert.Contains("entries 41–57 missing after sequence 40", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyAnchored_OnlyTheHeadCut_NamesThatEntry()
    {
        var chain = Build(5);

        var result = AuditChain.Verify(chain.Take(4).ToList(), 5, chain[^1].Hash);

        Assert.Contains("entry 5 missing after sequence 4", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyAnchored_WholeLogCut_NamesEverything()
    {
        var chain = Build(3);

        var result = AuditChain.Verify([], 3, chain[^1].Hash);

        Assert.Contains("entries 1–3 missing after sequence 0", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyAnchored_HeadRewrittenAndRehashed_FailsNamingIt()
    {
        // The chain alone still verifies: the last entry was changed and its hash recomputed.
        var checkpointed = Build(6)[^1].Hash;
        var chain = Build(6);
        var forged = chain[5] with { Outcome = "forbidden" };
        chain[5] = forged with { Hash = AuditChain.ComputeHash(forged) };
        Assert.True(AuditChain.Verify(chain).Ok);

        var result = AuditChain.Verify(chain, 6, checkpointed);

        Assert.False(result.Ok);
        Assert.Equal(6, result.BrokenSequence);
        Assert.Contains("entry 6 was rewritten", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyAnchored_CutThenRefilledToTheSameLength_FailsAsRewritten()
    {
        // Sequences re-used after a cut: the length matches the checkpoint, the hash at its sequence does not.
        var original = Build(8);
        var refilled = original.Take(5).ToList();
        Extend(refilled, 3, "refill");

        var result = AuditChain.Verify(refilled, 8, original[^1].Hash);

        Assert.False(result.Ok);
        Assert.Contains("entry 8 was rewritten", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyAnchored_LogGrewAfterTheCheckpoint_IsOk()
    {
        var chain = Build(5);
        var checkpointHash = chain[2].Hash;

        Assert.True(AuditChain.Verify(chain, 3, checkpointHash).Ok);
        Assert.True(AuditChain.Verify(chain, null, checkpointHash).Ok);
        Assert.True(AuditChain.Verify(chain, 0, AuditChain.GenesisHash).Ok);
    }

    [Fact]
    public void VerifyAnchored_HeadHashWithoutSequenceNotInTheLog_Fails()
    {
        var chain = Build(5);

        var result = AuditChain.Verify(chain.Take(3).ToList(), null, chain[^1].Hash);

        Assert.False(result.Ok);
        Assert.Contains("is not in the log", result.Problem, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _auditKey.Dispose();
        _otherKey.Dispose();
    }

    private static List<AuditRecord> Build(int count)
    {
        var list = new List<AuditRecord>();
        Extend(list, count, "op");
        return list;
    }

    private static void Extend(List<AuditRecord> list, int count, string actor)
    {
        var previous = list.Count == 0 ? AuditChain.GenesisHash : list[^1].Hash;
        for (var n = 0; n < count; n++)
        {
            var i = list.Count + 1;
            var at = T0.AddMinutes(i);
            var e = new AuditEvent($"operator:{actor}{i}", "operator", "hotline.suspend", "person-" + i, "lost phone " + i, "127.0.0.1", "ok");
            var hash = AuditChain.ComputeHash(previous, i, at, e);
            list.Add(new AuditRecord(i, at, e.Actor, e.Role, e.Action, e.Target, e.Reason, e.Source, e.Outcome, previous, hash));
            previous = hash;
        }
    }
}
