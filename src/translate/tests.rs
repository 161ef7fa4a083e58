//! The translation core against the seed documents: every direction, field by field.

use super::*;
use serde_json::json;
use std::sync::OnceLock;

fn set() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| RuleSet::builtin().unwrap_or_else(|e| panic!("builtin rules: {e:?}")))
}

fn id(name: &str) -> StyleId {
    set().style_id(name).unwrap()
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/seeds/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

const JOHN: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

/// The envelope GET seed, with a UUID-based id so that it fits the UUID styles too.
fn envelope_get() -> Value {
    let mut doc = fixture("envelope-get-response");
    doc["data"]["id"] = json!(format!("user_{JOHN}"));
    doc
}

fn strict() -> WritePolicy {
    WritePolicy::default()
}

fn drop_all() -> WritePolicy {
    WritePolicy {
        drop: vec![],
        drop_all: true,
    }
}

fn request(
    from: &str,
    to: &str,
    body: &Value,
    policy: &WritePolicy,
) -> Result<TranslatedRequest, TranslateError> {
    set().translate_request(id(from), id(to), body, policy)
}

fn invalid_fields(r: Result<TranslatedRequest, TranslateError>) -> Vec<String> {
    match r {
        Err(TranslateError::Invalid(errs)) => errs.iter().map(|e| e.pointer.clone()).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn response(from: &str, to: &str, doc: &Value) -> Value {
    let canon = set().read_response(id(from), doc).unwrap();
    set()
        .render_response(
            id(to),
            &canon,
            Method::Get,
            "req_test",
            "2024-02-01T00:00:00Z",
        )
        .unwrap()
        .body
}

// ---- requests ------------------------------------------------------------------------------

#[test]
fn envelope_put_seed_to_camel_is_refused_naming_each_field_camel_cannot_hold() {
    let fields = invalid_fields(request(
        "envelope",
        "camel",
        &fixture("envelope-put-request"),
        &strict(),
    ));
    assert_eq!(fields, vec!["/phone", "/department", "/metadata"]);
}

#[test]
fn envelope_put_seed_to_camel_with_drops_splits_the_name_and_maps_the_role_to_its_uuid() {
    let t = request(
        "envelope",
        "camel",
        &fixture("envelope-put-request"),
        &drop_all(),
    )
    .unwrap();
    assert_eq!(
        t.body,
        json!({"firstName": "John", "lastName": "Smith", "status": "active",
               "roles": ["7f3e2a10-5b8c-4d2e-9a61-0c4b8e2f1d35"]})
    );
    assert_eq!(t.dropped, vec!["phone", "department", "metadata"]);
    assert!(t.lossy.is_empty());
}

#[test]
fn envelope_put_seed_to_snake_carries_phone_and_refuses_department_and_metadata() {
    let body = fixture("envelope-put-request");
    assert_eq!(
        invalid_fields(request("envelope", "snake", &body, &strict())),
        vec!["/department", "/metadata"]
    );
    let t = request("envelope", "snake", &body, &drop_all()).unwrap();
    assert_eq!(
        t.body,
        json!({"first_name": "John", "last_name": "Smith", "phone": "+1987654321", "is_active": true,
               "role_id": "7f3e2a10-5b8c-4d2e-9a61-0c4b8e2f1d35"})
    );
}

#[test]
fn envelope_permissions_that_differ_from_the_role_are_refused_for_a_backend_without_permissions() {
    let body = json!({"role": "billing_manager", "permissions": ["users:write"]});
    assert_eq!(
        invalid_fields(request("envelope", "camel", &body, &strict())),
        vec!["/permissions"]
    );
    let same =
        json!({"role": "viewer", "permissions": ["calls:read", "emails:read", "callouts:read"]});
    let t = request("envelope", "camel", &same, &strict()).unwrap();
    assert_eq!(
        t.body,
        json!({"roles": ["2c4e6a8b-1d3f-4b5a-9c7e-8f0a2b4d6e13"]})
    );
}

#[test]
fn camel_put_seed_to_envelope_refuses_a_type_the_role_does_not_imply() {
    let err = request(
        "camel",
        "envelope",
        &fixture("camel-put-request"),
        &strict(),
    )
    .unwrap_err();
    let TranslateError::Invalid(errs) = err else {
        panic!()
    };
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].pointer, "/type");
    assert!(errs[0].message.starts_with("type: "), "{}", errs[0].message);
}

#[test]
fn camel_put_seed_to_envelope_joins_the_name_and_sends_the_roles_permissions() {
    let policy = WritePolicy {
        drop: set().field_ids(id("camel"), &["type".into()]).unwrap(),
        drop_all: false,
    };
    let t = request("camel", "envelope", &fixture("camel-put-request"), &policy).unwrap();
    assert_eq!(
        t.body,
        json!({"name": "Jane Smith", "status": "active", "role": "billing_manager",
               "permissions": ["calls:read", "calls:write", "emails:read", "emails:write", "callouts:read", "callouts:write"]})
    );
    assert_eq!(t.dropped, vec!["type"]);
}

#[test]
fn camel_put_seed_to_snake_maps_status_and_type_to_booleans_and_reports_the_lossy_type() {
    let t = request("camel", "snake", &fixture("camel-put-request"), &strict()).unwrap();
    assert_eq!(
        t.body,
        json!({"first_name": "Jane", "last_name": "Smith", "is_active": true, "is_superuser": false, "role_id": JOHN})
    );
    assert_eq!(t.lossy.len(), 1);
    assert!(
        t.lossy[0]
            .to_string()
            .starts_with("type: \"invited\" is stored as false"),
        "{:?}",
        t.lossy
    );
}

#[test]
fn camel_locked_status_reaches_snake_as_inactive_and_says_so() {
    let t = request("camel", "snake", &json!({"status": "locked"}), &strict()).unwrap();
    assert_eq!(t.body, json!({"is_active": false}));
    assert_eq!(
        as_text(&t.lossy),
        vec!["status: \"locked\" is stored as false and reads back as \"disabled\""]
    );
}

#[test]
fn snake_put_seed_to_envelope_refuses_billing_fields_and_carries_the_rest_when_dropped() {
    let body = fixture("snake-put-request");
    let refused = invalid_fields(request("snake", "envelope", &body, &strict()));
    assert!(
        refused.contains(&"/stripe_customer_id".to_owned()),
        "{refused:?}"
    );
    assert!(refused.contains(&"/birthdate".to_owned()));
    assert!(!refused.contains(&"/email".to_owned()) && !refused.contains(&"/phone".to_owned()));
    let t = request("snake", "envelope", &body, &drop_all()).unwrap();
    assert_eq!(
        t.body,
        json!({"name": "Jane Smith", "email": "jsmith@example.com", "phone": "+15551234567",
               "status": "active", "role": "billing_manager",
               "permissions": ["calls:read", "calls:write", "emails:read", "emails:write", "callouts:read", "callouts:write"]})
    );
}

#[test]
fn snake_put_seed_to_camel_refuses_email_which_camel_clients_cannot_change() {
    let refused = invalid_fields(request(
        "snake",
        "camel",
        &fixture("snake-put-request"),
        &strict(),
    ));
    assert!(
        refused.contains(&"/email".to_owned()) && refused.contains(&"/phone".to_owned()),
        "{refused:?}"
    );
    let t = request("snake", "camel", &fixture("snake-put-request"), &drop_all()).unwrap();
    assert_eq!(
        t.body,
        json!({"firstName": "Jane", "lastName": "Smith", "status": "active", "roles": [JOHN]})
    );
}

#[test]
fn snake_null_for_a_field_the_target_cannot_hold_carries_nothing_and_is_accepted() {
    let t = request(
        "snake",
        "camel",
        &json!({"stripe_customer_id": null, "first_name": "Ann", "last_name": "Lee"}),
        &strict(),
    )
    .unwrap();
    assert_eq!(t.body, json!({"firstName": "Ann", "lastName": "Lee"}));
}

#[test]
fn snake_null_for_a_field_the_target_requires_is_refused_in_the_clients_names() {
    let err = request(
        "snake",
        "camel",
        &json!({"first_name": null, "last_name": "Lee"}),
        &strict(),
    )
    .unwrap_err();
    let TranslateError::Invalid(errs) = err else {
        panic!()
    };
    assert_eq!(errs[0].pointer, "/first_name");
    assert_eq!(
        errs[0].message,
        "first_name: cannot be cleared (null) on this API's backend"
    );
}

#[test]
fn one_name_part_alone_is_refused_for_a_backend_that_keeps_the_name_whole() {
    let err = request("camel", "envelope", &json!({"firstName": "Jo"}), &strict()).unwrap_err();
    let TranslateError::Invalid(errs) = err else {
        panic!()
    };
    assert_eq!(errs[0].pointer, "/firstName");
    assert_eq!(
        errs[0].message,
        "firstName: can only be changed together with lastName on this backend"
    );
}

#[test]
fn two_roles_cannot_be_written_to_a_single_role_backend() {
    let body = json!({"roles": [JOHN, "2c4e6a8b-1d3f-4b5a-9c7e-8f0a2b4d6e13"]});
    let err = request("camel", "snake", &body, &strict()).unwrap_err();
    let TranslateError::Invalid(errs) = err else {
        panic!()
    };
    assert_eq!(errs[0].pointer, "/roles");
    assert!(
        errs[0].message.contains("holds one role; 2 were given"),
        "{}",
        errs[0].message
    );
}

#[test]
fn an_unknown_role_is_a_validation_error_not_a_guess() {
    let e = invalid_fields(request(
        "envelope",
        "camel",
        &json!({"role": "pope"}),
        &strict(),
    ));
    assert_eq!(e, vec!["/role"]);
    let e = invalid_fields(request(
        "camel",
        "snake",
        &json!({"roles": ["00000000-0000-4000-8000-000000000000"]}),
        &strict(),
    ));
    assert_eq!(e, vec!["/roles"]);
}

#[test]
fn a_bad_phone_gets_the_seeds_message() {
    let err = request(
        "envelope",
        "snake",
        &json!({"phone": "555-1234"}),
        &strict(),
    )
    .unwrap_err();
    let TranslateError::Invalid(errs) = err else {
        panic!()
    };
    assert_eq!(errs[0].pointer, "/phone");
    assert_eq!(errs[0].message, "Invalid phone number format");
}

#[test]
fn a_snake_phone_that_is_not_e164_is_refused_by_the_envelope_backends_rules_in_snake_terms() {
    let err = request(
        "snake",
        "envelope",
        &json!({"phone": "555 1234"}),
        &strict(),
    )
    .unwrap_err();
    let TranslateError::Invalid(errs) = err else {
        panic!()
    };
    assert_eq!(errs[0].pointer, "/phone");
    assert_eq!(errs[0].message, "Invalid phone number format");
}

#[test]
fn unknown_and_backend_owned_fields_are_refused() {
    let e = invalid_fields(request(
        "camel",
        "snake",
        &json!({"nickname": "x"}),
        &strict(),
    ));
    assert_eq!(e, vec!["/nickname"]);
    let e = invalid_fields(request(
        "camel",
        "snake",
        &json!({"email": "a@b.co"}),
        &strict(),
    ));
    assert_eq!(e, vec!["/email"]);
}

#[test]
fn a_body_that_is_not_an_object_is_refused() {
    for body in [json!([]), json!("x"), json!(null), json!(3)] {
        assert!(
            matches!(
                request("camel", "snake", &body, &strict()),
                Err(TranslateError::Invalid(_))
            ),
            "{body}"
        );
    }
}

#[test]
fn an_empty_update_is_an_empty_update_in_every_direction() {
    for (a, b) in pairs() {
        assert_eq!(
            request(a, b, &json!({}), &strict()).unwrap().body,
            json!({}),
            "{a}->{b}"
        );
    }
}

// ---- responses -----------------------------------------------------------------------------

fn pairs() -> Vec<(&'static str, &'static str)> {
    let s = ["envelope", "camel", "snake"];
    s.iter()
        .flat_map(|a| s.iter().filter(move |b| *b != a).map(move |b| (*a, *b)))
        .collect()
}

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

// ---- ids -----------------------------------------------------------------------------------

#[test]
fn path_ids_translate_between_prefixed_and_bare_uuids() {
    let s = set();
    assert_eq!(
        s.translate_id(id("envelope"), id("camel"), &format!("user_{JOHN}"))
            .unwrap(),
        JOHN
    );
    assert_eq!(
        s.translate_id(id("snake"), id("envelope"), JOHN).unwrap(),
        format!("user_{JOHN}")
    );
    assert_eq!(
        s.translate_id(id("camel"), id("snake"), JOHN).unwrap(),
        JOHN
    );
}

#[test]
fn malformed_path_ids_are_refused() {
    let s = set();
    for (from, to, bad) in [
        ("envelope", "camel", "123"),
        ("envelope", "camel", "user_123456789"),
        ("envelope", "snake", "user_"),
        ("camel", "snake", "not-a-uuid"),
        ("snake", "envelope", "3c90c3cc"),
    ] {
        assert_eq!(
            s.translate_id(id(from), id(to), bad),
            Err(TranslateError::MalformedId),
            "{from}->{to} {bad}"
        );
    }
}

// ---- loss report ---------------------------------------------------------------------------

#[test]
fn the_loss_report_names_what_each_direction_cannot_carry() {
    let s = set();
    let r = s.loss_report(id("envelope"), id("camel"));
    assert_eq!(
        r.request.iter().filter(|l| l.field == "name").count(),
        1,
        "{r}"
    );
    assert_eq!(
        r.refused_on_write(),
        vec!["email", "company", "department", "phone", "metadata"]
    );
    assert!(r
        .request
        .iter()
        .any(|l| l.field == "permissions" && l.kind == loss::LossKind::DerivedOnly));
    assert!(r
        .response
        .iter()
        .any(|l| l.field == "isService" && l.kind == loss::LossKind::NotCarried));
    assert!(r
        .response
        .iter()
        .any(|l| l.field == "permissions" && l.kind == loss::LossKind::Derived));

    let r = s.loss_report(id("camel"), id("snake"));
    assert!(r.refused_on_write().is_empty(), "{r}");
    let status = r.request.iter().find(|l| l.field == "status").unwrap();
    assert!(matches!(&status.kind, loss::LossKind::Values(v) if v[0].contains("locked")));
    assert!(r
        .request
        .iter()
        .any(|l| l.field == "roles" && matches!(l.kind, loss::LossKind::Partial(_))));

    let r = s.loss_report(id("snake"), id("envelope"));
    assert!(r.refused_on_write().contains(&"stripe_customer_id"));
    assert!(!r.refused_on_write().contains(&"phone"));
}

/// Every directed pair: the client fields a write refuses, and the upstream fields a response
/// cannot show.
#[test]
fn the_loss_report_of_every_pair_lists_exactly_the_fields_the_other_side_lacks() {
    let billing = [
        "birthdate",
        "is_enterprise",
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
    let not_shown = |r: &LossReport| -> Vec<String> {
        r.response
            .iter()
            .filter(|l| l.kind == loss::LossKind::NotCarried)
            .map(|l| l.field.clone())
            .collect()
    };
    let cases: Vec<(&str, &str, Vec<&str>, Vec<&str>)> = vec![
        (
            "envelope",
            "camel",
            vec!["email", "company", "department", "phone", "metadata"],
            vec!["type", "isService"],
        ),
        (
            "envelope",
            "snake",
            vec!["company", "department", "metadata"],
            [
                vec!["is_superuser"],
                billing.to_vec(),
                vec!["follower_count", "following_count"],
            ]
            .concat(),
        ),
        (
            "camel",
            "envelope",
            vec![],
            vec![
                "company",
                "department",
                "phone",
                "account_id",
                "last_login",
                "permissions",
                "activity_stats",
                "metadata",
            ],
        ),
        (
            "camel",
            "snake",
            vec![],
            [
                vec!["phone"],
                billing.to_vec(),
                vec!["follower_count", "following_count"],
            ]
            .concat(),
        ),
        // is_superuser is not refused: it is accepted when it matches what the role implies.
        (
            "snake",
            "envelope",
            billing.to_vec(),
            vec![
                "company",
                "department",
                "account_id",
                "created_time",
                "updated_time",
                "last_login",
                "permissions",
                "activity_stats",
                "metadata",
            ],
        ),
        (
            "snake",
            "camel",
            [vec!["email", "phone"], billing.to_vec()].concat(),
            vec!["createdAt", "updatedAt", "isService"],
        ),
    ];
    for (client, upstream, refused, hidden) in cases {
        let r = set().loss_report(id(client), id(upstream));
        let mut got = r.refused_on_write();
        got.sort();
        let mut want = refused.clone();
        want.sort();
        assert_eq!(got, want, "{client} -> {upstream} writes\n{r}");
        let mut got = not_shown(&r);
        got.sort();
        let mut want: Vec<String> = hidden.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "{client} -> {upstream} responses\n{r}");
    }
}

#[test]
fn a_style_routed_to_itself_loses_nothing() {
    for name in ["envelope", "camel", "snake"] {
        let r = set().loss_report(id(name), id(name));
        assert!(r.is_lossless(), "{r}");
    }
}

// ---- errors --------------------------------------------------------------------------------

fn info<'a>(
    status: u16,
    code: &'a str,
    title: &'a str,
    message: &'a str,
    errors: &'a [FieldError],
) -> ErrorInfo<'a> {
    ErrorInfo {
        status,
        code,
        title,
        message,
        errors,
        request_id: "req_1",
        timestamp: "2024-01-15T10:30:00Z",
        instance: "/x",
    }
}

