using System.Text.Json;
using DeployMatrix.BrowserTests.Support;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;
using Microsoft.Playwright;

namespace DeployMatrix.BrowserTests.Dashboard;

/// <summary>The matrix page in Chromium, after the example's release went through staging, the gate and production.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class MatrixPageTests(Chromium chromium) : ExampleTest
{
    [Fact]
    public async Task AfterTheRelease_EveryCellShowsWhatItsServiceServes_TagAndSplit()
    {
        // As the rehearsal leaves it: staging and the gate at t1 (the workspace's stage), then production.
        Ok(Example.Cli("deploy", "runtime", "--env", "production", "--tag", "t1"));
        Ok(Example.Cli("deploy", "openagents-control-service", "--env", "production", "--tag", "t1"));
        var services = JsonDocument.Parse(Ok(Example.Cli("status", "--output", "json")).Out).RootElement.GetProperty("services").EnumerateArray().ToList();
        Assert.Equal(4, services.Count);

        await using var dashboard = await DashboardProcess.StartAsync(Example.Dir);
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(dashboard.OpenUrl);
        // The token leaves the address bar at once; the session cookie carries it from then on.
        Assert.DoesNotContain("token=", page.Url, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Deploy matrix");

        foreach (var service in services)
        {
            var (lane, env, name) = (service.GetProperty("lane").GetString()!, service.GetProperty("env").GetString()!, service.GetProperty("service").GetString()!);
            var cell = page.Locator($"tr[data-lane='{lane}'] td[data-env='{env}'] .target[data-service='{name}']");
            var split = string.Join(", ", service.GetProperty("traffic").EnumerateArray().Select(t => $"{t.GetProperty("revision").GetString()}={t.GetProperty("percent").GetInt32()}"));
            await Assertions.Expect(cell.Locator(".split")).ToHaveAttributeAsync("data-split", split.Length == 0 ? "no traffic" : split);
            // The revision with most traffic; with none (production's control service waits for its rollout), the latest created.
            var revisions = service.GetProperty("revisions").EnumerateArray().ToList();
            var serving = split.Length == 0
                ? revisions.Single(r => r.GetProperty("name").GetString() == service.GetProperty("latest_created_revision").GetString())
                : revisions.MaxBy(r => r.GetProperty("percent").GetInt32());
            // The release put t1 everywhere: the reference read itself is held to that, so a wrong read on both sides fails too.
            Assert.Equal("t1", serving.GetProperty("tag").GetString());
            await Assertions.Expect(cell.Locator(".tag")).ToHaveTextAsync(serving.GetProperty("tag").GetString()!);
            await Assertions.Expect(cell.Locator(".digest")).ToHaveAttributeAsync("title", serving.GetProperty("digest").GetString()!);
            // The cell links its last deploy's receipt, and the receipt is served.
            var receipt = await cell.Locator("a.receipt").GetAttributeAsync("href");
            Assert.NotNull(receipt);
            var response = await page.APIRequest.GetAsync(new Uri(new Uri(page.Url), receipt!).ToString());
            Assert.Equal(200, response.Status);
            Assert.Equal(lane, (await response.JsonAsync())!.Value.GetProperty("lane").GetString());
        }

        // Legacy lanes are shown frozen; binary lanes with their canonical command.
        await Assertions.Expect(page.Locator("tr[data-lane='openagents-web'] .badge.frozen")).ToHaveTextAsync("frozen");
        await Assertions.Expect(page.Locator(".binaries tr[data-lane='lightning-ops'] code")).ToContainTextAsync("cargo run --manifest-path apps/lightning-ops/Cargo.toml");
        await Screenshots.SaveAsync(page, "matrix");
    }

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }
}
