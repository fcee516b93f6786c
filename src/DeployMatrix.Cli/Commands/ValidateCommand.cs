using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Core;
using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix validate [FILE]</c>: schema and semantic checks; every problem as path:line:col.</summary>
internal static class ValidateCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<string?>("FILE") { Description = "The matrix to check (default: --file, else the nearest deploymatrix.yaml).", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("validate", "Check a matrix for mistakes before anything runs. Exit 0 when valid, 2 with every error as path:line:col: message.");
        command.Arguments.Add(file);
        command.SetAction(result => Run(result, context, result.GetValue(file)));
        return command;
    }

    private static int Run(ParseResult result, CliContext context, string? file)
    {
        var path = MatrixSource.Locate(result, context, file);
        var loaded = MatrixLoader.Load(path, MatrixSource.Display(path, context));
        if (context.Options.Json(result))
        {
            Json.Write(context.Out, "validate", new
            {
                File = loaded.Path,
                Valid = loaded.Ok,
                Summary = loaded.Matrix is { } m ? Summarize(m) : null,
                Errors = loaded.Diagnostics.Select(d => new { d.File, d.Pos.Line, d.Pos.Column, d.Code, d.Message }),
            });
            return loaded.Ok ? ExitCodes.Ok : ExitCodes.BadInput;
        }

        if (!loaded.Ok)
        {
            MatrixSource.PrintDiagnostics(loaded, context.Err);
            return ExitCodes.BadInput;
        }

        var s = Summarize(loaded.Matrix!);
        context.Out.WriteLine($"{loaded.Path}: valid — {s.Lanes} lane{(s.Lanes == 1 ? "" : "s")} ({s.Canonical} canonical, {s.Legacy} legacy), environments {string.Join(" → ", s.Environments)}, {s.GateChecks} gate checks");
        return ExitCodes.Ok;
    }

    private static MatrixSummary Summarize(Matrix matrix) => new(
        matrix.Lanes.Count,
        matrix.Lanes.Count(l => l.Status == LaneStatus.Canonical),
        matrix.Lanes.Count(l => l.Status == LaneStatus.Legacy),
        [.. matrix.Environments.Select(e => e.Name)],
        matrix.Gate?.Checks.Count ?? 0);

    private sealed record MatrixSummary(int Lanes, int Canonical, int Legacy, IReadOnlyList<string> Environments, int GateChecks);
}
