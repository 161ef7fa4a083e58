//! From rules and schema files to a [`RuleSet`]: the serde shapes of the files live here and
//! nowhere else; what leaves this module is compiled and cannot be wrong. Every problem is
//! collected, each with `file:line`, so `dragoman check` reports them all at once.

use super::canonical::{Derive, Registry};
use super::error::{line_of, LoadError};
use super::path::JsonPath;
use super::rules::{copy, join, lookup, prefix, value_map, FieldRule, Rule};
use super::schema::{Schema, StyleSchemas};
use super::style::{AuthScheme, ErrorShape, PathTemplate, ResponseShape, Style};
use super::table::{Table, Tables};
use super::template::Template;
use super::RuleSet;
use crate::assets::SourceFile;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    style: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    path: Spanned<RawPath>,
    auth: Spanned<RawAuth>,
    response: Spanned<RawResponse>,
    error: Spanned<RawError>,
    #[serde(default)]
    field: Vec<Spanned<RawField>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPath {
    template: String,
    methods: Vec<String>,
    id: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    scheme: String,
    #[serde(default)]
    param: Option<String>,
    #[serde(default)]
    prefix: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResponse {
    content_type: String,
    body: Value,
    #[serde(default)]
    messages: HashMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawError {
    content_type: String,
    body: Value,
    #[serde(default)]
    validation_body: Option<Value>,
    #[serde(default)]
    item: Option<Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn names(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    path: Spanned<String>,
    canonical: Spanned<OneOrMany>,
    #[serde(default)]
    kind: Option<Spanned<String>>,
    #[serde(default)]
    writable: Option<bool>,
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    separator: Option<String>,
    #[serde(default)]
    values: Option<Vec<(Value, Value)>>,
    #[serde(default)]
    table: Option<String>,
    #[serde(default)]
    many: Option<bool>,
    #[serde(default)]
    request: Option<OneOrMany>,
    #[serde(default)]
    response: Option<OneOrMany>,
}

const RESPONSE_VARIABLES: &[&str] = &["resource", "timestamp", "request_id", "message"];
const ERROR_VARIABLES: &[&str] = &[
    "code",
    "message",
    "title",
    "status",
    "instance",
    "errors",
    "timestamp",
    "request_id",
];
const ITEM_VARIABLES: &[&str] = &["pointer", "field", "loc", "msg", "type"];

/// Collects errors for one file, locating spans.
struct Ctx<'a> {
    file: &'a SourceFile,
    errors: &'a mut Vec<LoadError>,
}

impl Ctx<'_> {
    fn at(&mut self, span: std::ops::Range<usize>, message: impl Into<String>) {
        let line = line_of(&self.file.text, span.start);
        self.errors
            .push(LoadError::new(&self.file.path, line, message));
    }
}

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
            let mut ctx = Ctx {
                file,
                errors: &mut errors,
            };
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
        let mut ctx = Ctx {
            file: canonical_file,
            errors: &mut errors,
        };
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

    let schema_files = index_schemas(schemas, &mut errors);
    let mut styles: Vec<Style> = Vec::new();
    for file in &style_files {
        let Some(raw) = parse::<RawStyle>(file, &mut errors) else {
            continue;
        };
        let mut ctx = Ctx {
            file,
            errors: &mut errors,
        };
        if let Some(style) = compile_style(raw, &registry, &tables, &schema_files, &mut ctx) {
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
        Ok(RuleSet {
            registry,
            tables,
            styles,
        })
    } else {
        Err(errors)
    }
}

/// `schemas/<style>/<kind>.json` → (style, kind) → (file, parsed JSON).
fn index_schemas<'a>(
    schemas: &'a [SourceFile],
    errors: &mut Vec<LoadError>,
) -> HashMap<(String, String), (&'a SourceFile, Value)> {
    let mut out = HashMap::new();
    for file in schemas {
        let parts: Vec<&str> = file.path.rsplit(['/', '\\']).take(2).collect();
        let [name, style] = parts[..] else { continue };
        let kind = name.trim_end_matches(".json").to_owned();
        match serde_json::from_str::<Value>(&file.text) {
            Ok(v) => {
                out.insert((style.to_owned(), kind), (file, v));
            }
            Err(e) => errors.push(LoadError::new(
                &file.path,
                e.line(),
                format!("not valid JSON: {e}"),
            )),
        }
    }
    out
}

fn compile_schemas(
    style: &str,
    files: &HashMap<(String, String), (&SourceFile, Value)>,
    ctx: &mut Ctx<'_>,
    span: std::ops::Range<usize>,
) -> Option<StyleSchemas> {
    let mut get = |kind: &str| -> Option<(Schema, Value)> {
        let Some((file, raw)) = files.get(&(style.to_owned(), kind.to_owned())) else {
            ctx.at(
                span.clone(),
                format!("schema file schemas/{style}/{kind}.json is missing"),
            );
            return None;
        };
        match Schema::compile(raw.clone()) {
            Ok(s) => Some((s, raw.clone())),
            Err(e) => {
                ctx.errors.push(LoadError::new(
                    &file.path,
                    1,
                    format!("invalid JSON Schema: {e}"),
                ));
                None
            }
        }
    };
    let request = get("request");
    let response = get("response");
    let error = get("error");
    let (request, (response, response_raw), error) = (request?, response?, error?);
    let Some(user) = response_raw.pointer("/$defs/user").cloned() else {
        ctx.at(
            span,
            format!("schemas/{style}/response.json needs the resource under $defs/user"),
        );
        return None;
    };
    let resource = match Schema::compile(user) {
        Ok(s) => s,
        Err(e) => {
            ctx.at(
                span,
                format!("schemas/{style}/response.json $defs/user: {e}"),
            );
            return None;
        }
    };
    Some(StyleSchemas {
        request: request.0,
        response,
        resource,
        error: error.0,
    })
}