#[test]
fn errors_render_in_each_styles_documented_shape() {
    let s = set();
    let none: [FieldError; 0] = [];
    let env = s.style(id("envelope")).render_error(&info(
        404,
        "NOT_FOUND",
        "Not Found",
        "User not found",
        &none,
    ));
    assert_eq!(
        env,
        json!({"success": false, "error": {"code": "NOT_FOUND", "message": "User not found"},
                           "meta": {"timestamp": "2024-01-15T10:30:00Z", "request_id": "req_1"}})
    );
    let camel = s.style(id("camel")).render_error(&info(
        404,
        "NOT_FOUND",
        "Not Found",
        "User not found",
        &none,
    ));
    assert_eq!(
        camel,
        json!({"type": "about:blank", "title": "Not Found", "status": 404, "detail": "User not found", "instance": "/x"})
    );
    let snake = s.style(id("snake")).render_error(&info(
        404,
        "NOT_FOUND",
        "Not Found",
        "User not found",
        &none,
    ));
    assert_eq!(snake, json!({"detail": "User not found"}));

    let errs = [FieldError::new(
        "/phone",
        FieldErrorKind::ValueError,
        "Invalid phone number format",
    )];
    let snake = s.style(id("snake")).render_error(&info(
        422,
        "VALIDATION_ERROR",
        "Unprocessable Entity",
        "Invalid phone number format",
        &errs,
    ));
    assert_eq!(
        snake,
        json!({"detail": [{"loc": ["body", "phone"], "msg": "Invalid phone number format", "type": "value_error"}]})
    );
    let camel = s.style(id("camel")).render_error(&info(
        422,
        "VALIDATION_ERROR",
        "Unprocessable Entity",
        "Invalid phone number format",
        &errs,
    ));
    assert_eq!(
        camel["errors"],
        json!([{"pointer": "/phone", "detail": "Invalid phone number format"}])
    );
    for (_, style) in s.styles() {
        for e in [&none[..], &errs[..]] {
            let body = style.render_error(&info(
                422,
                "VALIDATION_ERROR",
                "Unprocessable Entity",
                "m",
                e,
            ));
            assert!(
                style.schemas.error.is_valid(&body),
                "{}: {body}",
                style.name
            );
        }
    }
}

#[test]
fn upstream_errors_read_back_and_their_fields_are_renamed_for_the_client() {
    let s = set();
    let snake_err = json!({"detail": [{"loc": ["body", "first_name"], "msg": "too long", "type": "value_error"}]});
    let parsed = s.style(id("snake")).parse_error(&snake_err);
    assert_eq!(
        parsed.items,
        vec![(Some("first_name".to_owned()), "too long".to_owned())]
    );
    let mapped = s.translate_field_errors(id("snake"), id("camel"), &parsed.items);
    assert_eq!(mapped[0].pointer, "/firstName");
    let env = s
        .style(id("envelope"))
        .parse_error(&fixture("envelope-error-not-found"));
    assert_eq!(env.code.as_deref(), Some("NOT_FOUND"));
    assert_eq!(env.message.as_deref(), Some("User not found"));
}

/// Lossy notes as a person reads them (`field: why`).
fn as_text(notes: &[LossNote]) -> Vec<String> {
    notes.iter().map(ToString::to_string).collect()
}
