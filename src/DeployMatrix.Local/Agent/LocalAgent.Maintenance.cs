using DeployMatrix.Local.Proxy;

namespace DeployMatrix.Local.Agent;

public sealed partial class LocalAgent
{
    /// <summary>
    /// Puts the service's proxy in or out of maintenance as the state says. The bypass token is read
    /// from its file here, so it never crosses the agent's API; a proxy started later (agent restart)
    /// picks the state up the same way.
    /// </summary>
    public ServiceView ApplyMaintenance(string env, string service)
    {
        var record = Locked(() => state.FindMaintenance(env, service));
        if (_proxies.TryGetValue(Key(env, service), out var proxy))
        {
            proxy.Maintenance = record is null ? null : new MaintenanceGate(ReadToken(env, service), $"{env}/{service}", record.Message, record.RetryAfter, time);
        }

        return GetService(env, service) ?? throw new AgentException(404, $"no service {service} in {env}; deploy it first");
    }

    private string ReadToken(string env, string service)
    {
        var path = paths.MaintenanceToken(env, service);
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException e)
        {
            throw new AgentException(409, $"the maintenance bypass token of {service} ({env}) is unreadable ({e.Message}); run: deploymatrix maintenance enable again");
        }
    }
}
