//! The data plane: a thin pingora adapter. Per request it finds the route, authenticates,
//! reads and bounds the body, asks the translation core what to send, calls the upstream
//! over pooled connections, asks the core what to answer, and writes one response. No
//! translation logic lives here.
//!
//! Everything happens in `request_filter` (the "handler" strategy of STACK.md): a request that
//! fails framing, auth or validation never reaches the upstream — not even its headers — and
//! both sides get exact `Content-Length`s.

pub mod deadline;
pub mod route;
pub mod upstream;

use crate::auth;
use crate::cache::{self, CacheKey, CacheStatus, Fetched, Unstored, UserCache};
use crate::config::{Config, Scope};
use crate::errors::{GatewayError, Reply};
use crate::metrics::Metrics;
use crate::translate::{AuthScheme, Canonical, Method, RuleSet, StyleId, TranslateError, View};
use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use pingora::connectors::http::Connector;
use pingora::http::ResponseHeader;
use pingora::prelude::{HttpPeer, ProxyHttp, Session};
use pingora::ErrorType;
use route::{Found, Router};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use upstream::{Answer, Call};

/// Per-request state, for the access log and metrics.
#[derive(Default)]
pub struct Ctx {
    start: Option<Instant>,
    request_id: String,
    route: Option<usize>,
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
    peers: Vec<HttpPeer>,
    connector: Connector,
    cache: UserCache,
    metrics: Arc<Metrics>,
    route_labels: Vec<String>,
    inflight: Arc<AtomicUsize>,
}

/// Where an authorised request goes: its route, and the user's id on both sides.
struct Target {
    route: usize,
    canonical_id: String,
    upstream_id: String,
    /// The client's credential, when the route forwards it upstream.
    forwarded: Option<String>,
}

/// The request as the handler needs it, copied out of the session once.
struct Incoming {
    method: String,
    query: Option<String>,
    authorization: Option<Vec<u8>>,
    content_type: Option<String>,
    content_length: Option<usize>,
    expect_continue: bool,
    no_cache: bool,
    /// Formatted only when a request goes upstream (X-Forwarded-For).
    client_ip: Option<std::net::IpAddr>,
}

impl Gateway {
    pub fn new(
        config: Arc<Config>,
        cache: UserCache,
        metrics: Arc<Metrics>,
        inflight: Arc<AtomicUsize>,
    ) -> Self {
        let rules = config.rules.clone();
        let router = Router::new(&config.routes, &rules);
        let peers = config.upstreams.iter().map(upstream::peer_for).collect();
        let route_labels = config
            .routes
            .iter()
            .map(|r| {
                let at = if r.prefix.is_empty() {
                    String::new()
                } else {
                    format!("@{}", r.prefix)
                };
                format!(
                    "{}{at}->{}",
                    rules.style(r.style).name,
                    config.upstreams[r.upstream].name
                )
            })
            .collect();
        let connector = Connector::new(Some(pingora::connectors::ConnectorOptions::new(256)));
        Self {
            config,
            rules,
            router,
            peers,
            connector,
            cache,
            metrics,
            route_labels,
            inflight,
        }
    }

    fn style_of(&self, ctx: &Ctx) -> Option<StyleId> {
        ctx.route.map(|r| self.config.routes[r].style)
    }

