//! The control service: health probes, the control status endpoint, a landing page and manifest.json.
use tinyhttp::{serve, Identity, Response};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() {
    let identity = Identity::from_env("openagents-control-service");
    let status = identity.json(VERSION);
    let landing = format!(
        "<!doctype html><html><head><title>OpenAgents</title><link rel=\"manifest\" href=\"/manifest.json\"></head>\
         <body><h1>OpenAgents control</h1><p>revision {}</p></body></html>",
        tinyhttp::escape(&identity.revision)
    );
    serve("openagents-control-service", move |request| match request.path.as_str() {
        "/" => Response::html(landing.clone()),
        "/api/v1/control/status" => Response::json(200, status.clone()),
        "/manifest.json" => Response::json(200, "{\"name\":\"OpenAgents\",\"start_url\":\"/\"}".to_string())
            .with_header("cache-control", "no-cache"),
        _ => Response::text(404, "not found"),
    })
}
