using DeployMatrix.Local.Maintenance;
using DeployMatrix.Local.Proxy;

namespace DeployMatrix.Local.Agent;

public sealed partial class LocalAgent
{
    /// <summary>
    /// Puts the service's proxy in or out of maintenance as the state says. The bypass token is read
    /// from its file here, so it never crosses the agent's API; a proxy started later (agent restart)
    /// picks the state up the same way. A missing or damaged token file leaves maintenance on with no
    /// way through (fail closed) until the next <c>maintenance enable</c> writes a new one.
    /// </summary>
    public ServiceView ApplyMaintenance(string env, string service)
    {
        var record = Locked(() => state.FindMaintenance(env, service));
        if (_proxies.TryGetValue(Key(env, service), out var proxy))
        {
            proxy.Maintenance = record is null ? null : new MaintenanceGate(MaintenanceTokenFile.Read(paths.MaintenanceToken(env, service)), $"{env}/{service}", record.Message, record.RetryAfter, time);
        }

        return GetService(env, service) ?? throw new AgentException(404, $"no service {service} in {env}; deploy it first");
    }
}
