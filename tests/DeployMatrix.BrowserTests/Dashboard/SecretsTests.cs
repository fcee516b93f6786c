using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using DeployMatrix.BrowserTests.Support;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.BrowserTests.Dashboard;

/// <summary>
/// No secret is ever served: with every kind of secret in play (the dashboard's token, the agent's, a maintenance
/// bypass token, a lane's env value), every page reachable from <c>/</c> and every file it links is fetched and grepped.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed partial class SecretsTests(Chromium chromium) : ExampleTest
{
    /// <summary>How many URLs the crawl fetches at most: every page, asset, receipt, evidence and drill file of one example.</summary>
    private const int MaxUrls = 300;

    protected override ExampleStage Stage => ExampleStage.Agent;

    [Fact]
    public async Task NoSecretAppearsInAnyServedBody_AndEveryPageReachableFromTheMatrixAnswers200()
    {
        // A secret env value on a lane's target, deployed with it; a gate run and a drill over that release.
        var envSecret = "env-secret-" + Convert.ToHexString(Guid.NewGuid().ToByteArray());
        var matrix = Path.Combine(Example.Dir, "deploymatrix.yaml");
        var text = await File.ReadAllTextAsync(matrix);
        const string Target = "staging: { service: runtime-staging,";
        Assert.Contains(Target, text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(matrix, text.Replace(Target, $"staging: {{ env: {{ LEDGER_API_KEY: \"{envSecret}\" }}, service: runtime-staging,", StringComparison.Ordinal));
        Ok(Example.Cli("deploy", "runtime", "--env", "staging", "--tag", "t1"));
        Ok(Example.Cli("deploy", "openagents-control-service", "--env", "staging", "--tag", "t1"));
        Ok(Example.Cli("gate", "--tag", "t1"));
        Ok(Example.Cli("drill", "canary", "runtime", "--env", "staging", "--dry-run"));
        // A bypass token last: maintenance refuses drills and deploys meanwhile.
        Ok(Example.Cli("maintenance", "enable", "runtime", "--env", "staging", "--message", "ledger migration"));
        var state = Path.Combine(Example.Dir, ".deploymatrix");
        var bypass = (await File.ReadAllTextAsync(Path.Combine(state, "secrets", "maintenance", "staging", "runtime-staging.token"))).Trim();
        var agent = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(state, "agent.json"))).RootElement.GetProperty("token").GetString()!;

        await using var dashboard = await DashboardProcess.StartAsync(Example.Dir);
        var secrets = new Dictionary<string, string>
        {
            ["the dashboard's token"] = dashboard.Token, ["the agent's token"] = agent, ["the maintenance bypass token"] = bypass, ["the lane's env value"] = envSecret,
        };
        Assert.All(secrets.Values, s => Assert.True(s.Length >= 16, "a secret too short to grep for"));

        using var client = dashboard.Client();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>(["/", "/api/matrix", "/gate", "/history", "/drills", "/assets/dashboard.css"]);
        var failures = new List<string>();
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        while (queue.Count > 0 && seen.Count < MaxUrls)
        {
            var url = queue.Dequeue();
            if (!seen.Add(url))
            {
                continue;
            }

            using var response = await client.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.OK)
            {
                failures.Add($"{url}: {(int)response.StatusCode}");
            }

            foreach (var (what, secret) in secrets)
            {
                if (body.Contains(secret, StringComparison.Ordinal) || response.Headers.Concat(response.Content.Headers).Any(h => h.Value.Any(v => v.Contains(secret, StringComparison.Ordinal))))
                {
                    failures.Add($"{url} serves {what}");
                }
            }

            kinds.Add(Kind(url));
            if (response.Content.Headers.ContentType?.MediaType == "text/html")
            {
                foreach (var link in Links(body))
                {
                    queue.Enqueue(link);
                }
            }
        }

        Assert.Empty(failures);
        // The page a person sees with every secret in play (maintenance on), kept with the others.
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(dashboard.OpenUrl);
        await Screenshots.SaveAsync(page, "matrix-with-secrets-in-play");
        Assert.True(queue.Count == 0, $"more than {MaxUrls} URLs: the crawl stopped before it saw every page");
        // The crawl reached every kind of page and file, or it proved little.
        Assert.Superset(new HashSet<string>(["/", "/api", "/assets", "/receipts", "/gate", "/gate/evidence", "/history", "/drills", "/drills/file"], StringComparer.Ordinal), kinds);
    }

    /// <summary>Same-origin links and sources of a page (<c>href</c>, <c>src</c>, <c>action</c>), and the history filters' choices as URLs.</summary>
    private static IEnumerable<string> Links(string html)
    {
        foreach (Match m in Attribute().Matches(html))
        {
            var url = WebUtility.HtmlDecode(m.Groups["url"].Value);
            if (url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal))
            {
                yield return url.Split('#')[0];
            }
        }

        foreach (Match select in ChoiceSelect().Matches(html))
        {
            foreach (Match option in ChoiceOption().Matches(select.Groups["options"].Value))
            {
                yield return $"/history?{select.Groups["name"].Value}={Uri.EscapeDataString(WebUtility.HtmlDecode(option.Groups["value"].Value))}";
            }
        }
    }

    private static string Kind(string url)
    {
        var path = url.Split('?')[0];
        return path switch
        {
            "/" => "/",
            _ when path.Contains("/evidence/", StringComparison.Ordinal) => "/gate/evidence",
            _ when path.StartsWith("/drills/", StringComparison.Ordinal) && path.Count(c => c == '/') >= 3 => "/drills/file",
            _ => "/" + path.Split('/')[1],
        };
    }

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }

    [GeneratedRegex("(?:href|src|action)=\"(?<url>[^\"]*)\"")]
    private static partial Regex Attribute();

    [GeneratedRegex("""<select name="(?<name>[a-z]+)">(?<options>(?:\s*<option[^>]*>[^<]*</option>)*)""")]
    private static partial Regex ChoiceSelect();

    [GeneratedRegex("""<option value="(?<value>[^"]+)"[^>]*>""")]
    private static partial Regex ChoiceOption();
}
