using System.Net;
using System.Net.Sockets;

namespace MobileJpki.Notifications;

/// <summary>
/// Where the service may send a Web Push message. A subscription names its push service by a URL the browser (so
/// anyone with a phone's secret) chooses; outside the sandbox the host must resolve to public addresses only, never
/// loopback, private, link-local, unique-local, shared, multicast or reserved ones, or the service becomes a way into
/// its own network (docs/security.md, "Outbound requests"). The name is checked when the subscription is saved and
/// again by <see cref="ConnectAsync"/> at every send, which connects only to an address that passed: a name that
/// re-points to an internal address after the first check (DNS rebinding) gets no connection.
/// </summary>
/// <param name="allowInternal">The sandbox: every address is allowed (a push service on the tester's machine).</param>
/// <param name="resolve">Host name to addresses; <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/> by default.</param>
public sealed class PushTargets(bool allowInternal, Func<string, CancellationToken, Task<IPAddress[]>>? resolve = null)
{
    private readonly Func<string, CancellationToken, Task<IPAddress[]>> _resolve = resolve ?? Dns.GetHostAddressesAsync;

    /// <summary>Whether every address is allowed (the sandbox).</summary>
    public bool AllowInternal => allowInternal;

    /// <summary>True for an address of the public Internet (IPv4-mapped, NAT64 and 6to4 addresses are judged by the IPv4 address inside).</summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return IsPublicV4(address.GetAddressBytes());
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        var b = address.GetAddressBytes();
        if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal)
        {
            return false;
        }

        // ::/96 holds :: and ::1 and the old IPv4-compatible form.
        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        {
            return false;
        }

        // 64:ff9b::/96 (NAT64) and 2002::/16 (6to4) reach the IPv4 address they carry.
        if (b.AsSpan(0, 12).SequenceEqual(new byte[] { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 }))
        {
            return IsPublicV4(b[12..]);
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return IsPublicV4(b[2..6]);
        }

        // 2001:db8::/32 is for documentation; 100::/64 discards.
        return !(b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) && !(b[0] == 0x01 && b[1] == 0x00 && b.AsSpan(2, 6).IndexOfAnyExcept((byte)0) < 0);
    }

    /// <summary>
    /// Null when <paramref name="endpoint"/>'s host may be pushed to; otherwise why not (its name does not resolve, or
    /// it resolves to an address that is not public). Always null in the sandbox.
    /// </summary>
    public async Task<string?> RefusalAsync(Uri endpoint, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (allowInternal)
        {
            return null;
        }

        try
        {
            await AllowedAddressesAsync(endpoint.IdnHost, ct);
            return null;
        }
        catch (PushTargetRefusedException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host again and connects only to addresses that
    /// pass <see cref="IsPublic"/> (any address in the sandbox).
    /// </summary>
    /// <exception cref="PushTargetRefusedException">The host resolves to an address that is not public.</exception>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var addresses = await AllowedAddressesAsync(context.DnsEndPoint.Host, ct);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The handler the Web Push sender uses: no redirects (a 3xx could point anywhere), connections through <see cref="ConnectAsync"/>.</summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        UseProxy = false,
        ConnectCallback = ConnectAsync,
    };

    private async Task<IPAddress[]> AllowedAddressesAsync(string host, CancellationToken ct)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await _resolve(host, ct);
            }
            catch (SocketException e)
            {
                throw new PushTargetRefusedException($"The push service host '{host}' does not resolve ({e.SocketErrorCode}).");
            }
        }

        if (addresses.Length == 0)
        {
            throw new PushTargetRefusedException($"The push service host '{host}' has no address.");
        }

        // One internal address is enough to refuse: which of them a connection would use is not ours to choose.
        if (!allowInternal && addresses.FirstOrDefault(a => !IsPublic(a)) is { } internalAddress)
        {
            throw new PushTargetRefusedException($"The push service host '{host}' resolves to {internalAddress}, which is not a public address.");
        }

        return addresses;
    }

    private static bool IsPublicV4(ReadOnlySpan<byte> b) => b[0] switch
    {
        0 or 10 or 127 => false,
        100 => (b[1] & 0xC0) != 64, // 100.64.0.0/10 shared (carrier-grade NAT)
        169 => b[1] != 254, // link-local
        172 => (b[1] & 0xF0) != 16, // 172.16.0.0/12
        192 => !(b[1] == 168 || (b[1] == 0 && b[2] == 0) || (b[1] == 0 && b[2] == 2)), // private, IETF, documentation
        198 => !(b[1] is 18 or 19 || (b[1] == 51 && b[2] == 100)), // benchmarking, documentation
        203 => !(b[1] == 0 && b[2] == 113), // documentation
        >= 224 => false, // multicast, reserved, broadcast
        _ => true,
    };
}

/// <summary>The push service's host is not a place this service sends to (<see cref="PushTargets"/>).</summary>
public sealed class PushTargetRefusedException(string message) : IOException(message);
