using System.Globalization;
using DeployMatrix.Core;
using DeployMatrix.Core.Maintenance;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;
using DeployMatrix.State;
using DeployMatrix.Engine.Notifications;
using DeployMatrix.Engine.Waves;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Operations;

/// <summary>What a maintenance command did, in sentences for people; <see cref="Ok"/> false when the state disagrees with the platform.</summary>
public sealed record MaintenanceResult(bool Ok, IReadOnlyList<string> Lines);

/// <summary>
/// <c>maintenance enable|disable|status</c>: 503 for everything but health probes and holders of a
/// bypass cookie, while work is done behind the service. The state store keeps the record (so traffic
/// changes are refused meanwhile); the platform makes it so — the local proxy, or the service itself on
/// Cloud Run. The bypass token is created by the platform, kept where only its owner reads it, and never printed.
/// </summary>
public sealed class MaintenanceOperation(Workspace ws)
{
    /// <summary>The default Retry-After, 300 s.</summary>
    public const int DefaultRetryAfter = 300;

    /// <summary>
    /// The region whose service is meant (<c>--region</c>); null: every region the lane runs in in the environment, as
    /// waves in the environment's order (a failed region stops the ones behind it in sequence).
    /// </summary>
    public string? Region { get; init; }

    /// <exception cref="OperationException">A Retry-After outside 1..86400 s (exit 2), or a service never deployed (exit 1).</exception>
    public Task<MaintenanceResult> EnableAsync(string lane, string env, string? message, int retryAfter, CancellationToken ct)
    {
        if (retryAfter is < 1 or > 86400)
        {
            throw new OperationException($"--retry-after {retryAfter} is out of range; give seconds from 1 to 86400", ExitCodes.BadInput);
        }

        return EachAsync(lane, env, (target, token) => EnableAsync(target, message, retryAfter, token), ct);
    }

    public Task<MaintenanceResult> DisableAsync(string lane, string env, CancellationToken ct) => EachAsync(lane, env, DisableAsync, ct);

    /// <summary>Each region's state (all of them, even when one disagrees with its platform).</summary>
    public Task<MaintenanceResult> StatusAsync(string lane, string env, CancellationToken ct) => EachAsync(lane, env, StatusAsync, ct, WaveOrder.Parallel);

    /// <summary>
    /// The command on the environment's one target, or on each of its regions as waves: every region's lines, then
    /// which regions ran and how they ended (<see cref="WavesResult{T}.Summary"/>).
    /// </summary>
    /// <param name="order">The order regions are walked in; null: the environment's.</param>
    private async Task<MaintenanceResult> EachAsync(string lane, string env, Func<ResolvedTarget, CancellationToken, Task<MaintenanceResult>> one, CancellationToken ct, WaveOrder? order = null)
    {
        var resolved = ws.ResolveWaves(lane, env, Region);
        if (!resolved.Several)
        {
            return await one(resolved.Targets[0], ct);
        }

        var waves = await WaveRunner.RunAsync(resolved.Targets, order ?? resolved.Order, one,
            done => done.Ok ? (ExitCodes.Ok, null) : (ExitCodes.Failed, done.Lines.FirstOrDefault()), IWaveReporter.None, ct);
        return new MaintenanceResult(waves.Ok, [.. waves.Waves.SelectMany(w => w.Result?.Lines ?? []), waves.Summary]);
    }

