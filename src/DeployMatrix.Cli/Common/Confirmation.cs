using System.CommandLine;
using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine;

namespace DeployMatrix.Cli.Common;

/// <summary>
/// The question a change to production asks a person at a terminal before anything happens (kubectl, gcloud and Kamal
/// ask the same way). Never asked with <c>--yes</c>, when stdin is not a terminal, or when <c>CI</c> is set: those runs
/// proceed as they always have. Production is <see cref="Production.Is"/>.
/// </summary>
internal static class Confirmation
{
    /// <param name="what">The change, as the question names it: "deploy runtime".</param>
    /// <exception cref="OperationException">The person did not answer yes (exit 1); nothing was done.</exception>
    public static void Ask(ParseResult result, CliContext context, Matrix matrix, string environment, string what)
    {
        if (result.GetValue(context.Options.Yes) || !context.Interactive || !string.IsNullOrEmpty(context.Env("CI")) || !Production.Is(matrix, environment))
        {
            return;
        }

        context.Err.Write($"{what} in {environment} (production)? [y/N] ");
        context.Err.Flush();
        if (context.In.ReadLine()?.Trim().ToLowerInvariant() is "y" or "yes")
        {
            return;
        }

        throw new OperationException($"{what} in {environment} not confirmed; nothing was done (--yes confirms without asking)", ExitCodes.Failed);
    }
}
