using DeployMatrix.Cli.Common;
using DeployMatrix.CloudRun.Gcloud;
using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Execution;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Local;
using DeployMatrix.Local.Agent;
using DeployMatrix.Local.Artifacts;
using DeployMatrix.Local.Platform;
using DeployMatrix.State;

namespace DeployMatrix.Cli.Local;

/// <summary>Everything a mutating command needs on the local platform: the store, artifacts, the agent and the executor.</summary>
internal sealed class LocalSession : IDisposable
{
    private LocalSession(Matrix matrix, LocalPaths paths, StateStore state, CliContext context)
    {
        Matrix = matrix;
        Paths = paths;
        State = state;
        Context = context;
        Artifacts = new ArtifactStore(paths, state);
    }

    public Matrix Matrix { get; }

    public LocalPaths Paths { get; }

    public StateStore State { get; }

    public ArtifactStore Artifacts { get; }

    public CliContext Context { get; }

    public AgentClient? Agent { get; private set; }

    public static LocalSession Open(Matrix matrix, CliContext context)
    {
        var paths = LocalPaths.For(matrix.BaseDirectory);
        return new LocalSession(matrix, paths, StateStore.Open(paths.StateDb, context.Time), context);
    }

    /// <summary>The running agent, or a one-line error with the fix.</summary>
    public async Task<AgentClient> RequireAgentAsync(CancellationToken cancellationToken)
    {
        Agent ??= await AgentClient.ConnectAsync(Paths, cancellationToken)
            ?? throw new CommandFailure($"the local agent is not running for {MatrixSource.Display(Matrix.BaseDirectory, Context)}; start it with: deploymatrix agent start", ExitCodes.Failed);
        return Agent;
    }

    /// <param name="gcloud">Run a Cloud Run plan by invoking gcloud (the commands 'plan --format shell' prints) instead of calling the APIs.</param>
    public async Task<PlanExecutor> ExecutorAsync(PlatformKind kind, bool gcloud, CancellationToken cancellationToken)
    {
        var receipts = new ReceiptWriter(Paths.Receipts, Context.Time);
        if (!gcloud)
        {
            return new(await PlatformAsync(kind, cancellationToken), State, Context.Time, receipts, new ConsoleReporter(Context.Out));
        }

        return kind == PlatformKind.CloudRun
            ? new(new GcloudStepRunner(new GcloudProcess(Matrix.BaseDirectory, Context.Env).RunAsync), State, Context.Time, receipts, new ConsoleReporter(Context.Out))
            : throw new UsageException("--executor gcloud carries out Cloud Run targets; this one is on the local platform (drop --executor, or add --platform cloudrun)");
    }

    /// <summary>
    /// The platform a plan runs on: this machine's agent, or Cloud Run through Google's APIs. The
    /// journal, receipts, gates, audit log and rollouts stay in this folder's state either way.
    /// </summary>
    public async Task<IPlatform> PlatformAsync(PlatformKind kind, CancellationToken cancellationToken) => kind == PlatformKind.CloudRun
        ? await CloudRun.CloudRunConnection.PlatformAsync(Context.Env, Context.Time, cancellationToken)
        : new LocalPlatform(Matrix, Paths, State, Artifacts, await RequireAgentAsync(cancellationToken), Context.Time);

    /// <summary>
    /// Runs <paramref name="work"/> holding the lane+environment lock, so two CLIs never mutate the same
    /// target at once: the second waits up to <paramref name="wait"/>, then fails naming the holder.
    /// </summary>
    public async Task<T> WithLockAsync<T>(string lane, string env, string action, TimeSpan wait, Func<Task<T>> work)
    {
        var scope = $"{lane}/{env}";
        var holder = $"{Environment.UserName} {action} {lane} --env {env}";
        var deadline = Context.Time.GetUtcNow() + wait;
        string? heldBy;
        while ((heldBy = State.TryLock(scope, holder)) is not null)
        {
            if (Context.Time.GetUtcNow() >= deadline)
            {
                throw new CommandFailure($"{lane} in {env} is locked by {heldBy}; wait for it to finish and try again", ExitCodes.Failed);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), Context.Time);
        }

        try
        {
            return await work();
        }
        finally
        {
            State.Unlock(scope);
        }
    }

    public static string Actor => Environment.UserName;

    public void Dispose()
    {
        Agent?.Dispose();
        State.Dispose();
    }
}

/// <summary>A command that ran and failed; the message is printed as one line and the command exits with <see cref="ExitCode"/>.</summary>
internal sealed class CommandFailure(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Prints each step as it runs: "[2/7] verify that … ok".</summary>
internal sealed class ConsoleReporter(TextWriter output) : IExecutionReporter
{
    public void StepStarted(int index, int count, string description) => output.Write($"[{index}/{count}] {description} … ");

    public void StepFinished(StepOutcome outcome) =>
        output.WriteLine(outcome.Ok ? $"ok{(outcome.Detail is null ? "" : $" ({outcome.Detail})")}" : "FAILED");
}
