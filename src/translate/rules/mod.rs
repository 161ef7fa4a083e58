//! The rule kinds a style file declares per field, one file each. A rule is compiled once
//! from the style file and then serves both directions:
//! `read` (style document → canonical) and `write` (canonical → style document).

pub mod copy;
pub mod join;
pub mod lookup;
pub mod prefix;
pub mod value_map;

use super::canonical::{Canonical, FieldId};
use super::error::Diagnostics;
use super::error::FieldErrorKind;
use super::path::JsonPath;
use super::table::Tables;
use super::Kind;
use serde::Deserialize;
use serde_json::{Map, Value};
use toml::Spanned;

/// Something a write had to carry imperfectly, reported to the client and in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lossy {
    pub field: FieldId,
    pub note: String,
}

/// Why a style value does not read: the message a field error about it carries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("must be a string")]
    NotAString,
    #[error("must be a list")]
    NotAList,
    #[error("must start with '{0}'")]
    NoPrefix(String),
    /// A value outside a `map` rule's pairs; the style values it knows.
    #[error("unexpected value; expected one of {0}")]
    Unmapped(String),
    /// A reference to no row of a shared table (`unknown role "auditor"`).
    #[error("unknown {what} {value}")]
    UnknownReference { what: String, value: String },
    #[error("each entry needs '{0}'")]
    EntryWithout(String),
    #[error("table '{0}' is not loaded")]
    NoTable(String),
    #[error("row without '{0}'")]
    RowWithout(String),
}

/// A canonical value the target cannot take, attributed to the canonical field responsible
/// so the caller can name it in the client's own terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteProblem {
    pub field: FieldId,
    pub kind: FieldErrorKind,
    /// May contain `{fields}`, replaced by the client-style names of `companions`.
    pub message: String,
    pub companions: Vec<FieldId>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    Copy(copy::Copy),
    Prefix(prefix::Prefix),
    Map(value_map::ValueMap),
    Join(join::Join),
    Lookup(lookup::Lookup),
}

/// A string or a list of strings (`canonical = "a"` or `["a", "b"]`).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(crate) fn names(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// One `[[field]]` of a style file as written: the keys every kind shares (path, canonical,
/// kind, writable) and each kind's own (read only by that kind's `compile`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawField {
    pub(crate) path: Spanned<String>,
    pub(crate) canonical: Spanned<OneOrMany>,
    #[serde(default)]
    pub(crate) kind: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) writable: Option<bool>,
    #[serde(default)]
    pub(crate) prefix: Option<String>,
    #[serde(default)]
    pub(crate) separator: Option<String>,
    #[serde(default)]
    pub(crate) values: Option<Vec<(Value, Value)>>,
    #[serde(default)]
    pub(crate) table: Option<String>,
    #[serde(default)]
    pub(crate) many: Option<bool>,
    #[serde(default)]
    pub(crate) request: Option<OneOrMany>,
    #[serde(default)]
    pub(crate) response: Option<OneOrMany>,
}

impl Rule {
    /// Compiles one `[[field]]` by its `kind` (default `copy`): each kind checks its own keys
    /// in its own file. `ids` are the field's canonical fields, already resolved.
    pub(crate) fn compile(
        raw: &RawField,
        ids: &[FieldId],
        tables: &Tables,
        ctx: &mut Diagnostics<'_>,
    ) -> Option<Rule> {
        let canon_span = raw.canonical.span();
        let (kind, span) = match &raw.kind {
            Some(k) => (k.get_ref().as_str(), k.span()),
            None => ("copy", canon_span.clone()),
        };
        let at = KindAt {
            kind,
            span,
            canon_span,
        };
        Some(match kind {
            "copy" => Rule::Copy(copy::Copy::compile(at.single(ids, ctx)?)),
            "prefix" => Rule::Prefix(prefix::Prefix::compile(
                raw,
                at.single(ids, ctx)?,
                &at,
                ctx,
            )?),
            "map" => Rule::Map(value_map::ValueMap::compile(
                raw,
                at.single(ids, ctx)?,
                &at,
                ctx,
            )?),
            "join" => Rule::Join(join::Join::compile(raw, ids, &at, ctx)?),
            "lookup" => Rule::Lookup(lookup::Lookup::compile(
                raw,
                at.single(ids, ctx)?,
                tables,
                &at,
                ctx,
            )?),
            other => {
                return ctx.err(
                    at.span,
                    format!("unknown field kind '{other}' (copy, prefix, map, join, lookup)"),
                )
            }
        })
    }
}

/// Where a field's kind was declared, for a kind's compile step to point its errors at.
pub(crate) struct KindAt<'k> {
    pub kind: &'k str,
    /// The `kind = …` value (or the canonical one, for the default `copy`).
    pub span: std::ops::Range<usize>,
    pub canon_span: std::ops::Range<usize>,
}

impl KindAt<'_> {
    /// The one canonical field of a kind that maps exactly one.
    fn single(&self, ids: &[FieldId], ctx: &mut Diagnostics<'_>) -> Option<FieldId> {
        match ids {
            [one] => Some(*one),
            _ => ctx.err(
                self.canon_span.clone(),
                format!("kind '{}' maps exactly one canonical field", self.kind),
            ),
        }
    }
}

/// One `[[field]]` of a style file, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRule {
    pub path: JsonPath,
    /// Whether requests may carry this field (false: the backend owns it).
    pub writable: bool,
    pub rule: Rule,
}

impl FieldRule {
    /// The canonical fields this rule reads and writes.
    pub fn canonical(&self) -> &[FieldId] {
        match &self.rule {
            Rule::Copy(r) => std::slice::from_ref(&r.field),
            Rule::Prefix(r) => std::slice::from_ref(&r.field),
            Rule::Map(r) => std::slice::from_ref(&r.field),
            Rule::Join(r) => &r.fields,
            Rule::Lookup(r) => std::slice::from_ref(&r.field),
        }
    }

    /// Style value → canonical slots. `Err` is a message about this field.
    pub fn read(
        &self,
        value: Value,
        kind: Kind,
        tables: &Tables,
        out: &mut Canonical,
    ) -> Result<(), ReadError> {
        match &self.rule {
            Rule::Copy(r) => {
                out.set(r.field, value);
                Ok(())
            }
            Rule::Prefix(r) => r.read(&value, out),
            Rule::Map(r) => r.read(&value, out),
            Rule::Join(r) => r.read(&value, out),
            Rule::Lookup(r) => r.read(&value, kind, tables, out),
        }
    }

    /// Canonical slots → this field of `doc`, if the canonical document carries it.
    pub fn write(
        &self,
        canon: &Canonical,
        kind: Kind,
        tables: &Tables,
        doc: &mut Map<String, Value>,
        lossy: &mut Vec<Lossy>,
    ) -> Result<(), WriteProblem> {
        if let Some(v) = self.value(canon, kind, tables, lossy)? {
            self.path.set(doc, v);
        }
        Ok(())
    }

    /// The value this field has in a document written from `canon`, if it has one.
    pub fn value(
        &self,
        canon: &Canonical,
        kind: Kind,
        tables: &Tables,
        lossy: &mut Vec<Lossy>,
    ) -> Result<Option<Value>, WriteProblem> {
        Ok(match &self.rule {
            Rule::Copy(r) => canon.get(r.field).cloned(),
            Rule::Prefix(r) => r.write(canon)?,
            Rule::Map(r) => r.write(canon, lossy)?,
            Rule::Join(r) => r.write(canon, kind, lossy)?,
            Rule::Lookup(r) => r.write(canon, kind, tables, lossy)?,
        })
    }
}
