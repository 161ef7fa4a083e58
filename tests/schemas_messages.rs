//! The client-facing messages in the schemas under `schemas/`: `x-message` is an annotation
//! the validator ignores, and for every refused field the message is reachable from the
//! error's schema path, also through a `$ref`, and names the problem.

mod common;

use common::schemas::{assert_valid, compile, fixture, schema, user_def};
use serde_json::{json, Value};

/// The client-facing message for a validation error: the `x-message` of the nearest schema
/// object on the error's schema path. `schema_path()` is the keyword's location in the schema
/// document (a JSON pointer, `$ref`s already resolved to where they point), so it can be
/// looked up in the schema value with `Value::pointer`, dropping segments from the end.
fn x_message<'s>(schema: &'s Value, error: &jsonschema::ValidationError<'_>) -> Option<&'s str> {
    let mut pointer = error.schema_path().as_str();
    loop {
        if let Some(message) = schema
            .pointer(pointer)
            .and_then(|node| node.get("x-message"))
            .and_then(Value::as_str)
        {
            return Some(message);
        }
        match pointer.rfind('/') {
            Some(i) => pointer = &pointer[..i],
            None => return None,
        }
    }
}

#[test]
fn jsonschema_ignores_the_x_message_annotation() {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"phone": {"type": "string", "pattern": "^\\+[0-9]+$", "x-message": "Invalid phone number format"}}
    });
    let v = compile(&schema);
    assert!(v.is_valid(&json!({"phone": "+1"})));
    assert!(!v.is_valid(&json!({"phone": "1"})));
    jsonschema::draft202012::meta::validate(&schema)
        .expect("x-message is allowed by the meta-schema");
}

#[test]
fn a_bad_envelope_phone_is_refused_with_the_seeds_message() {
    let schema = schema("envelope", "request");
    let v = compile(&schema);
    for phone in [
        "1234567890",
        "+0123456789",
        "+1 234 567 890",
        "+1234567890123456",
        "+",
    ] {
        let body = json!({"name": "John Smith", "phone": phone});
        let error = v.validate(&body).expect_err(phone);
        assert_eq!(error.instance_path().as_str(), "/phone");
        assert_eq!(error.schema_path().as_str(), "/properties/phone/pattern");
        assert_eq!(
            x_message(&schema, &error),
            Some("Invalid phone number format")
        );
    }
    assert_valid(&v, &json!({"phone": "+1987654321"}), "the seed's phone");
}

#[test]
fn an_x_message_is_found_through_a_ref_in_a_response() {
    let schema_of = schema;
    // `data` is `{"$ref": "#/$defs/user"}`: the schema path is the keyword's place in the
    // document, below `$defs/user`, so the same lookup works.
    let schema = schema_of("envelope", "response");
    let mut document = fixture("envelope-get-response.json");
    document["data"]["phone"] = json!("555-1234");
    let error = compile(&schema).validate(&document).unwrap_err();
    assert_eq!(error.instance_path().as_str(), "/data/phone");
    assert_eq!(
        error.schema_path().as_str(),
        "/$defs/user/properties/phone/pattern"
    );
    assert_eq!(
        error.evaluation_path().as_str(),
        "/properties/data/$ref/properties/phone/pattern",
        "the evaluation path goes through $ref and cannot be looked up with Value::pointer"
    );
    assert_eq!(
        x_message(&schema, &error),
        Some("Invalid phone number format")
    );

    // camel's whole response is `{"$ref": "#/$defs/user"}` at the root.
    let camel_schema = schema_of("camel", "response");
    let mut camel_document = fixture("camel-put-response.json");
    camel_document["id"] = json!("user_123");
    let error = compile(&camel_schema)
        .validate(&camel_document)
        .unwrap_err();
    assert_eq!(
        error.schema_path().as_str(),
        "/$defs/user/properties/id/format"
    );
    assert_eq!(x_message(&camel_schema, &error), Some("Invalid UUID"));

    // A bare resource against the user definition compiled alone.
    let def = user_def("envelope");
    let error = compile(&def).validate(&document["data"]).unwrap_err();
    assert_eq!(error.schema_path().as_str(), "/properties/phone/pattern");
    assert_eq!(x_message(&def, &error), Some("Invalid phone number format"));
}

#[test]
fn field_messages_name_the_problem() {
    let cases = [
        (
            "envelope",
            json!({"email": "not-an-email"}),
            "Invalid email address",
        ),
        (
            "envelope",
            json!({"status": "gone"}),
            "Must be one of: active, disabled, locked",
        ),
        (
            "envelope",
            json!({"permissions": ["Calls-Read"]}),
            "Invalid permission format (expected resource:action, e.g. calls:read)",
        ),
        (
            "camel",
            json!({"roles": ["billing_manager"]}),
            "Invalid UUID",
        ),
        (
            "camel",
            json!({"status": "gone"}),
            "Must be one of: active, disabled, locked",
        ),
        (
            "camel",
            json!({"type": "guest"}),
            "Must be one of: invited, member, author, admin, owner",
        ),
        ("snake", json!({"email": "nope"}), "Invalid email address"),
        ("snake", json!({"role_id": "3c90c3cc"}), "Invalid UUID"),
        (
            "snake",
            json!({"birthdate": "07/11/2023"}),
            "Invalid date-time (expected RFC 3339, e.g. 2024-01-15T10:30:00Z)",
        ),
        (
            "snake",
            json!({"is_paying": "yes"}),
            "Must be true, false or null",
        ),
    ];
    for (style, body, message) in cases {
        let schema = schema(style, "request");
        let error = compile(&schema)
            .validate(&body)
            .expect_err(&format!("{style} {body}"));
        assert_eq!(x_message(&schema, &error), Some(message), "{style} {body}");
    }
}
