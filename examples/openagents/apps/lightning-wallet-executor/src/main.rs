//! lightning-wallet-executor: `serve` answers /healthz, /readyz and /status over HTTP on $PORT.
use std::env;
use std::process::ExitCode;
use tinyhttp::{serve, Identity, Response};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() -> ExitCode {
    match env::args().nth(1).as_deref() {
        Some("serve") => {
            let status = Identity::from_env("lightning-wallet-executor").json(VERSION);
            serve("lightning-wallet-executor", move |request| match request.path.as_str() {
                "/status" => Response::json(200, status.clone()),
                _ => Response::text(404, "not found"),
            })
        }
        _ => {
            eprintln!("usage: lightning-wallet-executor serve");
            ExitCode::from(2)
        }
    }
}
