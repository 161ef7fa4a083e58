//! One document translated for `dragoman translate`: a PUT body (`--kind request`) or a
//! stored resource or whole response (`--kind response`), through the translation core,
//! with what was dropped or lossy as messages for stderr.

use crate::translate::{FieldErrorKind, Method, RuleSet, StyleId, TranslateError, WritePolicy};
use serde_json::Value;
use std::cell::Cell;

pub(super) struct Translator<'r> {
    pub rules: &'r RuleSet,
    pub from: StyleId,
    pub to: StyleId,
    pub kind: crate::cli::KindArg,
    pub strict: bool,
    /// A document was refused for a field the target cannot hold (for the --strict hint).
    pub refused: Cell<bool>,
}

/// A translated document and what to say about it on stderr.
pub(super) struct Done {
    pub body: Value,
    pub notes: Vec<String>,
}

impl Translator<'_> {
    fn to_name(&self) -> &str {
        &self.rules.style(self.to).name
    }

    pub fn translate(&self, doc: &Value) -> Result<Done, Vec<String>> {
        match self.kind {
            crate::cli::KindArg::Request => self.request(doc),
            crate::cli::KindArg::Response => self.response(doc),
        }
    }

    fn request(&self, doc: &Value) -> Result<Done, Vec<String>> {
        let policy = WritePolicy {
            drop: Vec::new(),
            drop_all: !self.strict,
        };
        let done = self
            .rules
            .translate_request(self.from, self.to, doc, &policy)
            .map_err(|e| {
                if let TranslateError::Invalid(errors) = &e {
                    if errors.iter().any(|e| e.kind == FieldErrorKind::NotCarried) {
                        self.refused.set(true);
                    }
                }
                messages(e)
            })?;
        let mut notes = Vec::new();
        if !done.dropped.is_empty() {
            notes.push(self.dropped_note(&done.dropped));
        }
        notes.extend(done.lossy.into_iter().map(|l| format!("lossy: {l}")));
        Ok(Done {
            body: done.body,
            notes,
        })
    }

    fn dropped_note(&self, names: &[String]) -> String {
        let it = if names.len() == 1 { "it" } else { "them" };
        format!(
            "dropped {} (the {} style cannot hold {it})",
            names.join(", "),
            self.to_name()
        )
    }

    /// A whole success document → a whole success document; a bare resource → a bare resource.
    fn response(&self, doc: &Value) -> Result<Done, Vec<String>> {
        let from = self.rules.style(self.from);
        let (canon, whole) = match self.rules.read_response(self.from, doc) {
            Ok(c) => (c, true),
            Err(as_document) => match self.rules.read_resource(self.from, doc) {
                Ok(c) => (c, false),
                Err(as_resource) => {
                    // Report the reading that matches the document's shape.
                    let wrapped = from
                        .unwrap(doc)
                        .is_some_and(|inner| !std::ptr::eq(inner, doc));
                    let e = if wrapped { as_document } else { as_resource };
                    return Err(messages(e));
                }
            },
        };
        let mut notes = Vec::new();
        let lost = self.rules.unheld_fields(self.from, self.to, &canon);
        if !lost.is_empty() {
            if self.strict {
                self.refused.set(true);
                return Err(lost
                    .iter()
                    .map(|n| {
                        format!(
                            "{n}: the {} style cannot hold this field, so it would be lost",
                            self.to_name()
                        )
                    })
                    .collect());
            }
            notes.push(self.dropped_note(&lost));
        }
        let (body, lossy) = if whole {
            let request_id = doc
                .pointer("/meta/request_id")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("req_{}", uuid::Uuid::new_v4().simple()));
            let timestamp = crate::clock::now();
            let r = self
                .rules
                .render_response(self.to, &canon, Method::Get, &request_id, &timestamp)
                .map_err(messages)?;
            (r.body, r.lossy)
        } else {
            self.rules
                .render_resource(self.to, &canon)
                .map_err(messages)?
        };
        notes.extend(lossy.into_iter().map(|l| format!("lossy: {l}")));
        Ok(Done { body, notes })
    }
}

/// A translation error as one message per problem.
fn messages(e: TranslateError) -> Vec<String> {
    match e {
        TranslateError::Invalid(errors) if !errors.is_empty() => {
            errors.into_iter().map(|e| e.message).collect()
        }
        other => vec![other.to_string()],
    }
}
