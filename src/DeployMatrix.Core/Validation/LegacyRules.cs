using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Core.Validation;

/// <summary>No canonical lane or gate command may use a command the legacy section forbids.</summary>
internal static class LegacyRules
{
    public static void CheckCommands(Matrix matrix, Lane lane, DiagnosticBag d)
    {
        foreach (var (what, command) in CommandsOf(lane))
        {
            if (LegacyMatcher.FindForbidden(matrix.Legacy, command.Words) is { } forbidden)
            {
                d.Add(command.Pos, "legacy-command", $"{what} of canonical lane '{lane.Name}' uses forbidden legacy command '{forbidden.Command}' ({forbidden.Why})");
            }
        }
    }

    public static void CheckGateCommands(Matrix matrix, DiagnosticBag d)
    {
        foreach (var check in matrix.Gate?.Checks ?? [])
        {
            if (check.Spec is CommandCheckSpec spec && LegacyMatcher.FindForbidden(matrix.Legacy, spec.Run.Words) is { } forbidden)
            {
                d.Add(spec.Run.Pos, "legacy-command", $"gate check '{check.Id}' uses forbidden legacy command '{forbidden.Command}' ({forbidden.Why})");
            }
        }
    }

    private static IEnumerable<(string What, CommandText Command)> CommandsOf(Lane lane)
    {
        if (lane.Build?.Local?.Command is { } build)
        {
            yield return ("the local build command", build);
        }

        if (lane.Migration?.Command is { } migrate)
        {
            yield return ("the migration command", migrate);
        }

        if (lane.Run is { } run)
        {
            yield return ("the run command", run);
        }
    }
}

/// <summary>Matches command words against the forbidden legacy commands.</summary>
public static class LegacyMatcher
{
    public static ForbiddenCommand? FindForbidden(LegacyPolicy policy, IReadOnlyList<string> words) =>
        policy.Commands.FirstOrDefault(c => CommandWords.IndexOf(words, c.Words) >= 0);
}
