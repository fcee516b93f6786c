using System.CommandLine;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Cli.Common;

/// <summary>Options shared by the commands that change a target.</summary>
internal static class ExecutionOptions
{
    public static Option<string> Env() => new("--env", "-e") { Description = "The environment (staging, production, …).", HelpName = "ENV", Required = true };

    public static Option<string?> Tag() => new("--tag", "-t") { Description = "The image tag (default: the short git SHA of the matrix's repository).", HelpName = "TAG" };

    public static readonly Option<string?> Platform = new("--platform")
    {
        Description = "Run every target on this platform instead of the matrix's: 'local' rehearses Cloud Run lanes on this machine. Default: $DEPLOYMATRIX_PLATFORM, else the matrix.",
        HelpName = "local|cloudrun",
        Recursive = true,
    };

    static ExecutionOptions()
    {
        Platform.AcceptOnlyFromAmong("local", "cloudrun");
        Executor.AcceptOnlyFromAmong("api", "gcloud");
    }

    public static readonly Option<int> LockWait = new("--lock-wait")
    {
        Description = "Seconds to wait when another command holds the same lane and environment (default 10).",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 10,
        Recursive = true,
    };

    /// <summary>Who carries out a Cloud Run plan: Google's APIs (default), or the gcloud CLI as the seed's scripts did. Added to the commands that run plans.</summary>
    public static readonly Option<string?> Executor = new("--executor")
    {
        Description = "For Cloud Run targets: 'api' calls Google's APIs; 'gcloud' runs exactly the gcloud commands 'plan --format shell' prints. Default: $DEPLOYMATRIX_EXECUTOR, else api.",
        HelpName = "api|gcloud",
    };

    /// <summary>True when the command was asked to run through gcloud.</summary>
    public static bool UsesGcloud(ParseResult result, CliContext context)
    {
        var name = result.GetValue(Executor) ?? context.Env("DEPLOYMATRIX_EXECUTOR");
        return name switch
        {
            null or "" or "api" => false,
            "gcloud" => true,
            _ => throw new UsageException($"DEPLOYMATRIX_EXECUTOR is '{name}'; use api or gcloud"),
        };
    }

    public static PlatformKind? PlatformOf(ParseResult result)
    {
        var name = result.GetValue(Platform) ?? Environment.GetEnvironmentVariable("DEPLOYMATRIX_PLATFORM");
        return name switch
        {
            null or "" => null,
            "local" => PlatformKind.Local,
            "cloudrun" => PlatformKind.CloudRun,
            _ => throw new UsageException($"DEPLOYMATRIX_PLATFORM is '{name}'; use local or cloudrun"),
        };
    }
}
