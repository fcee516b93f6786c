using System.Globalization;

namespace DeployMatrix.State;

/// <summary>What <see cref="StateCopy.Copy"/> did: rows per table now in the target, and how many it added.</summary>
public sealed record StateCopyResult(IReadOnlyList<(string Table, int Rows, int Added)> Tables);

/// <summary>
/// Copies one store's rows into another (a machine's SQLite state into the team's PostgreSQL database):
/// every table, ids kept (journal rows point at audit records, gate releases at gates), in one write
/// transaction on the target. Rows already there are left alone, so copying again adds nothing; the
/// copy is then verified table by table, and undone when the target holds rows the source does not
/// (another team's state) or differs from it.
/// </summary>
public static class StateCopy
{
    // Parents before children (foreign keys); sessions belong to a database's own connections and are not copied.
    private static readonly string[] Tables =
    [
        "artifacts", "tag_bindings", "services", "revisions", "traffic", "jobs", "executions", "journal", "locks", "gates", "gate_releases",
        "audit", "rollouts", "maintenance", "stable_revisions", "receipts", "notifications",
    ];

    private static readonly string[] Identities = ["executions", "journal", "gates", "audit", "rollouts", "notifications"];

    /// <exception cref="StateStoreException">The target holds other state, or differs from the source after the copy (nothing is kept).</exception>
    public static StateCopyResult Copy(StateStore source, StateStore target)
    {
        var result = new List<(string, int, int)>();
        target.Write(() =>
        {
            foreach (var table in Tables)
            {
                var rows = source.Rows(table, out var columns);
                var sourceLines = Lines(rows).ToHashSet(StringComparer.Ordinal);
                var existing = Lines(target.Rows(table, out _)).ToList();
                var foreign = existing.Count(line => !sourceLines.Contains(line));
                if (foreign > 0)
                {
                    throw new StateStoreException($"{target.Location} already holds other state ({foreign} row{(foreign == 1 ? "" : "s")} in {table} that {source.Location} does not have); copy into an empty database, nothing was copied");
                }

                var insert = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, i) => $"@c{i}"))}) ON CONFLICT DO NOTHING";
                foreach (var row in rows)
                {
                    target.Execute(insert, [.. row.Select((value, i) => ($"@c{i}", value))]);
                }

                if (target.Shared && Identities.Contains(table))
                {
                    // New rows written after the copy take ids above the copied ones.
                    target.Execute($"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), 1))");
                }

                var after = target.Rows(table, out _);
                if (!Lines(after).Order(StringComparer.Ordinal).SequenceEqual(sourceLines.Order(StringComparer.Ordinal), StringComparer.Ordinal) || after.Count != rows.Count)
                {
                    throw new StateStoreException($"{target.Location} differs from {source.Location} in {table} after the copy; nothing was copied");
                }

                result.Add((table, after.Count, after.Count - existing.Count));
            }
        });
        return new StateCopyResult(result);
    }

    /// <summary>Each row as one line of text: what both databases must agree on whatever their column types.</summary>
    private static IEnumerable<string> Lines(List<object?[]> rows) =>
        rows.Select(r => string.Join('\u001f', r.Select(v => v is null ? "\u0000" : Convert.ToString(v, CultureInfo.InvariantCulture))));
}

public sealed partial class StateStore
{
    /// <summary>Every row of a table, with its column names.</summary>
    internal List<object?[]> Rows(string table, out string[] columns)
    {
        lock (_sync)
        {
            using var command = Command($"SELECT * FROM {table}");
            using var reader = command.ExecuteReader();
            columns = [.. Enumerable.Range(0, reader.FieldCount).Select(reader.GetName)];
            var rows = new List<object?[]>();
            while (reader.Read())
            {
                var row = new object?[reader.FieldCount];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(row);
            }

            return rows;
        }
    }
}
