//! The gateway end to end: the three reference backends and a gateway on loopback, driven over
//! real HTTP (reqwest, and raw TCP where framing matters). The contract is DESIGN.md: its
//! canonical field table, its error table and its "Interfaces" section.
//!
//! Checks collect their problems per case and fail once at the end, naming every failed case,
//! so that one bad direction or style does not hide the others.

mod common;

use std::fmt::Display;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::*;
use dragoman::backends::BackendStyle::{self, Camel, Envelope, Snake};
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ---------------------------------------------------------------------------------------------
// Facts of the demo data (seeded users, the role table) and of the demo configuration
// ---------------------------------------------------------------------------------------------

const ADMIN: &str = "in-demo-admin";
const READER: &str = "in-demo-reader";
const UNKNOWN_KEY: &str = "in-not-a-known-key";
const JANE: &str = "8f14e45f-ea7a-4c3b-9d2e-5b1a7c3e9f20";
const MAX: &str = "c4ca4238-a0b9-4382-8dcc-509a6f75849b";
/// A well-formed id no backend knows.
const NOBODY: &str = "00000000-0000-4000-8000-000000000000";

const BILLING_MANAGER_ID: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const SENIOR_BILLING_MANAGER_ID: &str = "7f3e2a10-5b8c-4d2e-9a61-0c4b8e2f1d35";
const SUPPORT_AGENT_ID: &str = "5a8c1e3f-2b7d-4c9a-b6e0-4d1f3a5c7e82";
const ADMIN_ROLE_ID: &str = "1b6f0c2e-8d4a-4f3b-a5e7-2c9d1e0f4a68";
const OWNER_ROLE_ID: &str = "9e2d4c6a-3f1b-4a7e-8c5d-6b0a2e4f1c93";

/// Every secret of the harness config: none may ever reach a response body or /metrics.
const SECRETS: [&str; 7] = [
    ADMIN,
    READER,
    UNKNOWN_KEY,
    "demo-envelope-backend",
    "demo-camel-backend",
    "in-demo-snake-backend",
    "fake-upstream-secret",
];

fn billing_manager_permissions() -> Value {
    json!([
        "calls:read",
        "calls:write",
        "emails:read",
        "emails:write",
        "callouts:read",
        "callouts:write"
    ])
}

fn support_agent_permissions() -> Value {
    json!([
        "calls:read",
        "calls:write",
        "emails:read",
        "emails:write",
        "users:read"
    ])
}

fn admin_permissions() -> Value {
    json!([
        "calls:read",
        "calls:write",
        "emails:read",
        "emails:write",
        "callouts:read",
        "callouts:write",
        "users:read",
        "users:write"
    ])
}

fn viewer_permissions() -> Value {
    json!(["calls:read", "emails:read", "callouts:read"])
}

fn role_object(name: &str) -> Value {
    match name {
        "billing_manager" => json!({
            "id": BILLING_MANAGER_ID,
            "name": "billing_manager",
            "description": "Manages billing, invoices and payment methods"
        }),
        "senior_billing_manager" => json!({
            "id": SENIOR_BILLING_MANAGER_ID,
            "name": "senior_billing_manager",
            "description": "Billing manager who can also read the user directory"
        }),
        "admin" => json!({
            "id": ADMIN_ROLE_ID,
            "name": "admin",
            "description": "Administers users and settings"
        }),
        "owner" => json!({
            "id": OWNER_ROLE_ID,
            "name": "owner",
            "description": "Owns the organisation"
        }),
        other => panic!("no role object for {other} in this test"),
    }
}

/// The three directions the demo topology lacks, each under its own prefix.
const MORE_DIRECTIONS: &str = r#"
[[routes]]
style = "envelope"
upstream = "snake-backend"
prefix = "/e2s"

[[routes]]
style = "camel"
upstream = "envelope-backend"
prefix = "/c2e"

[[routes]]
style = "snake"
upstream = "camel-backend"
prefix = "/s2c"
"#;

/// A client style on a route (under `prefix`) to a backend of another style.
#[derive(Clone, Copy, Debug)]
struct Dir {
    client: BackendStyle,
    backend: BackendStyle,
    prefix: &'static str,
}

impl Dir {
    const fn new(client: BackendStyle, backend: BackendStyle, prefix: &'static str) -> Self {
        Self {
            client,
            backend,
            prefix,
        }
    }

    fn name(&self) -> String {
        format!("{} client -> {} backend", self.client, self.backend)
    }
}

const E2C: Dir = Dir::new(Envelope, Camel, "");
const E2S: Dir = Dir::new(Envelope, Snake, "/e2s");
const C2S: Dir = Dir::new(Camel, Snake, "");
const C2E: Dir = Dir::new(Camel, Envelope, "/c2e");
const S2E: Dir = Dir::new(Snake, Envelope, "");
const S2C: Dir = Dir::new(Snake, Camel, "/s2c");
const DIRECTIONS: [Dir; 6] = [E2C, E2S, C2S, C2E, S2E, S2C];

/// The path of a user in a client style, under a route prefix; `raw_id` as the client writes it.
fn raw_user_path(client: BackendStyle, prefix: &str, raw_id: &str) -> String {
    match client {
        Envelope => format!("{prefix}/v1/users/{raw_id}"),
        Camel => format!("{prefix}/api/users/{raw_id}"),
        Snake => format!("{prefix}/api/v1/user/{raw_id}"),
    }
}

/// The path of the user with canonical id `id` in a client style.
fn user_path(client: BackendStyle, prefix: &str, id: &str) -> String {
    match client {
        Envelope => raw_user_path(client, prefix, &format!("user_{id}")),
        _ => raw_user_path(client, prefix, id),
    }
}

/// A request to the gateway as a client of `style` would send it: the key as a Bearer token,
/// or as the `api_key` query parameter on snake routes.
fn gateway(
    stack: &Stack,
    style: BackendStyle,
    method: Method,
    path: &str,
    key: Option<&str>,
) -> reqwest::RequestBuilder {
    match (style, key) {
        (Snake, Some(k)) => {
            let sep = if path.contains('?') { '&' } else { '?' };
            client().request(method, stack.url(&format!("{path}{sep}api_key={k}")))
        }
        (_, Some(k)) => client().request(method, stack.url(path)).bearer_auth(k),
        (_, None) => client().request(method, stack.url(path)),
    }
}

/// A request straight to a backend, with that backend's own credential.
fn backend_request(
    stack: &Stack,
    style: BackendStyle,
    method: Method,
    id: &str,
) -> reqwest::RequestBuilder {
    let path = user_path(style, "", id);
    let backend = stack.backend(style);
    match style {
        Snake => client().request(
            method,
            url(
                backend,
                &format!("{path}?api_key={}", style.demo_credential()),
            ),
        ),
        _ => client()
            .request(method, url(backend, &path))
            .bearer_auth(style.demo_credential()),
    }
}

/// The user resource as a backend itself holds it (envelope and snake unwrap `data`).
async fn stored(stack: &Stack, style: BackendStyle, id: &str) -> Value {
    let r = send(backend_request(stack, style, Method::GET, id)).await;
    assert_eq!(r.status, 200, "{style} backend GET {id}: {}", r.text);
    match style {
        Camel => r.json,
        _ => r.json["data"].clone(),
    }
}

/// What came back, read once.
struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
    /// `Null` when the body is not JSON.
    json: Value,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn send(rb: reqwest::RequestBuilder) -> Resp {
    let r = rb.send().await.expect("the request gets an answer");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.expect("the body is readable");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        text,
        json,
    }
}

// ---------------------------------------------------------------------------------------------
// Collecting problems, so a failure names every case that failed
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn fail(&mut self, case: &str, what: impl Display) {
        self.0.push(format!("[{case}] {what}"));
    }

    fn check(&mut self, case: &str, ok: bool, what: impl Display) {
        if !ok {
            self.fail(case, what);
        }
    }

    fn done(self) {
        assert!(
            self.0.is_empty(),
            "{} problem(s):\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }

    /// `pointer` holds `want` in `doc`.
    fn field(&mut self, case: &str, doc: &Value, pointer: &str, want: &Value) {
        match doc.pointer(pointer) {
            Some(got) if got == want => {}
            got => self.fail(
                case,
                format!("{pointer}: expected {want}, got {got:?} in {doc}"),
            ),
        }
    }

    fn fields(&mut self, case: &str, doc: &Value, expected: &[(&str, Value)]) {
        for (pointer, want) in expected {
            self.field(case, doc, pointer, want);
        }
    }

    /// Fields that must not be there: what the upstream cannot supply is omitted, not invented.
    fn absent(&mut self, case: &str, doc: &Value, pointers: &[&str]) {
        for pointer in pointers {
            if let Some(v) = doc.pointer(pointer) {
                self.fail(case, format!("{pointer} should be absent, got {v}"));
            }
        }
    }

    fn schema(&mut self, case: &str, style: BackendStyle, kind: &str, body: &Value) {
        let errors: Vec<String> = schema(style, kind)
            .iter_errors(body)
            .map(|e| format!("{e} at {:?}", e.instance_path().as_str()))
            .collect();
        if !errors.is_empty() {
            self.fail(
                case,
                format!(
                    "body does not satisfy schemas/{style}/{kind}.json: {errors:?}; body: {body}"
                ),
            );
        }
    }

    fn no_secrets(&mut self, case: &str, text: &str) {
        for secret in SECRETS {
            self.check(
                case,
                !text.contains(secret),
                format!("the body contains the secret {secret:?}: {text}"),
            );
        }
    }
}

/// DESIGN.md's envelope `error.code` for a status.
fn code_for(status: u16) -> &'static str {
    match status {
        400 => "INVALID_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        413 => "PAYLOAD_TOO_LARGE",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        422 => "VALIDATION_ERROR",
        502 => "BAD_GATEWAY",
        504 => "GATEWAY_TIMEOUT",
        other => panic!("no code for {other} in DESIGN.md's error table"),
    }
}

