using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Rehearsal;

/// <summary>
/// A local platform of a rehearsal's own, in a scratch folder: its own state, artifact store, data folders and
/// agent (its own proxies on free ports), so nothing it does reaches the workspace's state, services or traffic.
/// Disposing it stops its revisions and its agent and removes its state (which holds their environments in clear);
/// their logs stay.
/// </summary>
public interface IScratchPlatform : IAsyncDisposable
{
    IPlatform Platform { get; }

    /// <summary>The folder the scratch platform keeps everything in (its state, artifacts and data folders).</summary>
    string Root { get; }

    /// <summary>Copies a release's stored artifact from the workspace's store into the scratch one.</summary>
    /// <param name="digest"><c>sha256:</c> and 64 hex digits.</param>
    /// <returns>Its image name in the scratch store (<c>local://LANE@sha256:…</c>).</returns>
    /// <exception cref="OperationException">The workspace's store has no artifact of that digest for the lane.</exception>
    string Import(string lane, string digest);

    /// <summary>Copies the workspace's data folder of a service into the scratch service's (the same environment and name), read only on its side.</summary>
    /// <returns>How many files were copied (0 when the service has no data folder yet).</returns>
    int CopyData(string env, string service);

    /// <summary>The scratch service's data folder (what its revisions and jobs get as <c>DEPLOYMATRIX_DATA_DIR</c>).</summary>
    string DataDir(string env, string service);
}

/// <summary>Opens scratch local platforms (the composition root's; null in a workspace that has none).</summary>
public interface IScratchPlatforms
{
    /// <param name="root">An empty folder the scratch platform keeps everything in.</param>
    Task<IScratchPlatform> OpenAsync(string root, CancellationToken cancellationToken);
}
