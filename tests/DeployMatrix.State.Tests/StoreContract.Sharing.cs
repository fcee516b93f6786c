namespace DeployMatrix.State.Tests;

/// <summary>What several processes (on PostgreSQL: machines) sharing one store must never see: two holders, a forked chain, two drivers.</summary>
public abstract partial class StoreContract
{
    [Fact]
    public async Task TwoProcessesRacingForALock_OneHoldsIt_TheOtherIsToldWho_EveryRound()
    {
        var a = OpenProcess();
        var b = OpenProcess();
        for (var round = 0; round < 50; round++)
        {
            using var start = new Barrier(2);
            var results = await Task.WhenAll(new[] { (a, "alice traffic"), (b, "bob traffic") }.Select(p => Task.Run(() =>
            {
                start.SignalAndWait();
                return (Store: p.Item1, HeldBy: p.Item1.TryLock("web/production", p.Item2));
            })));

            var winner = Assert.Single(results, r => r.HeldBy is null);
            var loser = Assert.Single(results, r => r.HeldBy is not null);
            Assert.StartsWith(winner.Store == a ? "alice traffic (" : "bob traffic (", loser.HeldBy, StringComparison.Ordinal);
            winner.Store.Unlock("web/production");
        }
    }

    [Fact]
    public async Task AppendsFromTwoProcessesAtOnce_MakeOneLinearChain()
    {
        var a = OpenProcess();
        var b = OpenProcess();

        await Task.WhenAll(new[] { a, b }.Select((store, n) => Task.Run(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                store.AppendAudit((prev, at) => new AuditRecord(0, at, $"p{n}", "traffic", "web", "production", "{}", "succeeded", null, null, prev, $"h-{n}-{i}"));
            }
        })));

        var records = a.AuditRecords();
        Assert.Equal(200, records.Count);
        Assert.Equal(StateStore.AuditGenesis, records[0].PrevHash);
        Assert.All(records.Skip(1).Zip(records), pair => Assert.Equal(pair.Second.Hash, pair.First.PrevHash));
    }

    [Fact]
    public async Task TwoProcessesResumingADeadDriversRollout_OnlyOneWins()
    {
        var driver = OpenProcess();
        var id = driver.StartRollout("web", "production", "s", "c", [0, 5, 100], TimeSpan.FromSeconds(30), "running");
        Kill(driver);
        var a = OpenProcess();
        var b = OpenProcess();

        using var start = new Barrier(2);
        var claims = await Task.WhenAll(new[] { a, b }.Select(store => Task.Run(() =>
        {
            start.SignalAndWait();
            return store.ClaimRollout(id, "running", row => row.OwnerPid is not { } pid || !store.Owner.IsAlive(pid));
        })));

        Assert.Single(claims, won => won);
        var winner = claims[0] ? a : b;
        Assert.Equal(winner.Owner.Pid, b.Rollout(id)!.OwnerPid);
    }

    [Fact]
    public void AReceipt_IsKeptOncePerPath()
    {
        var store = Open();

        store.PutReceipt(new ReceiptRecord("receipts/a.json", "h1", "{\"a\":1}"));
        store.PutReceipt(new ReceiptRecord("receipts/a.json", "h2", "{\"a\":2}"));

        Assert.Equal(new ReceiptRecord("receipts/a.json", "h1", "{\"a\":1}"), OpenProcess().FindReceipt("receipts/a.json"));
        Assert.Null(store.FindReceipt("receipts/b.json"));
    }
}
