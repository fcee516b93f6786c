using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeployMatrix.BrowserTests.Support;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;
using Microsoft.Playwright;

namespace DeployMatrix.BrowserTests.Dashboard;

/// <summary>
/// A rollout's page in Chromium while the real CLI drives the rollout in its own process under paced load: the page
/// follows it live (server-sent events), and a person steps in from it.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class RolloutPageTests(Chromium chromium) : ExampleTest
{
    protected override ExampleStage Stage => ExampleStage.Agent;

    private const string Lane = "openagents-control-service";

    private static readonly string DashboardActor = $"{Environment.UserName} (dashboard)";

    [Fact]
    public async Task ARolloutStartedFromTheCli_UpdatesLiveOnItsPage_ThroughItsStagesToSucceeded()
    {
        // Windows long enough that a page opened at 5% on a busy machine still sees 25% for a while.
        await using var scene = await StartAsync("8s", 0, 5);
        var (stable, canary, load, driver) = (scene.Stable, scene.Canary, scene.Load, scene.Driver);
        var page = await OpenAsync(scene);
        // A mark in the page's own window: a reload would drop it, so it shows the page changed in place.
        await page.EvaluateAsync("() => { window.deploymatrixMark = 'not reloaded'; }");
        var stage = page.Locator("[data-field='stage']");
        var timeout = new LocatorAssertionsToHaveTextOptions { Timeout = 90_000 };
        try
        {
            await Assertions.Expect(stage).ToHaveTextAsync("25", timeout);
        }
        catch (PlaywrightException e)
        {
            Assert.Fail($"{e.Message}\n--- page\n{await page.Locator("section.rollout").InnerTextAsync()}\n--- rollout stdout\n{driver.Out}\n--- stderr\n{driver.Err}");
        }

        await Assertions.Expect(page.Locator("[data-field='split']")).ToHaveAttributeAsync("data-split", $"{stable}=75, {canary}=25", new() { Timeout = 10_000 });
        await Assertions.Expect(page.Locator("[data-field='state']")).ToHaveTextAsync("succeeded", timeout);
        await Assertions.Expect(stage).ToHaveTextAsync("100");

        Assert.Equal("not reloaded", await page.EvaluateAsync<string>("() => window.deploymatrixMark"));
        Assert.Equal(0, await driver.ExitAsync(TimeSpan.FromSeconds(30)));
        await Assertions.Expect(page.Locator("[data-field='split']")).ToHaveAttributeAsync("data-split", $"{canary}=100");
        // Every stage that had a window passed, each with its numbers.
        foreach (var percent in new[] { 5, 25, 50 })
        {
            await Assertions.Expect(page.Locator($"[data-field='verdicts'] tr.verdict.pass[data-percent='{percent}']")).ToContainTextAsync("5xx");
        }

        await Assertions.Expect(page.Locator("[data-field='verdicts'] tr.verdict.succeeded")).ToHaveCountAsync(1);
        // Ended: no action is offered any more.
        await Assertions.Expect(page.Locator("[data-field='ended']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("form[data-action]:visible")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator($"[data-field='revisions'] tr[data-revision='{canary}']")).ToContainTextAsync("canary");
        Assert.True(int.Parse(await page.Locator("section.rollout").GetAttributeAsync("data-updates") ?? "0", System.Globalization.CultureInfo.InvariantCulture) >= 3);
        // The chart is served as SVG with the series the dashboard sampled.
        var chart = await page.APIRequest.GetAsync(new Uri(new Uri(page.Url), await page.Locator("img.chart").GetAttributeAsync("src")).ToString());
        Assert.Equal("image/svg+xml; charset=utf-8", chart.Headers["content-type"]);
        Assert.Contains(canary, await chart.TextAsync(), StringComparison.Ordinal);
        await Screenshots.SaveAsync(page, "rollout-live");
        await load.StopAsync();
        Assert.Empty(load.Failures);
    }

    [Fact]
    public async Task AbortFromThePage_SendsAllTrafficBackToStable_AndTheAuditRecordNamesTheActorAndReason()
    {
        await using var scene = await StartAsync("60s", 5);
        var (stable, _, load, driver) = (scene.Stable, scene.Canary, scene.Load, scene.Driver);

        var page = await OpenAsync(scene);
        // A rollout another process drives can be paused, aborted or promoted from here; not resumed.
        await Assertions.Expect(page.Locator("form.action.resume")).ToBeHiddenAsync();
        await ActAsync(page, "abort", "canary answers slowly (page test)");

        await Assertions.Expect(page.Locator("[data-field='result']")).ToContainTextAsync($"aborted by {DashboardActor} at 5%: canary answers slowly (page test)");
        await Assertions.Expect(page.Locator("[data-field='state']")).ToHaveTextAsync("aborted");
        Assert.Equal(1, await driver.ExitAsync(TimeSpan.FromSeconds(30)));
        await load.StopAsync();
        Assert.Empty(load.Failures);

        // Through the proxy: every request answers from the stable revision.
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        for (var i = 0; i < 40; i++)
        {
            var body = JsonDocument.Parse(await http.GetStringAsync(ServiceUrl())).RootElement;
            Assert.Equal(stable, body.GetProperty("revision").GetString());
        }

        var records = JsonDocument.Parse(Ok(Example.Cli("history", Lane, "--output", "json")).Out).RootElement.GetProperty("records").EnumerateArray().ToList();
        var abort = records.Single(r => r.GetProperty("action").GetString() == "rollout" && r.GetProperty("result").GetString()!.StartsWith("aborted", StringComparison.Ordinal));
        Assert.Contains($"aborted by {DashboardActor} at 5%: canary answers slowly (page test)", abort.GetProperty("result").GetString(), StringComparison.Ordinal);
        // The CLI's process carried the abort out, but the record names the person at the page, not the CLI's user.
        Assert.Equal(DashboardActor, abort.GetProperty("actor").GetString());
        Assert.Equal(0, Example.Cli("audit", "verify").ExitCode);
        await Screenshots.SaveAsync(page, "rollout-aborted");
    }

    [Fact]
    public async Task PauseThenResumeFromThePage_TheDashboardDrivesTheRestToSucceeded()
    {
        await using var scene = await StartAsync("8s", 5);
        var (_, canary, load, driver) = (scene.Stable, scene.Canary, scene.Load, scene.Driver);
        var page = await OpenAsync(scene);

        await ActAsync(page, "pause", "looking at the logs");
        // The window is short so the resumed rollout finishes soon; on a slow machine the first stage may
        // already have passed when the click lands, so the stage is read back rather than assumed.
        var paused = new Regex($@"paused by {Regex.Escape(DashboardActor)} at (\d+)%: looking at the logs");
        await Assertions.Expect(page.Locator("[data-field='result']")).ToContainTextAsync(paused);
        var stage = paused.Match(await page.Locator("[data-field='result']").InnerTextAsync()).Groups[1].Value;
        Assert.Equal(1, await driver.ExitAsync(TimeSpan.FromSeconds(30)));
        await Assertions.Expect(page.Locator("[data-field='state']")).ToHaveTextAsync("paused");

        await ActAsync(page, "resume", "logs are clean");
        await Assertions.Expect(page.Locator("[data-field='result']")).ToContainTextAsync("this dashboard's process drives it now");
        await Assertions.Expect(page.Locator("[data-field='state']")).ToHaveTextAsync("succeeded", new() { Timeout = 90_000 });

        Assert.Equal([(canary, 100)], Split(Service()));
        Assert.Contains($"resumed at {stage}% (was paused) by {DashboardActor}: logs are clean", Ok(Example.Cli("history", Lane)).Out, StringComparison.Ordinal);
        // The pause, carried out by the CLI's process, is on record under the page's actor.
        var records = JsonDocument.Parse(Ok(Example.Cli("history", Lane, "--output", "json")).Out).RootElement.GetProperty("records").EnumerateArray();
        var pause = records.Single(r => r.GetProperty("result").GetString()!.StartsWith("paused: paused by", StringComparison.Ordinal));
        Assert.Equal(DashboardActor, pause.GetProperty("actor").GetString());
        await Screenshots.SaveAsync(page, "rollout-resumed");
        await load.StopAsync();
        Assert.Empty(load.Failures);
    }

    [Fact]
    public async Task AbortWithAnEmptyReason_SaysSo_AndChangesNothing()
    {
        await using var scene = await StartAsync("60s", 5);
        var (stable, canary, load, _) = (scene.Stable, scene.Canary, scene.Load, scene.Driver);
        var auditBefore = AuditCount();

        var page = await OpenAsync(scene);
        await ActAsync(page, "abort", "   ");

        await Assertions.Expect(page.Locator("[data-field='result']")).ToHaveTextAsync("abort needs a reason (it is recorded): nothing was done");
        await Assertions.Expect(page.Locator("[data-field='state']")).ToHaveTextAsync("running");
        var status = RolloutStatus();
        Assert.Equal(("running", 5), (status.GetProperty("status").GetString(), status.GetProperty("stage").GetInt32()));
        Assert.Equal([(stable, 95), (canary, 5)], Split(status));
        Assert.Equal(auditBefore, AuditCount());
        await Screenshots.SaveAsync(page, "rollout-empty-reason");
        await load.StopAsync();
    }

    [Fact]
    public async Task APostWithoutTheAntiforgeryToken_IsRefused400_AndChangesNothing()
    {
        await using var scene = await StartAsync("60s", 5);
        var (stable, canary, load, _) = (scene.Stable, scene.Canary, scene.Load, scene.Driver);

        using var client = scene.Dashboard.Client();
        using var response = await client.PostAsync($"/rollouts/{Lane}/staging/abort", new FormUrlEncodedContent([new("reason", "no form token")]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var status = RolloutStatus();
        Assert.Equal(("running", 5), (status.GetProperty("status").GetString(), status.GetProperty("stage").GetInt32()));
        Assert.Equal([(stable, 95), (canary, 5)], Split(status));
        var page = await scene.Browser.NewPageAsync();
        await page.GotoAsync(scene.Dashboard.OpenUrl.Replace("?token=", $"rollouts/{Lane}/staging?token=", StringComparison.Ordinal));
        await Assertions.Expect(page.Locator("[data-field='state']")).ToHaveTextAsync("running");
        await Screenshots.SaveAsync(page, "rollout-no-antiforgery");
        await load.StopAsync();
    }

    /// <summary>
    /// A stable revision and a no-traffic canary under paced load, the dashboard, and a rollout with the given window
    /// driven by the CLI in its own process, running at one of <paramref name="stages"/>.
    /// </summary>
    private async Task<Scene> StartAsync(string window, params int[] stages)
    {
        var (stable, canary) = PrepareCanary();
        var scene = new Scene(stable, canary, Load(), await DashboardProcess.StartAsync(Example.Dir),
            CliProcess.Start(Example.Dir, "--platform", "local", "rollout", Lane, "--env", "staging", "--window", window),
            await chromium.Browser.NewContextAsync());
        await WaitForRunningAsync(scene.Driver, stages);
        return scene;
    }

    private sealed record Scene(string Stable, string Canary, LoadClient Load, DashboardProcess Dashboard, CliProcess Driver, IBrowserContext Browser) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Browser.DisposeAsync();
            await Driver.DisposeAsync();
            await Dashboard.DisposeAsync();
            await Load.DisposeAsync();
        }
    }

    /// <summary>Fills in an action's reason and sends its form, as a person does.</summary>
    private static async Task ActAsync(IPage page, string action, string reason)
    {
        await page.Locator($"form.action.{action} input[name='reason']").FillAsync(reason);
        await page.Locator($"form.action.{action} button").ClickAsync();
    }

    /// <summary>Opens the dashboard as a person does (its printed URL), then the rollout from the list of rollouts.</summary>
    private static async Task<IPage> OpenAsync(Scene scene)
    {
        var dashboard = scene.Dashboard;
        var page = await scene.Browser.NewPageAsync();
        await page.GotoAsync(dashboard.OpenUrl);
        await page.GotoAsync($"{dashboard.BaseUrl}rollouts");
        await page.Locator($"table.rollouts tr[data-lane='{Lane}'][data-env='staging'] a").ClickAsync();
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync($"{Lane} in staging");
        return page;
    }

    /// <summary>A stable revision with all traffic and a fresh no-traffic canary, with gates that suit short windows under the paced load.</summary>
    private (string Stable, string Canary) PrepareCanary()
    {
        // What is shown is under test here, not the analysis: the widest latency gate keeps a busy machine's noise out.
        // The example's own matrix, so the dashboard (and a rollout it resumes) reads the same gates as the CLI.
        var matrix = Path.Combine(Example.Dir, "deploymatrix.yaml");
        var text = File.ReadAllText(matrix);
        Assert.Contains("      min-requests: 100\n", text, StringComparison.Ordinal);
        File.WriteAllText(matrix, text.Replace("      min-requests: 100\n", "      min-requests: 20\n", StringComparison.Ordinal)
            .Replace("max-p95-regression: 20%", "max-p95-regression: 1000%", StringComparison.Ordinal));
        Ok(Example.Cli("deploy", Lane, "--env", "staging", "--tag", "t1"));
        var stable = Split(Service()).Single().Revision;
        Ok(Example.Cli("deploy", Lane, "--env", "staging", "--tag", "t1", "--no-traffic"));
        return (stable, Service().GetProperty("latest_created_revision").GetString()!);
    }

    /// <summary>Waits (bounded) until the rollout runs at one of <paramref name="stages"/> with that stage's split set.</summary>
    private async Task WaitForRunningAsync(CliProcess driver, params int[] stages)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(3))
        {
            var run = Example.Cli("rollout", "status", Lane, "--env", "staging", "--output", "json");
            if (run.ExitCode == 0)
            {
                var status = JsonDocument.Parse(run.Out).RootElement;
                var stage = status.GetProperty("stage").GetInt32();
                if (status.GetProperty("status").GetString() == "running" && stages.Contains(stage) && Split(status).Any(t => t.Percent == 100 - stage))
                {
                    return;
                }
            }

            await Task.Delay(100);
        }

        Assert.Fail($"the rollout never ran at {string.Join(" or ", stages)}%\n--- stdout\n{driver.Out}\n--- stderr\n{driver.Err}");
    }

    private JsonElement RolloutStatus() => JsonDocument.Parse(Ok(Example.Cli("rollout", "status", Lane, "--env", "staging", "--output", "json")).Out).RootElement.Clone();

    private JsonElement Service() => JsonDocument.Parse(Ok(Example.Cli("status", Lane, "--env", "staging", "--output", "json")).Out).RootElement.GetProperty("services")[0].Clone();

    private int AuditCount() => JsonDocument.Parse(Ok(Example.Cli("history", "--limit", "1000", "--output", "json")).Out).RootElement.GetProperty("records").GetArrayLength();

    private static List<(string Revision, int Percent)> Split(JsonElement status) =>
        [.. status.GetProperty("traffic").EnumerateArray().Select(t => (t.GetProperty("revision").GetString()!, t.GetProperty("percent").GetInt32()))];

    private Uri ServiceUrl() => new($"http://127.0.0.1:{Example.Ports["openagents-control-service-staging"]}/api/v1/control/status");

    private LoadClient Load() => new(ServiceUrl(), workers: 4, limit: TimeSpan.FromMinutes(4), perSecond: 800);

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }
}
