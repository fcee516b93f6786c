namespace DeployMatrix.State;

/// <summary>A service in maintenance mode; <see cref="PreviousTraffic"/> is the split to restore on Cloud Run.</summary>
public sealed record MaintenanceRecord(
    string Env, string Service, string Lane, string Platform, string Since, string Actor, string Message, int RetryAfter, string? PreviousTraffic);

public sealed partial class StateStore
{
    public void SetMaintenance(MaintenanceRecord record) => Execute(
        """
        INSERT INTO maintenance (env, service, lane, platform, since, actor, message, retry_after, previous_traffic)
        VALUES (@e, @s, @l, @p, @since, @a, @m, @r, @prev)
        ON CONFLICT (env, service) DO UPDATE SET message = @m, retry_after = @r
        """,
        ("@e", record.Env), ("@s", record.Service), ("@l", record.Lane), ("@p", record.Platform), ("@since", record.Since),
        ("@a", record.Actor), ("@m", record.Message), ("@r", record.RetryAfter), ("@prev", record.PreviousTraffic));

    public void ClearMaintenance(string env, string service) =>
        Execute("DELETE FROM maintenance WHERE env = @e AND service = @s", ("@e", env), ("@s", service));

    public MaintenanceRecord? FindMaintenance(string env, string service) =>
        Query(MaintenanceSelect + " WHERE env = @e AND service = @s", ReadMaintenance, ("@e", env), ("@s", service)).FirstOrDefault();

    public IReadOnlyList<MaintenanceRecord> Maintenance() => Query(MaintenanceSelect + " ORDER BY env, service", ReadMaintenance);

    private const string MaintenanceSelect = "SELECT env, service, lane, platform, since, actor, message, retry_after, previous_traffic FROM maintenance";

    private static MaintenanceRecord ReadMaintenance(System.Data.Common.DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetInt32(7), r.IsDBNull(8) ? null : r.GetString(8));
}
