namespace DeployMatrix.Core.Model;

/// <summary>
/// How an environment's several targets (its regions) are carried out by a command that names the environment:
/// one wave per target.
/// </summary>
public enum WaveOrder
{
    /// <summary>
    /// One target after another, in the order written: each wave finishes (deploy, migration, smoke, rollout)
    /// before the next starts, and a failure leaves the waves behind it untouched.
    /// </summary>
    Sequential,

    /// <summary>Every target at once; each succeeds or fails on its own.</summary>
    Parallel,
}

public static class WaveOrders
{
    public static readonly IReadOnlyDictionary<string, WaveOrder> ByName = new Dictionary<string, WaveOrder>(StringComparer.Ordinal)
    {
        ["sequential"] = WaveOrder.Sequential,
        ["parallel"] = WaveOrder.Parallel,
    };

    public static string Name(WaveOrder order) => ByName.First(p => p.Value == order).Key;
}
