//! The runtime: an HTTP service, and `runtime-migrate`, which applies the schema migrations to the
//! runtime's data folder with a `schema_migrations(version, checksum, applied_at)` ledger.
mod migrations;
mod schema;

use std::env;
use std::process::ExitCode;
use tinyhttp::{serve_with_readiness, Identity, Response};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() -> ExitCode {
    match env::args().nth(1).as_deref() {
        Some("runtime-migrate") => migrations::run(),
        Some("serve") | None => {
            let identity = Identity::from_env("runtime");
            let status = identity.json(VERSION);
            // Ready only while this build can read the schema in its data folder (see schema.rs).
            serve_with_readiness("runtime", || schema::check(&migrations::data_dir(), migrations::current_version(), migrations::latest()), move |request| match request.path.as_str() {
                "/api/v1/runtime/status" => {
                    let schema = migrations::current_version().map(|v| v.to_string()).unwrap_or_else(|| "none".into());
                    Response::json(200, status.replace("\"status\":\"ok\"", &format!("\"status\":\"ok\",\"schema_version\":\"{}\"", schema)))
                }
                _ => Response::text(404, "not found"),
            })
        }
        Some(other) => {
            eprintln!("runtime: unknown command '{}'; use: serve | runtime-migrate", other);
            ExitCode::from(2)
        }
    }
}
