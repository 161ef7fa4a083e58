//! Upstream answers read and rendered in every client style, and round trips.

use super::*;
use serde_json::json;

// ---- responses -----------------------------------------------------------------------------

#[test]
fn envelope_get_seed_reads_as_camel_with_role_objects_and_no_envelope_only_fields() {
    let body = response("envelope", "camel", &envelope_get());
    assert_eq!(
        body,
        json!({"id": JOHN, "email": "john.doe@company.com", "firstName": "John", "lastName": "Doe",
               "status": "active", "createdAt": "2024-01-15T10:30:00Z",
               "roles": [{"id": JOHN, "name": "billing_manager", "description": "Manages billing, invoices and payment methods"}]})
    );
}

#[test]
fn envelope_get_seed_reads_as_snake_inside_its_message_envelope() {
    let body = response("envelope", "snake", &envelope_get());
    assert_eq!(
        body,
        json!({"message": "Data retrieved successfully", "meta": {},
               "data": {"id": JOHN, "email": "john.doe@company.com", "first_name": "John", "last_name": "Doe",
                        "is_active": true, "role_id": JOHN, "phone": "+1234567890"}})
    );
}

#[test]
fn camel_response_seed_reads_as_envelope_with_permissions_from_the_role_table() {
    let body = response("camel", "envelope", &fixture("camel-put-response"));
    assert_eq!(
        body,
        json!({"success": true,
               "data": {"id": format!("user_{JOHN}"), "email": "jane.smith@example.com", "name": "Jane Smith",
                        "status": "active", "role": "billing_manager", "created_time": "2024-01-15T10:30:00Z",
                        "updated_time": "2024-01-20T09:15:00Z",
                        "permissions": ["calls:read", "calls:write", "emails:read", "emails:write", "callouts:read", "callouts:write"]},
               "meta": {"timestamp": "2024-02-01T00:00:00Z", "request_id": "req_test"}})
    );
}

#[test]
fn camel_response_seed_reads_as_snake_with_booleans() {
    let body = response("camel", "snake", &fixture("camel-put-response"));
    assert_eq!(
        body["data"],
        json!({"id": JOHN, "email": "jane.smith@example.com", "first_name": "Jane", "last_name": "Smith",
               "is_active": true, "is_superuser": false, "role_id": JOHN})
    );
}

#[test]
fn snake_response_seed_reads_as_envelope_and_camel() {
    let snake = fixture("snake-put-response");
    let env = response("snake", "envelope", &snake);
    assert_eq!(env["data"]["name"], "Jane Smith");
    assert_eq!(env["data"]["id"], json!(format!("user_{JOHN}")));
    assert_eq!(env["data"]["role"], "billing_manager");
    assert_eq!(env["data"]["phone"], snake["data"]["phone"]);
    assert_eq!(env["data"]["status"], "active");
    assert!(env["data"].get("stripe_customer_id").is_none());
    let camel = response("snake", "camel", &snake);
    assert_eq!(camel["firstName"], "Jane");
    assert_eq!(camel["status"], "active");
    assert!(
        camel.get("type").is_none(),
        "is_superuser=false names no type: {camel}"
    );
    assert_eq!(camel["roles"][0]["name"], "billing_manager");
}

#[test]
fn an_inactive_snake_user_reads_as_disabled_and_a_superuser_as_owner() {
    let mut snake = fixture("snake-put-response");
    snake["data"]["is_active"] = json!(false);
    snake["data"]["is_superuser"] = json!(true);
    let camel = response("snake", "camel", &snake);
    assert_eq!(camel["status"], "disabled");
    assert_eq!(camel["type"], "owner");
}

#[test]
fn an_upstream_document_that_breaks_its_own_schema_is_an_upstream_error() {
    let mut doc = envelope_get();
    doc["data"].as_object_mut().unwrap().remove("email");
    assert!(matches!(
        set().read_response(id("envelope"), &doc),
        Err(TranslateError::Upstream(_))
    ));
    assert!(matches!(
        set().read_response(id("camel"), &json!("nope")),
        Err(TranslateError::Upstream(_))
    ));
}

#[test]
fn an_upstream_role_missing_from_the_table_is_an_upstream_error() {
    let mut doc = envelope_get();
    doc["data"]["role"] = json!("astronaut");
    assert!(matches!(
        set().read_response(id("envelope"), &doc),
        Err(TranslateError::Upstream(_))
    ));
}

#[test]
fn per_response_values_come_from_the_caller() {
    let canon = set()
        .read_response(id("camel"), &fixture("camel-put-response"))
        .unwrap();
    let a = set()
        .render_response(
            id("envelope"),
            &canon,
            Method::Put,
            "req_a",
            "2024-01-01T00:00:00Z",
        )
        .unwrap();
    assert_eq!(
        a.body["meta"],
        json!({"timestamp": "2024-01-01T00:00:00Z", "request_id": "req_a", "message": "User updated successfully"})
    );
}

/// The seed response documents, each with the style that sends it.
fn seed_responses() -> Vec<(&'static str, Value)> {
    vec![
        ("envelope", envelope_get()),
        ("camel", fixture("camel-put-response")),
        ("snake", fixture("snake-put-response")),
    ]
}

