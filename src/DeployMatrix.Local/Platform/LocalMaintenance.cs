using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Maintenance;

namespace DeployMatrix.Local.Platform;

/// <summary>
/// Maintenance mode on the local platform: the agent's proxy answers 503 (health probes and bypass-cookie
/// holders excepted) while the store records maintenance. The bypass token is a file only its owner can
/// read (0600 in a 0700 folder), replaced by a new random one on every enable so cookies from an earlier
/// maintenance (or a leaked one) stop working (<see cref="MaintenanceTokenFile"/>); it is never sent to
/// the agent and never printed.
/// </summary>
public sealed class LocalMaintenance(LocalPaths paths, AgentClient agent, string matrixDirectory) : IMaintenanceMode
{
    public async Task<MaintenanceStarted> EnableAsync(ResolvedTarget target, string message, int retryAfterSeconds, CancellationToken cancellationToken)
    {
        _ = await LocalPlatform.Call(() => agent.ServiceAsync(target.Environment, target.Service, cancellationToken))
            ?? throw new PlatformException($"{target.Service} has not been deployed to {target.Environment}; deploy it first");
        var path = paths.MaintenanceToken(target.Environment, target.Service);
        try
        {
            MaintenanceTokenFile.Rotate(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PlatformException($"cannot write the maintenance bypass token {Path.GetRelativePath(matrixDirectory, path)}: {e.Message}");
        }

        return new MaintenanceStarted(null, Path.GetRelativePath(matrixDirectory, path));
    }

    /// <summary>Nothing to undo on the platform: the proxy follows the store once applied.</summary>
    public Task DisableAsync(ResolvedTarget target, string? snapshot, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<string?> ApplyAsync(ResolvedTarget target, CancellationToken cancellationToken) =>
        (await LocalPlatform.Call(() => agent.ApplyMaintenanceAsync(target.Environment, target.Service, cancellationToken))).Url;

    /// <summary>The store's record is the only truth here.</summary>
    public Task<bool?> IsEnabledAsync(ResolvedTarget target, CancellationToken cancellationToken) => Task.FromResult<bool?>(null);
}
