using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using DeployMatrix.Cli.Commands;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Cli.Completion;
using DeployMatrix.Cli.Help;
using DeployMatrix.Core;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Engine;
using DeployMatrix.Core.Text;

namespace DeployMatrix.Cli;

/// <summary>Builds the command tree and turns parse errors into one line with the fix and exit code 2.</summary>
internal static partial class CliApp
{
    public static int Run(string[] args, CliContext context) => RunAsync(args, context).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(string[] args, CliContext context)
    {
        var root = Build(context);
        var result = root.Parse(Conventions(args));

        // A shell asking for candidates ([suggest:N] "LINE") parses the line itself; the outer parse's errors are not the user's.
        if (root.Directives.OfType<SuggestDirective>().Any(d => result.GetResult(d) is not null))
        {
            return await result.InvokeAsync(new InvocationConfiguration { Output = context.Out, Error = TextWriter.Null }, context.Interruption.Token);
        }

        // Checked before the parser's errors: a mistyped option taken as LANE (or FILE, CHANNEL) is the cause of them.
        if (OptionTakenAsArgument(result, args) is { } mistyped)
        {
            return ReportUnknownOption(mistyped, result, context);
        }

        if (result.Errors.Count > 0)
        {
            return ReportParseError(result, context);
        }

        // With --help the parser drops its errors: a mistyped command would print the root's help and exit 0,
        // so a typo in a script looks like success.
        if (result.CommandResult.Command == root && result.UnmatchedTokens.Count > 0)
        {
            return ReportUnknown(result.UnmatchedTokens[0], root, context);
        }

        using var span = CommandTrace.Start(result);
        return CommandTrace.End(span, await InvokeAsync(result, context));
    }

    private static async Task<int> InvokeAsync(ParseResult result, CliContext context)
    {
        if (result.Action is HelpAction)
        {
            // The examples go after the usage, inside the parser's own help text.
            using var help = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
            var code = await result.InvokeAsync(new InvocationConfiguration { Output = help, Error = context.Err }, context.Interruption.Token);
            context.Out.Write(HelpExamples.Insert(help.ToString(), result.CommandResult.Command));
            return code;
        }

        if (context.Live && !Palette.Enabled(result, context))
        {
            // The rollout's live view draws with Spectre.Console, which honours NO_COLOR but not --no-color.
            Spectre.Console.AnsiConsole.Profile.Capabilities.ColorSystem = Spectre.Console.ColorSystem.NoColors;
        }

        try
        {
            // Signals are the command's to handle (Interruption), so it can stop at a step boundary and write its record.
            return await result.InvokeAsync(
                new InvocationConfiguration { Output = context.Out, Error = context.Err, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null },
                context.Interruption.Token);
        }
        catch (UsageException e)
        {
            context.Err.WriteLine($"deploymatrix: {UntrustedText.OneLine(e.Message)}");
            return ExitCodes.BadInput;
        }
        catch (InvalidMatrix)
        {
            // Its diagnostics are printed already, one per line.
            return ExitCodes.BadInput;
        }
        catch (OperationException e)
        {
            // An operation refused or failed (platform failures included): one line the user can act on,
            // and the exit code that goes with it.
            context.Err.WriteLine($"deploymatrix: {UntrustedText.OneLine(e.Message)}");
            return e.ExitCode;
        }
        catch (System.Data.Common.DbException e)
        {
            // The state database failed mid-command (a dropped connection, a failover): one line, no secret.
            context.Err.WriteLine($"deploymatrix: the state database failed: {UntrustedText.OneLine(e.Message)}; the operation's journal says how far it got (deploymatrix history)");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException e)
        {
            context.Err.WriteLine($"deploymatrix: {(e.Message.StartsWith("cancelled", StringComparison.Ordinal) ? e.Message : "cancelled")}");
            return context.Interruption.ExitCode ?? 130;
        }
    }

    public static RootCommand Build(CliContext context)
    {
        var root = new RootCommand("DeployMatrix: the deploy matrix as code. Validate, render and plan every lane's build, deploy, migration, traffic and rollback from one YAML file.");
        context.Options.AddTo(root);
        root.Subcommands.Add(ValidateCommand.Create(context));
        root.Subcommands.Add(RenderCommand.Create(context));
        root.Subcommands.Add(PlanCommand.Create(context));
        root.Subcommands.Add(GuardCommand.Create(context));
        root.Subcommands.Add(AgentCommand.Create(context));
        root.Subcommands.Add(BuildCommand.Create(context));
        root.Subcommands.Add(DeployCommand.Create(context));
        root.Subcommands.Add(TrafficCommand.Create(context));
        root.Subcommands.Add(TrafficCommand.CreateRollback(context));
        root.Subcommands.Add(MigrateCommand.Create(context));
        root.Subcommands.Add(StatusCommand.Create(context));
        root.Subcommands.Add(DashboardCommand.Create(context));
        root.Subcommands.Add(RunCommand.Create(context));
        root.Subcommands.Add(GateCommand.Create(context));
        root.Subcommands.Add(RolloutCommand.Create(context));
        root.Subcommands.Add(DrillCommand.Create(context));
        root.Subcommands.Add(RehearseCommand.Create(context));
        root.Subcommands.Add(MaintenanceCommand.Create(context));
        root.Subcommands.Add(AuditCommand.CreateHistory(context));
        root.Subcommands.Add(AuditCommand.CreateAudit(context));
        root.Subcommands.Add(StateCommand.Create(context));
        root.Subcommands.Add(NotifyCommand.Create(context));
        root.Subcommands.Add(CompletionCommand.Create(context));
        MatrixCompletions.AttachTo(root, context);
        return root;
    }

