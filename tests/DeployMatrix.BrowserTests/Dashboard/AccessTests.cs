using System.Net;
using DeployMatrix.BrowserTests.Support;
using DeployMatrix.FunctionalTests.Support;

namespace DeployMatrix.BrowserTests.Dashboard;

/// <summary>Who gets in: only with the token (or the agent's); nothing that changes state from another site.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class AccessTests(Chromium chromium) : ExampleTest
{
    protected override ExampleStage Stage => ExampleStage.Agent;

    [Fact]
    public async Task WithoutTheToken_EveryPageIs401_AndAWrongTokenToo()
    {
        await using var dashboard = await DashboardProcess.StartAsync(Example.Dir);
        using var anonymous = dashboard.Client(withToken: false);
        foreach (var path in new[] { "/", "/api/matrix", "/assets/dashboard.css", "/receipts/x.json", "/?token=" + new string('0', 64) })
        {
            using var response = await anonymous.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{path}: {response.StatusCode}");
        }

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/");
        wrong.Headers.Authorization = new("Bearer", dashboard.Token[..^1] + (dashboard.Token[^1] == '0' ? '1' : '0'));
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(wrong)).StatusCode);

        using var client = dashboard.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);

        // What a person sees who opens the address without the token.
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        Assert.Equal(401, (await page.GotoAsync(dashboard.BaseUrl.ToString()))!.Status);
        await Screenshots.SaveAsync(page, "unauthorized");
    }

    [Fact]
    public async Task TheAgentsToken_OpensItToo_AndTheTokenFileIsOwnerOnly()
    {
        await using var dashboard = await DashboardProcess.StartAsync(Example.Dir);
        var agentJson = Path.Combine(Example.Dir, ".deploymatrix", "agent.json");
        var agentToken = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(agentJson)).RootElement.GetProperty("token").GetString()!;
        using var anonymous = dashboard.Client(withToken: false);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/matrix");
        request.Headers.Authorization = new("Bearer", agentToken);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(request)).StatusCode);
        // A browser opened with the agent's token gets the matrix too.
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        Assert.Equal(200, (await page.GotoAsync($"{dashboard.BaseUrl}?token={agentToken}"))!.Status);
        await Microsoft.Playwright.Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Deploy matrix");
        await Screenshots.SaveAsync(page, "agent-token");

        var file = Path.Combine(Example.Dir, ".deploymatrix", "dashboard.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Contains(dashboard.Token, await File.ReadAllTextAsync(file), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACrossSitePost_IsRefused_EvenWithTheSessionCookie()
    {
        await using var dashboard = await DashboardProcess.StartAsync(Example.Dir);
        using var client = dashboard.Client();
        var refusal = "";
        foreach (var (header, value) in new[] { ("Origin", "http://evil.example"), ("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Site", "same-site") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/rollouts/openagents-control-service/staging/abort")
            {
                Content = new FormUrlEncodedContent([new("reason", "csrf")]),
            };
            request.Headers.Add(header, value);
            using var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{header}: {value}: {response.StatusCode}");
            refusal = await response.Content.ReadAsStringAsync();
            Assert.Contains("cross-site", refusal, StringComparison.Ordinal);
        }

        // The refusal as a browser shows it (CrossSiteBrowserTests has Chromium post the form itself).
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.SetContentAsync($"<pre>{System.Net.WebUtility.HtmlEncode(refusal)}</pre>");
        await Screenshots.SaveAsync(page, "cross-site-refused");
    }
}
