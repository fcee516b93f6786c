using DeployMatrix.BrowserTests.Support;
using DeployMatrix.FunctionalTests.Support;

namespace DeployMatrix.BrowserTests.Dashboard;

/// <summary>
/// The attack itself, in Chromium: a person who opened the dashboard visits another page, whose form posts an abort to
/// the dashboard. Chromium decides what goes along (the session cookie, <c>Sec-Fetch-Site</c>, <c>Origin</c>); the
/// dashboard must refuse either way.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class CrossSiteBrowserTests(Chromium chromium) : ExampleTest
{
    protected override ExampleStage Stage => ExampleStage.Agent;

    [Theory]
    // Another port on loopback (any local web server, a revision among them) is the same site: the SameSite=Strict
    // cookie goes along, so only the Fetch Metadata check stands between the page and the action.
    [InlineData("http://127.0.0.1:9/attack.html", "same-site", 403)]
    // Another site: the cookie stays home and the request has no token at all.
    [InlineData("http://attacker.example/attack.html", "cross-site", 401)]
    public async Task AFormOnAnotherPage_PostingAnAbort_IsRefused(string attackPage, string name, int refused)
    {
        await using var dashboard = await DashboardProcess.StartAsync(Example.Dir);
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(dashboard.OpenUrl);
        var action = $"{dashboard.BaseUrl}rollouts/openagents-control-service/staging/abort";
        // The attacker's page, served by the browser's own routing (no server needed): a form that sends itself.
        await page.RouteAsync(attackPage, route => route.FulfillAsync(new()
        {
            ContentType = "text/html",
            Body = $"<form method=\"post\" action=\"{action}\"><input name=\"reason\" value=\"csrf\"></form><script>document.forms[0].submit()</script>",
        }));

        var response = await page.RunAndWaitForResponseAsync(() => page.GotoAsync(attackPage), r => r.Url == action);

        Assert.Equal(refused, response.Status);
        if (refused == 403)
        {
            Assert.Equal("POST", response.Request.Method);
            // The refusal names the header Chromium sent (Playwright does not show the network stack's Sec-Fetch-* headers).
            Assert.Contains("refused a cross-site request (Sec-Fetch-Site: same-site)", await response.TextAsync(), StringComparison.Ordinal);
        }

        // The address bar, not a load state, which a loaded machine's Chromium may not report within the timeout.
        await Microsoft.Playwright.Assertions.Expect(page).ToHaveURLAsync(action);
        await Screenshots.SaveAsync(page, $"refused-{name}-post");
    }
}
