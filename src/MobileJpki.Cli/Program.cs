using System.CommandLine;
using System.CommandLine.Invocation;
using MobileJpki.Cli;

var root = new RootCommand("mjpki — MobileJpki command line: municipal office, virtual phones, the portal app, the sandbox.");
CardCommands.Add(root);
PhoneCommands.Add(root);
AppCommands.Add(root);
SandboxCommands.Add(root);
DemoCommand.Add(root);
CaCommands.Add(root);
OfficeCommands.Add(root);
OperatorCommands.Add(root);
AuditCommands.Add(root);
RpCommands.Add(root);
AppApproveCommands.Add(root);
PortalCommands.Add(root);
EApplicationCommands.Add(root);
var parse = root.Parse(args);
if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
{
    // Usage errors fail like every other failure, one line on stderr, with their own exit code (`--help` lists the options).
    await Console.Error.WriteLineAsync("mjpki: " + string.Join(" ", parse.Errors.Select(e => e.Message)).ReplaceLineEndings(" ") + " (see --help)");
    return ExitCodes.Usage;
}

return await parse.InvokeAsync();
