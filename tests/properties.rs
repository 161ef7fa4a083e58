//! Property tests of the translation core over documents generated from the shipped schemas
//! (tests/common/gen.rs), for every ordered pair of styles and both kinds of document:
//!
//! - a valid upstream response always reads, and renders in every client style as a
//!   document valid against that style's schema (checked with `jsonschema` itself, the
//!   reference), the byte path equal to the value path;
//! - what both styles hold comes back unchanged from a round trip, unless the translation
//!   named the field as lossy;
//! - a valid request is either carried — as a body valid against the target's request schema
//!   that translates back to what was sent — or refused with field errors naming fields of
//!   the client's document (a 422 in the gateway).
//!
//! Case counts are bounded (`PROPTEST_CASES` overrides) so `make test` stays quick.

mod common;

use std::sync::OnceLock;

use common::gen::{from_schema, Hints};
use common::schemas::{compile, root, schema, user_validator, validator, STYLES};
use dragoman::translate::{
    Canonical, Kind, LossNote, Method, RuleSet, StyleId, TranslateError, WritePolicy,
};
use jsonschema::Validator;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().expect("built-in rules load"))
}

/// One style's schemas compiled by the reference, `jsonschema`, once for every case.
struct Reference {
    user: Validator,
    response: Validator,
    request: Validator,
}

fn reference(style: &str) -> &'static Reference {
    static ALL: OnceLock<Vec<Reference>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        STYLES
            .iter()
            .map(|s| Reference {
                user: user_validator(s),
                response: validator(s, "response"),
                request: validator(s, "request"),
            })
            .collect()
    });
    let i = STYLES
        .iter()
        .position(|s| *s == style)
        .expect("a shipped style");
    &all[i]
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default)
}

fn runner(default_cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases: cases(default_cases),
        failure_persistence: None,
        ..Config::default()
    })
}

fn id(style: &str) -> StyleId {
    rules().style_id(style).expect("style loaded")
}

/// The empty forms a translation may use for "no value": absent, null, "", [], {}.
fn empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

fn same_value(a: Option<&Value>, b: Option<&Value>) -> bool {
    (empty(a) && empty(b)) || a == b
}

/// The client field names a list of lossy notes names.
fn named(notes: &[LossNote]) -> Vec<&str> {
    notes.iter().map(|n| n.field.as_str()).collect()
}

/// Whether `style` names the canonical field `field` among `notes`.
fn noted(style: StyleId, field: dragoman::translate::FieldId, notes: &[LossNote]) -> bool {
    rules()
        .style(style)
        .name_of(field)
        .is_some_and(|n| named(notes).contains(&n.as_str()))
}

/// A valid response of `from`, read, rendered for `to`, checked and read back.
fn response_property(from: &str, to: &str, doc: &Value) -> Result<(), TestCaseError> {
    let (f, t) = (id(from), id(to));
    let canon = rules()
        .read_response(f, doc)
        .map_err(|e| TestCaseError::fail(format!("{from} response did not read: {e}")))?;
    let view = rules()
        .view(t, &canon)
        .map_err(|e| TestCaseError::fail(format!("{from}->{to} view: {e}")))?;
    let resource: Value = serde_json::from_slice(&view.json).expect("view is JSON");
    if let Some(e) = reference(to).user.iter_errors(&resource).next() {
        return Err(TestCaseError::fail(format!(
            "{from}->{to}: {resource} is not a valid {to} user: {e} at {}",
            e.instance_path()
        )));
    }
    for method in [Method::Get, Method::Put] {
        let rendered = rules()
            .render_response(t, &canon, method, "req_prop", "2024-01-15T10:30:00Z")
            .map_err(|e| TestCaseError::fail(format!("{from}->{to} render: {e}")))?;
        let bytes = rules().write_response(t, &view, method, "req_prop", "2024-01-15T10:30:00Z");
        let from_bytes: Value = serde_json::from_slice(&bytes).expect("response is JSON");
        prop_assert_eq!(
            &from_bytes,
            &rendered.body,
            "byte path and value path differ"
        );
        prop_assert_eq!(&rendered.lossy, &view.lossy);
        prop_assert!(
            reference(to).response.is_valid(&rendered.body),
            "{}->{}: not a valid {} response: {}",
            from,
            to,
            to,
            rendered.body
        );
    }
    let back = rules()
        .read_resource(t, &resource)
        .map_err(|e| TestCaseError::fail(format!("{to} view did not read back: {e}")))?;
    let (fs, ts) = (rules().style(f), rules().style(t));
    for field in rules().registry().ids() {
        if !fs.holds(field, Kind::Response) || !ts.holds(field, Kind::Response) {
            continue;
        }
        if noted(t, field, &view.lossy) {
            continue;
        }
        // A field with no value that comes back as what the role implies was not lost: the
        // rules derive it (canonical.toml) whenever a document lacks it.
        if empty(canon.get(field))
            && back.get(field).is_some()
            && rules().derive(&back, field).as_ref() == back.get(field)
        {
            continue;
        }
        prop_assert!(
            same_value(canon.get(field), back.get(field)),
            "{}->{}: {} was {:?}, came back {:?} (lossy notes {:?})",
            from,
            to,
            rules().registry().name(field),
            canon.get(field),
            back.get(field),
            view.lossy
        );
    }
    Ok(())
}