    async fn handle(&self, session: &mut Session, ctx: &mut Ctx) -> Result<Reply, GatewayError> {
        let path = session.req_header().uri.path().to_owned();
        let found = self.router.find(&path, &self.config.routes, &self.rules);
        if let Found::Route(i, _) | Found::Nearest(i) = found {
            ctx.route = Some(i);
        }
        let incoming = self.incoming(session)?;
        let (route_idx, raw_id) = match found {
            Found::Route(i, id) => (i, id.to_owned()),
            Found::Nearest(_) => return Err(GatewayError::NotFound),
            Found::None => return Err(GatewayError::NoRoute),
        };
        let route = &self.config.routes[route_idx];
        let client = self.rules.style(route.style);
        let method = match incoming.method.as_str() {
            "GET" if client.allows("GET") => Method::Get,
            "PUT" if client.allows("PUT") => Method::Put,
            _ => {
                return Err(GatewayError::MethodNotAllowed {
                    allow: client.methods.join(", "),
                })
            }
        };
        let credential = auth::presented(
            &client.auth,
            incoming.authorization.as_deref(),
            incoming.query.as_deref(),
        );
        let scope = if method == Method::Get {
            Scope::Read
        } else {
            Scope::Write
        };
        auth::authorize(
            &self.config.keys,
            &client.auth,
            credential.as_deref(),
            scope,
        )?;
        let upstream_cfg = &self.config.upstreams[route.upstream];
        let canonical_id = self
            .rules
            .canonical_id(route.style, &raw_id)
            .ok_or(GatewayError::MalformedId)?;
        let upstream_id = self
            .rules
            .path_id(upstream_cfg.style, &canonical_id)
            .ok_or(GatewayError::MalformedId)?;
        let forwarded = if route.forward_credential {
            credential.clone()
        } else {
            None
        };
        let target = Target {
            route: route_idx,
            canonical_id,
            upstream_id,
            forwarded,
        };
        match method {
            Method::Get => self.get(ctx, &incoming, &target).await,
            Method::Put => {
                let body = self.read_body(session, &incoming).await?;
                self.put(ctx, &incoming, &target, body).await
            }
        }
    }

    /// Copies what the handler needs out of the request header, refusing ambiguous framing
    /// and oversized headers before anything else looks at the request.
    fn incoming(&self, session: &Session) -> Result<Incoming, GatewayError> {
        if let Some(h1) = session.as_downstream().as_http1() {
            let raw = h1.get_headers_raw_bytes();
            if raw.len() > self.config.limits.max_header_bytes {
                return Err(GatewayError::HeaderTooLarge {
                    limit: self.config.limits.max_header_bytes,
                });
            }
            check_framing(&raw)?;
        }
        let req = session.req_header();
        let header = |name: &str| {
            req.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_length = match header("content-length") {
            Some(v) => Some(
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| GatewayError::BadFraming("invalid Content-Length"))?,
            ),
            None => None,
        };
        let no_cache = header("cache-control")
            .is_some_and(|v| v.to_ascii_lowercase().contains("no-cache"))
            || header("pragma").is_some_and(|v| v.to_ascii_lowercase().contains("no-cache"));
        Ok(Incoming {
            method: req.method.as_str().to_owned(),
            query: req.uri.query().map(str::to_owned),
            authorization: req
                .headers
                .get("authorization")
                .map(|v| v.as_bytes().to_vec()),
            content_type: header("content-type"),
            content_length,
            expect_continue: header("expect")
                .is_some_and(|v| v.eq_ignore_ascii_case("100-continue")),
            no_cache,
            client_ip: session
                .client_addr()
                .and_then(|a| a.as_inet())
                .map(|inet| inet.ip()),
        })
    }

    /// Reads the whole body within the size and time limits. Checks the media type first,
    /// and only then tells an `Expect: 100-continue` client to send.
    async fn read_body(
        &self,
        session: &mut Session,
        incoming: &Incoming,
    ) -> Result<Bytes, GatewayError> {
        let json = incoming
            .content_type
            .as_deref()
            .is_some_and(is_json_media_type);
        if !json {
            return Err(GatewayError::UnsupportedMediaType);
        }
        let limit = self.config.limits.max_body_bytes;
        if incoming.content_length.is_some_and(|n| n > limit) {
            return Err(GatewayError::PayloadTooLarge { limit });
        }
        if incoming.expect_continue {
            session
                .as_downstream_mut()
                .write_continue_response()
                .await
                .map_err(|e| GatewayError::Internal(format!("100-continue: {e}")))?;
        }
        session.set_read_timeout(Some(self.config.limits.request_timeout));
        let read = async {
            let mut buf = BytesMut::new();
            loop {
                match session.read_request_body().await {
                    Ok(Some(chunk)) => {
                        if buf.len() + chunk.len() > limit {
                            return Err(GatewayError::PayloadTooLarge { limit });
                        }
                        buf.extend_from_slice(&chunk);
                    }
                    Ok(None) => return Ok(buf.freeze()),
                    Err(e) if matches!(e.etype(), ErrorType::ReadTimedout) => {
                        return Err(GatewayError::RequestTimeout)
                    }
                    Err(e) => return Err(GatewayError::BadFraming(framing_reason(&e))),
                }
            }
        };
        tokio::time::timeout(self.config.limits.request_timeout, read)
            .await
            .unwrap_or(Err(GatewayError::RequestTimeout))
    }

