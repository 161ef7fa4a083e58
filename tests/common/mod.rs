//! Helpers shared by the integration tests: reference backends on ephemeral loopback ports,
//! the stack builder (backends and a gateway in the demo topology), and the shipped JSON
//! Schemas to check what comes back. The submodules hold the rest: `http` (the client and
//! whole-response replies), `demo` (the demo's facts and requests in each client style),
//! `problems` (collected checks and the error table), `fake` (stand-in upstreams), `raw`
//! (HTTP/1.1 over raw TCP), `gen` (documents generated from the schemas), and the helpers of
//! one group of suites each: `cache`, `backends`, `schemas` and `cli`.
#![allow(dead_code)]

pub mod backends;
pub mod cache;
pub mod cli;
pub mod demo;
pub mod fake;
pub mod gen;
pub mod http;
pub mod problems;
pub mod process;
pub mod raw;
pub mod schemas;

// Not every test crate calls it.
#[allow(unused_imports)]
pub use http::client;

use std::time::Duration;

use dragoman::backends::{Backend, BackendStyle};
use serde_json::Value;

/// A reference backend of `style` on 127.0.0.1:0, with the demo credential.
pub async fn start_backend(style: BackendStyle) -> Backend {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind an ephemeral loopback port");
    Backend::start(style, listener, style.demo_credential().to_owned())
        .await
        .expect("the backend starts")
}

/// `http://{addr}{path_and_query}` for a running backend.
pub fn url(backend: &Backend, path_and_query: &str) -> String {
    format!("http://{}{}", backend.addr(), path_and_query)
}

/// The shipped schema `schemas/{style}/{kind}.json`, compiled as the gateway compiles it.
pub fn schema(style: BackendStyle, kind: &str) -> jsonschema::Validator {
    let path = format!("schemas/{style}/{kind}.json");
    let file = dragoman::assets::schemas()
        .into_iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} is embedded"));
    let document: Value = serde_json::from_str(&file.text).expect("schema is JSON");
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&document)
        .unwrap_or_else(|e| panic!("{path} compiles: {e}"))
}

/// Panics with every schema error when `body` does not satisfy `schemas/{style}/{kind}.json`.
pub fn assert_matches_schema(style: BackendStyle, kind: &str, body: &Value) {
    let errors: Vec<String> = schema(style, kind)
        .iter_errors(body)
        .map(|e| format!("  {} at {:?}", e, e.instance_path().as_str()))
        .collect();
    assert!(
        errors.is_empty(),
        "body does not satisfy schemas/{style}/{kind}.json:\n{}\nbody: {body:#}",
        errors.join("\n")
    );
}

/// A free loopback port (bound then released; pingora binds by address string).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The three reference backends and a gateway in the demo topology (envelope clients →
/// camel backend, camel clients → snake backend, snake clients → envelope backend), all on
/// ephemeral loopback ports. `extra` is appended to the generated config (more routes, etc.);
/// `cache_ttl_secs` sets `[cache] ttl_secs`.
pub struct Stack {
    pub envelope: Backend,
    pub camel: Backend,
    pub snake: Backend,
    pub gateway: Option<process::GatewayProcess>,
    /// `http://127.0.0.1:PORT` of the gateway.
    pub base: String,
    /// `http://127.0.0.1:PORT` of the admin listener.
    pub admin: String,
    pub config_text: String,
}

impl Stack {
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{}", self.base, path_and_query)
    }

    /// What the gateway process has logged so far.
    pub fn gateway_log(&self) -> String {
        self.gateway.as_ref().map(|g| g.log()).unwrap_or_default()
    }

    /// The backend of a style.
    pub fn backend(&self, style: BackendStyle) -> &Backend {
        match style {
            BackendStyle::Envelope => &self.envelope,
            BackendStyle::Camel => &self.camel,
            BackendStyle::Snake => &self.snake,
        }
    }

    /// Stops the gateway as an operator would (SIGTERM: requests in progress finish) and waits
    /// for its exit, on a blocking thread.
    pub async fn stop(mut self) {
        if let Some(g) = self.gateway.take() {
            tokio::task::spawn_blocking(move || g.stop())
                .await
                .expect("gateway stops");
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // Dropping the process handle kills the gateway at once.
        self.gateway.take();
    }
}

