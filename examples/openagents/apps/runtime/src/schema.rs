//! What the runtime reads, checked against the schema its data folder holds now (`schema.sql`, written by
//! `runtime-migrate`). The runtime's queries name their columns; when the schema lacks one of them the
//! runtime cannot serve, and `/readyz` says which column and which query — so a release running on a
//! schema migrated by a later release notices at its next probe, not at some user's request.
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// The columns each of this build's queries reads: (query, table, columns).
#[cfg(not(feature = "next-breaking"))]
pub const READS: &[(&str, &str, &[&str])] = &[
    ("GET /api/v1/runtime/agents", "agents", &["id", "name"]),
    ("GET /api/v1/runtime/runs", "runs", &["id", "agent_id", "status"]),
];
/// The breaking variant's runs query reads the renamed column.
#[cfg(feature = "next-breaking")]
pub const READS: &[(&str, &str, &[&str])] = &[
    ("GET /api/v1/runtime/agents", "agents", &["id", "name"]),
    ("GET /api/v1/runtime/runs", "runs", &["id", "agent_id", "state"]),
];

/// Tables and their columns, from the statements in `schema.sql` in order (CREATE TABLE, ALTER TABLE …
/// ADD COLUMN / DROP COLUMN / RENAME COLUMN a TO b; anything else, such as CREATE INDEX, changes no column).
pub fn tables(schema: &str) -> BTreeMap<String, Vec<String>> {
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for statement in schema.lines().filter(|l| !l.starts_with("--")).collect::<Vec<_>>().join(" ").split(';') {
        let words: Vec<&str> = statement.split_whitespace().collect();
        match words.as_slice() {
            ["CREATE", "TABLE", name, ..] => {
                let inside = statement.split_once('(').and_then(|(_, rest)| rest.rsplit_once(')')).map(|(cols, _)| cols).unwrap_or("");
                let columns = inside.split(',').filter_map(|c| c.split_whitespace().next()).map(str::to_string).collect();
                tables.insert(name.to_string(), columns);
            }
            ["ALTER", "TABLE", name, "ADD", "COLUMN", column, ..] => tables.entry(name.to_string()).or_default().push(column.to_string()),
            ["ALTER", "TABLE", name, "DROP", "COLUMN", column, ..] => tables.entry(name.to_string()).or_default().retain(|c| c != column),
            ["ALTER", "TABLE", name, "RENAME", "COLUMN", from, "TO", to, ..] => {
                for c in tables.entry(name.to_string()).or_default().iter_mut().filter(|c| c == from) {
                    *c = to.to_string();
                }
            }
            _ => {}
        }
    }
    tables
}

/// Ok when every column this build reads is in the data folder's schema; else the first column missing. A schema
/// older than this build's migrations (none yet, or `migrated` below `latest`) is Ok too: a deploy starts the
/// revision first and runs its migration job next, so the schema this build reads is not there yet by design.
/// A schema at or past this build's latest migration is the one it must serve — including one a later release
/// migrated, which is how a release notices that it cannot serve after a rollback.
pub fn check(dir: &Path, migrated: Option<u32>, latest: u32) -> Result<(), String> {
    if migrated.map_or(true, |version| version < latest) {
        return Ok(());
    }
    let Ok(schema) = fs::read_to_string(dir.join("schema.sql")) else {
        return Ok(());
    };
    let tables = tables(&schema);
    for (query, table, columns) in READS {
        for column in columns.iter() {
            if !tables.get(*table).is_some_and(|have| have.iter().any(|c| c == column)) {
                return Err(format!("the schema has no column {}.{}, which {} reads", table, column, query));
            }
        }
    }
    Ok(())
}
