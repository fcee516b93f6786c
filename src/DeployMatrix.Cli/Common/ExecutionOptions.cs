using System.CommandLine;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Engine.Operations;

namespace DeployMatrix.Cli.Common;

/// <summary>Options shared by the commands that change a target.</summary>
internal static class ExecutionOptions
{
    public static Option<string> Env() => new("--env", "-e") { Description = "The environment (staging, production, …).", HelpName = "ENV", Required = true };

    /// <summary><c>--region</c>: one region of an environment that runs in several (default: all of them, as waves).</summary>
    public static Option<string?> Region() => new("--region") { Description = "One region of an environment that runs in several (default: every region, in the environment's order: sequential waves, or all at once when it says order: parallel).", HelpName = "REGION" };

    public static Option<string?> Tag() => new("--tag", "-t") { Description = "The image tag (default: the short git SHA of the matrix's repository).", HelpName = "TAG" };

    /// <summary>The tag a user gave, checked against the OCI tag grammar; null when none was given.</summary>
    public static string? ValidTag(string? tag) =>
        tag is not null && ImageTags.Validate(tag) is { } error ? throw new UsageException(error) : tag;

    /// <summary>How a change runs: through gcloud when asked (<c>--executor</c>, <c>$DEPLOYMATRIX_EXECUTOR</c>).</summary>
    public static ChangeOptions Change(ParseResult result, CliContext context) => new()
    {
        Gcloud = UsesGcloud(result, context),
        WaitOnCancel = result.CommandResult.Command.Options.Contains(context.Options.WaitOnCancel) && result.GetValue(context.Options.WaitOnCancel),
    };

    /// <summary>True when the command was asked to run through gcloud.</summary>
    public static bool UsesGcloud(ParseResult result, CliContext context)
    {
        var name = result.GetValue(context.Options.Executor) ?? context.Env("DEPLOYMATRIX_EXECUTOR");
        return name switch
        {
            null or "" or "api" => false,
            "gcloud" => true,
            _ => throw new UsageException($"DEPLOYMATRIX_EXECUTOR is '{name}'; use api or gcloud"),
        };
    }

    public static PlatformKind? PlatformOf(ParseResult result, CliContext context)
    {
        var name = result.GetValue(context.Options.Platform) ?? context.Env("DEPLOYMATRIX_PLATFORM");
        return name switch
        {
            null or "" => null,
            _ when PlatformNames.ByName.TryGetValue(name, out var kind) => kind,
            _ => throw new UsageException($"DEPLOYMATRIX_PLATFORM is '{name}'; use local or cloudrun"),
        };
    }
}

/// <summary>LANE and <c>--env</c>: the target a command acts on, declared once for every command that takes one.</summary>
/// <param name="regionDescription">What <c>--region</c> means where it is not "default: every region" (e.g. a rollout's control).</param>
internal sealed class TargetArguments(string laneDescription, string? regionDescription = null)
{
    public Argument<string> Lane { get; } = new("LANE") { Description = laneDescription };

    public Option<string> Env { get; } = ExecutionOptions.Env();

    public Option<string?> RegionOption { get; } = regionDescription is null ? ExecutionOptions.Region() : new("--region") { Description = regionDescription, HelpName = "REGION" };

    public void AddTo(Command command)
    {
        command.Arguments.Add(Lane);
        command.Options.Add(Env);
        command.Options.Add(RegionOption);
    }

    public (string Lane, string Env) Read(ParseResult result) => (result.GetValue(Lane)!, result.GetValue(Env)!);

    /// <summary>The region asked for (<c>--region</c>); null: every region of the environment.</summary>
    public string? Region(ParseResult result) => result.GetValue(RegionOption);
}

/// <summary>
/// <c>--override-gate</c> and <c>--skip-verify</c> with <c>--reason</c>: the explicit, recorded ways past the promotion gate
/// and a lane's verify checks. A flag needs the reason, and the reason needs a flag; one reason serves both.
/// </summary>
internal sealed class GateOverrideOptions(string overrideDescription, string? skipVerifyDescription = null)
{
    /// <summary>
    /// <c>--reason</c> may stand alone (a rollout's: the reason to roll out a release whose rehearsal found rollback
    /// not safe); the default is false.
    /// </summary>
    public bool ReasonAlone { get; init; }

    public Option<bool> Override { get; } = new("--override-gate") { Description = overrideDescription };

    /// <summary><c>--skip-verify</c>, on commands that deploy (null on the others).</summary>
    public Option<bool>? SkipVerify { get; } = skipVerifyDescription is null ? null : new("--skip-verify") { Description = skipVerifyDescription };

    public Option<string?> Reason { get; } = new("--reason") { Description = $"Why the gate is overridden{(skipVerifyDescription is null ? "" : " or the verify checks are skipped")} (recorded).", HelpName = "TEXT" };

    /// <summary>Every option, for a command's list.</summary>
    public IEnumerable<Option> All => SkipVerify is null ? [Override, Reason] : [Override, SkipVerify, Reason];

    public void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The reason when overriding the gate, null when not; a flag without the reason, or a reason without a flag, is a usage error.</summary>
    public string? Read(ParseResult result) => (result.GetValue(Override), result.GetValue(Reason)) switch
    {
        (false, null) => null,
        (true, { Length: > 0 } text) => text,
        (true, _) => throw new UsageException("--override-gate needs --reason \"why\"; the reason is recorded"),
        (false, _) when Skipping(result) || ReasonAlone => null,
        (false, _) => throw new UsageException($"--reason goes with --override-gate{(SkipVerify is null ? "" : " or --skip-verify")}"),
    };

    /// <summary>The reason when skipping the verify checks, null when not; <c>--skip-verify</c> without a reason is a usage error.</summary>
    public string? SkipVerifyReason(ParseResult result) => (Skipping(result), result.GetValue(Reason)) switch
    {
        (false, _) => null,
        (true, { } text) when !string.IsNullOrWhiteSpace(text) => text,
        (true, _) => throw new UsageException("--skip-verify needs --reason \"why\"; skipping the verify checks is audited and shown in the receipt"),
    };

    private bool Skipping(ParseResult result) => SkipVerify is not null && result.GetValue(SkipVerify);
}