/// An error response in the client's style: status, `X-Request-Id`, the style's error schema
/// and shape, the field it must name (if any), and no secret.
fn check_error(
    p: &mut Problems,
    case: &str,
    style: BackendStyle,
    r: &Resp,
    status: u16,
    field: Option<&str>,
) {
    p.check(
        case,
        r.status == status,
        format!("status: expected {status}, got {} ({})", r.status, r.text),
    );
    let request_id = r.header("x-request-id").unwrap_or_default();
    p.check(case, !request_id.is_empty(), "no X-Request-Id");
    p.schema(case, style, "error", &r.json);
    p.no_secrets(case, &r.text);
    let content_type = r.header("content-type").unwrap_or_default();
    match style {
        Envelope => {
            p.check(
                case,
                content_type.starts_with("application/json"),
                format!("content-type {content_type:?}"),
            );
            p.field(case, &r.json, "/success", &json!(false));
            if r.status == status {
                p.field(case, &r.json, "/error/code", &json!(code_for(status)));
            }
            p.field(case, &r.json, "/meta/request_id", &json!(request_id));
        }
        Camel => {
            p.check(
                case,
                content_type.starts_with("application/problem+json"),
                format!("content-type {content_type:?}, expected application/problem+json"),
            );
            p.field(case, &r.json, "/status", &json!(r.status));
        }
        Snake => {
            p.check(
                case,
                content_type.starts_with("application/json"),
                format!("content-type {content_type:?}"),
            );
            let detail = &r.json["detail"];
            if status == 422 {
                let items_ok = detail.as_array().is_some_and(|items| {
                    !items.is_empty()
                        && items.iter().all(|i| {
                            i["loc"].is_array() && i["msg"].is_string() && i["type"].is_string()
                        })
                });
                p.check(
                    case,
                    items_ok,
                    format!(
                        "a 422 detail must be a list of {{loc, msg, type}}: {}",
                        r.text
                    ),
                );
            } else {
                p.check(
                    case,
                    detail.is_string(),
                    format!("detail must be a message: {}", r.text),
                );
            }
        }
    }
    if let Some(field) = field {
        let named = match style {
            Envelope => r.json["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(field)),
            Camel => {
                r.json["errors"].as_array().is_some_and(|errors| {
                    errors.iter().any(|e| {
                        e["pointer"].as_str().is_some_and(|ptr| {
                            ptr.trim_start_matches('/').split('/').next() == Some(field)
                        })
                    })
                }) || r.json["detail"].as_str().is_some_and(|d| d.contains(field))
            }
            Snake => r.json["detail"].as_array().is_some_and(|items| {
                items.iter().any(|i| {
                    i["loc"]
                        .as_array()
                        .is_some_and(|loc| loc.contains(&json!(field)))
                })
            }),
        };
        p.check(
            case,
            named,
            format!("the error does not name the field {field:?}: {}", r.text),
        );
    }
}

/// One request expected to fail with `status` (naming `field`), in the style of the client.
struct ErrCase {
    name: String,
    style: BackendStyle,
    request: reqwest::RequestBuilder,
    status: u16,
    field: Option<&'static str>,
}

fn err_case(
    name: impl Display,
    style: BackendStyle,
    request: reqwest::RequestBuilder,
    status: u16,
) -> ErrCase {
    ErrCase {
        name: format!("{style}: {name}"),
        style,
        request,
        status,
        field: None,
    }
}

impl ErrCase {
    fn naming(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }
}

async fn run_error_cases(cases: Vec<ErrCase>) -> Problems {
    let mut p = Problems::default();
    for case in cases {
        let r = send(case.request).await;
        check_error(&mut p, &case.name, case.style, &r, case.status, case.field);
    }
    p
}

/// A PUT body every client style accepts and every demo backend can hold.
fn harmless_put(style: BackendStyle) -> Value {
    match style {
        Envelope | Camel => json!({"status": "active"}),
        Snake => json!({"is_active": true}),
    }
}

// ---------------------------------------------------------------------------------------------
// Stand-in upstreams: one that never answers, one that answers what the test tells it
// ---------------------------------------------------------------------------------------------

/// A loopback upstream the test controls: it records every request it reads and answers each
/// with `answer` (then closes), or, without an answer, accepts and never says a word.
struct FakeUpstream {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeUpstream {
    async fn start(answer: Option<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            for _ in 0..256 {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                let answer = answer.clone();
                tokio::spawn(async move {
                    match answer {
                        None => {
                            tokio::time::sleep(Duration::from_secs(20)).await;
                            drop(sock);
                        }
                        Some(answer) => {
                            if let Some(request) = read_request(&mut sock).await {
                                log.lock().unwrap().push(request);
                            }
                            let _ = sock.write_all(answer.as_bytes()).await;
                            let _ = sock.shutdown().await;
                        }
                    }
                });
            }
        });
        Self { addr, seen, task }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    /// An `[[upstreams]]` entry for this listener.
    fn upstream_config(&self, name: &str, style: BackendStyle) -> String {
        upstream_config(name, style, self.addr.port(), 300)
    }
}

fn upstream_config(name: &str, style: BackendStyle, port: u16, timeout_ms: u64) -> String {
    let credential = match style {
        Snake => "in-fake-upstream-secret",
        _ => "fake-upstream-secret",
    };
    format!(
        "\n[[upstreams]]\nname = \"{name}\"\nstyle = \"{style}\"\nurl = \"http://127.0.0.1:{port}\"\ncredential = \"{credential}\"\ntimeout_ms = {timeout_ms}\n"
    )
}

fn route_config(style: BackendStyle, upstream: &str, prefix: &str) -> String {
    format!("\n[[routes]]\nstyle = \"{style}\"\nupstream = \"{upstream}\"\nprefix = \"{prefix}\"\n")
}

/// Reads one request (head and the body its Content-Length announces, plus anything that
/// follows within 25 ms) as text.
async fn read_request(sock: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 1 << 20 || Instant::now() > deadline {
            return None;
        }
        match tokio::time::timeout(Duration::from_secs(5), sock.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), sock.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    // Whatever else arrives promptly is part of what the upstream was sent.
    if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(25), sock.read(&mut chunk)).await
    {
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn http_answer(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// John as an envelope backend would answer GET.
fn envelope_john_answer() -> String {
    let body = json!({
        "success": true,
        "data": {
            "id": format!("user_{JOHN}"),
            "email": "john.doe@company.com",
            "name": "John Doe",
            "status": "active",
            "role": "billing_manager"
        },
        "meta": {"timestamp": "2024-01-15T10:30:00Z", "request_id": "req_from_upstream"}
    });
    http_answer("200 OK", "application/json", &body.to_string())
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP/1.1 over TCP, for framing
// ---------------------------------------------------------------------------------------------

struct RawResponse {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

async fn connect(stack: &Stack) -> TcpStream {
    let addr = stack.base.trim_start_matches("http://");
    TcpStream::connect(addr)
        .await
        .expect("connect to the gateway")
}

/// Reads the next response off `stream` (bytes already read wait in `buf`), within 5 s.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<RawResponse, String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut chunk = [0u8; 16384];
    let mut closed = false;
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("not a status line: {head:?}"))?;
            let length = head.lines().skip(1).find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.trim()
                    .eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            });
            let complete = match length {
                Some(n) => (buf.len() >= end + 4 + n).then_some(end + 4 + n),
                None if closed => Some(buf.len()),
                None => None,
            };
            if let Some(total) = complete {
                let body = buf[end + 4..total].to_vec();
                buf.drain(..total);
                return Ok(RawResponse { status, head, body });
            }
        }
        if closed {
            return Err(format!(
                "connection closed; got {:?}",
                String::from_utf8_lossy(buf)
            ));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => closed = true,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => {
                return Err(format!(
                    "no complete response in 5 s; got {:?}",
                    String::from_utf8_lossy(buf)
                ))
            }
        }
    }
}

/// Writes `request` on a new connection and reads one response.
async fn raw_exchange(stack: &Stack, request: &str) -> Result<RawResponse, String> {
    let mut stream = connect(stack).await;
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    read_response(&mut stream, &mut Vec::new()).await
}

fn raw_get(path: &str, extra_headers: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {ADMIN}\r\n{extra_headers}\r\n")
}

