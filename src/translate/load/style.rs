//! One style file compiled into a [`Style`]: its path, auth, response and error shapes, and
//! its fields, each through its rule kind's own `compile` (`translate/rules/<kind>.rs`).

use super::Ctx;
use crate::assets::SourceFile;
use crate::translate::canonical::Registry;
use crate::translate::path::JsonPath;
use crate::translate::rules::{FieldRule, RawField, Rule};
use crate::translate::schema::Schema;
use crate::translate::style::{AuthScheme, ErrorShape, PathTemplate, ResponseShape, Style};
use crate::translate::table::Tables;
use crate::translate::template::Template;
use crate::translate::Method;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStyle {
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

pub(super) fn compile_style(
    raw: RawStyle,
    registry: &Registry,
    tables: &Tables,
    schema_files: &HashMap<(String, String), (&SourceFile, Value)>,
    ctx: &mut Ctx<'_>,
) -> Option<Style> {
    let before = ctx.count();
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
        match Method::parse(&m) {
            Some(method) => methods.push(method),
            None => ctx.at(
                path_span.clone(),
                format!("path.methods: '{m}' is not supported (GET, PUT)"),
            ),
        }
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
    let schemas = super::schemas::compile_schemas(&name, schema_files, ctx, name_span);
    if ctx.count() > before {
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
    let rule = Rule::compile(&raw, &ids, tables, ctx)?;
    Some(FieldRule {
        path,
        writable: raw.writable.unwrap_or(true),
        rule,
    })
}
