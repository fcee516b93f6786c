using DeployMatrix.Engine.Operations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeployMatrix.Web.Gate;

/// <summary>
/// The gate's pages: <c>/gate</c> (the verdict that counts for every tag), <c>/gate/{id}</c> (one gate run) and its
/// evidence files, <c>/gate/{id}/evidence/{file}</c> and <c>/gate/{id}/evidence/logs/{file}</c>, served as plain text.
/// </summary>
internal static class GateEndpoints
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/gate", (DashboardSource source) =>
        {
            using var ws = source.Open();
            return new RazorComponentResult<GatePage>(new { Verdicts = new GateOperation(ws).LatestVerdicts(), Single = false });
        });
        app.MapGet("/gate/{id:long}", (DashboardSource source, long id) =>
        {
            using var ws = source.Open();
            return new GateOperation(ws).Verdict(id) is { } verdict
                ? (IResult)new RazorComponentResult<GatePage>(new { Verdicts = new[] { verdict }, Single = true })
                : Results.NotFound();
        });
        app.MapGet("/gate/{id:long}/evidence/{name}", (DashboardSource source, long id, string name) => Evidence(source, id, logs: false, name));
        app.MapGet("/gate/{id:long}/evidence/logs/{name}", (DashboardSource source, long id, string name) => Evidence(source, id, logs: true, name));
    }

    /// <summary>A file of the gate run's evidence folder (as the store records it), as plain text.</summary>
    private static IResult Evidence(DashboardSource source, long id, bool logs, string name)
    {
        using var ws = source.Open();
        return ws.State.GateById(id) is { } gate ? PlainFiles.Text(gate.Evidence, logs, name) : Results.NotFound();
    }
}
