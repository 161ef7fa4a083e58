//! `kind = "lookup"`: the style refers to rows of a shared table (roles) by one column,
//! and may use another column — or an object of several — in responses. Canonical documents
//! hold the table's key (role names), in order. `many = false` holds one reference: a
//! request carrying more than one is refused; a response keeps the first (primary) one and
//! reports the rest as lost. An unknown reference is a validation error, never a guess.

use crate::translate::canonical::{Canonical, FieldId};
use crate::translate::error::Diagnostics;
use crate::translate::loss::LossKind;
use crate::translate::rules::Rule;
use crate::translate::rules::{KindAt, Lossy, OneOrMany, RawField, ReadError, WriteProblem};
use crate::translate::table::{Table, Tables};
use crate::translate::FieldErrorKind;
use crate::translate::Kind;
use serde_json::{Map, Value};

/// What the style carries for one reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// One column's value (`"billing_manager"`, a role UUID).
    Column(String),
    /// An object of several columns (`{id, name, description}`); read by its first column.
    Object(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub field: FieldId,
    pub table: String,
    pub many: bool,
    pub request: Form,
    pub response: Form,
}

impl Lookup {
    /// `table` (loaded), `many`, and the `request`/`response` forms: a column of the table
    /// or a list of columns (an object); the table's key when absent.
    pub(crate) fn compile(
        raw: &RawField,
        field: FieldId,
        tables: &Tables,
        at: &KindAt<'_>,
        ctx: &mut Diagnostics<'_>,
    ) -> Option<Self> {
        let Some(table_name) = raw.table.clone() else {
            return ctx.err(at.span.clone(), "kind 'lookup' needs `table`");
        };
        let Some(table) = tables.get(&table_name) else {
            return ctx.err(at.span.clone(), format!("unknown table '{table_name}'"));
        };
        let form = |v: &Option<OneOrMany>, what: &str, ctx: &mut Diagnostics<'_>| {
            let names: Vec<String> = match v {
                None => vec![table.key.clone()],
                Some(v) => v.names().into_iter().map(str::to_owned).collect(),
            };
            if let Some(c) = names.iter().find(|c| !table.has_column(c)) {
                return ctx.err(
                    at.span.clone(),
                    format!("{what}: table '{table_name}' has no column '{c}'"),
                );
            }
            Some(match v {
                Some(OneOrMany::Many(_)) => Form::Object(names),
                _ => Form::Column(names.into_iter().next().unwrap_or_default()),
            })
        };
        let request = form(&raw.request, "request", ctx)?;
        let response = form(&raw.response, "response", ctx)?;
        Some(Self {
            field,
            table: table_name.clone(),
            many: raw.many.unwrap_or(false),
            request,
            response,
        })
    }

    /// The loss report's narrowing when this rule receives a field read by `from`: a list of
    /// references into one.
    pub(crate) fn loss_from(&self, from: &Rule, write: bool) -> Option<LossKind> {
        match from {
            Rule::Lookup(a) if a.many && !self.many => Some(LossKind::Partial(if write {
                "a write may carry one role only".into()
            } else {
                "only the first role is shown".into()
            })),
            _ => None,
        }
    }

    fn form(&self, kind: Kind) -> &Form {
        match kind {
            Kind::Request => &self.request,
            Kind::Response => &self.response,
        }
    }

    fn table<'t>(&self, tables: &'t Tables) -> Result<&'t Table, ReadError> {
        tables
            .get(&self.table)
            .ok_or_else(|| ReadError::NoTable(self.table.clone()))
    }

    fn read_one(&self, item: &Value, form: &Form, table: &Table) -> Result<Value, ReadError> {
        let (column, value) = match form {
            Form::Column(c) => (c.as_str(), item),
            Form::Object(cols) => {
                let first = cols
                    .first()
                    .map(String::as_str)
                    .unwrap_or(table.key.as_str());
                let v = item
                    .as_object()
                    .and_then(|o| o.get(first))
                    .ok_or_else(|| ReadError::EntryWithout(first.to_owned()))?;
                (first, v)
            }
        };
        let row = table
            .find(column, value)
            .ok_or_else(|| ReadError::UnknownReference {
                what: singular(&self.table).to_owned(),
                value: value.to_string(),
            })?;
        row.get(&table.key)
            .cloned()
            .ok_or_else(|| ReadError::RowWithout(table.key.clone()))
    }

    pub fn read(
        &self,
        value: &Value,
        kind: Kind,
        tables: &Tables,
        out: &mut Canonical,
    ) -> Result<(), ReadError> {
        if value.is_null() {
            out.set(self.field, Value::Null);
            return Ok(());
        }
        let table = self.table(tables)?;
        let form = self.form(kind);
        let keys = if self.many {
            let items = value.as_array().ok_or(ReadError::NotAList)?;
            items
                .iter()
                .map(|i| self.read_one(i, form, table))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            vec![self.read_one(value, form, table)?]
        };
        out.set(self.field, Value::Array(keys));
        Ok(())
    }

    fn write_one(&self, key: &Value, form: &Form, table: &Table) -> Result<Value, WriteProblem> {
        let row = key
            .as_str()
            .and_then(|k| table.by_key(k))
            .ok_or_else(|| WriteProblem {
                field: self.field,
                kind: FieldErrorKind::ValueError,
                message: format!("unknown {} {}", singular(&self.table), key),
                companions: Vec::new(),
            })?;
        Ok(match form {
            Form::Column(c) => row.get(c).cloned().unwrap_or(Value::Null),
            Form::Object(cols) => {
                let mut obj = Map::new();
                for c in cols {
                    if let Some(v) = row.get(c) {
                        obj.insert(c.clone(), v.clone());
                    }
                }
                Value::Object(obj)
            }
        })
    }

    pub fn write(
        &self,
        canon: &Canonical,
        kind: Kind,
        tables: &Tables,
        lossy: &mut Vec<Lossy>,
    ) -> Result<Option<Value>, WriteProblem> {
        let Some(value) = canon.get(self.field) else {
            return Ok(None);
        };
        let keys = match value {
            // No reference at all: a list's own empty form is `[]` (a style whose schema
            // forbids `null` there still has a valid "no roles"); a single reference stays
            // `null`, which the response fit omits where the schema has no null.
            Value::Null if self.many => return Ok(Some(Value::Array(Vec::new()))),
            Value::Null => return Ok(Some(Value::Null)),
            Value::Array(keys) => keys,
            _ => {
                return Err(WriteProblem {
                    field: self.field,
                    kind: FieldErrorKind::TypeError,
                    message: "must be a list".into(),
                    companions: Vec::new(),
                })
            }
        };
        let table = self.table(tables).map_err(|m| WriteProblem {
            field: self.field,
            kind: FieldErrorKind::ValueError,
            message: m.to_string(),
            companions: Vec::new(),
        })?;
        let form = self.form(kind);
        if self.many {
            let items = keys
                .iter()
                .map(|k| self.write_one(k, form, table))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(Some(Value::Array(items)));
        }
        match (keys.len(), kind) {
            (0, _) => Ok(Some(Value::Null)),
            (1, _) => self.write_one(&keys[0], form, table).map(Some),
            (n, Kind::Request) => Err(WriteProblem {
                field: self.field,
                kind: FieldErrorKind::ValueError,
                message: format!(
                    "this backend holds one {}; {n} were given",
                    singular(&self.table)
                ),
                companions: Vec::new(),
            }),
            (n, Kind::Response) => {
                lossy.push(Lossy {
                    field: self.field,
                    note: format!("only the first of {n} {} is shown", self.table),
                });
                self.write_one(&keys[0], form, table).map(Some)
            }
        }
    }
}

fn singular(table: &str) -> &str {
    table.strip_suffix('s').unwrap_or(table)
}