    fn upstream_headers(
        &self,
        route_idx: usize,
        ctx: &Ctx,
        incoming: &Incoming,
        forwarded: Option<&str>,
    ) -> (String, Vec<(&'static str, String)>) {
        let route = &self.config.routes[route_idx];
        let up = &self.config.upstreams[route.upstream];
        let credential = forwarded.unwrap_or(&up.credential);
        let mut headers = vec![("x-request-id", ctx.request_id.clone())];
        if let Some(ip) = incoming.client_ip {
            headers.push(("x-forwarded-for", ip.to_string()));
        }
        let query = match &self.rules.style(up.style).auth {
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
        };
        (query, headers)
    }

    /// Sends one request to the route's upstream in the upstream's own style: its path for
    /// `upstream_id`, its auth scheme and credential (or the client's, when forwarded), the
    /// request id. Times the call.
    async fn call_upstream(
        &self,
        ctx: &mut Ctx,
        incoming: &Incoming,
        target: &Target,
        method: &'static str,
        body: Option<Bytes>,
    ) -> Result<Answer, GatewayError> {
        let (route_idx, upstream_id) = (target.route, target.upstream_id.as_str());
        let forwarded = target.forwarded.as_deref();
        let route = &self.config.routes[route_idx];
        let up = &self.config.upstreams[route.upstream];
        let (query, headers) = self.upstream_headers(route_idx, ctx, incoming, forwarded);
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
        let result = Box::pin(upstream::send(
            &self.connector,
            up,
            &self.peers[route.upstream],
            &call,
        ))
        .await;
        let secs = started.elapsed().as_secs_f64();
        ctx.upstream_secs = Some(ctx.upstream_secs.unwrap_or(0.0) + secs);
        self.metrics
            .upstream_seconds
            .with_label_values(&[up.name.as_str()])
            .observe(secs);
        result
    }

    async fn fetch_user(
        &self,
        ctx: &mut Ctx,
        incoming: &Incoming,
        target: &Target,
    ) -> Result<Fetched, GatewayError> {
        let route_idx = target.route;
        let answer = self
            .call_upstream(ctx, incoming, target, "GET", None)
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(self.upstream_failure(route_idx, &answer));
        }
        let user = self.read_upstream_user(target, &answer)?;
        Ok(Fetched {
            user: Arc::new(user),
            storable_for: cache::storable_for(answer.cache_control.as_deref()),
        })
    }

    /// The upstream's answer as the canonical user asked for. An answer about another user
    /// (its id is not the one in the path) is an invalid upstream response: returning or
    /// caching it would show one user's data under another's id.
    fn read_upstream_user(
        &self,
        target: &Target,
        answer: &Answer,
    ) -> Result<Canonical, GatewayError> {
        let route_idx = target.route;
        let route = &self.config.routes[route_idx];
        let up = &self.config.upstreams[route.upstream];
        if !answer
            .content_type
            .as_deref()
            .is_some_and(is_json_media_type)
        {
            return Err(GatewayError::BadGateway(format!(
                "upstream {} answered {} without a JSON body",
                up.name, answer.status
            )));
        }
        let doc: Value = serde_json::from_slice(&answer.body).map_err(|e| {
            GatewayError::BadGateway(format!("upstream {} sent invalid JSON: {e}", up.name))
        })?;
        let failed = |reason: String| {
            self.metrics
                .translation_failures
                .with_label_values(&[self.route_labels[route_idx].as_str(), "upstream_response"])
                .inc();
            GatewayError::BadGateway(reason)
        };
        let user = self
            .rules
            .read_owned_response(up.style, doc)
            .map_err(|e| failed(e.to_string()))?;
        match self.rules.user_id(&user) {
            Some(id) if same_id(id, &target.canonical_id) => Ok(user),
            Some(id) => Err(failed(format!(
                "upstream {} answered with user {id:?} for user {:?}",
                up.name, target.canonical_id
            ))),
            None => Err(failed(format!(
                "upstream {} answered with a user without an id",
                up.name
            ))),
        }
    }

