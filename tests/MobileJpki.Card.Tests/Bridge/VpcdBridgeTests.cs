using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using MobileJpki.Card.Bridge;
using static MobileJpki.Card.Tests.TestCards;

namespace MobileJpki.Card.Tests.Bridge;

/// <summary>The bridge against a fake vpcd (a loopback listener speaking the vpcd framing), so no pcscd is needed.</summary>
public sealed class VpcdBridgeTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private const string SelectAp = "00A4040C0AD392F000260100000001";

    private readonly VirtualCard card = Fresh();
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly List<VpcdBridgeEvent> events = [];
    private VpcdBridge bridge = null!;
    private Task running = Task.CompletedTask;

    private int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public Task InitializeAsync()
    {
        listener.Start();
        bridge = new VpcdBridge(card.Applet, Options(Port), e =>
        {
            lock (events)
            {
                events.Add(e);
            }
        });
        running = Task.Run(() => bridge.RunAsync(stop.Token));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await stop.CancelAsync();
        await running.WaitAsync(Timeout);
        listener.Stop();
        stop.Dispose();
    }

    [Fact]
    public async Task GetAtr_ControlCode04_AnsweredWithJpkiAtr()
    {
        using var vpcd = await AcceptAsync();

        await SendAsync(vpcd, [0x04]);

        Assert.Equal("3BE000FF8131FE4514", Convert.ToHexString(await ReceiveAsync(vpcd)));
    }

    [Fact]
    public async Task Apdu_SelectAp_AnsweredWith9000AndNoAnswerToPowerCodes()
    {
        using var vpcd = await AcceptAsync();

        await SendAsync(vpcd, [0x01]);
        await SendAsync(vpcd, [0x02]);
        await SendAsync(vpcd, Convert.FromHexString(SelectAp));

        // The first frame back is the SELECT's answer: power on and reset are not answered.
        Assert.Equal("9000", Convert.ToHexString(await ReceiveAsync(vpcd)));
    }

    [Theory]
    [InlineData((byte)0x00)]
    [InlineData((byte)0x02)]
    public async Task PowerOffOrReset_AfterVerify_PinMustBeVerifiedAgain(byte control)
    {
        using var vpcd = await AcceptAsync();
        await TransmitAsync(vpcd, SelectAp);
        await TransmitAsync(vpcd, "00A4020C020018");
        Assert.Equal("9000", await TransmitAsync(vpcd, "0020008004" + Convert.ToHexString(Encoding.ASCII.GetBytes(AuthPin))));
        var sign = $"802A0080{Convert.ToHexString([0x33, .. DigestInfos.Build(HashAlgorithmName.SHA256, new byte[32])])}00";
        await TransmitAsync(vpcd, "00A4020C020017");
        Assert.Equal("9000", await TransmitAsync(vpcd, sign));

        await SendAsync(vpcd, [control]);

        await TransmitAsync(vpcd, SelectAp);
        await TransmitAsync(vpcd, "00A4020C020017");
        Assert.Equal("6982", await TransmitAsync(vpcd, sign));
    }

    [Fact]
    public async Task GarbageFrames_AnsweredOrIgnored_BridgeKeepsServing()
    {
        using var vpcd = await AcceptAsync();

        await SendAsync(vpcd, [0x7F]);                              // unknown control code: ignored
        await SendAsync(vpcd, [0xFF, 0xFF, 0xFF]);                  // too short for an APDU
        Assert.Equal("6700", Convert.ToHexString(await ReceiveAsync(vpcd)));
        await SendAsync(vpcd, Enumerable.Repeat((byte)0xA5, VpcdBridge.MaxFrameLength).ToArray()); // largest frame, nonsense
        Assert.Equal("6700", Convert.ToHexString(await ReceiveAsync(vpcd)));
        await SendAsync(vpcd, [0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3]); // Lc says 10, one byte follows
        Assert.Equal("6700", Convert.ToHexString(await ReceiveAsync(vpcd)));

        Assert.Equal("9000", await TransmitAsync(vpcd, SelectAp));
        Assert.Equal(1, bridge.Sessions);
    }

    [Fact]
    public async Task EmptyFrame_DropsConnection_ThenReconnects()
    {
        using (var vpcd = await AcceptAsync())
        {
            await vpcd.SendAsync(new byte[] { 0x00, 0x00 });
            Assert.Equal(0, await vpcd.ReceiveAsync(new byte[16].AsMemory()).AsTask().WaitAsync(Timeout));
        }

        using var again = await AcceptAsync();
        Assert.Equal("9000", await TransmitAsync(again, SelectAp));
        Assert.Equal(2, bridge.Sessions);
        Assert.Contains(Events(), e => e.Kind == VpcdBridgeEventKind.Disconnected && e.Message.Contains("empty frame", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClosedMidFrame_Reconnects_AndVerificationIsGone()
    {
        using (var vpcd = await AcceptAsync())
        {
            await TransmitAsync(vpcd, SelectAp);
            await TransmitAsync(vpcd, "00A4020C02001B");
            Assert.Equal("9000", await TransmitAsync(vpcd, "0020008006" + Convert.ToHexString(Encoding.ASCII.GetBytes(SigningPassword))));
            await vpcd.SendAsync(new byte[] { 0x01, 0x00, 0x00, 0xB0 }); // announces 256 bytes, sends 2, hangs up
        }

        using var again = await AcceptAsync();
        await TransmitAsync(again, "00A4020C020001");
        Assert.Equal(2, bridge.Sessions);
        Assert.Equal("6986", await TransmitAsync(again, "00B0000004")); // not even selected: the session is new
    }

    [Fact]
    public async Task Unreachable_ReportsAndRetries_StopsOnCancel()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var seen = new List<VpcdBridgeEvent>();
        using var cancel = new CancellationTokenSource();
        var lonely = new VpcdBridge(Fresh().Applet, Options(port), e =>
        {
            lock (seen)
            {
                seen.Add(e);
            }
        });

        var run = Task.Run(() => lonely.RunAsync(cancel.Token));
        await WaitUntilAsync(() =>
        {
            lock (seen)
            {
                return seen.Count >= 3;
            }
        });
        await cancel.CancelAsync();
        await run.WaitAsync(Timeout);

        lock (seen)
        {
            Assert.All(seen, e => Assert.Equal(VpcdBridgeEventKind.Unreachable, e.Kind));
            Assert.Contains("is pcscd running", seen[0].Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, lonely.Sessions);
    }

    [Fact]
    public void Options_BadPort_Rejected()
    {
        Assert.Throws<ArgumentException>(() => new VpcdBridge(card.Applet, new VpcdBridgeOptions { Port = 0 }));
    }

    private static VpcdBridgeOptions Options(int port) => new()
    {
        Port = port,
        MinRetryDelay = TimeSpan.FromMilliseconds(20),
        MaxRetryDelay = TimeSpan.FromMilliseconds(100),
    };

    private List<VpcdBridgeEvent> Events()
    {
        lock (events)
        {
            return [.. events];
        }
    }

    private async Task<Socket> AcceptAsync()
    {
        var socket = await listener.AcceptSocketAsync().WaitAsync(Timeout);
        socket.NoDelay = true;
        return socket;
    }

    private static async Task SendAsync(Socket socket, byte[] payload)
    {
        var frame = new byte[payload.Length + 2];
        frame[0] = (byte)(payload.Length >> 8);
        frame[1] = (byte)payload.Length;
        payload.CopyTo(frame, 2);
        await socket.SendAsync(frame);
    }

    private static async Task<byte[]> ReceiveAsync(Socket socket)
    {
        var header = await ReadExactlyAsync(socket, 2);
        return await ReadExactlyAsync(socket, (header[0] << 8) | header[1]);
    }

    private static async Task<string> TransmitAsync(Socket socket, string hex)
    {
        await SendAsync(socket, Convert.FromHexString(hex));
        var response = await ReceiveAsync(socket);
        return Convert.ToHexString(response.AsSpan(response.Length - 2));
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int length)
    {
        var buffer = new byte[length];
        var read = 0;
        while (read < length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read)).AsTask().WaitAsync(Timeout);
            Assert.True(n > 0, "the bridge closed the connection");
            read += n;
        }

        return buffer;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(Timeout.TotalSeconds * TimeProvider.System.TimestampFrequency);
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetTimestamp() < deadline, "timed out");
            await Task.Delay(20);
        }
    }
}
