using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeployMatrix.Engine.Telemetry;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Local;
using DeployMatrix.Tests.Support;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace DeployMatrix.FunctionalTests.Local;

/// <summary>
/// Traces of real commands captured with OpenTelemetry's in-memory exporter, and the real agent's <c>/metrics</c> scraped
/// while a canary takes real, paced load.
/// </summary>
[Collection(LatencyCollection.Name)]
public sealed partial class TelemetryTests : ExampleTest, IDisposable
{
    private const string Lane = "openagents-control-service";
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    // Other tests run commands in this process at the same time: only this test's trace (under its own root) is looked at.
    private readonly ActivitySource _test = new("DeployMatrix.FunctionalTests.Telemetry");
    private readonly List<Activity> _spans = [];
    private readonly TracerProvider _provider;

    public TelemetryTests() =>
        _provider = Sdk.CreateTracerProviderBuilder().AddSource(Tracing.SourceName, _test.Name).AddInMemoryExporter(_spans).Build()!;

    protected override ExampleStage Stage => ExampleStage.Agent;

    [Fact]
    public async Task DeployAndRollout_TraceEveryStepAndStage_AndMetricsShowTheCanarysCounters()
    {
        using var root = _test.StartActivity("test")!;
        Assert.Equal(0, Example.Cli("deploy", Lane, "--env", "staging", "--tag", "t1").ExitCode);
        var stable = Service().GetProperty("latest_created_revision").GetString()!;
        Assert.Equal(0, Example.Cli("deploy", Lane, "--env", "staging", "--tag", "t1", "--no-traffic").ExitCode);
        var canary = Service().GetProperty("latest_created_revision").GetString()!;

        await using var load = new LoadClient(new Uri($"http://127.0.0.1:{Example.Ports["openagents-control-service-staging"]}/api/v1/control/status"), workers: 4, limit: TimeSpan.FromMinutes(2), perSecond: 400);
        var file = Example.Variant("rollout.yaml", "max-p95-regression: 20%\n      min-requests: 100", RolloutTests.QuietLatency);
        var rollout = Task.Run(() => Example.Cli("--file", file, "rollout", Lane, "--env", "staging", "--window", "2s"));
        var scraped = await ScrapeUntilAsync(rollout, text => Count(text, "deploymatrix_proxy_requests_total", canary, "2xx") > 0);
        var run = await rollout;
        await load.StopAsync();

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.True(Count(scraped, "deploymatrix_proxy_requests_total", canary, "2xx") > 0, scraped);
        Assert.True(Count(scraped, "deploymatrix_proxy_requests_total", stable, "2xx") > Count(scraped, "deploymatrix_proxy_requests_total", canary, "2xx"), scraped);
        Assert.Matches($"deploymatrix_proxy_errors_total\\{{[^}}]*deploymatrix_revision=\"{canary}\"", scraped);
        Assert.Matches($"deploymatrix_proxy_latency_milliseconds\\{{[^}}]*deploymatrix_revision=\"{canary}\"[^}}]*quantile=\"0.95\"", scraped);
        Assert.DoesNotContain(Token(), scraped, StringComparison.Ordinal);

        var trace = Trace(root);
        // Each command its own span (the status reads between them too).
        var commands = trace.Where(s => s.Parent == root && s.DisplayName != "deploymatrix status").ToList();
        Assert.Equal(["deploymatrix deploy", "deploymatrix deploy", "deploymatrix rollout"], commands.Select(c => c.DisplayName));
        Assert.All(commands, c => Assert.Equal(ActivityStatusCode.Unset, c.Status));
        Assert.All(commands, c => Assert.Equal(Lane, c.GetTagItem(Tracing.Attributes.Lane)));

        // The deploy: one span per plan step, in order, each carrying the target and the revision it made.
        var deploySteps = trace.Where(s => s.Parent == commands[0]).ToList();
        Assert.Contains("step deploy-revision", deploySteps.Select(s => s.DisplayName));
        Assert.Equal(Enumerable.Range(1, deploySteps.Count), deploySteps.Select(s => (int)s.GetTagItem(Tracing.Attributes.StepIndex)!));
        var deployed = deploySteps.Single(s => s.DisplayName == "step deploy-revision");
        Assert.Equal("staging", deployed.GetTagItem(Tracing.Attributes.Environment));
        Assert.Equal("t1", deployed.GetTagItem(Tracing.Attributes.Tag));
        Assert.Equal(stable, deployed.GetTagItem(Tracing.Attributes.Revision));

        // The rollout: one span, and under it one per stage with its verdict.
        var rolloutSpan = Assert.Single(trace, s => s.Parent == commands[2]);
        Assert.Equal("rollout", rolloutSpan.DisplayName);
        Assert.Equal(canary, rolloutSpan.GetTagItem(Tracing.Attributes.Revision));
        Assert.Equal(stable, rolloutSpan.GetTagItem(Tracing.Attributes.StableRevision));
        Assert.Equal("succeeded", rolloutSpan.GetTagItem(Tracing.Attributes.RolloutEnd));
        var stages = trace.Where(s => s.Parent == rolloutSpan).ToList();
        Assert.All(stages, s => Assert.Equal("rollout stage", s.DisplayName));
        Assert.Equal([0, 5, 25, 50, 100], stages.Select(s => (int)s.GetTagItem(Tracing.Attributes.Stage)!));
        Assert.All(stages, s => Assert.Equal("pass", s.GetTagItem(Tracing.Attributes.Verdict)));
        Assert.All(stages, s => Assert.Equal(("staging", canary), (s.GetTagItem(Tracing.Attributes.Environment), s.GetTagItem(Tracing.Attributes.Revision))));
    }

