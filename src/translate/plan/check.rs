//! One JSON Schema node compiled into the checks a plan runs on a value as it passes: the
//! type, string enums and consts, string lengths, an object's properties, required keys and
//! additional properties, an array's items, local `$ref`s. Every other keyword of the node
//! (formats, patterns, numeric bounds, `uniqueItems`, combinators, keywords this module has
//! never heard of) stays `jsonschema`'s: it is compiled, with the same options as the whole
//! schema, into a residual validator of just those keywords and run on the same value. So a
//! check never has its own opinion of what a format or a pattern means.
//!
//! A node is compiled inline only where its keywords are independent of each other; where
//! they interact (`patternProperties` or `unevaluated*` beside `additionalProperties`,
//! `prefixItems` beside `items`) the whole node is the residual, and where that residual would
//! need the rest of the document (a `$ref` inside it) the node does not compile at all and the
//! style keeps its value path.

use serde_json::{Map, Value};

/// Keywords that say nothing about validity (annotations); ignored.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "definitions",
    "$comment",
    "title",
    "description",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Whether a keyword says nothing about validity (an annotation, or an `x-` extension).
pub(crate) fn is_annotation(key: &str) -> bool {
    ANNOTATIONS.contains(&key) || key.starts_with("x-")
}

/// Keywords whose meaning depends on a neighbour this module compiles inline.
const ENTANGLED: &[&str] = &[
    "patternProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "prefixItems",
    "$dynamicRef",
    "$recursiveRef",
];

/// Why a node does not compile into a plan (the style then keeps its value path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotCompilable(pub String);

/// The JSON types a `type` keyword admits, as bits.
const NULL: u8 = 1;
const BOOLEAN: u8 = 2;
const OBJECT: u8 = 4;
const ARRAY: u8 = 8;
const STRING: u8 = 16;
const INTEGER: u8 = 32;
const NUMBER: u8 = 64;

fn type_bits(v: &Value) -> u8 {
    match v {
        Value::Null => NULL,
        Value::Bool(_) => BOOLEAN,
        Value::Object(_) => OBJECT,
        Value::Array(_) => ARRAY,
        Value::String(_) => STRING,
        Value::Number(n) => {
            // jsonschema's `integer`: any number without a fractional part (1.0 included).
            let integral = n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0);
            if integral {
                INTEGER | NUMBER
            } else {
                NUMBER
            }
        }
    }
}

fn type_bit(name: &str) -> Option<u8> {
    Some(match name {
        "null" => NULL,
        "boolean" => BOOLEAN,
        "object" => OBJECT,
        "array" => ARRAY,
        "string" => STRING,
        "integer" => INTEGER,
        "number" => NUMBER,
        _ => return None,
    })
}

/// What an object's keys not among its properties may be.
#[derive(Debug)]
pub(crate) enum Additional {
    Allow,
    Forbid,
    Check(Box<Check>),
}

impl Additional {
    pub(crate) fn is_valid(&self, v: &Value) -> bool {
        match self {
            Additional::Allow => true,
            Additional::Forbid => false,
            Additional::Check(c) => c.is_valid(v),
        }
    }
}

/// The object keywords of a node.
#[derive(Debug)]
pub(crate) struct ObjectCheck {
    pub(crate) properties: Vec<(String, Check)>,
    pub(crate) required: Vec<String>,
    pub(crate) additional: Additional,
}

impl ObjectCheck {
    /// One pass over the object's entries (no hashing): each key's check, and the required
    /// keys counted off as they are met.
    fn is_valid(&self, map: &Map<String, Value>) -> bool {
        let mut met = 0usize;
        for (k, v) in map {
            let valid = match self.properties.iter().find(|(n, _)| n == k) {
                Some((_, c)) => c.is_valid(v),
                None => self.additional.is_valid(v),
            };
            if !valid {
                return false;
            }
            if self.required.iter().any(|r| r == k) {
                met += 1;
            }
        }
        // `required` holds each name once (deduplicated at compile) and an object's keys
        // are unique, so every required key was met exactly when the counts agree.
        met == self.required.len()
    }
}

