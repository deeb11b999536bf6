using System.Buffers.Binary;

namespace MobileJpki.Card;

/// <summary>An ISO 7816-4 command APDU; <see cref="Ne"/> is the expected response length (null when absent).</summary>
public readonly record struct CommandApdu(byte Cla, byte Ins, byte P1, byte P2, ReadOnlyMemory<byte> Data, int? Ne)
{
    /// <summary>CLA 4 + extended Lc 3 + 65535 data + extended Le 2: nothing longer is a valid APDU.</summary>
    public const int MaxLength = 4 + 3 + 65535 + 2;

    public const int MaxShortNe = 256;
    public const int MaxExtendedNe = 65536;

    /// <summary>Whether the command-chaining bit of an interindustry or proprietary CLA is set.</summary>
    public bool IsChained => (Cla & 0x10) != 0;

    /// <summary>
    /// Parses cases 1, 2S, 3S, 4S, 2E, 3E and 4E. Anything else, truncated or over <see cref="MaxLength"/>
    /// yields <see cref="StatusWords.WrongLength"/> in <paramref name="errorSw"/>, as a card would answer.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> raw, out CommandApdu apdu, out ushort errorSw)
    {
        apdu = default;
        errorSw = StatusWords.WrongLength;
        if (raw.Length is < 4 or > MaxLength)
        {
            return false;
        }

        var body = raw[4..];
        ReadOnlyMemory<byte> data = ReadOnlyMemory<byte>.Empty;
        int? ne = null;

        if (body.Length == 0)
        {
            // Case 1.
        }
        else if (body.Length == 1)
        {
            ne = body[0] == 0 ? MaxShortNe : body[0];
        }
        else if (body[0] != 0)
        {
            int lc = body[0];
            if (body.Length == 1 + lc)
            {
                data = body.Slice(1, lc).ToArray();
            }
            else if (body.Length == 2 + lc)
            {
                data = body.Slice(1, lc).ToArray();
                ne = body[1 + lc] == 0 ? MaxShortNe : body[1 + lc];
            }
            else
            {
                return false;
            }
        }
        else if (body.Length == 3)
        {
            int le = BinaryPrimitives.ReadUInt16BigEndian(body[1..]);
            ne = le == 0 ? MaxExtendedNe : le;
        }
        else if (body.Length >= 4)
        {
            int lc = BinaryPrimitives.ReadUInt16BigEndian(body[1..]);
            if (lc == 0)
            {
                return false;
            }

            if (body.Length == 3 + lc)
            {
                data = body.Slice(3, lc).ToArray();
            }
            else if (body.Length == 5 + lc)
            {
                data = body.Slice(3, lc).ToArray();
                int le = BinaryPrimitives.ReadUInt16BigEndian(body[(3 + lc)..]);
                ne = le == 0 ? MaxExtendedNe : le;
            }
            else
            {
                return false;
            }
        }
        else
        {
            return false;
        }

        apdu = new CommandApdu(raw[0], raw[1], raw[2], raw[3], data, ne);
        errorSw = 0;
        return true;
    }

    /// <summary>Encodes in the short form when it fits, else in the extended form.</summary>
    public byte[] ToBytes()
    {
        if (Data.Length > 65535)
        {
            throw new InvalidOperationException("Command data is longer than 65535 bytes.");
        }

        if (Ne is < 1 or > MaxExtendedNe)
        {
            throw new InvalidOperationException("Ne must be between 1 and 65536.");
        }

        var extended = Data.Length > 255 || Ne > MaxShortNe;
        var buffer = new List<byte>(Data.Length + 9) { Cla, Ins, P1, P2 };
        if (!Data.IsEmpty)
        {
            if (extended)
            {
                buffer.Add(0);
                buffer.Add((byte)(Data.Length >> 8));
                buffer.Add((byte)Data.Length);
            }
            else
            {
                buffer.Add((byte)Data.Length);
            }

            buffer.AddRange(Data.Span);
        }

        if (Ne is int n)
        {
            if (extended)
            {
                if (Data.IsEmpty)
                {
                    buffer.Add(0);
                }

                buffer.Add((byte)(n == MaxExtendedNe ? 0 : n >> 8));
                buffer.Add((byte)(n == MaxExtendedNe ? 0 : n));
            }
            else
            {
                buffer.Add((byte)(n == MaxShortNe ? 0 : n));
            }
        }

        return [.. buffer];
    }
}
