using DeployMatrix.BrowserTests.Support;
using DeployMatrix.FunctionalTests.Support;
using Microsoft.Playwright;

namespace DeployMatrix.BrowserTests.Dashboard;

/// <summary>The drills pages in Chromium, over a drill's report (a dry run: the same files, nothing run).</summary>
[Collection(ChromiumCollection.Name)]
public sealed class DrillPageTests(Chromium chromium) : ExampleTest
{
    protected override ExampleStage Stage => ExampleStage.Built;

    [Fact]
    public async Task ADrillsPage_ShowsItsSteps_AndItsTimelineImage()
    {
        var drill = Example.Cli("drill", "canary", "runtime", "--env", "staging", "--dry-run");
        Assert.True(drill.ExitCode == 0, drill.ToString());
        var name = Path.GetFileName(Directory.GetDirectories(Path.Combine(Example.Dir, ".deploymatrix", "drills")).Single());

        await using var dashboard = await DashboardProcess.StartAsync(Example.Dir);
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(dashboard.OpenUrl);
        await page.ClickAsync("header nav a[href='/drills']");
        await page.ClickAsync($"tr.drill[data-name='{name}'] a");
        // The address bar, not a load state, which a loaded machine's Chromium may not report within the timeout.
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"/drills/{System.Text.RegularExpressions.Regex.Escape(name)}$"));
        await Assertions.Expect(page.Locator(".badge.dry-run")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("tr.step")).ToHaveCountAsync(File.ReadAllLines(Path.Combine(Example.Dir, ".deploymatrix", "drills", name, "step-results.jsonl")).Length);

        // The timeline is served as an image and drawn: the browser decoded it to a size.
        var image = page.Locator("figure.timeline img");
        await Assertions.Expect(image).ToHaveAttributeAsync("src", $"/drills/{name}/timeline.svg");
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('figure.timeline img'); return i.complete && i.naturalWidth > 0; }");
        var svg = await page.APIRequest.GetAsync(new Uri(dashboard.BaseUrl, $"/drills/{name}/timeline.svg").ToString());
        Assert.Equal("image/svg+xml", svg.Headers["content-type"]);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(Example.Dir, ".deploymatrix", "drills", name, "timeline.svg")), await svg.TextAsync());
        await Screenshots.SaveAsync(page, "drill");
    }
}