    /// <summary>
    /// The usual CLI conventions (git, kubectl, gcloud): bare <c>deploymatrix</c> prints the help and exits 0, and
    /// <c>help COMMAND…</c> is <c>COMMAND… --help</c>.
    /// </summary>
    internal static string[] Conventions(string[] args) => args switch
    {
        [] => ["--help"],
        ["help", .. var rest] => [.. rest, "--help"],
        _ => args,
    };

    private static int ReportUnknown(string token, RootCommand root, CliContext context)
    {
        var closest = DidYouMean.Closest(token, root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList());
        context.Err.WriteLine($"deploymatrix: unknown command '{UntrustedText.OneLine(token)}'{(closest is null ? "" : $"; did you mean '{closest}'?")} (see 'deploymatrix --help')");
        return ExitCodes.BadInput;
    }

    /// <summary>
    /// A token like an option (<c>--stesp</c>) that the parser took as a one-value argument because no option has that
    /// name: without this, <c>history --stesp</c> reads as "unknown lane '--stesp'". Tokens after <c>--</c> are
    /// arguments whatever they look like (<c>run LANE -- --flag</c>).
    /// </summary>
    private static string? OptionTakenAsArgument(ParseResult result, string[] args)
    {
        var end = Array.IndexOf(args, "--");
        var beforeEnd = end < 0 ? args : args[..end];
        return result.CommandResult.Children.OfType<ArgumentResult>()
            .Where(a => a.Argument.Arity.MaximumNumberOfValues == 1)
            .SelectMany(a => a.Tokens)
            .Select(t => t.Value)
            .FirstOrDefault(v => v.Length > 1 && v[0] == '-' && !char.IsDigit(v[1]) && beforeEnd.Contains(v, StringComparer.Ordinal));
    }

    private static int ReportUnknownOption(string token, ParseResult result, CliContext context)
    {
        var closest = DidYouMean.Closest(token.Split('=')[0], OptionNames(result));
        context.Err.WriteLine($"deploymatrix: unknown option '{UntrustedText.OneLine(token)}'{(closest is null ? "" : $"; did you mean '{closest}'?")} (see '{CommandPath(result.CommandResult)} --help')");
        return ExitCodes.BadInput;
    }

    /// <summary>Every name and alias of the options the parsed command takes, its own and the global ones.</summary>
    private static List<string> OptionNames(ParseResult result) =>
        [.. result.CommandResult.Command.Options.Concat(result.RootCommandResult.Command.Options).SelectMany(o => o.Aliases.Prepend(o.Name)).Distinct()];

    private static int ReportParseError(ParseResult result, CliContext context)
    {
        // "Unrecognized …" names the token the user mistyped; it beats the generic "command not provided".
        var error = result.Errors.FirstOrDefault(e => e.Message.Contains("Unrecognized", StringComparison.Ordinal)) ?? result.Errors[0];
        var command = result.CommandResult.Command;
        var path = CommandPath(result.CommandResult);
        var hint = "";
        if (result.UnmatchedTokens.Count > 0 || error.Message.Contains("Unrecognized", StringComparison.Ordinal))
        {
            var token = result.UnmatchedTokens.Count > 0 ? result.UnmatchedTokens[0] : "";
            var names = token.StartsWith('-') ? OptionNames(result) : [.. command.Subcommands.Select(c => c.Name).Distinct()];
            var closest = DidYouMean.Closest(token, names);
            hint = closest is null ? "" : $"; did you mean '{closest}'?";
        }

        context.Err.WriteLine($"deploymatrix: {Plain(OneLine(error.Message))}{hint} (see '{path} --help')");
        return ExitCodes.BadInput;
    }

    /// <summary>The parser names .NET types ("expected type 'System.Int32'"); a person is told what to type.</summary>
    private static string Plain(string message)
    {
        var match = NotParsed().Match(message);
        if (!match.Success)
        {
            return message;
        }

        var type = match.Groups["type"].Value;
        var value = match.Groups["value"].Value;
        // Nullable`1[System.Int32] is an optional whole number; a whole number too large for an Int32 is out of range.
        var kind = type.Contains("System.Int32", StringComparison.Ordinal) ? (value.All(char.IsAsciiDigit) ? $"a whole number up to {int.MaxValue}" : "a whole number")
            : type.Contains("System.Int64", StringComparison.Ordinal) ? "a whole number"
            : type.Contains("System.Double", StringComparison.Ordinal) || type.Contains("System.Decimal", StringComparison.Ordinal) ? "a number"
            : type;
        return $"{match.Groups["symbol"].Value} '{match.Groups["name"].Value}' takes {kind}, not '{value}'";
    }

    /// <summary>Some parser messages list allowed values on lines of their own; errors here are one line.</summary>
    private static string OneLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 1 ? lines[0].TrimEnd('.') : $"{lines[0]} {string.Join(", ", lines[1..])}";
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (?<symbol>option|command|argument) '(?<name>[^']*)' as expected type '(?<type>[^']+)'")]
    private static partial Regex NotParsed();

    internal static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c; r = c.Parent)
        {
            names.Insert(0, c.Parent is null ? "deploymatrix" : c.Command.Name);
        }

        return string.Join(' ', names);
    }
}
