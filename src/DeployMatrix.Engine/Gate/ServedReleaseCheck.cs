using System.Globalization;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Platform;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Gate;

/// <summary>
/// The gate's first question: does the 'from' environment run what the tag names? For every gated lane
/// (a lane some check of the gate names in the 'from' environment) the stable revision there must serve
/// 100% of traffic and run the tag's content — by digest, or by image where a digest is unknown. Its
/// answer is a required check in the evidence, and what it found is what the verdict is stored against.
/// </summary>
internal static class ServedReleaseCheck
{
    /// <summary>
    /// The lanes the gate vouches for: those its checks name in the 'from' environment, in the matrix's order — each
    /// with the region a check names where the lane runs in several there (each such region is checked), else null.
    /// </summary>
    public static IReadOnlyList<(string Lane, string? Region)> GatedLanes(GateConfig gate, Matrix matrix)
    {
        var named = gate.Checks.Select(c => c.Spec.LaneRef).OfType<(string Lane, string Env, string? Region, Core.Diagnostics.SourcePos Pos)>()
            .Where(r => r.Env == gate.From).Select(r => (r.Lane, r.Region)).Distinct().ToList();
        return [.. matrix.Lanes.SelectMany(l => named.Where(n => n.Lane == l.Name).OrderBy(n => n.Region, StringComparer.Ordinal))];
    }

    public static string IdOf(string lane, string? region = null) => region is null ? $"serves-tag-{lane}" : $"serves-tag-{lane}-{region}";

    /// <summary>Checks one lane; throws <see cref="CheckFailed"/> / <see cref="CheckSkipped"/> like any check.</summary>
    /// <returns>The passing detail, and the release the verdict is stored against.</returns>
    public static async Task<(string Detail, GateRelease Release)> RunAsync(string lane, string? region, string fromEnv, string tag, GateServices services, CheckContext context, CancellationToken ct)
    {
        var target = services.Resolve(lane, fromEnv, region);
        var from = target.Where; // as people read it: "staging", or "staging, us-east1"
        var platform = services.Platform ?? throw new CheckSkipped($"no platform to read what {from} runs");
        var content = services.ContentOf(target, tag);
        context.Log($"tag {tag} of {lane} on {PlatformNames.Name(target.Platform)}: {content?.ToString() ?? "never built here"}");
        var service = await platform.GetServiceAsync(target, ct);
        var serving = service.Traffic.Where(t => t.Percent > 0).ToList();
        string Describe(TrafficAssignment t)
        {
            var r = service.Revisions.FirstOrDefault(x => x.Name == t.Revision);
            return string.Create(CultureInfo.InvariantCulture, $"{t.Revision} (tag {r?.Tag ?? "?"}, {r?.Digest ?? r?.Image ?? "?"})={t.Percent}%");
        }

        context.Log($"{target.Service} ({from}) serves: {(serving.Count == 0 ? "nothing" : string.Join(", ", serving.Select(Describe)))}");
        if (serving.Count == 0)
        {
            throw new CheckFailed($"{target.Service} ({from}) serves nothing; deploy {lane} there with tag {tag} first");
        }

        if (serving is not [{ Percent: 100 } only])
        {
            throw new CheckFailed($"{target.Service} ({from}) splits traffic {string.Join(", ", serving.Select(Describe))}; the gate approves only a release serving 100%");
        }

        var revision = service.Revisions.FirstOrDefault(r => r.Name == only.Revision);
        if (content is null)
        {
            throw new CheckFailed($"tag {tag} was never built for {lane} on {PlatformNames.Name(target.Platform)}; {target.Service} ({from}) runs {Describe(only)}");
        }

        if (revision is null || !content.SameAs(revision.Digest, revision.Image))
        {
            throw new CheckFailed($"{target.Service} ({from}) runs {Describe(only)}, not tag {tag} ({content}); deploy it there first");
        }

        var release = new GateRelease(lane, fromEnv, revision.Name, revision.Digest ?? content.Digest, revision.Image);
        return ($"{revision.Name} serves 100% with tag {tag} ({content})", release);
    }
}
