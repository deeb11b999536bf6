using System.Globalization;
using MobileJpki.Fuzz;
using SharpFuzz;

// mjpki-fuzz: the afl++ harnesses (docs/fuzzing.md).
//   MobileJpki.Fuzz <target>                     under afl-fuzz: inputs on standard input, SharpFuzz's fork server
//   MobileJpki.Fuzz replay <target> <path>...    each file (or every file of each folder) once; exit 1 on a finding
//   MobileJpki.Fuzz prepare <target>             makes the target's templates in MJPKI_FUZZ_TEMPLATES before a run
//   MobileJpki.Fuzz seeds <folder>               writes the seed corpora, one subfolder per target
//   MobileJpki.Fuzz list                         the targets' names
if (args.Length == 0)
{
    return Usage();
}

switch (args[0])
{
    case "list":
        foreach (var name in Harnesses.All.Keys)
        {
            Console.WriteLine(name);
        }

        return 0;

    case "prepare" when args.Length == 2 && Harnesses.All.ContainsKey(args[1]):
        // Makes the templates (MJPKI_FUZZ_TEMPLATES) before afl-fuzz starts; through SharpFuzz as for replay.
        Fuzzer.Run(_ => Warm(args[1]));
        return 0;

    case "seeds" when args.Length == 2:
        Seeds.WriteAll(args[1]);
        return 0;

    case "replay" when args.Length >= 3 && Harnesses.All.TryGetValue(args[1], out var replayed):
        // Through SharpFuzz without afl-fuzz: it points the instrumented assemblies' trace map at a buffer of its own
        // (they write to it on every branch), then runs the action once.
        var replayResult = 0;
        Fuzzer.Run(_ => replayResult = Replay(args[1], replayed, args[2..]));
        return replayResult;

    default:
        if (args.Length != 1 || !Harnesses.All.TryGetValue(args[0], out var target))
        {
            return Usage();
        }

        // SharpFuzz's out-of-process fork server starts this program again as its child, which runs the inputs (and
        // survives what an in-process loop would not, e.g. a stack overflow). The templates (key generation) are made
        // inside the first run, once the trace map is set up: instrumented code must not run before.
        var warm = false;
        Fuzzer.OutOfProcess.Run(stream =>
        {
            if (!warm)
            {
                Warm(args[0]);
                warm = true;
            }

            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            target(memory.ToArray());
        });
        return 0;
}

static void Warm(string target)
{
    switch (target)
    {
        case "card":
            _ = Templates.Card();
            break;
        case "se":
            _ = Templates.Phone(provisioned: false);
            _ = Templates.Phone(provisioned: true);
            break;
        case "cms":
            CmsHarness.Warm();
            break;
        case "attestation" or "attestation-tbs":
            AttestationHarness.Warm();
            break;
    }
}

static int Replay(string name, FuzzTarget target, string[] paths)
{
    var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p])
        .Where(f => !Path.GetFileName(f).StartsWith('.') && !f.EndsWith(".txt", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)
        .ToList();
    var findings = 0;
    foreach (var file in files)
    {
        try
        {
            target(File.ReadAllBytes(file));
        }
#pragma warning disable CA1031 // every exception is a finding to report, not to handle
        catch (Exception e)
#pragma warning restore CA1031
        {
            findings++;
            Console.WriteLine($"{name}: {file}: {e.GetType().FullName}: {e.Message}");
            Console.WriteLine(e.StackTrace);
        }
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {files.Count} inputs, {findings} findings"));
    return findings == 0 ? 0 : 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: MobileJpki.Fuzz <target> | replay <target> <path>... | prepare <target> | seeds <folder> | list");
    Console.Error.WriteLine("targets: " + string.Join(", ", Harnesses.All.Keys));
    return 2;
}
