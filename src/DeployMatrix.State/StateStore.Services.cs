namespace DeployMatrix.State;

public sealed partial class StateStore
{
    /// <param name="listener">The listener's settings (JSON); null keeps what was recorded.</param>
    public ServiceRecord EnsureService(string env, string service, string lane, int? port, string? listener = null) => Write(() =>
    {
        Execute("INSERT INTO services (env, service, lane, port, listener) VALUES (@e, @s, @l, @p, @li) ON CONFLICT (env, service) DO UPDATE SET port = COALESCE(@p, services.port), listener = COALESCE(@li, services.listener)",
            ("@e", env), ("@s", service), ("@l", lane), ("@p", port), ("@li", listener));
        return FindService(env, service)!;
    });

    public ServiceRecord? FindService(string env, string service) =>
        Query("SELECT env, service, lane, port, listener FROM services WHERE env = @e AND service = @s", ReadService, ("@e", env), ("@s", service)).FirstOrDefault();

    public IReadOnlyList<ServiceRecord> Services() =>
        Query("SELECT env, service, lane, port, listener FROM services ORDER BY env, service", ReadService);

    /// <summary>Reserves the next revision number of a service (Cloud Run style: SERVICE-00042-xyz).</summary>
    public int NextRevisionNumber(string env, string service) => Write(() =>
    {
        var next = Query("SELECT next_revision FROM services WHERE env = @e AND service = @s", r => r.GetInt32(0), ("@e", env), ("@s", service)).Single();
        Execute("UPDATE services SET next_revision = next_revision + 1 WHERE env = @e AND service = @s", ("@e", env), ("@s", service));
        return next;
    });

    public void AddRevision(RevisionRecord revision) => Execute(
        """
        INSERT INTO revisions (name, env, service, lane, image, digest, tag, launch, status, desired, port, pid, reason, created_at)
        VALUES (@n, @e, @s, @l, @i, @d, @t, @launch, @status, @desired, @port, @pid, @reason, @at)
        """,
        ("@n", revision.Name), ("@e", revision.Env), ("@s", revision.Service), ("@l", revision.Lane), ("@i", revision.Image), ("@d", revision.Digest),
        ("@t", revision.Tag), ("@launch", revision.Launch), ("@status", revision.Status), ("@desired", revision.Desired), ("@port", revision.Port),
        ("@pid", revision.Pid), ("@reason", revision.Reason), ("@at", Now));

    /// <param name="pidStartTime">When <paramref name="pid"/> started (clock ticks since boot), so a later agent can tell it from a reused pid.</param>
    public void UpdateRevision(string name, string status, int? port, int? pid, string? reason, long? pidStartTime = null)
    {
        var readyAt = status == RevisionStatus.Ready ? Now : null;
        Execute("UPDATE revisions SET status = @st, port = @port, pid = @pid, pid_start_time = @ps, reason = @r, ready_at = COALESCE(@ready, ready_at) WHERE name = @n",
            ("@n", name), ("@st", status), ("@port", port), ("@pid", pid), ("@ps", pid is null ? null : pidStartTime), ("@r", reason), ("@ready", readyAt));
    }

    public void SetDesired(string name, string desired) =>
        Execute("UPDATE revisions SET desired = @d, stopped_at = CASE WHEN @d = 'stop' THEN @t ELSE stopped_at END WHERE name = @n", ("@n", name), ("@d", desired), ("@t", Now));

    public RevisionRecord? FindRevision(string name) =>
        Query($"SELECT {RevisionColumns} FROM revisions WHERE name = @n", ReadRevision, ("@n", name)).FirstOrDefault();

    /// <summary>Revisions of a service, oldest first.</summary>
    public IReadOnlyList<RevisionRecord> Revisions(string env, string service) =>
        Query($"SELECT {RevisionColumns} FROM revisions WHERE env = @e AND service = @s ORDER BY created_at, name", ReadRevision, ("@e", env), ("@s", service));

    public IReadOnlyList<RevisionRecord> RevisionsToRun() =>
        Query($"SELECT {RevisionColumns} FROM revisions WHERE desired = 'run' ORDER BY created_at, name", ReadRevision);

    public IReadOnlyList<TrafficSplitRecord> Traffic(string env, string service) =>
        Query("SELECT revision, percent FROM traffic WHERE env = @e AND service = @s AND percent > 0 ORDER BY percent DESC, revision",
            r => new TrafficSplitRecord(r.GetString(0), r.GetInt32(1)), ("@e", env), ("@s", service));

    /// <summary>Replaces a service's split on the local platform.</summary>
    public void SetTraffic(string env, string service, IReadOnlyList<TrafficSplitRecord> splits) => Write(() =>
    {
        Execute("DELETE FROM traffic WHERE env = @e AND service = @s", ("@e", env), ("@s", service));
        foreach (var split in splits.Where(s => s.Percent > 0))
        {
            Execute("INSERT INTO traffic (env, service, revision, percent) VALUES (@e, @s, @r, @p)", ("@e", env), ("@s", service), ("@r", split.Revision), ("@p", split.Percent));
        }
    });

    /// <summary>Records the stable revision of a service on a platform (the engine decides what it is; see its StableRevision).</summary>
    public void RecordStable(string platform, string env, string service, string revision) => Execute(
        """
        INSERT INTO stable_revisions (platform, env, service, revision, recorded_at) VALUES (@p, @e, @s, @r, @t)
        ON CONFLICT (platform, env, service) DO UPDATE SET revision = @r, recorded_at = @t
        """,
        ("@p", platform), ("@e", env), ("@s", service), ("@r", revision), ("@t", Now));

    /// <summary>The recorded stable revision of a service on a platform, or null.</summary>
    public string? FindStable(string platform, string env, string service) =>
        Query("SELECT revision FROM stable_revisions WHERE platform = @p AND env = @e AND service = @s", r => r.GetString(0),
            ("@p", platform), ("@e", env), ("@s", service)).FirstOrDefault();

    private const string RevisionColumns = "name, env, service, lane, image, digest, tag, launch, status, desired, port, pid, reason, created_at, ready_at, pid_start_time";

    private static ServiceRecord ReadService(System.Data.Common.DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), NullableInt(r, 3), NullableString(r, 4));

    private static RevisionRecord ReadRevision(System.Data.Common.DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), NullableString(r, 6), r.GetString(7),
        r.GetString(8), r.GetString(9), NullableInt(r, 10), NullableInt(r, 11), NullableString(r, 12), r.GetString(13), NullableString(r, 14))
    {
        PidStartTime = r.IsDBNull(15) ? null : r.GetInt64(15),
    };
}
