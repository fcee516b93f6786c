using System.Net;
using DeployMatrix.FunctionalTests.Support;

namespace DeployMatrix.FunctionalTests.Local;

/// <summary>The gate's <c>logs</c> check against what a real staging revision of the example logged.</summary>
public sealed class GateLogsTests : ExampleTest
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task AnErrorTheRevisionLogged_FailsTheLogsCheck_ShowingTheEntryRedacted_AndNoErrorPassesIt()
    {
        const string Secret = "logs-secret-4b9e2d7a1c";
        const string Check = "runtime-error-logs";
        // The gate knows the secret as the control smoke check's token, so it must mask it wherever it shows up.
        var quiet = Example.Variant("logs-quiet.yaml",
            "path: /api/v1/control/status, contains: '\"status\"' }", "path: /api/v1/control/status, token-env: DM_GATE_LOGS_TOKEN }");
        // Every answer but the probes is 500, and the service logs each at ERROR: the deploy's probe-only smoke passes.
        var erring = "logs-erring.yaml";
        File.WriteAllText(Path.Combine(Example.Dir, erring), File.ReadAllText(Path.Combine(Example.Dir, quiet))
            .Replace("staging: { service: runtime-staging,", "staging: { env: { FAULT_5XX_PERCENT: \"100\" }, service: runtime-staging,", StringComparison.Ordinal));
        Environment.SetEnvironmentVariable("DM_GATE_LOGS_TOKEN", Secret);
        try
        {
            var passing = Example.Cli("--file", quiet, "gate", "--tag", "t1");
            Assert.True(Example.Cli("--file", erring, "deploy", "runtime", "--env", "staging", "--tag", "t1").ExitCode == 0);
            // A request whose path carries the secret, as a leaked token would: the revision logs it with its 500.
            var answer = await Http.GetAsync(new Uri($"http://127.0.0.1:{Example.Ports["runtime-staging"]}/api/v1/runtime/sessions/{Secret}"));
            var failing = Example.Cli("--file", erring, "gate", "--tag", "t1");

            Assert.True(passing.ExitCode == 0, passing.ToString());
            Assert.Contains($"✓ {Check}", passing.Out, StringComparison.Ordinal);
            Assert.Matches($"{Check} +required passed +0 entries ERROR or worse since ", passing.Out);
            Assert.Equal(HttpStatusCode.InternalServerError, answer.StatusCode);
            Assert.True(failing.ExitCode == 1, failing.ToString());
            Assert.Contains("NO-GO", failing.Out, StringComparison.Ordinal);
            var line = failing.Out.Split('\n').Single(l => l.Contains(Check, StringComparison.Ordinal));
            Assert.StartsWith($"✗ {Check}", line.TrimStart(), StringComparison.Ordinal);
            Assert.Matches("required failed +[0-9]+ log entries of runtime-staging ERROR or worse since .*, more than 0; first: ", line);
            Assert.Contains(": ERROR runtime: GET /api/v1/runtime/sessions/*** answered 500: injected failure (FAULT_5XX_PERCENT)", line, StringComparison.Ordinal);
            var evidence = Directory.GetFiles(Path.Combine(Example.Dir, ".deploymatrix"), $"{Check}.log", SearchOption.AllDirectories)
                .Select(File.ReadAllText).ToList();
            Assert.Contains(evidence, log => log.Contains("/api/v1/runtime/sessions/*** answered 500", StringComparison.Ordinal));
            Assert.DoesNotContain(Secret, failing.Out + failing.Err + string.Concat(evidence), StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DM_GATE_LOGS_TOKEN", null);
        }
    }
}
