using DeployMatrix.Core.Diagnostics;
using DeployMatrix.Core.Model;
using DeployMatrix.Engine.Gate;
using DeployMatrix.Engine.Tests.Support;

namespace DeployMatrix.Engine.Tests.Gate;

/// <summary>Each kind of gate check on its own, at its edges: what passes exactly at a bound, what fails just past it, and what it says.</summary>
public sealed class GateCheckTests : IAsyncLifetime
{
    private static readonly SourcePos At = new(1, 1);
    private readonly Dictionary<string, string> _env = new(StringComparer.Ordinal);
    private readonly Redactor _redactor = new();
    private EngineHarness _h = null!;
    private LoopbackService _web = null!;

    public async Task InitializeAsync()
    {
        _h = new EngineHarness();
        _web = await LoopbackService.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _web.DisposeAsync();
        _h.Dispose();
    }

    [Fact]
    public async Task Http_PassesOnTheExpectedStatus_BodyAndHeader_AndSaysWhichFailed()
    {
        _web.Answers["/s"] = (201, "{\"state\":\"ok\"}", "X-Release: Canary-7");

        Assert.Equal("201 from /s", await RunAsync(Http("/s") with { Expect = 201, Contains = "ok", Header = "x-release: canary-7" }));
        Assert.Equal("/s answered 201, expected 200", await FailsAsync(Http("/s")));
        Assert.Equal("/s answered without 'OK'", await FailsAsync(Http("/s") with { Expect = 201, Contains = "OK" }));
        Assert.Equal("/s header X-Release is 'Canary-7', expected it to contain 'canary-8'", await FailsAsync(Http("/s") with { Expect = 201, Header = "X-Release: canary-8" }));
        Assert.Equal("/s header Cache-Control is '(missing)', expected it to contain 'no-cache'", await FailsAsync(Http("/s") with { Expect = 201, Header = "Cache-Control: no-cache" }));
        // Content headers (Content-Type) are read as well as response headers.
        _web.Answers["/c"] = (200, "{}", "Content-Type: application/json");
        Assert.Equal("200 from /c", await RunAsync(Http("/c") with { Header = "content-type:JSON" }));
    }

