using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeployMatrix.CloudRun.Api;

// The parts of Cloud Run Admin API v2 messages (google.cloud.run.v2) this platform reads and writes.
// Property names are the API's JSON names; the tests check them against Google's definitions.
// Messages that are read, changed and sent back keep every field this code does not name
// (Extra): a deploy changes the image, never the service's scaling, env or service account.

public sealed record RunService
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    public string? Name { get; init; }

    public long? Generation { get; init; }

    public RevisionTemplate? Template { get; init; }

    public IReadOnlyList<TrafficTarget>? Traffic { get; init; }

    public long? ObservedGeneration { get; init; }

    public string? LatestReadyRevision { get; init; }

    public string? LatestCreatedRevision { get; init; }

    public IReadOnlyList<TrafficTargetStatus>? TrafficStatuses { get; init; }

    public string? Uri { get; init; }

    /// <summary>Every URL that serves the service (the deterministic one and <see cref="Uri"/>); output only.</summary>
    public IReadOnlyList<string>? Urls { get; init; }

    /// <summary>True when Cloud Run lets every caller in without its invoker IAM check (<c>--no-invoker-iam-check</c>).</summary>
    public bool? InvokerIamDisabled { get; init; }

    public bool? Reconciling { get; init; }

    public string? Etag { get; init; }

    public RunCondition? TerminalCondition { get; init; }
}

public sealed record RevisionTemplate
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    public string? Revision { get; init; }

    /// <summary>The identity the revisions run as; unset means the project's default compute service account.</summary>
    public string? ServiceAccount { get; init; }

    /// <summary>Metadata Cloud Run keeps on the revisions made from this template (DeployMatrix writes the tag a revision was deployed with).</summary>
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public IReadOnlyList<RunContainer>? Containers { get; init; }
}

public sealed record RunContainer
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    public string? Name { get; init; }

    public string? Image { get; init; }

    public IReadOnlyList<string>? Command { get; init; }

    public IReadOnlyList<string>? Args { get; init; }

    public IReadOnlyList<EnvVar>? Env { get; init; }
}

/// <summary>A container's environment variable: a literal value, or a reference to a Secret Manager secret.</summary>
public sealed record EnvVar
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    public required string Name { get; init; }

    public string? Value { get; init; }

    public EnvVarSource? ValueSource { get; init; }
}

public sealed record EnvVarSource(SecretKeySelector? SecretKeyRef);

/// <summary>A secret by name (or full resource name) and version (a number or <c>latest</c>).</summary>
public sealed record SecretKeySelector(string Secret, string? Version);

public sealed record TrafficTarget
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    public const string ToLatest = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST";
    public const string ToRevision = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION";

    public string? Type { get; init; }

    public string? Revision { get; init; }

    public int? Percent { get; init; }

    public string? Tag { get; init; }
}

public sealed record TrafficTargetStatus
{
    public string? Type { get; init; }

    public string? Revision { get; init; }

    public int? Percent { get; init; }

    public string? Tag { get; init; }

    /// <summary>The tag's own URL (<c>https://TAG---SERVICE-….run.app</c>), for a tagged entry.</summary>
    public string? Uri { get; init; }
}

public sealed record RunCondition
{
    public string? Type { get; init; }

    public string? State { get; init; }

    public string? Message { get; init; }

    public string? Reason { get; init; }

    /// <summary>Why an execution's condition is as it is (<c>CANCELLED</c>, <c>NON_ZERO_EXIT_CODE</c>…; Run Admin API v2, Condition.execution_reason).</summary>
    public string? ExecutionReason { get; init; }
}

public sealed record RunRevision
{
    public string? Name { get; init; }

    /// <summary>The annotations of the template the revision was made from.</summary>
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public string? CreateTime { get; init; }

    public IReadOnlyList<RunContainer>? Containers { get; init; }

    public IReadOnlyList<RunCondition>? Conditions { get; init; }

    public string? LogUri { get; init; }

    /// <summary>The identity it runs as (output: the template's, or the default compute service account).</summary>
    public string? ServiceAccount { get; init; }
}

public sealed record ListRevisionsResponse
{
    public IReadOnlyList<RunRevision>? Revisions { get; init; }

    public string? NextPageToken { get; init; }
}

/// <summary>google.longrunning.Operation: the answer to every mutation; poll until <see cref="Done"/>.</summary>
public sealed record Operation
{
    public string? Name { get; init; }

    public bool Done { get; init; }

    public OperationError? Error { get; init; }

    /// <summary>What the operation is about while it runs: for <c>jobs:run</c> the Execution it started (operation_info metadata_type).</summary>
    public JsonElement? Metadata { get; init; }

    public JsonElement? Response { get; init; }
}

public sealed record OperationError(int Code, string? Message);

public sealed record RunJob
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    public string? Name { get; init; }

    public ExecutionTemplate? Template { get; init; }

    public ExecutionReference? LatestCreatedExecution { get; init; }

    public string? Etag { get; init; }
}

public sealed record ExecutionTemplate
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    public int? TaskCount { get; init; }

    public TaskTemplate? Template { get; init; }
}

public sealed record TaskTemplate
{
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    public IReadOnlyList<RunContainer>? Containers { get; init; }

    public int? MaxRetries { get; init; }
}

public sealed record ExecutionReference
{
    public string? Name { get; init; }

    public string? CreateTime { get; init; }

    public string? CompletionTime { get; init; }

    public string? CompletionStatus { get; init; }
}

public sealed record RunExecution
{
    public string? Name { get; init; }

    public string? Job { get; init; }

    public string? CreateTime { get; init; }

    public string? CompletionTime { get; init; }

    public TaskTemplate? Template { get; init; }

    /// <summary>How many tasks the execution runs (Execution.task_count); each must succeed for it to succeed.</summary>
    public int? TaskCount { get; init; }

    public int? RunningCount { get; init; }

    public int? SucceededCount { get; init; }

    public int? FailedCount { get; init; }

    /// <summary>Task attempts that failed and were retried (Execution.retried_count).</summary>
    public int? RetriedCount { get; init; }

    /// <summary>Tasks that reached phase Cancelled (Run Admin API v2, Execution.cancelled_count).</summary>
    public int? CancelledCount { get; init; }

    public IReadOnlyList<RunCondition>? Conditions { get; init; }

    public string? LogUri { get; init; }
}

/// <summary>google.cloud.run.v2.CancelExecutionRequest: the body of <c>executions/*:cancel</c> (its name is in the path).</summary>
public sealed record CancelExecutionRequest
{
    public string? Name { get; init; }
}

public sealed record RunJobRequest
{
    public string? Name { get; init; }
}

/// <summary>google.iam.v1.TestIamPermissionsRequest and TestIamPermissionsResponse: both a list of permissions (the response's, those held).</summary>
public sealed record TestIamPermissionsMessage(IReadOnlyList<string>? Permissions);