/// Whether two values of one request field mean the same to the style itself: equal, both
/// empty, or read alike (a name "Ann " and "Ann" split into the same parts; envelope.toml).
fn same_reading(style: StyleId, key: &str, sent: &Value, back: Option<&Value>) -> bool {
    if same_value(Some(sent), back) {
        return true;
    }
    let Some(back) = back else { return false };
    let read = |v: &Value| {
        let doc = serde_json::json!({ key: v });
        rules()
            .style(style)
            .read(doc, Kind::Request, rules().registry(), rules().tables())
            .ok()
            .map(|c| c.to_json(rules().registry()))
    };
    matches!((read(sent), read(back)), (Some(a), Some(b)) if a == b)
}

/// A valid request of `from` for a `to` backend: carried validly, or refused by field.
fn request_property(from: &str, to: &str, doc: &Value) -> Result<(), TestCaseError> {
    let (f, t) = (id(from), id(to));
    match rules().translate_request(f, t, doc, &WritePolicy::default()) {
        Ok(carried) => {
            prop_assert!(
                reference(to).request.is_valid(&carried.body),
                "{}->{}: {} is not a valid {} request",
                from,
                to,
                carried.body,
                to
            );
            let everything = WritePolicy {
                drop_all: true,
                ..Default::default()
            };
            let back = match rules().translate_request(t, f, &carried.body, &everything) {
                Ok(back) => back,
                // Going back is a request of its own: it too may be refused by field (an
                // envelope name of " " reaches snake as two empty names, which envelope
                // cannot take back), but never fail otherwise.
                Err(TranslateError::Invalid(errors)) if !errors.is_empty() => return Ok(()),
                Err(e) => return Err(TestCaseError::fail(format!("{to}->{from} back: {e:?}"))),
            };
            let sent = doc.as_object().expect("request is an object");
            let style = rules().style(f);
            for (key, value) in sent {
                let Some(rule) = style.fields().iter().find(|r| r.path.dotted() == *key) else {
                    continue;
                };
                let held = rule
                    .canonical()
                    .iter()
                    .all(|c| rules().style(t).holds(*c, Kind::Request));
                // The way back names its lossy fields in the backend's terms.
                let lossy_back = rule.canonical().iter().any(|c| noted(t, *c, &back.lossy));
                let lossy = named(&carried.lossy).contains(&key.as_str()) || lossy_back;
                if !held || lossy {
                    continue;
                }
                prop_assert!(
                    same_reading(f, key, value, back.body.get(key)),
                    "{}->{}->{}: {} was {}, came back {:?}",
                    from,
                    to,
                    from,
                    key,
                    value,
                    back.body.get(key)
                );
            }
        }
        Err(TranslateError::Invalid(errors)) => {
            prop_assert!(!errors.is_empty(), "refused without a reason");
            let known = schema(from, "request")["properties"].clone();
            for e in &errors {
                let top = e.field();
                let top = top.split('.').next().unwrap_or_default();
                prop_assert!(
                    known.get(top).is_some(),
                    "{}->{}: refusal does not name a field of the request: {:?}",
                    from,
                    to,
                    e
                );
                prop_assert!(!e.message.is_empty());
            }
        }
        Err(other) => {
            return Err(TestCaseError::fail(format!(
                "{from}->{to}: request neither carried nor refused by field: {other:?}"
            )))
        }
    }
    Ok(())
}

