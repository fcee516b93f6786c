using System.Diagnostics;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Platform;
using DeployMatrix.State;

namespace DeployMatrix.Local.Artifacts;

/// <summary>Runs a lane's local build command in the matrix's folder and stores what it produced.</summary>
public sealed class LocalBuilder(LocalPaths paths, ArtifactStore store, string matrixDirectory)
{
    public async Task<ArtifactRecord> BuildAsync(BuildArtifact step, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var log = paths.BuildLog(step.Lane, step.Tag);
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        var start = new ProcessStartInfo(step.Command[0])
        {
            WorkingDirectory = matrixDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in step.Command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = new Process { StartInfo = start };
        await using var writer = new StreamWriter(log, append: false);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new PlatformException($"cannot run the build command '{step.Command[0]}' of lane {step.Lane}: {e.Message}");
        }

        var output = Pump(process.StandardOutput, writer);
        var errors = Pump(process.StandardError, writer);
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timer.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new PlatformException($"the build of lane {step.Lane} did not finish within {timeout.TotalMinutes:0} minutes; log: {log}");
        }

        await Task.WhenAll(output, errors);
        if (process.ExitCode != 0)
        {
            throw new PlatformException($"the build of lane {step.Lane} failed with exit code {process.ExitCode}; log: {log}");
        }

        var artifact = Path.Combine(matrixDirectory, step.Artifact);
        if (!File.Exists(artifact))
        {
            throw new PlatformException($"the build of lane {step.Lane} succeeded but did not produce {step.Artifact}; check 'build.local.artifact' in the matrix");
        }

        return store.Store(step.Lane, step.Tag, artifact);
    }

    private static async Task Pump(StreamReader reader, StreamWriter writer)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (writer)
            {
                writer.WriteLine(line);
            }
        }
    }
}
