namespace DeployMatrix.Core.Model;

/// <summary>
/// What a deploy does with traffic. Every deploy but a <see cref="Direct"/> one first creates the revision with
/// no traffic and its release tag, migrates it (when the migration is mandatory), checks drift and smoke-checks
/// it on its own tag URL; the policy decides what happens after that.
/// </summary>
/// <remarks>
/// Written <c>traffic: immediate | no-traffic | rollout | direct</c> on an environment (its default), a lane (over
/// the environment's) or a target (over both). An environment's <c>no-traffic: true</c> is <see cref="NoTraffic"/>.
/// </remarks>
public enum TrafficPolicy
{
    /// <summary>The deploy ends by giving the new revision 100% of traffic (by its release tag).</summary>
    Immediate,

    /// <summary>The deploy leaves the split as it was; a person moves traffic (<c>traffic</c>, <c>rollout</c>, <c>rollback</c>).</summary>
    NoTraffic,

    /// <summary>
    /// The deploy leaves the split as it was, and the release goes out by <c>rollout</c>: stages with analysis
    /// (<c>rollout --tag</c> deploys and rolls out under one lock). The map and the deploy's plan name the rollout.
    /// </summary>
    Rollout,

    /// <summary>
    /// The revision takes all traffic as it is created — the seed's upstream order (<c>gcloud run deploy … --quiet</c>,
    /// its <c>DEPLOY_NO_TRAFFIC=0</c>), then the migration, drift and smoke checks on the service URL. Nothing checks
    /// the revision before it serves: a failed check leaves it serving and names the rollback. Opt-in per lane or
    /// target; <c>deploy --no-traffic</c> still takes the checked path.
    /// </summary>
    Direct,
}

/// <summary>Traffic policies as the matrix, plans and the map write them.</summary>
public static class TrafficPolicies
{
    public static readonly IReadOnlyDictionary<string, TrafficPolicy> ByName = new Dictionary<string, TrafficPolicy>(StringComparer.Ordinal)
    {
        ["immediate"] = TrafficPolicy.Immediate,
        ["no-traffic"] = TrafficPolicy.NoTraffic,
        ["rollout"] = TrafficPolicy.Rollout,
        ["direct"] = TrafficPolicy.Direct,
    };

    public static string Name(TrafficPolicy policy) => ByName.First(p => p.Value == policy).Key;
}