fn run_pairs(
    kind: &str,
    default_cases: u32,
    property: fn(&str, &str, &Value) -> Result<(), TestCaseError>,
) {
    for from in STYLES {
        let hints = Hints::for_style(&root().join("rules"), &format!("{from}.toml"), kind);
        let doc_schema = schema(from, kind);
        let strategy = from_schema(&doc_schema, &doc_schema, &hints);
        let validator = compile(&doc_schema);
        for to in STYLES {
            let mut runner = runner(default_cases);
            let result = runner.run(&strategy, |doc| {
                prop_assert!(
                    validator.is_valid(&doc),
                    "the generator made an invalid {} {}: {}",
                    from,
                    kind,
                    doc
                );
                property(from, to, &doc)
            });
            if let Err(e) = result {
                panic!("{kind} {from}->{to}: {e}");
            }
        }
    }
}

#[test]
fn every_valid_response_renders_validly_in_every_client_style_and_keeps_what_both_hold() {
    run_pairs("response", 192, response_property);
}

#[test]
fn every_valid_request_is_carried_validly_or_refused_naming_its_fields() {
    run_pairs("request", 192, request_property);
}

#[test]
fn a_user_without_a_role_reads_in_every_style() {
    let snake = serde_json::json!({
        "message": "Data retrieved successfully", "meta": {},
        "data": {"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "email": "a@b.co",
                 "first_name": null, "last_name": "Doe", "is_active": true, "role_id": null}
    });
    let camel = serde_json::json!({
        "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "email": "a@b.co",
        "firstName": "Jo", "lastName": "Doe", "status": "active", "roles": []
    });
    for (from, doc) in [("snake", &snake), ("camel", &camel)] {
        for to in STYLES {
            response_property(from, to, doc).unwrap_or_else(|e| panic!("{from}->{to}: {e}"));
        }
    }
    let canon: Canonical = rules().read_response(id("snake"), &snake).expect("reads");
    let camel_view: Value =
        serde_json::from_slice(&rules().view(id("camel"), &canon).expect("view").json).unwrap();
    assert_eq!(
        camel_view["roles"],
        serde_json::json!([]),
        "no role is camel's empty list"
    );
    assert_eq!(
        camel_view["firstName"], "",
        "camel requires a first name: its empty form"
    );
    let envelope_view: Value =
        serde_json::from_slice(&rules().view(id("envelope"), &canon).expect("view").json).unwrap();
    assert!(
        envelope_view.get("role").is_none(),
        "no role is left out of envelope"
    );
}

#[test]
fn a_camel_client_clearing_roles_is_carried_to_snake_as_a_null_role() {
    let carried = rules()
        .translate_request(
            id("camel"),
            id("snake"),
            &serde_json::json!({"roles": []}),
            &WritePolicy::default(),
        )
        .expect("carried");
    assert_eq!(carried.body, serde_json::json!({"role_id": null}));
}

#[test]
fn a_phone_the_client_style_cannot_show_is_left_out_and_named_lossy() {
    let snake = serde_json::json!({
        "message": "Data retrieved successfully", "meta": {},
        "data": {"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "email": "a@b.co",
                 "first_name": "Jo", "last_name": "Doe", "is_active": true, "phone": "555-1234"}
    });
    let canon = rules().read_response(id("snake"), &snake).expect("reads");
    let view = rules().view(id("envelope"), &canon).expect("renders");
    let resource: Value = serde_json::from_slice(&view.json).unwrap();
    assert!(resource.get("phone").is_none());
    assert_eq!(named(&view.lossy), vec!["phone"]);
}

#[test]
fn a_name_whose_parts_do_not_split_back_is_named_lossy() {
    let camel = serde_json::json!({
        "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "email": "a@b.co",
        "firstName": "Mary Ann", "lastName": "Lee", "status": "active"
    });
    let canon = rules().read_response(id("camel"), &camel).expect("reads");
    let view = rules().view(id("envelope"), &canon).expect("renders");
    assert_eq!(named(&view.lossy), vec!["name"]);
    let plain = serde_json::json!({
        "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "email": "a@b.co",
        "firstName": "Mary", "lastName": "Ann Lee", "status": "active"
    });
    let canon = rules().read_response(id("camel"), &plain).expect("reads");
    assert!(rules()
        .view(id("envelope"), &canon)
        .expect("renders")
        .lossy
        .is_empty());
}