    /// An upstream's non-success answer, in terms the client's style can render.
    fn upstream_failure(&self, route_idx: usize, answer: &Answer) -> GatewayError {
        let route = &self.config.routes[route_idx];
        let up = &self.config.upstreams[route.upstream];
        let parsed = serde_json::from_slice::<Value>(&answer.body)
            .map(|doc| self.rules.style(up.style).parse_error(&doc))
            .unwrap_or_default();
        let message = parsed.message.clone().filter(|m| !m.is_empty());
        match answer.status {
            404 => GatewayError::NotFound,
            400 | 422 if !parsed.items.is_empty() => GatewayError::Validation(
                self.rules
                    .translate_field_errors(up.style, route.style, &parsed.items),
            ),
            422 => GatewayError::Validation(vec![crate::translate::FieldError::new(
                "",
                "value_error",
                message.unwrap_or_else(|| "The upstream refused the update".into()),
            )]),
            401 | 403 if !route.forward_credential => GatewayError::BadGateway(format!(
                "upstream {} refused the gateway's credential with {}",
                up.name, answer.status
            )),
            401 => GatewayError::Unauthorized,
            403 => GatewayError::Forbidden("required"),
            s @ 400..=499 => GatewayError::Upstream {
                status: s,
                message: message.unwrap_or_else(|| crate::errors::reason(s).to_owned()),
            },
            s => GatewayError::BadGateway(format!("upstream {} answered {s}", up.name)),
        }
    }

    async fn get(
        &self,
        ctx: &mut Ctx,
        incoming: &Incoming,
        target: &Target,
    ) -> Result<Reply, GatewayError> {
        let route_idx = target.route;
        let route = &self.config.routes[route_idx];
        let ttl = route.cache_ttl.unwrap_or(self.config.cache.ttl);
        let cache_on = !ttl.is_zero() && self.config.cache.max_bytes > 0;
        let partition = target
            .forwarded
            .as_deref()
            .map_or(0, UserCache::partition_for);
        let key = CacheKey {
            upstream: route.upstream as u16,
            id: Arc::from(target.canonical_id.as_str()),
            partition,
        };
        let looked_up = if !cache_on || incoming.no_cache {
            let token = self.cache.write_token(key.upstream);
            match self.fetch_user(ctx, incoming, target).await {
                Ok(fetched) => {
                    if let (true, Some(max_age)) = (cache_on, fetched.storable_for) {
                        let user = fetched.user.clone();
                        self.cache.put(key, user, ttl.min(max_age), token).await;
                    }
                    Ok((fetched.user, None, CacheStatus::Bypass, None))
                }
                Err(e) => Err((e, CacheStatus::Bypass)),
            }
        } else {
            let fetch = self.fetch_user(ctx, incoming, target);
            match Box::pin(self.cache.get_or_fetch(key, ttl, fetch)).await {
                Ok((entry, status)) => {
                    let age = (status == CacheStatus::Hit).then(|| entry.age_secs());
                    Ok((entry.user.clone(), Some(entry), status, age))
                }
                Err(e) => match &*e {
                    Unstored::Failed(err) => Err((err.clone(), CacheStatus::Miss)),
                    Unstored::Uncacheable(user) => {
                        Ok((user.clone(), None, CacheStatus::Miss, None))
                    }
                },
            }
        };
        let status = match &looked_up {
            Ok((_, _, status, _)) | Err((_, status)) => *status,
        };
        ctx.cache = Some(status);
        self.metrics
            .cache_lookups
            .with_label_values(&[&status.as_str().to_ascii_lowercase()])
            .inc();
        let (user, entry, _, age) = looked_up.map_err(|(e, _)| e)?;
        let view = self.view(route_idx, &user, entry.as_deref())?;
        let mut reply = self.render(route_idx, ctx, &view, Method::Get, &[]);
        if let Some(age) = age {
            reply.headers.push(("age", age.to_string()));
        }
        Ok(reply)
    }

