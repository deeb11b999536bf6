using MobileJpki.Card;

namespace MobileJpki.Fuzz;

/// <summary>
/// <see cref="CommandApdu.TryParse"/>: false with 6700 for anything that is not one of the seven ISO cases, and every
/// parsed command encodes again to a command that parses to the same fields.
/// </summary>
internal static class ApduHarness
{
    public static void Run(ReadOnlySpan<byte> input)
    {
        if (!CommandApdu.TryParse(input, out var apdu, out var sw))
        {
            Expect.That(sw == StatusWords.WrongLength, $"refused with SW {sw:X4} instead of 6700");
            return;
        }

        Expect.That(sw == 0, "a parsed command came with a status word");
        var encoded = apdu.ToBytes();
        Expect.That(CommandApdu.TryParse(encoded, out var again, out _), "the re-encoded command does not parse");
        Expect.That(
            again.Cla == apdu.Cla && again.Ins == apdu.Ins && again.P1 == apdu.P1 && again.P2 == apdu.P2
                && again.Ne == apdu.Ne && again.Data.Span.SequenceEqual(apdu.Data.Span),
            "the re-encoded command parses to other fields");
        Expect.That(encoded.Length <= input.Length, "the encoding is longer than the input it came from");
    }
}

/// <summary>What every card or SE answer must look like, whatever the command.</summary>
internal static class ResponseChecks
{
    public static void Check(byte[] command, byte[] response)
    {
        Expect.That(response.Length >= 2, "a response without a status word");
        var sw = (ushort)((response[^2] << 8) | response[^1]);
        var dataLength = response.Length - 2;
        if (!CommandApdu.TryParse(command, out var apdu, out _))
        {
            Expect.That(sw == StatusWords.WrongLength && dataLength == 0, $"an unparsable command answered {sw:X4} with {dataLength} bytes");
            return;
        }

        // ISO 7816-4 §5.1: never more than Ne bytes of data, and none without Le.
        Expect.That(dataLength <= (apdu.Ne ?? 0), $"{dataLength} bytes of response data for Ne {apdu.Ne?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "absent"}");
        Expect.That(sw != 0 && (sw >> 8) is (>= 0x61 and <= 0x6F) or 0x90, $"SW {sw:X4} is not an ISO 7816-4 status word");
    }
}