/// A compiled node. Every part present must hold.
pub(crate) struct Check {
    types: Option<u8>,
    /// `enum` of strings only (any other enum is residual).
    strings: Option<Box<[String]>>,
    /// `const` of a string, boolean or null.
    constant: Option<Value>,
    min_length: Option<usize>,
    max_length: Option<usize>,
    pub(crate) object: Option<ObjectCheck>,
    items: Option<Box<Check>>,
    /// `$ref`ed nodes, each of which must hold too.
    refs: Vec<Check>,
    residual: Option<Box<jsonschema::Validator>>,
    /// Which keywords the node asserts, normalised (annotations and residual-only details
    /// left as written): two checks with the same text assert the same.
    pub(crate) assertion: Value,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Check({})", self.assertion)
    }
}

impl Check {
    /// A node that holds for every value.
    pub(crate) fn any() -> Self {
        Self {
            types: None,
            strings: None,
            constant: None,
            min_length: None,
            max_length: None,
            object: None,
            items: None,
            refs: Vec::new(),
            residual: None,
            assertion: Value::Object(Map::new()),
        }
    }

    /// A node that holds for no value (`false`, or a key an object forbids).
    pub(crate) fn never() -> Self {
        Self {
            types: Some(0),
            assertion: Value::Bool(false),
            ..Self::any()
        }
    }

    /// Compiles `node`, resolving local `$ref`s (`#/…`) against `root`.
    pub(crate) fn compile(node: &Value, root: &Value) -> Result<Self, NotCompilable> {
        if nested_id(root, true) {
            // A `$id` below the root changes what a `$ref` inside it resolves against; the
            // pointer resolution here knows only the root.
            return Err(NotCompilable("a `$id` below the schema's root".into()));
        }
        compile(node, root, 0)
    }

    pub(crate) fn is_valid(&self, v: &Value) -> bool {
        if let Some(t) = self.types {
            if type_bits(v) & t == 0 {
                return false;
            }
        }
        if let Some(allowed) = &self.strings {
            match v {
                Value::String(s) if allowed.iter().any(|a| a == s) => {}
                _ => return false,
            }
        }
        if let Some(c) = &self.constant {
            if c != v {
                return false;
            }
        }
        if let Value::String(s) = v {
            if self.min_length.is_some() || self.max_length.is_some() {
                let n = s.chars().count();
                if self.min_length.is_some_and(|m| n < m) || self.max_length.is_some_and(|m| n > m)
                {
                    return false;
                }
            }
        }
        match v {
            Value::Object(map) => {
                if let Some(o) = &self.object {
                    if !o.is_valid(map) {
                        return false;
                    }
                }
            }
            Value::Array(items) => {
                if let Some(c) = &self.items {
                    if !items.iter().all(|i| c.is_valid(i)) {
                        return false;
                    }
                }
            }
            _ => {}
        }
        if !self.refs.iter().all(|r| r.is_valid(v)) {
            return false;
        }
        self.residual.as_ref().is_none_or(|r| r.is_valid(v))
    }

    /// Whether every value this check accepts is also accepted by `other`, judged from the
    /// schemas' text: `other` asserts nothing beyond what this one asserts, keyword for
    /// keyword. Only leaf nodes (no object, item or `$ref` parts) are compared; anything
    /// else is "not known to imply".
    pub(crate) fn implies(&self, other: &Check) -> bool {
        // Keywords each of which restricts on its own: with only these, asserting more
        // keywords can only accept less. (`minContains: 0` or `properties` beside
        // `additionalProperties` relax a neighbour, so nodes with others never imply.)
        const INDEPENDENT: &[&str] = &[
            "type",
            "enum",
            "const",
            "format",
            "pattern",
            "minLength",
            "maxLength",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
            "uniqueItems",
            "minItems",
            "maxItems",
        ];
        let leaf = |c: &Check| {
            c.object.is_none()
                && c.items.is_none()
                && c.refs.is_empty()
                && c.assertion
                    .as_object()
                    .is_some_and(|m| m.keys().all(|k| INDEPENDENT.contains(&k.as_str())))
        };
        if !leaf(self) || !leaf(other) {
            return false;
        }
        match (&self.assertion, &other.assertion) {
            (Value::Object(mine), Value::Object(theirs)) => theirs
                .iter()
                .all(|(k, v)| mine.get(k).is_some_and(|m| m == v)),
            _ => false,
        }
    }
}

/// Whether a schema (node) holds a `$id` anywhere but at its top.
fn nested_id(node: &Value, top: bool) -> bool {
    match node {
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| (k == "$id" && !top) || nested_id(v, false)),
        Value::Array(a) => a.iter().any(|v| nested_id(v, false)),
        _ => false,
    }
}

