//! Documents generated from the shipped JSON Schemas themselves, for property tests.
//!
//! [`from_schema`] walks a schema (the subset our schemas use: local `$ref`, `const`, `enum`,
//! `type` lists with `null`, string formats uuid/email/date-time, `pattern`, lengths,
//! integer bounds, arrays with `uniqueItems`, objects with `required` and
//! `additionalProperties`) and builds a strategy of documents valid against it: absent
//! optional fields, nulls where allowed, empty lists, unicode and boundary strings, every enum
//! value. What a schema cannot say — that a role must be a row of `rules/roles.toml` — comes
//! from [`Hints`], built from the rules files, so a fourth style is covered without code.

use std::collections::HashMap;
use std::path::Path;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};

/// Strategies for properties (by name, at any depth) that the rules constrain beyond the
/// schema: references into shared tables.
#[derive(Default, Clone)]
pub struct Hints {
    by_property: HashMap<String, BoxedStrategy<Value>>,
}

impl Hints {
    /// The lookup fields of one style's rules file, for documents of `kind` ("request" or
    /// "response"), drawing references from the tables in `rules_dir`.
    pub fn for_style(rules_dir: &Path, style_file: &str, kind: &str) -> Self {
        let style: toml::Table = read_toml(&rules_dir.join(style_file));
        let mut tables: HashMap<String, Vec<toml::Table>> = HashMap::new();
        for entry in std::fs::read_dir(rules_dir).expect("rules dir") {
            let path = entry.expect("rules entry").path();
            let t: toml::Table = read_toml(&path);
            if let (Some(name), Some(rows)) = (t.get("table"), t.get("row")) {
                let rows = rows
                    .as_array()
                    .expect("rows")
                    .iter()
                    .map(|r| r.as_table().expect("row").clone())
                    .collect();
                tables.insert(name.as_str().expect("table name").to_owned(), rows);
            }
        }
        let mut by_property = HashMap::new();
        for field in style
            .get("field")
            .and_then(|f| f.as_array())
            .into_iter()
            .flatten()
        {
            let field = field.as_table().expect("field");
            let path = field["path"].as_str().expect("path");
            let name = path.rsplit('.').next().unwrap_or(path).to_owned();
            if field.get("kind").and_then(|k| k.as_str()) == Some("prefix") {
                // Ids the other styles can hold too (UUIDs), most of the time; the schema's
                // own pattern otherwise (only offline translation meets those).
                let prefix = field["prefix"].as_str().expect("prefix").to_owned();
                by_property.insert(
                    name,
                    uuid()
                        .prop_map(move |u| Value::String(format!("{prefix}{u}")))
                        .boxed(),
                );
                continue;
            }
            if field.get("kind").and_then(|k| k.as_str()) != Some("lookup") {
                continue;
            }
            let table = field["table"].as_str().expect("table");
            let rows = tables.get(table).expect("table loaded").clone();
            let form = field[kind].clone();
            let many = field.get("many").and_then(|m| m.as_bool()).unwrap_or(false);
            let one = select(rows.clone()).prop_map(move |row| reference(&row, &form));
            let strategy = if many {
                vec(one, 0..4)
                    .prop_map(|mut refs| {
                        dedup(&mut refs);
                        Value::Array(refs)
                    })
                    .boxed()
            } else {
                one.boxed()
            };
            by_property.insert(name, strategy);
        }
        Self { by_property }
    }
}

fn read_toml(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One table row as a style refers to it: one column's value, or an object of columns.
fn reference(row: &toml::Table, form: &toml::Value) -> Value {
    let json = |v: &toml::Value| serde_json::to_value(v).expect("toml value as json");
    match form {
        toml::Value::String(col) => json(&row[col.as_str()]),
        toml::Value::Array(cols) => {
            let mut obj = Map::new();
            for c in cols {
                let c = c.as_str().expect("column");
                if let Some(v) = row.get(c) {
                    obj.insert(c.to_owned(), json(v));
                }
            }
            Value::Object(obj)
        }
        other => panic!("lookup form {other:?}"),
    }
}

fn dedup(items: &mut Vec<Value>) {
    let mut seen: Vec<Value> = Vec::new();
    items.retain(|v| {
        if seen.contains(v) {
            false
        } else {
            seen.push(v.clone());
            true
        }
    });
}

/// Documents valid against `schema` (a node of `root`, where local `$ref`s resolve).
pub fn from_schema(root: &Value, schema: &Value, hints: &Hints) -> BoxedStrategy<Value> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = r
            .strip_prefix('#')
            .and_then(|p| root.pointer(p))
            .unwrap_or_else(|| panic!("unresolvable $ref {r}"));
        return from_schema(root, target, hints);
    }
    if let Some(c) = schema.get("const") {
        return Just(c.clone()).boxed();
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        return select(options.clone()).boxed();
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec!["string", "integer", "boolean", "object"],
    };
    let mut options: Vec<BoxedStrategy<Value>> = types
        .iter()
        .map(|t| of_type(root, schema, t, hints))
        .collect();
    if options.len() == 1 {
        return options.remove(0);
    }
    proptest::strategy::Union::new(options).boxed()
}

