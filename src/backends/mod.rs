//! The reference legacy backends: faithful, in-memory implementations of the three documented
//! user APIs (`envelope`, `camel`, `snake`), served over real HTTP/1.1 sockets.
//!
//! They are the oracle the gateway is tested against, so they share nothing with
//! [`crate::translate`]: each backend stores documents in its own style and renders its own
//! errors. If they reused the translation core, a bug there would be mirrored here and no test
//! could see it.
//!
//! This module owns what the three have in common:
//! - the public API: [`BackendStyle`], [`Backend`] and [`run_until_signal`];
//! - the server loop (hyper 1, HTTP/1.1 keep-alive, graceful shutdown) and the tower
//!   service every connection calls;
//! - the request pipeline every style follows: route → count → method → credential → id →
//!   (PUT: media type → size → JSON → schema and references) → read or write. The order is
//!   the one the original frameworks have: routing before authentication, authentication
//!   before anything that looks at the request body;
//! - request counting for `GET /__stats`;
//! - what each backend loads once at start: its request schema and the shared role table.
//!
//! Each style module (`envelope`, `camel`, `snake`) implements `Dialect`: its path, its
//! credential scheme, its id format, its documents and the semantic checks the schema cannot
//! express (role references, fields that cannot be cleared), and its native success and error
//! bodies. `seed` holds the demo users, one logical set rendered by each style.

mod camel;
mod envelope;
mod seed;
mod snake;

pub use seed::seed_ids;

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes};
use chrono::{DateTime, SecondsFormat, Utc};
use http_body_util::{BodyExt, Full};
use hyper::body::Body;
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::http::request::Parts;
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use parking_lot::RwLock;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

/// The largest request body a backend accepts; bigger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A body over the limit is still read (and thrown away) up to this size, so that the client,
/// which is usually still writing, gets to read the 413 instead of a connection reset.
const DRAIN_LIMIT: usize = 8 * MAX_BODY_BYTES;

/// A client that trickles its body slower than this is cut off.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a rejected request's unread body may take to arrive before the connection is
/// given up instead.
const DISCARD_TIMEOUT: Duration = Duration::from_secs(2);

/// How long [`Backend::shutdown`] lets in-flight requests run before cutting them off.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

const STATS_PATH: &str = "/__stats";

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// One of the three documented API styles a reference backend can speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackendStyle {
    Envelope,
    Camel,
    Snake,
}

impl BackendStyle {
    /// Every style, in the order the docs list them.
    pub const ALL: [BackendStyle; 3] = [Self::Envelope, Self::Camel, Self::Snake];

    /// The name used on the command line, in config files and in `schemas/<style>/`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Envelope => "envelope",
            Self::Camel => "camel",
            Self::Snake => "snake",
        }
    }

    /// The backend credential of the demo configuration (DESIGN.md). The snake one starts
    /// with `in-` because snake API keys must.
    pub fn demo_credential(self) -> &'static str {
        match self {
            Self::Envelope => "demo-envelope-backend",
            Self::Camel => "demo-camel-backend",
            Self::Snake => "in-demo-snake-backend",
        }
    }
}

impl fmt::Display for BackendStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BackendStyle {
    type Err = BackendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|style| style.as_str() == s)
            .ok_or_else(|| BackendError::UnknownStyle(s.to_owned()))
    }
}

