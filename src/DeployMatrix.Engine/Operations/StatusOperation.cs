using DeployMatrix.Core;
using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Workspaces;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Operations;

/// <summary>One service as <c>status</c> shows it: what its platform reports, with the stable revision and maintenance from the state store.</summary>
public sealed record ServiceView(
    string Service, string Lane, string Env, string Platform, string? Url, int? ListenerPort,
    IReadOnlyList<TrafficAssignment> Traffic, string? LatestCreatedRevision, string? LatestReadyRevision, string? StableRevision,
    string? Image, IReadOnlyList<RevisionInfo> Revisions, string? MaintenanceSince)
{
    /// <summary>The region, for one of several targets (regions) of its environment; null otherwise.</summary>
    public string? Region { get; init; }

    /// <summary>Why the service could not be shown (it does not exist on its platform), null when it was read; its other fields are then empty.</summary>
    public string? Problem { get; init; }

    /// <summary>
    /// What is wrong with a service that was read: each revision that has traffic and is not serving (failed, stopped,
    /// not ready), as one line. Requests routed there fail, so <c>status</c> exits 1; empty when all is well.
    /// </summary>
    public IReadOnlyList<string> Faults { get; init; } = [];

    /// <summary>The environment as people read it: <c>production</c>, or <c>production, us-east1</c> for one of several regions.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Where => Region is null ? Env : $"{Env}, {Region}";
}

/// <summary><c>status</c>: every service of the matrix (or of one lane, one environment) as its platform reports it.</summary>
public sealed class StatusOperation(Workspace ws)
{
    /// <summary>Only this region of an environment in several (<c>--region</c>, with an environment); null: every region.</summary>
    public string? Region { get; init; }

    /// <returns>
    /// The deployed services, lanes in file order; a local target never deployed (no revisions) is left out, a Cloud
    /// Run service that does not exist is listed with its <see cref="ServiceView.Problem"/>.
    /// </returns>
    /// <exception cref="OperationException">An unknown lane or environment, or a lane in an environment it skips (exit 2).</exception>
    /// <exception cref="PlatformException">A platform cannot be reached or refused the read.</exception>
    public async Task<IReadOnlyList<ServiceView>> RunAsync(string? lane, string? env, CancellationToken ct)
    {
        if (lane is not null && ws.Matrix.FindLane(lane) is null)
        {
            throw new OperationException(TargetResolver.UnknownLane(ws.Matrix, lane), ExitCodes.BadInput);
        }

        // A typo in --env would otherwise read as "nothing deployed yet" and exit 0.
        if (env is not null && ws.Matrix.FindEnvironment(env) is null)
        {
            throw new OperationException($"unknown environment '{env}'{DidYouMean.Hint(env, ws.Matrix.Environments.Select(e => e.Name))}", ExitCodes.BadInput);
        }

        // A lane asked for in an environment it skips has nothing there, by the matrix: say so rather than "nothing deployed yet".
        if (lane is not null && env is not null && ws.Matrix.FindEnvironment(env) is not null && ws.Matrix.FindLane(lane) is { Targets.Count: > 0 } skipping && skipping.FindTarget(env) is null)
        {
            throw new OperationException(skipping.Skips(env), ExitCodes.BadInput);
        }

        if (Region is not null && (lane is null || env is null))
        {
            throw new OperationException("--region picks one region of an environment; give LANE and --env too", ExitCodes.BadInput);
        }

        if (Region is not null && TargetResolver.ResolveWaves(ws.Matrix, lane!, env!, ws.PlatformOverride, Region).Error is { } badRegion)
        {
            throw new OperationException(badRegion, ExitCodes.BadInput);
        }

        var platforms = new Dictionary<PlatformKind, IPlatform>();
        var views = new List<ServiceView>();
        foreach (var target in TargetResolver.All(ws.Matrix, ws.PlatformOverride).Where(t => (lane is null || t.Lane == lane) && (env is null || t.Environment == env) && (Region is null || t.Region == Region)))
        {
            if (ws.Matrix.FindLane(target.Lane) is { Status: LaneStatus.Legacy })
            {
                continue;
            }

            if (!platforms.TryGetValue(target.Platform, out var platform))
            {
                platforms[target.Platform] = platform = await ws.Platforms.OpenAsync(target.Platform, ct);
            }

            ServiceStatus service;
            try
            {
                service = await platform.GetServiceAsync(target, ct);
            }
            catch (ServiceNotFoundException missing)
            {
                // One service missing (not created yet, or deleted) says nothing of the others: shown on its own line.
                views.Add(new ServiceView(target.Service, target.Lane, target.Environment, PlatformNames.Name(target.Platform), null, null, [], null, null, null, null, [], null)
                {
                    Region = target.Regional ? target.Region : null,
                    Problem = missing.Message,
                });
                continue;
            }

            if (service.Revisions.Count > 0 || target.Platform == PlatformKind.CloudRun)
            {
                views.Add(View(target, service));
            }
        }

        return views;
    }

    private ServiceView View(ResolvedTarget target, ServiceStatus service) => new(
        service.Service, target.Lane, target.Environment, PlatformNames.Name(target.Platform), service.Url?.ToString(), service.ListenerPort,
        service.Traffic, service.LatestCreatedRevision, service.LatestReadyRevision, ws.StableOf(target, service), service.Image, service.Revisions,
        service.MaintenanceSince ?? ws.State.FindMaintenance(target.ServiceScope, target.Service)?.Since)
    {
        Region = target.Regional ? target.Region : null,
        Faults = Faults(service),
    };

    /// <summary>
    /// Revisions given traffic that cannot answer it. A starting revision is left out: it is on its way (an agent
    /// relaunching its revisions), and the deploy that gave it traffic waited for it to be ready.
    /// </summary>
    private static List<string> Faults(ServiceStatus service) =>
    [
        .. service.Revisions
            .Where(r => r.Percent > 0 && (r.Status is not (RevisionStatus.Ready or RevisionStatus.Starting) || !r.Running))
            .Select(r => $"revision {r.Name} has {r.Percent}% of {service.Service}'s traffic and cannot serve it: {(r.Status is RevisionStatus.Ready or RevisionStatus.Starting ? "stopped" : r.Status)}{(r.Reason is null ? "" : $" ({r.Reason})")}"),
    ];
}
