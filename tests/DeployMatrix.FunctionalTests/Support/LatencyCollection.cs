namespace DeployMatrix.FunctionalTests.Support;

/// <summary>
/// Tests that roll a canary out under load and judge its latency run one at a time: two such tests side by side
/// saturate two cores, and then a canary with a few percent of the traffic waits for a core on more of its requests
/// than the stable revision does (its threads sleep between requests; stable's rarely do) — latency the machine adds,
/// not the revision. The suite's other tests still run alongside them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class LatencyCollection
{
    public const string Name = "rollouts under load";
}
