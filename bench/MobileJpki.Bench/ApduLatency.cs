using System.Diagnostics;
using MobileJpki.Card;
using MobileJpki.Card.Bridge;
using MobileJpki.Card.PcSc;

namespace MobileJpki.Bench;

/// <summary>
/// APDU round trip through pcscd: this process → libpcsclite → pcscd → vpcd → TCP → <see cref="VpcdBridge"/>
/// → <see cref="JpkiApplet"/> and back. Needs a running pcscd with vsmartcard-vpcd and a free vpcd slot
/// (stop any <c>mjpki card serve</c> first). Prints the low-latency bridge next to a naive one (no NODELAY/QUICKACK).
/// </summary>
public static class ApduLatency
{
    private static readonly byte[] SelectAp = Convert.FromHexString("00A4040C0AD392F000260100000001");
    private static readonly byte[] SelectTokenInfo = Convert.FromHexString("00A4020C020006");
    private static readonly byte[] ReadTokenInfo = Convert.FromHexString("00B0000020");

    public static async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 5000;
        const string reader = "Virtual PCD 00 00";
        var card = VirtualCard.CreateBlank("BENCH1", "1234");

        Console.WriteLine($"APDU round trip through pcscd, reader '{reader}', {Environment.ProcessorCount} cores");
        foreach (var (label, lowLatency, apdus) in new[] { ("bridge (TCP_NODELAY + TCP_QUICKACK)", true, count), ("naive bridge (neither)", false, Math.Min(count, 100)) })
        {
            using var stop = new CancellationTokenSource();
            var bridge = new VpcdBridge(card.Applet, new VpcdBridgeOptions { LowLatency = lowLatency });
            var running = Task.Run(() => bridge.RunAsync(stop.Token));
            try
            {
                using var channel = PcscChannel.Connect(reader, TimeSpan.FromSeconds(15));
                Expect(channel.Transmit(SelectAp));
                for (var i = 0; i < 50; i++)
                {
                    Expect(channel.Transmit(SelectTokenInfo));
                }

                var samples = new double[apdus];
                for (var i = 0; i < apdus; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    Expect(channel.Transmit(i % 2 == 0 ? SelectTokenInfo : ReadTokenInfo));
                    samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }

                Array.Sort(samples);
                Console.WriteLine($"{label}: {apdus} APDUs, mean {samples.Average():F3} ms, p50 {Percentile(samples, 0.50):F3} ms, " +
                    $"p99 {Percentile(samples, 0.99):F3} ms, max {samples[^1]:F3} ms, {samples.Count(s => s > 2):N0} over 2 ms");
            }
            catch (PcscException e)
            {
                Console.Error.WriteLine($"bench: {e.Message}");
                return 1;
            }
            finally
            {
                await stop.CancelAsync();
                await running;
            }

            // Let pcscd notice the card left before the next bridge connects.
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        return 0;
    }

    private static void Expect(byte[] response)
    {
        if (response.Length < 2 || response[^2] != 0x90 || response[^1] != 0x00)
        {
            throw new InvalidOperationException($"unexpected response {Convert.ToHexString(response)}");
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
