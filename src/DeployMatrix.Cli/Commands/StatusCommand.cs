using System.CommandLine;
using System.Globalization;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Local;
using DeployMatrix.Core;
using DeployMatrix.Local.Agent;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix status [LANE] [--env ENV]</c>: revisions, images, traffic and health on the local platform or Cloud Run.</summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var lane = new Argument<string?>("LANE") { Description = "Only this lane (default: every deployed lane).", Arity = ArgumentArity.ZeroOrOne };
        var env = new Option<string?>("--env", "-e") { Description = "Only this environment.", HelpName = "ENV" };
        var command = new Command("status", "Show each service's revisions (image, state, traffic, requests, errors, p95), its latest created and latest ready revision, and its stable revision.");
        command.Arguments.Add(lane);
        command.Options.Add(env);
        command.SetAction((result, ct) => RunAsync(result, context, result.GetValue(lane), result.GetValue(env), ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult result, CliContext context, string? laneName, string? env, CancellationToken ct)
    {
        var matrix = MatrixSource.LoadValid(result, context);
        if (matrix is null)
        {
            return ExitCodes.BadInput;
        }

        if (laneName is not null && matrix.FindLane(laneName) is null)
        {
            throw new UsageException($"unknown lane '{laneName}'{Core.Diagnostics.DidYouMean.Hint(laneName, matrix.Lanes.Select(l => l.Name))}");
        }

        if (ExecutionOptions.PlatformOf(result) == Core.Model.PlatformKind.CloudRun)
        {
            return await CloudRunAsync(result, context, matrix, laneName, env, ct);
        }

        using var session = LocalSession.Open(matrix, context);
        var agent = await session.RequireAgentAsync(ct);
        var services = (await agent.ServicesAsync(ct))
            .Where(s => (laneName is null || s.Lane == laneName) && (env is null || s.Env == env))
            .ToList();
        if (GlobalOptions.Json(result))
        {
            Json.Write(context.Out, services);
            return ExitCodes.Ok;
        }

        if (services.Count == 0)
        {
            context.Out.WriteLine("nothing deployed on the local platform yet" + (laneName is null ? "" : $" for {laneName}") + (env is null ? "" : $" in {env}"));
            return ExitCodes.Ok;
        }

        foreach (var service in services)
        {
            Print(service, context.Out);
        }

        return ExitCodes.Ok;
    }

    /// <summary>Every Cloud Run service the matrix names (or the one asked for), as Cloud Run reports it.</summary>
    private static async Task<int> CloudRunAsync(ParseResult result, CliContext context, Core.Model.Matrix matrix, string? laneName, string? env, CancellationToken ct)
    {
        using var session = LocalSession.Open(matrix, context);
        var platform = await session.PlatformAsync(Core.Model.PlatformKind.CloudRun, ct);
        var views = new List<CloudRunServiceView>();
        foreach (var lane in matrix.Lanes.Where(l => l.Kind == Core.Model.LaneKind.Service && (laneName is null || l.Name == laneName)))
        {
            foreach (var environment in matrix.Environments.Select(e => e.Name).Where(e => env is null || e == env))
            {
                var planned = Core.Planning.Planner.Plan(matrix, new Core.Planning.PlanRequest { Lane = lane.Name, Environment = environment, Action = Core.Planning.PlanAction.Status, Platform = Core.Model.PlatformKind.CloudRun });
                if (planned.Plan?.Steps.FirstOrDefault() is not Core.Planning.DescribeStatus { Target: { Platform: Core.Model.PlatformKind.CloudRun } target })
                {
                    continue;
                }

                var status = await platform.GetServiceAsync(target, ct);
                views.Add(new CloudRunServiceView(status.Service, lane.Name, environment, status.Url?.ToString(), status.Traffic, status.LatestCreatedRevision,
                    status.LatestReadyRevision, status.StableRevision, status.Image, status.Revisions));
            }
        }

        if (GlobalOptions.Json(result))
        {
            Json.Write(context.Out, views);
            return ExitCodes.Ok;
        }

        foreach (var view in views)
        {
            context.Out.WriteLine($"{view.Service} ({view.Lane}, {view.Env}) on {view.Url ?? "no URL yet"}");
            if (session.State.FindMaintenance(view.Env, view.Service) is { } maintenance)
            {
                context.Out.WriteLine($"  MAINTENANCE since {maintenance.Since}: the service answers 503 (see: deploymatrix maintenance status {view.Lane} --env {view.Env})");
            }

            context.Out.WriteLine($"  image: {view.Image ?? "-"}");
            context.Out.WriteLine($"  traffic: {(view.Traffic.Count == 0 ? "none" : string.Join(", ", view.Traffic.Select(t => $"{t.Revision} {t.Percent}%")))}");
            context.Out.WriteLine($"  latest created: {view.LatestCreatedRevision ?? "-"}; latest ready: {view.LatestReadyRevision ?? "-"}; stable: {view.StableRevision ?? "-"}");
        }

        return ExitCodes.Ok;
    }

    private sealed record CloudRunServiceView(string Service, string Lane, string Env, string? Url, IReadOnlyList<Engine.Platform.TrafficAssignment> Traffic,
        string? LatestCreatedRevision, string? LatestReadyRevision, string? StableRevision, string? Image, IReadOnlyList<Engine.Platform.RevisionInfo> Revisions);

    private static void Print(ServiceView service, TextWriter output)
    {
        output.WriteLine($"{service.Service} ({service.Lane}, {service.Env}) on {service.Url ?? "no listener"}");
        if (service.MaintenanceSince is { } since)
        {
            output.WriteLine($"  MAINTENANCE since {since}: requests get 503 (see: deploymatrix maintenance status {service.Lane} --env {service.Env})");
        }

        output.WriteLine($"  traffic: {(service.Traffic.Count == 0 ? "none" : string.Join(", ", service.Traffic.Select(t => $"{t.Revision} {t.Percent}%")))}");
        output.WriteLine($"  latest created: {service.LatestCreatedRevision ?? "-"}; latest ready: {service.LatestReadyRevision ?? "-"}; stable: {service.StableRevision ?? "-"}");
        foreach (var revision in service.Revisions.Take(5))
        {
            var metrics = revision.Metrics is { Requests: > 0 } m
                ? string.Create(CultureInfo.InvariantCulture, $", {m.Requests} req, {m.Failed} 5xx, p95 {m.P95Ms:0.#} ms")
                : "";
            output.WriteLine($"  {revision.Name}  {revision.Percent,3}%  {revision.Status}{(revision.Running ? "" : " (stopped)")}  {revision.Image}{metrics}{(revision.Reason is null ? "" : $"  — {revision.Reason}")}");
        }
    }
}
