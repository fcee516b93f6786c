using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Core;
using DeployMatrix.Core.Rendering;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix render [FILE] [--out DOC] [--check DOC]</c>: the Markdown deploy map, generated.</summary>
internal static class RenderCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<string?>("FILE") { Description = "The matrix to render (default: --file, else the nearest deploymatrix.yaml).", Arity = ArgumentArity.ZeroOrOne };
        var check = new Option<string?>("--check") { Description = "Compare DOC with the rendered map: exit 0 when identical, 1 with a unified diff when stale.", HelpName = "DOC" };
        var output = new Option<string?>("--out") { Description = "Write the map to DOC instead of standard output.", HelpName = "DOC" };
        var command = new Command("render", "Render the Markdown deploy map from the matrix, byte for byte the same for the same matrix.");
        command.Arguments.Add(file);
        command.Options.Add(check);
        command.Options.Add(output);
        command.SetAction(result => Run(result, context, result.GetValue(file), result.GetValue(check), result.GetValue(output)));
        return command;
    }

    private static int Run(ParseResult result, CliContext context, string? file, string? check, string? output)
    {
        Json.Refuse(result, context, "render writes the Markdown deploy map, not JSON (validate --output json summarises the matrix, plan --output json gives its steps)");
        if (check is not null && output is not null)
        {
            throw new UsageException("--check and --out exclude each other: check a committed map, or write a new one");
        }

        var matrix = MatrixSource.Load(result, context, file);

        var map = DeployMapRenderer.Render(matrix);
        if (output is not null)
        {
            // A document meant to be committed: readable by all (0644), but still never written through a link.
            Engine.Files.SafeFile.Write(Path.GetFullPath(output, context.WorkingDirectory), map,
                Engine.Files.SafeFile.OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            context.Err.WriteLine($"wrote {output}");
            return ExitCodes.Ok;
        }

        if (check is null)
        {
            context.Out.Write(map);
            return ExitCodes.Ok;
        }

        var docPath = Path.GetFullPath(check, context.WorkingDirectory);
        if (!File.Exists(docPath))
        {
            throw new UsageException($"'{check}' does not exist; create it with: deploymatrix render --file {MatrixSource.Display(matrix.SourcePath, context)} --out {check}");
        }

        var diff = LineDiff.Unified(File.ReadAllText(docPath).ReplaceLineEndings("\n"), map, check, "rendered from " + MatrixSource.Display(matrix.SourcePath, context));
        if (diff.Length == 0)
        {
            context.Out.WriteLine($"{check} is up to date");
            return ExitCodes.Ok;
        }

        context.Out.Write(diff);
        context.Err.WriteLine($"{check} is stale; regenerate it with: deploymatrix render --file {MatrixSource.Display(matrix.SourcePath, context)} --out {check}");
        return ExitCodes.Failed;
    }
}
