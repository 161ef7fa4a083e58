//! Helpers shared by the `schemas_*` tests: the JSON Schemas under `schemas/` and the seed
//! fixtures under `tests/fixtures/seeds/`, read from disk and compiled exactly as the gateway
//! compiles them, and assertions that print every validation error.

use std::path::{Path, PathBuf};

use jsonschema::Validator;
use serde_json::Value;

/// The three styles, as their schema folders are named.
pub const STYLES: [&str; 3] = ["envelope", "camel", "snake"];

/// The crate root, where `schemas/` and `tests/fixtures/` are.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A JSON file, parsed; panics naming the file.
pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The schema document `schemas/{style}/{kind}.json`, read from disk.
pub fn schema(style: &str, kind: &str) -> Value {
    read_json(
        &root()
            .join("schemas")
            .join(style)
            .join(format!("{kind}.json")),
    )
}

/// The seed fixture `tests/fixtures/seeds/{name}`.
pub fn fixture(name: &str) -> Value {
    read_json(&root().join("tests/fixtures/seeds").join(name))
}

/// Compiles a schema exactly as the gateway does.
pub fn compile(schema: &Value) -> Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("schema does not compile: {e}\n{schema:#}"))
}

/// `schemas/{style}/{kind}.json`, compiled as the gateway does.
pub fn validator(style: &str, kind: &str) -> Validator {
    compile(&schema(style, kind))
}

/// The `$defs/user` sub-schema of a style's response schema, compiled on its own.
pub fn user_validator(style: &str) -> Validator {
    compile(&user_def(style))
}

/// The `$defs/user` sub-schema of a style's response schema.
pub fn user_def(style: &str) -> Value {
    schema(style, "response")["$defs"]["user"].clone()
}

/// Every validation message for `instance`, one per line (empty when valid).
pub fn errors(v: &Validator, instance: &Value) -> String {
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

pub fn assert_valid(v: &Validator, instance: &Value, what: &str) {
    let errs = errors(v, instance);
    assert!(errs.is_empty(), "{what} should be valid, but:\n{errs}");
}

pub fn assert_invalid(v: &Validator, instance: &Value, what: &str) {
    assert!(
        !v.is_valid(instance),
        "{what} should be refused:\n{instance:#}"
    );
}

/// Each seed fixture, with the style and schema kind it must validate against.
pub const FIXTURES: &[(&str, &str, &str)] = &[
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
