//! The `dragoman translate` subcommand on requests (the default `--kind request`), driven
//! through the real binary: a file, NDJSON with a broken line, or stdin is translated, dropped
//! and lossy fields are reported on stderr, `--strict` refuses instead, and an unknown style or
//! a missing file is a usage error.

mod common;

use common::cli::{
    dragoman, dragoman_with_stdin, fixture, json, path_str, root, seed, stderr, stdout,
};
use serde_json::Value;

/// The id of a role in rules/roles.toml.
fn role_id(name: &str) -> String {
    let text = std::fs::read_to_string(root().join("rules/roles.toml")).expect("roles.toml");
    let table: toml::Table = toml::from_str(&text).expect("roles.toml is TOML");
    table["row"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"].as_str() == Some(name))
        .and_then(|r| r["id"].as_str())
        .unwrap_or_else(|| panic!("role {name} in roles.toml"))
        .to_owned()
}

// ---- translate --kind request ----

#[test]
fn translating_the_envelope_put_seed_to_camel_prints_the_camel_body_and_reports_dropped_fields() {
    let o = dragoman(&[
        "translate",
        "--from",
        "envelope",
        "--to",
        "camel",
        path_str(&seed("envelope-put-request.json")),
    ]);
    assert!(o.status.success(), "exit 0; stderr: {}", stderr(&o));
    let body = json(&o);
    assert_eq!(body["firstName"], "John");
    assert_eq!(body["lastName"], "Smith");
    assert_eq!(
        body["roles"],
        serde_json::json!([role_id("senior_billing_manager")])
    );
    assert_eq!(body["status"], "active");
    for gone in [
        "department",
        "phone",
        "metadata",
        "name",
        "role",
        "permissions",
    ] {
        assert!(body.get(gone).is_none(), "{gone} is not in the camel body");
    }
    assert!(
        stdout(&o).contains("\n  \""),
        "a single document is printed pretty with two-space indents"
    );
    let err = stderr(&o);
    assert!(err.contains("input: dropped"), "stderr: {err}");
    for field in ["phone", "department", "metadata"] {
        assert!(err.contains(field), "stderr names {field}: {err}");
    }
}

#[test]
fn strict_translation_of_the_envelope_put_seed_refuses_and_prints_nothing() {
    let o = dragoman(&[
        "translate",
        "--from",
        "envelope",
        "--to",
        "camel",
        "--strict",
        path_str(&seed("envelope-put-request.json")),
    ]);
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(&o));
    assert!(o.stdout.is_empty(), "nothing on stdout: {}", stdout(&o));
    let err = stderr(&o);
    for field in ["phone", "department", "metadata"] {
        assert!(err.contains(&format!("input: {field}:")), "stderr: {err}");
    }
}

#[test]
fn ndjson_with_a_broken_second_line_outputs_lines_one_and_three_and_names_line_two() {
    let o = dragoman(&[
        "translate",
        "--from",
        "envelope",
        "--to",
        "camel",
        path_str(&fixture("envelope-three-lines-second-broken.ndjson")),
    ]);
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each output line is compact JSON"))
        .collect();
    assert_eq!(lines.len(), 2, "stdout: {out}");
    assert_eq!(lines[0]["firstName"], "John");
    assert_eq!(lines[1]["firstName"], "Ann");
    assert_eq!(lines[1]["roles"], serde_json::json!([role_id("viewer")]));
    let err = stderr(&o);
    assert!(err.contains("line 2: not valid JSON"), "stderr: {err}");
    assert!(err.contains("line 1: dropped"), "stderr: {err}");
    assert!(err.contains("line 3: dropped"), "stderr: {err}");
}

#[test]
fn a_document_read_from_stdin_is_translated() {
    let input = std::fs::read(seed("camel-put-request.json")).expect("seed");
    let o = dragoman_with_stdin(
        &["translate", "--from", "camel", "--to", "envelope"],
        &input,
    );
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let body = json(&o);
    assert_eq!(body["name"], "Jane Smith");
    assert_eq!(body["role"], "billing_manager");
    assert_eq!(body["status"], "active");
    assert!(
        stderr(&o).contains("input: dropped type"),
        "the camel type has no place in envelope: {}",
        stderr(&o)
    );
}

#[test]
fn ndjson_read_from_stdin_comes_out_one_compact_document_per_line() {
    let input =
        std::fs::read(fixture("envelope-three-lines-second-broken.ndjson")).expect("fixture");
    let o = dragoman_with_stdin(
        &["translate", "--from", "envelope", "--to", "snake"],
        &input,
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 2, "stdout: {out}");
    for line in out.lines() {
        let doc: Value = serde_json::from_str(line).expect("each line is one JSON document");
        assert_eq!(
            line,
            serde_json::to_string(&doc).expect("compact"),
            "compact"
        );
    }
    assert!(stderr(&o).contains("line 2:"));
}

#[test]
fn lossy_values_are_reported_on_stderr() {
    let o = dragoman(&[
        "translate",
        "--from",
        "camel",
        "--to",
        "snake",
        path_str(&seed("camel-put-request.json")),
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(json(&o)["is_superuser"], false);
    assert!(
        stderr(&o).contains("input: lossy: type:"),
        "stderr: {}",
        stderr(&o)
    );
}

// ---- translate usage errors ----

#[test]
fn an_unknown_style_is_a_usage_error_listing_the_known_styles() {
    let o = dragoman(&[
        "translate",
        "--from",
        "klingon",
        "--to",
        "camel",
        path_str(&seed("envelope-put-request.json")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = stderr(&o);
    assert!(err.contains("klingon"), "stderr: {err}");
    for style in ["envelope", "camel", "snake"] {
        assert!(err.contains(style), "stderr lists {style}: {err}");
    }
}

#[test]
fn a_missing_input_file_is_a_usage_error() {
    let o = dragoman(&[
        "translate",
        "--from",
        "envelope",
        "--to",
        "camel",
        "no/such/file.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/file.json"));
}
