using System.Text.Json;
using DeployMatrix.BrowserTests.Support;
using DeployMatrix.FunctionalTests.Support;
using Microsoft.Playwright;

namespace DeployMatrix.BrowserTests.Dashboard;

/// <summary>The gate page in Chromium, after the example's gate passed t1 (the workspace's stage).</summary>
[Collection(ChromiumCollection.Name)]
public sealed class GatePageTests(Chromium chromium) : ExampleTest
{
    [Fact]
    public async Task TheGatePage_ListsEveryCheckOfTheEvidence_WithStatusAndDuration_AndEachLogOpens()
    {
        // What the gate wrote: its results.json is the source the page must agree with, check for check.
        var folder = Directory.GetDirectories(Path.Combine(Example.Dir, ".deploymatrix", "evidence")).Single();
        var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "results.json"))).RootElement;
        var checks = results.GetProperty("checks").EnumerateArray().ToList();
        Assert.True(checks.Count >= 10, $"the example's gate has {checks.Count} checks");

        await using var dashboard = await DashboardProcess.StartAsync(Example.Dir);
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(dashboard.OpenUrl);
        await page.ClickAsync("header nav a[href='/gate']");
        var verdict = page.Locator("section.verdict[data-tag='t1']");
        await Assertions.Expect(verdict.Locator(".badge.verdict")).ToHaveTextAsync("go");
        await Assertions.Expect(verdict.Locator("tr.check")).ToHaveCountAsync(checks.Count);

        foreach (var check in checks)
        {
            var id = check.GetProperty("check_id").GetString()!;
            var row = verdict.Locator($"tr.check[data-check='{id}']");
            await Assertions.Expect(row).ToHaveAttributeAsync("data-status", check.GetProperty("status").GetString()!);
            Assert.Equal(check.GetProperty("duration_ms").GetDouble(), double.Parse((await row.Locator("td.duration").GetAttributeAsync("data-ms"))!, System.Globalization.CultureInfo.InvariantCulture));
            var href = await row.Locator("a.log").GetAttributeAsync("href");
            Assert.NotNull(href);
            var log = await page.APIRequest.GetAsync(new Uri(dashboard.BaseUrl, href!).ToString());
            Assert.Equal(200, log.Status);
            Assert.StartsWith("text/plain", log.Headers["content-type"], StringComparison.Ordinal);
            Assert.Equal(await File.ReadAllTextAsync(Path.Combine(folder, check.GetProperty("log_path").GetString()!)), await log.TextAsync());
        }

        // The evidence folder's files are listed, and a log opens in the browser as text.
        await Assertions.Expect(verdict.Locator("details.files li")).ToHaveCountAsync(Directory.GetFiles(folder).Length + Directory.GetFiles(Path.Combine(folder, "logs")).Length);
        await Screenshots.SaveAsync(page, "gate");
        var first = checks[0].GetProperty("check_id").GetString()!;
        await verdict.Locator($"tr.check[data-check='{first}'] a.log").ClickAsync();
        // A plain-text file: poll the address bar and the text, never a load state (see HistoryPageTests).
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/evidence/logs/" + System.Text.RegularExpressions.Regex.Escape(first + ".log") + "$"));
        var expected = (await File.ReadAllTextAsync(Path.Combine(folder, "logs", first + ".log"))).Trim();
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync(expected.Split('\n')[0]);
        Assert.Equal(expected, (await page.Locator("body").InnerTextAsync()).Trim());
    }
}
