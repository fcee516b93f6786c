using System.Text.Json;
using DeployMatrix.Engine;
using DeployMatrix.Engine.Operations;
using DeployMatrix.Engine.Platform;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace DeployMatrix.Web.Rollouts;

/// <summary>
/// The rollout pages: <c>/rollouts</c> (every target's latest rollout), <c>/rollouts/LANE/ENV[?region=R]</c> (one
/// rollout, live), its event stream (<c>…/events</c>, the page's figures as JSON once a second), its chart
/// (<c>…/chart.svg</c>) and its actions (<c>POST …/pause|resume|abort|promote</c> with a reason and the
/// form's antiforgery token; answered with a redirect back to the page and its result).
/// </summary>
internal static class RolloutEndpoints
{
    /// <summary>How often the event stream pushes the figures: once a second.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    /// <summary>How long stopping the dashboard waits for a rollout it resumed to record where it stopped: 10 s.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);

    public static void Map(WebApplication app)
    {
        var source = app.Services.GetRequiredService<DashboardSource>();
        var watcher = new RolloutWatcher(source);
        var actions = new RolloutActions(source, app.Lifetime);
        app.Lifetime.ApplicationStopping.Register(() => actions.WaitForResumed(StopWait));

        app.MapGet("/rollouts", () =>
        {
            using var ws = source.Open();
            return new RazorComponentResult<RolloutsPage>(new { Rows = new RolloutWatchOperation(ws).List(), ReadAt = source.Time.GetUtcNow() });
        });
        app.MapGet("/rollouts/{lane}/{env}", async (string lane, string env, string? region, string? result, CancellationToken ct) =>
        {
            var (figures, problem) = await ReadAsync(watcher, lane, env, region, ct);
            return new RazorComponentResult<RolloutPage>(new { Lane = lane, Env = env, Figures = figures, Problem = problem, Result = actions.Result(result) })
            {
                StatusCode = figures is null ? StatusCodes.Status404NotFound : StatusCodes.Status200OK,
            };
        });
        app.MapGet("/rollouts/{lane}/{env}/events", (HttpContext context, string lane, string env, string? region) =>
            TypedResults.ServerSentEvents(EventsAsync(context, watcher, lane, env, region, app.Lifetime.ApplicationStopping)));
        app.MapGet("/rollouts/{lane}/{env}/chart.svg", async (string lane, string env, string? region, CancellationToken ct) =>
        {
            var (figures, problem) = await ReadAsync(watcher, lane, env, region, ct);
            return figures is null
                ? Results.NotFound(problem)
                : Results.Text(RolloutChart.Render(figures, watcher.Series(figures.Id)?.Points() ?? []), "image/svg+xml; charset=utf-8");
        });
        app.MapPost("/rollouts/{lane}/{env}/{action}", async (string lane, string env, string action, string? region, [FromForm] string? reason, CancellationToken ct) =>
        {
            if (!RolloutActions.Names.Contains(action))
            {
                return Results.NotFound($"no action '{action}': pause, resume, abort or promote");
            }

            var id = await actions.RunAsync(lane, env, region, action, reason, ct);
            var page = RolloutFigures.PathOf(lane, env, region);
            return Results.Redirect($"{page}{(page.Contains('?', StringComparison.Ordinal) ? '&' : '?')}result={id}");
        });
    }

    /// <summary>The figures, or why there are none (an unknown lane or environment, no rollout yet, the platform unreadable).</summary>
    private static async Task<(RolloutFigures? Figures, string? Problem)> ReadAsync(RolloutWatcher watcher, string lane, string env, string? region, CancellationToken ct)
    {
        try
        {
            return (await watcher.ReadAsync(lane, env, region, ct), null);
        }
        catch (Exception e) when (e is OperationException or PlatformException or HttpRequestException or IOException)
        {
            return (null, Core.Text.UntrustedText.OneLine(e.Message));
        }
    }

    /// <summary>
    /// The event stream (<c>text/event-stream</c>, framed by ASP.NET Core's <c>TypedResults.ServerSentEvents</c>):
    /// a <c>figures</c> event (the page's figures, JSON) every <see cref="Tick"/>, or a <c>problem</c> event
    /// (<c>{"message": …}</c>) when they cannot be read, until the page goes or the dashboard stops.
    /// </summary>
    private static async IAsyncEnumerable<System.Net.ServerSentEvents.SseItem<string>> EventsAsync(HttpContext context, RolloutWatcher watcher, string lane, string env, string? region,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken stopping)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var ct = both.Token;
        context.Response.Headers.CacheControl = "no-store";
        using var timer = new PeriodicTimer(Tick, context.RequestServices.GetRequiredService<DashboardSource>().Time);
        do
        {
            var (figures, problem) = await ReadAsync(watcher, lane, env, region, ct);
            yield return figures is null
                ? new(JsonSerializer.Serialize(new { Message = problem }, DashboardJson.Options), "problem")
                : new(JsonSerializer.Serialize(figures, DashboardJson.Options), "figures");
        }
        while (await Next(timer, ct));
    }

    /// <summary>Waits for the next tick; false once the page went away or the dashboard stops (the stream then simply ends).</summary>
    private static async Task<bool> Next(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