fn resolve<'r>(reference: &str, root: &'r Value) -> Result<&'r Value, NotCompilable> {
    let pointer = reference
        .strip_prefix('#')
        .ok_or_else(|| NotCompilable(format!("$ref {reference:?} is not local")))?;
    root.pointer(pointer)
        .ok_or_else(|| NotCompilable(format!("$ref {reference:?} points nowhere")))
}

fn compile(node: &Value, root: &Value, depth: usize) -> Result<Check, NotCompilable> {
    if depth > 32 {
        return Err(NotCompilable(
            "schema nested or $ref'd deeper than 32".into(),
        ));
    }
    let map = match node {
        Value::Bool(true) => return Ok(Check::any()),
        Value::Bool(false) => return Ok(Check::never()),
        Value::Object(m) => m,
        _ => return Err(NotCompilable("a schema node is not an object".into())),
    };
    if map.keys().any(|k| ENTANGLED.contains(&k.as_str())) {
        return whole_residual(map);
    }
    let mut check = Check::any();
    let mut residual = Map::new();
    let mut assertion = Map::new();
    for (key, value) in map {
        let key = key.as_str();
        if is_annotation(key) {
            continue;
        }
        assertion.insert(key.to_owned(), value.clone());
        match key {
            "type" => {
                let names: Vec<&str> = match value {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => return Err(NotCompilable("`type` is neither a name nor a list".into())),
                };
                let mut bits = 0;
                for n in names {
                    bits |= type_bit(n).ok_or_else(|| NotCompilable(format!("type {n:?}")))?;
                }
                check.types = Some(bits);
            }
            "enum" => match value.as_array() {
                Some(options) if options.iter().all(Value::is_string) => {
                    check.strings = Some(
                        options
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect(),
                    );
                }
                _ => {
                    residual.insert(key.to_owned(), value.clone());
                }
            },
            "const" if matches!(value, Value::String(_) | Value::Bool(_) | Value::Null) => {
                check.constant = Some(value.clone());
            }
            "minLength" | "maxLength" if value.as_u64().is_some() => {
                let n = value.as_u64().map(|n| n as usize);
                if key == "minLength" {
                    check.min_length = n;
                } else {
                    check.max_length = n;
                }
            }
            "items" => check.items = Some(Box::new(compile(value, root, depth + 1)?)),
            "$ref" => {
                let target = resolve(value.as_str().unwrap_or_default(), root)?;
                check.refs.push(compile(target, root, depth + 1)?);
            }
            "properties" | "required" | "additionalProperties" => {}
            _ => {
                residual.insert(key.to_owned(), value.clone());
            }
        }
    }
    if ["properties", "required", "additionalProperties"]
        .iter()
        .any(|k| map.contains_key(*k))
    {
        check.object = Some(compile_object(map, root, depth)?);
    }
    if !residual.is_empty() {
        if residual_refs(&Value::Object(residual.clone())) {
            return Err(NotCompilable(
                "a $ref inside a keyword only jsonschema checks".into(),
            ));
        }
        check.residual = Some(Box::new(build(&Value::Object(residual))?));
    }
    check.assertion = Value::Object(assertion);
    Ok(check)
}

fn compile_object(
    map: &Map<String, Value>,
    root: &Value,
    depth: usize,
) -> Result<ObjectCheck, NotCompilable> {
    let mut properties = Vec::new();
    if let Some(props) = map.get("properties") {
        let props = props
            .as_object()
            .ok_or_else(|| NotCompilable("`properties` is not an object".into()))?;
        for (name, node) in props {
            properties.push((name.clone(), compile(node, root, depth + 1)?));
        }
    }
    let required = match map.get("required") {
        None => Vec::new(),
        Some(Value::Array(names)) => names
            .iter()
            .map(|n| {
                n.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| NotCompilable("`required` holds a non-string".into()))
            })
            .collect::<Result<Vec<String>, _>>()?,
        Some(_) => return Err(NotCompilable("`required` is not a list".into())),
    };
    let mut required = required;
    required.sort();
    required.dedup();
    let additional = match map.get("additionalProperties") {
        None | Some(Value::Bool(true)) => Additional::Allow,
        Some(Value::Bool(false)) => Additional::Forbid,
        Some(node) => Additional::Check(Box::new(compile(node, root, depth + 1)?)),
    };
    Ok(ObjectCheck {
        properties,
        required,
        additional,
    })
}

