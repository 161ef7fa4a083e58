//! The `dragoman translate --kind response` subcommand, driven through the real binary: a
//! success document becomes the target style's (with a request id, kept when it has one), a
//! bare stored resource stays bare, empty roles and null names take the target's empty forms,
//! and a response that cannot be translated fails with the reason.

mod common;

use common::cli::{dragoman, dragoman_with_stdin, fixture, json, path_str, seed, stderr};
use serde_json::Value;

#[test]
fn the_camel_response_seed_becomes_a_success_envelope_with_a_request_id() {
    let o = dragoman(&[
        "translate",
        "--from",
        "camel",
        "--to",
        "envelope",
        "--kind",
        "response",
        path_str(&seed("camel-put-response.json")),
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let doc = json(&o);
    assert_eq!(doc["success"], true);
    assert_eq!(
        doc["data"]["id"],
        "user_3c90c3cc-0d44-4b50-8888-8dd25736052a"
    );
    assert_eq!(doc["data"]["name"], "Jane Smith");
    let request_id = doc["meta"]["request_id"].as_str().expect("meta.request_id");
    assert!(request_id.starts_with("req_") && request_id.len() > 4);
    assert!(doc["meta"]["timestamp"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
}

#[test]
fn a_response_keeps_its_own_request_id() {
    let o = dragoman(&[
        "translate",
        "--from",
        "envelope",
        "--to",
        "envelope",
        "--kind",
        "response",
        path_str(&seed("envelope-get-response.json")),
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(json(&o)["meta"]["request_id"], "req_123456789");
}

#[test]
fn a_bare_stored_resource_becomes_a_bare_resource() {
    let o = dragoman(&[
        "translate",
        "--from",
        "snake",
        "--to",
        "envelope",
        "--kind",
        "response",
        path_str(&fixture("snake-resource.json")),
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let doc = json(&o);
    assert!(doc.get("success").is_none(), "not wrapped: {doc}");
    assert_eq!(doc["id"], "user_3c90c3cc-0d44-4b50-8888-8dd25736052a");
    assert_eq!(doc["name"], "Jane Smith");
    assert_eq!(doc["role"], "billing_manager");
    let err = stderr(&o);
    assert!(
        err.contains("input: dropped") && err.contains("stripe_customer_id"),
        "fields envelope cannot hold are named: {err}"
    );
}

#[test]
fn a_response_that_cannot_be_translated_fails_with_the_reason() {
    // The envelope seed's id is not a UUID, which camel ids must be.
    let o = dragoman(&[
        "translate",
        "--from",
        "envelope",
        "--to",
        "camel",
        "--kind",
        "response",
        path_str(&seed("envelope-get-response.json")),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(stderr(&o).contains("input: "), "stderr: {}", stderr(&o));
}

#[test]
fn a_camel_user_without_roles_translates_to_every_style_as_a_response() {
    let user = br#"{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","email":"a@b.co","firstName":"Jo","lastName":"Doe","status":"active","roles":[]}"#;
    for to in ["envelope", "snake", "camel"] {
        let o = dragoman_with_stdin(
            &[
                "translate",
                "--from",
                "camel",
                "--to",
                to,
                "--kind",
                "response",
            ],
            user,
        );
        assert!(o.status.success(), "to {to}: stderr: {}", stderr(&o));
        let doc = json(&o);
        match to {
            "envelope" => assert!(doc["data"].get("role").is_none(), "{doc}"),
            "snake" => assert_eq!(doc["data"]["role_id"], Value::Null, "{doc}"),
            _ => assert_eq!(doc["roles"], serde_json::json!([]), "{doc}"),
        }
    }
}

#[test]
fn a_snake_user_with_a_null_role_and_first_name_translates_to_camel_with_empty_forms() {
    let user = br#"{"message":"m","meta":{},"data":{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","email":"a@b.co","first_name":null,"last_name":"Doe","is_active":true,"role_id":null}}"#;
    let o = dragoman_with_stdin(
        &[
            "translate",
            "--from",
            "snake",
            "--to",
            "camel",
            "--kind",
            "response",
        ],
        user,
    );
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let doc = json(&o);
    assert_eq!(doc["roles"], serde_json::json!([]));
    assert_eq!(doc["firstName"], "");
}
