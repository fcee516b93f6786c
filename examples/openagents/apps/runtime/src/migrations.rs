//! Schema migrations with a ledger. Each migration is applied atomically: the new schema and ledger
//! are written to temporary files and renamed into place, so a crash leaves the previous state. A
//! ledger row whose checksum differs from the migration's is an error: history was edited.
//!
//! Environment: RUNTIME_DATA_DIR (else DEPLOYMATRIX_DATA_DIR, the folder the platform keeps per service;
//! else ./runtime-data); FAULT_MIGRATE_EXIT=N fails with exit code N
//! after printing why; FAULT_MIGRATE_DELAY_MS slows each migration.
use std::env;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// (version, name, statement). Append only: editing a released migration changes its checksum.
const RELEASED: &[(u32, &str, &str)] = &[
    (1, "create_agents", "CREATE TABLE agents (id TEXT PRIMARY KEY, name TEXT NOT NULL)"),
    (2, "create_runs", "CREATE TABLE runs (id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, status TEXT NOT NULL)"),
    (3, "index_runs_agent", "CREATE INDEX runs_agent ON runs (agent_id)"),
];

/// The next release's migration, in two variants to rehearse (`cargo build --features next-additive` or
/// `next-breaking`): one adds a column, which the released code never reads, so it keeps serving; the other
/// renames a column the released code reads, so the released code cannot serve the migrated schema.
#[cfg(feature = "next-additive")]
const NEXT: &[(u32, &str, &str)] = &[(4, "add_runs_started_at", "ALTER TABLE runs ADD COLUMN started_at TEXT")];
#[cfg(all(feature = "next-breaking", not(feature = "next-additive")))]
const NEXT: &[(u32, &str, &str)] = &[(4, "rename_runs_status_to_state", "ALTER TABLE runs RENAME COLUMN status TO state")];
#[cfg(not(any(feature = "next-additive", feature = "next-breaking")))]
const NEXT: &[(u32, &str, &str)] = &[];

/// Every migration this build knows, in order.
fn migrations() -> impl Iterator<Item = &'static (u32, &'static str, &'static str)> {
    RELEASED.iter().chain(NEXT.iter())
}

struct LedgerRow {
    version: u32,
    checksum: String,
    applied_at: u64,
}

pub fn data_dir() -> PathBuf {
    PathBuf::from(
        env::var("RUNTIME_DATA_DIR")
            .or_else(|_| env::var("DEPLOYMATRIX_DATA_DIR"))
            .unwrap_or_else(|_| "runtime-data".to_string()),
    )
}

/// FNV-1a 64 over the migration's version, name and statement.
fn checksum(version: u32, name: &str, statement: &str) -> String {
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in format!("{}:{}:{}", version, name, statement).bytes() {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(0x100000001b3);
    }
    format!("{:016x}", hash)
}

fn read_ledger(dir: &Path) -> io::Result<Vec<LedgerRow>> {
    let path = dir.join("schema_migrations.tsv");
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut rows = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != 3 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("bad ledger row: {}", line)));
        }
        rows.push(LedgerRow {
            version: cols[0].parse().map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad version"))?,
            checksum: cols[1].to_string(),
            applied_at: cols[2].parse().unwrap_or(0),
        });
    }
    Ok(rows)
}

fn write_atomically(path: &Path, content: &str) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, content)?;
    fs::rename(tmp, path)
}

/// The latest migration this build knows.
pub fn latest() -> u32 {
    migrations().last().map(|m| m.0).unwrap_or(0)
}

pub fn current_version() -> Option<u32> {
    read_ledger(&data_dir()).ok().and_then(|rows| rows.iter().map(|r| r.version).max())
}

pub fn run() -> ExitCode {
    if let Some(code) = env::var("FAULT_MIGRATE_EXIT").ok().and_then(|v| v.parse::<u8>().ok()) {
        eprintln!("runtime-migrate: failing with exit code {} (FAULT_MIGRATE_EXIT)", code);
        return ExitCode::from(code);
    }
    let delay = env::var("FAULT_MIGRATE_DELAY_MS").ok().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    match migrate(&data_dir(), Duration::from_millis(delay)) {
        Ok(applied) => {
            println!("runtime-migrate: {} migration(s) applied, schema at version {}", applied, migrations().last().map(|m| m.0).unwrap_or(0));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("runtime-migrate: {}", e);
            ExitCode::from(1)
        }
    }
}

fn migrate(dir: &Path, delay: Duration) -> Result<usize, String> {
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {}", dir.display(), e))?;
    let mut ledger = read_ledger(dir).map_err(|e| format!("cannot read the ledger: {}", e))?;
    for row in &ledger {
        match migrations().find(|m| m.0 == row.version) {
            Some((v, name, stmt)) if checksum(*v, name, stmt) != row.checksum => {
                return Err(format!("checksum mismatch for migration {} ({}): ledger {}, code {}", v, name, row.checksum, checksum(*v, name, stmt)));
            }
            None => return Err(format!("ledger has migration {} that this build does not know; is the image older than the schema?", row.version)),
            _ => {}
        }
    }
    let schema_path = dir.join("schema.sql");
    let mut schema = fs::read_to_string(&schema_path).unwrap_or_default();
    let mut applied = 0;
    for (version, name, statement) in migrations() {
        if ledger.iter().any(|r| r.version == *version) {
            continue;
        }
        thread::sleep(delay);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        schema.push_str(&format!("-- {} {}\n{};\n", version, name, statement));
        ledger.push(LedgerRow { version: *version, checksum: checksum(*version, name, statement), applied_at: now });
        let mut text = String::from("version\tchecksum\tapplied_at\n");
        for row in &ledger {
            text.push_str(&format!("{}\t{}\t{}\n", row.version, row.checksum, row.applied_at));
        }
        // Schema first, then the ledger: a crash between them re-applies the step idempotently next run.
        write_atomically(&schema_path, &schema).map_err(|e| e.to_string())?;
        write_atomically(&dir.join("schema_migrations.tsv"), &text).map_err(|e| e.to_string())?;
        println!("runtime-migrate: applied {} {}", version, name);
        applied += 1;
    }
    Ok(applied)
}
