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
pub mod error;
mod load;
pub mod loss;
pub mod path;
pub mod pointer;
pub mod rules;
pub mod schema;
pub mod style;
pub mod table;
pub mod template;

pub use canonical::{Canonical, FieldId, Registry};
pub use error::{FieldError, FieldErrorKind, LoadError, TranslateError};
pub use loss::LossReport;
pub use style::{AuthScheme, ErrorInfo, Style, UpstreamError};

use error::dotted_to_pointer;
use rules::WriteProblem;
use serde_json::{Map, Value};
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

/// All styles, the canonical field list and the shared tables, compiled.
#[derive(Debug)]
pub struct RuleSet {
    pub(crate) registry: Registry,
    pub(crate) tables: Tables,
    pub(crate) styles: Vec<style::Style>,
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
    pub fn field_ids(&self, style: StyleId, names: &[String]) -> Result<Vec<FieldId>, String> {
        let s = self.style(style);
        let mut out = Vec::new();
        for n in names {
            let rule = s
                .fields()
                .iter()
                .find(|r| &r.path.dotted() == n)
                .ok_or_else(|| format!("style '{}' has no field '{n}'", s.name))?;
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
        for id in self.registry.ids() {
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

    fn problem_to_error(&self, client: &Style, p: WriteProblem) -> FieldError {
        let name = self.client_name(client, p.field);
        let others: Vec<String> = p
            .companions
            .iter()
            .map(|c| self.client_name(client, *c))
            .collect();
        let message = p.message.replace("{fields}", &others.join(" and "));
        FieldError::new(
            dotted_to_pointer(&name),
            p.kind,
            format!("{name}: {message}"),
        )
    }

    /// Removes what `target` cannot hold from a request, or says which fields it would lose.
    fn carry(
        &self,
        canon: &mut Canonical,
        client: &Style,
        target: &Style,
        policy: &WritePolicy,
    ) -> Result<Vec<String>, Vec<FieldError>> {
        let mut dropped = Vec::new();
        let mut errors: Vec<FieldError> = Vec::new();
        let present: Vec<(FieldId, bool)> =
            canon.present().map(|(id, v)| (id, v.is_null())).collect();
        for (id, is_null) in present {
            if target.holds(id, Kind::Request) {
                continue;
            }
            let derived_ok = self.registry.field(id).derive.is_some()
                && self.derive(canon, id).as_ref() == canon.get(id);
            let name = self.client_name(client, id);
            if is_null || derived_ok {
                canon.remove(id);
            } else if policy.drop_all || policy.drop.contains(&id) {
                canon.remove(id);
                if !dropped.contains(&name) {
                    dropped.push(name);
                }
            } else {
                let pointer = dotted_to_pointer(&name);
                if errors.iter().any(|e| e.pointer == pointer) {
                    continue;
                }
                let message = if self.registry.field(id).derive.is_some() {
                    format!("{name}: this API's backend keeps no {name} of its own; only the value that follows from the role can be sent")
                } else {
                    format!(
                        "{name}: this API's backend cannot store this field, so it would be lost"
                    )
                };
                errors.push(FieldError::new(
                    pointer,
                    FieldErrorKind::NotCarried,
                    message,
                ));
            }
        }
        if errors.is_empty() {
            Ok(dropped)
        } else {
            Err(errors)
        }
    }

    /// A PUT body in the client's style → the same update in the upstream's style.
    pub fn translate_request(
        &self,
        from: StyleId,
        to: StyleId,
        body: &Value,
        policy: &WritePolicy,
    ) -> Result<TranslatedRequest, TranslateError> {
        self.translate_owned_request(from, to, body.clone(), policy)
    }

    /// [`Self::translate_request`] for a body the caller no longer needs (no copy is made).
    pub fn translate_owned_request(
        &self,
        from: StyleId,
        to: StyleId,
        body: Value,
        policy: &WritePolicy,
    ) -> Result<TranslatedRequest, TranslateError> {
        let (client, target) = (self.style(from), self.style(to));
        if !client.schemas.request.is_valid(&body) {
            return Err(TranslateError::Invalid(
                client.schemas.request.errors(&body),
            ));
        }
        if from == to {
            // A route between clients and a backend of one style: the body is already in the
            // backend's terms, so it goes as sent (after the same checks), and nothing a
            // canonical user cannot say (`is_superuser: false`) is lost on the way.
            client
                .read(body.clone(), Kind::Request, &self.registry, &self.tables)
                .map_err(TranslateError::Invalid)?;
            return Ok(TranslatedRequest {
                body,
                lossy: Vec::new(),
                dropped: Vec::new(),
            });
        }
        let mut unread = Vec::new();
        let mut canon = client
            .read_noting(
                body,
                Kind::Request,
                &self.registry,
                &self.tables,
                &mut unread,
            )
            .map_err(TranslateError::Invalid)?;
        let dropped = self
            .carry(&mut canon, client, target, policy)
            .map_err(TranslateError::Invalid)?;
        self.fill_derived(&mut canon, |id| target.holds(id, Kind::Request));
        let (doc, lossy) = target
            .write(&canon, Kind::Request, &self.tables)
            .map_err(|ps| {
                TranslateError::Invalid(
                    ps.into_iter()
                        .map(|p| self.problem_to_error(client, p))
                        .collect(),
                )
            })?;
        let doc = Value::Object(doc);
        let errors = target.schemas.request.errors(&doc);
        if !errors.is_empty() {
            let mapped = errors
                .into_iter()
                .map(|e| {
                    let cleared = doc.pointer(&e.pointer).is_some_and(Value::is_null);
                    let e = self.retarget(e, target, client);
                    if cleared {
                        let name = error::pointer_to_dotted(&e.pointer);
                        FieldError::new(
                            e.pointer,
                            FieldErrorKind::ValueError,
                            format!("{name}: cannot be cleared (null) on this API's backend"),
                        )
                    } else {
                        e
                    }
                })
                .collect();
            return Err(TranslateError::Invalid(mapped));
        }
        let mut lossy = self.notes(client, lossy);
        for field in unread {
            lossy.push(LossNote {
                field: self.client_name(client, field),
                why: "names no value this backend holds, so it is not sent".into(),
            });
        }
        Ok(TranslatedRequest {
            body: doc,
            lossy,
            dropped,
        })
    }

    /// Re-expresses a field error about `target`'s document in `client`'s field names.
    fn retarget(&self, e: FieldError, target: &Style, client: &Style) -> FieldError {
        let Some(rule) = target.rule_at(&e.pointer) else {
            return e;
        };
        let target_name = rule.path.dotted();
        let client_name = self.client_name(client, rule.canonical()[0]);
        let message = match e.message.strip_prefix(&target_name) {
            Some(rest) => format!("{client_name}{rest}"),
            None => e.message,
        };
        FieldError::new(dotted_to_pointer(&client_name), e.kind, message)
    }

    /// Upstream field errors (from its 422) → field errors in the client's names.
    pub fn translate_field_errors(
        &self,
        upstream: StyleId,
        client: StyleId,
        items: &[(Option<String>, String)],
    ) -> Vec<FieldError> {
        let (up, cl) = (self.style(upstream), self.style(client));
        items
            .iter()
            .map(|(field, msg)| {
                let e = FieldError::new(
                    field.as_deref().map(dotted_to_pointer).unwrap_or_default(),
                    FieldErrorKind::ValueError,
                    msg.clone(),
                );
                self.retarget(e, up, cl)
            })
            .collect()
    }

    /// An upstream success document → the canonical user, validated against the upstream's
    /// own response schema, with the fields derivable from the role table filled in. This is
    /// what the cache keeps.
    pub fn read_response(
        &self,
        upstream: StyleId,
        doc: &Value,
    ) -> Result<Canonical, TranslateError> {
        self.read_owned_response(upstream, doc.clone())
    }

    /// [`Self::read_response`] for a document the caller no longer needs: values are moved
    /// out of it, not copied.
    pub fn read_owned_response(
        &self,
        upstream: StyleId,
        mut doc: Value,
    ) -> Result<Canonical, TranslateError> {
        let style = self.style(upstream);
        if let Some(reason) = style.schemas.response.first_error(&doc) {
            return Err(TranslateError::Upstream(format!(
                "{} response: {reason}",
                style.name
            )));
        }
        let resource = style
            .response
            .resource_at
            .take_or_whole(&mut doc)
            .ok_or_else(|| {
                TranslateError::Upstream(format!("{} response without a resource", style.name))
            })?;
        self.read_resource_unchecked(upstream, resource)
    }

    /// A bare resource (stored data) → the canonical user, validated against `$defs/user`.
    pub fn read_resource(
        &self,
        style_id: StyleId,
        resource: &Value,
    ) -> Result<Canonical, TranslateError> {
        let style = self.style(style_id);
        if let Some(reason) = style.schemas.resource.first_error(resource) {
            return Err(TranslateError::Upstream(format!(
                "{} resource: {reason}",
                style.name
            )));
        }
        self.read_resource_unchecked(style_id, resource.clone())
    }

    fn read_resource_unchecked(
        &self,
        style_id: StyleId,
        resource: Value,
    ) -> Result<Canonical, TranslateError> {
        let style = self.style(style_id);
        let mut canon = style
            .read(resource, Kind::Response, &self.registry, &self.tables)
            .map_err(|errs| {
                let msgs: Vec<String> = errs.into_iter().map(|e| e.message).collect();
                TranslateError::Upstream(format!("{} resource: {}", style.name, msgs.join("; ")))
            })?;
        self.fill_derived(&mut canon, |_| true);
        Ok(canon)
    }

    /// The canonical user (as read by [`Self::read_response`]) as a resource of the client's
    /// style, checked against that style's `$defs/user`. A view does not depend on the
    /// request, so the cache keeps one per style beside the user.
    pub fn view(&self, client: StyleId, canon: &Canonical) -> Result<View, TranslateError> {
        let (resource, lossy) = self.render_resource(client, canon)?;
        let json = serde_json::to_vec(&resource)
            .map_err(|e| TranslateError::Output {
                style: self.style(client).name.clone(),
                reason: e.to_string(),
            })?
            .into_boxed_slice();
        Ok(View { json, lossy })
    }

    /// The canonical user → a bare resource in the client's style, checked against that
    /// style's `$defs/user`, and the client field names it carries imperfectly.
    pub fn render_resource(
        &self,
        client: StyleId,
        canon: &Canonical,
    ) -> Result<(Value, Vec<LossNote>), TranslateError> {
        let style = self.style(client);
        let (doc, lossy) = style
            .write(canon, Kind::Response, &self.tables)
            .map_err(|ps| {
                let msgs: Vec<String> = ps
                    .into_iter()
                    .map(|p| self.problem_to_error(style, p).message)
                    .collect();
                TranslateError::Output {
                    style: style.name.clone(),
                    reason: msgs.join("; "),
                }
            })?;
        let mut resource = Value::Object(doc);
        let mut lossy = self.notes(style, lossy);
        if !style.schemas.resource.is_valid(&resource) {
            fit_resource(style, &mut resource, &mut lossy)?;
        }
        Ok((resource, lossy))
    }

    /// A whole success document around a view, as bytes, with this response's own request
    /// id and timestamp.
    pub fn write_response(
        &self,
        client: StyleId,
        view: &View,
        method: Method,
        request_id: &str,
        timestamp: &str,
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + view.json.len());
        self.style(client)
            .wrap_into(&view.json, method, request_id, timestamp, &mut out);
        out
    }

    /// The canonical user → a whole success document in the client's style (as a value).
    pub fn render_response(
        &self,
        client: StyleId,
        canon: &Canonical,
        method: Method,
        request_id: &str,
        timestamp: &str,
    ) -> Result<Rendered, TranslateError> {
        let (resource, lossy) = self.render_resource(client, canon)?;
        let body = self
            .style(client)
            .wrap(resource, method, request_id, timestamp);
        Ok(Rendered { body, lossy })
    }

    /// What a route between these styles loses, before any traffic.
    pub fn loss_report(&self, client: StyleId, upstream: StyleId) -> LossReport {
        loss::report(self, client, upstream)
    }
}

/// Makes a resource that the client style's `$defs/user` refuses into one it accepts, field
/// by field, so that a user who is valid in the upstream's style is never unreadable in the
/// client's (a `null` role, a phone number that is not E.164, a missing first name).
///
/// For each field the schema refuses, the first of these that the schema accepts is kept:
/// the field left out (a value the client style cannot show is not shown), then the style's
/// own empty forms `""`, `[]`, `{}` (for a field the schema requires). A field that had a
/// value and is now shown differently is named in `lossy`; a `null` or absent one is not,
/// since nothing was there to lose. Off the hot path: only a resource that failed the
/// schema comes here. A field no candidate fits is an output error naming it.
fn fit_resource(
    style: &Style,
    resource: &mut Value,
    lossy: &mut Vec<LossNote>,
) -> Result<(), TranslateError> {
    let output_error = |reason: String| TranslateError::Output {
        style: style.name.clone(),
        reason,
    };
    // Each round settles one field; a style has no more fields than rules.
    for _ in 0..=style.fields().len() {
        let errors = style.schemas.resource.errors(resource);
        let Some(first) = errors.first() else {
            return Ok(());
        };
        let rule = style
            .rule_at(&first.pointer)
            .ok_or_else(|| output_error(first.message.clone()))?;
        let path = rule.path.clone();
        let pointer = path.pointer();
        let was = path.take(resource);
        let candidates = [
            None,
            Some(Value::String(String::new())),
            Some(Value::Array(Vec::new())),
            Some(Value::Object(Map::new())),
        ];
        let fits = |doc: &Value| {
            style
                .schemas
                .resource
                .errors(doc)
                .iter()
                .all(|e| e.pointer != pointer && !e.pointer.starts_with(&format!("{pointer}/")))
        };
        let mut chosen = None;
        for c in candidates {
            if let Some(v) = &c {
                if let Value::Object(map) = resource {
                    path.set(map, v.clone());
                }
            }
            if fits(resource) {
                chosen = Some(c);
                break;
            }
            path.take(resource);
        }
        let Some(chosen) = chosen else {
            if let (Some(v), Value::Object(map)) = (was, &mut *resource) {
                path.set(map, v);
            }
            return Err(output_error(format!(
                "{}: cannot be shown in this API ({})",
                path.dotted(),
                first.message
            )));
        };
        if was.as_ref().is_some_and(|v| !v.is_null()) {
            let shown = if chosen.is_some() {
                "shown empty"
            } else {
                "left out"
            };
            lossy.push(LossNote {
                field: path.dotted(),
                why: format!(
                    "the backend's value is not valid in this API ({}); {shown}",
                    first.message
                ),
            });
        }
    }
    match style.schemas.resource.first_error(resource) {
        None => Ok(()),
        Some(reason) => Err(output_error(reason)),
    }
}

#[cfg(test)]
mod tests;