/// Why a backend could not start (or a style name could not be parsed).
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("unknown backend style {0:?} (expected envelope, camel or snake)")]
    UnknownStyle(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("embedded asset {0} is missing")]
    MissingAsset(String),
    #[error("{path}: {message}")]
    Asset { path: String, message: String },
    #[error("unusable backend credential: {0}")]
    Credential(&'static str),
    #[error("seed user {id}: {message}")]
    Seed { id: &'static str, message: String },
}

/// A running reference backend.
///
/// Dropping the handle stops it the same way [`Backend::shutdown`] does, without waiting.
pub struct Backend {
    style: BackendStyle,
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Backend {
    /// Serves on an already-bound listener until `shutdown` is called or the handle is dropped.
    ///
    /// Taking a bound listener (rather than an address) lets tests bind `127.0.0.1:0` and
    /// learn the port before anything is served.
    pub async fn start(
        style: BackendStyle,
        listener: TcpListener,
        credential: String,
    ) -> Result<Backend, BackendError> {
        check_credential(style, &credential)?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicU64::new(0));
        let (stop, stop_rx) = watch::channel(false);
        let roles = Roles::load()?;
        let schema = RequestSchema::load(style)?;
        let task = match style {
            BackendStyle::Envelope => {
                let dialect = envelope::Envelope::new(credential, roles)?;
                spawn_server(listener, Api::new(dialect, schema, &requests), stop_rx)
            }
            BackendStyle::Camel => {
                let dialect = camel::Camel::new(credential, roles)?;
                spawn_server(listener, Api::new(dialect, schema, &requests), stop_rx)
            }
            BackendStyle::Snake => {
                let dialect = snake::Snake::new(credential, roles)?;
                spawn_server(listener, Api::new(dialect, schema, &requests), stop_rx)
            }
        };
        tracing::info!(%style, %addr, "reference backend listening");
        Ok(Backend {
            style,
            addr,
            requests,
            stop,
            task,
        })
    }

    /// The address the backend is listening on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The style this backend speaks.
    pub fn style(&self) -> BackendStyle {
        self.style
    }

    /// User API requests served so far (the number `GET /__stats` reports).
    pub fn stats(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Stops accepting connections, lets in-flight requests finish (for up to 10 s), then
    /// returns. Idle keep-alive connections are closed at once.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::warn!(style = %self.style, %error, "backend server task failed");
        }
    }
}

/// For the CLI: bind ADDR, serve until Ctrl-C / SIGTERM.
pub async fn run_until_signal(
    style: BackendStyle,
    addr: SocketAddr,
    credential: String,
) -> Result<(), BackendError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| BackendError::Bind { addr, source })?;
    let backend = Backend::start(style, listener, credential).await?;
    wait_for_signal().await?;
    tracing::info!(%style, "signal received, shutting down");
    backend.shutdown().await;
    Ok(())
}

async fn wait_for_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

/// A credential that cannot be sent in a header or query would make every request a 401;
/// better to refuse it before serving anything.
fn check_credential(style: BackendStyle, credential: &str) -> Result<(), BackendError> {
    if credential.is_empty() {
        return Err(BackendError::Credential("it is empty"));
    }
    if !credential.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BackendError::Credential(
            "it must be visible ASCII without spaces",
        ));
    }
    if style == BackendStyle::Snake && !credential.starts_with(snake::API_KEY_PREFIX) {
        return Err(BackendError::Credential(
            "snake API keys start with `in-`, so no client could ever present this one",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Server loop
// ---------------------------------------------------------------------------------------------

fn spawn_server<D: Dialect>(
    listener: TcpListener,
    api: Api<D>,
    stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(serve(listener, Arc::new(api), stop))
}

/// Accepts until `stop` changes or its sender is dropped (the [`Backend`] handle went away),
/// then asks every connection to finish its current request and close.
async fn serve<D: Dialect>(
    listener: TcpListener,
    api: Arc<Api<D>>,
    mut stop: watch::Receiver<bool>,
) {
    let (close, close_rx) = watch::channel(());
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(stream, UserApi { api: api.clone() }, close_rx.clone()));
                }
                Err(error) => {
                    // Usually EMFILE; back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    drop(close);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

async fn serve_connection<D: Dialect>(
    stream: TcpStream,
    service: UserApi<D>,
    mut close: watch::Receiver<()>,
) {
    let _ = stream.set_nodelay(true);
    let hyper_service = hyper::service::service_fn(move |request| service.clone().oneshot(request));
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), hyper_service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
            return;
        }
        _ = close.changed() => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}

/// The tower service behind every connection; cheap to clone (one `Arc`).
struct UserApi<D> {
    api: Arc<Api<D>>,
}

impl<D> Clone for UserApi<D> {
    fn clone(&self) -> Self {
        Self {
            api: self.api.clone(),
        }
    }
}

impl<D, B> tower::Service<Request<B>> for UserApi<D>
where
    D: Dialect,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let api = self.api.clone();
        Box::pin(async move { Ok(api.handle(request).await) })
    }
}

// ---------------------------------------------------------------------------------------------
// The request pipeline
// ---------------------------------------------------------------------------------------------

