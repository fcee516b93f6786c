using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Engine.Platform;

/// <summary>
/// How a platform serves maintenance mode (503 but for health probes and bypass-cookie holders). The
/// engine keeps the record of it in the state store; the platform makes it so. The bypass token is
/// created by the platform where only its owner reads it, and never returned.
/// </summary>
public interface IMaintenanceMode
{
    /// <summary>Prepares and, where the platform does it itself, turns maintenance on.</summary>
    /// <returns>What to restore on disable (opaque, may be null) and where the token is kept, for people.</returns>
    /// <exception cref="PlatformException">The service is not deployed, or the platform refused.</exception>
    Task<MaintenanceStarted> EnableAsync(ResolvedTarget target, string message, int retryAfterSeconds, CancellationToken cancellationToken);

    /// <summary>Turns maintenance off where the platform does it itself, restoring <paramref name="snapshot"/>.</summary>
    Task DisableAsync(ResolvedTarget target, string? snapshot, CancellationToken cancellationToken);

    /// <summary>Makes the platform follow the store's record after it changed (the local proxy); returns the service's URL there, if any.</summary>
    Task<string?> ApplyAsync(ResolvedTarget target, CancellationToken cancellationToken);

    /// <summary>Whether the platform itself has maintenance on; null where the store's record is the only truth (the local platform).</summary>
    Task<bool?> IsEnabledAsync(ResolvedTarget target, CancellationToken cancellationToken);
}

/// <summary>Maintenance turned on: the snapshot to restore later, and a sentence saying where the bypass token is.</summary>
public sealed record MaintenanceStarted(string? Snapshot, string TokenLocation);
