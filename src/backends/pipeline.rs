//! The request pipeline every style follows, and what a style plugs into it.
//!
//! [`Api::handle`] runs: route → count → method → credential → id → (PUT: media type → size →
//! JSON → schema and references) → read or write, and hands every outcome to the style's
//! [`Dialect`] to render. Routing comes before authentication and authentication before
//! anything that looks at the body, because that is the order the original frameworks have;
//! a request with several problems gets the error the original service would report first.
//!
//! Body reading lives here too: the size limit, the read timeout, and draining the body of a
//! request that was answered without it, so the connection survives for the next request.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes};
use http_body_util::{BodyExt, Full};
use hyper::body::Body;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE};
use hyper::http::request::Parts;
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use serde_json::{json, Map, Value};

use super::response::{json_response, JSON};
use super::schema::{RequestSchema, Violation};
use super::MAX_BODY_BYTES;

/// A body over the limit is still read (and thrown away) up to this size, so that the client,
/// which is usually still writing, gets to read the 413 instead of a connection reset.
const DRAIN_LIMIT: usize = 8 * MAX_BODY_BYTES;

/// A client that trickles its body slower than this is cut off.
const BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a rejected request's unread body may take to arrive before the connection is
/// given up instead.
const DISCARD_TIMEOUT: Duration = Duration::from_secs(2);

const STATS_PATH: &str = "/__stats";

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

pub(crate) struct Api<D> {
    dialect: D,
    schema: RequestSchema,
    requests: Arc<AtomicU64>,
}

impl<D: Dialect> Api<D> {
    pub(crate) fn new(dialect: D, schema: RequestSchema, requests: &Arc<AtomicU64>) -> Self {
        Self {
            dialect,
            schema,
            requests: requests.clone(),
        }
    }

    pub(crate) async fn handle<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
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

/// `application/json`, with any parameters (`; charset=utf-8`). The gateway's intake has its
/// own; this one is kept apart on purpose, as the backends stand in for independent services.
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

/// A hyphenated UUID (8-4-4-4-12 hex, either case), as JSON Schema's `uuid` format has it.
pub(crate) fn hyphenated_uuid(raw: &str) -> Option<String> {
    (raw.len() == 36)
        .then(|| uuid::Uuid::try_parse(raw).ok())
        .flatten()
        .map(|id| id.hyphenated().to_string())
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
    fn a_json_syntax_error_position_is_a_byte_offset() {
        assert_eq!(byte_offset(b"{\n  x", 2, 3), 4);
        assert_eq!(byte_offset(b"nope", 1, 1), 0);
    }
}
