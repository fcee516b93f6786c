using DeployMatrix.Cli.Common;
using DeployMatrix.CloudRun;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Git;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Processes;
using DeployMatrix.Local;
using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Artifacts;
using DeployMatrix.Local.Platform;
using DeployMatrix.State;

namespace DeployMatrix.Cli.Composition;

/// <summary>
/// Opens the platforms an operation asks for: this machine's agent, or Cloud Run through Google's APIs
/// with credentials from the environment. The journal, receipts, gates, audit log and rollouts stay in the
/// matrix folder's state either way.
/// </summary>
internal sealed class Platforms(string matrixDirectory, LocalPaths paths, StateStore state, IProcessRunner processes, CliContext context) : IPlatformProvider, IDisposable
{
    private readonly List<IDisposable> _opened = [];

    public async Task<IPlatform> OpenAsync(PlatformKind kind, CancellationToken cancellationToken)
    {
        if (kind == PlatformKind.CloudRun)
        {
            return await CloudRunConnection.PlatformAsync(context.Env, context.Time, cancellationToken);
        }

        var agent = await AgentClient.ConnectAsync(paths, cancellationToken)
            ?? throw new PlatformException($"the local agent is not running for {MatrixSource.Display(matrixDirectory, context)}; start it with: deploymatrix agent start");
        _opened.Add(agent);
        return new LocalPlatform(paths, state, new ArtifactStore(paths, state), agent, context.Time, matrixDirectory);
    }

    public async Task<IImageBuilder> BuilderAsync(PlatformKind kind, CancellationToken cancellationToken) => kind == PlatformKind.CloudRun
        ? await CloudRunConnection.BuilderAsync(context.Env, context.Time, matrixDirectory, new GitInfo(processes), cancellationToken)
        : new LocalBuilder(paths, new ArtifactStore(paths, state), matrixDirectory, processes);

    public void Dispose()
    {
        foreach (var opened in _opened)
        {
            opened.Dispose();
        }
    }
}
