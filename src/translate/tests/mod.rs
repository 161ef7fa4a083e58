//! The translation core against the seed documents: every direction, field by field. One
//! file per concern; the shared fixtures and helpers are here.

mod errors;
mod ids_and_loss;
mod requests;
mod responses;

use super::*;
use serde_json::json;
use std::sync::OnceLock;

pub(super) fn set() -> &'static RuleSet {
    static SET: OnceLock<RuleSet> = OnceLock::new();
    SET.get_or_init(|| RuleSet::builtin().unwrap_or_else(|e| panic!("builtin rules: {e:?}")))
}

pub(super) fn id(name: &str) -> StyleId {
    set().style_id(name).unwrap()
}

pub(super) fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/seeds/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

const JOHN: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";

/// The envelope GET seed, with a UUID-based id so that it fits the UUID styles too.
pub(super) fn envelope_get() -> Value {
    let mut doc = fixture("envelope-get-response");
    doc["data"]["id"] = json!(format!("user_{JOHN}"));
    doc
}

pub(super) fn strict() -> WritePolicy {
    WritePolicy::default()
}

pub(super) fn drop_all() -> WritePolicy {
    WritePolicy {
        drop: vec![],
        drop_all: true,
    }
}

pub(super) fn request(
    from: &str,
    to: &str,
    body: &Value,
    policy: &WritePolicy,
) -> Result<TranslatedRequest, TranslateError> {
    set().translate_request(id(from), id(to), body, policy)
}

pub(super) fn invalid_fields(r: Result<TranslatedRequest, TranslateError>) -> Vec<String> {
    match r {
        Err(TranslateError::Invalid(errs)) => errs.iter().map(|e| e.pointer.clone()).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

pub(super) fn response(from: &str, to: &str, doc: &Value) -> Value {
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

/// Lossy notes as a person reads them (`field: why`).
pub(super) fn as_text(notes: &[LossNote]) -> Vec<String> {
    notes.iter().map(ToString::to_string).collect()
}

/// Every ordered pair of distinct shipped styles.
pub(super) fn pairs() -> Vec<(&'static str, &'static str)> {
    let s = ["envelope", "camel", "snake"];
    s.iter()
        .flat_map(|a| s.iter().filter(move |b| *b != a).map(move |b| (*a, *b)))
        .collect()
}

/// The field errors a strict request translation refuses `body` with (panics if carried).
pub(super) fn refusal(from: &str, to: &str, body: &Value) -> Vec<FieldError> {
    match request(from, to, body, &strict()) {
        Err(TranslateError::Invalid(errs)) => errs,
        other => panic!("{from} -> {to}: expected a refusal, got {other:?}"),
    }
}
