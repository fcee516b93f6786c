using System.CommandLine;
using System.Globalization;
using DeployMatrix.Cli.Common;
using DeployMatrix.Cli.Local;
using DeployMatrix.Core;
using DeployMatrix.Local.Agent;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix status [LANE] [--env ENV]</c>: revisions, images, traffic and health on the local platform.</summary>
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

    private static void Print(ServiceView service, TextWriter output)
    {
        output.WriteLine($"{service.Service} ({service.Lane}, {service.Env}) on {service.Url ?? "no listener"}");
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
