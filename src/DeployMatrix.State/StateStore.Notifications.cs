namespace DeployMatrix.State;

/// <summary>
/// One notification delivery as recorded: the event (<c>rollout-failed</c>…), its lane and environment, the
/// channel by name and kind (never its URL or key), and how it ended: <c>delivered</c>, <c>failed</c>,
/// <c>skipped</c> (its URL's variable unset) or <c>dropped</c> (the queue was full).
/// </summary>
/// <param name="Attempts">HTTP requests made (0 when none was).</param>
/// <param name="HttpStatus">The last response's status code; null when none came.</param>
public sealed record DeliveryRecord(
    long Id, string At, string Event, string? Lane, string? Env, string Channel, string Kind, string Status, int Attempts, int? HttpStatus, string? Detail);

public sealed partial class StateStore
{
    /// <summary>Records a delivery's end (the id given is ignored); returns its id.</summary>
    public long RecordDelivery(DeliveryRecord d) => Scalar<long>(
        """
        INSERT INTO notifications (at, event, lane, env, channel, kind, status, attempts, http_status, detail)
        VALUES (@t, @e, @l, @env, @c, @k, @s, @a, @h, @d) RETURNING id
        """,
        ("@t", Now), ("@e", d.Event), ("@l", d.Lane), ("@env", d.Env), ("@c", d.Channel), ("@k", d.Kind), ("@s", d.Status),
        ("@a", d.Attempts), ("@h", d.HttpStatus), ("@d", d.Detail));

    /// <summary>The newest deliveries first.</summary>
    public IReadOnlyList<DeliveryRecord> Deliveries(int limit = 100) => Query(
        "SELECT id, at, event, lane, env, channel, kind, status, attempts, http_status, detail FROM notifications ORDER BY id DESC LIMIT @n",
        r => new DeliveryRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), NullableString(r, 3), NullableString(r, 4), r.GetString(5), r.GetString(6),
            r.GetString(7), r.GetInt32(8), NullableInt(r, 9), NullableString(r, 10)),
        ("@n", limit));
}
