//! Facts of the demo data (seeded users, the role table) and of the demo configuration (keys,
//! routes, the three directions the demo lacks), and requests as a client of each style or a
//! backend itself would send them.

use dragoman::backends::BackendStyle::{self, Camel, Envelope, Snake};
use reqwest::Method;
use serde_json::{json, Value};

use super::http::{client, send};
use super::{url, Stack};

pub const ADMIN: &str = "in-demo-admin";
pub const READER: &str = "in-demo-reader";
pub const UNKNOWN_KEY: &str = "in-not-a-known-key";
pub const JANE: &str = "8f14e45f-ea7a-4c3b-9d2e-5b1a7c3e9f20";
pub const MAX: &str = "c4ca4238-a0b9-4382-8dcc-509a6f75849b";
/// A well-formed id no backend knows.
pub const NOBODY: &str = "00000000-0000-4000-8000-000000000000";

pub const BILLING_MANAGER_ID: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
pub const SENIOR_BILLING_MANAGER_ID: &str = "7f3e2a10-5b8c-4d2e-9a61-0c4b8e2f1d35";
pub const SUPPORT_AGENT_ID: &str = "5a8c1e3f-2b7d-4c9a-b6e0-4d1f3a5c7e82";
pub const ADMIN_ROLE_ID: &str = "1b6f0c2e-8d4a-4f3b-a5e7-2c9d1e0f4a68";
pub const OWNER_ROLE_ID: &str = "9e2d4c6a-3f1b-4a7e-8c5d-6b0a2e4f1c93";

/// Every secret of the harness config: none may ever reach a response body or /metrics.
pub const SECRETS: [&str; 7] = [
    ADMIN,
    READER,
    UNKNOWN_KEY,
    "demo-envelope-backend",
    "demo-camel-backend",
    "in-demo-snake-backend",
    "fake-upstream-secret",
];

pub fn billing_manager_permissions() -> Value {
    json!([
        "calls:read",
        "calls:write",
        "emails:read",
        "emails:write",
        "callouts:read",
        "callouts:write"
    ])
}

pub fn support_agent_permissions() -> Value {
    json!([
        "calls:read",
        "calls:write",
        "emails:read",
        "emails:write",
        "users:read"
    ])
}

pub fn admin_permissions() -> Value {
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

pub fn viewer_permissions() -> Value {
    json!(["calls:read", "emails:read", "callouts:read"])
}

pub fn role_object(name: &str) -> Value {
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
pub const MORE_DIRECTIONS: &str = r#"
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
pub struct Dir {
    pub client: BackendStyle,
    pub backend: BackendStyle,
    pub prefix: &'static str,
}

impl Dir {
    pub const fn new(client: BackendStyle, backend: BackendStyle, prefix: &'static str) -> Self {
        Self {
            client,
            backend,
            prefix,
        }
    }

    pub fn name(&self) -> String {
        format!("{} client -> {} backend", self.client, self.backend)
    }
}

pub const E2C: Dir = Dir::new(Envelope, Camel, "");
pub const E2S: Dir = Dir::new(Envelope, Snake, "/e2s");
pub const C2S: Dir = Dir::new(Camel, Snake, "");
pub const C2E: Dir = Dir::new(Camel, Envelope, "/c2e");
pub const S2E: Dir = Dir::new(Snake, Envelope, "");
pub const S2C: Dir = Dir::new(Snake, Camel, "/s2c");
pub const DIRECTIONS: [Dir; 6] = [E2C, E2S, C2S, C2E, S2E, S2C];

/// The path of a user in a client style, under a route prefix; `raw_id` as the client writes it.
pub fn raw_user_path(client: BackendStyle, prefix: &str, raw_id: &str) -> String {
    match client {
        Envelope => format!("{prefix}/v1/users/{raw_id}"),
        Camel => format!("{prefix}/api/users/{raw_id}"),
        Snake => format!("{prefix}/api/v1/user/{raw_id}"),
    }
}

/// The path of the user with canonical id `id` in a client style.
pub fn user_path(client: BackendStyle, prefix: &str, id: &str) -> String {
    match client {
        Envelope => raw_user_path(client, prefix, &format!("user_{id}")),
        _ => raw_user_path(client, prefix, id),
    }
}

/// A request to the gateway as a client of `style` would send it: the key as a Bearer token,
/// or as the `api_key` query parameter on snake routes.
pub fn gateway(
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
pub fn backend_request(
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
pub async fn stored(stack: &Stack, style: BackendStyle, id: &str) -> Value {
    let r = send(backend_request(stack, style, Method::GET, id)).await;
    assert_eq!(r.status, 200, "{style} backend GET {id}: {}", r.text);
    match style {
        Camel => r.body,
        _ => r.body["data"].clone(),
    }
}

/// A PUT body every client style accepts and every demo backend can hold.
pub fn harmless_put(style: BackendStyle) -> Value {
    match style {
        Envelope | Camel => json!({"status": "active"}),
        Snake => json!({"is_active": true}),
    }
}
