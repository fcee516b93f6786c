using DeployMatrix.Cli;

// A live display only for a person at a terminal: never in CI, in a pipe or on a dumb terminal.
var live = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null
    && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");
return await CliApp.RunAsync(args, new CliContext(Console.Out, Console.Error, Environment.CurrentDirectory, TimeProvider.System) { Live = live });
