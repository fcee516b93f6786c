using System.Diagnostics;
using System.Globalization;
using DeployMatrix.Engine.Recording;
using DeployMatrix.Engine.Workspaces;
using DeployMatrix.State;
using DeployMatrix.Tests.Support;

// The state's share of three commands, on SQLite and on PostgreSQL side by side (loopback, a server
// started here as the tests start theirs): what each command asks of the store, through the engine's
// own lock and recorder, without the platform's calls (the same on both backends).
//   status         — open the store (what every command pays: connect, schema check) and read each
//                    lane's latest rollout, maintenance and stable revision
//   traffic change — take the lane lock, journal the operation (start, a step before and after, end)
//                    with its audit record and receipt, release the lock
//   lock round-trip — take and release a lane lock on an open store
// Usage: dotnet run -c Release --project bench/StateBench -- [ROUNDS]
var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
var folder = Path.Combine(Path.GetTempPath(), "dm-statebench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(folder);
var backends = new (string Name, StateLocation Location)[]
{
    ("SQLite", StateLocation.Sqlite(Path.Combine(folder, "state.db"))),
    ("PostgreSQL", StateLocation.Postgres(PostgresServer.Instance.CreateDatabase(), "bench")),
};
string[] lanes = ["runtime", "openagents-control-service", "lightning-ops"];
var time = TimeProvider.System;
var results = new Dictionary<(string, string), double>();
foreach (var (name, location) in backends)
{
    using var store = StateStore.Open(location, time);
    var locks = new LaneLocks(store, time, TimeSpan.Zero, "bench");
    var recorder = new Recorder(store, new ReceiptWriter(Path.Combine(folder, name, "receipts"), time), "bench");
    results[(name, "status")] = Median(rounds, () =>
    {
        using var opened = StateStore.Open(location, time);
        foreach (var lane in lanes)
        {
            opened.LatestRollout(lane, "production");
            opened.FindMaintenance("production", lane);
            opened.FindStable("cloudrun", "production", lane);
        }
    });
    results[(name, "traffic change")] = Median(rounds, () =>
    {
        using (locks.AcquireAsync("runtime", "production", "set-traffic", CancellationToken.None).GetAwaiter().GetResult())
        {
            var log = recorder.Begin("set-traffic", "runtime", "production", "runtime-1=90,runtime-2=10");
            log.Step("set traffic", "started", null);
            log.Step("set traffic", "succeeded", "runtime-1=90,runtime-2=10");
            log.End("succeeded", new Dictionary<string, string?> { ["to"] = "runtime-1=90,runtime-2=10" }, "succeeded");
        }
    });
    results[(name, "lock round-trip")] = Median(rounds, () =>
    {
        locks.AcquireAsync("runtime", "production", "bench", CancellationToken.None).GetAwaiter().GetResult().Dispose();
    });
}

Console.WriteLine($"{rounds} rounds each after 10 warm-up rounds; median ms");
Console.WriteLine();
Console.WriteLine("| measurement | SQLite ms | PostgreSQL ms | PostgreSQL / SQLite |");
Console.WriteLine("|---|---:|---:|---:|");
foreach (var what in new[] { "status", "traffic change", "lock round-trip" })
{
    var (sqlite, pg) = (results[("SQLite", what)], results[("PostgreSQL", what)]);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {what} | {sqlite:0.00} | {pg:0.00} | {pg / sqlite:0.0}x |"));
}

Directory.Delete(folder, recursive: true);
return 0;

static double Median(int rounds, Action action)
{
    for (var i = 0; i < 10; i++)
    {
        action();
    }

    var samples = new double[rounds];
    for (var i = 0; i < rounds; i++)
    {
        var watch = Stopwatch.StartNew();
        action();
        samples[i] = watch.Elapsed.TotalMilliseconds;
    }

    Array.Sort(samples);
    return samples[rounds / 2];
}
