using System.CommandLine;
using MobileJpki.App;
using MobileJpki.Core;
using MobileJpki.Core.Protocol;

namespace MobileJpki.Cli;

/// <summary><c>mjpki operator login|add|find|suspend</c>: the hotline console (マイナンバー総合フリーダイヤル).</summary>
internal static class OperatorCommands
{
    public static void Add(RootCommand root)
    {
        var op = new Command("operator", "Hotline operator console: sign in, find a caller, suspend (一時利用停止), add and unlock accounts");
        root.Subcommands.Add(op);

        {
            var server = Common.Server();
            var name = Common.Required("--name", "Operator name");
            var password = Secrets.Option("--password", "Operator password (asked if omitted)");
            var tokenFile = Common.Optional("--token-file", "Write the token to this file (mode 0600) instead of printing it");
            var login = new Command("login", "Sign in; prints the bearer token (valid for one shift)") { server, name, password, tokenFile };
            login.Handle(async (p, ct) =>
            {
                using var client = HotlineClient.Create(p.GetValue(server)!, null);
                var session = await client.SignInAsync(p.GetValue(name)!, Secrets.Require(p, password, "オペレーターのパスワード", "Operator password"), ct);
                if (p.GetValue(tokenFile) is { } file)
                {
                    WritePrivate(file, session.Token);
                    Console.WriteLine($"signed in as {session.Name} ({session.Role}) until {session.ExpiresAt:O}; token in {file}");
                }
                else
                {
                    Console.WriteLine(session.Token);
                }
            });
            op.Subcommands.Add(login);
        }

        {
            var server = Common.Server();
            var token = Token();
            var name = Common.Required("--name", "New operator's name (lowercase letters, digits, . _ -)");
            var role = Common.Required("--role", "operator or supervisor");
            var password = Secrets.Option("--password", "Initial password (default: generated and printed once)");
            var add = new Command("add", "Supervisor: add an account; prints its initial password when generated") { server, token, name, role, password };
            add.Handle(async (p, ct) =>
            {
                using var client = HotlineClient.Create(p.GetValue(server)!, p.GetValue(token));
                var added = await client.AddOperatorAsync(new OperatorAddRequest(p.GetValue(name), p.GetValue(role), Secrets.Get(p, password)), ct);
                Console.WriteLine(added.Password is null ? $"added {added.Name} ({added.Role})" : $"added {added.Name} ({added.Role}); initial password: {added.Password}");
            });
            op.Subcommands.Add(add);
        }

        {
            var server = Common.Server();
            var token = Token();
            var name = Common.Required("--name", "The locked operator's name");
            var unlock = new Command("unlock", "Supervisor: unlock an account locked by repeated wrong passwords") { server, token, name };
            unlock.Handle(async (p, ct) =>
            {
                using var client = HotlineClient.Create(p.GetValue(server)!, p.GetValue(token));
                await client.UnlockOperatorAsync(p.GetValue(name)!, ct);
                Console.WriteLine($"unlocked {p.GetValue(name)}");
            });
            op.Subcommands.Add(unlock);
        }

        {
            var server = Common.Server();
            var token = Token();
            var name = Common.Required("--name", "The caller's name as they say it (氏名)");
            var birth = Common.Required("--birth-date", "The caller's birth date, YYYY-MM-DD");
            var address = Common.Optional("--address", "The caller's address (住所), to narrow further");
            var find = new Command("find", "Find a person by the facts a caller gives; prints person id, masked name and prefecture, phone certificates") { server, token, name, birth, address };
            find.Handle(async (p, ct) =>
            {
                using var client = HotlineClient.Create(p.GetValue(server)!, p.GetValue(token));
                var matches = await client.FindAsync(new PersonSearch(p.GetValue(name), p.GetValue(birth), p.GetValue(address)), ct);
                if (matches.Length == 0)
                {
                    throw new AppException("no-match", "該当する方が見つかりません / No person matches these facts.");
                }

                foreach (var m in matches)
                {
                    var certs = m.PhoneCertificates.Count == 0
                        ? "no phone certificates"
                        : string.Join(", ", m.PhoneCertificates.Select(c => $"{c.Kind} {c.Serial} {c.Status}" + (c.PhoneId is null ? string.Empty : $" on {c.PhoneId}")));
                    Console.WriteLine($"{m.PersonId}  {m.NameInitial}  {m.Prefecture}  {certs}");
                }
            });
            op.Subcommands.Add(find);
        }

        {
            var server = Common.Server();
            var token = Token();
            var person = Common.Required("--person", "Person id (from operator find)");
            var reason = Common.Required("--reason", "Why (e.g. the caller lost the phone); at most 200 characters");
            var suspend = new Command("suspend", "一時利用停止: put the person's phone certificates on hold") { server, token, person, reason };
            suspend.Handle(async (p, ct) =>
            {
                using var client = HotlineClient.Create(p.GetValue(server)!, p.GetValue(token));
                var result = await client.SuspendAsync(p.GetValue(person)!, p.GetValue(reason)!, ct);
                Console.WriteLine($"一時利用停止しました / suspended {result.Serials.Count} certificate(s): {string.Join(", ", result.Serials)}");
            });
            op.Subcommands.Add(suspend);
        }
    }

    /// <summary>The bearer token from <c>mjpki operator login</c>.</summary>
    public static Option<string> Token() => Common.Required("--token", "Bearer token from 'mjpki operator login'");

    private static void WritePrivate(string path, string content)
    {
        var options = PrivateFiles.Options(FileMode.Create);

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }
}
