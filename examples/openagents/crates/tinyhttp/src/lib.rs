//! A small HTTP/1.1 server on the standard library: keep-alive, Content-Length bodies, a thread per
//! connection, and the fault switches every example service shares (for canary and gate tests):
//!
//! - `FAULT_5XX_PERCENT` — answer this share of non-probe requests with 500 (0..100, decimals allowed),
//!   logging each at ERROR on stderr, as a service logs a request it failed
//! - `FAULT_DELAY_MS`    — sleep this long before answering non-probe requests
//! - `FAULT_SLOW_PERCENT` — a slow tail: this share of non-probe requests (0..100, decimals allowed) sleeps
//!   `FAULT_SLOW_MS` (default 100) before answering, the rest do not; spread evenly, as errors are
//! - `FAULT_NOT_READY`   — `/readyz` answers 503 forever (the revision never becomes ready)
//! - `FAULT_EXIT_ON_START` — exit with this code before listening
//!
//! and DeployMatrix's maintenance mode on Cloud Run (`DEPLOYMATRIX_MAINTENANCE*`, see `maintenance`).
pub mod maintenance;

use std::env;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(status: u16, body: &str) -> Response {
        Response { status, content_type: "text/plain; charset=utf-8", headers: Vec::new(), body: body.as_bytes().to_vec() }
    }

    pub fn json(status: u16, body: String) -> Response {
        Response { status, content_type: "application/json", headers: Vec::new(), body: body.into_bytes() }
    }

    pub fn html(body: String) -> Response {
        Response { status: 200, content_type: "text/html; charset=utf-8", headers: Vec::new(), body: body.into_bytes() }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// What the platform told this process about itself (injected by DeployMatrix).
pub struct Identity {
    pub service: String,
    pub revision: String,
    pub image: String,
    pub tag: String,
}

impl Identity {
    pub fn from_env(default_service: &str) -> Identity {
        let get = |k: &str, d: &str| env::var(k).unwrap_or_else(|_| d.to_string());
        Identity {
            service: get("DEPLOYMATRIX_SERVICE", default_service),
            revision: get("DEPLOYMATRIX_REVISION", "local"),
            image: get("DEPLOYMATRIX_IMAGE", "unknown"),
            tag: get("DEPLOYMATRIX_TAG", "dev"),
        }
    }

    pub fn json(&self, version: &str) -> String {
        format!(
            "{{\"service\":\"{}\",\"version\":\"{}\",\"revision\":\"{}\",\"image\":\"{}\",\"tag\":\"{}\",\"status\":\"ok\"}}",
            escape(&self.service), escape(version), escape(&self.revision), escape(&self.image), escape(&self.tag)
        )
    }
}

pub fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

struct Faults {
    error_per_mille: u64,
    delay: Option<Duration>,
    slow_per_mille: u64,
    slow: Duration,
    not_ready: bool,
    counter: AtomicU64,
    slow_counter: AtomicU64,
}

impl Faults {
    fn from_env() -> Faults {
        let percent: f64 = env::var("FAULT_5XX_PERCENT").ok().and_then(|v| v.parse().ok()).unwrap_or(0.0);
        let delay = env::var("FAULT_DELAY_MS").ok().and_then(|v| v.parse::<u64>().ok()).filter(|ms| *ms > 0).map(Duration::from_millis);
        let slow_percent: f64 = env::var("FAULT_SLOW_PERCENT").ok().and_then(|v| v.parse().ok()).unwrap_or(0.0);
        let slow_ms = env::var("FAULT_SLOW_MS").ok().and_then(|v| v.parse::<u64>().ok()).unwrap_or(100);
        Faults {
            error_per_mille: (percent.clamp(0.0, 100.0) * 10.0).round() as u64,
            delay,
            slow_per_mille: (slow_percent.clamp(0.0, 100.0) * 10.0).round() as u64,
            slow: Duration::from_millis(slow_ms),
            not_ready: env::var("FAULT_NOT_READY").map(|v| v == "1" || v == "true").unwrap_or(false),
            counter: AtomicU64::new(0),
            slow_counter: AtomicU64::new(0),
        }
    }

    /// Errors are spread evenly (every n-th request) so small samples still see the configured rate.
    fn should_fail(&self) -> bool {
        every(&self.counter, self.error_per_mille)
    }

    /// The slow tail, spread the same way on its own count.
    fn should_be_slow(&self) -> bool {
        every(&self.slow_counter, self.slow_per_mille)
    }
}

/// Whether this request is one of `per_mille` in a thousand, spread evenly over the requests `counter` has seen.
fn every(counter: &AtomicU64, per_mille: u64) -> bool {
    if per_mille == 0 {
        return false;
    }
    let n = counter.fetch_add(1, Ordering::Relaxed);
    (n * per_mille) / 1000 != ((n + 1) * per_mille) / 1000
}

/// Binds 127.0.0.1:$PORT and serves forever with the given handler. Probes (/healthz, /readyz) are
/// answered here so every service behaves the same under the fault switches.
pub fn serve<F>(name: &str, handler: F) -> !
where
    F: Fn(&Request) -> Response + Send + Sync + 'static,
{
    serve_with_readiness(name, || Ok(()), handler)
}

/// `serve`, with `/readyz` also asking `ready` on every probe: `Err(why)` answers 503 with why. A service
/// whose readiness depends on what it reads (the runtime's schema) says so here, probe by probe.
pub fn serve_with_readiness<R, F>(name: &str, ready: R, handler: F) -> !
where
    R: Fn() -> Result<(), String> + Send + Sync + 'static,
    F: Fn(&Request) -> Response + Send + Sync + 'static,
{
    if let Some(code) = env::var("FAULT_EXIT_ON_START").ok().and_then(|v| v.parse::<i32>().ok()) {
        eprintln!("{}: exiting with {} on start (FAULT_EXIT_ON_START)", name, code);
        process::exit(code);
    }
    let port = env::var("PORT").unwrap_or_else(|_| "8080".to_string());
    let listener = match TcpListener::bind(format!("127.0.0.1:{}", port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{}: cannot listen on 127.0.0.1:{}: {}", name, port, e);
            process::exit(1);
        }
    };
    eprintln!("{}: listening on 127.0.0.1:{}", name, port);
    let handler = Arc::new(handler);
    let ready = Arc::new(ready);
    let faults = Arc::new(Faults::from_env());
    let maintenance = Arc::new(maintenance::Maintenance::from_env());
    let name: Arc<str> = Arc::from(name);
    match maintenance.as_ref() {
        Some(m) if m.bypassable() => eprintln!("{}: in maintenance (DEPLOYMATRIX_MAINTENANCE=1)", name),
        Some(_) => eprintln!("{}: in maintenance (DEPLOYMATRIX_MAINTENANCE=1) with no usable bypass token or scope: nobody gets through", name),
        None => {}
    }
    for stream in listener.incoming().flatten() {
        let handler = Arc::clone(&handler);
        let ready = Arc::clone(&ready);
        let faults = Arc::clone(&faults);
        let maintenance = Arc::clone(&maintenance);
        let name = Arc::clone(&name);
        thread::spawn(move || {
            let _ = connection(&name, stream, &*handler, &*ready, &faults, maintenance.as_ref().as_ref());
        });
    }
    process::exit(0)
}

fn connection(name: &str, stream: TcpStream, handler: &dyn Fn(&Request) -> Response, ready: &dyn Fn() -> Result<(), String>, faults: &Faults, maintenance: Option<&maintenance::Maintenance>) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let request = match read_request(&mut reader)? {
            Some(r) => r,
            None => return Ok(()),
        };
        let close = request.header("connection").map(|v| v.eq_ignore_ascii_case("close")).unwrap_or(false);
        let response = match request.path.as_str() {
            "/healthz" => Response::text(200, "ok"),
            "/readyz" if faults.not_ready => Response::text(503, "not ready (FAULT_NOT_READY)"),
            "/readyz" => match ready() {
                Ok(()) => Response::text(200, "ready"),
                Err(why) => Response::text(503, &format!("not ready: {}", why)),
            },
            _ => match maintenance.and_then(|m| m.judge(&request)) {
                Some(answer) => answer,
                None => {
                    if let Some(delay) = faults.delay {
                        thread::sleep(delay);
                    }
                    if faults.should_be_slow() {
                        thread::sleep(faults.slow);
                    }
                    if faults.should_fail() {
                        // The level word first, as log readers (Cloud Logging's agent, DeployMatrix's local logs) expect it.
                        eprintln!("ERROR {}: {} {} answered 500: injected failure (FAULT_5XX_PERCENT)", name, request.method, request.path);
                        Response::text(500, "injected failure (FAULT_5XX_PERCENT)")
                    } else {
                        handler(&request)
                    }
                }
            },
        };
        write_response(&mut writer, &request, &response, close)?;
        if close {
            return Ok(());
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("GET").to_string();
    let target = parts.next().unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            return Ok(None);
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(Request { method, path, headers, body }))
}

fn write_response(writer: &mut TcpStream, request: &Request, response: &Response, close: bool) -> io::Result<()> {
    let reason = match response.status {
        200 => "OK",
        204 => "No Content",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\n",
        response.status, reason, response.content_type, response.body.len()
    );
    for (k, v) in &response.headers {
        head.push_str(&format!("{}: {}\r\n", k, v));
    }
    if close {
        head.push_str("connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    if request.method != "HEAD" {
        out.extend_from_slice(&response.body);
    }
    writer.write_all(&out)
}
