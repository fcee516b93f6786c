using System.Text.Json;
using Npgsql;
using DeployMatrix.FunctionalTests.Support;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;

namespace DeployMatrix.FunctionalTests.Local;

/// <summary>
/// <c>rehearse</c> end to end on the example's runtime: production runs t1, the next release's migration comes in the
/// two variants the example ships (cargo features): one adds a column (the stable release keeps serving), one renames a
/// column the stable release reads (its /readyz fails on the migrated schema). The rehearsal rolls out under paced load,
/// so these run in the latency collection; they judge no latency.
/// </summary>
[Collection(LatencyCollection.Name)]
public sealed class RehearsalTests : ExampleTest
{
    private const string Lane = "runtime";

    [Fact]
    public void AdditiveMigration_IsRollbackSafe_PassesTheGate_AndLeavesProductionAsItWas()
    {
        DeployProduction();
        BuildVariant("next-additive", "t2");
        var before = ProductionDeployed();
        var audit = AuditChain();
        var status = Ok(Example.Cli("status", Lane, "--env", "production")).Out;
        var schema = File.ReadAllText(ProductionSchema);
        using var outDir = new TempDir();

        var run = Example.Cli("rehearse", Lane, "--tag", "t2", "--out", outDir.Path, "--dwell", "1s", "--load", "40", "--output", "json");

        Assert.True(run.ExitCode == 0, run.ToString());
        // The document on stdout is the report's rehearsal.json, held to its schema.
        Assert.Equal(File.ReadAllText(Path.Combine(outDir.Path, "rehearsal.json")), run.Out);
        OutputSchemas.AssertValid("rehearsal", run);
        var report = Report(outDir.Path);
        Assert.Equal("deploymatrix.rehearsal.v1", report.GetProperty("schema").GetString());
        Assert.Equal("t2", report.GetProperty("tag").GetString());
        Assert.Equal("production", report.GetProperty("against").GetString());
        Assert.Equal("t1", report.GetProperty("stable").GetProperty("tag").GetString());
        Assert.StartsWith("sha256:", report.GetProperty("candidate").GetProperty("digest").GetString());
        Assert.NotEqual(report.GetProperty("stable").GetProperty("digest").GetString(), report.GetProperty("candidate").GetProperty("digest").GetString());
        Assert.True(report.GetProperty("rollback_safe").GetBoolean());
        Assert.Equal(["stable", "migrate", "n-1", "rollout", "rollback"], Phases(report).Select(p => p.Id));
        Assert.All(Phases(report), p => Assert.Equal("pass", p.Verdict));
        Assert.Contains("applied 4 add_runs_started_at", File.ReadAllText(Path.Combine(outDir.Path, "logs", "migrate.log")), StringComparison.Ordinal);
        var receipt = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir.Path, "receipt.json"))).RootElement;
        Assert.True(receipt.GetProperty("rollback_safe").GetBoolean());
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(outDir.Path, "timeline.svg")), StringComparison.Ordinal);
        Assert.Contains("Rollback safe: **yes**", File.ReadAllText(Path.Combine(outDir.Path, "SUMMARY.md")), StringComparison.Ordinal);

        // Production's service, traffic, data and audit chain: as before, plus the rehearsal's one record.
        Assert.Equal(status, Ok(Example.Cli("status", Lane, "--env", "production")).Out);
        Assert.Equal(schema, File.ReadAllText(ProductionSchema));
        Assert.Equal(before, ProductionDeployed());
        Assert.Equal([.. audit, "rehearse runtime production pass"], AuditChain());
        Assert.Equal(0, Example.Cli("audit", "verify").ExitCode);
        // history --steps shows the rehearsal's phases, from its journal.
        var history = JsonDocument.Parse(Ok(Example.Cli("history", "--steps", "--limit", "1", "--output", "json")).Out).RootElement;
        var steps = history.GetProperty("records")[0].GetProperty("steps").EnumerateArray().Select(s => $"{s.GetProperty("status").GetString()} {s.GetProperty("step").GetString()}").ToList();
        Assert.Equal(5, steps.Count);
        Assert.All(steps, s => Assert.StartsWith("succeeded ", s, StringComparison.Ordinal));
        Assert.Contains("succeeded run the candidate's migration job (its artifact, the same command) on that data", steps);

        // The gate's rehearsal check passes on the rehearsed digest.
        Ok(Example.Cli("deploy", Lane, "--env", "staging", "--tag", "t2"));
        var gate = Example.Cli("--file", GateVariant(), "gate", "--tag", "t2");
        Assert.True(gate.ExitCode == 0, gate.ToString());
    }

    [Fact]
    public async Task BreakingMigration_IsNotRollbackSafe_BecauseTheStableReleaseFailsItsReadiness_AndTheGateSaysNoGo()
    {
        DeployProduction();
        BuildVariant("next-breaking", "t3");
        using var outDir = new TempDir();

        var run = Example.Cli("rehearse", Lane, "--tag", "t3", "--out", outDir.Path, "--dwell", "1s", "--load", "40");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains("rollback_safe: false", run.Out, StringComparison.Ordinal);
        var report = Report(outDir.Path);
        Assert.False(report.GetProperty("rollback_safe").GetBoolean());
        var phases = Phases(report).ToDictionary(p => p.Id);
        Assert.Equal("pass", phases["stable"].Verdict);
        Assert.Equal("pass", phases["migrate"].Verdict);
        Assert.Equal("fail", phases["n-1"].Verdict);
        // The stable release itself said why: its /readyz read the migrated schema.
        Assert.Contains("/readyz answered 503", phases["n-1"].Reason, StringComparison.Ordinal);
        Assert.Contains("runs.status", File.ReadAllText(Path.Combine(outDir.Path, "logs", "n-1.log")), StringComparison.Ordinal);
        Assert.Equal("fail", phases["rollback"].Verdict);
        Assert.False(JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir.Path, "receipt.json"))).RootElement.GetProperty("rollback_safe").GetBoolean());

        // Again into the same folder: the earlier scratch (its migrated data) is dropped, and the verdict is the same.
        var again = Example.Cli("rehearse", Lane, "--tag", "t3", "--out", outDir.Path, "--dwell", "1s", "--load", "40");
        Assert.True(again.ExitCode == 1 && !again.Err.Contains("Unhandled", StringComparison.Ordinal), again.ToString());
        var second = Phases(Report(outDir.Path)).ToDictionary(p => p.Id);
        Assert.Equal(("pass", "pass", "fail"), (second["stable"].Verdict, second["migrate"].Verdict, second["n-1"].Verdict));

        Ok(Example.Cli("deploy", Lane, "--env", "staging", "--tag", "t3"));
        var gate = Example.Cli("--file", GateVariant(), "gate", "--tag", "t3");
        Assert.True(gate.ExitCode == 1, gate.ToString());
        Assert.Contains("runtime-rehearsal", gate.Out + gate.Err, StringComparison.Ordinal);

        // Production takes it only with a reason, refused before anything changes (no deploy, no migration).
        var status = Ok(Example.Cli("status", Lane, "--env", "production")).Out;
        var schema = File.ReadAllText(ProductionSchema);
        var refused = Example.Cli("rollout", Lane, "--env", "production", "--tag", "t3");
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains("rollback not safe", refused.Err, StringComparison.Ordinal);
        Assert.Contains("--reason", refused.Err, StringComparison.Ordinal);
        Assert.Equal(status, Ok(Example.Cli("status", Lane, "--env", "production")).Out);
        Assert.Equal(schema, File.ReadAllText(ProductionSchema));

        // With the reason (one reason serves the gate's override too: t3 failed the gate), a stage that fails holds the
        // split instead of rolling back to t1 (which cannot serve): the canary answers every request under load with 500.
        // At 5% of 800 requests/s the canary sees about 40 a second: a 2 s window judges 20.
        var failing = Example.Variant("failing.yaml",
            ("production: { service: runtime,", "production: { env: { FAULT_5XX_PERCENT: \"100\" }, service: runtime,"),
            ("min-requests: 100", "min-requests: 20"));
        CliRun held;
        await using (var load = new LoadClient(new Uri($"http://127.0.0.1:{Example.Ports["runtime"]}/api/v1/runtime/status"), workers: 4, limit: TimeSpan.FromMinutes(2), perSecond: 800))
        {
            held = Example.Cli("--file", failing, "rollout", Lane, "--env", "production", "--tag", "t3", "--window", "2s", "--override-gate", "--reason", "roll forward: t1 cannot read the renamed column");
            await load.StopAsync();
        }

        Assert.True(held.ExitCode == 1, held.ToString());
        var rollout = JsonDocument.Parse(Ok(Example.Cli("rollout", "status", Lane, "--env", "production", "--output", "json")).Out).RootElement;
        Assert.Equal(("held", 5), (rollout.GetProperty("status").GetString(), rollout.GetProperty("stage").GetInt32()));
        var verdict = rollout.GetProperty("reason").GetString()!;
        Assert.StartsWith("stage 5% failed: 5xx rate: canary ", verdict, StringComparison.Ordinal);
        Assert.Contains("; holding the split at 5% instead of rolling back (the roll-forward rule): rollback is not safe (", verdict, StringComparison.Ordinal);
        Assert.EndsWith("; roll forward with a fix, or decide with rollout resume|promote|abort", verdict, StringComparison.Ordinal);
        Assert.Contains(verdict, held.Err, StringComparison.Ordinal);
        // The split as the platform serves it: t1 keeps 95%, the failing t3 keeps its 5% (no move back to stable).
        var service = JsonDocument.Parse(Ok(Example.Cli("status", Lane, "--env", "production", "--output", "json")).Out).RootElement.GetProperty("services")[0];
        var (stable, canary) = (rollout.GetProperty("stable").GetString()!, rollout.GetProperty("canary").GetString()!);
        var traffic = service.GetProperty("traffic").EnumerateArray().Select(t => (t.GetProperty("revision").GetString(), t.GetProperty("percent").GetInt32()));
        Assert.Equal([(stable, 95), (canary, 5)], traffic.OrderByDescending(t => t.Item2));
        var tags = service.GetProperty("revisions").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("tag").GetString());
        Assert.Equal(("t1", "t3"), (tags[stable], tags[canary]));
        Assert.Contains("rollout-rollback-unsafe runtime production recorded", AuditChain());
    }

    [Fact]
    public void DataCommand_LoadsAScratchDatabase_WithProductionsSchema_AndTheScratchRevisionsUseIt_NeverProductions()
    {
        // Production's database (PostgreSQL, real): a table with a row. The lane's data command copies its schema, not
        // its rows, into a scratch database and names that database's URL for the scratch revisions and job.
        var pg = PostgresServer.Instance;
        var (production, scratch, bin) = (pg.CreateDatabase(), pg.CreateDatabase(), PostgresServer.Binaries);
        Sql(production, "CREATE TABLE runs (id bigint PRIMARY KEY, status text NOT NULL); INSERT INTO runs VALUES (1, 'done')");
        File.WriteAllText(Path.Combine(Example.Dir, "load-scratch.sh"), $$"""
            set -eu
            "{{bin}}/pg_dump" --schema-only --no-owner --no-privileges "{{production}}" | "{{bin}}/psql" -q -v ON_ERROR_STOP=1 "{{scratch}}"
            echo "DATABASE_URL={{scratch}}" >> "$DEPLOYMATRIX_SCRATCH_ENV"
            # The runtime finds its data folder here first: the migration job proves it got the command's variables.
            cp -R "$DEPLOYMATRIX_DATA_DIR" "$DEPLOYMATRIX_SCRATCH_DIR/runtime-data"
            echo "RUNTIME_DATA_DIR=$DEPLOYMATRIX_SCRATCH_DIR/runtime-data" >> "$DEPLOYMATRIX_SCRATCH_ENV"
            echo "loaded production's schema into {{scratch}}"
            echo "data folder: $(ls "$DEPLOYMATRIX_DATA_DIR" | tr '\n' ' ')"
            test -d "$DEPLOYMATRIX_SCRATCH_DIR"

            """);
        var file = Example.Variant("data.yaml", ("    migration:\n      job: runtime-migrate", "    rehearsal:\n      data: { command: sh load-scratch.sh, timeout: 1m }\n    migration:\n      job: runtime-migrate"));
        DeployProduction();
        BuildVariant("next-additive", "t2");
        using var outDir = new TempDir();

        var run = Example.Cli("--file", file, "rehearse", Lane, "--tag", "t2", "--out", outDir.Path, "--dwell", "1s", "--load", "40");

        Assert.True(run.ExitCode == 0, run.ToString());
        var phases = Phases(Report(outDir.Path));
        Assert.Equal(["data", "stable", "migrate", "n-1", "rollout", "rollback"], phases.Select(p => p.Id));
        Assert.All(phases, p => Assert.Equal("pass", p.Verdict));
        Assert.Equal("the data command loaded the scratch data and set DATABASE_URL, RUNTIME_DATA_DIR", phases[0].Reason);
        var log = File.ReadAllText(Path.Combine(outDir.Path, "logs", "data.log"));
        Assert.Contains("$ sh load-scratch.sh", log, StringComparison.Ordinal);
        Assert.Contains("loaded production's schema into ***", log, StringComparison.Ordinal);
        // The environment's data folder was copied first, so the command saw it.
        Assert.Matches(@"data folder: .*schema\.sql", log);
        Assert.Contains("the scratch revisions and migration job get DATABASE_URL, RUNTIME_DATA_DIR from the data command (values not shown)", log, StringComparison.Ordinal);

        // The scratch database has production's table and none of its rows; production's database is as it was.
        Assert.Equal(0L, Sql(scratch, "SELECT count(*) FROM runs"));
        Assert.Equal(1L, Sql(production, "SELECT count(*) FROM runs"));
        // The migration job ran with the command's RUNTIME_DATA_DIR: it migrated that folder, not the scratch service's data folder.
        var scratchDir = Path.Combine(outDir.Path, "scratch");
        Assert.Contains("started_at", File.ReadAllText(Path.Combine(scratchDir, "runtime-data", "schema.sql")), StringComparison.Ordinal);
        Assert.DoesNotContain("started_at", File.ReadAllText(Path.Combine(scratchDir, "data", "production", "runtime", "schema.sql")), StringComparison.Ordinal);

        // The database's password is in no output and no file left behind, the scratch folder's included: the scratch
        // agent's state (its launches' environments) and the command's variable file are gone.
        Assert.DoesNotContain(pg.Password, run.Out + run.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(scratchDir, "state.db")));
        Assert.False(File.Exists(Path.Combine(scratchDir, "data.env")));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(scratchDir, "logs", "revisions")));
        AssertNowhere(pg.Password, outDir.Path);
    }

    [Fact]
    public void DatabaseUrlToAnotherMachine_WithoutADataCommand_IsRefusedBeforeAnythingStarts_NamingItButNotItsValue()
    {
        const string password = "n0t-f0r-rehearsals";
        var file = Example.Variant("prod-db.yaml",
            ("production: { service: runtime,", $"production: {{ env: {{ DATABASE_URL: \"postgres://app:{password}@db.prod.example:5432/runtime\", LOG_LEVEL: info }}, service: runtime,"));
        using var outDir = new TempDir();

        var run = Example.Cli("--file", file, "rehearse", Lane, "--tag", "t1", "--out", outDir.Path);

        // Bad input, as a lane without a migration job: the lane lacks what a rehearsal needs. One line, with the fix.
        Assert.True(run.ExitCode == 2, run.ToString());
        var line = Assert.Single(run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("runtime in production has DATABASE_URL, which leads to data outside the rehearsal's scratch", line, StringComparison.Ordinal);
        Assert.Contains("add rehearsal: { data: { command: … } } to runtime, whose command writes DATABASE_URL=scratch-value as a line to $DEPLOYMATRIX_SCRATCH_ENV", line, StringComparison.Ordinal);
        Assert.DoesNotContain(password, run.Out + run.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("db.prod.example", run.Out + run.Err, StringComparison.Ordinal);
        // Nothing started: no scratch folder (so no agent, revision or job), no report, no audit record.
        Assert.Empty(Directory.GetFileSystemEntries(outDir.Path));
        Assert.DoesNotContain(AuditChain(), r => r.StartsWith("rehearse", StringComparison.Ordinal));
    }

    [Fact]
    public void DataCommand_ThatLeavesAVariableToTheEnvironmentsData_StopsTheRehearsalAfterIt_BeforeAnyRevisionOrMigration()
    {
        const string password = "r3dis-pr0d";
        File.WriteAllText(Path.Combine(Example.Dir, "load-half.sh"), """
            set -eu
            echo "DATABASE_URL=postgres://rehearsal:scratch-only@127.0.0.1:5432/scratch" >> "$DEPLOYMATRIX_SCRATCH_ENV"
            echo "replaced the database, forgot the cache"

            """);
        var file = Example.Variant("half.yaml",
            ("production: { service: runtime,", $"production: {{ env: {{ DATABASE_URL: \"postgres://db.prod.example/runtime\", SESSIONS: \"redis://:{password}@cache.prod.example:6379/0\" }}, service: runtime,"),
            ("    migration:\n      job: runtime-migrate", "    rehearsal:\n      data: { command: sh load-half.sh, timeout: 1m }\n    migration:\n      job: runtime-migrate"));
        DeployProduction();
        var status = Ok(Example.Cli("status", Lane, "--env", "production")).Out;
        var schema = File.ReadAllText(ProductionSchema);
        using var outDir = new TempDir();

        var run = Example.Cli("--file", file, "rehearse", Lane, "--tag", "t1", "--out", outDir.Path);

        Assert.True(run.ExitCode == 1, run.ToString());
        var phases = Phases(Report(outDir.Path));
        Assert.Equal(("data", "fail"), (phases[0].Id, phases[0].Verdict));
        // SESSIONS is caught by its value: a Redis URL to another machine.
        Assert.Equal("the data command did not replace SESSIONS, which leads to data outside the rehearsal's scratch (the environment's own); "
            + "nothing was started: make it write SESSIONS=scratch-value as a line to $DEPLOYMATRIX_SCRATCH_ENV", phases[0].Reason);
        Assert.All(phases.Skip(1), p => Assert.Equal(("skip", "not run: the scratch data did not load"), (p.Verdict, p.Reason)));
        // No scratch revision or migration execution ever started (the agent logs each one's output from its start).
        var scratchDir = Path.Combine(outDir.Path, "scratch");
        Assert.False(Directory.Exists(Path.Combine(scratchDir, "logs", "revisions")));
        Assert.False(Directory.Exists(Path.Combine(scratchDir, "logs", "jobs")));
        Assert.Equal(status, Ok(Example.Cli("status", Lane, "--env", "production")).Out);
        Assert.Equal(schema, File.ReadAllText(ProductionSchema));
        Assert.DoesNotContain(password, run.Out + run.Err, StringComparison.Ordinal);
        AssertNowhere(password, outDir.Path);
        AssertNowhere("scratch-only", outDir.Path);
    }

    /// <summary>No file under the folder (links not followed) holds the text, byte for byte.</summary>
    private static void AssertNowhere(string text, string dir)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(text);
        var files = Directory.GetFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint });
        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.True(File.ReadAllBytes(f).AsSpan().IndexOf(needle) < 0, $"{f} holds it"));
    }

    /// <summary>Runs SQL on one of the test server's databases (by its URI); returns the first column of the first row, if any.</summary>
    private static object? Sql(string uri, string sql)
    {
        using var connection = new NpgsqlConnection(PostgresServer.Instance.ConnectionString(uri[(uri.LastIndexOf('/') + 1)..]));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private string ProductionSchema => Path.Combine(Example.Dir, ".deploymatrix", "data", "production", "runtime", "schema.sql");

    /// <summary>Production runs t1, migrated.</summary>
    private void DeployProduction() => Ok(Example.Cli("deploy", Lane, "--env", "production", "--tag", "t1"));

    /// <summary>The runtime built with one of the next release's migration variants, as TAG.</summary>
    private void BuildVariant(string feature, string tag)
    {
        var file = Example.Variant($"{feature}.yaml",
            "command: cargo build --release --manifest-path apps/runtime/Cargo.toml",
            $"command: cargo build --release --manifest-path apps/runtime/Cargo.toml --features {feature}");
        Ok(Example.Cli("--file", file, "build", Lane, "--tag", tag));
    }

    /// <summary>The example's gate with the runtime's staging readiness and its rehearsal only.</summary>
    private string GateVariant()
    {
        var text = File.ReadAllText(Path.Combine(Example.Dir, "deploymatrix.yaml"));
        // The control service's verify and canary checks name gate checks this gate leaves out.
        text = text.Replace("        - control-perf-budget\n", "", StringComparison.Ordinal).Replace("    rollout: { gate-checks: true }\n", "", StringComparison.Ordinal);
        var gate = text.IndexOf("\ngate:\n", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(Example.Dir, "rehearsed.yaml"), text[..gate] + """

            gate:
              from: staging
              to: production
              checks:
                - id: runtime-staging-smoke
                  http: { lane: runtime, env: staging, path: /readyz }
                - id: runtime-rehearsal
                  description: the release passed a rehearsal against production (rollback safe)
                  rehearsal: { lane: runtime }

            """.Replace("\n            ", "\n", StringComparison.Ordinal));
        return "rehearsed.yaml";
    }

    private string ProductionDeployed() => string.Join('\n', Directory.GetFiles(Path.Combine(Example.Dir, ".deploymatrix", "data", "production"), "*", SearchOption.AllDirectories)
        .Order(StringComparer.Ordinal).Select(f => f + " " + File.ReadAllText(f)));

    /// <summary>The audit chain's records as "action lane env result", oldest first.</summary>
    private List<string> AuditChain()
    {
        using var store = StateStore.Open(StateLocation.Sqlite(Path.Combine(Example.Dir, ".deploymatrix", "state.db")), TimeProvider.System);
        return [.. store.AuditRecords().Select(r => $"{r.Action} {r.Lane} {r.Env} {r.Result}")];
    }

    private static JsonElement Report(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "rehearsal.json"))).RootElement;

    private static List<(string Id, string Verdict, string Reason)> Phases(JsonElement report) =>
        report.GetProperty("phases").EnumerateArray().Select(p => (p.GetProperty("id").GetString()!, p.GetProperty("verdict").GetString()!, p.GetProperty("reason").GetString()!)).ToList();

    private static CliRun Ok(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return run;
    }
}
