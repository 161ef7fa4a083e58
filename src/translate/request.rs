//! A PUT body from the client's style to the upstream's: client schema, read, the carry
//! check (what the target cannot hold is refused unless the route drops it), derived fields,
//! write, target schema; and the upstream's field errors back in the client's names.

use super::error::{dotted_to_pointer, pointer_to_dotted};
use super::rules::WriteProblem;
use super::{
    Canonical, FieldError, FieldErrorKind, FieldId, Kind, LossNote, RuleSet, Style, StyleId,
    TranslateError, TranslatedRequest, WritePolicy,
};
use serde_json::Value;

impl RuleSet {
    pub(super) fn problem_to_error(&self, client: &Style, p: WriteProblem) -> FieldError {
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
        let canon = client
            .read_noting(
                body,
                Kind::Request,
                &self.registry,
                &self.tables,
                &mut unread,
            )
            .map_err(TranslateError::Invalid)?;
        let (canon, dropped) = self.prepare_request(canon, client, target, policy)?;
        self.finish_request(client, target, canon, unread, dropped)
    }

    /// A request's canonical user made ready for `target`: what it cannot hold removed (or
    /// refused), the derived fields it holds filled in; and the client fields dropped.
    pub(super) fn prepare_request(
        &self,
        mut canon: Canonical,
        client: &Style,
        target: &Style,
        policy: &WritePolicy,
    ) -> Result<(Canonical, Vec<String>), TranslateError> {
        let dropped = self
            .carry(&mut canon, client, target, policy)
            .map_err(TranslateError::Invalid)?;
        self.fill_derived(&mut canon, |id| target.holds(id, Kind::Request));
        Ok((canon, dropped))
    }

    /// The prepared user written as `target`'s request body, checked against its schema
    /// (the value path; a refusal is said in the client's field names).
    pub(super) fn finish_request(
        &self,
        client: &Style,
        target: &Style,
        canon: Canonical,
        unread: Vec<FieldId>,
        dropped: Vec<String>,
    ) -> Result<TranslatedRequest, TranslateError> {
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
                        let name = pointer_to_dotted(&e.pointer);
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
        Ok(TranslatedRequest {
            body: doc,
            lossy: self.request_notes(client, lossy, unread),
            dropped,
        })
    }

    /// A write's lossy notes and the fields read as nothing, in the client's names.
    pub(super) fn request_notes(
        &self,
        client: &Style,
        lossy: Vec<super::rules::Lossy>,
        unread: Vec<FieldId>,
    ) -> Vec<LossNote> {
        let mut notes = self.notes(client, lossy);
        for field in unread {
            notes.push(LossNote {
                field: self.client_name(client, field),
                why: "names no value this backend holds, so it is not sent".into(),
            });
        }
        notes
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
}
