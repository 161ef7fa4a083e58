//! Request validation: each style's `schemas/<style>/request.json`, compiled once at start, and
//! the [`Violation`]s a PUT body has, each traced back to the schema's `x-message` for its
//! place so a style can show the message its docs promise.
//!
//! The JSON pointer code here (escaping, splitting into segments) repeats what the gateway has
//! in `crate::translate`; it is kept apart on purpose, like everything in the backends.

use serde_json::Value;

use super::{BackendError, BackendStyle};

/// A problem with one place in a PUT body.
#[derive(Debug, Clone)]
pub(crate) struct Violation {
    /// JSON pointer into the body (`/phone`, `/roles/0`; empty for the body itself).
    pub pointer: String,
    pub kind: ViolationKind,
    /// The schema's `x-message` for that place, meant for people ("Invalid phone number
    /// format").
    pub x_message: Option<String>,
    /// A generic description, for when there is no `x-message`.
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ViolationKind {
    /// Wrong JSON type; the types the schema allows.
    Type(Vec<String>),
    /// A string that is not of this `format`.
    Format(String),
    /// A property the request may not carry: unknown, or server-managed.
    Unexpected,
    /// A role name or id that is not in the role table.
    UnknownRole,
    /// `null` for a field the resource cannot be without.
    NotNullable,
    /// Any other schema keyword (`pattern`, `enum`, `minLength`, …).
    Keyword(String),
}

impl Violation {
    /// The pointer's segments, unescaped; numbers are array indices. (The reference backends
    /// keep their own small pointer code on purpose: they stand in for independent legacy
    /// services and use none of the gateway's translation code.)
    pub(crate) fn segments(&self) -> Vec<Segment> {
        self.pointer
            .split('/')
            .skip(1)
            .map(|raw| {
                let key = raw.replace("~1", "/").replace("~0", "~");
                match key.parse::<usize>() {
                    Ok(index) => Segment::Index(index),
                    Err(_) => Segment::Key(key),
                }
            })
            .collect()
    }
}

pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

/// Escapes one JSON pointer segment (RFC 6901). Kept here, not taken from the gateway, for the
/// reason [`Violation::segments`] gives.
pub(crate) fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A style's `schemas/<style>/request.json`, compiled once, plus the document itself so that
/// errors can be traced back to their `x-message`.
pub(crate) struct RequestSchema {
    validator: jsonschema::Validator,
    document: Value,
}

impl RequestSchema {
    pub(crate) fn load(style: BackendStyle) -> Result<Self, BackendError> {
        let path = format!("schemas/{style}/request.json");
        let file = crate::assets::schemas()
            .into_iter()
            .find(|f| f.path == path)
            .ok_or_else(|| BackendError::MissingAsset(path.clone()))?;
        let asset_error = |message: String| BackendError::Asset {
            path: path.clone(),
            message,
        };
        let document: Value =
            serde_json::from_str(&file.text).map_err(|e| asset_error(e.to_string()))?;
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&document)
            .map_err(|e| asset_error(e.to_string()))?;
        Ok(Self {
            validator,
            document,
        })
    }

    pub(crate) fn violations(&self, body: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        for error in self.validator.iter_errors(body) {
            let pointer = error.instance_path().as_str().to_owned();
            let schema_path = error.schema_path().as_str();
            let keyword_parent = parent_pointer(schema_path);
            let kind = match error.kind() {
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    out.extend(unexpected.iter().map(|name| Violation {
                        pointer: format!("{pointer}/{}", pointer_segment(name)),
                        kind: ViolationKind::Unexpected,
                        x_message: None,
                        problem: "unknown or read-only field".to_owned(),
                    }));
                    continue;
                }
                jsonschema::error::ValidationErrorKind::Type { .. } => {
                    ViolationKind::Type(self.schema_types(keyword_parent))
                }
                jsonschema::error::ValidationErrorKind::Format { format } => {
                    ViolationKind::Format(format.clone())
                }
                other => ViolationKind::Keyword(other.keyword().to_owned()),
            };
            let problem = match &kind {
                ViolationKind::Type(_) if pointer.is_empty() => {
                    "the request body must be a JSON object".to_owned()
                }
                _ => error.to_string(),
            };
            out.push(Violation {
                x_message: self.x_message(keyword_parent),
                pointer,
                kind,
                problem,
            });
        }
        out
    }

    /// The `type` keyword of the schema at `at`.
    fn schema_types(&self, at: &str) -> Vec<String> {
        match self.document.pointer(at).and_then(|s| s.get("type")) {
            Some(Value::String(t)) => vec![t.clone()],
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The nearest `x-message` at or above the schema at `at`, so a message on a property
    /// also covers its items.
    fn x_message(&self, at: &str) -> Option<String> {
        let mut at = at;
        loop {
            let is_schema = !matches!(
                at.rsplit('/').next(),
                Some("properties" | "$defs" | "patternProperties" | "dependentSchemas")
            );
            if is_schema {
                let message = self
                    .document
                    .pointer(at)
                    .and_then(|s| s.get("x-message"))
                    .and_then(Value::as_str);
                if let Some(message) = message {
                    return Some(message.to_owned());
                }
            }
            if at.is_empty() {
                return None;
            }
            at = parent_pointer(at);
        }
    }
}

fn parent_pointer(pointer: &str) -> &str {
    pointer.rsplit_once('/').map_or("", |(parent, _)| parent)
}