/// The gateway config for a stack: demo keys and routes, the given backends and ports.
pub fn stack_config(
    envelope: &Backend,
    camel: &Backend,
    snake: &Backend,
    port: u16,
    admin: u16,
    cache_ttl_secs: u64,
    extra: &str,
) -> String {
    format!(
        r#"
[gateway]
listen = "127.0.0.1:{port}"
admin_listen = "127.0.0.1:{admin}"
threads = 2
grace_period_secs = 2

[cache]
ttl_secs = {cache_ttl_secs}
max_bytes = 1048576

[[keys]]
name = "admin"
secret = "in-demo-admin"
scopes = ["users:read", "users:write"]

[[keys]]
name = "reader"
secret = "in-demo-reader"
scopes = ["users:read"]

[[upstreams]]
name = "envelope-backend"
style = "envelope"
url = "http://{e}"
credential = "demo-envelope-backend"

[[upstreams]]
name = "camel-backend"
style = "camel"
url = "http://{c}"
credential = "demo-camel-backend"

[[upstreams]]
name = "snake-backend"
style = "snake"
url = "http://{s}"
credential = "in-demo-snake-backend"

[[routes]]
style = "envelope"
upstream = "camel-backend"

[[routes]]
style = "camel"
upstream = "snake-backend"

[[routes]]
style = "snake"
upstream = "envelope-backend"
{extra}
"#,
        e = envelope.addr(),
        c = camel.addr(),
        s = snake.addr(),
    )
}

/// Starts backends and a gateway; waits until the gateway accepts connections.
pub async fn start_stack(cache_ttl_secs: u64, extra: &str) -> Stack {
    let envelope = start_backend(BackendStyle::Envelope).await;
    let camel = start_backend(BackendStyle::Camel).await;
    let snake = start_backend(BackendStyle::Snake).await;
    let (port, admin) = (free_port(), free_port());
    let text = stack_config(
        &envelope,
        &camel,
        &snake,
        port,
        admin,
        cache_ttl_secs,
        extra,
    );
    start_gateway_with(envelope, camel, snake, text, port, admin).await
}

/// [`start_stack`], the gateway logging at `level` ([`Stack::gateway_log`] reads it).
pub async fn start_stack_logging(cache_ttl_secs: u64, extra: &str, level: &str) -> Stack {
    let envelope = start_backend(BackendStyle::Envelope).await;
    let camel = start_backend(BackendStyle::Camel).await;
    let snake = start_backend(BackendStyle::Snake).await;
    let (port, admin) = (free_port(), free_port());
    let text = stack_config(
        &envelope,
        &camel,
        &snake,
        port,
        admin,
        cache_ttl_secs,
        extra,
    );
    start_gateway_logging(envelope, camel, snake, text, port, admin, level).await
}

/// Starts a gateway from config text (ports must match `port`/`admin`).
pub async fn start_gateway_with(
    envelope: Backend,
    camel: Backend,
    snake: Backend,
    text: String,
    port: u16,
    admin: u16,
) -> Stack {
    start_gateway_logging(envelope, camel, snake, text, port, admin, "error").await
}

/// [`start_gateway_with`], the gateway logging at `level` ([`Stack::gateway_log`] reads it).
pub async fn start_gateway_logging(
    envelope: Backend,
    camel: Backend,
    snake: Backend,
    text: String,
    port: u16,
    admin: u16,
    level: &str,
) -> Stack {
    let mut running = process::GatewayProcess::start(&text, level);
    wait_for_port(port).await;
    wait_for_port(admin).await;
    assert!(running.running(), "the gateway exited while starting");
    Stack {
        envelope,
        camel,
        snake,
        gateway: Some(running),
        base: format!("http://127.0.0.1:{port}"),
        admin: format!("http://127.0.0.1:{admin}"),
        config_text: text,
    }
}

pub async fn wait_for_port(port: u16) {
    for _ in 0..500 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("nothing listens on 127.0.0.1:{port} after 5 s");
}

/// `GET /__stats` of a backend: user API requests it has served.
pub async fn stats(backend: &Backend) -> u64 {
    backend.stats()
}

/// The demo's first user, John Doe.
pub const JOHN: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