    async fn put(
        &self,
        ctx: &mut Ctx,
        incoming: &Incoming,
        target: &Target,
        body: Bytes,
    ) -> Result<Reply, GatewayError> {
        let route_idx = target.route;
        let route = &self.config.routes[route_idx];
        let up = &self.config.upstreams[route.upstream];
        let label = self.route_labels[route_idx].as_str();
        let doc: Value = serde_json::from_slice(&body).map_err(|_| GatewayError::BadJson)?;
        let translated = self
            .rules
            .translate_owned_request(route.style, up.style, doc, &route.policy)
            .map_err(|e| {
                self.metrics
                    .translation_failures
                    .with_label_values(&[label, "request"])
                    .inc();
                match e {
                    TranslateError::Invalid(errs) => GatewayError::Validation(errs),
                    TranslateError::MalformedId => GatewayError::MalformedId,
                    other => GatewayError::Internal(other.to_string()),
                }
            })?;
        let payload = Bytes::from(
            serde_json::to_vec(&translated.body)
                .map_err(|e| GatewayError::Internal(e.to_string()))?,
        );
        let answer = self
            .call_upstream(ctx, incoming, target, "PUT", Some(payload))
            .await;
        // Unless the upstream clearly refused the write (4xx), it may have happened — even
        // when its answer was lost or late — so whatever any route cached for this user is
        // stale now.
        let refused = matches!(&answer, Ok(a) if (400..500).contains(&a.status));
        if !refused {
            self.cache
                .evict_user(route.upstream as u16, &target.canonical_id)
                .await;
        }
        let answer = answer?;
        if !(200..300).contains(&answer.status) {
            return Err(self.upstream_failure(route_idx, &answer));
        }
        let user = self.read_upstream_user(target, &answer)?;
        let view = self.view(route_idx, &user, None)?;
        let mut reply = self.render(route_idx, ctx, &view, Method::Put, &translated.lossy);
        if !translated.dropped.is_empty() {
            reply
                .headers
                .push(("x-dragoman-dropped", translated.dropped.join(", ")));
        }
        Ok(reply)
    }

    /// The user as the route's client style sees it (`entry`'s memoized view when cached).
    fn view(
        &self,
        route_idx: usize,
        user: &Canonical,
        entry: Option<&cache::Entry>,
    ) -> Result<Arc<View>, GatewayError> {
        let style = self.config.routes[route_idx].style;
        let render = |u: &Canonical| self.rules.view(style, u);
        let view = match entry {
            Some(e) => e.view(style.index(), render),
            None => render(user).map(Arc::new),
        };
        view.map_err(|e| {
            self.metrics
                .translation_failures
                .with_label_values(&[self.route_labels[route_idx].as_str(), "response"])
                .inc();
            GatewayError::BadGateway(e.to_string())
        })
    }

    /// The success reply around `view`. `X-Dragoman-Lossy` names, once each, the fields the
    /// write (`write_lossy`, a PUT's request notes) and the view carried imperfectly.
    fn render(
        &self,
        route_idx: usize,
        ctx: &Ctx,
        view: &View,
        method: Method,
        write_lossy: &[String],
    ) -> Reply {
        let style = self.config.routes[route_idx].style;
        let body = self
            .rules
            .write_response(style, view, method, &ctx.request_id, &timestamp());
        let mut headers = Vec::new();
        if let Some(fields) = lossy_fields(write_lossy.iter().chain(&view.lossy)) {
            headers.push(("x-dragoman-lossy", fields));
        }
        Reply {
            status: 200,
            content_type: self.rules.style(style).response.content_type.clone(),
            headers,
            body: Bytes::from(body),
        }
    }

