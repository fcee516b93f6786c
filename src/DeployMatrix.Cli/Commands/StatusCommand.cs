using System.CommandLine;
using System.Globalization;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Composition;
using DeployMatrix.Core;
using DeployMatrix.Engine.Operations;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix status [LANE] [--env ENV]</c>: revisions, images, traffic and health, on each target's platform.</summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var lane = new Argument<string?>("LANE") { Description = "Only this lane (default: every deployed lane).", Arity = ArgumentArity.ZeroOrOne };
        var env = new Option<string?>("--env", "-e") { Description = "Only this environment.", HelpName = "ENV" };
        var region = ExecutionOptions.Region();
        region.Description = "Only this region of an environment that runs in several (with LANE and --env; default: every region).";
        var command = new Command("status", "Show each service's revisions (image, tag, state, traffic, requests, errors, p95), its latest created and latest ready revision, and its stable revision (the one that served all traffic before the latest change).");
        command.Arguments.Add(lane);
        command.Options.Add(env);
        command.Options.Add(region);
        command.SetAction(async (result, ct) =>
        {
            using var ws = WorkspaceFactory.Open(result, context);
            var services = await new StatusOperation(ws) { Region = result.GetValue(region) }.RunAsync(result.GetValue(lane), result.GetValue(env), ct);
            if (context.Options.Json(result))
            {
                Json.Write(context.Out, "status", new { Services = services });
            }
            else if (services.Count == 0)
            {
                context.Out.WriteLine("nothing deployed yet" + (result.GetValue(lane) is { } l ? $" for {l}" : "") + (result.GetValue(env) is { } e ? $" in {e}" : ""));
            }

            foreach (var service in context.Options.Json(result) ? [] : services)
            {
                Print(service, context.Out);
            }

            // The others are shown; the run still fails, so a script notices a missing service or traffic sent nowhere.
            foreach (var missing in services.Where(s => s.Problem is not null))
            {
                context.Err.WriteLine($"deploymatrix: {missing.Problem}");
            }

            foreach (var (service, fault) in services.SelectMany(s => s.Faults.Select(f => (s, f))))
            {
                context.Err.WriteLine($"deploymatrix: {service.Service} ({service.Where}): {fault}");
            }

            return services.Any(s => s.Problem is not null || s.Faults.Count > 0) ? ExitCodes.Failed : 0;
        });
        return command;
    }

    private static void Print(ServiceView service, TextWriter output)
    {
        if (service.Problem is not null)
        {
            output.WriteLine($"{service.Service} ({service.Lane}, {service.Where}): not found on {service.Platform}");
            return;
        }

        output.WriteLine($"{service.Service} ({service.Lane}, {service.Where}) on {service.Url ?? (service.Platform == "local" ? "no listener" : "no URL yet")}");
        if (service.MaintenanceSince is { } since)
        {
            output.WriteLine($"  MAINTENANCE since {since}: requests get 503 (see: deploymatrix maintenance status {service.Lane} --env {service.Env}{(service.Region is null ? "" : $" --region {service.Region}")})");
        }

        output.WriteLine($"  traffic: {(service.Traffic.Count == 0 ? "none" : string.Join(", ", service.Traffic.Select(t => $"{t.Revision} {t.Percent}%")))}");
        output.WriteLine($"  latest created: {service.LatestCreatedRevision ?? "-"}; latest ready: {service.LatestReadyRevision ?? "-"}; stable: {service.StableRevision ?? "-"}");
        foreach (var revision in service.Revisions.Take(5))
        {
            var metrics = revision.Metrics is { Requests: > 0 } m
                ? string.Create(CultureInfo.InvariantCulture, $", {m.Requests} req, {m.Failed} 5xx, p95 {m.P95Ms:0.#} ms")
                : "";
            var tag = revision.Tag is null ? "" : $" (tag {revision.Tag})";
            output.WriteLine($"  {revision.Name}  {revision.Percent,3}%  {revision.Status}{(revision.Running ? "" : " (stopped)")}  {revision.Image}{tag}{metrics}{(revision.Reason is null ? "" : $"  — {revision.Reason}")}");
        }
    }
}
