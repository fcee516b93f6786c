using DeployMatrix.BrowserTests.Support;
using DeployMatrix.FunctionalTests.Support;
using Microsoft.Playwright;

namespace DeployMatrix.BrowserTests.Dashboard;

/// <summary>The history page in Chromium, over the audit log the example's builds, staging deploys and gate left.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class HistoryPageTests(Chromium chromium) : ExampleTest
{
    [Fact]
    public async Task FilteringByLane_ShowsOnlyThatLane_AndARecordsReceiptOpens()
    {
        await using var dashboard = await DashboardProcess.StartAsync(Example.Dir);
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(dashboard.OpenUrl);
        await page.ClickAsync("header nav a[href='/history']");
        await Assertions.Expect(page.Locator("p.chain")).ToHaveAttributeAsync("data-intact", "true");

        // Unfiltered: every record, newest first, several lanes among them.
        var all = page.Locator("tr.record");
        var ids = (await all.EvaluateAllAsync<long[]>("rows => rows.map(r => Number(r.dataset.id))")).ToList();
        Assert.Equal(ids.OrderDescending(), ids);
        var lanes = await all.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.lane)");
        var runtime = lanes.Count(l => l == "runtime");
        Assert.True(runtime > 0 && runtime < ids.Count, $"{runtime} runtime records of {ids.Count}");
        await Assertions.Expect(page.Locator("p.chain")).ToContainTextAsync($"{ids.Count} records");

        await page.SelectOptionAsync("select[name='lane']", "runtime");
        await page.ClickAsync("form.filters button[type='submit']");
        // The address bar, not a load state (which a loaded machine's Chromium may not report in time; see below).
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/history\\?(.*&)?lane=runtime(&|$)"));
        await Assertions.Expect(page.Locator("tr.record")).ToHaveCountAsync(runtime);
        Assert.All(await page.Locator("tr.record").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.lane)"), l => Assert.Equal("runtime", l));
        await Assertions.Expect(page.Locator("select[name='lane']")).ToHaveValueAsync("runtime");

        // Filters combine: runtime's deploys in staging.
        await page.SelectOptionAsync("select[name='action']", "deploy");
        await page.SelectOptionAsync("select[name='env']", "staging");
        await page.ClickAsync("form.filters button[type='submit']");
        await Assertions.Expect(page.Locator("tr.record")).ToHaveCountAsync(1);
        var record = page.Locator("tr.record[data-action='deploy'][data-env='staging']");
        await Screenshots.SaveAsync(page, "history");

        await record.Locator("a.receipt").ClickAsync();
        // The receipt is a JSON file: poll the address bar and the text, never a load state. WaitForURL waits for a
        // load state once the URL matches, and on a loaded machine Chromium's JSON view let 30 s pass without one.
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/receipts/[^/?#]+$"));
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync("\"lane\"");
        var receipt = System.Text.Json.JsonDocument.Parse(await page.Locator("body").InnerTextAsync()).RootElement;
        Assert.Equal("runtime", receipt.GetProperty("lane").GetString());
        Assert.Equal("staging", receipt.GetProperty("environment").GetString());
    }
}
