//! The data plane: a thin pingora adapter. Per request it finds the route, authenticates,
//! reads and bounds the body, asks the translation core what to send, calls the upstream
//! over pooled connections, asks the core what to answer, and writes one response. No
//! translation logic lives here.
//!
//! - `mod.rs`: the pingora hooks, per-request state, the access log.
//! - [`route`]: route plans (everything a route needs, resolved at start-up) and matching.
//! - [`intake`]: the request head copied once, framing checks, the body read within limits.
//! - [`handler`]: resolving a request on its route, GET through the cache, PUT, the reply.
//! - [`upstream`]: calls to an upstream in its own style over pooled connections.
//! - [`deadline`]: the first request head's deadline (slowloris).
//!
//! Everything happens in `request_filter`, with pingora's own proxy phases never reached (the
//! "handler" strategy: pingora's proxy loop would send the request head upstream before the
//! body is read and validated): a request that
//! fails framing, auth or validation never reaches the upstream — not even its headers — and
//! both sides get exact `Content-Length`s.

pub mod deadline;
mod handler;
mod intake;
pub mod route;
pub mod upstream;

use crate::auth;
use crate::cache::{CacheStatus, UserCache};
use crate::clock::now as timestamp;
use crate::config::Config;
use crate::errors::GatewayError;
use crate::metrics::Metrics;
use crate::translate::RuleSet;
use async_trait::async_trait;
use pingora::connectors::http::Connector;
use pingora::prelude::{HttpPeer, ProxyHttp, Session};
use pingora::ErrorType;
use route::{RoutePlan, Router};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Per-request state, for the access log and metrics.
#[derive(Default)]
pub struct Ctx {
    start: Option<Instant>,
    request_id: String,
    /// The route that served (or, for a 404, speaks for) the request.
    route: Option<Arc<RoutePlan>>,
    status: u16,
    cache: Option<CacheStatus>,
    /// The internal reason of a failure (logged, never sent).
    reason: Option<String>,
    upstream_secs: Option<f64>,
    inflight: Option<InflightGuard>,
}

/// Counts requests in progress, so a graceful stop can wait for them.
pub struct InflightGuard(Arc<AtomicUsize>);

impl InflightGuard {
    fn new(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::AcqRel);
        Self(counter.clone())
    }
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

pub struct Gateway {
    config: Arc<Config>,
    rules: Arc<RuleSet>,
    router: Router,
    connector: Connector,
    cache: UserCache,
    metrics: Arc<Metrics>,
    inflight: Arc<AtomicUsize>,
}

impl Gateway {
    pub fn new(
        config: Arc<Config>,
        cache: UserCache,
        metrics: Arc<Metrics>,
        inflight: Arc<AtomicUsize>,
    ) -> Self {
        let rules = config.rules.clone();
        let router = Router::new(&RoutePlan::all(&config), &rules);
        let connector = Connector::new(Some(pingora::connectors::ConnectorOptions::new(256)));
        Self {
            config,
            rules,
            router,
            connector,
            cache,
            metrics,
            inflight,
        }
    }
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = Ctx;

    fn new_ctx(&self) -> Ctx {
        Ctx::default()
    }

    /// No downstream modules: pingora's default registers a disabled compression module,
    /// which still builds a context and runs its filters on every request. The gateway
    /// writes every response itself in `request_filter`.
    fn init_downstream_modules(&self, _modules: &mut pingora::modules::http::HttpModules) {}

    /// Answers every request here and returns `Ok(true)`: pingora's own proxy phases, which
    /// would send the request upstream before its body is validated, are never reached.
    async fn request_filter(&self, session: &mut Session, ctx: &mut Ctx) -> pingora::Result<bool> {
        ctx.start = Some(Instant::now());
        ctx.inflight = Some(InflightGuard::new(&self.inflight));
        ctx.request_id = intake::request_id(session);
        let reply = match self.handle(session, ctx).await {
            Ok(reply) => reply,
            Err(e) => {
                if matches!(
                    e,
                    GatewayError::BadGateway(_)
                        | GatewayError::Internal(_)
                        | GatewayError::GatewayTimeout
                ) {
                    ctx.reason = Some(e.to_string());
                }
                let style = ctx.route.as_ref().map(|p| self.rules.style(p.client));
                let path = session.req_header().uri.path().to_owned();
                e.render(style, &ctx.request_id, &timestamp(), &path)
            }
        };
        if ctx.cache.is_none() && session.req_header().method == http::Method::GET {
            // Answered before the cache was consulted (auth, malformed id): say so.
            ctx.cache = Some(CacheStatus::Bypass);
        }
        ctx.status = reply.status;
        self.write(session, ctx, reply).await?;
        Ok(true)
    }

    /// Serves pipelined requests in order (RFC 9112 §9.3.2) instead of closing after the
    /// first; pingora answers them one at a time.
    async fn early_request_filter(
        &self,
        session: &mut Session,
        _ctx: &mut Ctx,
    ) -> pingora::Result<()> {
        session.as_downstream_mut().set_pipelining_enabled(true);
        Ok(())
    }

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        _ctx: &mut Ctx,
    ) -> pingora::Result<Box<HttpPeer>> {
        pingora::Error::e_explain(
            ErrorType::InternalError,
            "every request is answered in request_filter",
        )
    }

    async fn logging(&self, session: &mut Session, error: Option<&pingora::Error>, ctx: &mut Ctx) {
        let Some(start) = ctx.start else { return };
        let secs = start.elapsed().as_secs_f64();
        let req = session.req_header();
        let route = ctx.route.as_ref().map_or("-", |p| p.label.as_str());
        let status = if ctx.status == 0 { 499 } else { ctx.status };
        self.metrics
            .requests
            .with_label_values(&[route, req.method.as_str(), &status.to_string()])
            .inc();
        self.metrics
            .request_seconds
            .with_label_values(&[route])
            .observe(secs);
        let path = match req.uri.query() {
            Some(q) => format!("{}?{}", req.uri.path(), auth::redact_query(q, "api_key")),
            None => req.uri.path().to_owned(),
        };
        let upstream = ctx.route.as_ref().map_or("-", |p| p.upstream.name.as_str());
        tracing::info!(
            target: "dragoman::access",
            request_id = %ctx.request_id,
            method = %req.method,
            path = %path,
            route,
            upstream,
            status,
            latency_ms = secs * 1000.0,
            upstream_ms = ctx.upstream_secs.map(|s| s * 1000.0),
            cache = ctx.cache.map(CacheStatus::as_str).unwrap_or("-"),
            error = ctx.reason.as_deref().or(error.map(|_| "write failed")),
            "request"
        );
        ctx.inflight = None;
    }
}
