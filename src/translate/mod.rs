//! The translation core: style document ⇄ canonical user ⇄ style document, driven by the
//! files in `rules/` and checked against the schemas in `schemas/`.
//!
//! Pure: no I/O, no async, no clock. Callers hand in file contents, request ids and
//! timestamps. This module owns what a translation may lose: [`RuleSet::loss_report`] says it
//! before any traffic, and a write that would lose a field is refused unless the route's
//! [`WritePolicy`] names the field.
//!
//! Flow of a PUT: client body → client request schema → [`Style::read`] → canonical →
//! carry check (fields the target cannot hold) → derived fields → [`Style::write`] →
//! target request schema. Flow of a response: upstream document → upstream response schema →
//! unwrap → canonical (cacheable) → derived fields → client resource → wrap with fresh
//! per-response values → client response schema.

pub mod canonical;
mod compare;
pub mod error;
mod load;
pub mod loss;
pub mod path;
mod plan;
pub mod pointer;
mod request;
mod response;
pub mod rules;
pub mod schema;
pub mod style;
pub mod table;
pub mod template;

pub use canonical::{Canonical, FieldId, Packed, Registry};
pub use compare::FieldDifference;
pub use error::{FieldError, FieldErrorKind, LoadError, TranslateError};
pub use loss::LossReport;
pub use plan::{BytesError, EncodedRequest};
pub use style::{AuthScheme, ErrorInfo, Style, UpstreamError};

use serde_json::Value;
use table::Tables;

/// Which kind of document: a PUT body, or a resource / success document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Request,
    Response,
}

/// The user API's methods, for per-method response messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Put,
}

impl Method {
    /// The method named (case-insensitively) in a style file or a request line.
    pub fn parse(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("GET") {
            Some(Self::Get)
        } else if name.eq_ignore_ascii_case("PUT") {
            Some(Self::Put)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Put => "PUT",
        }
    }
}

/// Whether a user id a backend answered with is the one asked for: equal, or the same UUID
/// written in another case (a backend may normalise the UUID a client sent in capitals).
pub fn same_user_id(answered: &str, asked: &str) -> bool {
    answered == asked
        || matches!(
            (uuid::Uuid::parse_str(answered), uuid::Uuid::parse_str(asked)),
            (Ok(a), Ok(b)) if a == b
        )
}

/// A style in a [`RuleSet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StyleId(u8);

impl StyleId {
    /// Its position among the rule set's styles (for per-style slots).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a route lets a write lose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WritePolicy {
    /// Canonical fields the route drops when the target cannot hold them.
    pub drop: Vec<FieldId>,
    /// Drop every field the target cannot hold (offline translation without `--strict`).
    pub drop_all: bool,
}

/// A field a translation carried imperfectly, named as the client knows it, and why. It
/// crosses into the data plane (`X-Dragoman-Lossy` names `field`) and the CLI (which prints
/// the whole note) as a value, never as text to split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LossNote {
    pub field: String,
    pub why: String,
}

impl std::fmt::Display for LossNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.why)
    }
}

/// A request body in the upstream's style.
#[derive(Debug, Clone, PartialEq)]
pub struct TranslatedRequest {
    pub body: Value,
    /// Client fields carried imperfectly, with why (`status`: `"locked" is stored as …`).
    pub lossy: Vec<LossNote>,
    /// Client field names dropped under the route's policy.
    pub dropped: Vec<String>,
}

/// A user as a resource of one style, validated and serialised once (a cached view is
/// copied into each response as bytes), and what that style could not show.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// The resource as JSON text.
    pub json: Box<[u8]>,
    /// Client fields carried imperfectly.
    pub lossy: Vec<LossNote>,
}

/// A response body in the client's style.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub body: Value,
    /// Client fields carried imperfectly.
    pub lossy: Vec<LossNote>,
}

/// A field name a style does not have (in a route's `drop` list).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("style '{style}' has no field '{field}'")]
pub struct UnknownField {
    pub style: String,
    pub field: String,
}

/// All styles, the canonical field list and the shared tables, compiled.
#[derive(Debug)]
pub struct RuleSet {
    pub(crate) registry: Registry,
    pub(crate) tables: Tables,
    pub(crate) styles: Vec<style::Style>,
    /// Per style, its documents' compiled plans (same order as `styles`).
    pub(crate) plans: Vec<plan::StylePlans>,
}

impl RuleSet {
    /// Compiles rules and schemas from their texts; every problem, located.
    pub fn load(
        rules: &[crate::assets::SourceFile],
        schemas: &[crate::assets::SourceFile],
    ) -> Result<Self, Vec<LoadError>> {
        load::load(rules, schemas)
    }

