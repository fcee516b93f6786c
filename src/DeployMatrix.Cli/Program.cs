using DeployMatrix.Cli;

return CliApp.Run(args, new CliContext(Console.Out, Console.Error, Environment.CurrentDirectory, TimeProvider.System));
