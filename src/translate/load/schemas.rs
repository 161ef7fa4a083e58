//! A style's four JSON Schemas (`schemas/<style>/{request,response,error}.json` and the
//! resource under `response.json#/$defs/user`), found and compiled once.

use super::Ctx;
use crate::assets::SourceFile;
use crate::translate::error::LoadError;
use crate::translate::schema::{Schema, StyleSchemas};
use serde_json::Value;
use std::collections::HashMap;

/// `schemas/<style>/<kind>.json` → (style, kind) → (file, parsed JSON).
pub(super) fn index_schemas<'a>(
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

pub(super) fn compile_schemas(
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
                ctx.elsewhere(LoadError::new(
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
