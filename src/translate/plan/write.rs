//! Writing a style's document from the canonical user straight into bytes: each rule's value
//! is checked against its property's compiled check and serialised in place, keys are
//! pre-rendered, and no `Value` map of the document is built. The order of keys is the value
//! path's (the style file's order, a nested object where its first field is).

use super::check::{Additional, Check, NotCompilable};
use super::Fallback;
use crate::translate::canonical::Canonical;
use crate::translate::rules::{FieldRule, Lossy, Rule};
use crate::translate::table::Tables;
use crate::translate::Kind;
use serde_json::{Map, Value};
use std::borrow::Cow;

#[derive(Debug)]
enum Entry {
    Field {
        /// `"name":`, rendered once.
        key: Box<[u8]>,
        rule: usize,
        check: Box<Check>,
        /// The value is known to pass `check` already (see [`super::Implied`]).
        skip_check_from: Vec<bool>,
    },
    Object {
        key: Box<[u8]>,
        object: WriteObject,
    },
}

#[derive(Debug)]
struct WriteObject {
    entries: Vec<Entry>,
    /// Bit `i` set: `entries[i]` must be written.
    required: u64,
}

/// The canonical user → a style's document (a resource, or a request body) as bytes.
#[derive(Debug)]
pub(crate) struct WritePlan {
    root: WriteObject,
    kind: Kind,
}

impl WritePlan {
    /// Compiles the plan for the fields `rules` writes in documents of `kind`, checked
    /// against `schema` (`$ref`s resolved in `root`).
    pub(crate) fn compile(
        rules: &[FieldRule],
        kind: Kind,
        schema: &Value,
        root: &Value,
        styles: usize,
    ) -> Result<Self, NotCompilable> {
        let written: Vec<Written<'_>> = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| kind == Kind::Response || r.writable)
            .map(|(i, r)| (i, r.path.keys()))
            .collect();
        for (a, (_, pa)) in written.iter().enumerate() {
            for (_, pb) in &written[a + 1..] {
                let shorter = pa.len().min(pb.len());
                if pa[..shorter] == pb[..shorter] {
                    return Err(NotCompilable(
                        "two rules write the same path, or one inside another".into(),
                    ));
                }
            }
        }
        let node = super::read::object_node(schema, root)?;
        let root_object = compile_object(&written, 0, &node, root, styles)?;
        Ok(Self {
            root: root_object,
            kind,
        })
    }

    /// Writes the document into `out`, its lossy notes into `lossy`. `origin` is the style the
    /// canonical user was read from, when its checks let this plan skip some of its own.
    pub(crate) fn write(
        &self,
        rules: &[FieldRule],
        canon: &Canonical,
        tables: &Tables,
        origin: Option<usize>,
        out: &mut Vec<u8>,
        lossy: &mut Vec<Lossy>,
    ) -> Result<(), Fallback> {
        let cx = WriteCx {
            rules,
            canon,
            tables,
            kind: self.kind,
            origin,
        };
        if cx.object(&self.root, out, lossy)? {
            Ok(())
        } else {
            out.extend_from_slice(b"{}");
            Ok(())
        }
    }
}

fn key_json(name: &str) -> Box<[u8]> {
    let mut k = serde_json::to_vec(name).unwrap_or_default();
    k.push(b':');
    k.into_boxed_slice()
}

/// A rule's index and the path it writes.
type Written<'r> = (usize, &'r [String]);

