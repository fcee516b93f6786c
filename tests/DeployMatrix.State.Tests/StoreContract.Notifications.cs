namespace DeployMatrix.State.Tests;

/// <summary>Notification deliveries as the state keeps them, on every backend.</summary>
public abstract partial class StoreContract
{
    [Fact]
    public void Deliveries_RoundTrip_NewestFirst_StampedByTheStoresClock()
    {
        var store = Open();

        store.RecordDelivery(new DeliveryRecord(0, "", "rollout-failed", "api", "production", "ops-slack", "slack", "failed", 3, 500, "HTTP 500 after 3 attempts"));
        Time.Advance(TimeSpan.FromSeconds(1));
        store.RecordDelivery(new DeliveryRecord(0, "", "gate-go", null, "production", "hook", "webhook", "delivered", 1, 200, null));

        var deliveries = store.Deliveries();
        Assert.Equal(["gate-go", "rollout-failed"], deliveries.Select(d => d.Event));
        Assert.Equal((null, "production", "hook", "webhook", "delivered", 1, (int?)200, (string?)null),
            (deliveries[0].Lane, deliveries[0].Env, deliveries[0].Channel, deliveries[0].Kind, deliveries[0].Status, deliveries[0].Attempts, deliveries[0].HttpStatus, deliveries[0].Detail));
        Assert.Equal(("2026-11-30T10:00:00.0000000+00:00", "api", 3, (int?)500, "HTTP 500 after 3 attempts"),
            (deliveries[1].At, deliveries[1].Lane, deliveries[1].Attempts, deliveries[1].HttpStatus, deliveries[1].Detail));
        Assert.Single(store.Deliveries(limit: 1));
    }
}
