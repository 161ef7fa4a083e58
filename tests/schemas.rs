//! The JSON Schemas under `schemas/` and the seed fixtures under `tests/fixtures/seeds/`.
//!
//! Every schema compiles as draft 2020-12 with format validation on (as the gateway compiles
//! them), every seed example validates against the schema of its style and kind, and the
//! negative cases the gateway relies on are refused, with a client-facing `x-message`
//! reachable from the error's schema path.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use serde_json::{json, Map, Value};

const STYLES: [&str; 3] = ["envelope", "camel", "snake"];
const KINDS: [&str; 3] = ["request", "response", "error"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn schema(style: &str, kind: &str) -> Value {
    read_json(
        &root()
            .join("schemas")
            .join(style)
            .join(format!("{kind}.json")),
    )
}

fn fixture(name: &str) -> Value {
    read_json(&root().join("tests/fixtures/seeds").join(name))
}

/// Compiles a schema exactly as the gateway does.
fn compile(schema: &Value) -> Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}\n{schema:#}"))
}

fn validator(style: &str, kind: &str) -> Validator {
    compile(&schema(style, kind))
}

/// The `$defs/user` sub-schema of a style's response schema, compiled on its own.
fn user_validator(style: &str) -> Validator {
    compile(&user_def(style))
}

fn user_def(style: &str) -> Value {
    schema(style, "response")["$defs"]["user"].clone()
}

