using DeployMatrix.Engine.Drift;
using DeployMatrix.Engine.Platform;

namespace DeployMatrix.Engine.Tests.Drift;

/// <summary>The seed's six drift conditions, each on its own, and the clean case.</summary>
public sealed class DriftCheckTests
{
    private const string Image = "local://runtime@sha256:aaa";
    private const string Other = "local://runtime@sha256:bbb";
    private static readonly JobExecution Good = new("runtime-migrate-00003", Image, Succeeded: true, ExitCode: 0, LogLocation: "log");

    [Fact]
    public void AllTheSame_IsNoDrift()
    {
        var report = DriftCheck.Evaluate(Image, Image, Image, Good);

        Assert.True(report.Ok);
        Assert.Null(report.Problem);
    }

    [Theory]
    [InlineData(null, Image, "the service image cannot be resolved")]
    [InlineData(Image, null, "the job image cannot be resolved")]
    [InlineData(Other, Other, "the service runs local://runtime@sha256:bbb, not the expected local://runtime@sha256:aaa")]
    [InlineData(Image, Other, "the service runs local://runtime@sha256:aaa but the job is set to local://runtime@sha256:bbb")]
    public void ImageConditions_AreEachReported(string? service, string? job, string problem)
    {
        var report = DriftCheck.Evaluate(Image, service, job, Good);

        Assert.False(report.Ok);
        Assert.Equal(problem, report.Problem);
    }

    [Fact]
    public void NoExecutions_IsDrift()
    {
        Assert.Equal("the job has no executions", DriftCheck.Evaluate(Image, Image, Image, null).Problem);
    }

    [Fact]
    public void LatestExecutionFailed_IsDrift()
    {
        var failed = Good with { Succeeded = false, ExitCode = 3 };

        Assert.Equal("the latest execution runtime-migrate-00003 did not succeed (exit 3)", DriftCheck.Evaluate(Image, Image, Image, failed).Problem);
    }

    [Fact]
    public void LatestExecutionRanAnotherImage_IsDrift()
    {
        var stale = Good with { Image = Other };

        Assert.Equal(
            "the latest execution runtime-migrate-00003 ran local://runtime@sha256:bbb, not the service image local://runtime@sha256:aaa",
            DriftCheck.Evaluate(Image, Image, Image, stale).Problem);
    }
}
