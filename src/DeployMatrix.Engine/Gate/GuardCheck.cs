using DeployMatrix.Core.Guard;
using DeployMatrix.Core.Model;

namespace DeployMatrix.Engine.Gate;

/// <summary>The repository guard: no forbidden legacy command or stray legacy asset under a folder.</summary>
internal sealed class GuardCheck : IGateCheck
{
    public string CommandOf(CheckSpec spec) => spec is GuardCheckSpec g ? $"deploymatrix guard {g.Dir}" : spec.Type;

    public Task<string> RunAsync(CheckSpec check, CheckContext context, CancellationToken ct)
    {
        var spec = (GuardCheckSpec)check;
        var root = Path.GetFullPath(Path.Combine(context.Matrix.BaseDirectory, spec.Dir));
        var findings = RepositoryGuard.Scan(context.Matrix, root, ct);
        foreach (var finding in findings)
        {
            context.Log(finding.ToString());
        }

        return findings.Count == 0 ? Task.FromResult("no findings") : throw new CheckFailed($"{findings.Count} legacy finding{(findings.Count == 1 ? "" : "s")}, first: {findings[0]}");
    }
}
