using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Core;
using DeployMatrix.Core.Guard;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix guard [DIR]</c>: find forbidden legacy commands and stray legacy assets in a repository.</summary>
internal static class GuardCommand
{
    public static Command Create(CliContext context)
    {
        var dir = new Argument<string?>("DIR") { Description = "The repository folder to scan (default: the matrix's folder).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("guard", "Scan scripts, CI workflows, Makefiles, package.json scripts and Dockerfiles for forbidden legacy commands, and the tree for legacy assets outside the archived paths. Exit 1 on findings.");
        command.Arguments.Add(dir);
        command.SetAction(result => Run(result, context, result.GetValue(dir)));
        return command;
    }

    private static int Run(ParseResult result, CliContext context, string? dir)
    {
        string? root = null;
        if (dir is not null)
        {
            root = Path.GetFullPath(dir, context.WorkingDirectory);
            if (!Directory.Exists(root))
            {
                throw new UsageException($"'{dir}' is not a folder; give the repository folder to scan");
            }
        }

        var matrix = MatrixSource.Load(result, context, searchFrom: root);

        root ??= matrix.BaseDirectory;
        var findings = RepositoryGuard.Scan(matrix, root);
        if (context.Options.Json(result))
        {
            Json.Write(context.Out, "guard", new { Root = MatrixSource.Display(root, context), Clean = findings.Count == 0, Findings = findings });
        }
        else
        {
            foreach (var finding in findings)
            {
                context.Out.WriteLine(finding);
            }

            context.Err.WriteLine(findings.Count == 0
                ? $"guard: no forbidden legacy commands or stray legacy assets in {MatrixSource.Display(root, context)}"
                : $"guard: {findings.Count} finding{(findings.Count == 1 ? "" : "s")} in {MatrixSource.Display(root, context)}");
        }

        return findings.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
