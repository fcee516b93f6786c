using System.CommandLine;
using DeployMatrix.Cli.Common;
using DeployMatrix.Engine.Operations;

namespace DeployMatrix.Cli.Commands;

/// <summary><c>deploymatrix deploy LANE --env ENV [--tag TAG] [--no-traffic] [--skip-verify --reason TEXT]</c>.</summary>
internal static class DeployCommand
{
    public static Command Create(CliContext context)
    {
        var tag = ExecutionOptions.Tag();
        var noTraffic = new Option<bool>("--no-traffic") { Description = "Create the revision without moving traffic, whatever the target's traffic policy says." };
        var gate = new GateOverrideOptions("Deploy to the gate's target environment without a passing gate for this tag; needs --reason, and is recorded.",
            "Deploy without running the lane's verify checks for the environment (its 'verify'); needs --reason, is audited, and the receipt and deploy report say so.");
        var freeze = new FreezeOptions();
        return ChangeCommand.Create(context, "deploy", "Deploy a new revision of the lane's image. First the preflight, which changes nothing and stops the deploy (exit 1) naming the fix: the image exists (Cloud Run: in Artifact Registry; locally: in the artifact store), the service exists, the caller holds the permissions the deploy needs, and the lane's 'requires' variables are set. Then the lane's verify checks for the environment (its 'verify'; a failure stops here, nothing changed). Then the revision starts with no traffic and the release tag dm-TAG (its own URL): wait for readiness, verify it runs the requested image, run a mandatory migration and the drift check, smoke-check it on its own URL, then, by the target's traffic policy, give it all traffic (immediate, the default) or leave traffic where it was (no-traffic, or rollout: move it with 'rollout'; production's default in the example). Then remove release tags beyond the newest release-tags.keep releases (default 5). A target with traffic: direct (opt-in, less safe: upstream's order) deploys as gcloud run deploy without --no-traffic: the deploy itself gives the revision all traffic, untagged, then the migration and smoke checks run on the service URL, with no traffic step; a failure there leaves the revision serving, exits 1 and names the rollback (deploymatrix rollback LANE --env ENV). The gate's target environment takes only tags that passed the gate.",
            "The lane to deploy.", [tag, noTraffic, .. gate.All, freeze.Unfreeze, freeze.ChangeTicket, context.Options.WaitOnCancel], (result, options) =>
            {
                var changes = options with { GateOverride = gate.Read(result), SkipVerify = gate.SkipVerifyReason(result), ChangeTicket = freeze.Ticket(result) };
                var (validTag, withoutTraffic) = (ExecutionOptions.ValidTag(result.GetValue(tag)), result.GetValue(noTraffic));
                return (ws, lane, env, region, reporter, waves, ct) => new DeployOperation(ws).RunWavesAsync(lane, env, region, validTag, withoutTraffic, changes, reporter, waves, ct);
            });
    }
}
