//! The camel reference backend, driven over a real loopback socket: the bare resource with
//! role objects it returns for its seeded users, how partial updates expand role ids, and the
//! RFC 9457 problem for every bad input. Every body is also checked against the camel response
//! or error schema.

mod common;

use common::backends::{now_seconds, Api, JOHN, MAX};
use common::demo::{
    ADMIN_ROLE_ID, BILLING_MANAGER_ID, NOBODY as UNKNOWN_UUID, SENIOR_BILLING_MANAGER_ID,
};
use dragoman::backends::BackendStyle;
use reqwest::Method;
use serde_json::json;

// Every body a reference backend sends is JSON, or empty.
use common::http::send_json as send;

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
