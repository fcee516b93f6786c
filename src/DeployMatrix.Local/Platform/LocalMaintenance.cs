using DeployMatrix.Core.Maintenance;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Local.Agent;

namespace DeployMatrix.Local.Platform;

/// <summary>
/// Maintenance mode on the local platform: the agent's proxy answers 503 (health probes and bypass-cookie
/// holders excepted) while the store records maintenance. The bypass token is a file only its owner can
/// read (0600 in a 0700 folder), created once and kept across enable and disable so cookies stay valid;
/// it is never sent to the agent and never printed.
/// </summary>
public sealed class LocalMaintenance(LocalPaths paths, AgentClient agent, string matrixDirectory) : IMaintenanceMode
{
    public async Task<MaintenanceStarted> EnableAsync(ResolvedTarget target, string message, int retryAfterSeconds, CancellationToken cancellationToken)
    {
        _ = await LocalPlatform.Call(() => agent.ServiceAsync(target.Environment, target.Service, cancellationToken))
            ?? throw new PlatformException($"{target.Service} has not been deployed to {target.Environment}; deploy it first");
        var path = paths.MaintenanceToken(target.Environment, target.Service);
        if (!File.Exists(path))
        {
            var folder = Path.GetDirectoryName(path)!;
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            using var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
            using var writer = new StreamWriter(file);
            writer.Write(BypassCookie.NewToken());
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