    /// The rules and schemas shipped in the binary.
    pub fn builtin() -> Result<Self, Vec<LoadError>> {
        Self::load(&crate::assets::rules(), &crate::assets::schemas())
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn tables(&self) -> &Tables {
        &self.tables
    }

    pub fn style_id(&self, name: &str) -> Option<StyleId> {
        self.styles
            .iter()
            .position(|s| s.name == name)
            .map(|i| StyleId(i as u8))
    }

    pub fn style(&self, id: StyleId) -> &Style {
        &self.styles[id.0 as usize]
    }

    pub fn styles(&self) -> impl Iterator<Item = (StyleId, &Style)> {
        self.styles
            .iter()
            .enumerate()
            .map(|(i, s)| (StyleId(i as u8), s))
    }

    pub fn style_names(&self) -> Vec<&str> {
        self.styles.iter().map(|s| s.name.as_str()).collect()
    }

    /// Client-style field names → canonical fields, for a route's drop list.
    pub fn field_ids(
        &self,
        style: StyleId,
        names: &[String],
    ) -> Result<Vec<FieldId>, UnknownField> {
        let s = self.style(style);
        let mut out = Vec::new();
        for n in names {
            let rule = s
                .fields()
                .iter()
                .find(|r| &r.path.dotted() == n)
                .ok_or_else(|| UnknownField {
                    style: s.name.clone(),
                    field: n.clone(),
                })?;
            out.extend_from_slice(rule.canonical());
        }
        Ok(out)
    }

    /// A path id of `style` → the canonical id; `None` when malformed for the style.
    pub fn canonical_id(&self, style: StyleId, path_id: &str) -> Option<String> {
        self.style(style)
            .read_id(path_id, &self.registry, &self.tables)
    }

    /// The canonical id → `style`'s path id; `None` when it cannot be well-formed there.
    pub fn path_id(&self, style: StyleId, canonical: &str) -> Option<String> {
        self.style(style).write_id(canonical)
    }

    /// A path id of the client's style → the upstream's path id.
    pub fn translate_id(
        &self,
        from: StyleId,
        to: StyleId,
        path_id: &str,
    ) -> Result<String, TranslateError> {
        let canonical = self
            .style(from)
            .read_id(path_id, &self.registry, &self.tables)
            .ok_or(TranslateError::MalformedId)?;
        self.style(to)
            .write_id(&canonical)
            .ok_or(TranslateError::MalformedId)
    }

    /// The canonical user's id, when it has one as a string.
    pub fn user_id<'c>(&self, canon: &'c Canonical) -> Option<&'c str> {
        canon.get(self.registry.id("id")?)?.as_str()
    }

    /// The value `field` follows from in `canon`, by its `derive` declaration.
    pub fn derive(&self, canon: &Canonical, field: FieldId) -> Option<Value> {
        let d = self.registry.field(field).derive.as_ref()?;
        let keys = canon.get(d.from)?.as_array()?;
        let table = self.tables.get(&d.table)?;
        let mut list: Option<Vec<Value>> = None;
        for key in keys {
            let Some(v) = key
                .as_str()
                .and_then(|k| table.by_key(k))
                .and_then(|r| r.get(&d.column))
            else {
                continue;
            };
            match v {
                Value::Array(items) => {
                    let l = list.get_or_insert_with(Vec::new);
                    for i in items {
                        if !l.contains(i) {
                            l.push(i.clone());
                        }
                    }
                }
                other => return Some(other.clone()),
            }
        }
        list.map(Value::Array)
    }

    /// Fills each absent field that `wanted` accepts from its `derive` declaration.
    fn fill_derived(&self, canon: &mut Canonical, wanted: impl Fn(FieldId) -> bool) {
        for id in self.registry.derived() {
            if !canon.is_present(id) && wanted(id) {
                if let Some(v) = self.derive(canon, id) {
                    canon.set(id, v);
                }
            }
        }
    }

    fn client_name(&self, client: &Style, id: FieldId) -> String {
        client
            .name_of(id)
            .unwrap_or_else(|| self.registry.name(id).to_owned())
    }

    /// Lossy notes in the client's field names, each once (the parts of a joined field
    /// are one field to its client).
    fn notes(&self, client: &Style, lossy: Vec<rules::Lossy>) -> Vec<LossNote> {
        let mut out: Vec<LossNote> = Vec::with_capacity(lossy.len());
        for l in lossy {
            let note = LossNote {
                field: self.client_name(client, l.field),
                why: l.note,
            };
            if !out.contains(&note) {
                out.push(note);
            }
        }
        out
    }

    /// What a route between these styles loses, before any traffic.
    pub fn loss_report(&self, client: StyleId, upstream: StyleId) -> LossReport {
        loss::report(self, client, upstream)
    }
}

#[cfg(test)]
mod tests;
