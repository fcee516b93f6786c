using DeployMatrix.Cli;
using DeployMatrix.Cli.Common;

// A live display only for a person at a terminal: never in CI, in a pipe or on a dumb terminal.
var live = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null
    && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");
var terminal = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");
using var interruption = Interruption.ForThisProcess(Console.Error);
// Traces go out only when an OTLP endpoint is configured; sent (bounded) when the command ends.
using var traces = DeployMatrix.Cli.Composition.TraceExport.Start(Environment.GetEnvironmentVariable);
return await CliApp.RunAsync(args, new CliContext(Console.Out, Console.Error, Environment.CurrentDirectory, TimeProvider.System) { Live = live, Color = terminal, In = Console.In, Interactive = !Console.IsInputRedirected, Interruption = interruption });
