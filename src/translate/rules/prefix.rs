//! `kind = "prefix"`: an identifier the style writes with a fixed prefix (`user_` + id).

use crate::translate::canonical::{Canonical, FieldId};
use crate::translate::error::Diagnostics;
use crate::translate::rules::{KindAt, RawField, ReadError, WriteProblem};
use crate::translate::FieldErrorKind;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix {
    pub field: FieldId,
    pub prefix: String,
}

impl Prefix {
    /// `prefix = "…"`, non-empty.
    pub(crate) fn compile(
        raw: &RawField,
        field: FieldId,
        at: &KindAt<'_>,
        ctx: &mut Diagnostics<'_>,
    ) -> Option<Self> {
        match &raw.prefix {
            Some(p) if !p.is_empty() => Some(Self {
                field,
                prefix: p.clone(),
            }),
            _ => ctx.err(at.span.clone(), "kind 'prefix' needs a non-empty `prefix`"),
        }
    }

    pub fn read(&self, value: &Value, out: &mut Canonical) -> Result<(), ReadError> {
        match value {
            Value::Null => out.set(self.field, Value::Null),
            Value::String(s) => match s.strip_prefix(&self.prefix) {
                Some(rest) if !rest.is_empty() => out.set(self.field, Value::String(rest.into())),
                _ => return Err(ReadError::NoPrefix(self.prefix.clone())),
            },
            _ => return Err(ReadError::NotAString),
        }
        Ok(())
    }

    pub fn write(&self, canon: &Canonical) -> Result<Option<Value>, WriteProblem> {
        Ok(match canon.get(self.field) {
            None => None,
            Some(Value::String(s)) => Some(Value::String(format!("{}{s}", self.prefix))),
            Some(Value::Null) => Some(Value::Null),
            Some(_) => {
                return Err(WriteProblem {
                    field: self.field,
                    kind: FieldErrorKind::TypeError,
                    message: "must be a string".into(),
                    companions: Vec::new(),
                })
            }
        })
    }

    /// The id for a path segment, prefix added.
    pub fn apply(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }
}