// =============================================================================================
// 1. Translation in all six directions
// =============================================================================================

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_style_reads_users_from_every_other_backend_with_translated_fields() {
    let stack = start_stack(30, MORE_DIRECTIONS).await;
    struct Get {
        dir: Dir,
        id: &'static str,
        expect: Vec<(&'static str, Value)>,
        absent: Vec<&'static str>,
    }
    let envelope_john = |extra: Vec<(&'static str, Value)>| {
        let mut v = vec![
            ("/success", json!(true)),
            ("/data/id", json!(format!("user_{JOHN}"))),
            ("/data/name", json!("John Doe")),
            ("/data/email", json!("john.doe@company.com")),
            ("/data/role", json!("billing_manager")),
            ("/data/permissions", billing_manager_permissions()),
            ("/data/status", json!("active")),
        ];
        v.extend(extra);
        v
    };
    let camel_john = |extra: Vec<(&'static str, Value)>| {
        let mut v = vec![
            ("/id", json!(JOHN)),
            ("/firstName", json!("John")),
            ("/lastName", json!("Doe")),
            ("/email", json!("john.doe@company.com")),
            ("/status", json!("active")),
            ("/roles", json!([role_object("billing_manager")])),
        ];
        v.extend(extra);
        v
    };
    let snake_john = |extra: Vec<(&'static str, Value)>| {
        let mut v = vec![
            ("/message", json!("Data retrieved successfully")),
            ("/meta", json!({})),
            ("/data/id", json!(JOHN)),
            ("/data/first_name", json!("John")),
            ("/data/last_name", json!("Doe")),
            ("/data/email", json!("john.doe@company.com")),
            ("/data/is_active", json!(true)),
            ("/data/role_id", json!(BILLING_MANAGER_ID)),
        ];
        v.extend(extra);
        v
    };
    let cases = vec![
        Get {
            dir: E2C,
            id: JOHN,
            expect: envelope_john(vec![("/data/created_time", json!("2024-01-15T10:30:00Z"))]),
            // camel holds no phone, department, company: omitted, never invented.
            absent: vec![
                "/data/phone",
                "/data/department",
                "/data/company",
                "/meta/message",
            ],
        },
        Get {
            dir: E2S,
            id: JOHN,
            expect: envelope_john(vec![("/data/phone", json!("+1234567890"))]),
            absent: vec!["/data/created_time", "/data/department", "/meta/message"],
        },
        Get {
            dir: C2S,
            id: JOHN,
            expect: camel_john(vec![]),
            // is_superuser false names no type, and billing_manager implies none.
            absent: vec!["/type", "/createdAt", "/phone"],
        },
        Get {
            dir: C2E,
            id: JOHN,
            expect: camel_john(vec![
                ("/createdAt", json!("2024-01-15T10:30:00Z")),
                ("/updatedAt", json!("2024-01-15T10:30:00Z")),
            ]),
            absent: vec!["/type", "/phone", "/department"],
        },
        Get {
            dir: S2E,
            id: JOHN,
            expect: snake_john(vec![("/data/phone", json!("+1234567890"))]),
            absent: vec![
                "/data/stripe_customer_id",
                "/data/department",
                "/data/follower_count",
            ],
        },
        Get {
            dir: S2C,
            id: JOHN,
            expect: snake_john(vec![("/data/is_superuser", json!(false))]),
            absent: vec!["/data/phone", "/data/stripe_customer_id"],
        },
        // Max is locked: snake can only say "not active", which reads back as disabled.
        Get {
            dir: E2S,
            id: MAX,
            expect: vec![
                ("/data/status", json!("disabled")),
                ("/data/role", json!("support_agent")),
            ],
            absent: vec![],
        },
        Get {
            dir: S2C,
            id: MAX,
            expect: vec![
                ("/data/is_active", json!(false)),
                ("/data/role_id", json!(SUPPORT_AGENT_ID)),
            ],
            absent: vec![],
        },
        // Jane is an admin: camel's type follows from the role where the backend has none.
        Get {
            dir: C2E,
            id: JANE,
            expect: vec![
                ("/type", json!("admin")),
                ("/roles", json!([role_object("admin")])),
            ],
            absent: vec![],
        },
        Get {
            dir: E2C,
            id: JANE,
            expect: vec![
                ("/data/name", json!("Jane Roe")),
                ("/data/permissions", admin_permissions()),
            ],
            absent: vec![],
        },
    ];
    let mut p = Problems::default();
    for c in cases {
        let case = format!("GET {} of {}", c.dir.name(), c.id);
        let r = send(gateway(
            &stack,
            c.dir.client,
            Method::GET,
            &user_path(c.dir.client, c.dir.prefix, c.id),
            Some(ADMIN),
        ))
        .await;
        p.check(
            &case,
            r.status == 200,
            format!("status {}: {}", r.status, r.text),
        );
        p.schema(&case, c.dir.client, "response", &r.json);
        p.fields(&case, &r.json, &c.expect);
        p.absent(&case, &r.json, &c.absent);
        p.no_secrets(&case, &r.text);
        let request_id = r.header("x-request-id").unwrap_or_default().to_owned();
        p.check(&case, !request_id.is_empty(), "no X-Request-Id");
        p.check(
            &case,
            matches!(r.header("x-cache"), Some("HIT" | "MISS" | "BYPASS")),
            format!("X-Cache: {:?}", r.header("x-cache")),
        );
        if c.dir.client == Envelope {
            p.field(&case, &r.json, "/meta/request_id", &json!(request_id));
        }
        let content_type = r.header("content-type").unwrap_or_default();
        p.check(
            &case,
            content_type.starts_with("application/json"),
            format!("content-type {content_type:?}"),
        );
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_in_every_direction_is_stored_in_the_backends_own_api_and_echoed_translated() {
    // Each backend is written through two routes; they write different users (John through
    // the demo route, Jane through the added one), so every "unchanged" below is the seed.
    let stack = start_stack(30, MORE_DIRECTIONS).await;
    struct Put {
        dir: Dir,
        id: &'static str,
        body: Value,
        /// In the gateway's answer, in the client's style.
        answer: Vec<(&'static str, Value)>,
        /// In the backend's own API afterwards: the change and what the PUT did not carry.
        stored: Vec<(&'static str, Value)>,
    }
    let cases = vec![
        Put {
            dir: E2C,
            id: JOHN,
            body: json!({"name": "Johnny Walker", "role": "support_agent", "status": "disabled"}),
            answer: vec![
                ("/data/name", json!("Johnny Walker")),
                ("/data/role", json!("support_agent")),
                ("/data/status", json!("disabled")),
                ("/data/permissions", support_agent_permissions()),
                ("/data/email", json!("john.doe@company.com")),
                ("/meta/message", json!("User updated successfully")),
            ],
            stored: vec![
                ("/firstName", json!("Johnny")),
                ("/lastName", json!("Walker")),
                ("/status", json!("disabled")),
                ("/roles/0/id", json!(SUPPORT_AGENT_ID)),
                ("/type", json!("member")),
                ("/email", json!("john.doe@company.com")),
                ("/isService", json!(false)),
            ],
        },
        Put {
            dir: E2S,
            id: JANE,
            // The name splits at the first space.
            body: json!({"name": "Janet Van Roe", "phone": "+1987654321", "status": "disabled", "email": "janet@company.com"}),
            answer: vec![
                ("/data/name", json!("Janet Van Roe")),
                ("/data/phone", json!("+1987654321")),
                ("/data/status", json!("disabled")),
                ("/data/email", json!("janet@company.com")),
                ("/data/role", json!("admin")),
                ("/data/permissions", admin_permissions()),
            ],
            stored: vec![
                ("/first_name", json!("Janet")),
                ("/last_name", json!("Van Roe")),
                ("/phone", json!("+1987654321")),
                ("/is_active", json!(false)),
                ("/email", json!("janet@company.com")),
                ("/role_id", json!(ADMIN_ROLE_ID)),
                ("/state", json!("CA")),
                ("/is_enterprise", json!(true)),
                ("/follower_count", json!(40)),
            ],
        },
        Put {
            dir: C2S,
            id: JOHN,
            body: json!({"firstName": "Jon", "status": "disabled", "roles": [ADMIN_ROLE_ID]}),
            answer: vec![
                ("/firstName", json!("Jon")),
                ("/lastName", json!("Doe")),
                ("/status", json!("disabled")),
                ("/roles", json!([role_object("admin")])),
                ("/type", json!("admin")),
            ],
            stored: vec![
                ("/first_name", json!("Jon")),
                ("/last_name", json!("Doe")),
                ("/is_active", json!(false)),
                ("/role_id", json!(ADMIN_ROLE_ID)),
                ("/is_superuser", json!(false)),
                ("/phone", json!("+1234567890")),
                ("/stripe_customer_id", json!("cus_Pq4sJd8LmN2xYz")),
                ("/address", json!("350 Fifth Avenue, New York, NY 10118")),
            ],
        },
        Put {
            dir: C2E,
            id: JANE,
            body: json!({"firstName": "Janet", "lastName": "Roe", "roles": [SENIOR_BILLING_MANAGER_ID], "status": "locked"}),
            answer: vec![
                ("/firstName", json!("Janet")),
                ("/lastName", json!("Roe")),
                ("/roles", json!([role_object("senior_billing_manager")])),
                ("/status", json!("locked")),
                ("/createdAt", json!("2023-06-01T08:00:00Z")),
            ],
            stored: vec![
                ("/name", json!("Janet Roe")),
                ("/role", json!("senior_billing_manager")),
                ("/status", json!("locked")),
                ("/department", json!("engineering")),
                ("/phone", json!("+14155550123")),
                ("/company", json!("Acme Corporation")),
                ("/metadata/timezone", json!("America/Los_Angeles")),
            ],
        },
        Put {
            dir: S2E,
            id: JOHN,
            body: json!({"first_name": "Johnny", "last_name": "Walker", "phone": "+1987654321", "is_active": false}),
            answer: vec![
                ("/message", json!("Data updated successfully")),
                ("/meta", json!({})),
                ("/data/first_name", json!("Johnny")),
                ("/data/last_name", json!("Walker")),
                ("/data/phone", json!("+1987654321")),
                ("/data/is_active", json!(false)),
                ("/data/role_id", json!(BILLING_MANAGER_ID)),
            ],
            stored: vec![
                ("/name", json!("Johnny Walker")),
                ("/phone", json!("+1987654321")),
                ("/status", json!("disabled")),
                ("/department", json!("finance")),
                ("/company", json!("Acme Corporation")),
                ("/role", json!("billing_manager")),
                ("/permissions", billing_manager_permissions()),
                ("/metadata/subscription_plan", json!("premium")),
            ],
        },
        Put {
            dir: S2C,
            id: JANE,
            body: json!({"first_name": "Janine", "role_id": OWNER_ROLE_ID, "is_superuser": true}),
            answer: vec![
                ("/data/first_name", json!("Janine")),
                ("/data/last_name", json!("Roe")),
                ("/data/role_id", json!(OWNER_ROLE_ID)),
                ("/data/is_superuser", json!(true)),
                ("/data/is_active", json!(true)),
            ],
            stored: vec![
                ("/firstName", json!("Janine")),
                ("/lastName", json!("Roe")),
                ("/roles", json!([role_object("owner")])),
                ("/type", json!("owner")),
                ("/status", json!("active")),
                ("/email", json!("jane.roe@company.com")),
            ],
        },
    ];
    let mut p = Problems::default();
    for c in cases {
        let case = format!("PUT {} of {}", c.dir.name(), c.id);
        let before = stack.backend(c.dir.backend).stats();
        let r = send(
            gateway(
                &stack,
                c.dir.client,
                Method::PUT,
                &user_path(c.dir.client, c.dir.prefix, c.id),
                Some(ADMIN),
            )
            .json(&c.body),
        )
        .await;
        p.check(
            &case,
            r.status == 200,
            format!("status {}: {}", r.status, r.text),
        );
        p.schema(&case, c.dir.client, "response", &r.json);
        p.fields(&case, &r.json, &c.answer);
        p.no_secrets(&case, &r.text);
        p.check(
            &case,
            stack.backend(c.dir.backend).stats() == before + 1,
            "the PUT did not reach the backend exactly once",
        );
        let request_id = r.header("x-request-id").unwrap_or_default().to_owned();
        if c.dir.client == Envelope {
            p.field(&case, &r.json, "/meta/request_id", &json!(request_id));
        }
        let doc = stored(&stack, c.dir.backend, c.id).await;
        p.fields(&format!("{case}, stored"), &doc, &c.stored);
        // A GET through the gateway after the write sees the write (the PUT evicted the cache).
        let again = send(gateway(
            &stack,
            c.dir.client,
            Method::GET,
            &user_path(c.dir.client, c.dir.prefix, c.id),
            Some(ADMIN),
        ))
        .await;
        let mut fields_again: Vec<(&str, Value)> = c
            .answer
            .iter()
            .filter(|(ptr, _)| !ptr.starts_with("/meta") && *ptr != "/message")
            .cloned()
            .collect();
        fields_again.retain(|(ptr, _)| ptr.starts_with("/data") || c.dir.client == Camel);
        p.fields(&format!("{case}, read back"), &again.json, &fields_again);
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_put_is_a_partial_update_that_changes_nothing_in_any_direction() {
    let stack = start_stack(0, MORE_DIRECTIONS).await;
    let mut p = Problems::default();
    let timestamps = ["/updatedAt", "/updated_time"];
    for dir in DIRECTIONS {
        let case = format!("PUT {{}} {}", dir.name());
        let id = if dir.prefix.is_empty() { JOHN } else { JANE };
        let mut before = stored(&stack, dir.backend, id).await;
        let r = send(
            gateway(
                &stack,
                dir.client,
                Method::PUT,
                &user_path(dir.client, dir.prefix, id),
                Some(ADMIN),
            )
            .json(&json!({})),
        )
        .await;
        p.check(
            &case,
            r.status == 200,
            format!("status {}: {}", r.status, r.text),
        );
        p.schema(&case, dir.client, "response", &r.json);
        let mut after = stored(&stack, dir.backend, id).await;
        for ptr in timestamps {
            for doc in [&mut before, &mut after] {
                if let Some(obj) = doc.as_object_mut() {
                    obj.remove(ptr.trim_start_matches('/'));
                }
            }
        }
        p.check(
            &case,
            before == after,
            format!("the stored user changed:\nbefore {before}\nafter  {after}"),
        );
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_of_a_value_the_target_can_only_approximate_is_stored_and_flagged_lossy() {
    let stack = start_stack(0, MORE_DIRECTIONS).await;
    let mut p = Problems::default();
    let case = "envelope status locked -> snake backend";
    let r = send(
        gateway(
            &stack,
            Envelope,
            Method::PUT,
            &user_path(Envelope, "/e2s", JOHN),
            Some(ADMIN),
        )
        .json(&json!({"status": "locked"})),
    )
    .await;
    p.check(
        case,
        r.status == 200,
        format!("status {}: {}", r.status, r.text),
    );
    p.check(
        case,
        r.header("x-dragoman-lossy")
            .is_some_and(|h| h.contains("status")),
        format!("X-Dragoman-Lossy: {:?}", r.header("x-dragoman-lossy")),
    );
    let doc = stored(&stack, Snake, JOHN).await;
    p.field(case, &doc, "/is_active", &json!(false));
    p.done();
    stack.stop().await;
}

// =============================================================================================
// 2. The error table, in each client style
// =============================================================================================

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_json_is_a_400_in_the_clients_style() {
    let stack = start_stack(30, "").await;
    let cases = BackendStyle::ALL
        .into_iter()
        .map(|s| {
            let rq = gateway(&stack, s, Method::PUT, &user_path(s, "", JOHN), Some(ADMIN))
                .header("content-type", "application/json")
                .body("{\"name\": ");
            err_case("truncated JSON", s, rq, 400)
        })
        .chain(BackendStyle::ALL.into_iter().map(|s| {
            let rq = gateway(&stack, s, Method::PUT, &user_path(s, "", JOHN), Some(ADMIN))
                .header("content-type", "application/json");
            err_case("empty body", s, rq, 400)
        }))
        .chain(BackendStyle::ALL.into_iter().map(|s| {
            let deep = format!("{{\"x\": {}{}}}", "[".repeat(5000), "]".repeat(5000));
            let rq = gateway(&stack, s, Method::PUT, &user_path(s, "", JOHN), Some(ADMIN))
                .header("content-type", "application/json")
                .body(deep);
            err_case("JSON nested 5000 deep", s, rq, 400)
        }))
        .collect();
    run_error_cases(cases).await.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_user_id_is_a_400_in_the_clients_style() {
    let stack = start_stack(30, "").await;
    let mut cases = Vec::new();
    for (style, raw) in [
        (Envelope, "usr_1"),
        (Envelope, "user_a.b"),
        (Envelope, JOHN),
        (Camel, "not-a-uuid"),
        (Camel, "user_1"),
        (Snake, "not-a-uuid"),
        (Snake, "12345"),
    ] {
        for method in [Method::GET, Method::PUT] {
            let mut rq = gateway(
                &stack,
                style,
                method.clone(),
                &raw_user_path(style, "", raw),
                Some(ADMIN),
            );
            if method == Method::PUT {
                rq = rq.json(&harmless_put(style));
            }
            cases.push(err_case(format!("{method} id {raw:?}"), style, rq, 400));
        }
    }
    run_error_cases(cases).await.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_unknown_credential_is_a_401_in_the_clients_style_even_when_cached() {
    let stack = start_stack(30, "").await;
    let mut cases = Vec::new();
    for style in BackendStyle::ALL {
        let path = user_path(style, "", JOHN);
        // Warm the cache: a hit must never skip the auth check.
        let warm = send(gateway(&stack, style, Method::GET, &path, Some(ADMIN))).await;
        assert_eq!(warm.status, 200, "{style}: warming GET: {}", warm.text);
        cases.push(err_case(
            "GET without a credential",
            style,
            gateway(&stack, style, Method::GET, &path, None),
            401,
        ));
        cases.push(err_case(
            "GET with an unknown key",
            style,
            gateway(&stack, style, Method::GET, &path, Some(UNKNOWN_KEY)),
            401,
        ));
        cases.push(err_case(
            "PUT with an unknown key",
            style,
            gateway(&stack, style, Method::PUT, &path, Some(UNKNOWN_KEY))
                .json(&harmless_put(style)),
            401,
        ));
    }
    // Each style's credential is only found where that style carries it.
    cases.push(err_case(
        "snake route with the key as a Bearer token",
        Snake,
        gateway(
            &stack,
            Envelope,
            Method::GET,
            &user_path(Snake, "", JOHN),
            Some(ADMIN),
        ),
        401,
    ));
    cases.push(err_case(
        "snake api_key without the in- prefix",
        Snake,
        client().get(stack.url(&format!(
            "{}?api_key=demo-camel-backend",
            user_path(Snake, "", JOHN)
        ))),
        401,
    ));
    cases.push(err_case(
        "snake api_key empty",
        Snake,
        client().get(stack.url(&format!("{}?api_key=", user_path(Snake, "", JOHN)))),
        401,
    ));
    cases.push(err_case(
        "envelope route with the key as api_key",
        Envelope,
        client().get(stack.url(&format!(
            "{}?api_key={ADMIN}",
            user_path(Envelope, "", JOHN)
        ))),
        401,
    ));
    cases.push(err_case(
        "camel route with a Basic credential",
        Camel,
        client()
            .get(stack.url(&user_path(Camel, "", JOHN)))
            .basic_auth("in-demo-admin", Some("x")),
        401,
    ));
    run_error_cases(cases).await.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_key_is_a_403_on_put_in_the_clients_style_and_may_still_get() {
    let stack = start_stack(30, "").await;
    let mut cases = Vec::new();
    let mut p = Problems::default();
    for style in BackendStyle::ALL {
        let path = user_path(style, "", JOHN);
        cases.push(err_case(
            "PUT with the reader key",
            style,
            gateway(&stack, style, Method::PUT, &path, Some(READER)).json(&harmless_put(style)),
            403,
        ));
        let r = send(gateway(&stack, style, Method::GET, &path, Some(READER))).await;
        p.check(
            &format!("{style}: GET with the reader key"),
            r.status == 200,
            format!("status {}: {}", r.status, r.text),
        );
    }
    p.0.extend(run_error_cases(cases).await.0);
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_user_is_a_404_in_the_clients_style() {
    let stack = start_stack(30, MORE_DIRECTIONS).await;
    let mut cases = Vec::new();
    for dir in DIRECTIONS {
        let path = user_path(dir.client, dir.prefix, NOBODY);
        cases.push(err_case(
            format!("GET via {}", dir.name()),
            dir.client,
            gateway(&stack, dir.client, Method::GET, &path, Some(ADMIN)),
            404,
        ));
        cases.push(err_case(
            format!("PUT via {}", dir.name()),
            dir.client,
            gateway(&stack, dir.client, Method::PUT, &path, Some(ADMIN))
                .json(&harmless_put(dir.client)),
            404,
        ));
    }
    run_error_cases(cases).await.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_failing_the_client_styles_schema_is_a_422_naming_the_field() {
    let stack = start_stack(30, "").await;
    let put = |style: BackendStyle, body: Value| {
        gateway(
            &stack,
            style,
            Method::PUT,
            &user_path(style, "", JOHN),
            Some(ADMIN),
        )
        .json(&body)
    };
    let cases = vec![
        err_case(
            "phone \"555\"",
            Envelope,
            put(Envelope, json!({"phone": "555"})),
            422,
        )
        .naming("phone"),
        err_case(
            "unknown role name",
            Envelope,
            put(Envelope, json!({"role": "astronaut"})),
            422,
        )
        .naming("role"),
        err_case(
            "status \"sleeping\"",
            Camel,
            put(Camel, json!({"status": "sleeping"})),
            422,
        )
        .naming("status"),
        err_case(
            "roles not UUIDs",
            Camel,
            put(Camel, json!({"roles": ["admin"]})),
            422,
        )
        .naming("roles"),
        err_case(
            "unknown role UUID",
            Camel,
            put(Camel, json!({"roles": [NOBODY]})),
            422,
        )
        .naming("roles"),
        err_case(
            "is_active \"yes\"",
            Snake,
            put(Snake, json!({"is_active": "yes"})),
            422,
        )
        .naming("is_active"),
        err_case(
            "unknown role_id",
            Snake,
            put(Snake, json!({"role_id": NOBODY})),
            422,
        )
        .naming("role_id"),
        err_case(
            "a read-only field",
            Snake,
            put(Snake, json!({"follower_count": 3})),
            422,
        )
        .naming("follower_count"),
        err_case("a JSON array body", Envelope, put(Envelope, json!([])), 422),
        err_case(
            "a JSON string body",
            Camel,
            put(Camel, json!("firstName")),
            422,
        ),
        err_case("a JSON null body", Snake, put(Snake, json!(null)), 422),
    ];
    run_error_cases(cases).await.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_the_target_cannot_hold_is_a_422_naming_it_unless_the_route_drops_it() {
    let extra = format!(
        "{MORE_DIRECTIONS}
[[routes]]
style = \"envelope\"
upstream = \"camel-backend\"
prefix = \"/edrop\"
drop = [\"department\"]

[[routes]]
style = \"camel\"
upstream = \"envelope-backend\"
prefix = \"/cdrop\"
drop = [\"type\"]

[[routes]]
style = \"snake\"
upstream = \"envelope-backend\"
prefix = \"/sdrop\"
drop = [\"stripe_customer_id\"]
"
    );
    let stack = start_stack(0, &extra).await;
    let put = |dir: Dir, body: Value| {
        gateway(
            &stack,
            dir.client,
            Method::PUT,
            &user_path(dir.client, dir.prefix, JOHN),
            Some(ADMIN),
        )
        .json(&body)
    };
    let refused = vec![
        err_case(
            "department -> camel",
            Envelope,
            put(E2C, json!({"department": "sales"})),
            422,
        )
        .naming("department"),
        err_case(
            "phone -> camel",
            Envelope,
            put(E2C, json!({"phone": "+1987654321"})),
            422,
        )
        .naming("phone"),
        err_case(
            "permissions other than the role's -> camel",
            Envelope,
            put(E2C, json!({"permissions": ["users:write"]})),
            422,
        )
        .naming("permissions"),
        err_case(
            "type -> envelope",
            Camel,
            put(C2E, json!({"type": "member"})),
            422,
        )
        .naming("type"),
        err_case(
            "stripe_customer_id -> envelope",
            Snake,
            put(S2E, json!({"stripe_customer_id": "cus_X"})),
            422,
        )
        .naming("stripe_customer_id"),
        err_case(
            "phone -> camel",
            Snake,
            put(S2C, json!({"phone": "+1987654321"})),
            422,
        )
        .naming("phone"),
    ];
    let mut p = run_error_cases(refused).await;
    for style in BackendStyle::ALL {
        p.check(
            &format!("{style} backend"),
            stack.backend(style).stats() == 0,
            "a refused write reached a backend",
        );
    }

    struct Accepted {
        name: &'static str,
        dir: Dir,
        body: Value,
        dropped: Option<&'static str>,
        stored: Vec<(&'static str, Value)>,
    }
    let edrop = Dir::new(Envelope, Camel, "/edrop");
    let cdrop = Dir::new(Camel, Envelope, "/cdrop");
    let sdrop = Dir::new(Snake, Envelope, "/sdrop");
    let accepted = vec![
        Accepted {
            name: "envelope permissions equal to the new role's -> camel",
            dir: E2C,
            body: json!({"role": "viewer", "permissions": viewer_permissions()}),
            dropped: None,
            stored: vec![("/roles/0/name", json!("viewer"))],
        },
        Accepted {
            name: "snake null for a field envelope lacks carries nothing",
            dir: S2E,
            body: json!({"stripe_customer_id": null, "first_name": "Johnny", "last_name": "Doe"}),
            dropped: None,
            stored: vec![("/name", json!("Johnny Doe"))],
        },
        Accepted {
            name: "envelope department dropped by the route",
            dir: edrop,
            body: json!({"department": "sales", "name": "John Dropped"}),
            dropped: Some("department"),
            stored: vec![
                ("/firstName", json!("John")),
                ("/lastName", json!("Dropped")),
            ],
        },
        Accepted {
            name: "camel type dropped by the route",
            dir: cdrop,
            body: json!({"type": "member", "firstName": "John", "lastName": "Typeless"}),
            dropped: Some("type"),
            stored: vec![
                ("/name", json!("John Typeless")),
                ("/department", json!("finance")),
            ],
        },
        Accepted {
            name: "snake stripe_customer_id dropped by the route",
            dir: sdrop,
            body: json!({"stripe_customer_id": "cus_X", "phone": "+1987654321"}),
            dropped: Some("stripe_customer_id"),
            stored: vec![("/phone", json!("+1987654321"))],
        },
    ];
    for c in accepted {
        let case = format!("{}: {}", c.dir.client, c.name);
        let r = send(put(c.dir, c.body)).await;
        p.check(
            &case,
            r.status == 200,
            format!("status {}: {}", r.status, r.text),
        );
        p.schema(&case, c.dir.client, "response", &r.json);
        let dropped = r.header("x-dragoman-dropped");
        match c.dropped {
            Some(field) => p.check(
                &case,
                dropped.is_some_and(|d| d.contains(field)),
                format!("x-dragoman-dropped: {dropped:?}"),
            ),
            None => p.check(
                &case,
                dropped.is_none(),
                format!("x-dragoman-dropped: {dropped:?}"),
            ),
        }
        let doc = stored(&stack, c.dir.backend, JOHN).await;
        p.fields(&format!("{case}, stored"), &doc, &c.stored);
        if let Some(field) = c.dropped {
            p.check(
                &case,
                !doc.to_string().contains("cus_X") && !doc.to_string().contains("sales"),
                format!("the dropped {field} reached the backend: {doc}"),
            );
        }
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_the_target_style_refuses_is_a_422_naming_the_clients_own_field() {
    // Valid for the client's schema, not for the backend's: the client still hears about its
    // own field, in its own dialect, and the backend keeps what it had.
    let stack = start_stack(0, MORE_DIRECTIONS).await;
    let put = |dir: Dir, body: Value| {
        gateway(
            &stack,
            dir.client,
            Method::PUT,
            &user_path(dir.client, dir.prefix, JOHN),
            Some(ADMIN),
        )
        .json(&body)
    };
    let cases = vec![
        err_case(
            "phone \"555\" -> envelope (E.164 only)",
            Snake,
            put(S2E, json!({"phone": "555"})),
            422,
        )
        .naming("phone"),
        err_case(
            "email null -> envelope (cannot be cleared)",
            Snake,
            put(S2E, json!({"email": null})),
            422,
        )
        .naming("email"),
        err_case(
            "first_name \"\" -> camel (non-empty)",
            Snake,
            put(S2C, json!({"first_name": ""})),
            422,
        )
        .naming("first_name"),
        err_case(
            "first_name null -> camel (not nullable)",
            Snake,
            put(S2C, json!({"first_name": null})),
            422,
        )
        .naming("first_name"),
        err_case(
            "is_active null -> camel (not nullable)",
            Snake,
            put(S2C, json!({"is_active": null})),
            422,
        )
        .naming("is_active"),
        err_case(
            "roles [] -> envelope (one role)",
            Camel,
            put(C2E, json!({"roles": []})),
            422,
        )
        .naming("roles"),
        err_case(
            "permissions not the role's -> snake",
            Envelope,
            put(
                E2S,
                json!({"role": "viewer", "permissions": ["users:write"]}),
            ),
            422,
        )
        .naming("permissions"),
    ];
    let mut p = run_error_cases(cases).await;
    let john = stored(&stack, Envelope, JOHN).await;
    p.field("envelope backend", &john, "/phone", &json!("+1234567890"));
    p.field(
        "envelope backend",
        &john,
        "/email",
        &json!("john.doe@company.com"),
    );
    let john = stored(&stack, Camel, JOHN).await;
    p.field("camel backend", &john, "/firstName", &json!("John"));
    p.field("camel backend", &john, "/status", &json!("active"));
    let john = stored(&stack, Snake, JOHN).await;
    p.field(
        "snake backend",
        &john,
        "/role_id",
        &json!(BILLING_MANAGER_ID),
    );
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_one_half_of_a_name_on_a_backend_that_joins_them_is_a_422() {
    // rules/envelope.toml: a backend that keeps the name whole can only be written both parts
    // at once.
    let stack = start_stack(0, MORE_DIRECTIONS).await;
    let cases = vec![
        err_case(
            "lastName alone -> envelope",
            Camel,
            gateway(
                &stack,
                Camel,
                Method::PUT,
                &user_path(Camel, "/c2e", JOHN),
                Some(ADMIN),
            )
            .json(&json!({"lastName": "Smith"})),
            422,
        )
        .naming("lastName"),
        err_case(
            "first_name alone -> envelope",
            Snake,
            gateway(
                &stack,
                Snake,
                Method::PUT,
                &user_path(Snake, "", JOHN),
                Some(ADMIN),
            )
            .json(&json!({"first_name": "Johnny"})),
            422,
        )
        .naming("first_name"),
    ];
    let mut p = run_error_cases(cases).await;
    p.check(
        "envelope backend",
        stack.envelope.stats() == 0,
        "a refused write reached the backend",
    );
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_the_api_lacks_is_a_405_with_allow_in_the_clients_style() {
    let stack = start_stack(30, "").await;
    let mut p = Problems::default();
    for style in BackendStyle::ALL {
        for method in [Method::DELETE, Method::POST, Method::PATCH] {
            let case = format!("{style}: {method}");
            let r = send(gateway(
                &stack,
                style,
                method,
                &user_path(style, "", JOHN),
                Some(ADMIN),
            ))
            .await;
            check_error(&mut p, &case, style, &r, 405, None);
            p.check(
                &case,
                r.header("allow") == Some("GET, PUT"),
                format!("Allow: {:?}", r.header("allow")),
            );
        }
    }
    for style in BackendStyle::ALL {
        p.check(
            &format!("{style} backend"),
            stack.backend(style).stats() == 0,
            "a 405 reached a backend",
        );
    }
    p.done();
    stack.stop().await;
}

fn oversized_body(style: BackendStyle) -> Value {
    let blob = "x".repeat(1024 * 1024 + 1024);
    match style {
        Envelope => json!({"metadata": {"blob": blob}}),
        Camel => json!({"firstName": blob}),
        Snake => json!({"address": blob}),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_default_one_mib_limit_is_a_413_in_the_clients_style() {
    let stack = start_stack(30, "").await;
    let cases = BackendStyle::ALL
        .into_iter()
        .map(|s| {
            let rq = gateway(&stack, s, Method::PUT, &user_path(s, "", JOHN), Some(ADMIN))
                .json(&oversized_body(s));
            err_case("1 MiB + 1 KiB of JSON", s, rq, 413)
        })
        .collect();
    let mut p = run_error_cases(cases).await;
    // Without a Content-Length the limit holds while the chunks arrive.
    let chunk = "x".repeat(64 * 1024);
    let mut request = format!(
        "PUT {} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {ADMIN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        user_path(Envelope, "", JOHN)
    );
    request.push_str("b\r\n{\"name\": \"x\r\n");
    for _ in 0..20 {
        request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    request.push_str("2\r\n\"}\r\n0\r\n\r\n");
    match raw_exchange(&stack, &request).await {
        Ok(r) => {
            p.check(
                "envelope: chunked 1.25 MiB",
                r.status == 413,
                format!("status {}", r.status),
            );
            p.schema("envelope: chunked 1.25 MiB", Envelope, "error", &r.json());
        }
        Err(e) => p.fail("envelope: chunked 1.25 MiB", e),
    }
    for style in BackendStyle::ALL {
        p.check(
            &format!("{style} backend"),
            stack.backend(style).stats() == 0,
            "a 413 reached a backend",
        );
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_application_json_is_a_415_in_the_clients_style() {
    let stack = start_stack(30, "").await;
    let mut cases = Vec::new();
    for style in BackendStyle::ALL {
        let body = harmless_put(style).to_string();
        for content_type in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            let mut rq = gateway(
                &stack,
                style,
                Method::PUT,
                &user_path(style, "", JOHN),
                Some(ADMIN),
            )
            .body(body.clone());
            if let Some(ct) = content_type {
                rq = rq.header("content-type", ct);
            }
            cases.push(err_case(
                format!("Content-Type {content_type:?}"),
                style,
                rq,
                415,
            ));
        }
    }
    let mut p = run_error_cases(cases).await;
    for style in BackendStyle::ALL {
        p.check(
            &format!("{style} backend"),
            stack.backend(style).stats() == 0,
            "a 415 reached a backend",
        );
    }
    for style in BackendStyle::ALL {
        let r = send(
            gateway(
                &stack,
                style,
                Method::PUT,
                &user_path(style, "", JOHN),
                Some(ADMIN),
            )
            .header("content-type", "Application/JSON; charset=utf-8")
            .body(harmless_put(style).to_string()),
        )
        .await;
        p.check(
            &format!("{style}: Application/JSON; charset=utf-8"),
            r.status == 200,
            format!("status {}: {}", r.status, r.text),
        );
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_is_a_502_in_the_clients_style() {
    let dead = free_port();
    let mut extra = upstream_config("dead", Camel, dead, 300);
    for style in BackendStyle::ALL {
        extra.push_str(&route_config(style, "dead", "/dead"));
    }
    let stack = start_stack(30, &extra).await;
    let mut cases = Vec::new();
    for style in BackendStyle::ALL {
        let path = user_path(style, "/dead", JOHN);
        cases.push(err_case(
            "GET",
            style,
            gateway(&stack, style, Method::GET, &path, Some(ADMIN)),
            502,
        ));
        cases.push(err_case(
            "PUT",
            style,
            gateway(&stack, style, Method::PUT, &path, Some(ADMIN)).json(&harmless_put(style)),
            502,
        ));
    }
    let mut p = run_error_cases(cases).await;
    for style in BackendStyle::ALL {
        let r = send(gateway(
            &stack,
            style,
            Method::GET,
            &user_path(style, "/dead", JOHN),
            Some(ADMIN),
        ))
        .await;
        p.check(
            &format!("{style}: GET"),
            !r.text.contains(&dead.to_string()),
            format!("the upstream's address is in the body: {}", r.text),
        );
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_slower_than_its_timeout_is_a_504_in_the_clients_style() {
    let silent = FakeUpstream::start(None).await;
    // A short connect timeout too: the gateway's deadline covers connect and answer.
    let mut extra = silent.upstream_config("silent", Camel) + "connect_timeout_ms = 100\n";
    for style in BackendStyle::ALL {
        extra.push_str(&route_config(style, "silent", "/slow"));
    }
    let stack = start_stack(30, &extra).await;
    let mut cases = Vec::new();
    for style in BackendStyle::ALL {
        let path = user_path(style, "/slow", JOHN);
        cases.push(err_case(
            "GET",
            style,
            gateway(&stack, style, Method::GET, &path, Some(ADMIN)),
            504,
        ));
        cases.push(err_case(
            "PUT",
            style,
            gateway(&stack, style, Method::PUT, &path, Some(ADMIN)).json(&harmless_put(style)),
            504,
        ));
    }
    let started = Instant::now();
    let mut p = run_error_cases(cases).await;
    // Six requests at a 100 + 300 ms budget are well under 5 s.
    p.check(
        "timing",
        started.elapsed() < Duration::from_secs(5),
        format!("took {:?}", started.elapsed()),
    );
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_upstream_is_given_up_once_its_timeout_has_passed_after_connecting() {
    // Loopback connects at once, so the 504 is due about timeout_ms after the request was sent.
    let silent = FakeUpstream::start(None).await;
    let mut extra = silent.upstream_config("silent", Camel);
    extra.push_str(&route_config(Envelope, "silent", "/slow"));
    let stack = start_stack(0, &extra).await;
    let mut p = Problems::default();
    for method in [Method::GET, Method::PUT] {
        let case = format!("{method} with timeout_ms = 300");
        let started = Instant::now();
        let r = send(
            gateway(
                &stack,
                Envelope,
                method,
                &user_path(Envelope, "/slow", JOHN),
                Some(ADMIN),
            )
            .json(&json!({})),
        )
        .await;
        let took = started.elapsed();
        p.check(&case, r.status == 504, format!("status {}", r.status));
        p.check(
            &case,
            took < Duration::from_millis(800),
            format!("the 504 came after {took:?}"),
        );
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_answering_garbage_is_a_502_that_keeps_the_upstreams_detail_out() {
    const LEAK: &str = "db-password-hunter2";
    let john = json!({"id": JOHN, "email": "john.doe@company.com", "firstName": "John", "lastName": "Doe", "status": LEAK});
    let answers = [
        ("invalid JSON", http_answer("200 OK", "application/json", &format!("{{\"id\": \"{LEAK}"))),
        ("a 200 failing the camel schema", http_answer("200 OK", "application/json", &john.to_string())),
        ("a 200 without required fields", http_answer("200 OK", "application/json", &json!({"note": LEAK}).to_string())),
        ("a 200 in text/html", http_answer("200 OK", "text/html", &format!("<p>{LEAK}</p>"))),
        ("no answer at all", String::new()),
        (
            "a 401 for the gateway's own credential",
            http_answer("401 Unauthorized", "application/problem+json", &json!({"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": LEAK}).to_string()),
        ),
        (
            "a 403 for the gateway's own credential",
            http_answer("403 Forbidden", "application/problem+json", &json!({"type": "about:blank", "title": "Forbidden", "status": 403, "detail": LEAK}).to_string()),
        ),
        (
            "a 500 with a detail",
            http_answer("500 Internal Server Error", "application/problem+json", &json!({"type": "about:blank", "title": "Internal Server Error", "status": 500, "detail": LEAK}).to_string()),
        ),
    ];
    let mut fakes = Vec::new();
    let mut extra = String::new();
    for (i, (_, answer)) in answers.iter().enumerate() {
        let fake = FakeUpstream::start(Some(answer.clone())).await;
        extra.push_str(&fake.upstream_config(&format!("garbage{i}"), Camel));
        for style in BackendStyle::ALL {
            extra.push_str(&route_config(
                style,
                &format!("garbage{i}"),
                &format!("/garbage{i}"),
            ));
        }
        fakes.push(fake);
    }
    let stack = start_stack(0, &extra).await;
    let mut p = Problems::default();
    for (i, (what, _)) in answers.iter().enumerate() {
        for style in BackendStyle::ALL {
            let path = user_path(style, &format!("/garbage{i}"), JOHN);
            for (method, rq) in [
                (
                    "GET",
                    gateway(&stack, style, Method::GET, &path, Some(ADMIN)),
                ),
                (
                    "PUT",
                    gateway(&stack, style, Method::PUT, &path, Some(ADMIN))
                        .json(&harmless_put(style)),
                ),
            ] {
                let case = format!("{style}: {method} answered with {what}");
                let r = send(rq).await;
                check_error(&mut p, &case, style, &r, 502, None);
                p.check(
                    &case,
                    !r.text.contains(LEAK),
                    format!("the upstream's detail reached the client: {}", r.text),
                );
            }
        }
        p.check(
            what,
            !fakes[i].requests().is_empty(),
            "the fake upstream was never called",
        );
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_answer_about_another_user_is_a_502_in_every_style_and_never_cached() {
    const OTHER: &str = "11111111-2222-4333-8444-555555555555";
    let other = json!({"id": OTHER, "email": "someone.else@company.com", "firstName": "Some", "lastName": "One", "status": "active"});
    let fake = FakeUpstream::start(Some(http_answer(
        "200 OK",
        "application/json",
        &other.to_string(),
    )))
    .await;
    let mut extra = fake.upstream_config("liar", Camel);
    for style in BackendStyle::ALL {
        extra.push_str(&route_config(style, "liar", "/liar"));
    }
    let stack = start_stack(30, &extra).await;
    let mut p = Problems::default();
    for style in BackendStyle::ALL {
        let path = user_path(style, "/liar", JOHN);
        for round in 0..2 {
            let case = format!("{style}: GET #{round} answered about {OTHER}");
            let r = send(gateway(&stack, style, Method::GET, &path, Some(ADMIN))).await;
            check_error(&mut p, &case, style, &r, 502, None);
            p.check(
                &case,
                !r.text.contains("someone.else"),
                format!("the other user reached the client: {}", r.text),
            );
        }
        let case = format!("{style}: PUT answered about {OTHER}");
        let r = send(
            gateway(&stack, style, Method::PUT, &path, Some(ADMIN)).json(&harmless_put(style)),
        )
        .await;
        check_error(&mut p, &case, style, &r, 502, None);
    }
    // Every GET reached the upstream: none of the wrong answers was cached.
    let gets = fake
        .requests()
        .iter()
        .filter(|r| r.starts_with("GET "))
        .count();
    p.check(
        "cache",
        gets == 2 * BackendStyle::ALL.len(),
        format!("{gets} GETs reached the upstream"),
    );
    p.done();
    stack.stop().await;
}

// =============================================================================================
// 3. What fails auth or validation never reaches the upstream
// =============================================================================================

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_refused_for_auth_or_validation_never_reach_any_backend() {
    let stack = start_stack(30, "").await;
    let mut cases = Vec::new();
    for style in BackendStyle::ALL {
        let path = user_path(style, "", JOHN);
        let put = |key| gateway(&stack, style, Method::PUT, &path, Some(key));
        let invalid = match style {
            Envelope => json!({"phone": "555"}),
            Camel => json!({"status": "sleeping"}),
            Snake => json!({"is_active": "yes"}),
        };
        let unholdable = match style {
            Envelope => json!({"department": "sales"}),
            Camel => json!({"roles": [NOBODY]}),
            Snake => json!({"stripe_customer_id": "cus_X"}),
        };
        cases.extend([
            err_case(
                "401 GET without a key",
                style,
                gateway(&stack, style, Method::GET, &path, None),
                401,
            ),
            err_case(
                "401 PUT with an unknown key",
                style,
                put(UNKNOWN_KEY).json(&harmless_put(style)),
                401,
            ),
            err_case(
                "403 PUT with the reader key",
                style,
                put(READER).json(&harmless_put(style)),
                403,
            ),
            err_case(
                "400 body not JSON",
                style,
                put(ADMIN)
                    .header("content-type", "application/json")
                    .body("{"),
                400,
            ),
            err_case(
                "400 malformed id",
                style,
                gateway(
                    &stack,
                    style,
                    Method::GET,
                    &raw_user_path(style, "", "bad id!"),
                    Some(ADMIN),
                ),
                400,
            ),
            err_case(
                "415 text/plain",
                style,
                put(ADMIN)
                    .header("content-type", "text/plain")
                    .body(harmless_put(style).to_string()),
                415,
            ),
            err_case("422 schema", style, put(ADMIN).json(&invalid), 422),
            err_case(
                "422 not holdable (camel: unknown role)",
                style,
                put(ADMIN).json(&unholdable),
                422,
            ),
            err_case(
                "413 too large",
                style,
                put(ADMIN).json(&oversized_body(style)),
                413,
            ),
        ]);
    }
    let mut p = run_error_cases(cases).await;
    for style in BackendStyle::ALL {
        p.check(
            &format!("{style} backend"),
            stack.backend(style).stats() == 0,
            format!(
                "{} refused request(s) reached it",
                stack.backend(style).stats()
            ),
        );
    }
    p.done();
    stack.stop().await;
}

// =============================================================================================
// 4. X-Request-Id
// =============================================================================================

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_well_formed_client_request_id_is_echoed_in_every_style_and_sent_upstream() {
    let fake = FakeUpstream::start(Some(envelope_john_answer())).await;
    let extra = format!(
        "{}{}",
        fake.upstream_config("fake-envelope", Envelope),
        route_config(Snake, "fake-envelope", "/fake")
    );
    let stack = start_stack(30, &extra).await;
    let mut p = Problems::default();
    for style in BackendStyle::ALL {
        for (what, rq) in [
            (
                "GET 200",
                gateway(
                    &stack,
                    style,
                    Method::GET,
                    &user_path(style, "", JOHN),
                    Some(ADMIN),
                ),
            ),
            (
                "GET 401",
                gateway(
                    &stack,
                    style,
                    Method::GET,
                    &user_path(style, "", JOHN),
                    None,
                ),
            ),
            (
                "GET 404",
                gateway(
                    &stack,
                    style,
                    Method::GET,
                    &user_path(style, "", NOBODY),
                    Some(ADMIN),
                ),
            ),
        ] {
            let case = format!("{style}: {what}");
            let id = format!("client-{style}-{}.x:1", what.replace(' ', "_"));
            let r = send(rq.header("x-request-id", &id)).await;
            p.check(
                &case,
                r.header("x-request-id") == Some(id.as_str()),
                format!("X-Request-Id: {:?}", r.header("x-request-id")),
            );
            if style == Envelope {
                p.field(&case, &r.json, "/meta/request_id", &json!(id));
            }
        }
    }
    // Per-response values are fresh on a cache hit too.
    let case = "envelope: cache hit";
    let r = send(
        gateway(
            &stack,
            Envelope,
            Method::GET,
            &user_path(Envelope, "", JOHN),
            Some(ADMIN),
        )
        .header("x-request-id", "second-look"),
    )
    .await;
    p.check(
        case,
        r.header("x-cache") == Some("HIT"),
        format!("X-Cache: {:?}", r.header("x-cache")),
    );
    p.check(
        case,
        r.header("x-request-id") == Some("second-look"),
        format!("X-Request-Id: {:?}", r.header("x-request-id")),
    );
    p.field(case, &r.json, "/meta/request_id", &json!("second-look"));
    let case = "snake client -> recording envelope upstream";
    let r = send(
        gateway(
            &stack,
            Snake,
            Method::GET,
            &user_path(Snake, "/fake", JOHN),
            Some(ADMIN),
        )
        .header("x-request-id", "trace-me-123"),
    )
    .await;
    p.check(
        case,
        r.status == 200,
        format!("status {}: {}", r.status, r.text),
    );
    p.field(case, &r.json, "/data/first_name", &json!("John"));
    let seen = fake.requests();
    p.check(
        case,
        seen.len() == 1,
        format!("the upstream saw {} requests", seen.len()),
    );
    if let Some(request) = seen.first() {
        let lower = request.to_ascii_lowercase();
        p.check(
            case,
            lower.contains("\r\nx-request-id: trace-me-123\r\n"),
            format!("the upstream did not get the id: {request}"),
        );
        p.check(
            case,
            request.starts_with(&format!("GET /v1/users/user_{JOHN} ")),
            format!("upstream request line: {request}"),
        );
        // The gateway speaks to the upstream with the upstream's credential, never the client's.
        p.check(
            case,
            lower.contains("\r\nauthorization: bearer fake-upstream-secret\r\n"),
            format!("upstream credential: {request}"),
        );
        p.check(
            case,
            !request.contains(ADMIN),
            format!("the client's key went upstream: {request}"),
        );
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_client_request_id_is_replaced_by_a_generated_one() {
    let stack = start_stack(30, "").await;
    let mut p = Problems::default();
    let long = "a".repeat(300);
    for style in BackendStyle::ALL {
        for bad in [long.as_str(), "has spaces in it", "semi;colon", "{json}"] {
            let case = format!("{style}: X-Request-Id {:?}", &bad[..bad.len().min(20)]);
            let r = send(
                gateway(
                    &stack,
                    style,
                    Method::GET,
                    &user_path(style, "", JOHN),
                    Some(ADMIN),
                )
                .header("x-request-id", bad),
            )
            .await;
            p.check(&case, r.status == 200, format!("status {}", r.status));
            let got = r.header("x-request-id").unwrap_or_default();
            p.check(
                &case,
                !got.is_empty() && got != bad,
                format!("X-Request-Id: {got:?}"),
            );
            p.check(
                &case,
                got.len() <= 128
                    && got
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)),
                format!("the generated id is not well-formed: {got:?}"),
            );
            if style == Envelope {
                p.field(&case, &r.json, "/meta/request_id", &json!(got));
            }
        }
        // Without one, each response gets its own.
        let a = send(gateway(
            &stack,
            style,
            Method::GET,
            &user_path(style, "", JOHN),
            Some(ADMIN),
        ))
        .await;
        let b = send(gateway(
            &stack,
            style,
            Method::GET,
            &user_path(style, "", JOHN),
            Some(ADMIN),
        ))
        .await;
        p.check(
            &format!("{style}: generated ids"),
            a.header("x-request-id") != b.header("x-request-id"),
            "two requests got the same generated id",
        );
    }
    p.done();
    stack.stop().await;
}

// =============================================================================================
// 5. Framing and smuggling, over raw TCP
// =============================================================================================

fn raw_put(path: &str, framing: &str, body: &str) -> String {
    format!("PUT {path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {ADMIN}\r\nContent-Type: application/json\r\n{framing}\r\n{body}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_request_framing_is_a_400_that_never_reaches_the_upstream() {
    let stack = start_stack(30, "").await;
    let path = user_path(Envelope, "", JOHN);
    let body = r#"{"status":"active"}"#;
    let len = body.len();
    let chunked = format!("{len:x}\r\n{body}\r\n0\r\n\r\n");
    let cases = [
        (
            "Content-Length with Transfer-Encoding: chunked",
            raw_put(
                &path,
                &format!("Content-Length: {len}\r\nTransfer-Encoding: chunked\r\n"),
                &chunked,
            ),
        ),
        (
            "Transfer-Encoding: chunked before Content-Length",
            raw_put(
                &path,
                &format!("Transfer-Encoding: chunked\r\nContent-Length: {len}\r\n"),
                &chunked,
            ),
        ),
        (
            "two equal Content-Length headers",
            raw_put(
                &path,
                &format!("Content-Length: {len}\r\nContent-Length: {len}\r\n"),
                body,
            ),
        ),
        (
            "two different Content-Length headers",
            raw_put(
                &path,
                &format!("Content-Length: {len}\r\nContent-Length: 2\r\n"),
                body,
            ),
        ),
        (
            "Content-Length \"+19\"",
            raw_put(&path, &format!("Content-Length: +{len}\r\n"), body),
        ),
        (
            "Content-Length \"-1\"",
            raw_put(&path, "Content-Length: -1\r\n", body),
        ),
        (
            "Content-Length \"19, 19\"",
            raw_put(&path, &format!("Content-Length: {len}, {len}\r\n"), body),
        ),
        (
            "Content-Length \"0x13\"",
            raw_put(&path, "Content-Length: 0x13\r\n", body),
        ),
        (
            "whitespace before the colon",
            raw_put(&path, &format!("Content-Length : {len}\r\n"), body),
        ),
        (
            "Transfer-Encoding: chunked, identity",
            raw_put(&path, "Transfer-Encoding: chunked, identity\r\n", &chunked),
        ),
    ];
    let mut p = Problems::default();
    for (name, request) in cases {
        match raw_exchange(&stack, &request).await {
            Ok(r) => p.check(
                name,
                r.status == 400,
                format!("status {}: {}", r.status, String::from_utf8_lossy(&r.body)),
            ),
            Err(e) => p.fail(name, e),
        }
    }
    p.check(
        "camel backend",
        stack.camel.stats() == 0,
        format!("{} request(s) reached it", stack.camel.stats()),
    );
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ambiguous_framing_400_is_in_the_routes_style_with_an_x_request_id() {
    // DESIGN.md: every error is in the style of the client's route; X-Request-Id on every response.
    let stack = start_stack(30, "").await;
    let path = user_path(Envelope, "", JOHN);
    let body = r#"{"status":"active"}"#;
    let len = body.len();
    let chunked = format!("{len:x}\r\n{body}\r\n0\r\n\r\n");
    let cases = [
        (
            "Content-Length with Transfer-Encoding",
            raw_put(
                &path,
                &format!("Content-Length: {len}\r\nTransfer-Encoding: chunked\r\n"),
                &chunked,
            ),
        ),
        (
            "two Content-Length headers",
            raw_put(
                &path,
                &format!("Content-Length: {len}\r\nContent-Length: {len}\r\n"),
                body,
            ),
        ),
        (
            "Content-Length \"19, 19\"",
            raw_put(&path, &format!("Content-Length: {len}, {len}\r\n"), body),
        ),
    ];
    let mut p = Problems::default();
    for (name, request) in cases {
        match raw_exchange(&stack, &request).await {
            Ok(r) => {
                p.check(name, r.status == 400, format!("status {}", r.status));
                p.check(
                    name,
                    r.header("x-request-id").is_some(),
                    format!("no X-Request-Id: {}", r.head),
                );
                p.schema(name, Envelope, "error", &r.json());
            }
            Err(e) => p.fail(name, e),
        }
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipelined_second_request_is_answered_after_the_first() {
    let stack = start_stack(30, "").await;
    let mut p = Problems::default();
    let body = r#"{"name":"John Piped"}"#;
    let bytes = format!(
        "{}{}{}",
        raw_get(&user_path(Envelope, "", JOHN), "X-Request-Id: first\r\n"),
        raw_put(
            &user_path(Envelope, "", JOHN),
            &format!("Content-Length: {}\r\nX-Request-Id: second\r\n", body.len()),
            body
        ),
        raw_get(&user_path(Envelope, "", JANE), "X-Request-Id: third\r\n"),
    );
    let mut stream = connect(&stack).await;
    stream.write_all(bytes.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    for (id, want) in [
        ("first", "John Doe"),
        ("second", "John Piped"),
        ("third", "Jane Roe"),
    ] {
        match read_response(&mut stream, &mut buf).await {
            Ok(r) => {
                p.check(
                    id,
                    r.status == 200,
                    format!("status {}: {}", r.status, String::from_utf8_lossy(&r.body)),
                );
                p.check(
                    id,
                    r.header("x-request-id").as_deref() == Some(id),
                    format!("answered out of order: {:?}", r.header("x-request-id")),
                );
                p.field(id, &r.json(), "/data/name", &json!(want));
            }
            Err(e) => p.fail(id, e),
        }
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_with_a_body_is_forwarded_without_it_and_the_connection_stays_in_sync() {
    let fake = FakeUpstream::start(Some(envelope_john_answer())).await;
    let extra = format!(
        "{}{}",
        fake.upstream_config("fake-envelope", Envelope),
        route_config(Snake, "fake-envelope", "/fake")
    );
    let stack = start_stack(0, &extra).await;
    let mut p = Problems::default();
    let path = format!("{}?api_key={ADMIN}", user_path(Snake, "/fake", JOHN));
    let smuggled = format!("GET /v1/users/user_{NOBODY} HTTP/1.1\r\nHost: x\r\n\r\n");
    let first = format!("GET {path} HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{smuggled}", smuggled.len());
    let second = format!("GET {path} HTTP/1.1\r\nHost: gateway\r\n\r\n");
    let mut stream = connect(&stack).await;
    stream.write_all(first.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut closing = false;
    match read_response(&mut stream, &mut buf).await {
        Ok(r) => {
            p.check(
                "GET with a body",
                r.status == 200,
                format!("status {}", r.status),
            );
            p.field("GET with a body", &r.json(), "/data/id", &json!(JOHN));
            closing = r
                .header("connection")
                .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        }
        Err(e) => p.fail("GET with a body", e),
    }
    // The body of the first GET must never be read as a request. The gateway may drain it and
    // keep the connection, or say `Connection: close` and close it; both are in sync.
    let _ = stream.write_all(second.as_bytes()).await;
    let next = read_response(&mut stream, &mut buf).await;
    let mut expected_upstream_requests = 1;
    match (closing, next) {
        (true, Err(_)) => {}
        (true, Ok(r)) => p.fail(
            "next GET",
            format!("answered {} after Connection: close", r.status),
        ),
        (false, Ok(r)) => {
            expected_upstream_requests = 2;
            p.check(
                "next GET",
                r.status == 200,
                format!("status {} (the smuggled GET answered?)", r.status),
            );
            p.field("next GET", &r.json(), "/data/id", &json!(JOHN));
        }
        (false, Err(e)) => p.fail(
            "next GET",
            format!("the connection closed without Connection: close: {e}"),
        ),
    }
    let seen = fake.requests();
    p.check(
        "upstream",
        seen.len() == expected_upstream_requests,
        format!("the upstream saw {} requests: {seen:?}", seen.len()),
    );
    for request in &seen {
        let lower = request.to_ascii_lowercase();
        p.check(
            "upstream",
            !request.contains(NOBODY),
            format!("the GET body was forwarded: {request}"),
        );
        let announced = lower.lines().any(|l| {
            l.starts_with("transfer-encoding")
                || (l.starts_with("content-length") && l.trim() != "content-length: 0")
        });
        p.check(
            "upstream",
            !announced,
            format!("a GET went up with a body: {request}"),
        );
        p.check(
            "upstream",
            request.ends_with("\r\n\r\n"),
            format!("bytes after the GET head: {request:?}"),
        );
    }
    p.done();
    stack.stop().await;
}

// =============================================================================================
// 6. Unknown paths
// =============================================================================================

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_path_is_a_404_in_plain_json_or_in_the_style_of_the_nearest_route() {
    let stack = start_stack(30, "").await;
    let mut p = Problems::default();
    for path in ["/nothing", "/", "/metrics", "/healthz"] {
        let case = format!("GET {path}");
        let r = send(client().get(stack.url(path)).bearer_auth(ADMIN)).await;
        p.check(
            &case,
            r.status == 404,
            format!("status {}: {}", r.status, r.text),
        );
        p.check(
            &case,
            r.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            format!("content-type {:?}", r.header("content-type")),
        );
        p.check(
            &case,
            r.json.is_object(),
            format!("not a JSON object: {}", r.text),
        );
        p.check(&case, r.header("x-request-id").is_some(), "no X-Request-Id");
    }
    let cases = vec![
        err_case(
            "/v1/users",
            Envelope,
            client().get(stack.url("/v1/users")).bearer_auth(ADMIN),
            404,
        ),
        err_case(
            "/v1/users/ (empty id)",
            Envelope,
            client().get(stack.url("/v1/users/")).bearer_auth(ADMIN),
            404,
        ),
        err_case(
            "/v1/users/user_1/extra",
            Envelope,
            client()
                .get(stack.url("/v1/users/user_1/extra"))
                .bearer_auth(ADMIN),
            404,
        ),
        err_case(
            "/api/users",
            Camel,
            client().get(stack.url("/api/users")).bearer_auth(ADMIN),
            404,
        ),
        err_case(
            "/api/v1/user",
            Snake,
            client().get(stack.url(&format!("/api/v1/user?api_key={ADMIN}"))),
            404,
        ),
    ];
    p.0.extend(run_error_cases(cases).await.0);
    for style in BackendStyle::ALL {
        p.check(
            &format!("{style} backend"),
            stack.backend(style).stats() == 0,
            "an unknown path reached a backend",
        );
    }
    p.done();
    stack.stop().await;
}

// =============================================================================================
// 7. Keep-alive
// =============================================================================================

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_one_after_another_on_a_kept_alive_connection_all_succeed() {
    let stack = start_stack(30, "").await;
    let mut p = Problems::default();
    let mut stream = connect(&stack).await;
    let mut buf = Vec::new();
    let body = r#"{"status":"active"}"#;
    let requests = [
        ("GET", raw_get(&user_path(Envelope, "", JOHN), "")),
        (
            "GET again (cached)",
            raw_get(&user_path(Envelope, "", JOHN), ""),
        ),
        (
            "PUT",
            raw_put(
                &user_path(Envelope, "", JOHN),
                &format!("Content-Length: {}\r\n", body.len()),
                body,
            ),
        ),
        ("404", raw_get(&user_path(Envelope, "", NOBODY), "")),
        (
            "GET after an error",
            raw_get(&user_path(Envelope, "", JANE), ""),
        ),
    ];
    let wants = [200, 200, 200, 404, 200];
    for ((name, request), want) in requests.iter().zip(wants) {
        if let Err(e) = stream.write_all(request.as_bytes()).await {
            p.fail(name, format!("the connection was closed: {e}"));
            break;
        }
        match read_response(&mut stream, &mut buf).await {
            Ok(r) => p.check(
                name,
                r.status == want,
                format!("status {} (want {want})", r.status),
            ),
            Err(e) => {
                p.fail(name, e);
                break;
            }
        }
    }
    p.check(
        "camel backend",
        stack.camel.stats() == 4,
        format!(
            "backend saw {} requests, want 4 (one GET cached)",
            stack.camel.stats()
        ),
    );
    p.done();
    stack.stop().await;
}

// =============================================================================================
// 8. Admin listener
// =============================================================================================

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_are_200_when_every_upstream_listens() {
    let stack = start_stack(30, MORE_DIRECTIONS).await;
    let mut p = Problems::default();
    for path in ["/healthz", "/readyz"] {
        let r = send(client().get(format!("{}{path}", stack.admin))).await;
        p.check(
            path,
            r.status == 200,
            format!("status {}: {}", r.status, r.text),
        );
        p.check(path, r.json.is_object(), format!("not JSON: {}", r.text));
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_is_503_naming_the_upstream_that_is_down_while_health_stays_200() {
    let extra = format!(
        "{}{}",
        upstream_config("gone", Snake, free_port(), 300),
        route_config(Envelope, "gone", "/gone")
    );
    let stack = start_stack(30, &extra).await;
    let mut p = Problems::default();
    let r = send(client().get(format!("{}/readyz", stack.admin))).await;
    p.check(
        "/readyz",
        r.status == 503,
        format!("status {}: {}", r.status, r.text),
    );
    p.check(
        "/readyz",
        r.text.contains("gone"),
        format!("does not name the upstream: {}", r.text),
    );
    p.no_secrets("/readyz", &r.text);
    let r = send(client().get(format!("{}/healthz", stack.admin))).await;
    p.check(
        "/healthz",
        r.status == 200,
        format!("status {}: {}", r.status, r.text),
    );
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_and_never_contain_a_secret() {
    let stack = start_stack(30, MORE_DIRECTIONS).await;
    let mut p = Problems::default();
    // Traffic that carries every kind of secret: good and bad keys, in headers and queries.
    for dir in DIRECTIONS {
        let path = user_path(dir.client, dir.prefix, JOHN);
        send(gateway(&stack, dir.client, Method::GET, &path, Some(ADMIN))).await;
        send(gateway(
            &stack,
            dir.client,
            Method::GET,
            &path,
            Some(UNKNOWN_KEY),
        ))
        .await;
        send(
            gateway(&stack, dir.client, Method::PUT, &path, Some(READER))
                .json(&harmless_put(dir.client)),
        )
        .await;
    }
    send(client().get(stack.url(&format!("/nothing?api_key={ADMIN}")))).await;
    let r = send(client().get(format!("{}/metrics", stack.admin))).await;
    p.check("/metrics", r.status == 200, format!("status {}", r.status));
    let lines: Vec<&str> = r
        .text
        .lines()
        .filter(|l| l.starts_with("dragoman_requests_total{"))
        .collect();
    for (route, status) in [
        ("envelope->camel-backend", "200"),
        ("envelope->camel-backend", "401"),
        ("envelope->camel-backend", "403"),
        ("camel->snake-backend", "200"),
        ("snake->envelope-backend", "200"),
        ("envelope@/e2s", "200"),
        ("camel@/c2e", "200"),
        ("snake@/s2c", "200"),
    ] {
        let found = lines.iter().any(|l| {
            l.contains(&format!("route=\"{route}")) && l.contains(&format!("status=\"{status}\""))
        });
        p.check(
            "/metrics",
            found,
            format!(
                "no dragoman_requests_total line for route {route} status {status} in:\n{}",
                lines.join("\n")
            ),
        );
    }
    for secret in SECRETS {
        p.check(
            "/metrics",
            !r.text.contains(secret),
            format!("/metrics contains the secret {secret:?}"),
        );
    }
    p.done();
    stack.stop().await;
}

// =============================================================================================
// Logs
// =============================================================================================

/// Everything logged at INFO and above in this test process, from the first call on.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
            .with_ansi(false)
            .with_writer(move || LogSink(sink.clone()))
            .try_init();
        buf
    })
    .clone()
}

struct LogSink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_log_carries_the_request_id_and_never_a_secret() {
    let logs = captured_logs();
    let stack = start_stack(30, "").await;
    let mut ids = Vec::new();
    for (i, (style, key)) in [
        (Snake, ADMIN),
        (Snake, UNKNOWN_KEY),
        (Envelope, ADMIN),
        (Camel, READER),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("log-probe-{i}");
        send(
            gateway(
                &stack,
                style,
                Method::GET,
                &user_path(style, "", JOHN),
                Some(key),
            )
            .header("x-request-id", &id),
        )
        .await;
        ids.push(id);
    }
    // The access line is written after the response: wait for it, at most 2 s.
    let mut text = String::new();
    for _ in 0..200 {
        text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
        if ids.iter().all(|id| text.contains(id.as_str())) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut p = Problems::default();
    for id in &ids {
        p.check(
            id,
            text.contains(id.as_str()),
            "no log line carries the request id",
        );
    }
    let snake_line = text
        .lines()
        .find(|l| l.contains("log-probe-0"))
        .unwrap_or_default();
    p.check(
        "snake api_key",
        snake_line.contains("REDACTED"),
        format!("the api_key is not shown redacted: {snake_line}"),
    );
    for secret in SECRETS {
        p.check(
            "logs",
            !text.contains(secret),
            format!("the logs contain the secret {secret:?}"),
        );
    }
    p.done();
    stack.stop().await;
}
