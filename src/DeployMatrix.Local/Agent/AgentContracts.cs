using DeployMatrix.Local.Proxy;
using DeployMatrix.Local.Supervisor;

namespace DeployMatrix.Local.Agent;

/// <summary>Where a running agent listens and how to prove you may talk to it (agent.json, mode 0600).</summary>
public sealed record AgentInfo(string Url, string Token, int Pid, string StartedAt, string Root);

/// <param name="Listener">What the service's listener accepts (null: the defaults); a deploy that changes it restarts the listener.</param>
public sealed record CreateRevisionRequest(string Lane, string Env, string Service, int? ListenerPort, string Image, string Digest, string? Tag, LaunchSpec Launch, ListenerSettings? Listener = null);

public sealed record TrafficRequest(IReadOnlyList<TrafficEntry> Splits);

/// <summary>Revisions whose own URL (their port) should close: each is stopped once it serves no traffic.</summary>
public sealed record StopRevisionsRequest(IReadOnlyList<string> Revisions);

public sealed record TrafficEntry(string Revision, int Percent);

public sealed record RevisionView(
    string Name, string Image, string Digest, string? Tag, string Status, string? Reason, int? Port, int? Pid,
    string CreatedAt, string? ReadyAt, int Percent, bool Running, MetricsSnapshot? Metrics);

public sealed record ServiceView(
    string Env, string Service, string Lane, int? ListenerPort, string? Url,
    string? LatestCreatedRevision, string? LatestReadyRevision, string? Image,
    IReadOnlyList<TrafficEntry> Traffic, IReadOnlyList<RevisionView> Revisions, string? MaintenanceSince = null);

public sealed record AgentError(string Error);

/// <summary>A refusal with the HTTP status the API answers and the message the CLI prints.</summary>
public sealed class AgentException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// Starts one execution of a job: its artifact, command and environment. <see cref="Extra"/> are the
/// platform's variables (DEPLOYMATRIX_*); <see cref="DataDir"/> is created first.
/// </summary>
public sealed record StartExecutionRequest(string Env, string Job, string Image, string Digest, LaunchSpec Launch, IReadOnlyDictionary<string, string> Extra, string DataDir);

/// <summary>One execution as the agent reports it; <see cref="Status"/> is running, succeeded, failed or cancelled.</summary>
public sealed record ExecutionView(long Id, string Name, string Env, string Job, string Image, string Status, int? ExitCode, string Log, string StartedAt, string? EndedAt, string? Reason);

/// <summary>Why an execution is stopped (recorded with it).</summary>
public sealed record CancelExecutionRequest(string Reason);
