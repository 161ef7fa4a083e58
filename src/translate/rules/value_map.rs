//! `kind = "map"`: a value table between the style's values and the canonical ones
//! (enum ⇔ enum, bool ⇔ enum). One list of `[style, canonical]` pairs serves both ways:
//! reading takes the first pair with the style value, writing the first pair with the
//! canonical value. A canonical `"$none"` means "this style value names no canonical value"
//! (read as absent). A canonical value whose style value reads back as something else is
//! lossy: it is written, and the write reports it.

use crate::translate::canonical::{Canonical, FieldId};
use crate::translate::error::Diagnostics;
use crate::translate::loss::LossKind;
use crate::translate::rules::Rule;
use crate::translate::rules::{KindAt, Lossy, RawField, ReadError, WriteProblem};
use crate::translate::FieldErrorKind;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct ValueMap {
    pub field: FieldId,
    /// `(style value, canonical value or None for "$none")`.
    pub pairs: Vec<(Value, Option<Value>)>,
}

impl ValueMap {
    /// `values = [[style, canonical], …]`; the canonical `"$none"` reads as no value.
    pub(crate) fn compile(
        raw: &RawField,
        field: FieldId,
        at: &KindAt<'_>,
        ctx: &mut Diagnostics<'_>,
    ) -> Option<Self> {
        let Some(values) = raw.values.as_ref().filter(|v| !v.is_empty()) else {
            return ctx.err(
                at.span.clone(),
                "kind 'map' needs `values = [[style, canonical], …]`",
            );
        };
        let pairs = values
            .iter()
            .map(|(s, c)| (s.clone(), (c != "$none").then(|| c.clone())))
            .collect();
        Some(Self { field, pairs })
    }

    fn read_value(&self, style: &Value) -> Option<Option<&Value>> {
        self.pairs
            .iter()
            .find(|(s, _)| s == style)
            .map(|(_, c)| c.as_ref())
    }

    fn write_value(&self, canonical: &Value) -> Option<&Value> {
        self.pairs
            .iter()
            .find(|(_, c)| c.as_ref() == Some(canonical))
            .map(|(s, _)| s)
    }

    pub fn read(&self, value: &Value, out: &mut Canonical) -> Result<(), ReadError> {
        if value.is_null() {
            out.set(self.field, Value::Null);
            return Ok(());
        }
        match self.read_value(value) {
            Some(Some(c)) => out.set(self.field, c.clone()),
            Some(None) => {}
            None => return Err(ReadError::Unmapped(self.style_values())),
        }
        Ok(())
    }

    pub fn write(
        &self,
        canon: &Canonical,
        lossy: &mut Vec<Lossy>,
    ) -> Result<Option<Value>, WriteProblem> {
        let Some(value) = canon.get(self.field) else {
            return Ok(None);
        };
        if value.is_null() {
            return Ok(Some(Value::Null));
        }
        let Some(style) = self.write_value(value) else {
            return Err(WriteProblem {
                field: self.field,
                kind: FieldErrorKind::Enum,
                message: format!("the value {value} cannot be represented"),
                companions: Vec::new(),
            });
        };
        if let Some(note) = self.loss_of(value) {
            lossy.push(Lossy {
                field: self.field,
                note,
            });
        }
        Ok(Some(style.clone()))
    }

    /// Why `canonical` does not survive a write and read back, if it does not.
    /// The loss report's narrowing when this rule receives a field read by `from`: the
    /// values `from` can produce that this map stores lossily.
    pub(crate) fn loss_from(&self, from: &Rule) -> Option<LossKind> {
        let possible: Option<Vec<Value>> = match from {
            Rule::Map(f) => Some(f.readable_values()),
            _ => None,
        };
        let lossy: Vec<String> = self
            .lossy_values()
            .into_iter()
            .filter(|(v, _)| possible.as_ref().is_none_or(|p| p.contains(v)))
            .map(|(_, note)| note)
            .collect();
        (!lossy.is_empty()).then_some(LossKind::Values(lossy))
    }

    pub fn loss_of(&self, canonical: &Value) -> Option<String> {
        let style = self.write_value(canonical)?;
        match self.read_value(style) {
            Some(Some(back)) if back == canonical => None,
            Some(Some(back)) => Some(format!(
                "{canonical} is stored as {style} and reads back as {back}"
            )),
            _ => Some(format!(
                "{canonical} is stored as {style} and reads back as no value"
            )),
        }
    }

    /// The canonical values this map cannot carry faithfully.
    pub fn lossy_values(&self) -> Vec<(Value, String)> {
        self.pairs
            .iter()
            .filter_map(|(_, c)| c.as_ref())
            .filter_map(|c| self.loss_of(c).map(|n| (c.clone(), n)))
            .collect()
    }

    /// The canonical values reading this style can produce (first pair per style value).
    pub fn readable_values(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for (s, _) in &self.pairs {
            if let Some(Some(c)) = self.read_value(s) {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
        out
    }

    fn style_values(&self) -> String {
        let mut seen: Vec<String> = Vec::new();
        for (s, _) in &self.pairs {
            let s = s.to_string();
            if !seen.contains(&s) {
                seen.push(s);
            }
        }
        seen.join(", ")
    }
}
