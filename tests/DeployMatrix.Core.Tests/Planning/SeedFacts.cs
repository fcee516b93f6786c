namespace DeployMatrix.Core.Tests.Planning;

/// <summary>
/// Command lines, names and paths copied from the seed deploy map (shared/seed/RUST_SERVICE_DEPLOY_MATRIX.md)
/// and the upstream scripts it names. The example matrix must reproduce every one of them.
/// </summary>
internal static class SeedFacts
{
    public const string Project = "openagentsgemini";
    public const string Region = "us-central1";
    public const string ControlImage = "us-central1-docker.pkg.dev/openagentsgemini/openagents-control-service/control:<TAG>";
    public const string RuntimeImage = "us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:<TAG>";
    public const string ControlBuildConfig = "apps/openagents.com/service/deploy/cloudbuild.yaml";
    public const string RuntimeBuildConfig = "apps/runtime/deploy/cloudbuild.yaml";
    public const string StagingRunbook = "apps/openagents.com/service/docs/STAGING_DEPLOY_RUNBOOK.md";
    public const string GateDoc = "docs/RUST_STAGING_PROD_VALIDATION.md";
    public const string LightningOpsCommand = "cargo run --manifest-path apps/lightning-ops/Cargo.toml -- <command>";
    public const string WalletExecutorCommand = "cargo run --manifest-path apps/lightning-wallet-executor/Cargo.toml -- serve";

    public static readonly string[] CanonicalLanes =
        ["openagents-control-service", "openagents-control-service-staging", "runtime", "lightning-ops", "lightning-wallet-executor"];

    public static readonly string[] LegacyLanes = ["openagents-web", "openagents-migrate"];

    public static readonly string[] ForbiddenCommands = ["php artisan", "mix test"];

    public static readonly string[] ArchivedPaths =
        ["apps/openagents.com/deploy/archived-laravel/", "apps/openagents.com/docs/archived/legacy-laravel-deploy/"];

    /// <summary>The seed's build line with the tag substituted as the shell would (<c>_TAG=$(git rev-parse --short HEAD)</c>).</summary>
    public static string BuildLine(string config, string tag) => $"gcloud builds submit --config {config} --substitutions _TAG={tag} .";

    public static string[] Everything =>
    [
        Project, Region, ControlImage, RuntimeImage, ControlBuildConfig, RuntimeBuildConfig, StagingRunbook, GateDoc,
        LightningOpsCommand, WalletExecutorCommand, "runtime-migrate", .. CanonicalLanes, .. LegacyLanes, .. ForbiddenCommands, .. ArchivedPaths,
        BuildLine(ControlBuildConfig, "<TAG>"), BuildLine(RuntimeBuildConfig, "<TAG>"),
    ];
}