/// A node whose keywords interact: jsonschema checks all of it.
fn whole_residual(map: &Map<String, Value>) -> Result<Check, NotCompilable> {
    let node = Value::Object(map.clone());
    if residual_refs(&node) {
        return Err(NotCompilable(
            "a $ref inside a node only jsonschema checks".into(),
        ));
    }
    Ok(Check {
        residual: Some(Box::new(build(&node)?)),
        assertion: node,
        ..Check::any()
    })
}

fn residual_refs(v: &Value) -> bool {
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| k == "$ref" || k == "$dynamicRef" || residual_refs(v)),
        Value::Array(a) => a.iter().any(residual_refs),
        _ => false,
    }
}

fn build(node: &Value) -> Result<jsonschema::Validator, NotCompilable> {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(node)
        .map_err(|e| NotCompilable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn agrees(schema: Value, values: &[Value]) {
        let check = Check::compile(&schema, &schema).expect("compiles");
        let reference = build(&schema).expect("jsonschema compiles");
        for v in values {
            assert_eq!(check.is_valid(v), reference.is_valid(v), "{schema} on {v}");
        }
    }

    #[test]
    fn integer_type_accepts_whole_floats_as_jsonschema_does() {
        agrees(
            json!({"type": ["integer", "null"]}),
            &[
                json!(1),
                json!(1.0),
                json!(1.5),
                json!(null),
                json!("1"),
                json!(-3),
            ],
        );
    }

    #[test]
    fn string_keywords_and_formats_agree_with_jsonschema() {
        agrees(
            json!({"type": "string", "format": "email", "minLength": 3, "maxLength": 8, "pattern": "^[a-z@.]+$"}),
            &[
                json!("a@b.co"),
                json!("ab"),
                json!("a@bbbbbbbbbbb.co"),
                json!("A@B.CO"),
                json!("not an email"),
                json!(12),
                json!("é@é.fr"),
            ],
        );
    }

    #[test]
    fn objects_check_required_properties_and_additional_keys() {
        agrees(
            json!({"type": "object", "required": ["id"], "additionalProperties": false,
                   "properties": {"id": {"type": "string", "format": "uuid"}, "n": {"enum": ["a", "b"]}}}),
            &[
                json!({"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a"}),
                json!({"id": "nope"}),
                json!({"n": "a"}),
                json!({"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "n": "c"}),
                json!({"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "x": 1}),
                json!([1]),
            ],
        );
    }

    #[test]
    fn local_refs_and_entangled_keywords_compile_to_the_same_answers() {
        let schema = json!({
            "$defs": {"role": {"type": "object", "required": ["id"], "properties": {"id": {"const": "a"}}}},
            "type": "object",
            "properties": {
                "roles": {"type": "array", "items": {"$ref": "#/$defs/role"}, "uniqueItems": true},
                "extra": {"patternProperties": {"^x": {"type": "integer"}}, "additionalProperties": false}
            }
        });
        agrees(
            schema,
            &[
                json!({"roles": [{"id": "a"}]}),
                json!({"roles": [{"id": "a"}, {"id": "a"}]}),
                json!({"roles": [{"id": "b"}]}),
                json!({"extra": {"x1": 1}}),
                json!({"extra": {"x1": "1"}}),
                json!({"extra": {"y": 1}}),
            ],
        );
    }

    #[test]
    fn a_schema_with_an_id_below_its_root_is_left_to_jsonschema() {
        let schema = json!({"$defs": {"a": {"$id": "https://x.example/a", "type": "string"}},
                            "$ref": "#/$defs/a"});
        assert!(Check::compile(&schema, &schema).is_err());
        // The scan is conservative: a property named `$id` is left to jsonschema too.
        let named = json!({"properties": {"$id": {"type": "string"}}});
        assert!(Check::compile(&named, &named).is_err());
    }

    #[test]
    fn a_check_implies_another_only_when_it_asserts_at_least_the_same_keywords() {
        let root = json!({});
        let c = |v: Value| Check::compile(&v, &root).expect("compiles");
        let upstream = c(json!({"type": "string", "format": "email", "x-message": "bad"}));
        assert!(upstream.implies(&c(json!({"type": "string", "format": "email"}))));
        assert!(upstream.implies(&c(json!({"type": "string"}))));
        assert!(!upstream.implies(&c(json!({"type": ["string", "null"]}))));
        assert!(!c(json!({"type": "string"})).implies(&upstream));
        // A keyword that relaxes a neighbour never implies.
        let lenient = c(json!({"type": "array", "contains": {"const": "a"}, "minContains": 0}));
        assert!(!lenient.implies(&c(json!({"type": "array", "contains": {"const": "a"}}))));
    }
}
