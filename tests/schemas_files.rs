//! The JSON Schemas under `schemas/` and the seed fixtures under `tests/fixtures/seeds/`, as
//! files: every schema is a self-describing draft 2020-12 schema with only local `$ref`s that
//! compiles with format validation on (as the gateway compiles them), every user definition
//! is self-contained, and every seed fixture is listed in `FIXTURES` and validates against the
//! schema of its style and kind.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use common::schemas::{
    assert_valid, compile, fixture, read_json, root, user_def, validator, FIXTURES, STYLES,
};
use serde_json::Value;

const KINDS: [&str; 3] = ["request", "response", "error"];

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
