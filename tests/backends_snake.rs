//! The snake reference backend, driven over a real loopback socket: what it returns for its
//! seeded users, which UUID spellings and nulls it accepts, and the exact FastAPI-style
//! `detail` for every bad input. Every body is also checked against the snake response or
//! error schema.

mod common;

use common::backends::{Api, JOHN, MAX};
use common::demo::{BILLING_MANAGER_ID, NOBODY as UNKNOWN_UUID, SENIOR_BILLING_MANAGER_ID};
use dragoman::backends::BackendStyle;
use reqwest::Method;
use serde_json::{json, Value};

// Every body a reference backend sends is JSON, or empty.
use common::http::send_json as send;

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
