using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Rollout;

/// <summary>
/// The traffic tag a rollout gives a canary that has none, so its 0% stage can check it on a URL that reaches
/// only it. Cloud Run reaches a single revision only through a traffic tag (Run Admin API v2,
/// <c>TrafficTarget.tag</c>); a revision deployed outside DeployMatrix may have none. A local revision has its own port.
/// </summary>
public static class CanaryTag
{
    /// <summary>
    /// Null when the canary already has a tag (any: a team's reaches it as well) or is not on Cloud Run. Else a
    /// release tag by Cloud Run's rules (<see cref="TrafficTags.For"/>): <c>dm-</c> and the canary's release tag —
    /// the one it was deployed with, else its image's tag when it is the latest created revision (whose image the
    /// service's template holds; revisions report digests) — or, without one or when another revision has that tag,
    /// the canary's name after the service's (<c>dm-00042-xyz</c>), which no other revision can have.
    /// </summary>
    public static string? ToGive(ResolvedTarget target, ServiceStatus service, string canary)
    {
        if (target.Platform != PlatformKind.CloudRun || service.Tags.Any(t => t.Revision == canary))
        {
            return null;
        }

        var revision = service.Revisions.FirstOrDefault(r => r.Name == canary);
        var release = revision?.Tag
            ?? (service.LatestCreatedRevision == canary && service.Image is { } image ? ImageReference.Parse(image).Tag : null);
        if (release is not null && TrafficTags.For(target.Service, release) is var named && !service.Tags.Any(t => t.Tag == named))
        {
            return named;
        }

        var suffix = canary.StartsWith(target.Service + "-", StringComparison.Ordinal) ? canary[(target.Service.Length + 1)..] : canary;
        return TrafficTags.For(target.Service, suffix);
    }
}