/// Every validation message for `instance`, one per line (empty when valid).
fn errors(v: &Validator, instance: &Value) -> String {
    v.iter_errors(instance)
        .map(|e| {
            format!(
                "{} at {:?} ({})",
                e,
                e.instance_path().as_str(),
                e.schema_path().as_str()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_valid(v: &Validator, instance: &Value, what: &str) {
    let errs = errors(v, instance);
    assert!(errs.is_empty(), "{what} should be valid, but:\n{errs}");
}

fn assert_invalid(v: &Validator, instance: &Value, what: &str) {
    assert!(
        !v.is_valid(instance),
        "{what} should be refused:\n{instance:#}"
    );
}

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

/// Every `*.json` file below `dir`, relative to it, sorted.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// Every `$ref` value anywhere in `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Each seed fixture, with the style and schema kind it must validate against.
const FIXTURES: &[(&str, &str, &str)] = &[
    ("envelope-get-response.json", "envelope", "response"),
    ("envelope-put-request.json", "envelope", "request"),
    ("envelope-put-response.json", "envelope", "response"),
    ("envelope-error-invalid-request.json", "envelope", "error"),
    (
        "envelope-error-invalid-request-get.json",
        "envelope",
        "error",
    ),
    ("envelope-error-unauthorized.json", "envelope", "error"),
    ("envelope-error-forbidden.json", "envelope", "error"),
    ("envelope-error-forbidden-get.json", "envelope", "error"),
    ("envelope-error-not-found.json", "envelope", "error"),
    ("envelope-error-validation.json", "envelope", "error"),
    ("camel-put-request.json", "camel", "request"),
    ("camel-put-response.json", "camel", "response"),
    ("snake-put-request.json", "snake", "request"),
    ("snake-put-response.json", "snake", "response"),
];

/// The user resource inside a style's success document.
fn resource<'a>(style: &str, document: &'a Value) -> &'a Value {
    match style {
        "camel" => document,
        _ => &document["data"],
    }
}

#[test]
fn every_schema_is_a_self_describing_draft_2020_12_schema_that_compiles() {
    let dir = root().join("schemas");
    let expected: BTreeSet<PathBuf> = STYLES
        .iter()
        .flat_map(|s| {
            KINDS
                .iter()
                .map(move |k| PathBuf::from(s).join(format!("{k}.json")))
        })
        .collect();
    let found: BTreeSet<PathBuf> = json_files(&dir).into_iter().collect();
    assert!(
        expected.is_subset(&found),
        "missing schemas: {:?}",
        expected.difference(&found).collect::<Vec<_>>()
    );
    for file in &found {
        let value = read_json(&dir.join(file));
        let name = file.display();
        assert_eq!(
            value["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}: $schema"
        );
        let id = format!(
            "https://dragoman.local/schemas/{}",
            file.to_str().unwrap().replace('\\', "/")
        );
        assert_eq!(value["$id"], Value::String(id), "{name}: $id");
        assert!(value["title"].is_string(), "{name}: title");
        assert!(
            value["description"]
                .as_str()
                .is_some_and(|d| d.contains(".txt") || d.contains("DESIGN")),
            "{name}: the description should cite its seed"
        );
        jsonschema::draft202012::meta::validate(&value)
            .unwrap_or_else(|e| panic!("{name} is not a valid 2020-12 schema: {e}"));
        let mut found_refs = Vec::new();
        refs(&value, &mut found_refs);
        for r in found_refs {
            assert!(
                r.starts_with("#/$defs/"),
                "{name}: only local refs allowed, found {r}"
            );
        }
        compile(&value);
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
fn every_seed_fixture_validates_against_its_schema() {
    for (file, style, kind) in FIXTURES {
        assert_valid(&validator(style, kind), &fixture(file), file);
    }
}

#[test]
fn every_fixture_file_is_checked_by_this_test() {
    let dir = root().join("tests/fixtures/seeds");
    let on_disk: BTreeSet<String> = json_files(&dir)
        .into_iter()
        .map(|p| p.to_str().unwrap().to_owned())
        .collect();
    let listed: BTreeSet<String> = FIXTURES.iter().map(|(f, _, _)| (*f).to_owned()).collect();
    assert_eq!(on_disk, listed, "tests/fixtures/seeds and FIXTURES differ");
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
fn every_user_definition_is_self_contained() {
    for style in STYLES {
        let def = user_def(style);
        assert!(def.is_object(), "{style}: $defs/user is missing");
        let mut found = Vec::new();
        refs(&def, &mut found);
        assert!(
            found.is_empty(),
            "{style}: $defs/user must not use $ref: {found:?}"
        );
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
fn errors_in_each_style_validate_and_wrong_ones_are_refused() {
    let envelope = validator("envelope", "error");
    let mut e = fixture("envelope-error-validation.json");
    for code in [
        "METHOD_NOT_ALLOWED",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "BAD_GATEWAY",
        "GATEWAY_TIMEOUT",
    ] {
        e["error"]["code"] = json!(code);
        assert_valid(&envelope, &e, code);
    }
    e["error"]["code"] = json!("TEAPOT");
    assert_invalid(&envelope, &e, "an unknown envelope code");
    let mut e = fixture("envelope-error-not-found.json");
    e["success"] = json!(true);
    assert_invalid(&envelope, &e, "an envelope error with success: true");
    let mut e = fixture("envelope-error-not-found.json");
    e["meta"].as_object_mut().unwrap().remove("request_id");
    assert_invalid(&envelope, &e, "an envelope error without meta.request_id");

    let camel = validator("camel", "error");
    assert_valid(
        &camel,
        &json!({"type": "about:blank", "title": "Not Found", "status": 404,
        "detail": "User not found", "instance": "/api/users/3c90c3cc-0d44-4b50-8888-8dd25736052a"}),
        "a camel 404",
    );
    assert_valid(
        &camel,
        &json!({"type": "about:blank", "title": "Unprocessable Content", "status": 422,
        "detail": "Validation failed", "errors": [{"pointer": "/roles/0", "detail": "Invalid UUID"}]}),
        "a camel 422",
    );
    assert_invalid(
        &camel,
        &json!({"type": "about:blank", "title": "x", "status": 99}),
        "a camel status of 99",
    );
    assert_invalid(
        &camel,
        &json!({"title": "x", "status": 400}),
        "a problem without type",
    );
    assert_invalid(
        &camel,
        &json!({"type": "about:blank", "title": "x", "status": 422, "errors": [{"pointer": "/a"}]}),
        "a problem error item without detail",
    );

    let snake = validator("snake", "error");
    assert_valid(&snake, &json!({"detail": "User not found"}), "a snake 404");
    assert_valid(
        &snake,
        &json!({"detail": [{"loc": ["body", "email"], "msg": "Invalid email address", "type": "value_error"},
        {"loc": ["body", "roles", 0], "msg": "Invalid UUID", "type": "uuid_parsing"}]}),
        "a snake 422",
    );
    assert_invalid(
        &snake,
        &json!({"message": "nope"}),
        "a snake error without detail",
    );
    assert_invalid(
        &snake,
        &json!({"detail": [{"loc": ["body"], "msg": "x"}]}),
        "a snake error item without type",
    );
    assert_invalid(&snake, &json!({"detail": 42}), "a numeric detail");
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
