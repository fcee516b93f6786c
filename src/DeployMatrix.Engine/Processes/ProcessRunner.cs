namespace DeployMatrix.Engine.Processes;

/// <summary>Starts child processes and runs them to the end; the one way DeployMatrix runs another program.</summary>
public interface IProcessRunner
{
    /// <summary>Starts a child that runs until it exits or is stopped (a revision, an agent's job).</summary>
    /// <exception cref="ProcessStartException">The program cannot be run.</exception>
    ChildProcess Start(ProcessSpec spec);

    /// <summary>
    /// Runs a child to its end. Past <see cref="ProcessSpec.Timeout"/> it is stopped and the result says
    /// <see cref="ProcessEnd.TimedOut"/>; when <paramref name="cancellationToken"/> fires it is stopped the
    /// same way and <see cref="OperationCanceledException"/> is thrown.
    /// </summary>
    /// <exception cref="ProcessStartException">The program cannot be run.</exception>
    Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken);
}

/// <summary>Child processes on this machine, timed with the injected clock.</summary>
public sealed class ProcessRunner(TimeProvider time) : IProcessRunner
{
    public ChildProcess Start(ProcessSpec spec) => ChildProcess.Start(spec);

    public async Task<ProcessResult> RunAsync(ProcessSpec spec, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        await using var child = ChildProcess.Start(spec);
        using var timer = spec.Timeout is { } timeout ? new CancellationTokenSource(timeout, time) : new CancellationTokenSource();
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);

        var end = ProcessEnd.Exited;
        int code;
        try
        {
            code = await child.Exited.WaitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            code = await child.StopAsync(spec.StopGrace);
            cancellationToken.ThrowIfCancellationRequested();
            end = ProcessEnd.TimedOut;
        }

        return new ProcessResult(code, child.Stdout, child.Stderr, time.GetElapsedTime(started), end);
    }
}
