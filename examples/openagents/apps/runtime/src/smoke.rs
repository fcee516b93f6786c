//! `runtime-smoke`: the runtime's smoke check, as the seed's validation gate runs it
//! (`cargo run --manifest-path apps/runtime/Cargo.toml --bin runtime-smoke` with `SMOKE_BASE_URL`).
//! It asks the runtime at SMOKE_BASE_URL (plain http://HOST:PORT; std only, no TLS) for its probes —
//! `/readyz` is the canonical one — and exits 0 when each answers 200, 1 otherwise, 2 without a URL.
use std::env;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let Ok(base) = env::var("SMOKE_BASE_URL") else {
        eprintln!("runtime-smoke: SMOKE_BASE_URL is not set; set it to the runtime's URL, e.g. http://127.0.0.1:18083");
        return ExitCode::from(2);
    };
    let Some(authority) = base.strip_prefix("http://").map(|rest| rest.trim_end_matches('/')) else {
        eprintln!("runtime-smoke: SMOKE_BASE_URL is '{}'; this smoke binary speaks plain http://HOST:PORT", base);
        return ExitCode::from(2);
    };
    let mut failed = false;
    for path in ["/healthz", "/readyz"] {
        match get(authority, path) {
            Ok((200, _)) => println!("ok   GET {} → 200", path),
            Ok((status, _)) => {
                println!("FAIL GET {} → {}", path, status);
                failed = true;
            }
            Err(e) => {
                println!("FAIL GET {}: {}", path, e);
                failed = true;
            }
        }
    }
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// One HTTP/1.1 GET with `Connection: close`: the status code and the body.
fn get(authority: &str, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(stream, "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", path, authority)?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default();
    Ok((status, body))
}