    private async Task<MaintenanceResult> EnableAsync(ResolvedTarget target, string? message, int retryAfter, CancellationToken ct)
    {
        var platform = await ws.Platforms.OpenAsync(target.Platform, ct);
        using var held = await ws.Locks.AcquireAsync(target.Lane, target.Scope, "maintenance enable", ct);
        if (ws.State.FindMaintenance(target.ServiceScope, target.Service) is { } already)
        {
            return new MaintenanceResult(true, [$"{target} is already in maintenance since {already.Since} (by {already.Actor}); nothing changed"]);
        }

        message ??= $"{target.Service} is down for maintenance; please try again later.";
        var inputs = new Dictionary<string, string?> { ["message"] = message, ["retry_after"] = retryAfter.ToString(CultureInfo.InvariantCulture) };
        var (started, url) = await JournaledAsync(target, "maintenance-enable", inputs, $"enable maintenance on {target.Service}", async () =>
        {
            var started = await platform.Maintenance.EnableAsync(target, message, retryAfter, ct);
            ws.State.SetMaintenance(new MaintenanceRecord(target.ServiceScope, target.Service, target.Lane, PlatformNames.Name(target.Platform),
                ws.Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture), ws.Actor, message, retryAfter, started.Snapshot));
            try
            {
                return (started, await platform.Maintenance.ApplyAsync(target, ct));
            }
            catch
            {
                // The platform did not take it: the state must not say maintenance is on.
                ws.State.ClearMaintenance(target.ServiceScope, target.Service);
                throw;
            }
        });
        ws.Notify.About(ws.Time, ws.Actor, NotifyEvent.MaintenanceOn, target, $"{target.Lane} in {target.Where} is in maintenance: requests get 503");
        return new MaintenanceResult(true,
        [
            $"{target} is in maintenance: requests get 503 (Retry-After {retryAfter}), /healthz and /readyz still answer",
            $"bypass token: in {started.TokenLocation}; it is never printed",
            $"bypass cookie ({(int)BypassCookie.Ttl.TotalSeconds} s): send the token as {BypassCookie.TokenHeader} to {url ?? "the service"}{BypassCookie.Path}",
        ]);
    }

    private async Task<MaintenanceResult> DisableAsync(ResolvedTarget target, CancellationToken ct)
    {
        var platform = await ws.Platforms.OpenAsync(target.Platform, ct);
        using var held = await ws.Locks.AcquireAsync(target.Lane, target.Scope, "maintenance disable", ct);
        var record = ws.State.FindMaintenance(target.ServiceScope, target.Service);
        if (record is null && await platform.Maintenance.IsEnabledAsync(target, ct) != true)
        {
            return new MaintenanceResult(true, [$"{target} is not in maintenance; nothing changed"]);
        }

        await JournaledAsync(target, "maintenance-disable", new Dictionary<string, string?> { ["since"] = record?.Since }, $"disable maintenance on {target.Service}", async () =>
        {
            await platform.Maintenance.DisableAsync(target, record?.PreviousTraffic, ct);
            ws.State.ClearMaintenance(target.ServiceScope, target.Service);
            return await platform.Maintenance.ApplyAsync(target, ct);
        });
        ws.Notify.About(ws.Time, ws.Actor, NotifyEvent.MaintenanceOff, target, $"{target.Lane} in {target.Where} serves requests again");
        return new MaintenanceResult(true, [$"{target} serves requests again{(record is null ? "" : $" (maintenance since {record.Since})")}"]);
    }

    private async Task<MaintenanceResult> StatusAsync(ResolvedTarget target, CancellationToken ct)
    {
        var platform = await ws.Platforms.OpenAsync(target.Platform, ct);
        var record = ws.State.FindMaintenance(target.ServiceScope, target.Service);
        if (await platform.Maintenance.IsEnabledAsync(target, ct) is { } live && live != (record is not null))
        {
            return new MaintenanceResult(false,
                [$"{target}: maintenance is {(live ? "on" : "off")} in the service's template, but this folder's state says {(record is null ? "off" : "on")}; run 'maintenance disable' or 'enable' to settle it"]);
        }

        return new MaintenanceResult(true,
        [
            record is null
                ? $"{target}: serving (not in maintenance)"
                : $"{target}: in maintenance since {record.Since} by {record.Actor} — \"{record.Message}\" (Retry-After {record.RetryAfter})",
        ]);
    }

    /// <summary>
    /// The switch as one journaled step, begun before the platform is touched: a switch that fails ends its record
    /// failed (or cancelled), and one killed half way is listed as interrupted at that step, as any change is.
    /// </summary>
    private async Task<T> JournaledAsync<T>(ResolvedTarget target, string action, Dictionary<string, string?> inputs, string step, Func<Task<T>> work)
    {
        inputs["platform"] = PlatformNames.Name(target.Platform);
        var log = ws.Recorder.Begin(action, target.Lane, target.Scope);
        log.Step(step, "started", null);
        try
        {
            var done = await work();
            log.Step(step, "succeeded", null);
            log.End("succeeded", inputs, "succeeded");
            return done;
        }
        catch (Exception e)
        {
            log.Step(step, e is OperationCanceledException ? "cancelled" : "failed", Core.Text.UntrustedText.OneLine(e.Message));
            log.EndOnError(e, inputs);
            throw;
        }
    }
}