fn of_type(root: &Value, schema: &Value, ty: &str, hints: &Hints) -> BoxedStrategy<Value> {
    match ty {
        "null" => Just(Value::Null).boxed(),
        "boolean" => any::<bool>().prop_map(Value::Bool).boxed(),
        "integer" => {
            let min = schema.get("minimum").and_then(Value::as_i64);
            let max = schema.get("maximum").and_then(Value::as_i64);
            match (min, max) {
                (None, None) => prop_oneof![
                    Just(0i64),
                    Just(i64::MAX),
                    Just(i64::MIN),
                    -1000i64..100_000,
                ]
                .prop_map(Value::from)
                .boxed(),
                (lo, hi) => (lo.unwrap_or(i64::MIN)..=hi.unwrap_or(i64::MAX))
                    .prop_map(Value::from)
                    .boxed(),
            }
        }
        "number" => (-1.0e9f64..1.0e9).prop_map(Value::from).boxed(),
        "string" => string(schema).prop_map(Value::String).boxed(),
        "array" => {
            let items = schema
                .get("items")
                .map(|i| from_schema(root, i, hints))
                .unwrap_or_else(|| scalar().boxed());
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
            let unique = schema.get("uniqueItems") == Some(&Value::Bool(true));
            vec(items, min..min + 4)
                .prop_map(move |mut v| {
                    if unique {
                        dedup(&mut v);
                    }
                    Value::Array(v)
                })
                .prop_filter("minItems after dedup", move |v| {
                    v.as_array().is_some_and(|a| a.len() >= min)
                })
                .boxed()
        }
        "object" => object(root, schema, hints),
        other => panic!("schema type {other}"),
    }
}

fn object(root: &Value, schema: &Value, hints: &Hints) -> BoxedStrategy<Value> {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        // A free-form object (metadata, activity_stats): a few keys of any JSON.
        return proptest::collection::btree_map("[a-z_]{1,8}", json_value(), 0..4)
            .prop_map(|m| Value::Object(m.into_iter().collect()))
            .boxed();
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut members: Vec<BoxedStrategy<Option<(String, Value)>>> = Vec::new();
    for (name, sub) in props {
        let value = hints
            .by_property
            .get(name)
            .cloned()
            .map(|h| with_null_if_allowed(h, sub))
            .unwrap_or_else(|| from_schema(root, sub, hints));
        let key = name.clone();
        let pair = value.prop_map(move |v| (key.clone(), v));
        if required.contains(&name.as_str()) {
            members.push(pair.prop_map(Some).boxed());
        } else {
            members.push(proptest::option::weighted(0.6, pair).boxed());
        }
    }
    let open = schema.get("additionalProperties") != Some(&Value::Bool(false));
    let extra = if open {
        proptest::option::weighted(0.2, ("x_[a-z]{1,6}", scalar())).boxed()
    } else {
        Just(None).boxed()
    };
    (members, extra)
        .prop_map(|(members, extra)| {
            let mut obj = Map::new();
            for (k, v) in members.into_iter().flatten() {
                obj.insert(k, v);
            }
            if let Some((k, v)) = extra {
                obj.entry(k).or_insert(v);
            }
            Value::Object(obj)
        })
        .boxed()
}

fn with_null_if_allowed(strategy: BoxedStrategy<Value>, schema: &Value) -> BoxedStrategy<Value> {
    let nullable = match schema.get("type") {
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    if nullable {
        prop_oneof![1 => Just(Value::Null), 3 => strategy].boxed()
    } else {
        strategy
    }
}

fn string(schema: &Value) -> BoxedStrategy<String> {
    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0) as usize;
    let max = schema
        .get("maxLength")
        .and_then(Value::as_u64)
        .map(|m| m as usize);
    let base = match schema.get("format").and_then(Value::as_str) {
        Some("uuid") => uuid().boxed(),
        Some("email") => email().boxed(),
        Some("date-time") => date_time().boxed(),
        _ => match schema.get("pattern").and_then(Value::as_str) {
            Some(p) => {
                let p = p.trim_start_matches('^').trim_end_matches('$');
                proptest::string::string_regex(p)
                    .unwrap_or_else(|e| panic!("pattern {p}: {e}"))
                    .boxed()
            }
            None => text().boxed(),
        },
    };
    base.prop_filter("length bounds", move |s| {
        let n = s.chars().count();
        n >= min && max.is_none_or(|m| n <= m)
    })
    .boxed()
}

/// Free text: boundary strings (empty, spaces, a separator at either end), words, and any
/// printable unicode.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            String::new(),
            " ".to_owned(),
            "  ".to_owned(),
            " leading".to_owned(),
            "trailing ".to_owned(),
            "Zoë Ångström-Łukasz".to_owned(),
            "山田 太郎".to_owned(),
            "$request_id".to_owned(),
            "\"quoted\" \\ back".to_owned(),
            "emoji 🎉 here".to_owned(),
        ]),
        "[A-Za-z]{1,10}( [A-Za-z]{1,10}){0,2}",
        "\\PC{0,24}",
    ]
}

fn uuid() -> impl Strategy<Value = String> {
    any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string())
}

fn email() -> impl Strategy<Value = String> {
    "[a-z0-9]{1,10}(\\.[a-z0-9]{1,6})?(\\+[a-z]{1,4})?@[a-z0-9]{1,10}(-[a-z0-9]{1,4})?\\.[a-z]{2,6}"
}

fn date_time() -> impl Strategy<Value = String> {
    (
        1970u32..2100,
        1u32..=12,
        1u32..=28,
        0u32..24,
        0u32..60,
        0u32..60,
        proptest::option::of(0u32..1000),
        prop_oneof![
            Just("Z".to_owned()),
            (0u32..14, prop_oneof![Just(0u32), Just(30)], any::<bool>())
                .prop_map(|(h, m, plus)| format!("{}{h:02}:{m:02}", if plus { '+' } else { '-' })),
        ],
    )
        .prop_map(|(y, mo, d, h, mi, s, frac, off)| {
            let frac = frac.map(|f| format!(".{f:03}")).unwrap_or_default();
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{off}")
        })
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        text().prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z]{1,5}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