#[test]
fn the_gateways_byte_writer_gives_the_same_documents_as_rendering_values() {
    for (from, doc) in seed_responses() {
        let canon = set().read_response(id(from), &doc).unwrap();
        for to in ["envelope", "camel", "snake"] {
            for method in [Method::Get, Method::Put] {
                let view = set().view(id(to), &canon).unwrap();
                let bytes =
                    set().write_response(id(to), &view, method, "req_b", "2024-01-01T00:00:00Z");
                let written: Value =
                    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{from}->{to}: {e}"));
                let rendered = set()
                    .render_response(id(to), &canon, method, "req_b", "2024-01-01T00:00:00Z")
                    .unwrap();
                assert_eq!(written, rendered.body, "{from} -> {to} ({method:?})");
                assert_eq!(view.lossy, rendered.lossy, "{from} -> {to}");
            }
        }
    }
}

#[test]
fn user_data_that_looks_like_a_template_variable_is_answered_as_data() {
    let mut doc = envelope_get();
    doc["data"]["name"] = json!("$request_id");
    doc["data"]["department"] = json!("$message");
    let canon = set().read_response(id("envelope"), &doc).unwrap();
    let view = set().view(id("envelope"), &canon).unwrap();
    let bytes = set().write_response(id("envelope"), &view, Method::Get, "req_c", "t");
    let written: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(written["data"]["name"], "$request_id");
    assert_eq!(written["data"]["department"], "$message");
    assert_eq!(written["meta"]["request_id"], "req_c");
}

#[test]
fn a_camel_user_with_two_roles_shows_the_first_to_envelope_clients_and_says_so() {
    let mut doc = fixture("camel-put-response");
    doc["roles"] = json!([
        {"id": "1b6f0c2e-8d4a-4f3b-a5e7-2c9d1e0f4a68", "name": "admin"},
        {"id": JOHN, "name": "billing_manager"}
    ]);
    let canon = set().read_response(id("camel"), &doc).unwrap();
    let r = set()
        .render_response(
            id("envelope"),
            &canon,
            Method::Get,
            "r",
            "2024-01-01T00:00:00Z",
        )
        .unwrap();
    assert_eq!(r.body["data"]["role"], "admin");
    assert_eq!(
        as_text(&r.lossy),
        vec!["role: only the first of 2 roles is shown"]
    );
}

// ---- round trips ---------------------------------------------------------------------------

/// Whether style `b` documents `value` of canonical field `f` as one it cannot keep.
fn documented_lossy(b: &str, f: FieldId, value: &Value) -> bool {
    match set().style(id(b)).rule_for(f).map(|r| &r.rule) {
        Some(rules::Rule::Map(m)) => m.loss_of(value).is_some(),
        _ => false,
    }
}

/// Fields both styles hold survive A → B → A, except values the loss report names.
#[test]
fn responses_round_trip_every_field_both_styles_hold() {
    let docs = [
        ("envelope", envelope_get()),
        ("camel", fixture("camel-put-response")),
        ("snake", fixture("snake-put-response")),
    ];
    for (a, doc) in &docs {
        for b in ["envelope", "camel", "snake"]
            .into_iter()
            .filter(|b| b != a)
        {
            let original = set().read_response(id(a), doc).unwrap();
            let there = response(a, b, doc);
            let back_doc = response(b, a, &there);
            let back = set().read_response(id(a), &back_doc).unwrap();
            let (sa, sb) = (set().style(id(a)), set().style(id(b)));
            for (f, v) in original.present() {
                if sa.holds(f, Kind::Response)
                    && sb.holds(f, Kind::Response)
                    && !documented_lossy(b, f, v)
                {
                    assert_eq!(
                        back.get(f),
                        Some(v),
                        "{a}->{b}->{a}: {}",
                        set().registry().name(f)
                    );
                }
            }
        }
    }
}

#[test]
fn requests_round_trip_every_field_both_styles_accept() {
    let bodies = [
        (
            "envelope",
            json!({"name": "John Smith", "role": "admin", "status": "disabled", "email": "j@x.io", "phone": "+1987654321"}),
        ),
        (
            "camel",
            json!({"firstName": "Jane", "lastName": "Smith", "status": "active", "roles": [JOHN]}),
        ),
        (
            "snake",
            json!({"first_name": "Jane", "last_name": "Smith", "is_active": false, "role_id": JOHN, "phone": "+15551234567"}),
        ),
    ];
    for (a, body) in &bodies {
        for b in ["envelope", "camel", "snake"]
            .into_iter()
            .filter(|b| b != a)
        {
            let there = request(a, b, body, &drop_all()).unwrap().body;
            let back = request(b, a, &there, &drop_all()).unwrap().body;
            for (k, v) in body.as_object().unwrap() {
                let f = set()
                    .style(id(a))
                    .rule_at(&format!("/{k}"))
                    .unwrap()
                    .canonical()[0];
                if set().style(id(b)).holds(f, Kind::Request) {
                    assert_eq!(back.get(k), Some(v), "{a}->{b}->{a}: {k} (via {there})");
                }
            }
        }
    }
}
