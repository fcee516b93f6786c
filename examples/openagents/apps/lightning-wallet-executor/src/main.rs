//! lightning-wallet-executor: `serve` answers /healthz and /status over HTTP on $PORT.
use std::env;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() -> ExitCode {
    match env::args().nth(1).as_deref() {
        Some("serve") => serve(),
        _ => {
            eprintln!("usage: lightning-wallet-executor serve");
            ExitCode::from(2)
        }
    }
}

fn serve() -> ExitCode {
    let port = env::var("PORT").unwrap_or_else(|_| "8080".to_string());
    let listener = match TcpListener::bind(format!("127.0.0.1:{}", port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("lightning-wallet-executor: cannot listen on 127.0.0.1:{}: {}", port, e);
            return ExitCode::FAILURE;
        }
    };
    eprintln!("lightning-wallet-executor {} listening on 127.0.0.1:{}", VERSION, port);
    for stream in listener.incoming().flatten() {
        thread::spawn(move || handle(stream));
    }
    ExitCode::SUCCESS
}

fn handle(mut stream: TcpStream) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => break,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = match path {
        "/healthz" | "/readyz" => ("200 OK", "ok".to_string()),
        "/status" => ("200 OK", format!("{{\"service\":\"lightning-wallet-executor\",\"version\":\"{}\"}}", VERSION)),
        _ => ("404 Not Found", "not found".to_string()),
    };
    let response = format!(
        "HTTP/1.1 {}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
        status,
        body.len(),
        body
    );
    let _ = stream.write_all(response.as_bytes());
}
