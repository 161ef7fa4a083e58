//! Reading a style's document from its bytes in one pass: the objects on the way to the
//! resource and the resource itself are never built as `Value` maps. Each key is matched
//! against the plan's keys as it is parsed (without allocating it); a value under a key a
//! rule reads is parsed into the rule's slot and checked there; a value nobody reads is
//! checked and dropped, or skipped unparsed where the schema allows anything.

use super::check::{is_annotation, Additional, Check, NotCompilable};
use super::Fallback;
use crate::translate::path::JsonPath;
use crate::translate::rules::FieldRule;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// What becomes of the value under a known key.
#[derive(Debug)]
enum Role {
    /// Checked, then dropped.
    Drop,
    /// Checked, then kept in this slot for the rules.
    Keep(usize),
    /// An object on the way to the resource: read with its own plan.
    Descend(Box<ObjectPlan>),
}

#[derive(Debug)]
struct Prop {
    name: String,
    check: Check,
    role: Role,
}

/// One object of the document: its keys, which of them are required, what other keys may be.
#[derive(Debug)]
struct ObjectPlan {
    props: Vec<Prop>,
    /// Bit `i` set: `props[i]` is required.
    required: u64,
    additional: Additional,
}

/// A style document → the values its rules read, checked against its schema.
#[derive(Debug)]
pub(crate) struct ReadPlan {
    root: ObjectPlan,
    slots: usize,
    /// Per rule of the style (in order): its slot and the rest of its path inside it.
    rules: Vec<(usize, JsonPath)>,
}

/// The values a read collected, for the rules to take.
pub(crate) struct Slots<'p> {
    plan: &'p ReadPlan,
    values: Vec<Option<Value>>,
}

impl Slots<'_> {
    /// The value of the rule at `index` of the style's fields, taken out.
    pub(crate) fn take(&mut self, index: usize) -> Option<Value> {
        let (slot, rest) = self.plan.rules.get(index)?;
        let value = self.values.get_mut(*slot)?;
        if rest.keys().is_empty() {
            value.take()
        } else {
            rest.take(value.as_mut()?)
        }
    }
}

impl ReadPlan {
    /// Compiles the plan of a document whose schema is `schema` (with `$ref`s resolved
    /// against `root`), whose resource sits at `resource_at`, read by `rules`.
    pub(crate) fn compile(
        schema: &Value,
        root: &Value,
        resource_at: &JsonPath,
        rules: &[FieldRule],
    ) -> Result<Self, NotCompilable> {
        let mut first_keys: Vec<String> = Vec::new();
        let mut placed = Vec::new();
        for rule in rules {
            let (first, rest) = rule
                .path
                .keys()
                .split_first()
                .ok_or_else(|| NotCompilable("a rule reads the whole resource".into()))?;
            let slot = match first_keys.iter().position(|k| k == first) {
                Some(i) => i,
                None => {
                    first_keys.push(first.clone());
                    first_keys.len() - 1
                }
            };
            placed.push((slot, JsonPath::from_keys(rest.to_vec())));
        }
        let root_plan = compile_object(schema, root, resource_at.keys(), &first_keys, 0)?;
        Ok(Self {
            root: root_plan,
            slots: first_keys.len(),
            rules: placed,
        })
    }

    /// The check the rule at `index` of the style's fields has its value pass, when the rule
    /// reads a whole property of the resource.
    pub(crate) fn check_of(&self, index: usize) -> Option<&Check> {
        let (slot, rest) = self.rules.get(index)?;
        if !rest.keys().is_empty() {
            return None;
        }
        fn find(plan: &ObjectPlan, slot: usize) -> Option<&Check> {
            plan.props.iter().find_map(|p| match &p.role {
                Role::Keep(s) if *s == slot => Some(&p.check),
                Role::Descend(sub) => find(sub, slot),
                _ => None,
            })
        }
        find(&self.root, *slot)
    }

