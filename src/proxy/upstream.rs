//! Calling an upstream: one request over a kept-alive connection, bounded in time and in
//! response size. Connections are kept only when the exchange completed cleanly, and a request
//! that fails on a reused (possibly stale) connection before any response arrived is retried
//! once on a new one.
//!
//! Idle connections are kept per worker thread ([`idle`]), not in pingora's shared pool:
//! with per-thread runtimes a request never leaves its thread, and pingora's pool paid a
//! mutex, a pool insert, a oneshot and a spawned watcher task per request to share
//! connections across threads. pingora still makes the connections and speaks HTTP/1.1 on
//! them.

use super::handler::Resolved;
use super::intake::Incoming;
use super::{Ctx, Gateway};
use crate::config::Upstream;
use crate::errors::GatewayError;
use crate::translate::AuthScheme;
use bytes::{Bytes, BytesMut};
use pingora::connectors::http::Connector;
use pingora::http::RequestHeader;
use pingora::protocols::http::client::HttpSession;
use pingora::protocols::http::v1::client::HttpSession as Http1Session;
use pingora::upstreams::peer::HttpPeer;
use pingora::ErrorType;
use std::time::Duration;
use std::time::Instant;

/// How long an idle pooled upstream connection is kept.
const POOL_IDLE: Duration = Duration::from_secs(30);

/// The biggest upstream response body accepted (a user document is a few KiB).
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

pub fn peer_for(upstream: &Upstream) -> HttpPeer {
    let mut peer = HttpPeer::new(upstream.addr, false, String::new());
    peer.options.connection_timeout = Some(upstream.connect_timeout);
    peer.options.total_connection_timeout = Some(upstream.connect_timeout);
    peer.options.read_timeout = Some(upstream.read_timeout);
    peer.options.write_timeout = Some(upstream.write_timeout);
    peer.options.idle_timeout = Some(POOL_IDLE);
    peer
}

