namespace MobileJpki.Fuzz;

/// <summary>One fuzz target: feeds the input to a parser and returns if the parser answered as documented.</summary>
/// <remarks>
/// A harness lets only the parser's documented refusal pass (a status word, false, null, an MjpkiException with its
/// code); any other exception escapes, which afl-fuzz records as a crash and the replay tests report as a failure.
/// </remarks>
public delegate void FuzzTarget(ReadOnlySpan<byte> input);

/// <summary>The harnesses, by the name given on the command line and used as the corpus folder name.</summary>
public static class Harnesses
{
    public static IReadOnlyDictionary<string, FuzzTarget> All { get; } = new SortedDictionary<string, FuzzTarget>(StringComparer.Ordinal)
    {
        ["apdu"] = ApduHarness.Run,
        ["card"] = CardHarness.Run,
        ["se"] = SecureElementHarness.Run,
        ["ocsp"] = OcspHarness.Run,
        ["cert"] = CertificateHarness.Run,
        ["cms"] = CmsHarness.Run,
        ["attestation"] = AttestationHarness.RunChain,
        ["attestation-tbs"] = AttestationHarness.RunSignedLeaf,
    };
}

/// <summary>An invariant of a parser's answer broke (e.g. a round trip changed the value): a finding, like a crash.</summary>
public sealed class FuzzFindingException(string message) : Exception(message);

internal static class Expect
{
    public static void That(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzFindingException(what);
        }
    }
}

/// <summary>Splits one input into several messages: each is a 2-byte big-endian length and that many bytes.</summary>
/// <remarks>A last message shorter than its length takes what is left, so that every input means something.</remarks>
public static class Frames
{
    public static List<byte[]> Split(ReadOnlySpan<byte> input, int maxFrames)
    {
        var frames = new List<byte[]>();
        while (input.Length >= 2 && frames.Count < maxFrames)
        {
            var length = (input[0] << 8) | input[1];
            input = input[2..];
            var take = Math.Min(length, input.Length);
            frames.Add(input[..take].ToArray());
            input = input[take..];
        }

        return frames;
    }

    public static byte[] Join(IEnumerable<byte[]> frames)
    {
        var output = new List<byte>();
        foreach (var frame in frames)
        {
            if (frame.Length > 0xFFFF)
            {
                throw new ArgumentException("A frame holds at most 65535 bytes.", nameof(frames));
            }

            output.Add((byte)(frame.Length >> 8));
            output.Add((byte)frame.Length);
            output.AddRange(frame);
        }

        return [.. output];
    }
}
