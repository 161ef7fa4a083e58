//! The reference backends, driven over real loopback sockets: what each returns for its seeded
//! users, how partial updates behave, and the exact native error for every bad input. Every
//! body is also checked against the style's shipped response or error schema.

mod common;

use dragoman::backends::{seed_ids, Backend, BackendStyle};
use reqwest::Method;
use serde_json::{json, Value};

// Every body a reference backend sends is JSON, or empty.
use common::http::{send_json as send, Reply};

const JOHN: usize = 0;
const MAX: usize = 2;
const UNKNOWN_UUID: &str = "00000000-0000-4000-8000-000000000000";
const SENIOR_BILLING_MANAGER_ID: &str = "7f3e2a10-5b8c-4d2e-9a61-0c4b8e2f1d35";
const ADMIN_ROLE_ID: &str = "1b6f0c2e-8d4a-4f3b-a5e7-2c9d1e0f4a68";
const BILLING_MANAGER_ID: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

/// One running backend and a client that speaks its credential scheme.
struct Api {
    style: BackendStyle,
    backend: Backend,
    http: reqwest::Client,
}

impl Api {
    async fn start(style: BackendStyle) -> Self {
        Self {
            style,
            backend: common::start_backend(style).await,
            http: common::client(),
        }
    }

    fn prefix(&self) -> &'static str {
        match self.style {
            BackendStyle::Envelope => "/v1/users",
            BackendStyle::Camel => "/api/users",
            BackendStyle::Snake => "/api/v1/user",
        }
    }

    /// The path of a user given by canonical UUID.
    fn user_path(&self, id: &str) -> String {
        match self.style {
            BackendStyle::Envelope => format!("{}/user_{id}", self.prefix()),
            _ => format!("{}/{id}", self.prefix()),
        }
    }

    fn seeded(&self, index: usize) -> String {
        self.user_path(seed_ids()[index])
    }

    /// A request carrying the backend's credential in its own scheme.
    fn authed(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.with_credential(method, path, self.style.demo_credential())
    }

    fn with_credential(
        &self,
        method: Method,
        path: &str,
        credential: &str,
    ) -> reqwest::RequestBuilder {
        match self.style {
            BackendStyle::Snake => {
                let separator = if path.contains('?') { '&' } else { '?' };
                let url = common::url(
                    &self.backend,
                    &format!("{path}{separator}api_key={credential}"),
                );
                self.http.request(method, url)
            }
            _ => self
                .http
                .request(method, common::url(&self.backend, path))
                .bearer_auth(credential),
        }
    }

    fn anonymous(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, common::url(&self.backend, path))
    }

    async fn get(&self, path: &str) -> Reply {
        send(self.authed(Method::GET, path)).await
    }

    async fn put(&self, path: &str, body: &Value) -> Reply {
        send(self.authed(Method::PUT, path).json(body)).await
    }

    async fn put_raw(&self, path: &str, content_type: &str, body: &'static str) -> Reply {
        send(
            self.authed(Method::PUT, path)
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }

    async fn stats(&self) -> u64 {
        let reply = send(self.anonymous(Method::GET, "/__stats")).await;
        assert_eq!(reply.status, 200);
        reply.body["requests"]
            .as_u64()
            .expect("requests is a number")
    }
}

fn now_seconds() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

