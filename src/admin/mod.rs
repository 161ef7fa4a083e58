//! The admin listener: `/healthz`, `/readyz`, `/metrics` and `POST /cache/purge`.
//! It runs on its own address so that the data plane's paths stay the APIs' own.

use crate::cache::UserCache;
use crate::config::Config;
use crate::metrics::Metrics;
use async_trait::async_trait;
use http::Response;
use pingora::apps::http_app::ServeHttp;
use pingora::protocols::http::ServerSession;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub struct Admin {
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    pub cache: UserCache,
}

fn reply(status: u16, content_type: &str, body: Vec<u8>) -> Response<Vec<u8>> {
    let mut r = Response::new(body);
    *r.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let len = r.body().len();
    let headers = r.headers_mut();
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        headers.insert(http::header::CONTENT_TYPE, v);
    }
    headers.insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(len));
    r
}

fn json_reply(status: u16, v: serde_json::Value) -> Response<Vec<u8>> {
    reply(
        status,
        "application/json",
        serde_json::to_vec(&v).unwrap_or_default(),
    )
}

impl Admin {
    async fn refresh_cache_metrics(&self) {
        self.cache.sync().await;
        let m = &self.metrics;
        m.cache_entries.set(self.cache.entry_count() as i64);
        m.cache_bytes.set(self.cache.weighted_size() as i64);
        let ev = &self.cache.evictions;
        for (cause, counter) in [
            ("expired", &ev.expired),
            ("explicit", &ev.explicit),
            ("size", &ev.size),
            ("replaced", &ev.replaced),
        ] {
            let c = m.cache_evictions.with_label_values(&[cause]);
            let now = counter.load(Ordering::Relaxed);
            if now > c.get() {
                c.inc_by(now - c.get());
            }
        }
    }

    async fn readyz(&self) -> Response<Vec<u8>> {
        let mut down = Vec::new();
        for u in &self.config.upstreams {
            let ok = matches!(
                tokio::time::timeout(
                    Duration::from_millis(500),
                    tokio::net::TcpStream::connect(u.addr)
                )
                .await,
                Ok(Ok(_))
            );
            if !ok {
                down.push(u.name.clone());
            }
        }
        let status = if down.is_empty() { 200 } else { 503 };
        json_reply(
            status,
            json!({"ready": down.is_empty(), "unreachable_upstreams": down}),
        )
    }

    async fn purge(&self, query: Option<&str>) -> Response<Vec<u8>> {
        let param = |name: &str| query.and_then(|q| crate::auth::query_param(q, name));
        match (param("upstream"), param("id")) {
            (None, None) => {
                self.cache.purge_all();
                json_reply(200, json!({"purged": "all"}))
            }
            (Some(name), Some(id)) => {
                match self.config.upstreams.iter().position(|u| u.name == name) {
                    Some(i) => {
                        self.cache.evict_user(i as u16, &id).await;
                        json_reply(200, json!({"purged": {"upstream": name, "id": id}}))
                    }
                    None => {
                        json_reply(404, json!({"error": format!("no upstream named '{name}'")}))
                    }
                }
            }
            _ => json_reply(
                400,
                json!({"error": "give both upstream and id (canonical user id), or neither to purge all"}),
            ),
        }
    }
}

#[async_trait]
impl ServeHttp for Admin {
    async fn response(&self, session: &mut ServerSession) -> Response<Vec<u8>> {
        let (method, path, query) = {
            let req = session.req_header();
            (
                req.method.as_str().to_owned(),
                req.uri.path().to_owned(),
                req.uri.query().map(str::to_owned),
            )
        };
        match (method.as_str(), path.as_str()) {
            ("GET", "/healthz") => json_reply(
                200,
                json!({"status": "ok", "routes": self.config.routes.len(), "upstreams": self.config.upstreams.len()}),
            ),
            ("GET", "/readyz") => self.readyz().await,
            ("GET", "/metrics") => {
                self.refresh_cache_metrics().await;
                reply(200, "text/plain; version=0.0.4", self.metrics.render())
            }
            ("POST", "/cache/purge") => self.purge(query.as_deref()).await,
            (_, "/healthz" | "/readyz" | "/metrics") => {
                json_reply(405, json!({"error": "method not allowed"}))
            }
            (_, "/cache/purge") => json_reply(405, json!({"error": "use POST"})),
            _ => json_reply(404, json!({"error": "not found"})),
        }
    }
}
