using DeployMatrix.Core;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Workspaces;
using DeployMatrix.State;

namespace DeployMatrix.Engine.Releases;

/// <summary>
/// A tag names one content: once built for a lane on a platform it is bound to the digest the build
/// made, and only an audited <c>--force-retag --reason</c> re-points it — which voids every gate verdict
/// given for the tag, since what the gate checked is no longer what the tag names. Cloud Build pushes
/// the tag to the registry as part of the build, so there a bound tag is refused before the build runs:
/// afterwards the registry's tag would already name other content.
/// </summary>
public sealed class TagRules(Workspace ws, PlatformKind platform, string lane, string tag)
{
    private readonly string _platform = PlatformNames.Name(platform);

    /// <summary>Refuses, before anything runs, a Cloud Build that would push a bound tag again.</summary>
    /// <param name="image">The image the build pushes (<c>IMAGE:TAG</c>); null on the local platform, whose tags live only here.</param>
    /// <exception cref="OperationException">The tag is bound (exit 2), naming its digest and the way forward.</exception>
    public void RefuseRebuildOnRegistry(string? image)
    {
        if (image is null || ws.State.FindTag(_platform, lane, tag) is not { } bound)
        {
            return;
        }

        throw new OperationException(
            $"tag {tag} of lane {lane} is bound to {Content(bound)} since {bound.BoundAt}; a new build would push other content as {image} — build another tag, or re-point this one with --force-retag --reason \"…\" (voids the tag's gate verdicts)",
            ExitCodes.BadInput);
    }

    /// <summary>Binds the tag to what the build made, or re-points it when <paramref name="retagReason"/> is given.</summary>
    /// <param name="inputs">The build's audit inputs; the re-tag's facts are added.</param>
    /// <returns>A line for people saying what the tag names now.</returns>
    /// <exception cref="OperationException">The tag is bound to other content and no reason was given (exit 2, naming both digests).</exception>
    public string Bind(BuildOutcome outcome, string? retagReason, IDictionary<string, string?> inputs)
    {
        var image = outcome.Image;
        var earlier = ws.State.FindTag(_platform, lane, tag);
        if (retagReason is not null && earlier is not null && earlier.Digest != outcome.Digest)
        {
            var voided = ws.State.RebindTag(_platform, lane, tag, outcome.Digest, image, $"re-tagged {Content(earlier)} -> {outcome.Digest ?? image}: {retagReason}");
            inputs["retagged_from"] = earlier.Digest ?? earlier.Image;
            inputs["voided_verdicts"] = voided.ToString(System.Globalization.CultureInfo.InvariantCulture);
            ws.Recorder.Record("retag", lane, null, new Dictionary<string, string?>
            {
                ["tag"] = tag, ["platform"] = _platform, ["from"] = earlier.Digest ?? earlier.Image, ["to"] = outcome.Digest ?? image,
                ["reason"] = retagReason, ["voided_verdicts"] = inputs["voided_verdicts"],
            }, "recorded", detail: $"tag {tag}: {retagReason}");
            return $"tag {tag} re-pointed from {Content(earlier)} to {outcome.Digest ?? image}; {voided} gate verdict(s) for it voided";
        }

        var bound = ws.State.BindTag(_platform, lane, tag, outcome.Digest, image);
        if (bound.Digest != outcome.Digest)
        {
            throw new OperationException(
                $"tag {tag} of lane {lane} is bound to {Content(bound)} (since {bound.BoundAt}), and this build made {outcome.Digest ?? "content of unknown digest"}; a tag names one content — build another tag, or re-point this one with --force-retag --reason \"…\" (voids the tag's gate verdicts)",
                ExitCodes.BadInput);
        }

        return bound.BoundAt == earlier?.BoundAt
            ? $"tag {tag} already names {Content(bound)}"
            : $"tagged {tag}: {Content(bound)}";
    }

    private static string Content(TagBinding binding) => binding.Digest ?? $"{binding.Image} (digest unknown)";
}
