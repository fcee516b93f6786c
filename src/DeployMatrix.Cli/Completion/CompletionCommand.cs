using System.CommandLine;
using DeployMatrix.Cli.Common;

namespace DeployMatrix.Cli.Completion;

/// <summary><c>deploymatrix completion bash|zsh|fish</c>: prints the shell's completion script.</summary>
internal static class CompletionCommand
{
    public static Command Create(CliContext context)
    {
        var shell = new Argument<string>("SHELL") { Description = "The shell: bash, zsh or fish." };
        shell.AcceptOnlyFromAmong([.. CompletionScripts.Shells]);
        var command = new Command("completion", "Print the shell completion script: commands, subcommands and options, the matrix's lane and environment names, and the revisions the platform reports for the lane and environment on the line (asked with a 2-second limit; nothing when the platform does not answer). bash: source <(deploymatrix completion bash), e.g. in ~/.bashrc; zsh: source <(deploymatrix completion zsh) after compinit; fish: deploymatrix completion fish | source.");
        command.Arguments.Add(shell);
        command.SetAction(result =>
        {
            Json.Refuse(result, context, "completion prints a shell script");
            context.Out.Write(CompletionScripts.For(result.GetValue(shell)!));
            return 0;
        });
        return command;
    }
}
