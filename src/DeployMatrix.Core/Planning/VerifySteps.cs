using System.Globalization;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Resolution;

namespace DeployMatrix.Core.Planning;

/// <summary>The steps of a target's <c>verify</c> checks, as plans list them and the engine runs them.</summary>
public static class VerifySteps
{
    public static IEnumerable<RunVerifyCheck> For(ResolvedTarget target) =>
        target.Verify.Select(c => new RunVerifyCheck(target.Ref, c.Id, c.Spec.Type, Describe(c.Spec), c.Required, c.Spec is CommandCheckSpec command ? command.Run.Words : null));

    /// <summary>What a check does, in one line: a command's text, a request's endpoint and expectation.</summary>
    public static string Describe(CheckSpec spec) => spec switch
    {
        CommandCheckSpec c => string.Create(CultureInfo.InvariantCulture, $"{c.Run.Text} (in the matrix's folder, within {Durations.Format(c.Timeout)})"),
        HttpCheckSpec h => $"{h.Method} {Endpoint(h.Endpoint)} expects {h.Expect}{(h.Contains is null ? "" : $" and '{h.Contains}' in the body")}{(h.Header is null ? "" : $" and header '{h.Header}'")}",
        BudgetCheckSpec b => string.Create(CultureInfo.InvariantCulture,
            $"GET {Endpoint(b.Endpoint)} within {(b.MaxBytes is { } bytes ? $"{bytes} bytes" : "")}{(b.MaxBytes is not null && b.MaxTtfb is not null ? " and " : "")}{(b.MaxTtfb is { } ttfb ? $"{ttfb.TotalMilliseconds:0} ms to the first byte (median of {b.Samples})" : "")}"),
        LaneCheckSpec l => $"{l.Lane} ({l.Where})",
        GuardCheckSpec g => $"no forbidden legacy command or asset under {g.Dir}",
        _ => spec.Type,
    };

    private static string Endpoint(HttpEndpoint endpoint) => endpoint.Url ?? $"{endpoint.Lane} ({endpoint.Where}) {endpoint.Path}";
}
