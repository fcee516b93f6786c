using DeployMatrix.Local.Proxy;

namespace DeployMatrix.Local.Agent;

public sealed partial class LocalAgent
{
    /// <summary>
    /// Every running revision's endpoint, with the environment and service it serves: the proxy's own counters, the ones
    /// the rollout analysis reads, which <see cref="AgentMetrics"/> exports as they are.
    /// </summary>
    internal IEnumerable<(string Env, string Service, RevisionEndpoint Endpoint)> RunningEndpoints() =>
        _running.Values.Select(r => (r.Serves.Env, r.Serves.Service, r.Endpoint));
}