fn compile_style(
    raw: RawStyle,
    registry: &Registry,
    tables: &Tables,
    schema_files: &HashMap<(String, String), (&SourceFile, Value)>,
    ctx: &mut Ctx<'_>,
) -> Option<Style> {
    let before = ctx.errors.len();
    let name_span = raw.style.span();
    let name = raw.style.into_inner();
    let _ = raw.description;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        ctx.at(
            name_span.clone(),
            "style names are letters, digits, - and _",
        );
    }

    let path_span = raw.path.span();
    let rp = raw.path.into_inner();
    let path = PathTemplate::parse(&rp.template)
        .map_err(|e| ctx.at(path_span.clone(), format!("path.template: {e}")))
        .ok();
    let mut methods = Vec::new();
    for m in rp.methods {
        let up = m.to_ascii_uppercase();
        if !matches!(up.as_str(), "GET" | "PUT") {
            ctx.at(
                path_span.clone(),
                format!("path.methods: '{m}' is not supported (GET, PUT)"),
            );
        }
        methods.push(up);
    }
    let id_schema = Schema::compile(rp.id)
        .map_err(|e| {
            ctx.at(
                path_span.clone(),
                format!("path.id is not a valid JSON Schema: {e}"),
            )
        })
        .ok();

    let auth_span = raw.auth.span();
    let ra = raw.auth.into_inner();
    let auth = match ra.scheme.as_str() {
        "bearer" => Some(AuthScheme::Bearer),
        "query" => match ra.param {
            Some(param) if !param.is_empty() => Some(AuthScheme::Query {
                param,
                prefix: ra.prefix.unwrap_or_default(),
            }),
            _ => {
                ctx.at(auth_span, "auth.scheme = \"query\" needs `param`");
                None
            }
        },
        other => {
            ctx.at(
                auth_span,
                format!("auth.scheme '{other}' is unknown (bearer, query)"),
            );
            None
        }
    };

    let resp_span = raw.response.span();
    let rr = raw.response.into_inner();
    let response = match Template::compile(rr.body, RESPONSE_VARIABLES) {
        Ok(body) => match body.find("resource") {
            Some(resource_at) => {
                for k in rr.messages.keys() {
                    if !matches!(k.as_str(), "get" | "put") {
                        ctx.at(
                            resp_span.clone(),
                            format!("response.messages: '{k}' is not a method (get, put)"),
                        );
                    }
                }
                Some(ResponseShape {
                    content_type: rr.content_type,
                    body,
                    resource_at,
                    get_message: rr.messages.get("get").cloned(),
                    put_message: rr.messages.get("put").cloned(),
                })
            }
            None => {
                ctx.at(
                    resp_span,
                    "response.body needs \"$resource\" (through objects only)",
                );
                None
            }
        },
        Err(e) => {
            ctx.at(resp_span, format!("response.body: {e}"));
            None
        }
    };

    let err_span = raw.error.span();
    let re = raw.error.into_inner();
    let template = |v: Value, what: &str, allowed: &[&str], ctx: &mut Ctx<'_>| {
        Template::compile(v, allowed)
            .map_err(|e| ctx.at(err_span.clone(), format!("error.{what}: {e}")))
            .ok()
    };
    let body = template(re.body, "body", ERROR_VARIABLES, ctx);
    let validation_body = re
        .validation_body
        .map(|v| template(v, "validation_body", ERROR_VARIABLES, ctx));
    let item = re.item.map(|v| template(v, "item", ITEM_VARIABLES, ctx));
    let error = match (body, validation_body, item) {
        (Some(body), vb, it)
            if vb.as_ref().is_none_or(Option::is_some)
                && it.as_ref().is_none_or(Option::is_some) =>
        {
            Some(ErrorShape {
                content_type: re.content_type,
                body,
                validation_body: vb.flatten(),
                item: it.flatten(),
            })
        }
        _ => None,
    };

    let mut fields = Vec::new();
    let mut by_canonical: Vec<Option<usize>> = vec![None; registry.len()];
    let mut seen_paths: Vec<String> = Vec::new();
    for f in raw.field {
        let span = f.span();
        if let Some(rule) = compile_field(f.into_inner(), registry, tables, ctx) {
            let dotted = rule.path.dotted();
            if seen_paths.contains(&dotted) {
                ctx.at(span.clone(), format!("field '{dotted}' is declared twice"));
            }
            seen_paths.push(dotted);
            for id in rule.canonical() {
                let slot = &mut by_canonical[id.0 as usize];
                if slot.is_some() {
                    ctx.at(
                        span.clone(),
                        format!("canonical field '{}' is mapped twice", registry.name(*id)),
                    );
                }
                *slot = Some(fields.len());
            }
            fields.push(rule);
        }
    }
    let id_field = registry.id("id").and_then(|id| by_canonical[id.0 as usize]);
    if id_field.is_none() {
        ctx.at(
            name_span.clone(),
            "a style must map the canonical field 'id'",
        );
    }
    let schemas = compile_schemas(&name, schema_files, ctx, name_span);
    if ctx.errors.len() > before {
        return None;
    }
    Some(Style {
        name,
        path: path?,
        methods,
        auth: auth?,
        response: response?,
        error: error?,
        id_schema: id_schema?,
        fields,
        by_canonical,
        id_field: id_field?,
        schemas: schemas?,
    })
}

