//! The HTTP client of the tests and whole-response helpers: a request is sent, and its status,
//! headers and body are read at once into a [`Reply`] that assertions can look at freely.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use dragoman::backends::BackendStyle;

use super::assert_matches_schema;

/// An HTTP/1.1 client that never goes through a proxy and never waits forever.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("build the HTTP client")
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body as text (invalid UTF-8 replaced).
    pub text: String,
    /// The body as JSON: `Null` when it is empty, the text as a JSON string when it is not
    /// JSON.
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn x_cache(&self) -> &str {
        self.header("x-cache").unwrap_or("<none>")
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "status; headers: {:?}; body: {:#}",
            self.headers, self.body
        );
        self
    }

    #[track_caller]
    pub fn assert_cache(&self, expected: &str) -> &Self {
        assert_eq!(
            self.x_cache(),
            expected,
            "X-Cache; status {}; body: {:#}",
            self.status,
            self.body
        );
        self
    }

    /// Asserts the status and that the body is a valid error document of `style`.
    pub fn assert_error(&self, style: BackendStyle, status: u16) -> &Value {
        assert_eq!(self.status, status, "status; body: {:#}", self.body);
        assert_matches_schema(style, "error", &self.body);
        &self.body
    }

    /// Asserts 200 and that the body is a valid success document of `style`.
    pub fn assert_ok(&self, style: BackendStyle) -> &Value {
        assert_eq!(self.status, 200, "status; body: {:#}", self.body);
        assert_matches_schema(style, "response", &self.body);
        &self.body
    }
}

/// Sends one request and reads the whole answer.
pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("the request gets an answer");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("the whole body arrives");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = match serde_json::from_slice(&bytes) {
        Ok(json) => json,
        Err(_) if bytes.is_empty() => Value::Null,
        Err(_) => Value::String(text.clone()),
    };
    Reply {
        status,
        headers,
        text,
        body,
    }
}

/// [`send`], for a server whose every answer is JSON or empty: panics on any other body.
pub async fn send_json(request: reqwest::RequestBuilder) -> Reply {
    let reply = send(request).await;
    if !reply.text.is_empty() {
        serde_json::from_str::<Value>(&reply.text).expect("every body is JSON");
    }
    reply
}
