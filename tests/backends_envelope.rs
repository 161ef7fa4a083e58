//! The envelope reference backend, driven over a real loopback socket: what it returns for
//! its seeded users, how partial updates behave, and the exact native error (`success:
//! false`, `error.code`) for every bad input. Every body is also checked against the
//! envelope response or error schema.

mod common;

use common::backends::{now_seconds, Api, JOHN};
use dragoman::backends::BackendStyle;
use reqwest::Method;
use serde_json::json;

// Every body a reference backend sends is JSON, or empty.
use common::http::send_json as send;

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
