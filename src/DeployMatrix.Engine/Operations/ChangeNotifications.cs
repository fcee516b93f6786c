using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Notifications;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>What the plan verbs tell the matrix's channels once their steps ran: a deploy that failed, a rollback done.</summary>
internal static class ChangeNotifications
{
    public static void Publish(Workspace ws, Plan plan, ExecutionResult result)
    {
        var target = plan.Target!;
        var details = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["tag"] = plan.Tag,
            ["traffic"] = result.Facts.GetValueOrDefault("traffic_after"),
            ["receipt"] = result.ReceiptPath is { } receipt ? Path.GetFileName(receipt) : null,
        };
        if (plan.Action == PlanAction.Deploy && !result.Ok)
        {
            details["exit_code"] = result.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var failed = result.Steps.LastOrDefault(s => !s.Ok);
            details["step"] = failed?.Description;
            ws.Notify.About(ws.Time, ws.Actor, NotifyEvent.DeployFailed, target,
                $"deploy of {target.Lane} {plan.Tag} in {target.Where} failed{(failed is null ? "" : $" at '{failed.Description}'")}: {result.Error}", details);
        }
        else if (plan.Action == PlanAction.Rollback && result.Ok)
        {
            var to = result.Facts.GetValueOrDefault("rollback_to") ?? "the stable revision";
            details["stable_revision"] = to;
            ws.Notify.About(ws.Time, ws.Actor, NotifyEvent.RolledBack, target, $"{target.Lane} in {target.Where} rolled back: all traffic to {to}", details);
        }
    }
}