    /// Parses and checks `bytes`; `Fallback` for anything the plan does not accept (invalid
    /// JSON, a value its schema refuses, a shape it does not know), which the value path
    /// then reads and reports in full.
    pub(crate) fn read<'p>(&'p self, bytes: &[u8]) -> Result<Slots<'p>, Fallback> {
        let mut values: Vec<Option<Value>> = Vec::with_capacity(self.slots);
        values.resize_with(self.slots, || None);
        // JSON text is UTF-8 (RFC 8259), and the value path refuses any other bytes; the keys
        // and values a plan skips unparsed are never checked for it by serde_json, so the
        // whole text is, first.
        let text = std::str::from_utf8(bytes).map_err(|_| Fallback)?;
        let mut de = serde_json::Deserializer::from_str(text);
        ObjectSeed {
            plan: &self.root,
            values: &mut values,
        }
        .deserialize(&mut de)
        .map_err(|_| Fallback)?;
        de.end().map_err(|_| Fallback)?;
        Ok(Slots { plan: self, values })
    }
}

/// A node that must be an object the plan reads key by key.
fn compile_object(
    node: &Value,
    root: &Value,
    resource_at: &[String],
    rule_keys: &[String],
    depth: usize,
) -> Result<ObjectPlan, NotCompilable> {
    if depth > 16 {
        return Err(NotCompilable("resource nested deeper than 16".into()));
    }
    let map = object_node(node, root)?;
    let check = Check::compile(&Value::Object(map.clone()), root)?;
    let object = check.object.unwrap_or_else(|| super::check::ObjectCheck {
        properties: Vec::new(),
        required: Vec::new(),
        additional: Additional::Allow,
    });
    let mut props: Vec<Prop> = Vec::new();
    for (name, check) in object.properties {
        let role = match resource_at.split_first() {
            Some((first, rest)) if *first == name => {
                let sub = map
                    .get("properties")
                    .and_then(|p| p.get(&name))
                    .ok_or_else(|| NotCompilable("no schema on the way to the resource".into()))?;
                Role::Descend(Box::new(compile_object(
                    sub,
                    root,
                    rest,
                    rule_keys,
                    depth + 1,
                )?))
            }
            Some(_) => Role::Drop,
            None => match rule_keys.iter().position(|k| *k == name) {
                Some(slot) => Role::Keep(slot),
                None => Role::Drop,
            },
        };
        props.push(Prop { name, check, role });
    }
    match resource_at.split_first() {
        Some((first, rest)) => {
            if !props.iter().any(|p| p.name == *first) {
                if !matches!(object.additional, Additional::Allow) {
                    return Err(NotCompilable(
                        "the resource's place is not a property of its schema".into(),
                    ));
                }
                props.push(Prop {
                    name: first.clone(),
                    check: Check::any(),
                    role: Role::Descend(Box::new(compile_object(
                        &Value::Bool(true),
                        root,
                        rest,
                        rule_keys,
                        depth + 1,
                    )?)),
                });
            }
        }
        None => {
            // Keys a rule reads that the schema has no property for: the schema's
            // `additionalProperties` decides them.
            for (slot, key) in rule_keys.iter().enumerate() {
                if props.iter().any(|p| p.name == *key) {
                    continue;
                }
                let check = match &object.additional {
                    Additional::Allow => Check::any(),
                    Additional::Forbid => Check::never(),
                    Additional::Check(_) => {
                        return Err(NotCompilable(
                            "a rule reads a key only additionalProperties describes".into(),
                        ))
                    }
                };
                props.push(Prop {
                    name: key.clone(),
                    check,
                    role: Role::Keep(slot),
                });
            }
        }
    }
    let mut required = 0u64;
    for name in &object.required {
        match props.iter().position(|p| p.name == *name) {
            Some(i) if i < 64 => required |= 1 << i,
            Some(_) => return Err(NotCompilable("more than 64 properties".into())),
            None => {
                // Required but without a property schema: an extra prop that only counts.
                if props.len() >= 64 {
                    return Err(NotCompilable("more than 64 properties".into()));
                }
                let check = match &object.additional {
                    Additional::Allow => Check::any(),
                    Additional::Forbid => Check::never(),
                    Additional::Check(_) => {
                        return Err(NotCompilable(
                            "a required key only additionalProperties describes".into(),
                        ))
                    }
                };
                required |= 1 << props.len();
                props.push(Prop {
                    name: name.clone(),
                    check,
                    role: Role::Drop,
                });
            }
        }
    }
    if props.len() > 64 {
        return Err(NotCompilable("more than 64 properties".into()));
    }
    // The way to the resource must be there: without it the value path finds no resource.
    for (i, p) in props.iter().enumerate() {
        if matches!(p.role, Role::Descend(_)) {
            required |= 1 << i;
        }
    }
    Ok(ObjectPlan {
        props,
        required,
        additional: object.additional,
    })
}

