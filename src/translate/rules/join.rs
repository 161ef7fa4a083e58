//! `kind = "join"`: one style field holds several canonical ones joined by a separator
//! (envelope `name` ⇔ given + family name). Reading splits at the first separator, so a
//! one-word name has an empty family name. Writing a request needs every part: a backend
//! that keeps the parts together cannot take one alone without inventing the other.

use crate::translate::canonical::{Canonical, FieldId};
use crate::translate::error::Diagnostics;
use crate::translate::loss::LossKind;
use crate::translate::rules::Rule;
use crate::translate::rules::{KindAt, Lossy, RawField, ReadError, WriteProblem};
use crate::translate::FieldErrorKind;
use crate::translate::Kind;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    pub fields: Vec<FieldId>,
    pub separator: String,
}

impl Join {
    /// Two or more canonical fields and a non-empty `separator`.
    pub(crate) fn compile(
        raw: &RawField,
        ids: &[FieldId],
        at: &KindAt<'_>,
        ctx: &mut Diagnostics<'_>,
    ) -> Option<Self> {
        if ids.len() < 2 {
            return ctx.err(
                at.canon_span.clone(),
                "kind 'join' maps two or more canonical fields",
            );
        }
        let Some(separator) = raw.separator.clone().filter(|s| !s.is_empty()) else {
            return ctx.err(at.span.clone(), "kind 'join' needs a non-empty `separator`");
        };
        Some(Self {
            fields: ids.to_vec(),
            separator,
        })
    }

    pub fn read(&self, value: &Value, out: &mut Canonical) -> Result<(), ReadError> {
        match value {
            Value::Null => {
                for f in &self.fields {
                    out.set(*f, Value::Null);
                }
            }
            Value::String(s) => {
                for (f, part) in self.fields.iter().zip(self.split(s)) {
                    out.set(*f, Value::String(part.to_owned()));
                }
            }
            _ => return Err(ReadError::NotAString),
        }
        Ok(())
    }

    pub fn write(
        &self,
        canon: &Canonical,
        kind: Kind,
        lossy: &mut Vec<Lossy>,
    ) -> Result<Option<Value>, WriteProblem> {
        let parts: Vec<Option<&Value>> = self.fields.iter().map(|f| canon.get(*f)).collect();
        if parts.iter().all(Option::is_none) {
            return Ok(None);
        }
        if kind == Kind::Request {
            if let Some(i) = parts.iter().position(Option::is_some) {
                let missing: Vec<FieldId> = self
                    .fields
                    .iter()
                    .zip(&parts)
                    .filter(|(_, p)| p.is_none())
                    .map(|(f, _)| *f)
                    .collect();
                if !missing.is_empty() {
                    return Err(WriteProblem {
                        field: self.fields[i],
                        kind: FieldErrorKind::ValueError,
                        message: "can only be changed together with {fields} on this backend"
                            .into(),
                        companions: missing,
                    });
                }
            }
            if parts.iter().all(|p| matches!(p, Some(Value::Null))) {
                return Ok(Some(Value::Null));
            }
        }
        let mut joined = String::new();
        for (f, part) in self.fields.iter().zip(parts) {
            match part {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) if s.is_empty() => {}
                Some(Value::String(s)) => {
                    if !joined.is_empty() {
                        joined.push_str(&self.separator);
                    }
                    joined.push_str(s);
                }
                Some(_) => {
                    return Err(WriteProblem {
                        field: *f,
                        kind: FieldErrorKind::TypeError,
                        message: "must be a string".into(),
                        companions: Vec::new(),
                    })
                }
            }
        }
        for (f, back) in self.fields.iter().zip(self.split(&joined)) {
            if canon.get(*f).and_then(Value::as_str).unwrap_or("") != back {
                lossy.push(Lossy {
                    field: *f,
                    note: format!(
                        "its parts do not come back the same when split at the first {:?} (a part is empty or holds the separator)",
                        self.separator
                    ),
                });
            }
        }
        Ok(Some(Value::String(joined)))
    }

    /// The loss report's narrowing when a joined field is read into separate ones (`to`).
    pub(crate) fn loss_as_source(&self, to: &Rule) -> Option<LossKind> {
        match to {
            Rule::Join(_) => None,
            _ => Some(LossKind::Partial(format!(
                "split at the first '{}': a multi-word first name comes back split differently",
                self.separator
            ))),
        }
    }

    /// The loss report's narrowing when separate fields are written into this one.
    pub(crate) fn loss_from(&self, write: bool) -> Option<LossKind> {
        write.then(|| {
            LossKind::Partial(
                "the backend keeps the parts together: a write must change them together".into(),
            )
        })
    }

    /// One part per field: split at each separator in turn, the last part keeps the rest.
    fn split<'s>(&self, s: &'s str) -> Vec<&'s str> {
        let mut rest = s;
        let last = self.fields.len().saturating_sub(1);
        (0..self.fields.len())
            .map(|i| {
                if i == last {
                    return std::mem::take(&mut rest);
                }
                match rest.split_once(self.separator.as_str()) {
                    Some((head, tail)) => {
                        rest = tail;
                        head
                    }
                    None => std::mem::take(&mut rest),
                }
            })
            .collect()
    }
}
