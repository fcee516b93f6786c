using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Parsing;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Files;
using DeployMatrix.Engine.Operations;

namespace DeployMatrix.Cli.Completion;

/// <summary>
/// Completes the matrix's own names wherever a command takes one: every <c>LANE</c> argument gets the lane names,
/// every option whose value is an environment (<c>ENV</c>) the environment names, every option whose value is a
/// revision (<c>REV</c>, <c>REV=PCT,…</c>) the revisions the platform reports for the lane and environment on the
/// line, and every <c>CHANNEL</c> the <c>notify:</c> channels' names. Attached once over the whole tree, by the names the help shows, so a new command completes the same way.
/// Completion fails silently: an invalid or missing matrix, or a platform that does not answer within
/// <see cref="RevisionTimeout"/>, completes nothing.
/// </summary>
internal static class MatrixCompletions
{
    /// <summary>How long a completion waits for the platform's revisions.</summary>
    /// <value>2 seconds: a shell's tab must not hang.</value>
    public static readonly TimeSpan RevisionTimeout = TimeSpan.FromSeconds(2);

    public static void AttachTo(Command root, CliContext context)
    {
        foreach (var command in Walk(root))
        {
            foreach (var argument in command.Arguments.Where(a => a.Name == "LANE"))
            {
                // Without a help name the help would list the completions, reading the matrix to print help.
                argument.HelpName ??= "LANE";
                argument.CompletionSources.Add(c => Names(c, context, m => m.Lanes.Select(l => l.Name)));
            }

            foreach (var argument in command.Arguments.Where(a => a.Name == "CHANNEL"))
            {
                argument.HelpName ??= "CHANNEL";
                argument.CompletionSources.Add(c => Names(c, context, m => m.Notify.Select(n => n.Name)));
            }

            foreach (var option in command.Options)
            {
                Func<CompletionContext, IEnumerable<CompletionItem>>? source = option.HelpName switch
                {
                    "ENV" => c => Names(c, context, m => m.Environments.Select(e => e.Name)),
                    "CHANNEL" => c => Names(c, context, m => m.Notify.Select(n => n.Name)),
                    "REV" => c => Revisions(c, context).Select(r => new CompletionItem(r)),
                    "REV=PCT,…" => c => Revisions(c, context).Select(r => new CompletionItem(r + "=")),
                    _ => null,
                };
                if (source is not null)
                {
                    option.CompletionSources.Add(source);
                }
            }
        }
    }

    private static IEnumerable<Command> Walk(Command command) => command.Subcommands.SelectMany(Walk).Prepend(command);

    private static IEnumerable<CompletionItem> Names(CompletionContext completion, CliContext context, Func<Matrix, IEnumerable<string>> names) =>
        Load(completion.ParseResult, context) is { } matrix ? names(matrix).Select(n => new CompletionItem(n)) : [];

    /// <summary>The matrix the command line means, or null when there is none or it is not valid (nothing printed).</summary>
    private static Matrix? Load(ParseResult result, CliContext context)
    {
        try
        {
            var (path, _) = MatrixLocator.Locate(result.GetValue(context.Options.File), context.WorkingDirectory, context.Env("HOME"), FileOwner.IsCurrentUsers);
            return path is null ? null : MatrixLoader.Load(path).Matrix;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The revisions of the service of LANE in --env, as the platform's status reports them, newest first.</summary>
    private static List<string> Revisions(CompletionContext completion, CliContext context)
    {
        var result = completion.ParseResult;
        var command = result.CommandResult.Command;
        var lane = Value(result, command.Arguments.FirstOrDefault(a => a.Name == "LANE"));
        var env = Value(result, command.Options.FirstOrDefault(o => o.Name == "--env"));
        if (lane is null || env is null || Load(result, context) is not { } matrix)
        {
            return [];
        }

        // Nothing the completion does may reach the terminal: the shell reads stdout as candidates.
        var quiet = context with { Out = TextWriter.Null, Err = TextWriter.Null };
        try
        {
            return Task.Run(async () =>
            {
                using var timeout = new CancellationTokenSource(RevisionTimeout, context.Time);
                using var ws = WorkspaceFactory.OpenExisting(matrix, result, quiet);
                if (ws is null)
                {
                    return [];
                }

                var services = await new StatusOperation(ws).RunAsync(lane, env, timeout.Token);
                return services.SelectMany(s => s.Revisions).Select(r => r.Name).Distinct().ToList();
            }).WaitAsync(RevisionTimeout, context.Time).GetAwaiter().GetResult();
        }
        catch (Exception)
        {
            // A platform that is down, slow or refuses completes nothing; the user still has the command's own errors.
            return [];
        }
    }

    private static string? Value(ParseResult result, Symbol? symbol) => symbol switch
    {
        Argument a when result.GetResult(a) is ArgumentResult { Tokens: [var token, ..] } => token.Value,
        Option o when result.GetResult(o) is OptionResult { Tokens: [var token, ..] } => token.Value,
        _ => null,
    };
}
