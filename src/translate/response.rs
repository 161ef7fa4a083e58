//! An upstream's answer to the client's style: the upstream schema, the canonical user (what
//! the cache keeps), a view per client style — fitted to that style's schema so that every
//! valid user is readable — and the whole success document around it.

use super::{
    Canonical, Kind, LossNote, Method, Rendered, RuleSet, Style, StyleId, TranslateError, View,
};
use serde_json::{Map, Value};

impl RuleSet {
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

    /// The fields of a user read from `from` (in `from`'s names) that `to`'s resources have
    /// no place for — what an offline translation of stored data would drop. A field the role
    /// table re-derives to the same value is not lost, nor is a null.
    pub fn unheld_fields(&self, from: StyleId, to: StyleId, canon: &Canonical) -> Vec<String> {
        let (from, to) = (self.style(from), self.style(to));
        let mut names: Vec<String> = Vec::new();
        for (id, value) in canon.present() {
            if value.is_null() || to.holds(id, Kind::Response) {
                continue;
            }
            let derived = self.registry.field(id).derive.is_some()
                && self.derive(canon, id).as_ref() == Some(value);
            let name = self.client_name(from, id);
            if !derived && !names.contains(&name) {
                names.push(name);
            }
        }
        names
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
