//! lightning-ops: operations commands run on demand (`cargo run -- <command>`).
use std::env;
use std::process::ExitCode;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let command = args.iter().find(|a| !a.starts_with("--")).map(String::as_str);
    match command {
        Some("status") => {
            let node = env::var("LIGHTNING_NODE").unwrap_or_else(|_| "local".to_string());
            if json {
                println!("{{\"command\":\"status\",\"node\":\"{}\",\"version\":\"{}\",\"ok\":true}}", node, VERSION);
            } else {
                println!("lightning-ops {}: node {} ok", VERSION, node);
            }
            ExitCode::SUCCESS
        }
        Some("version") => {
            println!("{}", VERSION);
            ExitCode::SUCCESS
        }
        Some("fail") => {
            eprintln!("lightning-ops: failing on request");
            ExitCode::from(3)
        }
        Some(other) => {
            eprintln!("lightning-ops: unknown command '{}'; try: status, version", other);
            ExitCode::from(2)
        }
        None => {
            eprintln!("usage: lightning-ops <status|version> [--json]");
            ExitCode::from(2)
        }
    }
}