/// What a style module provides; the pipeline in [`Api::handle`] calls these in order.
pub(crate) trait Dialect: Send + Sync + 'static {
    /// The collection path: a user lives at `{USER_PREFIX}/{id}`, and every request under
    /// it is a user API request (counted, answered in this style).
    const USER_PREFIX: &'static str;

    /// Checks the request's credential, in this style's scheme.
    fn authenticate(&self, request: &Parts) -> Result<(), Rejection>;

    /// Turns the raw path segment into this backend's storage key, or `MalformedId`.
    fn parse_id(&self, raw: &str) -> Result<String, Rejection>;

    /// Checks a PUT body (already parsed, possibly schema-invalid) for what the schema cannot
    /// express. Must not assume the body's types are right: both kinds of problem are reported
    /// together.
    fn check(&self, body: &Value) -> Vec<Violation>;

    /// The stored resource document.
    fn read(&self, id: &str) -> Option<Value>;

    /// Applies a valid partial update and returns the new resource; `None` for an unknown user.
    fn write(&self, id: &str, changes: Map<String, Value>) -> Option<Value>;

    /// The success body for a resource.
    fn success(&self, request: &RequestInfo, op: Op, user: Value) -> Response<Full<Bytes>>;

    /// The error body for a rejection, in this style's own format.
    fn failure(&self, request: &RequestInfo, rejection: &Rejection) -> Response<Full<Bytes>>;
}

/// The two operations of the user API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Get,
    Put,
}

/// The bits of a request that error and success bodies may quote.
pub(crate) struct RequestInfo {
    /// The request path without the query (which may hold an API key).
    pub path: String,
    /// The client's `X-Request-Id`, when it sent a usable one.
    pub request_id: Option<String>,
}

/// Why a request was not served; each style renders these in its own error format.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Rejection {
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed (allowed: {allow})")]
    MethodNotAllowed { allow: &'static str },
    #[error("no credential")]
    MissingCredential,
    #[error("wrong credential")]
    WrongCredential,
    #[error("malformed user id")]
    MalformedId,
    #[error("no such user")]
    UnknownUser,
    #[error("body is not application/json")]
    UnsupportedMediaType,
    #[error("body larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("body could not be read: {0}")]
    BodyRead(String),
    #[error("body is empty")]
    EmptyBody,
    #[error("body is not JSON: {0}")]
    NotJson(JsonSyntaxError),
    #[error("body is invalid ({} problems)", .0.len())]
    Invalid(Vec<Violation>),
}

/// Where and why a body failed to parse as JSON.
#[derive(Debug)]
pub(crate) struct JsonSyntaxError {
    /// Byte offset of the error in the body (FastAPI reports it in `loc`).
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for JsonSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

struct Api<D> {
    dialect: D,
    schema: RequestSchema,
    requests: Arc<AtomicU64>,
}

impl<D: Dialect> Api<D> {
    fn new(dialect: D, schema: RequestSchema, requests: &Arc<AtomicU64>) -> Self {
        Self {
            dialect,
            schema,
            requests: requests.clone(),
        }
    }

    async fn handle<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        let mut body = Some(body);
        let info = RequestInfo {
            path: parts.uri.path().to_owned(),
            request_id: client_request_id(&parts.headers),
        };
        let outcome = if info.path == STATS_PATH {
            self.stats(&parts)
        } else {
            match route(&info.path, D::USER_PREFIX) {
                Route::User(raw_id) => {
                    self.requests.fetch_add(1, Ordering::Relaxed);
                    self.user(&parts, &mut body, raw_id, &info).await
                }
                Route::UnderPrefix => {
                    self.requests.fetch_add(1, Ordering::Relaxed);
                    Err(Rejection::NoRoute)
                }
                Route::Elsewhere => Err(Rejection::NoRoute),
            }
        };
        if let Some(unread) = body {
            discard_body(&parts.headers, unread).await;
        }
        match outcome {
            Ok(response) => response,
            Err(rejection) => {
                tracing::debug!(method = %parts.method, path = %info.path, %rejection, "request rejected");
                self.dialect.failure(&info, &rejection)
            }
        }
    }

    fn stats(&self, parts: &Parts) -> Result<Response<Full<Bytes>>, Rejection> {
        if parts.method != Method::GET {
            return Err(Rejection::MethodNotAllowed { allow: "GET" });
        }
        let body = json!({ "requests": self.requests.load(Ordering::Relaxed) });
        Ok(json_response(StatusCode::OK, JSON, &body))
    }

