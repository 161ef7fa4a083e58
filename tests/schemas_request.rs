//! The request (PUT body) schemas under `schemas/`: an empty object is valid and unknown or
//! read-only fields are refused in every style, camel roles are unique UUIDs, camel and
//! envelope refuse null while snake accepts it for every field, and the snake request holds
//! exactly the seed's body fields.

mod common;

use std::collections::BTreeSet;

use common::schemas::{
    assert_invalid, assert_valid, compile, fixture, schema, user_def, validator, STYLES,
};
use serde_json::{json, Map, Value};

#[test]
fn an_empty_object_is_a_valid_request_in_every_style() {
    for style in STYLES {
        assert_valid(
            &validator(style, "request"),
            &json!({}),
            &format!("{{}} as a {style} request"),
        );
        assert_eq!(
            schema(style, "request").get("required"),
            None,
            "{style}: PUT requires nothing"
        );
    }
}

#[test]
fn an_unknown_request_field_is_refused_in_every_style() {
    let requests = [
        ("envelope", "envelope-put-request.json", "nickname"),
        ("camel", "camel-put-request.json", "nickname"),
        ("snake", "snake-put-request.json", "nickname"),
        // Read-only fields of the resource are unknown to the request too.
        ("envelope", "envelope-put-request.json", "account_id"),
        ("camel", "camel-put-request.json", "email"),
        ("snake", "snake-put-request.json", "follower_count"),
    ];
    for (style, file, field) in requests {
        let mut body = fixture(file);
        body[field] = json!("x");
        let v = validator(style, "request");
        let error = v
            .validate(&body)
            .expect_err(&format!("{style} request with {field}"));
        assert_eq!(
            error.kind().keyword(),
            "additionalProperties",
            "{style} {field}"
        );
        assert!(
            error.to_string().contains(field),
            "the error names the field: {error}"
        );
        // An unknown field alone is refused as well.
        assert_invalid(&v, &json!({ field: "x" }), &format!("{style} {{{field}}}"));
    }
}

#[test]
fn a_non_uuid_camel_role_is_refused() {
    let v = validator("camel", "request");
    let body = json!({"roles": ["3c90c3cc-0d44-4b50-8888-8dd25736052a", "not-a-uuid"]});
    let error = v.validate(&body).unwrap_err();
    assert_eq!(error.instance_path().as_str(), "/roles/1");
    assert_eq!(error.kind().keyword(), "format");
    assert_invalid(
        &v,
        &json!({"roles": [{"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a"}]}),
        "role objects in a request",
    );
    assert_invalid(
        &v,
        &json!({"roles": ["3c90c3cc-0d44-4b50-8888-8dd25736052a", "3c90c3cc-0d44-4b50-8888-8dd25736052a"]}),
        "a repeated role",
    );
    // And in a response, role objects need a UUID id.
    let mut document = fixture("camel-put-response.json");
    document["roles"][0]["id"] = json!("billing_manager");
    assert_invalid(
        &validator("camel", "response"),
        &document,
        "a response role with a non-UUID id",
    );
}

#[test]
fn camel_and_envelope_requests_refuse_null() {
    for (style, file) in [
        ("envelope", "envelope-put-request.json"),
        ("camel", "camel-put-request.json"),
    ] {
        let v = validator(style, "request");
        for field in fixture(file).as_object().unwrap().keys() {
            assert_invalid(
                &v,
                &json!({ field: null }),
                &format!("{style} {field}: null"),
            );
        }
    }
}

#[test]
fn snake_accepts_null_for_every_request_field() {
    let schema = schema("snake", "request");
    let properties = schema["properties"].as_object().unwrap();
    let all_null: Map<String, Value> = properties
        .keys()
        .map(|k| (k.clone(), Value::Null))
        .collect();
    let v = compile(&schema);
    assert_valid(&v, &Value::Object(all_null), "every snake field null");
    for field in properties.keys() {
        assert_valid(&v, &json!({ field: null }), &format!("snake {field}: null"));
    }
}

#[test]
fn the_snake_request_holds_exactly_the_seeds_body_fields() {
    let seed_body = [
        "first_name",
        "last_name",
        "email",
        "is_active",
        "is_superuser",
        "birthdate",
        "is_enterprise",
        "role_id",
        "phone",
        "state",
        "country",
        "address",
        "active_billing_plan_id",
        "next_billing_plan_id",
        "stripe_customer_id",
        "stripe_subscription_id",
        "stripe_subscription_status",
        "stripe_has_payment_method",
        "is_trial",
        "used_trial",
        "is_paying",
        "stripe_last_payment_date",
        "billing_updated_at",
        "last_credits_refresh",
        "next_credits_refresh",
    ];
    let schema = schema("snake", "request");
    let keys: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = seed_body.to_vec();
    sorted.sort_unstable();
    let mut keys_sorted = keys.clone();
    keys_sorted.sort_unstable();
    assert_eq!(keys_sorted, sorted);
    let fixture_keys: Vec<String> = fixture("snake-put-request.json")
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let mut fixture_sorted: Vec<&str> = fixture_keys.iter().map(String::as_str).collect();
    fixture_sorted.sort_unstable();
    assert_eq!(
        fixture_sorted, sorted,
        "the request fixture carries every Body field"
    );
    // The response resource holds those plus the read-only fields.
    let user_keys: BTreeSet<String> = user_def("snake")["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let expected: BTreeSet<String> = seed_body
        .iter()
        .chain(["id", "follower_count", "following_count"].iter())
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(user_keys, expected);
}
