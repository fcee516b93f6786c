using System.Globalization;
using System.Net;
using System.Text.Json;
using DeployMatrix.Engine.Files;
using DeployMatrix.Web.Matrix;
using DeployMatrix.Web.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DeployMatrix.Web;

/// <summary>Where and how the dashboard serves.</summary>
public sealed record DashboardSettings
{
    /// <summary>The source of every page: a fresh workspace per request (the state store, platforms and clock), disposed after it.</summary>
    public required DashboardSource Source { get; init; }

    public required DashboardToken Token { get; init; }

    /// <value>The default is loopback (127.0.0.1): the dashboard acts on releases and is never on a network by default.</value>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <value>The default is 0: any free port.</value>
    public int Port { get; init; }
}

/// <summary>What <c>.deploymatrix/dashboard.json</c> holds (mode 0600): where the dashboard listens and its token.</summary>
public sealed record DashboardInfo(string Url, string Token, int Pid, string StartedAt);

/// <summary>
/// The dashboard: server-rendered pages (Razor components, static rendering) on Kestrel, every request behind the
/// token (<see cref="DashboardAuth"/>), reading the state store and the platforms and acting only through engine
/// operations, as the CLI does.
/// </summary>
public static class DashboardServer
{
    /// <summary>Builds the app (not started); tests start it and read <c>Urls</c>.</summary>
    public static WebApplication Build(DashboardSettings settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(settings.Address, settings.Port));
        builder.Services.AddRazorComponents();
        builder.Services.AddAntiforgery(o => o.Cookie.Name = "deploymatrix_antiforgery");
        builder.Services.AddSingleton(settings.Source);
        var app = builder.Build();
        app.Use((context, next) => DashboardAuth.HandleAsync(context, settings.Token, next));
        app.Use(async (context, next) =>
        {
            // Pages hold release state: never cached, never framed by another site.
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers.XFrameOptions = "DENY";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'";
            await next(context);
        });
        app.UseAntiforgery();
        Map(app);
        return app;
    }

    /// <summary>
    /// Serves until <paramref name="cancellationToken"/> is cancelled, with <c>dashboard.json</c> (mode 0600) written
    /// while it runs; <paramref name="started"/> gets the URL that carries the token, once.
    /// </summary>
    /// <exception cref="Engine.OperationException">The port is taken (exit 2).</exception>
    /// <exception cref="IOException">The state folder cannot be written.</exception>
    public static async Task RunAsync(DashboardSettings settings, string stateRoot, TimeProvider time, Action<string> started, CancellationToken cancellationToken)
    {
        await using var app = Build(settings);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            throw new Engine.OperationException($"port {settings.Port} on {settings.Address} is in use (another dashboard?); pick another with --port N (0: any free port)", Core.ExitCodes.BadInput);
        }

        var url = app.Urls.First();
        var file = Path.Combine(stateRoot, "dashboard.json");
        SafeFile.Write(file, JsonSerializer.Serialize(new DashboardInfo(url, settings.Token.Value, Environment.ProcessId,
            time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture)), DashboardJson.Options));
        try
        {
            started($"{url}/?token={settings.Token.Value}");
            await app.WaitForShutdownAsync(cancellationToken);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void Map(WebApplication app)
    {
        app.MapGet("/", async (DashboardSource source, CancellationToken ct) =>
            new RazorComponentResult<MatrixPage>(new { View = await MatrixQuery.ReadAsync(source, ct) }));
        app.MapGet("/api/matrix", async (DashboardSource source, CancellationToken ct) =>
            Results.Json(await MatrixQuery.ReadAsync(source, ct), DashboardJson.Options));
        app.MapGet("/receipts/{name}", (DashboardSource source, string name) =>
            source.ReceiptPath(name) is { } path ? Results.File(path, "application/json; charset=utf-8") : Results.NotFound());
        app.MapGet("/assets/{name}", (string name) => Assets.Serve(name));
        Gate.GateEndpoints.Map(app);
        History.HistoryEndpoints.Map(app);
        Drills.DrillEndpoints.Map(app);
        Rollouts.RolloutEndpoints.Map(app);
    }
}
