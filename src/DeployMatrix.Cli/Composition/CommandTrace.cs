using System.CommandLine;
using System.Diagnostics;
using DeployMatrix.Core;
using DeployMatrix.Engine.Telemetry;

namespace DeployMatrix.Cli.Composition;

/// <summary>
/// One trace per command: the root span <c>deploymatrix COMMAND</c> (e.g. <c>deploymatrix rollout</c>), under which the
/// engine's step, rollout and stage spans hang. It carries the lane and environment the command was given (never another
/// argument: a <c>run</c>'s arguments may hold secrets) and the exit code; any exit but 0 is status Error.
/// </summary>
internal static class CommandTrace
{
    /// <summary>Servers that live until stopped: a span as long as their life says nothing, so they get none.</summary>
    private static readonly HashSet<string> LongLived = new(StringComparer.Ordinal) { "deploymatrix agent run", "deploymatrix dashboard" };

    /// <returns>The command's span, or null when nothing listens (no exporter configured) or the command is a server.</returns>
    public static Activity? Start(ParseResult result)
    {
        if (!Tracing.Source.HasListeners())
        {
            return null;
        }

        var name = CliApp.CommandPath(result.CommandResult);
        if (LongLived.Contains(name))
        {
            return null;
        }

        var activity = Tracing.Source.StartActivity(name);
        if (activity is null)
        {
            return null;
        }

        var command = result.CommandResult.Command;
        if (command.Arguments.FirstOrDefault(a => a.Name == "LANE") is { } lane && result.GetResult(lane) is { Tokens: [var given, ..] })
        {
            activity.SetTag(Tracing.Attributes.Lane, given.Value);
        }

        if (command.Options.FirstOrDefault(o => o.Name == "--env") is { } env && result.GetResult(env) is { Tokens: [var environment, ..] })
        {
            activity.SetTag(Tracing.Attributes.Environment, environment.Value);
        }

        return activity;
    }

    /// <summary>Records the command's exit code on its span (disposing the span ends it).</summary>
    public static int End(Activity? activity, int exitCode)
    {
        if (activity is not null)
        {
            activity.SetTag(Tracing.Attributes.ExitCode, exitCode);
            if (exitCode != ExitCodes.Ok)
            {
                activity.SetStatus(ActivityStatusCode.Error, $"exit {exitCode}");
            }
        }

        return exitCode;
    }
}
