//! What can go wrong in translation, in terms the data plane can render in any style.

use std::fmt;

/// One problem with one field of the document the *client* sent (or, for upstream documents,
/// of the upstream's document), ready to be rendered in a style's error format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON pointer into the document the problem is about, e.g. `/phone`; empty for the root.
    pub pointer: String,
    /// A message that names the field and the problem, never the value.
    pub message: String,
    pub kind: FieldErrorKind,
}

/// What is wrong with a field, in FastAPI's vocabulary (a snake client's 422 items carry it
/// as `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldErrorKind {
    ValueError,
    TypeError,
    Missing,
    ExtraForbidden,
    /// The target style cannot hold the field, so the write would lose it.
    NotCarried,
    Enum,
}

impl FieldErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValueError => "value_error",
            Self::TypeError => "type_error",
            Self::Missing => "missing",
            Self::ExtraForbidden => "extra_forbidden",
            Self::NotCarried => "not_carried",
            Self::Enum => "enum",
        }
    }
}

impl FieldError {
    pub fn new(
        pointer: impl Into<String>,
        kind: FieldErrorKind,
        message: impl Into<String>,
    ) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
            kind,
        }
    }

    /// The field name the pointer ends in (`/metadata/notes` → `metadata.notes`).
    pub fn field(&self) -> String {
        pointer_to_dotted(&self.pointer)
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub use super::pointer::{from_dotted as dotted_to_pointer, to_dotted as pointer_to_dotted};

/// Why a translation did not produce a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// The client's document is not acceptable: it fails the client style's schema, names
    /// something unknown, or carries what the target cannot hold. Rendered as 422.
    #[error("the document is not valid: {}", join_messages(.0))]
    Invalid(Vec<FieldError>),
    /// A path id that is not well-formed for the client's or the upstream's style. 400.
    #[error("Invalid user ID format")]
    MalformedId,
    /// The upstream's document does not match its own style (schema or rules). The reason is
    /// for the log; clients get a generic 502.
    #[error("the upstream document is not valid for its style: {0}")]
    Upstream(String),
    /// What the gateway produced fails the client style's schema: a rules/schema mismatch.
    /// Treated like an invalid upstream document (502), with the reason in the log.
    #[error("the translated document does not satisfy the {style} schema: {reason}")]
    Output { style: String, reason: String },
}

fn join_messages(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A problem in a rules or schema file, located for `dragoman check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    /// 1-based; 0 when the problem is about the file as a whole.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}: {}", self.file, self.message),
            line => write!(f, "{}:{line}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for LoadError {}

impl LoadError {
    pub fn new(file: &str, line: usize, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line,
            message: message.into(),
        }
    }
}

/// Collects the located problems of one file (rules, schema or config), so a check reports
/// them all at once, each as `file:line: message`.
pub struct Diagnostics<'a> {
    file: &'a str,
    text: &'a str,
    errors: &'a mut Vec<LoadError>,
}

impl<'a> Diagnostics<'a> {
    pub fn new(file: &'a str, text: &'a str, errors: &'a mut Vec<LoadError>) -> Self {
        Self { file, text, errors }
    }

    /// A problem at the byte range `span` of the file.
    pub fn at(&mut self, span: std::ops::Range<usize>, message: impl Into<String>) {
        let line = line_of(self.text, span.start);
        self.errors.push(LoadError::new(self.file, line, message));
    }

    /// [`Self::at`], as the `None` of a check that found nothing usable.
    pub fn err<T>(
        &mut self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Option<T> {
        self.at(span, message);
        None
    }

    /// A problem of the whole file (no line).
    pub fn whole(&mut self, message: impl Into<String>) {
        self.errors.push(LoadError::new(self.file, 0, message));
    }

    /// A problem found while checking this file but located in another (a schema file a
    /// style refers to).
    pub fn elsewhere(&mut self, error: LoadError) {
        self.errors.push(error);
    }

    /// How many problems have been found so far (to tell whether a step added any).
    pub fn count(&self) -> usize {
        self.errors.len()
    }
}

/// The 1-based line of byte offset `at` in `text`.
pub fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