impl Gateway {
    fn upstream_headers(
        &self,
        up: &Upstream,
        ctx: &Ctx,
        incoming: &Incoming,
        forwarded: Option<&str>,
    ) -> (String, Vec<(&'static str, String)>) {
        let credential = forwarded.unwrap_or(&up.credential);
        let mut headers = vec![("x-request-id", ctx.request_id.clone())];
        if let Some(ip) = incoming.client_ip {
            headers.push(("x-forwarded-for", ip.to_string()));
        }
        let query = present_credential(&self.rules.style(up.style).auth, credential, &mut headers);
        (query, headers)
    }

    /// Sends one request to the route's upstream in the upstream's own style: its path for
    /// `upstream_id`, its auth scheme and credential (or the client's, when forwarded), the
    /// request id. Times the call.
    pub(super) async fn call_upstream(
        &self,
        ctx: &mut Ctx,
        incoming: &Incoming,
        target: &Resolved,
        method: &'static str,
        body: Option<Bytes>,
    ) -> Result<Answer, GatewayError> {
        let upstream_id = target.upstream_id.as_str();
        let forwarded = target.forwarded.as_deref();
        let up = &target.plan.upstream;
        let (query, headers) = self.upstream_headers(up, ctx, incoming, forwarded);
        let path = format!(
            "{}{query}",
            self.rules.style(up.style).path.render(upstream_id)
        );
        let call = Call {
            method,
            path: &path,
            body,
            headers,
        };
        let started = Instant::now();
        // Boxed: the exchange's state is kilobytes, and an unboxed one would be part of
        // every request's future, which pingora's async-trait copies into a box per request.
        let result = Box::pin(send(&self.connector, up, &target.plan.peer, &call)).await;
        let secs = started.elapsed().as_secs_f64();
        ctx.upstream_secs = Some(ctx.upstream_secs.unwrap_or(0.0) + secs);
        self.metrics
            .upstream_seconds
            .with_label_values(&[up.name.as_str()])
            .observe(secs);
        result
    }
}

/// Presents `credential` in a backend's scheme: an `Authorization` header pushed onto
/// `headers`, or the query string (with its `?`) to append to the path.
pub fn present_credential(
    scheme: &AuthScheme,
    credential: &str,
    headers: &mut Vec<(&'static str, String)>,
) -> String {
    match scheme {
        AuthScheme::Bearer => {
            headers.push(("authorization", format!("Bearer {credential}")));
            String::new()
        }
        AuthScheme::Query { param, .. } => {
            let q = form_urlencoded::Serializer::new(String::new())
                .append_pair(param, credential)
                .finish();
            format!("?{q}")
        }
    }
}

/// One request to send upstream.
pub struct Call<'a> {
    pub method: &'static str,
    /// Path and query, already in the upstream's style.
    pub path: &'a str,
    pub body: Option<Bytes>,
    /// Extra headers (Authorization, X-Request-Id, X-Forwarded-For).
    pub headers: Vec<(&'static str, String)>,
}

/// What the upstream answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub body: Bytes,
}

/// Sends `call`, within the upstream's timeout for the whole exchange.
pub async fn send(
    connector: &Connector,
    upstream: &Upstream,
    peer: &HttpPeer,
    call: &Call<'_>,
) -> Result<Answer, GatewayError> {
    let deadline = upstream.connect_timeout + upstream.read_timeout;
    match tokio::time::timeout(deadline, send_with_retry(connector, upstream, peer, call)).await {
        Ok(r) => r,
        Err(_) => Err(GatewayError::GatewayTimeout),
    }
}

async fn send_with_retry(
    connector: &Connector,
    upstream: &Upstream,
    peer: &HttpPeer,
    call: &Call<'_>,
) -> Result<Answer, GatewayError> {
    match exchange(connector, upstream, peer, call, true).await {
        // Only a pooled connection the upstream had already closed is retried: a timeout
        // may mean the upstream is still working on the request, and a write must not be
        // sent twice.
        Err(Failure {
            reused: true,
            answered: false,
            error,
        }) if error != GatewayError::GatewayTimeout => {
            // On a new connection: another idle one may be as stale as the first.
            exchange(connector, upstream, peer, call, false)
                .await
                .map_err(|f| f.error)
        }
        other => other.map_err(|f| f.error),
    }
}

struct Failure {
    error: GatewayError,
    reused: bool,
    answered: bool,
}

fn classify(e: &pingora::Error, upstream: &Upstream) -> GatewayError {
    match e.etype() {
        ErrorType::ConnectTimedout | ErrorType::ReadTimedout | ErrorType::WriteTimedout => {
            GatewayError::GatewayTimeout
        }
        _ => GatewayError::BadGateway(format!(
            "upstream {} ({}): {e}",
            upstream.name, upstream.addr
        )),
    }
}

/// One request and its answer; on a kept-alive connection of this thread when `may_reuse`
/// and one is there, else on a new one.
async fn exchange(
    connector: &Connector,
    upstream: &Upstream,
    peer: &HttpPeer,
    call: &Call<'_>,
    may_reuse: bool,
) -> Result<Answer, Failure> {
    let kept = if may_reuse {
        idle::take(upstream.addr)
    } else {
        None
    };
    let (mut session, reused) = match kept {
        Some(stream) => (
            HttpSession::H1(Http1Session::new_with_options(stream, peer)),
            true,
        ),
        None => connector
            .get_http_session(peer)
            .await
            .map_err(|e| Failure {
                error: classify(&e, upstream),
                reused: false,
                answered: false,
            })?,
    };
    // The connector leaves the session's own read/write timeouts unset (pingora's proxy
    // sets them from the peer); without them a silent upstream is only cut by the outer
    // deadline.
    session.set_read_timeout(Some(upstream.read_timeout));
    session.set_write_timeout(Some(upstream.write_timeout));
    let fail = |e: Box<pingora::Error>, answered: bool| Failure {
        error: classify(&e, upstream),
        reused,
        answered,
    };
    let header = build_header(upstream, call).map_err(|e| fail(e, false))?;
    session
        .write_request_header(Box::new(header))
        .await
        .map_err(|e| fail(e, false))?;
    if let Some(body) = &call.body {
        session
            .write_request_body(body.clone(), true)
            .await
            .map_err(|e| fail(e, false))?;
    }
    session
        .finish_request_body()
        .await
        .map_err(|e| fail(e, false))?;
    session
        .read_response_header()
        .await
        .map_err(|e| fail(e, false))?;
    let (status, content_type, cache_control) = {
        let Some(h) = session.response_header() else {
            return Err(Failure {
                error: GatewayError::BadGateway("no response header".into()),
                reused,
                answered: true,
            });
        };
        let text = |name: &str| {
            h.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        (
            h.status.as_u16(),
            text("content-type"),
            text("cache-control"),
        )
    };
    let mut body = BytesMut::new();
    while let Some(chunk) = session
        .read_response_body()
        .await
        .map_err(|e| fail(e, true))?
    {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(Failure {
                error: GatewayError::BadGateway(format!(
                    "upstream {} response larger than {MAX_RESPONSE_BYTES} bytes",
                    upstream.name
                )),
                reused,
                answered: true,
            });
        }
        body.extend_from_slice(&chunk);
    }
    release(session, upstream).await;
    Ok(Answer {
        status,
        content_type,
        cache_control,
        body: body.freeze(),
    })
}

/// Keeps the connection for the next request of this thread when the exchange ended
/// cleanly and HTTP/1.1 lets it be reused; closes it otherwise.
async fn release(mut session: HttpSession, upstream: &Upstream) {
    if !session.response_done() {
        session.shutdown().await;
        return;
    }
    match session {
        HttpSession::H1(mut h1) => {
            // What the answer allows: HTTP/1.1 unless `Connection: close`, HTTP/1.0 only
            // with `Connection: keep-alive`.
            h1.respect_keepalive();
            if let Some(stream) = h1.reuse().await {
                idle::keep(upstream.addr, stream);
            }
        }
        mut other => other.shutdown().await,
    }
}

/// The idle upstream connections of one worker thread, newest last.
///
/// A connection is taken back only when it has been idle less than [`POOL_IDLE`] and reading
/// it without waiting finds nothing: an upstream that closed it, or sent bytes no request
/// asked for (a late error answer), must not have them read as the next request's answer. A
/// connection closed between that check and the write fails before any answer and is retried
/// on a new one (see `send_with_retry`). Each thread keeps at most [`MAX_IDLE`] per upstream,
/// and a sweep every few seconds, run on the thread itself, closes what expired, so a quiet
/// gateway does not hold connections its upstreams have closed.
mod idle {
    use super::POOL_IDLE;
    use pingora::protocols::Stream;
    use std::cell::{Cell, RefCell};
    use std::net::SocketAddr;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncRead, ReadBuf};

