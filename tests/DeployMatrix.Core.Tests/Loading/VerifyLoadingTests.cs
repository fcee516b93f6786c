using DeployMatrix.Core.Loading;
using DeployMatrix.Core.Model;
using DeployMatrix.Core.Planning;
using DeployMatrix.Core.Rendering;

namespace DeployMatrix.Core.Tests.Loading;

/// <summary>A lane's <c>verify</c> as the matrix writes it, and where its checks land in a deploy's plan, its shell form and the deploy map.</summary>
public sealed class VerifyLoadingTests
{
    private const string Text = """
        matrix: { title: T, status: active, updated: 2026-01-01 }
        environments: [staging, production]
        lanes:
          api:
            build: { local: { command: make, artifact: out/api } }
            targets: { staging: { port: 18100 }, production: { port: 18101 } }
            smoke: [/healthz]
            verify:
              production:
                - { id: unit-tests, description: the tests pass, command: { run: cargo test --workspace, timeout: 90s } }
                - api-budget
                - { id: optional-probe, required: false, http: { url: "https://example.com/ping", expect: 204 } }
        gate:
          from: staging
          to: production
          checks:
            - { id: api-budget, budget: { lane: api, env: staging, path: /, max-bytes: 12000, max-ttfb: 500ms } }
        """;

    [Fact]
    public void VerifyEntries_AreGateChecks_AndAGateChecksId_RunsThatCheckAsTheGateWritesIt()
    {
        var matrix = MatrixLoader.Parse("m.yaml", Text).Matrix!;

        var verify = Assert.Single(matrix.FindLane("api")!.Verify);
        Assert.Equal("production", verify.Environment);
        Assert.Equal(["unit-tests", "api-budget", "optional-probe"], verify.Checks.Select(c => c.Id));
        var tests = Assert.IsType<CommandCheckSpec>(verify.Checks[0].Spec);
        Assert.Equal(("cargo test --workspace", TimeSpan.FromSeconds(90)), (tests.Run.Text, tests.Timeout));
        Assert.Same(matrix.Gate!.Checks[0].Spec, verify.Checks[1].Spec);
        Assert.Equal(11, verify.Checks[1].Pos.Line); // the reference's line, where a problem with it is shown
        Assert.False(verify.Checks[2].Required);
    }

    [Fact]
    public void ADeploysPlan_RunsTheEnvironmentsVerifyChecksFirst_AndOnlyThere()
    {
        var matrix = MatrixLoader.Parse("m.yaml", Text).Matrix!;

        var production = Planner.Plan(matrix, new PlanRequest { Lane = "api", Environment = "production", Tag = "t1" }).Plan!;
        var staging = Planner.Plan(matrix, new PlanRequest { Lane = "api", Environment = "staging", Tag = "t1" }).Plan!;
        var rollout = Planner.Plan(matrix, new PlanRequest { Lane = "api", Environment = "production", Tag = "t1", Action = PlanAction.Rollout }).Plan!;

        // After the preflight's reads (which change nothing either), before the deploy.
        var checks = production.Steps.SkipWhile(s => s.KindName.StartsWith("check-", StringComparison.Ordinal)).ToList();
        Assert.Equal(["verify-check", "verify-check", "verify-check", "deploy-revision"], checks.Take(4).Select(s => s.KindName));
        Assert.Equal("verify unit-tests (command): cargo test --workspace (in the matrix's folder, within 1m30s)", checks[0].Describe());
        Assert.Equal("verify api-budget (budget): GET api (staging) / within 12000 bytes and 500 ms to the first byte (median of 5)", checks[1].Describe());
        Assert.Equal("verify optional-probe (http, optional): GET https://example.com/ping expects 204", checks[2].Describe());
        Assert.DoesNotContain(staging.Steps, s => s is RunVerifyCheck);
        var throughDeploy = production.Steps.TakeWhile(s => s is not DeployRevision).Count() + 1;
        Assert.Equal(production.Steps.Take(throughDeploy).Select(s => s.Describe()), rollout.Steps.Take(throughDeploy).Select(s => s.Describe())); // a rollout with a tag deploys the same way
    }

    [Fact]
    public void TheShellForm_RunsACommandCheck_AndNamesTheOthers_BeforeTheDeploy()
    {
        var matrix = MatrixLoader.Parse("m.yaml", Text).Matrix!;

        var lines = ShellRenderer.Render(Planner.Plan(matrix, new PlanRequest { Lane = "api", Environment = "production", Tag = "t1" }).Plan!).Split('\n')
            .SkipWhile(l => !l.StartsWith("# verify", StringComparison.Ordinal)).ToArray(); // the preflight's reads come first

        Assert.Equal("cargo test --workspace", lines[1]);
        Assert.StartsWith("# verify unit-tests (command)", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("# verify api-budget (budget): GET api (staging) /", lines[2], StringComparison.Ordinal);
        Assert.EndsWith("(done natively); it must pass before anything changes", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void TheDeployMap_ListsTheVerifyChecks_UnderTheEnvironmentsDeploy()
    {
        var map = DeployMapRenderer.Render(MatrixLoader.Parse("m.yaml", Text).Matrix!);

        Assert.Contains("""
                 - Deploy: `deploymatrix deploy api --env production --tag <TAG>`
                   - Verify first (a failure stops the deploy before anything changes; only `--skip-verify --reason "…"` passes it, audited):
                     - `unit-tests` (command): `cargo test --workspace`
                     - `api-budget` (budget): GET api (staging) / within 12000 bytes and 500 ms to the first byte (median of 5)
                     - `optional-probe` (http, optional): GET https://example.com/ping expects 204
            """.Replace("\r\n", "\n", StringComparison.Ordinal), map, StringComparison.Ordinal);
        Assert.Single(map.Split('\n'), l => l.Contains("Verify first", StringComparison.Ordinal));
    }
}