    async fn write(&self, session: &mut Session, ctx: &Ctx, reply: Reply) -> pingora::Result<()> {
        use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
        // No header-case map: every name is ours (pingora writes standard names titled).
        let mut resp = ResponseHeader::build_no_case(reply.status, Some(reply.headers.len() + 4))?;
        resp.insert_header(CONTENT_TYPE, reply.content_type.as_str())?;
        resp.insert_header(CONTENT_LENGTH, reply.body.len())?;
        resp.insert_header("x-request-id", ctx.request_id.as_str())?;
        if let Some(status) = ctx.cache {
            resp.insert_header("x-cache", status.as_str())?;
        }
        for (name, value) in &reply.headers {
            resp.insert_header(*name, value.as_str())?;
        }
        let keepalive = self.config.limits.keepalive_timeout.as_secs();
        session.set_keepalive((keepalive > 0).then_some(keepalive));
        session.write_response_header(Box::new(resp), false).await?;
        session.write_response_body(Some(reply.body), true).await?;
        Ok(())
    }
}

/// Refuses framing that two parsers could read differently: Content-Length together with
/// Transfer-Encoding, or more than one Content-Length (pingora would collapse identical
/// duplicates and drop CL beside TE; a gateway in front of other servers must not).
fn check_framing(raw: &[u8]) -> Result<(), GatewayError> {
    let mut content_length = 0;
    let mut transfer_encoding = false;
    for line in raw.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = &line[..colon];
        if name.eq_ignore_ascii_case(b"content-length") {
            content_length += 1;
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            transfer_encoding = true;
        } else if name.last().is_some_and(|b| b.is_ascii_whitespace()) {
            // pingora's parser refuses this first today; kept so a laxer parser cannot let it by.
            return Err(GatewayError::BadFraming("whitespace before a header colon"));
        }
    }
    match (content_length, transfer_encoding) {
        (n, true) if n > 0 => Err(GatewayError::BadFraming(
            "Content-Length with Transfer-Encoding",
        )),
        (n, _) if n > 1 => Err(GatewayError::BadFraming("more than one Content-Length")),
        _ => Ok(()),
    }
}

fn framing_reason(e: &pingora::Error) -> &'static str {
    match e.etype() {
        ErrorType::ConnectionClosed => "the client closed the connection mid-body",
        _ => "the request body is malformed",
    }
}

/// The field names of lossy notes (`status: "locked" is stored as …` → `status`), for the
/// `X-Dragoman-Lossy` header; `None` when nothing was lossy.
fn lossy_fields<'a>(notes: impl IntoIterator<Item = &'a String>) -> Option<String> {
    let mut fields: Vec<&str> = Vec::new();
    for field in notes.into_iter().filter_map(|n| n.split(':').next()) {
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    (!fields.is_empty()).then(|| fields.join(", "))
}

/// Whether an upstream's user id is the one asked for: equal, or the same UUID written in
/// another case (a backend may normalise the UUID a client sent in capitals).
fn same_id(answered: &str, asked: &str) -> bool {
    answered == asked
        || matches!(
            (uuid::Uuid::parse_str(answered), uuid::Uuid::parse_str(asked)),
            (Ok(a), Ok(b)) if a == b
        )
}

fn is_json_media_type(ct: &str) -> bool {
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Now, as RFC 3339 UTC seconds. Formatted once per second per worker thread, not per
/// response.
fn timestamp() -> String {
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let now = chrono::Utc::now();
    let secs = now.timestamp();
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != secs {
            *last = (secs, now.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        }
        last.1.clone()
    })
}

/// A new request id: a random per-process prefix and a counter — unique without a
/// `getrandom` call per request.
fn new_request_id() -> String {
    static PREFIX: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u128() as u32);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut id = String::with_capacity(28);
    id.push_str("req_");
    push_hex(&mut id, u64::from(*prefix), 8);
    push_hex(&mut id, n, 16);
    id
}

