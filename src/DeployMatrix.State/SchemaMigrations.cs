using System.Data.Common;
using DeployMatrix.State.Backends;

namespace DeployMatrix.State;

/// <summary>
/// Ordered, append-only schema migrations of the state database, the same steps on every backend (each
/// in its words: <see cref="StateBackend.Ddl"/>), applied in one write transaction so two processes
/// opening a new database never migrate it twice.
/// </summary>
internal static class SchemaMigrations
{
    private static readonly string[] Steps =
    [
        """
        CREATE TABLE artifacts (digest TEXT PRIMARY KEY, lane TEXT NOT NULL, path TEXT NOT NULL, size {bigint} NOT NULL, created_at TEXT NOT NULL);
        CREATE TABLE artifact_tags (lane TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL REFERENCES artifacts(digest), created_at TEXT NOT NULL, PRIMARY KEY (lane, tag));
        CREATE TABLE services (env TEXT NOT NULL, service TEXT NOT NULL, lane TEXT NOT NULL, port INTEGER, next_revision INTEGER NOT NULL DEFAULT 1,
            stable_revision TEXT, PRIMARY KEY (env, service));
        CREATE TABLE revisions (name TEXT PRIMARY KEY, env TEXT NOT NULL, service TEXT NOT NULL, lane TEXT NOT NULL, image TEXT NOT NULL, digest TEXT NOT NULL,
            tag TEXT, launch TEXT NOT NULL, status TEXT NOT NULL, desired TEXT NOT NULL, port INTEGER, pid INTEGER, reason TEXT,
            created_at TEXT NOT NULL, ready_at TEXT, stopped_at TEXT);
        CREATE INDEX revisions_service ON revisions (env, service);
        CREATE TABLE traffic (env TEXT NOT NULL, service TEXT NOT NULL, revision TEXT NOT NULL, percent INTEGER NOT NULL, PRIMARY KEY (env, service, revision));
        CREATE TABLE jobs (env TEXT NOT NULL, job TEXT NOT NULL, lane TEXT NOT NULL, service TEXT NOT NULL, image TEXT NOT NULL, digest TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (env, job));
        CREATE TABLE executions (id {id}, env TEXT NOT NULL, job TEXT NOT NULL, image TEXT NOT NULL, digest TEXT NOT NULL, status TEXT NOT NULL,
            exit_code INTEGER, log_path TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT);
        CREATE TABLE journal (id {id}, at TEXT NOT NULL, actor TEXT NOT NULL, lane TEXT, env TEXT, action TEXT NOT NULL,
            step TEXT, status TEXT NOT NULL, detail TEXT);
        CREATE TABLE locks (scope TEXT PRIMARY KEY, holder TEXT NOT NULL, pid INTEGER NOT NULL, acquired_at TEXT NOT NULL);
        """,
        """
        CREATE TABLE gates (id {id}, at TEXT NOT NULL, from_env TEXT NOT NULL, to_env TEXT NOT NULL, tag TEXT NOT NULL,
            go INTEGER NOT NULL, evidence TEXT NOT NULL);
        CREATE INDEX gates_tag ON gates (from_env, to_env, tag);
        """,
        """
        CREATE TABLE audit (id {id}, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, lane TEXT, env TEXT,
            inputs TEXT NOT NULL, result TEXT NOT NULL, receipt TEXT, receipt_hash TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
        """,
        """
        CREATE TABLE rollouts (id {id}, lane TEXT NOT NULL, env TEXT NOT NULL, stable TEXT NOT NULL, canary TEXT NOT NULL,
            status TEXT NOT NULL, stage INTEGER NOT NULL, reason TEXT, started_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE INDEX rollouts_lane ON rollouts (lane, env);
        """,
        """
        ALTER TABLE rollouts ADD COLUMN stages TEXT NOT NULL DEFAULT '0,5,25,50,100';
        ALTER TABLE rollouts ADD COLUMN stage_index INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE rollouts ADD COLUMN window_ms {bigint} NOT NULL DEFAULT 600000;
        ALTER TABLE rollouts ADD COLUMN owner_pid INTEGER;
        ALTER TABLE rollouts ADD COLUMN control TEXT;
        ALTER TABLE rollouts ADD COLUMN control_reason TEXT;
        ALTER TABLE rollouts ADD COLUMN control_actor TEXT;
        """,
        """
        CREATE TABLE maintenance (
            env TEXT NOT NULL, service TEXT NOT NULL, lane TEXT NOT NULL, platform TEXT NOT NULL,
            since TEXT NOT NULL, actor TEXT NOT NULL, message TEXT NOT NULL, retry_after INTEGER NOT NULL,
            previous_traffic TEXT,
            PRIMARY KEY (env, service));
        """,
        """
        ALTER TABLE journal ADD COLUMN operation {bigint};
        ALTER TABLE journal ADD COLUMN pid INTEGER;
        ALTER TABLE journal ADD COLUMN audit_id {bigint};
        CREATE INDEX journal_operation ON journal (operation);
        CREATE TABLE stable_revisions (
            platform TEXT NOT NULL, env TEXT NOT NULL, service TEXT NOT NULL, revision TEXT NOT NULL, recorded_at TEXT NOT NULL,
            PRIMARY KEY (platform, env, service));
        """,
        // Tags bound to content per platform (a release is its digest, not its name); gate verdicts keep
        // what they checked and can be voided by a re-tag. The local registry's tags move here.
        """
        CREATE TABLE tag_bindings (
            platform TEXT NOT NULL, lane TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT, image TEXT NOT NULL, bound_at TEXT NOT NULL,
            PRIMARY KEY (platform, lane, tag));
        INSERT INTO tag_bindings (platform, lane, tag, digest, image, bound_at)
            SELECT 'local', lane, tag, digest, 'local://' || lane || '@' || digest, created_at FROM artifact_tags;
        DROP TABLE artifact_tags;
        CREATE TABLE gate_releases (
            gate_id {bigint} NOT NULL REFERENCES gates(id), lane TEXT NOT NULL, env TEXT NOT NULL, revision TEXT, digest TEXT, image TEXT,
            PRIMARY KEY (gate_id, lane));
        ALTER TABLE gates ADD COLUMN voided TEXT;
        """,
        // Job executions are owned by the local agent: its pid, the execution's, and why it ended as it did.
        """
        ALTER TABLE executions ADD COLUMN owner_pid INTEGER;
        ALTER TABLE executions ADD COLUMN pid INTEGER;
        ALTER TABLE executions ADD COLUMN reason TEXT;
        """,
        // A pid alone does not name a process once it may have been reused: its start time (clock ticks
        // since boot, /proc/PID/stat field 22) is recorded with it.
        """
        ALTER TABLE revisions ADD COLUMN pid_start_time {bigint};
        ALTER TABLE executions ADD COLUMN pid_start_time {bigint};
        """,
        // What a service's local listener accepts (limits, TLS), as JSON: a restarted agent listens the same way.
        """
        ALTER TABLE services ADD COLUMN listener TEXT;
        """,
        // Receipts kept beside the files they were written to, so a chain is verifiable where the files
        // are not; and the sessions of a shared database's stores (who holds a lock, drives a rollout).
        """
        CREATE TABLE receipts (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, content TEXT NOT NULL, recorded_at TEXT NOT NULL);
        CREATE TABLE sessions (id {id}, who TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, started_at TEXT NOT NULL);
        """,
        // Each notification delivery: which channel (its name, never its URL), which event, and how it ended.
        """
        CREATE TABLE notifications (id {id}, at TEXT NOT NULL, event TEXT NOT NULL, lane TEXT, env TEXT, channel TEXT NOT NULL,
            kind TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, http_status INTEGER, detail TEXT);
        """,
    ];

    /// <summary>The schema version this build writes and reads.</summary>
    public static int Latest => Steps.Length;

    /// <exception cref="StateStoreException">The database's schema is newer than this build knows.</exception>
    public static void Apply(StateBackend backend)
    {
        var connection = backend.Connection;
        StateStore.Exec(connection, backend.BeginWrite);
        try
        {
            StateStore.Exec(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
            var current = CurrentVersion(connection);
            if (current > Steps.Length)
            {
                // An older build would read and write columns it does not know of, silently.
                throw new StateStoreException($"the state at {backend.Location} has schema version {current}, newer than this deploymatrix knows ({Steps.Length}); upgrade deploymatrix to use it");
            }

            for (var i = current; i < Steps.Length; i++)
            {
                StateStore.Exec(connection, backend.Ddl(Steps[i]));
                StateStore.Exec(connection, $"DELETE FROM schema_version; INSERT INTO schema_version VALUES ({i + 1})");
            }

            StateStore.Exec(connection, "COMMIT");
        }
        catch
        {
            StateStore.Exec(connection, "ROLLBACK");
            throw;
        }
    }

    public static int CurrentVersion(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
