//! From rules and schema files to a [`RuleSet`]: the serde shapes of the files live here and
//! nowhere else; what leaves this module is compiled and cannot be wrong. Every problem is
//! collected, each with `file:line`, so `dragoman check` reports them all at once.
//!
//! `mod.rs` sorts the files and loads the canonical fields and tables; [`style`] compiles a
//! style file (each field through its rule kind's own `compile`); [`schemas`] finds and
//! compiles a style's four JSON Schemas.

mod schemas;
mod style;

use super::canonical::{Derive, Registry};
use super::error::{line_of, Diagnostics, LoadError};
use super::style::Style;
use super::table::{Table, Tables};
use super::RuleSet;
use crate::assets::SourceFile;
use serde::Deserialize;
use serde_json::{Map, Value};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCanonical {
    field: Vec<Spanned<RawCanonicalField>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCanonicalField {
    name: String,
    #[serde(default)]
    doc: Option<String>,
    #[serde(default)]
    derive: Option<RawDerive>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDerive {
    from: String,
    table: String,
    column: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    table: String,
    key: String,
    row: Vec<Spanned<Map<String, Value>>>,
}

pub(super) type Ctx<'a> = Diagnostics<'a>;

fn parse<T: serde::de::DeserializeOwned>(
    file: &SourceFile,
    errors: &mut Vec<LoadError>,
) -> Option<T> {
    match toml::from_str::<T>(&file.text) {
        Ok(v) => Some(v),
        Err(e) => {
            let line = e.span().map(|s| line_of(&file.text, s.start)).unwrap_or(0);
            let message = e.message().trim().to_owned();
            errors.push(LoadError::new(&file.path, line, message));
            None
        }
    }
}

enum FileKind {
    Canonical,
    Table,
    Style,
}

fn kind_of(file: &SourceFile, errors: &mut Vec<LoadError>) -> Option<FileKind> {
    let table: toml::Table = match toml::from_str(&file.text) {
        Ok(t) => t,
        Err(e) => {
            let line = e.span().map(|s| line_of(&file.text, s.start)).unwrap_or(0);
            errors.push(LoadError::new(&file.path, line, e.message().trim()));
            return None;
        }
    };
    if table.contains_key("style") {
        Some(FileKind::Style)
    } else if table.contains_key("table") {
        Some(FileKind::Table)
    } else if file.path.ends_with("canonical.toml") {
        Some(FileKind::Canonical)
    } else {
        errors.push(LoadError::new(
            &file.path,
            1,
            "not a rules file: expected a `style = …` or `table = …` key, or the name canonical.toml",
        ));
        None
    }
}

/// Compiles rules and schemas. Pure: the caller reads the files.
pub fn load(rules: &[SourceFile], schemas: &[SourceFile]) -> Result<RuleSet, Vec<LoadError>> {
    let mut errors = Vec::new();
    let mut canonical = None;
    let mut table_files = Vec::new();
    let mut style_files = Vec::new();
    for file in rules {
        match kind_of(file, &mut errors) {
            Some(FileKind::Canonical) => canonical = Some(file),
            Some(FileKind::Table) => table_files.push(file),
            Some(FileKind::Style) => style_files.push(file),
            None => {}
        }
    }
    let Some(canonical_file) = canonical else {
        errors.push(LoadError::new(
            "rules/canonical.toml",
            0,
            "missing: the canonical field list is required",
        ));
        return Err(errors);
    };

    let mut tables = Tables::default();
    for file in &table_files {
        if let Some(raw) = parse::<RawTable>(file, &mut errors) {
            let mut ctx = Diagnostics::new(&file.path, &file.text, &mut errors);
            let mut rows = Vec::new();
            for row in raw.row {
                let span = row.span();
                let row = row.into_inner();
                if !row.get(&raw.key).is_some_and(Value::is_string) {
                    ctx.at(
                        span,
                        format!("row without a string `{}` (the table's key)", raw.key),
                    );
                }
                rows.push(row);
            }
            if tables.get(&raw.table).is_some() {
                ctx.at(0..0, format!("table '{}' is defined twice", raw.table));
            }
            tables.push(Table::new(raw.table, raw.key, rows));
        }
    }

    let mut registry = Registry::default();
    if let Some(raw) = parse::<RawCanonical>(canonical_file, &mut errors) {
        let mut ctx = Diagnostics::new(&canonical_file.path, &canonical_file.text, &mut errors);
        let mut derives = Vec::new();
        for f in raw.field {
            let span = f.span();
            let f = f.into_inner();
            let _ = f.doc;
            match registry.push(&f.name) {
                Some(id) => {
                    if let Some(d) = f.derive {
                        derives.push((id, d, span));
                    }
                }
                None => ctx.at(
                    span,
                    format!("canonical field '{}' is listed twice", f.name),
                ),
            }
        }
        for (id, d, span) in derives {
            let Some(from) = registry.id(&d.from) else {
                ctx.at(
                    span,
                    format!("derive.from names unknown canonical field '{}'", d.from),
                );
                continue;
            };
            match tables.get(&d.table) {
                None => ctx.at(
                    span,
                    format!("derive.table names unknown table '{}'", d.table),
                ),
                Some(t) if !t.has_column(&d.column) => ctx.at(
                    span,
                    format!("table '{}' has no column '{}'", d.table, d.column),
                ),
                Some(_) => registry.set_derive(
                    id,
                    Derive {
                        from,
                        table: d.table,
                        column: d.column,
                    },
                ),
            }
        }
    }

    let schema_files = schemas::index_schemas(schemas, &mut errors);
    let mut styles: Vec<Style> = Vec::new();
    for file in &style_files {
        let Some(raw) = parse::<style::RawStyle>(file, &mut errors) else {
            continue;
        };
        let mut ctx = Diagnostics::new(&file.path, &file.text, &mut errors);
        if let Some(style) = style::compile_style(raw, &registry, &tables, &schema_files, &mut ctx)
        {
            if styles.iter().any(|s| s.name == style.name) {
                ctx.at(0..0, format!("style '{}' is defined twice", style.name));
            } else {
                styles.push(style);
            }
        }
    }
    if styles.is_empty() && errors.is_empty() {
        errors.push(LoadError::new("rules", 0, "no style files found"));
    }
    if errors.is_empty() {
        let plans = crate::translate::plan::compile(&styles, &registry);
        Ok(RuleSet {
            registry,
            tables,
            styles,
            plans,
        })
    } else {
        Err(errors)
    }
}