    /// Idle connections kept per upstream and thread (pingora's pool kept 256 in all).
    pub const MAX_IDLE: usize = 64;
    const SWEEP_EVERY: Duration = Duration::from_secs(5);

    struct Idle {
        addr: SocketAddr,
        stream: Stream,
        since: Instant,
    }

    thread_local! {
        static IDLE: RefCell<Vec<Idle>> = const { RefCell::new(Vec::new()) };
        static SWEEPING: Cell<bool> = const { Cell::new(false) };
    }

    /// Whether a read that does not wait finds the connection quiet (nothing to read, not
    /// closed). A poll with a no-op waker: no task is woken by it, and the real read of the
    /// next exchange registers its own.
    fn quiet(stream: &mut Stream) -> bool {
        let mut byte = [0u8; 1];
        let mut buf = ReadBuf::new(&mut byte);
        let mut cx = Context::from_waker(Waker::noop());
        matches!(Pin::new(stream).poll_read(&mut cx, &mut buf), Poll::Pending)
    }

    /// The newest reusable idle connection to `addr`, if any.
    pub fn take(addr: SocketAddr) -> Option<Stream> {
        IDLE.with_borrow_mut(|idle| {
            while let Some(i) = idle.iter().rposition(|c| c.addr == addr) {
                let mut c = idle.remove(i);
                if c.since.elapsed() < POOL_IDLE && quiet(&mut c.stream) {
                    return Some(c.stream);
                }
            }
            None
        })
    }

    /// Keeps `stream` for the next request to `addr` on this thread.
    pub fn keep(addr: SocketAddr, stream: Stream) {
        IDLE.with_borrow_mut(|idle| {
            if idle.iter().filter(|c| c.addr == addr).count() >= MAX_IDLE {
                if let Some(oldest) = idle.iter().position(|c| c.addr == addr) {
                    idle.remove(oldest);
                }
            }
            idle.push(Idle {
                addr,
                stream,
                since: Instant::now(),
            });
        });
        if !SWEEPING.replace(true) {
            // On this thread's runtime (per-thread runtimes): the sweep sees this list.
            tokio::spawn(sweep());
        }
    }

    /// Closes, every few seconds, the connections that expired or were closed while idle;
    /// ends when none are left (the next `keep` starts it again).
    async fn sweep() {
        loop {
            tokio::time::sleep(SWEEP_EVERY).await;
            let left = IDLE.with_borrow_mut(|idle| {
                idle.retain_mut(|c| c.since.elapsed() < POOL_IDLE && quiet(&mut c.stream));
                idle.len()
            });
            if left == 0 {
                SWEEPING.set(false);
                return;
            }
        }
    }
}

/// The request head, without pingora's header-case map: every name here is ours and
/// lowercase, so there is no client spelling to preserve.
fn build_header(upstream: &Upstream, call: &Call<'_>) -> pingora::Result<RequestHeader> {
    use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HOST, USER_AGENT};
    let mut req = RequestHeader::build_no_case(call.method, call.path.as_bytes(), Some(8))?;
    req.insert_header(HOST, upstream.host.as_str())?;
    req.insert_header(ACCEPT, "application/json")?;
    req.insert_header(USER_AGENT, concat!("dragoman/", env!("CARGO_PKG_VERSION")))?;
    if let Some(body) = &call.body {
        req.insert_header(CONTENT_TYPE, "application/json")?;
        req.insert_header(CONTENT_LENGTH, body.len())?;
    }
    for (name, value) in &call.headers {
        req.insert_header(*name, value.as_str())?;
    }
    Ok(req)
}