    async fn user<B>(
        &self,
        parts: &Parts,
        body: &mut Option<B>,
        raw_id: &str,
        info: &RequestInfo,
    ) -> Result<Response<Full<Bytes>>, Rejection>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let op = match parts.method {
            Method::GET => Op::Get,
            Method::PUT => Op::Put,
            _ => return Err(Rejection::MethodNotAllowed { allow: "GET, PUT" }),
        };
        self.dialect.authenticate(parts)?;
        let id = self.dialect.parse_id(raw_id)?;
        let user = match op {
            Op::Get => self.dialect.read(&id),
            Op::Put => {
                let changes = self.parse_put(parts, body).await?;
                self.dialect.write(&id, changes)
            }
        };
        let user = user.ok_or(Rejection::UnknownUser)?;
        Ok(self.dialect.success(info, op, user))
    }

    /// Everything a PUT body must pass before anything is written, so a write is all or
    /// nothing.
    async fn parse_put<B>(
        &self,
        parts: &Parts,
        body: &mut Option<B>,
    ) -> Result<Map<String, Value>, Rejection>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if !is_json_media_type(&parts.headers) {
            return Err(Rejection::UnsupportedMediaType);
        }
        let Some(body) = body.take() else {
            return Err(Rejection::BodyRead("already read".to_owned()));
        };
        let bytes = read_body(&parts.headers, body).await?;
        let value = parse_json(&bytes)?;
        let mut violations = self.schema.violations(&value);
        violations.extend(self.dialect.check(&value));
        match value {
            Value::Object(changes) if violations.is_empty() => Ok(changes),
            // The schema requires an object, so a non-object always has a violation.
            _ => Err(Rejection::Invalid(violations)),
        }
    }
}

enum Route<'a> {
    /// `{prefix}/{id}`: the user resource.
    User(&'a str),
    /// Below the prefix but not a user resource (`/v1/users`, `/v1/users/x/y`).
    UnderPrefix,
    Elsewhere,
}

fn route<'a>(path: &'a str, prefix: &str) -> Route<'a> {
    let Some(rest) = path.strip_prefix(prefix) else {
        return Route::Elsewhere;
    };
    if rest.is_empty() {
        return Route::UnderPrefix;
    }
    match rest.strip_prefix('/') {
        Some(id) if !id.contains('/') => Route::User(id),
        Some(_) => Route::UnderPrefix,
        None => Route::Elsewhere,
    }
}

fn client_request_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("x-request-id")?.to_str().ok()?;
    let sane =
        !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_graphic());
    sane.then(|| value.to_owned())
}

/// `application/json`, with any parameters (`; charset=utf-8`).
fn is_json_media_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

async fn read_body<B>(headers: &HeaderMap, body: B) -> Result<Bytes, Rejection>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if declared_length(headers).is_some_and(|len| len > DRAIN_LIMIT as u64) {
        return Err(Rejection::TooLarge);
    }
    let collect = async {
        let mut body = std::pin::pin!(body);
        let mut kept = Vec::new();
        let mut seen = 0usize;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| Rejection::BodyRead(e.into().to_string()))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            seen = seen.saturating_add(data.remaining());
            if seen > DRAIN_LIMIT {
                return Err(Rejection::TooLarge);
            }
            if seen <= MAX_BODY_BYTES {
                kept.put(data);
            }
        }
        if seen > MAX_BODY_BYTES {
            return Err(Rejection::TooLarge);
        }
        Ok(Bytes::from(kept))
    };
    tokio::time::timeout(BODY_READ_TIMEOUT, collect)
        .await
        .map_err(|_| Rejection::BodyRead("timed out".to_owned()))?
}

/// Reads and drops the body of a request answered without it (401, 415, …), so that the
/// connection can serve the client's next request. hyper would otherwise close it, and a
/// pooling client (the gateway) may already be reusing it.
async fn discard_body<B>(headers: &HeaderMap, body: B)
where
    B: Body,
{
    if declared_length(headers).is_some_and(|len| len > DRAIN_LIMIT as u64) {
        return;
    }
    let discard = async {
        let mut body = std::pin::pin!(body);
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(data) = frame.into_data() {
                seen = seen.saturating_add(data.remaining());
                if seen > DRAIN_LIMIT {
                    break;
                }
            }
        }
    };
    let _ = tokio::time::timeout(DISCARD_TIMEOUT, discard).await;
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

