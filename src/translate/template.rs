//! Body templates: how a style wraps a resource (`{success, data: "$resource", meta}`) and
//! shapes an error. A string value `"$name"` is a placeholder; one declaration serves both
//! rendering a body and finding the placeholder's place in a body received from upstream.

use super::path::JsonPath;
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    root: Value,
}

fn placeholder(v: &Value) -> Option<&str> {
    v.as_str()
        .and_then(|s| s.strip_prefix('$'))
        .filter(|s| !s.is_empty())
}

impl Template {
    /// Checks every placeholder against `allowed`.
    pub fn compile(root: Value, allowed: &[&str]) -> Result<Self, String> {
        let t = Self { root };
        let unknown: Vec<String> = t
            .placeholders()
            .into_iter()
            .filter(|p| !allowed.contains(&p.as_str()))
            .collect();
        if !unknown.is_empty() {
            return Err(format!(
                "unknown placeholder(s) ${}; allowed here: ${}",
                unknown.join(", $"),
                allowed.join(", $")
            ));
        }
        Ok(t)
    }

    pub fn placeholders(&self) -> Vec<String> {
        fn walk(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => m.values().for_each(|v| walk(v, out)),
                Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
                _ => {
                    if let Some(p) = placeholder(v) {
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
            if placeholder(v) == Some(name) {
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

    /// Fills the placeholders; one whose value is `None` is left out of its object or list.
    pub fn render(&self, vars: &mut dyn FnMut(&str) -> Option<Value>) -> Value {
        fn walk(v: &Value, vars: &mut dyn FnMut(&str) -> Option<Value>) -> Option<Value> {
            if let Some(p) = placeholder(v) {
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
    fn a_placeholder_without_a_value_is_left_out() {
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
    fn find_locates_a_nested_placeholder_and_the_root() {
        let t = Template::compile(json!({"a": {"b": "$resource"}}), &["resource"]).unwrap();
        assert_eq!(t.find("resource").unwrap().dotted(), "a.b");
        let bare = Template::compile(json!("$resource"), &["resource"]).unwrap();
        assert_eq!(bare.find("resource").unwrap().dotted(), "");
        assert!(bare.find("message").is_none());
    }

    #[test]
    fn an_unknown_placeholder_is_refused() {
        let err = Template::compile(json!({"x": "$nope"}), &["resource"]).unwrap_err();
        assert!(err.contains("$nope"), "{err}");
    }
}
