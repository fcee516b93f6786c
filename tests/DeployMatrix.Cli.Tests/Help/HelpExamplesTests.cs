using System.CommandLine;
using System.CommandLine.Parsing;
using DeployMatrix.Cli.Help;
using DeployMatrix.Core.Loading;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.Cli.Tests.Help;

/// <summary>Every command's help shows examples, and every example is a command line that parses, against the example matrix's names.</summary>
public sealed class HelpExamplesTests
{
    public static TheoryData<string> Commands()
    {
        var data = new TheoryData<string>();
        foreach (var command in Walk(CliApp.Build(Context())).Where(c => !c.Hidden))
        {
            data.Add(HelpExamples.PathOf(command));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryCommandsHelp_HasExamples_RightAfterItsUsage(string path)
    {
        var run = CliRun.InRepo([.. path.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);

        Assert.Equal(0, run.ExitCode);
        var usage = run.Out.IndexOf("Usage:", StringComparison.Ordinal);
        var examples = run.Out.IndexOf("Examples:\n  ", StringComparison.Ordinal);
        Assert.True(usage >= 0 && examples > usage, run.Out);
        Assert.DoesNotContain("Options:", run.Out[usage..examples], StringComparison.Ordinal);
        foreach (var example in HelpExamples.ByCommand[path])
        {
            Assert.Contains($"  {example.Line}\n", run.Out, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void EveryExample_ParsesWithoutErrors_AsItsCommand_WithTheExampleMatrixsNames(string path)
    {
        var matrix = MatrixLoader.Load(RepoPaths.Example).Matrix!;
        var lanes = matrix.Lanes.Select(l => l.Name).ToHashSet();
        var environments = matrix.Environments.Select(e => e.Name).ToHashSet();

        foreach (var example in HelpExamples.ByCommand[path])
        {
            var root = CliApp.Build(Context());
            var result = root.Parse(Arguments(example.Line));

            Assert.True(result.Errors.Count == 0, $"{example.Line}: {string.Join("; ", result.Errors.Select(e => e.Message))}");
            var command = result.CommandResult.Command;
            // A group's examples run its subcommands: each example must run the command or one under it.
            var runs = HelpExamples.PathOf(command);
            Assert.True(path == "" || runs == path || runs.StartsWith(path + " ", StringComparison.Ordinal), $"{example.Line} runs '{runs}', not '{path}'");
            foreach (var lane in Values(result, command.Arguments.Where(a => a.Name == "LANE")))
            {
                Assert.Contains(lane, lanes);
            }

            foreach (var env in Values(result, command.Options.Where(o => o.HelpName == "ENV")))
            {
                Assert.Contains(env, environments);
            }
        }
    }

    /// <summary>The words after 'deploymatrix', up to the end of the command (a shell's ')' or '|').</summary>
    private static string[] Arguments(string line)
    {
        var start = line.IndexOf("deploymatrix ", StringComparison.Ordinal);
        Assert.True(start >= 0, line);
        var command = line[(start + "deploymatrix ".Length)..].Split([')', '|'])[0];
        return [.. CommandLineParser.SplitCommandLine(command)];
    }

    private static IEnumerable<string> Values(ParseResult result, IEnumerable<Symbol> symbols) => symbols.SelectMany(s => s switch
    {
        Argument a => result.GetResult(a)?.Tokens.Select(t => t.Value) ?? [],
        Option o => result.GetResult(o)?.Tokens.Select(t => t.Value) ?? [],
        _ => [],
    });

    private static IEnumerable<Command> Walk(Command command) => command.Subcommands.SelectMany(Walk).Prepend(command);

    private static CliContext Context() => new(TextWriter.Null, TextWriter.Null, RepoPaths.Root, TimeProvider.System);
}
