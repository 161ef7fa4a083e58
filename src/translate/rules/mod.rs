//! The rule kinds a style file declares per field, one file each. A rule is compiled once
//! from the style file and then serves both directions:
//! `read` (style document → canonical) and `write` (canonical → style document).

pub mod copy;
pub mod join;
pub mod lookup;
pub mod prefix;
pub mod value_map;

use super::canonical::{Canonical, FieldId};
use super::error::FieldErrorKind;
use super::path::JsonPath;
use super::table::Tables;
use super::Kind;
use serde_json::{Map, Value};

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

/// One `[[field]]` of a style file.
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
        let value = match &self.rule {
            Rule::Copy(r) => canon.get(r.field).cloned(),
            Rule::Prefix(r) => r.write(canon)?,
            Rule::Map(r) => r.write(canon, lossy)?,
            Rule::Join(r) => r.write(canon, kind, lossy)?,
            Rule::Lookup(r) => r.write(canon, kind, tables, lossy)?,
        };
        if let Some(v) = value {
            self.path.set(doc, v);
        }
        Ok(())
    }
}
