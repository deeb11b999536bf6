using MobileJpki.Card;
using MobileJpki.Device;

namespace MobileJpki.Fuzz;

/// <summary>
/// A session with the JPKI-AP of a virtual My Number Card: the input is a sequence of command APDUs
/// (<see cref="Frames"/>; an empty one is a warm reset). Every command gets a well-formed status word, never an exception.
/// </summary>
internal static class CardHarness
{
    public const int MaxCommands = 32;

    public static void Run(ReadOnlySpan<byte> input)
    {
        var applet = Templates.Card().Applet;
        foreach (var command in Frames.Split(input, MaxCommands))
        {
            if (command.Length == 0)
            {
                applet.Reset();
                continue;
            }

            ResponseChecks.Check(command, applet.Transmit(command));
        }
    }
}

/// <summary>
/// A session with a phone's secure element over a logical channel: the first byte picks a new phone (even) or a provisioned
/// one (odd), the rest is a sequence of command APDUs (<see cref="Frames"/>; an empty one opens a new channel).
/// </summary>
internal static class SecureElementHarness
{
    public const int MaxCommands = 32;

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var se = Templates.Phone(provisioned: (input[0] & 1) == 1).SecureElement;
        var channel = se.OpenChannel(AppIdentity.PortalApp);
        foreach (var command in Frames.Split(input[1..], MaxCommands))
        {
            if (command.Length == 0)
            {
                channel = se.OpenChannel(AppIdentity.PortalApp);
                continue;
            }

            ResponseChecks.Check(command, channel.Transmit(command));
        }
    }
}