fn compile_field(
    raw: RawField,
    registry: &Registry,
    tables: &Tables,
    ctx: &mut Ctx<'_>,
) -> Option<FieldRule> {
    let path_span = raw.path.span();
    let Some(path) = JsonPath::parse(raw.path.get_ref()).filter(|p| !p.keys().is_empty()) else {
        ctx.at(
            path_span,
            format!("field path '{}' is not a dotted path", raw.path.get_ref()),
        );
        return None;
    };
    let canon_span = raw.canonical.span();
    let mut ids = Vec::new();
    for n in raw.canonical.get_ref().names() {
        match registry.id(n) {
            Some(id) => ids.push(id),
            None => ctx.at(
                canon_span.clone(),
                format!("unknown canonical field '{n}' (see canonical.toml)"),
            ),
        }
    }
    if ids.len() != raw.canonical.get_ref().names().len() {
        return None;
    }
    let (kind, kind_span) = match &raw.kind {
        Some(k) => (k.get_ref().as_str(), k.span()),
        None => ("copy", canon_span.clone()),
    };
    let single = |ctx: &mut Ctx<'_>| {
        if ids.len() == 1 {
            Some(ids[0])
        } else {
            ctx.at(
                canon_span.clone(),
                format!("kind '{kind}' maps exactly one canonical field"),
            );
            None
        }
    };
    let rule = match kind {
        "copy" => Rule::Copy(copy::Copy {
            field: single(ctx)?,
        }),
        "prefix" => {
            let field = single(ctx)?;
            match raw.prefix {
                Some(p) if !p.is_empty() => Rule::Prefix(prefix::Prefix { field, prefix: p }),
                _ => {
                    ctx.at(kind_span, "kind 'prefix' needs a non-empty `prefix`");
                    return None;
                }
            }
        }
        "map" => {
            let field = single(ctx)?;
            let Some(values) = raw.values.filter(|v| !v.is_empty()) else {
                ctx.at(
                    kind_span,
                    "kind 'map' needs `values = [[style, canonical], …]`",
                );
                return None;
            };
            let pairs = values
                .into_iter()
                .map(|(s, c)| (s, (c != Value::String("$none".into())).then_some(c)))
                .collect();
            Rule::Map(value_map::ValueMap { field, pairs })
        }
        "join" => {
            if ids.len() < 2 {
                ctx.at(canon_span, "kind 'join' maps two or more canonical fields");
                return None;
            }
            let Some(separator) = raw.separator.filter(|s| !s.is_empty()) else {
                ctx.at(kind_span, "kind 'join' needs a non-empty `separator`");
                return None;
            };
            Rule::Join(join::Join {
                fields: ids.clone(),
                separator,
            })
        }
        "lookup" => {
            let field = single(ctx)?;
            let Some(table_name) = raw.table else {
                ctx.at(kind_span, "kind 'lookup' needs `table`");
                return None;
            };
            let Some(table) = tables.get(&table_name) else {
                ctx.at(kind_span, format!("unknown table '{table_name}'"));
                return None;
            };
            let form =
                |v: Option<OneOrMany>, what: &str, ctx: &mut Ctx<'_>| -> Option<lookup::Form> {
                    let v = v.unwrap_or(OneOrMany::One(table.key.clone()));
                    for c in v.names() {
                        if !table.has_column(c) {
                            ctx.at(
                                kind_span.clone(),
                                format!("{what}: table '{table_name}' has no column '{c}'"),
                            );
                            return None;
                        }
                    }
                    Some(match v {
                        OneOrMany::One(c) => lookup::Form::Column(c),
                        OneOrMany::Many(cs) => lookup::Form::Object(cs),
                    })
                };
            let request = form(raw.request, "request", ctx)?;
            let response = form(raw.response, "response", ctx)?;
            Rule::Lookup(lookup::Lookup {
                field,
                table: table_name,
                many: raw.many.unwrap_or(false),
                request,
                response,
            })
        }
        other => {
            ctx.at(
                kind_span,
                format!("unknown field kind '{other}' (copy, prefix, map, join, lookup)"),
            );
            return None;
        }
    };
    Some(FieldRule {
        path,
        writable: raw.writable.unwrap_or(true),
        rule,
    })
}