fn parse_json(bytes: &[u8]) -> Result<Value, Rejection> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Rejection::EmptyBody);
    }
    serde_json::from_slice(bytes).map_err(|error| {
        Rejection::NotJson(JsonSyntaxError {
            offset: byte_offset(bytes, error.line(), error.column()),
            message: error.to_string(),
        })
    })
}

/// serde_json reports 1-based line and column; FastAPI reports a position in the body.
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let line_start: usize = bytes
        .split(|&b| b == b'\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    (line_start + column.saturating_sub(1)).min(bytes.len())
}

// ---------------------------------------------------------------------------------------------
// Shared helpers for the style modules
// ---------------------------------------------------------------------------------------------

pub(crate) const JSON: &str = "application/json";

/// A JSON response. hyper adds `Content-Length`, as the body is a single known-size chunk.
pub(crate) fn json_response(
    status: StatusCode,
    content_type: &'static str,
    body: &Value,
) -> Response<Full<Bytes>> {
    let (status, bytes) = match serde_json::to_vec(body) {
        Ok(bytes) => (status, bytes),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, Vec::new()),
    };
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Adds a header whose value came from elsewhere (a request id); skipped if unrepresentable.
pub(crate) fn with_header(
    mut response: Response<Full<Bytes>>,
    name: &'static str,
    value: &str,
) -> Response<Full<Bytes>> {
    if let Ok(value) = HeaderValue::from_str(value) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
    response
}

