using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Drift;

namespace DeployMatrix.Engine.Gate;

/// <summary>The seed's migration drift check on what runs now: service, job and latest execution on the service's image.</summary>
internal sealed class DriftGateCheck : IGateCheck
{
    public string CommandOf(CheckSpec spec) => spec is LaneCheckSpec l ? $"deploymatrix migrate {l.Lane} {l.Args} (drift check)" : spec.Type;

    public async Task<string> RunAsync(CheckSpec check, CheckContext context, CancellationToken ct)
    {
        var spec = (LaneCheckSpec)check;
        if (context.Platform is null)
        {
            throw new CheckSkipped("no platform to check drift on");
        }

        var target = context.TargetOf(spec.Lane, spec.Env, spec.Region);
        var job = target.Job ?? throw new CheckSkipped($"lane '{spec.Lane}' has no migration job in {spec.Where}");
        var service = await context.Platform.GetServiceAsync(target, ct);
        if (service.Image is null)
        {
            throw new CheckFailed($"{target.Service} has no image in {spec.Where}; deploy it first");
        }

        var report = await DriftCheck.RunAsync(context.Platform, target, job, service.Image, ct);
        context.Log($"service image {report.ServiceImage}; job image {report.JobImage}; latest execution {report.LatestExecution} ({report.LatestExecutionImage}, succeeded: {report.LatestExecutionSucceeded})");
        return report.Ok ? "service, job and latest execution run the same image" : throw new CheckFailed($"drift: {report.Problem}");
    }
}
