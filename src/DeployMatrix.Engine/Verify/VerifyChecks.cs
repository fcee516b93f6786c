using System.Globalization;
using DeployMatrix.Core;
using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Platform;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Engine.Workspaces;

namespace DeployMatrix.Engine.Verify;

/// <summary>How a plan's verify steps run: each check by the gate's runner for its kind, or all skipped by an audited reason.</summary>
public interface IVerifyRunner
{
    /// <summary>Runs one verify step.</summary>
    /// <returns>The passing detail (or why it was skipped, when skipped by <c>--skip-verify</c>).</returns>
    /// <exception cref="PlatformException">The check failed, or a required check could not run (exit 1): its command or request, why, and its log's last lines.</exception>
    Task<string> RunAsync(RunVerifyCheck step, CancellationToken ct);

    /// <summary>The receipt's verify facts so far: <c>verify</c> (passed, failed, skipped), <c>verify_checks</c> and, for a skip, its reason and who.</summary>
    IReadOnlyDictionary<string, string> Facts { get; }
}

/// <summary>
/// Runs a target's <c>verify</c> checks (<see cref="Core.Model.VerifyConfig"/>) as the gate runs its checks — the same
/// runners, each bounded by its timeout, commands through the engine's process runner in the matrix's folder — with
/// their logs under <c>.deploymatrix/evidence/verify/TIMESTAMP-LANE-ENV/logs/</c>. No gate verdict is recorded.
/// </summary>
internal sealed class VerifyChecks(Workspace ws, ResolvedTarget target) : IVerifyRunner
{
    /// <value>The last 20 lines of a failing check's log are shown with the failure.</value>
    public const int TailLines = 20;

    private readonly Dictionary<string, string> _results = new(StringComparer.Ordinal);
    private IPlatform? _platform;
    private bool _opened;
    private string? _dir;

    public IReadOnlyDictionary<string, string> Facts => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["verify"] = _results.Values.Any(s => s != CheckStatus.Passed) ? CheckStatus.Failed : CheckStatus.Passed,
        ["verify_checks"] = string.Join(",", _results.Select(r => $"{r.Key}={r.Value}")),
    };

    public async Task<string> RunAsync(RunVerifyCheck step, CancellationToken ct)
    {
        var check = target.Verify.FirstOrDefault(c => c.Id == step.CheckId)
            ?? throw new PlatformException($"verify check '{step.CheckId}' is not in the matrix's 'verify.{target.Environment}' of lane '{target.Lane}'", ExitCodes.BadInput);
        var services = GateServices.Of(ws, await PlatformAsync(ct));
        _dir ??= RunFolder.Create(Path.Combine(ws.Paths.Evidence, "verify"),
            $"{ws.Time.GetUtcNow().ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture)}-{target.Lane}-{target.Scope}");
        var result = (await new GateRunner(services, ws.Time).RunChecksAsync([check], _dir, ct))[0];
        _results[check.Id] = result.Status;
        if (result.Status == CheckStatus.Passed || !check.Required)
        {
            return $"{result.Status}: {result.Reason} (log: {result.LogPath})";
        }

        // What failed, why, and the end of its log: enough to act on without opening the evidence folder.
        throw new VerifyFailedException($"verify {check.Id} {result.Status}: {result.Reason}; command: {result.Command}; log: {result.LogPath}", Tail(result.LogPath));
    }

    /// <summary>The platform the checks read lanes on (a budget check's service URL); null when it cannot be reached, which skips such checks.</summary>
    private async Task<IPlatform?> PlatformAsync(CancellationToken ct)
    {
        if (!_opened)
        {
            _opened = true;
            try
            {
                _platform = await ws.Platforms.OpenAsync(target.Platform, ct);
            }
            catch (PlatformException)
            {
                _platform = null;
            }
        }

        return _platform;
    }

    private static string Tail(string logPath)
    {
        var lines = File.Exists(logPath) ? File.ReadAllLines(logPath) : [];
        return string.Join('\n', lines.TakeLast(TailLines).Select(l => "  | " + l));
    }
}

/// <summary>Every verify step skipped by <c>--skip-verify --reason</c>: recorded in the audit log before the plan runs, and in the receipt.</summary>
internal sealed class SkippedVerify(string reason, string actor) : IVerifyRunner
{
    private readonly List<string> _skipped = [];

    public IReadOnlyDictionary<string, string> Facts => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["verify"] = CheckStatus.Skipped,
        ["verify_checks"] = string.Join(",", _skipped.Select(id => $"{id}={CheckStatus.Skipped}")),
        ["verify_skip_reason"] = reason,
        ["verify_skipped_by"] = actor,
    };

    public Task<string> RunAsync(RunVerifyCheck step, CancellationToken ct)
    {
        _skipped.Add(step.CheckId);
        return Task.FromResult($"skipped by {actor} (--skip-verify): {reason}");
    }

    /// <summary>The audit record of the skip, written before anything runs.</summary>
    /// <exception cref="OperationException">An empty reason (exit 2).</exception>
    public static SkippedVerify Record(Workspace ws, Plan plan, string reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new OperationException("--skip-verify needs --reason \"why\": skipping the verify checks is audited and shown in the receipt", ExitCodes.BadInput);
        }

        var checks = string.Join(",", plan.Steps.OfType<RunVerifyCheck>().Select(s => s.CheckId));
        ws.Recorder.Record("skip-verify", plan.Lane, plan.Scope,
            new Dictionary<string, string?> { ["tag"] = plan.Tag, ["checks"] = checks, ["reason"] = reason },
            $"verify skipped: {reason}");
        return new SkippedVerify(reason, ws.Actor);
    }
}

/// <summary>A required verify check failed or could not run (exit 1); the message is one line, the log's tail comes with it.</summary>
public sealed class VerifyFailedException(string message, string logTail) : PlatformException(message)
{
    /// <summary>The check log's last lines, each as <c>  | LINE</c> (already redacted and escaped by the check's log).</summary>
    public string LogTail { get; } = logTail;
}