/// The header every 401 and 405 should carry besides the body.
pub(crate) fn rejection_headers(
    response: Response<Full<Bytes>>,
    rejection: &Rejection,
    challenge: &'static str,
) -> Response<Full<Bytes>> {
    match rejection {
        Rejection::MethodNotAllowed { allow } => with_header(response, "allow", allow),
        Rejection::MissingCredential | Rejection::WrongCredential => {
            with_header(response, "www-authenticate", challenge)
        }
        _ => response,
    }
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(hyper::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Compares secrets without stopping at the first differing byte.
pub(crate) fn same_secret(presented: &str, expected: &str) -> bool {
    let (a, b) = (presented.as_bytes(), expected.as_bytes());
    let mut diff = a.len() ^ b.len();
    for (i, &x) in b.iter().enumerate() {
        diff |= usize::from(x ^ a.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

/// `Authorization: Bearer` against the backend's credential (envelope and camel).
pub(crate) fn check_bearer(parts: &Parts, credential: &str) -> Result<(), Rejection> {
    match bearer_token(&parts.headers) {
        None => Err(Rejection::MissingCredential),
        Some(token) if same_secret(token, credential) => Ok(()),
        Some(_) => Err(Rejection::WrongCredential),
    }
}

/// A hyphenated UUID (8-4-4-4-12 hex, either case), as JSON Schema's `uuid` format has it.
pub(crate) fn hyphenated_uuid(raw: &str) -> Option<String> {
    (raw.len() == 36)
        .then(|| uuid::Uuid::try_parse(raw).ok())
        .flatten()
        .map(|id| id.hyphenated().to_string())
}

/// Now, as the docs write timestamps: RFC 3339, UTC, whole seconds.
pub(crate) fn now_timestamp() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The `updated` timestamp for a write: now, but never before the previous one. Seconds
/// precision means two writes in one second share a value; a clock step backwards must not
/// make a later write look older.
pub(crate) fn next_update_timestamp(previous: Option<&Value>) -> String {
    let now = Utc::now();
    let previous = previous
        .and_then(Value::as_str)
        .and_then(|p| DateTime::parse_from_rfc3339(p).ok())
        .map(|p| p.with_timezone(&Utc));
    let at = match previous {
        Some(previous) if previous > now => previous,
        _ => now,
    };
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The in-memory document store: one native JSON object per user.
pub(crate) struct Store {
    users: RwLock<HashMap<String, Map<String, Value>>>,
}

impl Store {
    pub(crate) fn new(users: impl IntoIterator<Item = (String, Map<String, Value>)>) -> Self {
        Self {
            users: RwLock::new(users.into_iter().collect()),
        }
    }

    pub(crate) fn get(&self, id: &str) -> Option<Value> {
        self.users.read().get(id).cloned().map(Value::Object)
    }

    /// Runs `apply` on the document under the write lock, so concurrent writes never
    /// interleave, and returns the result.
    pub(crate) fn update(
        &self,
        id: &str,
        apply: impl FnOnce(&mut Map<String, Value>),
    ) -> Option<Value> {
        let mut users = self.users.write();
        let user = users.get_mut(id)?;
        apply(user);
        Some(Value::Object(user.clone()))
    }
}

// ---------------------------------------------------------------------------------------------
// Role table
// ---------------------------------------------------------------------------------------------

const ROLES_PATH: &str = "rules/roles.toml";

/// One row of `rules/roles.toml`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Role {
    pub name: String,
    pub id: String,
    pub description: String,
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// The shared role table, read by every backend: a reference that is not in it is refused.
pub(crate) struct Roles {
    rows: Vec<Role>,
}

#[derive(Deserialize)]
struct RolesFile {
    row: Vec<Role>,
}

impl Roles {
    fn load() -> Result<Self, BackendError> {
        let file = crate::assets::rules()
            .into_iter()
            .find(|f| f.path == ROLES_PATH)
            .ok_or_else(|| BackendError::MissingAsset(ROLES_PATH.to_owned()))?;
        let parsed: RolesFile = toml::from_str(&file.text).map_err(|e| BackendError::Asset {
            path: ROLES_PATH.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Self { rows: parsed.row })
    }

    pub(crate) fn by_name(&self, name: &str) -> Option<&Role> {
        self.rows.iter().find(|r| r.name == name)
    }

    pub(crate) fn by_id(&self, id: &str) -> Option<&Role> {
        self.rows.iter().find(|r| r.id.eq_ignore_ascii_case(id))
    }

    /// For seeding: a seed that names a role the table lacks is a bug in the seed.
    pub(crate) fn seed_role(&self, user: &'static str, name: &str) -> Result<&Role, BackendError> {
        self.by_name(name).ok_or_else(|| BackendError::Seed {
            id: user,
            message: format!("role {name:?} is not in {ROLES_PATH}"),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Request schema
// ---------------------------------------------------------------------------------------------

/// A problem with one place in a PUT body.
#[derive(Debug, Clone)]
pub(crate) struct Violation {
    /// JSON pointer into the body (`/phone`, `/roles/0`; empty for the body itself).
    pub pointer: String,
    pub kind: ViolationKind,
    /// The schema's `x-message` for that place, meant for people ("Invalid phone number
    /// format").
    pub x_message: Option<String>,
    /// A generic description, for when there is no `x-message`.
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ViolationKind {
    /// Wrong JSON type; the types the schema allows.
    Type(Vec<String>),
    /// A string that is not of this `format`.
    Format(String),
    /// A property the request may not carry: unknown, or server-managed.
    Unexpected,
    /// A role name or id that is not in the role table.
    UnknownRole,
    /// `null` for a field the resource cannot be without.
    NotNullable,
    /// Any other schema keyword (`pattern`, `enum`, `minLength`, …).
    Keyword(String),
}

impl Violation {
    /// The pointer's segments, unescaped; numbers are array indices.
    pub(crate) fn segments(&self) -> Vec<Segment> {
        self.pointer
            .split('/')
            .skip(1)
            .map(|raw| {
                let key = raw.replace("~1", "/").replace("~0", "~");
                match key.parse::<usize>() {
                    Ok(index) => Segment::Index(index),
                    Err(_) => Segment::Key(key),
                }
            })
            .collect()
    }
}

pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// Escapes one JSON pointer segment (RFC 6901).
pub(crate) fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A style's `schemas/<style>/request.json`, compiled once, plus the document itself so that
/// errors can be traced back to their `x-message`.
struct RequestSchema {
    validator: jsonschema::Validator,
    document: Value,
}

impl RequestSchema {
    fn load(style: BackendStyle) -> Result<Self, BackendError> {
        let path = format!("schemas/{style}/request.json");
        let file = crate::assets::schemas()
            .into_iter()
            .find(|f| f.path == path)
            .ok_or_else(|| BackendError::MissingAsset(path.clone()))?;
        let asset_error = |message: String| BackendError::Asset {
            path: path.clone(),
            message,
        };
        let document: Value =
            serde_json::from_str(&file.text).map_err(|e| asset_error(e.to_string()))?;
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&document)
            .map_err(|e| asset_error(e.to_string()))?;
        Ok(Self {
            validator,
            document,
        })
    }

    fn violations(&self, body: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        for error in self.validator.iter_errors(body) {
            let pointer = error.instance_path().as_str().to_owned();
            let schema_path = error.schema_path().as_str();
            let keyword_parent = parent_pointer(schema_path);
            let kind = match error.kind() {
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    out.extend(unexpected.iter().map(|name| Violation {
                        pointer: format!("{pointer}/{}", pointer_segment(name)),
                        kind: ViolationKind::Unexpected,
                        x_message: None,
                        problem: "unknown or read-only field".to_owned(),
                    }));
                    continue;
                }
                jsonschema::error::ValidationErrorKind::Type { .. } => {
                    ViolationKind::Type(self.schema_types(keyword_parent))
                }
                jsonschema::error::ValidationErrorKind::Format { format } => {
                    ViolationKind::Format(format.clone())
                }
                other => ViolationKind::Keyword(other.keyword().to_owned()),
            };
            let problem = match &kind {
                ViolationKind::Type(_) if pointer.is_empty() => {
                    "the request body must be a JSON object".to_owned()
                }
                _ => error.to_string(),
            };
            out.push(Violation {
                x_message: self.x_message(keyword_parent),
                pointer,
                kind,
                problem,
            });
        }
        out
    }

    /// The `type` keyword of the schema at `at`.
    fn schema_types(&self, at: &str) -> Vec<String> {
        match self.document.pointer(at).and_then(|s| s.get("type")) {
            Some(Value::String(t)) => vec![t.clone()],
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The nearest `x-message` at or above the schema at `at`, so a message on a property
    /// also covers its items.
    fn x_message(&self, at: &str) -> Option<String> {
        let mut at = at;
        loop {
            let is_schema = !matches!(
                at.rsplit('/').next(),
                Some("properties" | "$defs" | "patternProperties" | "dependentSchemas")
            );
            if is_schema {
                let message = self
                    .document
                    .pointer(at)
                    .and_then(|s| s.get("x-message"))
                    .and_then(Value::as_str);
                if let Some(message) = message {
                    return Some(message.to_owned());
                }
            }
            if at.is_empty() {
                return None;
            }
            at = parent_pointer(at);
        }
    }
}

fn parent_pointer(pointer: &str) -> &str {
    pointer.rsplit_once('/').map_or("", |(parent, _)| parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_is_exactly_one_segment_below_the_prefix() {
        assert!(matches!(
            route("/v1/users/user_1", "/v1/users"),
            Route::User("user_1")
        ));
        assert!(matches!(route("/v1/users/", "/v1/users"), Route::User("")));
        assert!(matches!(
            route("/v1/users", "/v1/users"),
            Route::UnderPrefix
        ));
        assert!(matches!(
            route("/v1/users/a/b", "/v1/users"),
            Route::UnderPrefix
        ));
        assert!(matches!(
            route("/v1/usersx/a", "/v1/users"),
            Route::Elsewhere
        ));
        assert!(matches!(route("/other", "/v1/users"), Route::Elsewhere));
    }

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc"));
        assert!(!same_secret("abcd", "abc"));
        assert!(!same_secret("ab", "abc"));
        assert!(!same_secret("", "abc"));
    }

    #[test]
    fn a_json_syntax_error_position_is_a_byte_offset() {
        assert_eq!(byte_offset(b"{\n  x", 2, 3), 4);
        assert_eq!(byte_offset(b"nope", 1, 1), 0);
    }

    #[test]
    fn update_timestamps_never_go_backwards() {
        let future = Value::String("2999-01-01T00:00:00Z".to_owned());
        assert_eq!(next_update_timestamp(Some(&future)), "2999-01-01T00:00:00Z");
        let past = Value::String("2024-01-15T10:30:00Z".to_owned());
        assert!(next_update_timestamp(Some(&past)).as_str() > "2024-01-15T10:30:00Z");
    }
}