/// `value`'s lowest `digits` hex digits, zero-padded (what `{:0Nx}` writes, without fmt).
fn push_hex(out: &mut String, value: u64, digits: u32) {
    for i in (0..digits).rev() {
        let nibble = ((value >> (i * 4)) & 0xf) as u8;
        out.push(char::from(if nibble < 10 {
            b'0' + nibble
        } else {
            b'a' + nibble - 10
        }));
    }
}

/// A client's `X-Request-Id` if well-formed (1–128 of `[A-Za-z0-9._:-]`), else a new one.
fn request_id(session: &Session) -> String {
    let given = session
        .req_header()
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok());
    match given {
        Some(id)
            if (1..=128).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)) =>
        {
            id.to_owned()
        }
        _ => new_request_id(),
    }
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = Ctx;

    fn new_ctx(&self) -> Ctx {
        Ctx::default()
    }

    /// Answers every request here and returns `Ok(true)`: pingora's own proxy phases, which
    /// would send the request upstream before its body is validated, are never reached.
    async fn request_filter(&self, session: &mut Session, ctx: &mut Ctx) -> pingora::Result<bool> {
        ctx.start = Some(Instant::now());
        ctx.inflight = Some(InflightGuard::new(&self.inflight));
        ctx.request_id = request_id(session);
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
                let style = self.style_of(ctx).map(|s| self.rules.style(s));
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
        let route = ctx
            .route
            .map(|r| self.route_labels[r].as_str())
            .unwrap_or("-");
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
        let upstream = ctx
            .route
            .map(|r| {
                self.config.upstreams[self.config.routes[r].upstream]
                    .name
                    .as_str()
            })
            .unwrap_or("-");
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

/// The cache is sized from the config; each upstream is partitioned when any route to it
/// forwards client credentials.
pub fn cache_for(config: &Config) -> UserCache {
    let upstreams = (0..config.upstreams.len())
        .map(|u| {
            let routes: Vec<_> = config.routes.iter().filter(|r| r.upstream == u).collect();
            let mut styles: Vec<StyleId> = routes.iter().map(|r| r.style).collect();
            styles.sort();
            styles.dedup();
            cache::UpstreamShape {
                partitioned: routes.iter().any(|r| r.forward_credential),
                client_styles: styles.len(),
            }
        })
        .collect();
    UserCache::new(
        config.cache.max_bytes,
        upstreams,
        config.rules.style_names().len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_that_parsers_could_read_differently_is_refused() {
        assert!(check_framing(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n").is_ok());
        assert!(check_framing(
            b"PUT / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        .is_err());
        assert!(
            check_framing(b"PUT / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n")
                .is_err()
        );
        assert!(check_framing(b"PUT / HTTP/1.1\r\nContent-Length : 5\r\n\r\n").is_err());
    }

    #[test]
    fn json_media_types_are_recognised_with_parameters() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(is_json_media_type("application/merge-patch+json"));
        assert!(!is_json_media_type("text/plain"));
        assert!(!is_json_media_type("application/jsonx"));
    }

    #[test]
    fn new_request_ids_are_req_and_24_hex_digits_and_never_repeat() {
        let a = new_request_id();
        let b = new_request_id();
        for id in [&a, &b] {
            let hex = id.strip_prefix("req_").expect("req_ prefix");
            assert_eq!(hex.len(), 24, "{id}");
            assert!(hex
                .bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        }
        assert_ne!(a, b);
        assert_eq!(a[..12], b[..12], "one process prefix");
        let mut s = String::new();
        push_hex(&mut s, 0xab, 4);
        assert_eq!(s, "00ab");
    }

    #[test]
    fn lossy_fields_name_each_field_once_in_the_order_met() {
        let notes: Vec<String> = ["name: split", "role: first of 2", "name: again"]
            .map(String::from)
            .to_vec();
        assert_eq!(lossy_fields(&notes).as_deref(), Some("name, role"));
        assert_eq!(lossy_fields(&Vec::<String>::new()), None);
    }
}
