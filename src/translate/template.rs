//! Body templates: how a style wraps a resource (`{success, data: "$resource", meta}`) and
//! shapes an error. A string value `"$name"` is a variable; one declaration serves both
//! rendering a body and finding the variable's place in a body received from upstream.

use super::path::JsonPath;
use serde_json::{Map, Value};

/// A variable's value when writing bytes. It is data, written as it is: a string in a
/// user's record that looks like `$request_id` is that string, never a variable.
pub enum Var<'a> {
    /// A value, serialised.
    Value(&'a Value),
    /// A string, written as a JSON string (no `Value` made for it).
    Str(&'a str),
    /// JSON text already serialised (a memoized view), copied as it is.
    Json(&'a [u8]),
}

impl Var<'_> {
    fn write(self, out: &mut Vec<u8>) {
        match self {
            Var::Value(v) => {
                let _ = serde_json::to_writer(&mut *out, v);
            }
            Var::Str(s) => {
                let _ = serde_json::to_writer(&mut *out, s);
            }
            Var::Json(bytes) => out.extend_from_slice(bytes),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    root: Value,
}

fn variable(v: &Value) -> Option<&str> {
    v.as_str()
        .and_then(|s| s.strip_prefix('$'))
        .filter(|s| !s.is_empty())
}

/// A template naming variables its place does not offer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown variable(s) ${}; allowed here: ${}", .unknown.join(", $"), .allowed.join(", $"))]
pub struct UnknownVariables {
    pub unknown: Vec<String>,
    pub allowed: Vec<String>,
}

impl Template {
    /// Checks every variable against `allowed`.
    pub fn compile(root: Value, allowed: &[&str]) -> Result<Self, UnknownVariables> {
        let t = Self { root };
        let unknown: Vec<String> = t
            .variables()
            .into_iter()
            .filter(|p| !allowed.contains(&p.as_str()))
            .collect();
        if !unknown.is_empty() {
            return Err(UnknownVariables {
                unknown,
                allowed: allowed.iter().map(|a| (*a).to_owned()).collect(),
            });
        }
        Ok(t)
    }

    pub fn variables(&self) -> Vec<String> {
        fn walk(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => m.values().for_each(|v| walk(v, out)),
                Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
                _ => {
                    if let Some(p) = variable(v) {
                        out.push(p.to_owned());
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }

    /// Where `$name` sits, through objects only; `Some(empty path)` when it is the root.
    pub fn find(&self, name: &str) -> Option<JsonPath> {
        fn walk(v: &Value, name: &str, keys: &mut Vec<String>) -> bool {
            if variable(v) == Some(name) {
                return true;
            }
            if let Value::Object(m) = v {
                for (k, v) in m {
                    keys.push(k.clone());
                    if walk(v, name, keys) {
                        return true;
                    }
                    keys.pop();
                }
            }
            false
        }
        let mut keys = Vec::new();
        walk(&self.root, name, &mut keys).then(|| JsonPath::from_keys(keys))
    }

    /// Writes the filled template as JSON straight into `out`, borrowing the values: the
    /// per-response path copies a cached view's bytes instead of building a new tree.
    /// A variable whose value is `None` is left out of its object or list.
    pub fn write_json<'a>(
        &'a self,
        vars: &mut dyn FnMut(&str) -> Option<Var<'a>>,
        out: &mut Vec<u8>,
    ) {
        /// Writes one template node (its variables filled); false when it was a variable
        /// without a value, so nothing was written.
        fn node<'a>(
            v: &'a Value,
            vars: &mut dyn FnMut(&str) -> Option<Var<'a>>,
            out: &mut Vec<u8>,
        ) -> bool {
            if let Some(name) = variable(v) {
                return match vars(name) {
                    Some(var) => {
                        var.write(out);
                        true
                    }
                    None => false,
                };
            }
            match v {
                Value::Object(m) => {
                    let entries = m.iter().map(|(k, v)| (Some(k), v));
                    members((b'{', b'}'), entries, vars, out);
                }
                Value::Array(a) => members((b'[', b']'), a.iter().map(|v| (None, v)), vars, out),
                other => {
                    let _ = serde_json::to_writer(&mut *out, other);
                }
            }
            true
        }
        /// An object's or a list's members between their brackets; a member that is a
        /// variable without a value is left out with its key and separator.
        fn members<'a>(
            (open, close): (u8, u8),
            entries: impl Iterator<Item = (Option<&'a String>, &'a Value)>,
            vars: &mut dyn FnMut(&str) -> Option<Var<'a>>,
            out: &mut Vec<u8>,
        ) {
            out.push(open);
            let mut empty = true;
            for (key, v) in entries {
                let mark = out.len();
                if !empty {
                    out.push(b',');
                }
                if let Some(k) = key {
                    let _ = serde_json::to_writer(&mut *out, k);
                    out.push(b':');
                }
                if node(v, vars, out) {
                    empty = false;
                } else {
                    out.truncate(mark);
                }
            }
            out.push(close);
        }
        if !node(&self.root, vars, out) {
            out.extend_from_slice(b"null");
        }
    }

    /// Fills the variables; one whose value is `None` is left out of its object or list.
    pub fn render(&self, vars: &mut dyn FnMut(&str) -> Option<Value>) -> Value {
        fn walk(v: &Value, vars: &mut dyn FnMut(&str) -> Option<Value>) -> Option<Value> {
            if let Some(p) = variable(v) {
                return vars(p);
            }
            Some(match v {
                Value::Object(m) => {
                    let mut out = Map::with_capacity(m.len());
                    for (k, v) in m {
                        if let Some(v) = walk(v, vars) {
                            out.insert(k.clone(), v);
                        }
                    }
                    Value::Object(out)
                }
                Value::Array(a) => Value::Array(a.iter().filter_map(|v| walk(v, vars)).collect()),
                other => other.clone(),
            })
        }
        walk(&self.root, vars).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_variable_without_a_value_is_left_out() {
        let t = Template::compile(
            json!({"success": true, "data": "$resource", "meta": {"message": "$message"}}),
            &["resource", "message"],
        )
        .unwrap();
        let body = t.render(&mut |p| (p == "resource").then(|| json!({"id": 1})));
        assert_eq!(
            body,
            json!({"success": true, "data": {"id": 1}, "meta": {}})
        );
    }

    #[test]
    fn find_locates_a_nested_variable_and_the_root() {
        let t = Template::compile(json!({"a": {"b": "$resource"}}), &["resource"]).unwrap();
        assert_eq!(t.find("resource").unwrap().dotted(), "a.b");
        let bare = Template::compile(json!("$resource"), &["resource"]).unwrap();
        assert_eq!(bare.find("resource").unwrap().dotted(), "");
        assert!(bare.find("message").is_none());
    }

    #[test]
    fn writing_bytes_gives_the_same_document_as_rendering() {
        let t = Template::compile(
            json!({"success": true, "data": "$resource", "list": [1, "$message", "$request_id"], "meta": {"m": "$message", "r": "$request_id"}}),
            &["resource", "message", "request_id"],
        )
        .unwrap();
        let resource = json!({"id": "x", "nested": {"a": [1, 2]}});
        let mut out = Vec::new();
        t.write_json(
            &mut |p| match p {
                "resource" => Some(Var::Value(&resource)),
                "request_id" => Some(Var::Str("req")),
                _ => None,
            },
            &mut out,
        );
        let written: Value = serde_json::from_slice(&out).unwrap();
        let rendered = t.render(&mut |p| match p {
            "resource" => Some(resource.clone()),
            "request_id" => Some(json!("req")),
            _ => None,
        });
        assert_eq!(written, rendered);
    }

    #[test]
    fn a_value_that_looks_like_a_variable_is_written_as_data() {
        let t = Template::compile(
            json!({"data": "$resource", "meta": {"request_id": "$request_id"}}),
            &["resource", "request_id"],
        )
        .unwrap();
        let resource = json!({"name": "$request_id", "bio": "$message", "tags": ["$resource"]});
        let serialized = serde_json::to_vec(&resource).unwrap();
        for var in [Var::Value(&resource), Var::Json(&serialized)] {
            let mut var = Some(var);
            let mut out = Vec::new();
            t.write_json(
                &mut |p| match p {
                    "resource" => var.take(),
                    "request_id" => Some(Var::Str("req_1")),
                    _ => None,
                },
                &mut out,
            );
            let written: Value = serde_json::from_slice(&out).unwrap();
            assert_eq!(
                written,
                json!({"data": resource, "meta": {"request_id": "req_1"}})
            );
        }
    }

    #[test]
    fn an_unknown_variable_is_refused() {
        let err = Template::compile(json!({"x": "$nope"}), &["resource"]).unwrap_err();
        assert!(err.to_string().contains("$nope"), "{err}");
    }
}
