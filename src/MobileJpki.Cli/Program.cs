using System.CommandLine;
using MobileJpki.Cli;

var root = new RootCommand("mjpki — MobileJpki command line: municipal office, virtual phones, the portal app, the sandbox.");
CardCommands.Add(root);
PhoneCommands.Add(root);
AppCommands.Add(root);
SandboxCommands.Add(root);
DemoCommand.Add(root);
return await root.Parse(args).InvokeAsync();
