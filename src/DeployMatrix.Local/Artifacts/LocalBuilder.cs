using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Processes;
using DeployMatrix.State;

namespace DeployMatrix.Local.Artifacts;

/// <summary>Runs a lane's local build command in the matrix's folder and stores what it produced, by content (the engine binds the tag).</summary>
public sealed class LocalBuilder(LocalPaths paths, ArtifactStore store, string matrixDirectory, IProcessRunner processes) : IImageBuilder
{
    /// <value>The default bound for one build is 30 minutes.</value>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(30);

    public async Task<BuildOutcome> BuildAsync(Step step, Action<string> say, CancellationToken cancellationToken)
    {
        var build = step as BuildArtifact ?? throw new PlatformException($"the local platform builds with a local command, not '{step.KindName}'", 2);
        say($"building {build.Lane} ({string.Join(' ', build.Command)}) …");
        var artifact = await BuildAsync(build, cancellationToken);
        var image = ArtifactStore.ImageName(build.Lane, artifact.Digest);
        say($"built {image} ({artifact.Size} bytes)");
        return new BuildOutcome(image, new Dictionary<string, string?>()) { Digest = artifact.Digest };
    }

    /// <exception cref="PlatformException">The command cannot run, fails, runs too long, or leaves no artifact; the message names the log.</exception>
    public async Task<ArtifactRecord> BuildAsync(BuildArtifact step, CancellationToken cancellationToken)
    {
        var log = paths.BuildLog(step.Lane, step.Tag);
        if (File.Exists(log))
        {
            File.Delete(log);
        }

        ProcessResult result;
        try
        {
            // The build command is the operator's own tool: it keeps the operator's environment (registry
            // logins, toolchains); only what the build produces runs as a revision, on a clean environment.
            result = await processes.RunAsync(new ProcessSpec
            {
                Program = step.Command[0],
                Args = [.. step.Command.Skip(1)],
                WorkingDirectory = matrixDirectory,
                LogPath = log,
                Capture = false,
                Timeout = Timeout,
            }, cancellationToken);
        }
        catch (ProcessStartException e)
        {
            throw new PlatformException($"cannot run the build command '{step.Command[0]}' of lane {step.Lane}: {e.Reason}");
        }

        if (result.TimedOut)
        {
            throw new PlatformException($"the build of lane {step.Lane} did not finish within {Timeout.TotalMinutes:0} minutes; log: {log}");
        }

        if (result.ExitCode != 0)
        {
            throw new PlatformException($"the build of lane {step.Lane} failed with exit code {result.ExitCode}; log: {log}");
        }

        var artifact = Path.Combine(matrixDirectory, step.Artifact);
        if (!File.Exists(artifact))
        {
            throw new PlatformException($"the build of lane {step.Lane} succeeded but did not produce {step.Artifact}; check 'build.local.artifact' in the matrix");
        }

        return store.Store(step.Lane, artifact);
    }
}