    [Fact]
    public void FailedDeploy_EndsItsStepAndCommandSpansWithError()
    {
        using var root = _test.StartActivity("test")!;

        var run = Example.Cli("--file", "faulty.yaml", "deploy", "runtime", "--env", "staging", "--tag", "t1");

        Assert.Equal(3, run.ExitCode);
        var trace = Trace(root);
        var command = Assert.Single(trace, s => s.Parent == root);
        Assert.Equal(("deploymatrix deploy", ActivityStatusCode.Error, 3), (command.DisplayName, command.Status, (int)command.GetTagItem(Tracing.Attributes.ExitCode)!));
        var steps = trace.Where(s => s.Parent == command).ToList();
        var failed = Assert.Single(steps, s => s.Status == ActivityStatusCode.Error);
        Assert.Same(steps[^1], failed);
        Assert.Equal("step execute-job", failed.DisplayName);
        Assert.Contains("migration job runtime-migrate-staging failed", failed.StatusDescription, StringComparison.Ordinal);
        Assert.All(steps[..^1], s => Assert.Equal(ActivityStatusCode.Unset, s.Status));
    }

    [Fact]
    public async Task Metrics_NeedNoToken_WhileEveryOtherAgentPathStillDoes()
    {
        var agent = Agent();

        using var metrics = await Http.GetAsync(new Uri(agent, "/metrics"));
        using var services = await Http.GetAsync(new Uri(agent, "/v1/services"));

        Assert.Equal(System.Net.HttpStatusCode.OK, metrics.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, services.StatusCode);
        Assert.DoesNotContain(Token(), await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _provider.Dispose();
        _test.Dispose();
    }

    private List<Activity> Trace(Activity root)
    {
        root.Stop();
        lock (_spans)
        {
            return [.. _spans.Where(s => s.TraceId == root.TraceId && s != root).OrderBy(s => s.StartTimeUtc)];
        }
    }

    /// <summary>Scrapes <c>/metrics</c> every 100 ms while <paramref name="running"/> runs, until <paramref name="enough"/>; returns the last scrape.</summary>
    private async Task<string> ScrapeUntilAsync(Task running, Func<string, bool> enough)
    {
        var url = new Uri(Agent(), "/metrics");
        var text = "";
        while (!running.IsCompleted)
        {
            text = await Http.GetStringAsync(url);
            if (enough(text))
            {
                return text;
            }

            await Task.Delay(100);
        }

        return text;
    }

    /// <summary>A counter's value for one revision and status class in Prometheus' text format; 0 when absent.</summary>
    private static long Count(string scraped, string metric, string revision, string statusClass) =>
        scraped.Split('\n').Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal)
                && l.Contains($"deploymatrix_revision=\"{revision}\"", StringComparison.Ordinal) && l.Contains($"status_class=\"{statusClass}\"", StringComparison.Ordinal))
            .Select(l => long.Parse(SampleValue().Match(l).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Sum();

    [GeneratedRegex(@"\} (\d+)")]
    private static partial Regex SampleValue();

    private JsonElement AgentJson() => JsonDocument.Parse(File.ReadAllText(LocalPaths.For(Example.Dir).AgentJson)).RootElement.Clone();

    private Uri Agent() => new(AgentJson().GetProperty("url").GetString()!);

    private string Token() => AgentJson().GetProperty("token").GetString()!;

    private JsonElement Service()
    {
        var run = Example.Cli("status", Lane, "--env", "staging", "--output", "json");
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Out).RootElement.GetProperty("services")[0].Clone();
    }
}