// ---------------------------------------------------------------------------------------------
// envelope
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn envelope_get_of_a_seeded_user_matches_the_seed_document() {
    let api = Api::start(BackendStyle::Envelope).await;
    let reply = api.get(&api.seeded(JOHN)).await;
    let body = reply.assert_ok(api.style);

    assert_eq!(body["success"], json!(true));
    let user = &body["data"];
    let expected = json!({
        "id": "user_3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "email": "john.doe@company.com",
        "name": "John Doe",
        "company": "Acme Corporation",
        "role": "billing_manager",
        "department": "finance",
        "phone": "+1234567890",
        "account_id": "acc_789123456",
        "status": "active",
        "created_time": "2024-01-15T10:30:00Z",
        "updated_time": "2024-01-15T10:30:00Z",
        "last_login": "2024-01-20T09:15:00Z",
        "permissions": ["calls:read", "calls:write", "emails:read", "emails:write",
                        "callouts:read", "callouts:write"],
        "activity_stats": {
            "total_calls_made": 45,
            "total_emails_sent": 120,
            "total_callouts_created": 8,
            "last_activity": "2024-01-20T09:15:00Z"
        },
        "metadata": {
            "subscription_plan": "premium",
            "timezone": "America/New_York",
            "language": "en"
        }
    });
    assert_eq!(user, &expected);
    assert!(
        body["meta"].get("message").is_none(),
        "GET has no meta.message"
    );
    let request_id = body["meta"]["request_id"].as_str().expect("request_id");
    assert!(request_id.starts_with("req_"), "{request_id}");
    assert_eq!(reply.header("x-request-id"), Some(request_id));
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn envelope_echoes_a_clients_request_id_in_meta_and_header_and_replaces_an_unusable_one() {
    let api = Api::start(BackendStyle::Envelope).await;
    let reply = send(
        api.authed(Method::GET, &api.seeded(JOHN))
            .header("x-request-id", "trace-42"),
    )
    .await;
    assert_eq!(reply.body["meta"]["request_id"], json!("trace-42"));
    assert_eq!(reply.header("x-request-id"), Some("trace-42"));

    let too_long = "x".repeat(129);
    let reply = send(
        api.authed(Method::GET, &api.path_of_unknown())
            .header("x-request-id", too_long.as_str()),
    )
    .await;
    let generated = reply.body["meta"]["request_id"]
        .as_str()
        .expect("request_id");
    assert!(generated.starts_with("req_"), "{generated}");
    assert_eq!(reply.header("x-request-id"), Some(generated));
}

impl Api {
    fn path_of_unknown(&self) -> String {
        self.user_path(UNKNOWN_UUID)
    }
}

#[tokio::test]
async fn envelope_put_changes_only_the_given_fields_and_moves_updated_time() {
    let api = Api::start(BackendStyle::Envelope).await;
    let path = api.seeded(JOHN);
    let before = api.get(&path).await.body["data"].clone();
    let started = now_seconds();

    let reply = api
        .put(
            &path,
            &json!({ "phone": "+1987654321", "department": "sales" }),
        )
        .await;
    let body = reply.assert_ok(api.style);
    assert_eq!(body["meta"]["message"], json!("User updated successfully"));
    let after = &body["data"];
    assert_eq!(after["phone"], json!("+1987654321"));
    assert_eq!(after["department"], json!("sales"));
    let updated = after["updated_time"].as_str().expect("updated_time");
    assert!(
        updated >= started.as_str() && updated > "2024-01-15T10:30:00Z",
        "{updated}"
    );
    for (field, value) in before.as_object().expect("object") {
        if !["phone", "department", "updated_time"].contains(&field.as_str()) {
            assert_eq!(&after[field], value, "{field} must be unchanged");
        }
    }

    let again = api.get(&path).await;
    assert_eq!(&again.assert_ok(api.style)["data"], after);
}

#[tokio::test]
async fn envelope_put_of_the_seed_request_returns_the_seed_documents_data() {
    let api = Api::start(BackendStyle::Envelope).await;
    let request = json!({
        "name": "John Smith",
        "role": "senior_billing_manager",
        "department": "finance",
        "phone": "+1987654321",
        "status": "active",
        "permissions": ["calls:read", "calls:write", "emails:read", "emails:write",
                        "callouts:read", "callouts:write", "users:read"],
        "metadata": {
            "subscription_plan": "enterprise",
            "timezone": "America/Los_Angeles",
            "language": "en",
            "notes": "Promoted to senior role"
        }
    });
    let reply = api.put(&api.seeded(JOHN), &request).await;
    let mut data = reply.assert_ok(api.style)["data"].clone();
    let updated = data
        .as_object_mut()
        .and_then(|d| d.remove("updated_time"))
        .expect("updated_time");
    assert!(updated.as_str() > Some("2024-01-15T10:30:00Z"));
    let expected = json!({
        "id": "user_3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "email": "john.doe@company.com",
        "name": "John Smith",
        "company": "Acme Corporation",
        "role": "senior_billing_manager",
        "department": "finance",
        "phone": "+1987654321",
        "account_id": "acc_789123456",
        "status": "active",
        "created_time": "2024-01-15T10:30:00Z",
        "last_login": "2024-01-20T09:15:00Z",
        "permissions": ["calls:read", "calls:write", "emails:read", "emails:write",
                        "callouts:read", "callouts:write", "users:read"],
        "activity_stats": {
            "total_calls_made": 45,
            "total_emails_sent": 120,
            "total_callouts_created": 8,
            "last_activity": "2024-01-20T09:15:00Z"
        },
        "metadata": {
            "subscription_plan": "enterprise",
            "timezone": "America/Los_Angeles",
            "language": "en",
            "notes": "Promoted to senior role"
        }
    });
    assert_eq!(data, expected);
}

#[tokio::test]
async fn envelope_put_of_a_role_alone_leaves_permissions_as_they_were() {
    let api = Api::start(BackendStyle::Envelope).await;
    let path = api.seeded(JOHN);
    let before = api.get(&path).await.body["data"]["permissions"].clone();
    let reply = api.put(&path, &json!({ "role": "viewer" })).await;
    let data = &reply.assert_ok(api.style)["data"];
    assert_eq!(data["role"], json!("viewer"));
    assert_eq!(data["permissions"], before);
}

#[tokio::test]
async fn envelope_rejects_a_missing_or_wrong_bearer_token_with_401_unauthorized() {
    let api = Api::start(BackendStyle::Envelope).await;
    let path = api.seeded(JOHN);
    let missing = send(api.anonymous(Method::GET, &path)).await;
    let wrong = send(
        api.with_credential(Method::PUT, &path, "not-the-key")
            .json(&json!({})),
    )
    .await;
    for reply in [missing, wrong] {
        let body = reply.assert_error(api.style, 401);
        assert_eq!(body["success"], json!(false));
        assert_eq!(
            body["error"],
            json!({ "code": "UNAUTHORIZED", "message": "Invalid or missing API key" })
        );
        assert!(body["meta"]["timestamp"].is_string());
        assert!(body["meta"]["request_id"].is_string());
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    }
}

#[tokio::test]
async fn envelope_rejects_a_malformed_user_id_with_400_invalid_request() {
    let api = Api::start(BackendStyle::Envelope).await;
    for raw in [
        "123456789",
        "user_",
        "user_a.b",
        "usr_3c90c3cc",
        &format!("user_{}", "a".repeat(65)),
    ] {
        let reply = api.get(&format!("/v1/users/{raw}")).await;
        let body = reply.assert_error(api.style, 400);
        assert_eq!(
            body["error"],
            json!({ "code": "INVALID_REQUEST", "message": "Invalid user ID format" }),
            "{raw}"
        );
    }
}

#[tokio::test]
async fn envelope_answers_404_not_found_for_an_unknown_user() {
    let api = Api::start(BackendStyle::Envelope).await;
    let get = api.get("/v1/users/user_123456789").await;
    let put = api
        .put("/v1/users/user_123456789", &json!({ "department": "x" }))
        .await;
    for reply in [get, put] {
        let body = reply.assert_error(api.style, 404);
        assert_eq!(
            body["error"],
            json!({ "code": "NOT_FOUND", "message": "User not found" })
        );
    }
}

#[tokio::test]
async fn envelope_rejects_a_bad_phone_with_422_and_the_seeds_message() {
    let api = Api::start(BackendStyle::Envelope).await;
    let reply = api
        .put(&api.seeded(JOHN), &json!({ "phone": "555-CALL-NOW" }))
        .await;
    let body = reply.assert_error(api.style, 422);
    assert_eq!(
        body["error"],
        json!({ "code": "VALIDATION_ERROR", "message": "Invalid phone number format" })
    );
}

#[tokio::test]
async fn envelope_joins_several_validation_messages_and_names_read_only_fields() {
    let api = Api::start(BackendStyle::Envelope).await;
    let path = api.seeded(JOHN);
    let reply = api
        .put(
            &path,
            &json!({ "phone": "nope", "status": "gone", "created_time": "2020-01-01T00:00:00Z" }),
        )
        .await;
    let body = reply.assert_error(api.style, 422);
    assert_eq!(body["error"]["code"], json!("VALIDATION_ERROR"));
    let message = body["error"]["message"].as_str().expect("message");
    let mut parts: Vec<&str> = message.split("; ").collect();
    parts.sort_unstable();
    assert_eq!(
        parts,
        [
            "Invalid phone number format",
            "Must be one of: active, disabled, locked",
            "created_time: unknown or read-only field",
        ],
        "{message}"
    );
    // Nothing was applied.
    let data = &api.get(&path).await.body["data"];
    assert_eq!(data["phone"], json!("+1234567890"));
}

#[tokio::test]
async fn envelope_rejects_an_unknown_role_name_with_422() {
    let api = Api::start(BackendStyle::Envelope).await;
    let reply = api
        .put(&api.seeded(JOHN), &json!({ "role": "janitor" }))
        .await;
    let body = reply.assert_error(api.style, 422);
    assert_eq!(body["error"]["code"], json!("VALIDATION_ERROR"));
    assert_eq!(
        body["error"]["message"],
        json!("role: unknown role \"janitor\"")
    );
}

#[tokio::test]
async fn envelope_rejects_a_body_that_is_not_application_json_with_415() {
    let api = Api::start(BackendStyle::Envelope).await;
    let path = api.seeded(JOHN);
    let text = api.put_raw(&path, "text/plain", "{}").await;
    let none = send(api.authed(Method::PUT, &path).body("{}")).await;
    for reply in [text, none] {
        let body = reply.assert_error(api.style, 415);
        assert_eq!(body["error"]["code"], json!("UNSUPPORTED_MEDIA_TYPE"));
    }
    let with_charset = api
        .put_raw(&path, "application/json; charset=utf-8", "{}")
        .await;
    with_charset.assert_ok(api.style);
}

#[tokio::test]
async fn envelope_rejects_a_body_that_is_not_json_with_400_invalid_request_data() {
    let api = Api::start(BackendStyle::Envelope).await;
    let path = api.seeded(JOHN);
    for raw in ["{\"phone\": ", "", "not json"] {
        let reply = api.put_raw(&path, "application/json", raw).await;
        let body = reply.assert_error(api.style, 400);
        assert_eq!(
            body["error"],
            json!({ "code": "INVALID_REQUEST", "message": "Invalid request data" }),
            "{raw:?}"
        );
    }
}

#[tokio::test]
async fn envelope_answers_405_with_allow_for_methods_other_than_get_and_put() {
    let api = Api::start(BackendStyle::Envelope).await;
    for method in [Method::POST, Method::DELETE, Method::PATCH] {
        let reply = send(api.authed(method.clone(), &api.seeded(JOHN))).await;
        let body = reply.assert_error(api.style, 405);
        assert_eq!(
            body["error"]["code"],
            json!("METHOD_NOT_ALLOWED"),
            "{method}"
        );
        assert_eq!(reply.header("allow"), Some("GET, PUT"));
    }
}

#[tokio::test]
async fn envelope_answers_404_in_its_own_format_for_unknown_paths() {
    let api = Api::start(BackendStyle::Envelope).await;
    for path in ["/", "/v1/users", "/v1/users/user_1/extra", "/api/users/x"] {
        let reply = api.get(path).await;
        let body = reply.assert_error(api.style, 404);
        assert_eq!(body["error"]["code"], json!("NOT_FOUND"), "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// camel
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn camel_get_of_a_seeded_user_returns_the_bare_resource_with_role_objects() {
    let api = Api::start(BackendStyle::Camel).await;
    let reply = api.get(&api.seeded(JOHN)).await;
    let user = reply.assert_ok(api.style);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        user,
        &json!({
            "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "email": "john.doe@company.com",
            "type": "member",
            "status": "active",
            "createdAt": "2024-01-15T10:30:00Z",
            "updatedAt": "2024-01-15T10:30:00Z",
            "firstName": "John",
            "lastName": "Doe",
            "isService": false,
            "roles": [{
                "id": BILLING_MANAGER_ID,
                "name": "billing_manager",
                "description": "Manages billing, invoices and payment methods"
            }]
        })
    );

    let max = api.get(&api.seeded(MAX)).await;
    assert_eq!(max.assert_ok(api.style)["status"], json!("locked"));
}

#[tokio::test]
async fn camel_put_changes_only_the_given_fields_expands_roles_and_moves_updated_at() {
    let api = Api::start(BackendStyle::Camel).await;
    let path = api.seeded(JOHN);
    let before = api.get(&path).await.body;
    let started = now_seconds();

    let reply = api
        .put(
            &path,
            &json!({
                "firstName": "Johnny",
                "type": "author",
                "roles": [SENIOR_BILLING_MANAGER_ID, ADMIN_ROLE_ID.to_uppercase()]
            }),
        )
        .await;
    let after = reply.assert_ok(api.style).clone();
    assert_eq!(after["firstName"], json!("Johnny"));
    assert_eq!(after["type"], json!("author"));
    let role_names: Vec<&str> = after["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert_eq!(role_names, ["senior_billing_manager", "admin"]);
    assert_eq!(after["roles"][1]["id"], json!(ADMIN_ROLE_ID));
    let updated = after["updatedAt"].as_str().expect("updatedAt");
    assert!(
        updated >= started.as_str() && updated > "2024-01-15T10:30:00Z",
        "{updated}"
    );
    for field in [
        "id",
        "email",
        "status",
        "createdAt",
        "lastName",
        "isService",
    ] {
        assert_eq!(after[field], before[field], "{field} must be unchanged");
    }
    assert_eq!(api.get(&path).await.body, after);
}

#[tokio::test]
async fn camel_rejects_a_missing_or_wrong_bearer_token_with_a_401_problem() {
    let api = Api::start(BackendStyle::Camel).await;
    let path = api.seeded(JOHN);
    let missing = send(api.anonymous(Method::GET, &path)).await;
    let wrong = send(api.with_credential(Method::GET, &path, "demo-envelope-backend")).await;
    for reply in [missing, wrong] {
        let body = reply.assert_error(api.style, 401);
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(
            body,
            &json!({
                "type": "about:blank",
                "title": "Unauthorized",
                "status": 401,
                "detail": "Invalid or missing bearer token",
                "instance": path,
            })
        );
    }
}

#[tokio::test]
async fn camel_rejects_a_user_id_that_is_not_a_uuid_with_a_400_problem() {
    let api = Api::start(BackendStyle::Camel).await;
    for raw in [
        "user_3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "42",
        "3c90c3cc0d444b5088888dd25736052a",
    ] {
        let reply = api.get(&format!("/api/users/{raw}")).await;
        let body = reply.assert_error(api.style, 400);
        assert_eq!(body["detail"], json!("Invalid user ID format"), "{raw}");
        assert_eq!(body["status"], json!(400));
    }
}

#[tokio::test]
async fn camel_answers_a_404_problem_for_an_unknown_user() {
    let api = Api::start(BackendStyle::Camel).await;
    let reply = api.get(&api.path_of_unknown()).await;
    let body = reply.assert_error(api.style, 404);
    assert_eq!(body["title"], json!("Not Found"));
    assert_eq!(body["detail"], json!("User not found"));
}

#[tokio::test]
async fn camel_lists_each_invalid_field_as_a_pointer_in_a_422_problem() {
    let api = Api::start(BackendStyle::Camel).await;
    let path = api.seeded(JOHN);
    let reply = api
        .put(
            &path,
            &json!({ "firstName": "", "status": "gone", "roles": ["not-a-uuid"], "createdAt": "x" }),
        )
        .await;
    let body = reply.assert_error(api.style, 422);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(body["title"], json!("Unprocessable Content"));
    assert_eq!(body["detail"], json!("Validation failed"));
    let mut errors: Vec<(String, String)> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["pointer"].as_str().unwrap_or_default().to_owned(),
                e["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            ("/createdAt".into(), "unknown or read-only field".into()),
            (
                "/firstName".into(),
                "firstName must be a non-empty string".into()
            ),
            ("/roles/0".into(), "Invalid UUID".into()),
            (
                "/status".into(),
                "Must be one of: active, disabled, locked".into()
            ),
        ]
    );
    assert_eq!(api.get(&path).await.body["firstName"], json!("John"));
}

#[tokio::test]
async fn camel_rejects_an_unknown_role_id_with_a_422_pointing_at_it() {
    let api = Api::start(BackendStyle::Camel).await;
    let reply = api
        .put(
            &api.seeded(JOHN),
            &json!({ "roles": [ADMIN_ROLE_ID, UNKNOWN_UUID] }),
        )
        .await;
    let body = reply.assert_error(api.style, 422);
    assert_eq!(
        body["errors"],
        json!([{ "pointer": "/roles/1", "detail": format!("Unknown role {UNKNOWN_UUID}") }])
    );
}

#[tokio::test]
async fn camel_rejects_a_wrong_content_type_with_415_and_a_non_json_body_with_400() {
    let api = Api::start(BackendStyle::Camel).await;
    let path = api.seeded(JOHN);
    let reply = api.put_raw(&path, "application/xml", "<user/>").await;
    assert_eq!(
        reply.assert_error(api.style, 415)["title"],
        json!("Unsupported Media Type")
    );
    let reply = api
        .put_raw(&path, "application/json", "{firstName: 1}")
        .await;
    let body = reply.assert_error(api.style, 400);
    assert_eq!(body["title"], json!("Bad Request"));
    assert_eq!(body["detail"], json!("Request body is not valid JSON"));
}

#[tokio::test]
async fn camel_answers_405_with_allow_for_methods_other_than_get_and_put() {
    let api = Api::start(BackendStyle::Camel).await;
    let reply = send(api.authed(Method::DELETE, &api.seeded(JOHN))).await;
    let body = reply.assert_error(api.style, 405);
    assert_eq!(body["title"], json!("Method Not Allowed"));
    assert_eq!(reply.header("allow"), Some("GET, PUT"));
}

// ---------------------------------------------------------------------------------------------
// snake
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn snake_get_of_a_seeded_user_returns_message_meta_and_data() {
    let api = Api::start(BackendStyle::Snake).await;
    let reply = api.get(&api.seeded(JOHN)).await;
    let body = reply.assert_ok(api.style);
    assert_eq!(body["message"], json!("Data retrieved successfully"));
    assert_eq!(body["meta"], json!({}));
    let user = &body["data"];
    assert_eq!(user["id"], json!("3c90c3cc-0d44-4b50-8888-8dd25736052a"));
    assert_eq!(user["first_name"], json!("John"));
    assert_eq!(user["last_name"], json!("Doe"));
    assert_eq!(user["email"], json!("john.doe@company.com"));
    assert_eq!(user["is_active"], json!(true));
    assert_eq!(user["is_superuser"], json!(false));
    assert_eq!(user["role_id"], json!(BILLING_MANAGER_ID));
    assert_eq!(user["phone"], json!("+1234567890"));
    assert!(user["stripe_customer_id"].is_string());
    assert!(user.get("updated_at").is_none() && user.get("updatedAt").is_none());

    let max = api.get(&api.seeded(MAX)).await;
    assert_eq!(max.assert_ok(api.style)["data"]["is_active"], json!(false));
}

#[tokio::test]
async fn snake_accepts_every_uuid_spelling_fastapi_accepts() {
    let api = Api::start(BackendStyle::Snake).await;
    for raw in [
        "3C90C3CC-0D44-4B50-8888-8DD25736052A",
        "3c90c3cc0d444b5088888dd25736052a",
    ] {
        let reply = api.get(&format!("/api/v1/user/{raw}")).await;
        assert_eq!(
            reply.assert_ok(api.style)["data"]["first_name"],
            json!("John"),
            "{raw}"
        );
    }
}

#[tokio::test]
async fn snake_put_changes_only_the_given_fields_and_leaves_billing_updated_at_alone() {
    let api = Api::start(BackendStyle::Snake).await;
    let path = api.seeded(JOHN);
    let before = api.get(&path).await.body["data"].clone();
    let reply = api
        .put(
            &path,
            &json!({ "first_name": "Johnny", "role_id": SENIOR_BILLING_MANAGER_ID }),
        )
        .await;
    let body = reply.assert_ok(api.style);
    assert_eq!(body["message"], json!("Data updated successfully"));
    let after = body["data"].clone();
    assert_eq!(after["first_name"], json!("Johnny"));
    assert_eq!(after["role_id"], json!(SENIOR_BILLING_MANAGER_ID));
    for (field, value) in before.as_object().expect("object") {
        if !["first_name", "role_id"].contains(&field.as_str()) {
            assert_eq!(&after[field], value, "{field} must be unchanged");
        }
    }
    assert_eq!(api.get(&path).await.body["data"], after);
}

#[tokio::test]
async fn snake_null_clears_a_nullable_field_and_absent_leaves_it() {
    let api = Api::start(BackendStyle::Snake).await;
    let path = api.seeded(JOHN);
    let reply = api
        .put(&path, &json!({ "phone": null, "birthdate": null }))
        .await;
    let data = &reply.assert_ok(api.style)["data"];
    assert_eq!(data["phone"], Value::Null);
    assert_eq!(data["birthdate"], Value::Null);
    assert_eq!(
        data["address"],
        json!("350 Fifth Avenue, New York, NY 10118")
    );
    let again = api.get(&path).await;
    let data = &again.assert_ok(api.style)["data"];
    assert!(data.get("phone").is_some_and(Value::is_null));
}

#[tokio::test]
async fn snake_refuses_to_clear_email_or_is_active() {
    let api = Api::start(BackendStyle::Snake).await;
    let reply = api
        .put(
            &api.seeded(JOHN),
            &json!({ "email": null, "is_active": null }),
        )
        .await;
    let body = reply.assert_error(api.style, 422);
    assert_eq!(
        body["detail"],
        json!([
            { "loc": ["body", "email"], "msg": "Value error, email cannot be cleared", "type": "value_error" },
            { "loc": ["body", "is_active"], "msg": "Value error, is_active cannot be cleared", "type": "value_error" }
        ])
    );
}

#[tokio::test]
async fn snake_answers_401_not_authenticated_without_an_api_key() {
    let api = Api::start(BackendStyle::Snake).await;
    let path = api.seeded(JOHN);
    let absent = send(api.anonymous(Method::GET, &path)).await;
    let empty = send(api.anonymous(Method::GET, &format!("{path}?api_key="))).await;
    for reply in [absent, empty] {
        let body = reply.assert_error(api.style, 401);
        assert_eq!(body, &json!({ "detail": "Not authenticated" }));
    }
}

#[tokio::test]
async fn snake_answers_401_invalid_api_key_for_a_wrong_key_without_echoing_it() {
    let api = Api::start(BackendStyle::Snake).await;
    let path = api.seeded(JOHN);
    for key in [
        "in-wrong-secret-123",
        "demo-snake-backend",
        "in-demo-snake-backendX",
    ] {
        let reply = send(api.with_credential(Method::GET, &path, key)).await;
        let body = reply.assert_error(api.style, 401);
        assert_eq!(body, &json!({ "detail": "Invalid API key" }), "{key}");
        assert!(!body.to_string().contains(key));
    }
}

#[tokio::test]
async fn snake_rejects_a_user_id_that_is_not_a_uuid_as_fastapi_path_validation() {
    let api = Api::start(BackendStyle::Snake).await;
    let reply = api.get("/api/v1/user/user_123").await;
    let body = reply.assert_error(api.style, 422);
    assert_eq!(
        body,
        &json!({ "detail": [{
            "loc": ["path", "user_id"],
            "msg": "Input should be a valid UUID",
            "type": "uuid_parsing"
        }]})
    );
}

#[tokio::test]
async fn snake_answers_404_user_not_found_for_an_unknown_user() {
    let api = Api::start(BackendStyle::Snake).await;
    let reply = api
        .put(&api.path_of_unknown(), &json!({ "state": "NY" }))
        .await;
    assert_eq!(
        reply.assert_error(api.style, 404),
        &json!({ "detail": "User not found" })
    );
}

#[tokio::test]
async fn snake_reports_each_body_error_with_loc_msg_and_a_pydantic_type() {
    let api = Api::start(BackendStyle::Snake).await;
    let reply = api
        .put(
            &api.seeded(JOHN),
            &json!({
                "email": "not-an-email",
                "is_active": "yes",
                "role_id": "nope",
                "follower_count": 1000
            }),
        )
        .await;
    let body = reply.assert_error(api.style, 422);
    let mut detail: Vec<Value> = body["detail"].as_array().expect("list").clone();
    detail.sort_by_key(|e| e["loc"].to_string());
    assert_eq!(
        detail,
        [
            json!({ "loc": ["body", "email"], "msg": "Invalid email address", "type": "value_error" }),
            json!({ "loc": ["body", "follower_count"], "msg": "Extra inputs are not permitted", "type": "extra_forbidden" }),
            json!({ "loc": ["body", "is_active"], "msg": "Must be true, false or null", "type": "bool_type" }),
            json!({ "loc": ["body", "role_id"], "msg": "Invalid UUID", "type": "uuid_parsing" }),
        ]
    );
}

#[tokio::test]
async fn snake_rejects_an_unknown_role_id_with_422() {
    let api = Api::start(BackendStyle::Snake).await;
    let reply = api
        .put(&api.seeded(JOHN), &json!({ "role_id": UNKNOWN_UUID }))
        .await;
    let body = reply.assert_error(api.style, 422);
    assert_eq!(
        body["detail"],
        json!([{
            "loc": ["body", "role_id"],
            "msg": format!("Value error, unknown role {UNKNOWN_UUID}"),
            "type": "value_error"
        }])
    );
}

#[tokio::test]
async fn snake_rejects_a_wrong_content_type_with_415() {
    let api = Api::start(BackendStyle::Snake).await;
    let reply = api
        .put_raw(
            &api.seeded(JOHN),
            "application/x-www-form-urlencoded",
            "state=NY",
        )
        .await;
    assert_eq!(
        reply.assert_error(api.style, 415),
        &json!({ "detail": "Unsupported Media Type" })
    );
}

#[tokio::test]
async fn snake_answers_a_body_that_is_not_json_with_fastapis_422_json_invalid() {
    let api = Api::start(BackendStyle::Snake).await;
    let path = api.seeded(JOHN);
    let reply = api
        .put_raw(&path, "application/json", "{\"state\": }")
        .await;
    let body = reply.assert_error(api.style, 422);
    let error = &body["detail"][0];
    assert_eq!(error["type"], json!("json_invalid"));
    assert_eq!(error["msg"], json!("JSON decode error"));
    assert_eq!(error["loc"], json!(["body", 10]));

    let reply = api.put_raw(&path, "application/json", "").await;
    let body = reply.assert_error(api.style, 422);
    assert_eq!(
        body["detail"],
        json!([{ "loc": ["body"], "msg": "Field required", "type": "missing" }])
    );

    let reply = api.put_raw(&path, "application/json", "[1, 2]").await;
    let body = reply.assert_error(api.style, 422);
    assert_eq!(body["detail"][0]["type"], json!("model_attributes_type"));
    assert_eq!(body["detail"][0]["loc"], json!(["body"]));
}

#[tokio::test]
async fn snake_answers_405_with_allow_for_methods_other_than_get_and_put() {
    let api = Api::start(BackendStyle::Snake).await;
    let reply = send(api.authed(Method::POST, &api.seeded(JOHN))).await;
    assert_eq!(
        reply.assert_error(api.style, 405),
        &json!({ "detail": "Method Not Allowed" })
    );
    assert_eq!(reply.header("allow"), Some("GET, PUT"));
}

// ---------------------------------------------------------------------------------------------
// every style
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_style_serves_all_three_seed_users_with_valid_documents() {
    for style in BackendStyle::ALL {
        let api = Api::start(style).await;
        for index in 0..3 {
            api.get(&api.seeded(index)).await.assert_ok(style);
        }
    }
}

#[tokio::test]
async fn stats_count_every_user_api_request_whatever_its_outcome_and_nothing_else() {
    for style in BackendStyle::ALL {
        let api = Api::start(style).await;
        assert_eq!(api.stats().await, 0, "{style}");
        api.get(&api.seeded(JOHN)).await; // 200
        send(api.anonymous(Method::GET, &api.seeded(JOHN))).await; // 401
        api.get(&api.path_of_unknown()).await; // 404
        send(api.authed(Method::DELETE, &api.seeded(JOHN))).await; // 405
        api.get(&format!("{}/a/b", api.prefix())).await; // 404 under the user path
        api.get("/elsewhere").await; // not the user API
        api.stats().await; // not counted either
        assert_eq!(api.stats().await, 5, "{style}");
        assert_eq!(api.backend.stats(), 5, "{style}");
    }
}

#[tokio::test]
async fn every_style_refuses_a_body_over_one_mebibyte_with_413() {
    let big = format!("{{\"padding\": \"{}\"}}", "x".repeat(1024 * 1024));
    for style in BackendStyle::ALL {
        let api = Api::start(style).await;
        let reply = send(
            api.authed(Method::PUT, &api.seeded(JOHN))
                .header("content-type", "application/json")
                .body(big.clone()),
        )
        .await;
        reply.assert_error(style, 413);
        // The connection is still usable for the next request.
        api.get(&api.seeded(JOHN)).await.assert_ok(style);
    }
}

#[tokio::test]
async fn a_rejected_put_with_an_unread_body_keeps_the_connection_open_for_the_next_request() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let api = Api::start(BackendStyle::Envelope).await;
    let path = api.seeded(JOHN);
    let body = format!(
        "{{\"metadata\": {{\"notes\": \"{}\"}}}}",
        "x".repeat(300_000)
    );
    let rejected = format!(
        "PUT {path} HTTP/1.1\r\nHost: backend\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let next = format!(
        "GET {path} HTTP/1.1\r\nHost: backend\r\nAuthorization: Bearer {}\r\n\
         Connection: close\r\n\r\n",
        api.style.demo_credential()
    );
    let mut stream = tokio::net::TcpStream::connect(api.backend.addr())
        .await
        .expect("connect");
    stream
        .write_all(format!("{rejected}{next}").as_bytes())
        .await
        .expect("write both requests");
    let mut answer = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_string(&mut answer),
    )
    .await
    .expect("both answers arrive")
    .expect("read");
    // Bodies end without a newline, so status lines are found anywhere, not per line.
    let statuses: Vec<&str> = answer
        .match_indices("HTTP/1.1 ")
        .map(|(at, _)| &answer[at..at + 12])
        .collect();
    assert_eq!(statuses, ["HTTP/1.1 401", "HTTP/1.1 200"], "{answer:.600}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_puts_all_succeed_and_leave_a_consistent_document() {
    for style in BackendStyle::ALL {
        let api = std::sync::Arc::new(Api::start(style).await);
        // Each writer sets two fields to values carrying its number; a torn write would leave
        // them with different numbers.
        let (first, second) = match style {
            BackendStyle::Envelope => ("department", "company"),
            BackendStyle::Camel => ("firstName", "lastName"),
            BackendStyle::Snake => ("state", "country"),
        };
        let mut writers = tokio::task::JoinSet::new();
        for n in 0..16 {
            let api = api.clone();
            writers.spawn(async move {
                let body = json!({ first: format!("v{n}"), second: format!("v{n}") });
                api.put(&api.seeded(JOHN), &body).await.status
            });
        }
        while let Some(status) = writers.join_next().await {
            assert_eq!(status.expect("writer task"), 200, "{style}");
        }
        let reply = api.get(&api.seeded(JOHN)).await;
        let body = reply.assert_ok(style);
        let user = if style == BackendStyle::Camel {
            body
        } else {
            &body["data"]
        };
        assert!(
            user[first].as_str().is_some_and(|v| v.starts_with('v')),
            "{style}"
        );
        assert_eq!(user[first], user[second], "{style}: a write was torn");
        assert_eq!(api.backend.stats(), 17, "{style}");
    }
}

#[tokio::test]
async fn shutdown_stops_accepting_connections() {
    let api = Api::start(BackendStyle::Envelope).await;
    let addr = api.backend.addr();
    api.get(&api.seeded(JOHN)).await.assert_ok(api.style);
    api.backend.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn styles_parse_from_and_display_as_their_names() {
    for style in BackendStyle::ALL {
        assert_eq!(style.to_string().parse::<BackendStyle>().ok(), Some(style));
    }
    assert!("kebab".parse::<BackendStyle>().is_err());
    assert_eq!(
        BackendStyle::Envelope.demo_credential(),
        "demo-envelope-backend"
    );
    assert_eq!(BackendStyle::Camel.demo_credential(), "demo-camel-backend");
    assert_eq!(
        BackendStyle::Snake.demo_credential(),
        "in-demo-snake-backend"
    );
}

#[tokio::test]
async fn a_snake_backend_refuses_to_start_with_a_key_no_client_could_present() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let started = Backend::start(BackendStyle::Snake, listener, "no-prefix".to_owned()).await;
    assert!(started.is_err());
}
