using DeployMatrix.Core.Resolution;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Drift;

/// <summary>
/// The seed's drift check: the service, its migration job and the job's last execution must all run the
/// expected image. Each of the six ways this can fail is reported by name.
/// </summary>
public static class DriftCheck
{
    public static async Task<DriftReport> RunAsync(IPlatform platform, ResolvedTarget target, string job, string expectedImage, CancellationToken cancellationToken)
    {
        var service = await TryAsync<ServiceStatus>(async () => await platform.GetServiceAsync(target, cancellationToken));
        var jobImage = await TryAsync(() => platform.GetJobImageAsync(target, job, cancellationToken));
        var execution = await TryAsync(() => platform.GetLatestExecutionAsync(target, job, cancellationToken));
        return Evaluate(expectedImage, service?.Image, jobImage, execution);
    }

    /// <summary>The six conditions, in the seed's order; the first that holds is the finding.</summary>
    public static DriftReport Evaluate(string expectedImage, string? serviceImage, string? jobImage, JobExecution? latest)
    {
        string? problem = null;
        if (serviceImage is null || jobImage is null)
        {
            problem = serviceImage is null ? "the service image cannot be resolved" : "the job image cannot be resolved";
        }
        else if (serviceImage != expectedImage)
        {
            problem = $"the service runs {serviceImage}, not the expected {expectedImage}";
        }
        else if (serviceImage != jobImage)
        {
            problem = $"the service runs {serviceImage} but the job is set to {jobImage}";
        }
        else if (latest is null)
        {
            problem = "the job has no executions";
        }
        else if (!latest.Succeeded)
        {
            problem = $"the latest execution {latest.Name} did not succeed (exit {latest.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"})";
        }
        else if (latest.Image != serviceImage)
        {
            problem = $"the latest execution {latest.Name} ran {latest.Image}, not the service image {serviceImage}";
        }

        return new DriftReport(problem is null, problem, expectedImage, serviceImage, jobImage, latest?.Name, latest?.Image, latest?.Succeeded);
    }

    private static async Task<T?> TryAsync<T>(Func<Task<T?>> read)
        where T : class
    {
        try
        {
            return await read();
        }
        catch (PlatformException)
        {
            return null;
        }
    }
}

public sealed record DriftReport(
    bool Ok, string? Problem, string ExpectedImage, string? ServiceImage, string? JobImage,
    string? LatestExecution, string? LatestExecutionImage, bool? LatestExecutionSucceeded);
