//! Helpers shared by the `backends_*` tests: one reference backend on a loopback port and a
//! client that speaks its credential scheme, with the seeded users by index.

use dragoman::backends::{seed_ids, Backend, BackendStyle};
use reqwest::Method;
use serde_json::Value;

use super::demo::NOBODY;
// Every body a reference backend sends is JSON, or empty.
use super::http::{send_json as send, Reply};

/// Index of John Doe in `seed_ids()`.
pub const JOHN: usize = 0;
/// Index of Max, the third seeded user (locked, inactive), in `seed_ids()`.
pub const MAX: usize = 2;

/// One running backend and a client that speaks its credential scheme.
pub struct Api {
    pub style: BackendStyle,
    pub backend: Backend,
    pub http: reqwest::Client,
}

impl Api {
    pub async fn start(style: BackendStyle) -> Self {
        Self {
            style,
            backend: super::start_backend(style).await,
            http: super::client(),
        }
    }

    pub fn prefix(&self) -> &'static str {
        match self.style {
            BackendStyle::Envelope => "/v1/users",
            BackendStyle::Camel => "/api/users",
            BackendStyle::Snake => "/api/v1/user",
        }
    }

    /// The path of a user given by canonical UUID.
    pub fn user_path(&self, id: &str) -> String {
        match self.style {
            BackendStyle::Envelope => format!("{}/user_{id}", self.prefix()),
            _ => format!("{}/{id}", self.prefix()),
        }
    }

    pub fn seeded(&self, index: usize) -> String {
        self.user_path(seed_ids()[index])
    }

    /// A request carrying the backend's credential in its own scheme.
    pub fn authed(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.with_credential(method, path, self.style.demo_credential())
    }

    pub fn with_credential(
        &self,
        method: Method,
        path: &str,
        credential: &str,
    ) -> reqwest::RequestBuilder {
        match self.style {
            BackendStyle::Snake => {
                let separator = if path.contains('?') { '&' } else { '?' };
                let url = super::url(
                    &self.backend,
                    &format!("{path}{separator}api_key={credential}"),
                );
                self.http.request(method, url)
            }
            _ => self
                .http
                .request(method, super::url(&self.backend, path))
                .bearer_auth(credential),
        }
    }

    pub fn anonymous(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, super::url(&self.backend, path))
    }

    pub async fn get(&self, path: &str) -> Reply {
        send(self.authed(Method::GET, path)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        send(self.authed(Method::PUT, path).json(body)).await
    }

    pub async fn put_raw(&self, path: &str, content_type: &str, body: &'static str) -> Reply {
        send(
            self.authed(Method::PUT, path)
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }

    pub async fn stats(&self) -> u64 {
        let reply = send(self.anonymous(Method::GET, "/__stats")).await;
        assert_eq!(reply.status, 200);
        reply.body["requests"]
            .as_u64()
            .expect("requests is a number")
    }

    /// The path of a well-formed id the backend does not know.
    pub fn path_of_unknown(&self) -> String {
        self.user_path(NOBODY)
    }
}

/// Now, in whole seconds, in the RFC 3339 form the backends write.
pub fn now_seconds() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
