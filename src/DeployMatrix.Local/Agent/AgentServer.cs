using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using DeployMatrix.Engine.Files;
using DeployMatrix.State;

namespace DeployMatrix.Local.Agent;

/// <summary>
/// Runs the agent in the foreground: the control API on a loopback port with a bearer token, the
/// <see cref="LocalAgent"/> behind it, and agent.json (mode 0600) so the CLI can find it. SIGTERM and
/// SIGINT stop it politely: revisions get SIGINT, a grace period, then their trees are killed.
/// </summary>
public static class AgentServer
{
    /// <param name="state">Where the state lives: <c>paths.StateDb</c>, or the shared database the commands use.</param>
    public static async Task<int> RunAsync(LocalPaths paths, StateLocation state, AgentOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        StateFolder.Ensure(paths.Root);
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.StopGrace + TimeSpan.FromSeconds(10));
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        // The control API does blocking work (SQLite, process starts): keep it off the socket event
        // threads even though the agent's proxies run with inline completions.
        builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = false);
        AgentTelemetry.AddMetrics(builder, Environment.GetEnvironmentVariable);
        await using var app = builder.Build();
        using var store = StateStore.Open(state, time);
        await using var agent = new LocalAgent(paths, store, time, options);
        using var metrics = new AgentMetrics(agent.RunningEndpoints);
        AgentTelemetry.UseMetrics(app);
        Map(app, agent, token);
        await agent.ReconcileAsync(cancellationToken);
        await app.StartAsync(cancellationToken);

        var info = new AgentInfo(app.Urls.First(), token, Environment.ProcessId, time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture), paths.Root);
        // Mode 0600 before any byte of the token is written, and never through a link planted at its name.
        SafeFile.Write(paths.AgentJson, JsonSerializer.Serialize(info, AgentJson.Options));
        SafeFile.Write(paths.AgentPid, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            await app.WaitForShutdownAsync(cancellationToken);
        }
        finally
        {
            File.Delete(paths.AgentJson);
            File.Delete(paths.AgentPid);
        }

        return 0;
    }

    private static void Map(WebApplication app, LocalAgent agent, string token)
    {
        app.Use(async (context, next) =>
        {
            var header = context.Request.Headers.Authorization.ToString();
            var expected = "Bearer " + token;
            if (!CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(header), System.Text.Encoding.UTF8.GetBytes(expected)))
            {
                await Write(context, 401, new AgentError("missing or wrong agent token"));
                return;
            }

            try
            {
                await next(context);
            }
            catch (AgentException e)
            {
                await Write(context, e.Status, new AgentError(e.Message));
            }
            catch (JsonException e)
            {
                await Write(context, 400, new AgentError($"bad request body: {e.Message}"));
            }
        });

        app.MapGet("/v1/health", (HttpContext c) => Write(c, 200, new { status = "ok", pid = Environment.ProcessId }));
        app.MapGet("/v1/services", (HttpContext c) => Write(c, 200, agent.Services()));
        app.MapGet("/v1/services/{env}/{service}", (HttpContext c, string env, string service) =>
            agent.GetService(env, service) is { } view ? Write(c, 200, view) : Write(c, 404, new AgentError($"no service {service} in {env}")));
        app.MapPost("/v1/revisions", async (HttpContext c) =>
        {
            var request = await Read<CreateRevisionRequest>(c);
            await Write(c, 201, await agent.CreateRevisionAsync(request, c.RequestAborted));
        });
        app.MapPut("/v1/services/{env}/{service}/traffic", async (HttpContext c, string env, string service) =>
        {
            var request = await Read<TrafficRequest>(c);
            await agent.SetTrafficAsync(env, service, request.Splits, c.RequestAborted);
            await Write(c, 200, agent.GetService(env, service));
        });
        app.MapPost("/v1/services/{env}/{service}/stop", async (HttpContext c, string env, string service) =>
        {
            var request = await Read<StopRevisionsRequest>(c);
            agent.StopRevisions(env, service, request.Revisions);
            await Write(c, 200, agent.GetService(env, service));
        });
        app.MapPut("/v1/services/{env}/{service}/maintenance", (HttpContext c, string env, string service) =>
            Write(c, 200, agent.ApplyMaintenance(env, service)));
        app.MapPost("/v1/executions", async (HttpContext c) =>
        {
            var request = await Read<StartExecutionRequest>(c);
            await Write(c, 201, agent.StartExecution(request));
        });
        app.MapGet("/v1/executions/{id:long}", (HttpContext c, long id) =>
            agent.ExecutionOf(id) is { } view ? Write(c, 200, view) : Write(c, 404, new AgentError($"no execution {id}")));
        app.MapPost("/v1/executions/{id:long}/cancel", async (HttpContext c, long id) =>
        {
            var request = await Read<CancelExecutionRequest>(c);
            await (await agent.CancelExecutionAsync(id, request.Reason) is { } view ? Write(c, 200, view) : Write(c, 404, new AgentError($"no execution {id}")));
        });
        app.MapPost("/v1/shutdown", (HttpContext c, IHostApplicationLifetime lifetime) =>
        {
            lifetime.StopApplication();
            return Write(c, 202, new { status = "stopping" });
        });
    }

    private static async Task<T> Read<T>(HttpContext context) =>
        await JsonSerializer.DeserializeAsync<T>(context.Request.Body, AgentJson.Options, context.RequestAborted)
        ?? throw new AgentException(400, "empty request body");

    private static Task Write<T>(HttpContext context, int status, T body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, AgentJson.Options));
    }
}
