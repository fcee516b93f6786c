using DeployMatrix.Cli;

return await CliApp.RunAsync(args, new CliContext(Console.Out, Console.Error, Environment.CurrentDirectory, TimeProvider.System));
