//! JSON Schemas, compiled once, and their failures turned into field errors that name the
//! field and the problem without echoing the value.

use super::error::FieldError;
use crate::translate::FieldErrorKind;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

/// Why a JSON Schema does not compile (`jsonschema`'s own explanation).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SchemaError(String);

/// A compiled schema and the source it came from (for `x-message` annotations).
pub struct Schema {
    validator: Validator,
    raw: Value,
}

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Schema").finish_non_exhaustive()
    }
}

impl Schema {
    pub fn compile(raw: Value) -> Result<Self, SchemaError> {
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&raw)
            .map_err(|e| SchemaError(e.to_string()))?;
        Ok(Self { validator, raw })
    }

    /// The schema as written.
    pub fn raw(&self) -> &Value {
        &self.raw
    }

    pub fn is_valid(&self, doc: &Value) -> bool {
        self.validator.is_valid(doc)
    }

    /// Every failure, as field errors; empty when the document is valid.
    pub fn errors(&self, doc: &Value) -> Vec<FieldError> {
        if self.validator.is_valid(doc) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for e in self.validator.iter_errors(doc) {
            out.extend(self.field_errors(&e));
        }
        out
    }

    /// The first failure in a form for logs (value masked).
    pub fn first_error(&self, doc: &Value) -> Option<String> {
        if self.validator.is_valid(doc) {
            return None;
        }
        self.validator.iter_errors(doc).next().map(|e| {
            let at = e.instance_path().as_str().to_owned();
            format!(
                "{} at '{}'",
                e.masked(),
                if at.is_empty() { "/" } else { &at }
            )
        })
    }

    fn x_message(&self, e: &ValidationError<'_>) -> Option<String> {
        let path = e.schema_path().as_str();
        let parent = path.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
        self.raw
            .pointer(parent)
            .and_then(|s| s.get("x-message"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    fn field_errors(&self, e: &ValidationError<'_>) -> Vec<FieldError> {
        let at = e.instance_path().as_str().to_owned();
        let field = |ptr: &str| {
            let f = super::error::pointer_to_dotted(ptr);
            if f.is_empty() {
                "body".to_owned()
            } else {
                f
            }
        };
        let custom = self.x_message(e);
        let (ptr, kind, problem) = match e.kind() {
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                let ptr = super::pointer::child(&at, name);
                (ptr, FieldErrorKind::Missing, "is required".to_owned())
            }
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                return unexpected
                    .iter()
                    .map(|name| {
                        let ptr = super::pointer::child(&at, name);
                        let f = field(&ptr);
                        FieldError::new(
                            ptr,
                            FieldErrorKind::ExtraForbidden,
                            format!("{f}: unknown field"),
                        )
                    })
                    .collect();
            }
            ValidationErrorKind::Type { kind } => {
                let want = match kind {
                    TypeKind::Single(t) => article(&t.to_string()),
                    TypeKind::Multiple(set) => set
                        .iter()
                        .map(|t| article(&t.to_string()))
                        .collect::<Vec<_>>()
                        .join(" or "),
                };
                (at, FieldErrorKind::TypeError, format!("must be {want}"))
            }
            ValidationErrorKind::Format { format } => (
                at,
                FieldErrorKind::ValueError,
                format!("must be a valid {format}"),
            ),
            ValidationErrorKind::Pattern { .. } => (
                at,
                FieldErrorKind::ValueError,
                "has an invalid format".into(),
            ),
            ValidationErrorKind::Enum { options } => {
                let opts = options
                    .as_array()
                    .map(|a| a.iter().map(plain).collect::<Vec<_>>().join(", "))
                    .unwrap_or_default();
                (at, FieldErrorKind::Enum, format!("must be one of: {opts}"))
            }
            ValidationErrorKind::Constant { expected_value } => (
                at,
                FieldErrorKind::ValueError,
                format!("must be {}", plain(expected_value)),
            ),
            ValidationErrorKind::MinLength { limit: 1 } => {
                (at, FieldErrorKind::ValueError, "must not be empty".into())
            }
            ValidationErrorKind::MinLength { limit } => (
                at,
                FieldErrorKind::ValueError,
                format!("must have at least {limit} characters"),
            ),
            ValidationErrorKind::MaxLength { limit } => (
                at,
                FieldErrorKind::ValueError,
                format!("must have at most {limit} characters"),
            ),
            ValidationErrorKind::UniqueItems => (
                at,
                FieldErrorKind::ValueError,
                "must not repeat items".into(),
            ),
            ValidationErrorKind::Minimum { limit } => (
                at,
                FieldErrorKind::ValueError,
                format!("must be at least {limit}"),
            ),
            ValidationErrorKind::Maximum { limit } => (
                at,
                FieldErrorKind::ValueError,
                format!("must be at most {limit}"),
            ),
            _ => (at, FieldErrorKind::ValueError, e.masked().to_string()),
        };
        let f = field(&ptr);
        let message = custom.unwrap_or_else(|| format!("{f}: {problem}"));
        vec![FieldError::new(ptr, kind, message)]
    }
}

fn article(t: &str) -> String {
    match t {
        "object" | "array" | "integer" => format!("an {t}"),
        "null" => "null".into(),
        _ => format!("a {t}"),
    }
}

fn plain(v: &Value) -> String {
    v.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| v.to_string())
}

/// The four schemas of one style.
#[derive(Debug)]
pub struct StyleSchemas {
    /// A PUT body.
    pub request: Schema,
    /// A whole success document, as the API returns it.
    pub response: Schema,
    /// The user resource alone (`response.json#/$defs/user`).
    pub resource: Schema,
    /// An error document.
    pub error: Schema,
}