    [Fact]
    public async Task Http_SendsTheMethodAndTheToken_AndLogsTheAnswer_WithTheTokenMasked()
    {
        _web.Answers["/t"] = (200, "token=abcd-1234-secret", null);
        _env["TOKEN"] = "abcd-1234-secret";
        var log = Path.Combine(_h.Dir, "t.log");

        Assert.Equal("200 from /t", await RunAsync(Http("/t") with { Method = "HEAD", TokenEnv = "TOKEN" }, log));

        Assert.Equal("HEAD /t auth=Bearer abcd-1234-secret", Assert.Single(_web.Requests));
        var text = File.ReadAllText(log);
        Assert.StartsWith($"HEAD {_web.Url}t with a bearer token from $TOKEN\nHTTP 200\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("abcd-1234-secret", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_WithoutItsToken_IsSkipped_AndWithoutAnAnswer_Fails()
    {
        var skipped = await Assert.ThrowsAsync<CheckSkipped>(() => RunAsync(Http("/t") with { TokenEnv = "MISSING" }));
        _env["EMPTY"] = "";
        var empty = await Assert.ThrowsAsync<CheckSkipped>(() => RunAsync(Http("/t") with { TokenEnv = "EMPTY" }));
        var closed = await FailsAsync(new HttpCheckSpec { Endpoint = new HttpEndpoint(null, null, null, "http://127.0.0.1:1/x", At) });

        Assert.Equal("environment variable MISSING (the bearer token) is not set", skipped.Message);
        Assert.Equal("environment variable EMPTY (the bearer token) is not set", empty.Message);
        Assert.StartsWith("http://127.0.0.1:1/x did not answer: ", closed, StringComparison.Ordinal);
        Assert.Empty(_web.Requests);
    }

    [Fact]
    public async Task Http_ALongBody_IsLoggedCut()
    {
        _web.Answers["/big"] = (200, new string('b', 4001), null);
        _web.Answers["/fits"] = (200, new string('f', 4000), null);
        var log = Path.Combine(_h.Dir, "b.log");

        await RunAsync(Http("/big"), log);
        var big = File.ReadAllText(log);
        await RunAsync(Http("/fits"), log);
        var fits = File.ReadAllText(log);

        Assert.EndsWith("  " + new string('b', 4000) + "\n  …\n", big, StringComparison.Ordinal);
        Assert.EndsWith("\n\n  " + new string('f', 4000) + "\n", fits, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Budget_AtItsBytes_Passes_OneByteOver_Fails()
    {
        _web.Answers["/page"] = (200, new string('x', 100), null);

        Assert.StartsWith("100 bytes, first byte after ", await RunAsync(Budget("/page") with { MaxBytes = 100 }), StringComparison.Ordinal);
        Assert.Equal("/page is 100 bytes, over the budget of 99", await FailsAsync(Budget("/page") with { MaxBytes = 99 }));
        // One warm-up request, then the samples.
        Assert.Equal(2 * (1 + 3), _web.Requests.Count);
    }

    [Fact]
    public async Task Budget_JudgesTheMedianTimeToFirstByte()
    {
        _web.Answers["/slow"] = (200, "x", null);
        _web.Delay = TimeSpan.FromMilliseconds(150);
        var log = Path.Combine(_h.Dir, "budget.log");

        var failed = await FailsAsync(Budget("/slow") with { MaxTtfb = TimeSpan.FromMilliseconds(100) }, log);
        var passed = await RunAsync(Budget("/slow") with { MaxTtfb = TimeSpan.FromSeconds(20) }, log);

        Assert.Matches(@"^/slow took \d+ ms to the first byte \(median of 3\), over the budget of 100 ms$", failed);
        Assert.Matches(@"^1 bytes, first byte after \d+ ms \(median of 3, max \d+ ms\)$", passed);
        Assert.Contains("(budget: - bytes, 20000 ms to first byte, median of 3)", File.ReadAllText(log), StringComparison.Ordinal);
        Assert.Contains("sample 3: status 200, 1 bytes, first byte after ", File.ReadAllText(log), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Command_ExitZeroPasses_OtherwiseFails_PastItsTimeoutFails_AndAMissingProgramIsSkipped()
    {
        Assert.Equal("exit 0", await RunAsync(Command("sh -c 'echo fine'")));
        Assert.Equal("'sh -c \"exit 3\"' exited with 3", await FailsAsync(Command("sh -c \"exit 3\"")));
        Assert.Equal("'sleep 5' did not finish within 0 s", await FailsAsync(Command("sleep 5") with { Timeout = TimeSpan.FromMilliseconds(200) }));
        var missing = await Assert.ThrowsAsync<CheckSkipped>(() => RunAsync(Command("no-such-program-here --x")));
        Assert.Contains("no-such-program-here", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EachKind_ShowsTheCommandAPersonWouldRun()
    {
        Assert.Equal("GET web (staging) /healthz", new HttpCheck().CommandOf(new HttpCheckSpec { Endpoint = new HttpEndpoint("web", "staging", "/healthz", null, At) }));
        Assert.Equal("POST https://x.example/y", new HttpCheck().CommandOf(new HttpCheckSpec { Method = "POST", Endpoint = new HttpEndpoint(null, null, null, "https://x.example/y", At) }));
        Assert.Equal("GET https://x.example/", new BudgetCheck().CommandOf(new BudgetCheckSpec { Endpoint = new HttpEndpoint(null, null, null, "https://x.example/", At) }));
        Assert.Equal("make contract", new CommandCheck().CommandOf(Command("make contract")));
        Assert.Equal("command", new HttpCheck().CommandOf(Command("make contract")));
        Assert.Equal("http", new BudgetCheck().CommandOf(Http("/")));
        Assert.Equal("budget", new CommandCheck().CommandOf(Budget("/")));
    }

    [Fact]
    public void TheRedactor_MasksEverySecret_LongestFirst_AndLeavesShortValues()
    {
        var redactor = new Redactor();
        redactor.Add("abc");
        redactor.Add("abcd");
        redactor.Add("abcd-efgh");
        redactor.Add("abcd");

        Assert.Equal("abc *** *** ***x", redactor.Apply("abc abcd abcd-efgh abcdx"));
    }

    private HttpCheckSpec Http(string path) => new() { Endpoint = new HttpEndpoint(null, null, null, new Uri(_web.Url, path).ToString(), At) };

    private BudgetCheckSpec Budget(string path) => new() { Samples = 3, Endpoint = new HttpEndpoint(null, null, null, new Uri(_web.Url, path).ToString(), At) };

    private static CommandCheckSpec Command(string run) => new() { Run = new CommandText(run, At), Timeout = TimeSpan.FromSeconds(10) };

    private async Task<string> FailsAsync(CheckSpec spec, string? log = null) => (await Assert.ThrowsAsync<CheckFailed>(() => RunAsync(spec, log))).Message;

    private Task<string> RunAsync(CheckSpec spec, string? log = null) =>
        GateCheckRun.RunAsync(_h, spec, _env, _redactor, log ?? Path.Combine(_h.Dir, "check.log"));
}