/// The object keywords of an object node (after a lone `$ref`), refusing a node that asserts
/// anything the plan's object reading does not do itself.
pub(super) fn object_node(node: &Value, root: &Value) -> Result<Map<String, Value>, NotCompilable> {
    let map = match node {
        Value::Bool(true) => return Ok(Map::new()),
        Value::Object(m) => m,
        _ => {
            return Err(NotCompilable(
                "the way to the resource is not an object schema".into(),
            ))
        }
    };
    let asserting: Vec<&String> = map.keys().filter(|k| !is_annotation(k)).collect();
    if asserting.len() == 1 && asserting[0] == "$ref" {
        let reference = map["$ref"].as_str().unwrap_or_default();
        let target = reference
            .strip_prefix('#')
            .and_then(|p| root.pointer(p))
            .ok_or_else(|| NotCompilable(format!("$ref {reference:?}")))?;
        return object_node(target, root);
    }
    for k in asserting {
        match k.as_str() {
            "properties" | "required" | "additionalProperties" => {}
            "type" if map[k] == Value::String("object".into()) => {}
            other => {
                return Err(NotCompilable(format!(
                    "keyword {other:?} on an object the plan reads"
                )))
            }
        }
    }
    Ok(map.clone())
}

struct ObjectSeed<'a, 'p> {
    plan: &'p ObjectPlan,
    values: &'a mut Vec<Option<Value>>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = 0u64;
        // Bit `i`: the latest value under `props[i]` fails its check. A repeated key counts
        // by its last value, as in the value path (where the last one replaces the others).
        let mut invalid = 0u64;
        while let Some(key) = map.next_key_seed(KeySeed(self.plan))? {
            let Some(i) = key else {
                match &self.plan.additional {
                    // Parsed, not skipped: serde_json's skipping does not refuse what parsing
                    // does (lone surrogates in escapes, numbers out of range, nesting past its
                    // limit), and the value path parses every value.
                    Additional::Allow => {
                        map.next_value::<Value>()?;
                    }
                    Additional::Forbid => return Err(de::Error::custom("forbidden key")),
                    Additional::Check(c) => {
                        let v: Value = map.next_value()?;
                        if !c.is_valid(&v) {
                            return Err(de::Error::custom("refused"));
                        }
                    }
                }
                continue;
            };
            let prop = &self.plan.props[i];
            let bit = 1u64 << i;
            match &prop.role {
                Role::Descend(sub) => {
                    // A repeated key would replace the whole object in the value path.
                    if seen & bit != 0 {
                        return Err(de::Error::custom("repeated key"));
                    }
                    map.next_value_seed(ObjectSeed {
                        plan: sub,
                        values: &mut *self.values,
                    })?;
                }
                Role::Drop => {
                    let v: Value = map.next_value()?;
                    invalid = mark(invalid, bit, prop.check.is_valid(&v));
                }
                Role::Keep(slot) => {
                    let v: Value = map.next_value()?;
                    invalid = mark(invalid, bit, prop.check.is_valid(&v));
                    self.values[*slot] = Some(v);
                }
            }
            seen |= bit;
        }
        if invalid != 0 {
            return Err(de::Error::custom("refused"));
        }
        if self.plan.required & !seen != 0 {
            return Err(de::Error::custom("missing"));
        }
        Ok(())
    }
}

fn mark(invalid: u64, bit: u64, valid: bool) -> u64 {
    if valid {
        invalid & !bit
    } else {
        invalid | bit
    }
}

/// Matches a key against an object plan's keys without allocating it.
struct KeySeed<'p>(&'p ObjectPlan);

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.props.iter().position(|p| p.name == key))
    }
}
