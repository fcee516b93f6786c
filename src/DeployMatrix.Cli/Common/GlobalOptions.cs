using System.CommandLine;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Cli.Common;

/// <summary>
/// The options every command accepts, and the executor option of the commands that run plans. One set per
/// command tree: an option knows the commands it belongs to, so trees built side by side (tests running
/// in parallel) never share one.
/// </summary>
internal sealed class GlobalOptions
{
    public GlobalOptions()
    {
        Output.AcceptOnlyFromAmong("text", "json");
        Platform.AcceptOnlyFromAmong([.. PlatformNames.ByName.Keys]);
        Executor.AcceptOnlyFromAmong("api", "gcloud");
    }

    public Option<string?> File { get; } = new("--file", "-f")
    {
        Description = "The matrix file. Default: the nearest deploymatrix.yaml in the current folder or its parents up to the repository root or $HOME (one owned by another user is refused).",
        HelpName = "PATH",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Say which matrix file is used and what happens (gcloud's output as it comes, with --executor gcloud).",
        Recursive = true,
    };

    public Option<string> Output { get; } = new("--output", "-o")
    {
        Description = "Output for people (text) or machines (json: one document on stdout, progress on stderr; its JSON Schema in schema/output/). Commands with nothing to print as a document (render, run, dashboard) refuse json.",
        HelpName = "text|json",
        DefaultValueFactory = _ => "text",
        Recursive = true,
    };

    public Option<string?> Platform { get; } = new("--platform")
    {
        Description = "Run every target on this platform instead of the matrix's: 'local' rehearses Cloud Run lanes on this machine. Default: $DEPLOYMATRIX_PLATFORM, else the matrix.",
        HelpName = "local|cloudrun",
        Recursive = true,
    };

    public Option<bool> NoColor { get; } = new("--no-color")
    {
        Description = "No colour in the output (as the NO_COLOR environment variable with any value asks). Colour is only ever used at a terminal.",
        Recursive = true,
    };

    public Option<int> LockWait { get; } = new("--lock-wait")
    {
        Description = "Seconds to wait when another command holds the same lane and environment, or another execution of the same job runs (default 10).",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 10,
        Recursive = true,
    };

    /// <summary>Added to the commands that may run a job execution (deploy, migrate, rollout).</summary>
    public Option<bool> WaitOnCancel { get; } = new("--wait-on-cancel")
    {
        Description = "On SIGINT/SIGTERM, let a running migration execution finish instead of stopping it; the command still stops before its next step.",
    };

    /// <summary>Added to the commands that change a platform: a change to production asks first at a terminal (<see cref="Confirmation"/>).</summary>
    public Option<bool> Yes { get; } = new("--yes", "-y")
    {
        Description = "Change production without asking. At a terminal a change to production (the gate's 'to' environment, or one named production or prod) asks first; with stdin not a terminal, or CI set, it never asks.",
    };

    /// <summary>Who carries out a Cloud Run plan: Google's APIs (default), or the gcloud CLI as the seed's scripts did. Added to the commands that run plans.</summary>
    public Option<string?> Executor { get; } = new("--executor")
    {
        Description = "For Cloud Run targets: 'api' calls Google's APIs; 'gcloud' runs exactly the gcloud commands 'plan --format shell' prints. Default: $DEPLOYMATRIX_EXECUTOR, else api.",
        HelpName = "api|gcloud",
    };

    public void AddTo(RootCommand root)
    {
        root.Options.Add(File);
        root.Options.Add(Verbose);
        root.Options.Add(Output);
        root.Options.Add(Platform);
        root.Options.Add(LockWait);
        root.Options.Add(NoColor);
        LockWait.Validators.Add(r =>
        {
            // A negative wait would be no wait at all, said silently.
            if (r.GetValueOrDefault<int>() is < 0 or > 86400)
            {
                r.AddError($"--lock-wait {r.GetValueOrDefault<int>()} is out of range; give seconds from 0 (do not wait) to 86400");
            }
        });
    }

    public bool Json(ParseResult result) => result.GetValue(Output) == "json";
}
