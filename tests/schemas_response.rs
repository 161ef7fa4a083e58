//! The response schemas under `schemas/`: the user resource inside every seed response
//! validates against the style's user definition, which requires only the identifying fields,
//! refuses a missing email or a null where none is allowed, checks formats, and allows fields
//! a newer backend adds.

mod common;

use std::collections::BTreeSet;

use common::schemas::{
    assert_invalid, assert_valid, fixture, user_def, user_validator, validator, FIXTURES,
};
use serde_json::{json, Value};

/// The user resource inside a style's success document.
fn resource<'a>(style: &str, document: &'a Value) -> &'a Value {
    match style {
        "camel" => document,
        _ => &document["data"],
    }
}

#[test]
fn the_resource_inside_every_response_validates_against_the_user_definition() {
    for (file, style, kind) in FIXTURES {
        if *kind == "response" {
            let document = fixture(file);
            assert_valid(&user_validator(style), resource(style, &document), file);
        }
    }
}

#[test]
fn a_response_requires_only_id_email_name_and_status() {
    let required = |style: &str| -> BTreeSet<String> {
        user_def(style)["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let set = |names: &[&str]| {
        names
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(
        required("envelope"),
        set(&["id", "email", "name", "status"])
    );
    assert_eq!(
        required("camel"),
        set(&["id", "email", "firstName", "lastName", "status"])
    );
    assert_eq!(
        required("snake"),
        set(&["id", "email", "first_name", "last_name", "is_active"])
    );

    let minimal = [
        (
            "envelope",
            json!({"id": "user_1", "email": "a@example.com", "name": "A", "status": "active"}),
        ),
        (
            "camel",
            json!({"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "email": "a@example.com",
            "firstName": "A", "lastName": "", "status": "locked"}),
        ),
        (
            "snake",
            json!({"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "email": "a@example.com",
            "first_name": null, "last_name": null, "is_active": false}),
        ),
    ];
    for (style, user) in minimal {
        assert_valid(
            &user_validator(style),
            &user,
            &format!("a minimal {style} user"),
        );
    }
}

#[test]
fn a_response_missing_email_is_refused_in_every_style() {
    for (file, style, kind) in FIXTURES {
        if *kind != "response" {
            continue;
        }
        let mut document = fixture(file);
        let user = match *style {
            "camel" => &mut document,
            _ => &mut document["data"],
        };
        user.as_object_mut().unwrap().remove("email");
        let bare = resource(style, &document).clone();
        assert_invalid(
            &validator(style, "response"),
            &document,
            &format!("{file} without email"),
        );
        assert_invalid(
            &user_validator(style),
            &bare,
            &format!("{file}'s resource without email"),
        );
        let error = user_validator(style).validate(&bare).unwrap_err();
        assert_eq!(error.kind().keyword(), "required");
    }
}

#[test]
fn responses_allow_fields_a_newer_backend_adds() {
    for (file, style, kind) in FIXTURES {
        if *kind != "response" {
            continue;
        }
        let mut document = fixture(file);
        document["added_later"] = json!(1);
        let user = match *style {
            "camel" => &mut document,
            _ => &mut document["data"],
        };
        user["added_later_too"] = json!({"x": 1});
        assert_valid(
            &validator(style, "response"),
            &document,
            &format!("{file} with extra fields"),
        );
    }
}

#[test]
fn snake_resources_refuse_null_for_id_email_and_is_active() {
    let v = user_validator("snake");
    let data = fixture("snake-put-response.json")["data"].clone();
    for field in ["id", "email", "is_active"] {
        let mut user = data.clone();
        user[field] = Value::Null;
        assert_invalid(&v, &user, &format!("snake data.{field}: null"));
    }
    let mut user = data.clone();
    user["phone"] = json!("call me maybe");
    assert_valid(&v, &user, "snake phone is any string");
    user["follower_count"] = Value::Null;
    assert_valid(&v, &user, "snake follower_count null");
}

#[test]
fn formats_are_checked() {
    let mut document = fixture("envelope-get-response.json");
    document["meta"]["timestamp"] = json!("yesterday");
    assert_invalid(
        &validator("envelope", "response"),
        &document,
        "a non-date-time timestamp",
    );
    let mut document = fixture("camel-put-response.json");
    document["id"] = json!("user_123");
    assert_invalid(
        &validator("camel", "response"),
        &document,
        "a non-UUID camel id",
    );
    let mut document = fixture("snake-put-response.json");
    document["data"]["email"] = json!("jsmith.example.com");
    assert_invalid(
        &validator("snake", "response"),
        &document,
        "a non-email snake email",
    );
    let mut document = fixture("envelope-get-response.json");
    document["data"]["id"] = json!("123456789");
    assert_invalid(
        &validator("envelope", "response"),
        &document,
        "an envelope id without user_",
    );
}