fn compile_object(
    written: &[Written<'_>],
    depth: usize,
    node: &Map<String, Value>,
    root: &Value,
    styles: usize,
) -> Result<WriteObject, NotCompilable> {
    let properties = node.get("properties").and_then(Value::as_object);
    let additional = match node.get("additionalProperties") {
        None | Some(Value::Bool(true)) => Some(Additional::Allow),
        Some(Value::Bool(false)) => Some(Additional::Forbid),
        Some(_) => None,
    };
    let unlisted = || match additional {
        Some(Additional::Allow) => Ok(Check::any()),
        Some(Additional::Forbid) => Ok(Check::never()),
        _ => Err(NotCompilable(
            "a rule writes a key only additionalProperties describes".into(),
        )),
    };
    // First keys in the order first met, each with the rules under it. The value path puts a
    // nested object where its first *present* field is written; that is the plan's place
    // for it only when the object's rules are not interleaved with others.
    let mut groups: Vec<(&String, Vec<Written<'_>>)> = Vec::new();
    for (rule, path) in written {
        let key = &path[depth];
        match groups.iter_mut().position(|(k, _)| *k == key) {
            Some(i) if i + 1 == groups.len() => groups[i].1.push((*rule, path)),
            Some(_) => {
                return Err(NotCompilable(format!(
                    "the fields under {key:?} are not next to each other in the style file"
                )))
            }
            None => groups.push((key, vec![(*rule, path)])),
        }
    }
    let mut entries = Vec::new();
    let mut names = Vec::new();
    for (key, group) in groups {
        let property = properties.and_then(|p| p.get(key.as_str()));
        match group.as_slice() {
            [(rule, path)] if path.len() == depth + 1 => {
                let check = match property {
                    Some(p) => Check::compile(p, root)?,
                    None => unlisted()?,
                };
                entries.push(Entry::Field {
                    key: key_json(key),
                    rule: *rule,
                    check: Box::new(check),
                    skip_check_from: vec![false; styles],
                });
            }
            _ => {
                let nested = match property {
                    Some(p) => super::read::object_node(p, root)?,
                    None => {
                        unlisted()?;
                        Map::new()
                    }
                };
                entries.push(Entry::Object {
                    key: key_json(key),
                    object: compile_object(&group, depth + 1, &nested, root, styles)?,
                });
            }
        }
        names.push(key.as_str());
    }
    if entries.len() > 64 {
        return Err(NotCompilable("more than 64 keys in an object".into()));
    }
    let mut required = 0u64;
    if let Some(list) = node.get("required").and_then(Value::as_array) {
        for name in list {
            let name = name.as_str().unwrap_or_default();
            let i = names.iter().position(|n| *n == name).ok_or_else(|| {
                NotCompilable(format!("no rule writes the required key {name:?}"))
            })?;
            required |= 1 << i;
        }
    }
    Ok(WriteObject { entries, required })
}

struct WriteCx<'a> {
    rules: &'a [FieldRule],
    canon: &'a Canonical,
    tables: &'a Tables,
    kind: Kind,
    origin: Option<usize>,
}

impl WriteCx<'_> {
    /// Writes `object` (if anything in it is written); `Ok(false)` when nothing was.
    fn object(
        &self,
        object: &WriteObject,
        out: &mut Vec<u8>,
        lossy: &mut Vec<Lossy>,
    ) -> Result<bool, Fallback> {
        let start = out.len();
        let mut present = 0u64;
        out.push(b'{');
        for (i, entry) in object.entries.iter().enumerate() {
            let mark = out.len();
            if present != 0 {
                out.push(b',');
            }
            match entry {
                Entry::Field {
                    key,
                    rule,
                    check,
                    skip_check_from,
                } => {
                    let Some(value) = self.value(&self.rules[*rule], lossy)? else {
                        out.truncate(mark);
                        continue;
                    };
                    let known = self.origin.is_some_and(|o| skip_check_from[o]);
                    if !known && !check.is_valid(&value) {
                        return Err(Fallback);
                    }
                    out.extend_from_slice(key);
                    serde_json::to_writer(&mut *out, value.as_ref()).map_err(|_| Fallback)?;
                }
                Entry::Object { key, object } => {
                    out.extend_from_slice(key);
                    if !self.object(object, out, lossy)? {
                        out.truncate(mark);
                        continue;
                    }
                }
            }
            present |= 1 << i;
        }
        if object.required & !present != 0 {
            return Err(Fallback);
        }
        if present == 0 {
            out.truncate(start);
            return Ok(false);
        }
        out.push(b'}');
        Ok(true)
    }

    /// The rule's value; a copy rule's borrowed from the user, without the call into the
    /// rule (a view is mostly copies: going through `FieldRule::value` for them, with its
    /// large `Result`, cost ≈ 420 instructions a view, measured with `make icount`).
    fn value<'c>(
        &'c self,
        rule: &FieldRule,
        lossy: &mut Vec<Lossy>,
    ) -> Result<Option<Cow<'c, Value>>, Fallback> {
        if let Rule::Copy(c) = &rule.rule {
            return Ok(self.canon.get(c.field).map(Cow::Borrowed));
        }
        rule.value(self.canon, self.kind, self.tables, lossy)
            .map(|v| v.map(Cow::Owned))
            .map_err(|_| Fallback)
    }
}

impl WritePlan {
    /// Marks the fields of `client_rules` whose check `origin`'s reading already ran on
    /// the same value: `origin` reads the canonical field with a copy rule of its own and a
    /// check that implies this one, and the field is never filled in any other way.
    pub(crate) fn learn_implied(&mut self, origin: usize, implied: &dyn Fn(usize, &Check) -> bool) {
        fn walk(object: &mut WriteObject, origin: usize, implied: &dyn Fn(usize, &Check) -> bool) {
            for e in &mut object.entries {
                match e {
                    Entry::Field {
                        rule,
                        check,
                        skip_check_from,
                        ..
                    } => skip_check_from[origin] = implied(*rule, check),
                    Entry::Object { object, .. } => walk(object, origin, implied),
                }
            }
        }
        walk(&mut self.root, origin, implied);
    }
}
