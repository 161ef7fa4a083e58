//! Every error the gateway answers with, and the one place it is rendered: in the style of
//! the client's route, with the status the project's error table gives it (README, "Errors"). Internal detail (why an
//! upstream failed) goes to the log; the client gets a message that names the field and the
//! problem, never a secret and never an upstream's internals.

use crate::config::Scope;
use crate::translate::{ErrorInfo, FieldError, Style};
use bytes::Bytes;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// No route serves this path.
    #[error("no route for this path")]
    NoRoute,
    #[error("Invalid user ID format")]
    MalformedId,
    /// The body is not JSON.
    #[error("Invalid request data: the body is not valid JSON")]
    BadJson,
    /// Ambiguous or broken HTTP framing (Content-Length with Transfer-Encoding, duplicates).
    #[error("Invalid request framing: {0}")]
    BadFraming(&'static str),
    #[error("Invalid or missing API key")]
    Unauthorized,
    /// The credential lacks the scope (`None`: an upstream refused a forwarded credential,
    /// and which scope it wanted is the upstream's to know).
    #[error("This API key lacks the {} scope", .0.map_or("required", Scope::as_str))]
    Forbidden(Option<Scope>),
    #[error("User not found")]
    NotFound,
    #[error("Method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("Request timed out")]
    RequestTimeout,
    #[error("Request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("Request headers are larger than {limit} bytes")]
    HeaderTooLarge { limit: usize },
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    /// The body fails the client style's schema or carries what the target cannot hold.
    #[error("{}", first_message(.0))]
    Validation(Vec<FieldError>),
    /// An upstream client error (4xx) translated for the client: its status and message.
    #[error("{message}")]
    Upstream { status: u16, message: String },
    /// The upstream could not be reached, or its answer was not valid for its style.
    #[error("upstream failure: {0}")]
    BadGateway(String),
    #[error("upstream timed out")]
    GatewayTimeout,
    #[error("internal error: {0}")]
    Internal(String),
}

fn first_message(errors: &[FieldError]) -> String {
    match errors {
        [] => "Validation failed".into(),
        [one] => one.message.clone(),
        many => many
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// A response ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

/// What a client is told of an error: its status, the envelope style's `error.code`, and the
/// public message (never an upstream's or our own internals).
struct Answer {
    status: u16,
    code: &'static str,
    message: std::borrow::Cow<'static, str>,
}

impl GatewayError {
    /// Every variant's status, code and public message, side by side (the error table of the
    /// README, "Errors").
    fn answer(&self) -> Answer {
        use std::borrow::Cow::{Borrowed, Owned};
        let (status, code, message) = match self {
            Self::MalformedId | Self::BadJson | Self::BadFraming(_) => {
                (400, "INVALID_REQUEST", Owned(self.to_string()))
            }
            Self::Unauthorized => (401, "UNAUTHORIZED", Owned(self.to_string())),
            Self::Forbidden(_) => (403, "FORBIDDEN", Owned(self.to_string())),
            Self::NoRoute => (404, "NOT_FOUND", Borrowed("Not found")),
            Self::NotFound => (404, "NOT_FOUND", Owned(self.to_string())),
            Self::MethodNotAllowed { .. } => (405, "METHOD_NOT_ALLOWED", Owned(self.to_string())),
            Self::RequestTimeout => (408, "REQUEST_TIMEOUT", Owned(self.to_string())),
            Self::PayloadTooLarge { .. } => (413, "PAYLOAD_TOO_LARGE", Owned(self.to_string())),
            Self::UnsupportedMediaType => (415, "UNSUPPORTED_MEDIA_TYPE", Owned(self.to_string())),
            Self::Validation(_) => (422, "VALIDATION_ERROR", Owned(self.to_string())),
            Self::HeaderTooLarge { .. } => (
                431,
                "REQUEST_HEADER_FIELDS_TOO_LARGE",
                Owned(self.to_string()),
            ),
            Self::Upstream { status, .. } => (*status, code_for(*status), Owned(self.to_string())),
            Self::BadGateway(_) => (
                502,
                "BAD_GATEWAY",
                Borrowed("The upstream service failed or returned an invalid response"),
            ),
            Self::GatewayTimeout => (
                504,
                "GATEWAY_TIMEOUT",
                Borrowed("The upstream service did not answer in time"),
            ),
            Self::Internal(_) => (500, "INTERNAL_ERROR", Borrowed("Internal error")),
        };
        Answer {
            status,
            code,
            message,
        }
    }

    pub fn status(&self) -> u16 {
        self.answer().status
    }

    /// The envelope-style code; also the log's error kind.
    pub fn code(&self) -> &'static str {
        self.answer().code
    }

    /// What the client is told. Upstream and internal failures stay in the log.
    pub fn public_message(&self) -> String {
        self.answer().message.into_owned()
    }

    /// Renders the error in `style` (or as plain JSON when no route applies).
    pub fn render(
        &self,
        style: Option<&Style>,
        request_id: &str,
        timestamp: &str,
        path: &str,
    ) -> Reply {
        let Answer {
            status,
            code,
            message,
        } = self.answer();
        let errors: &[FieldError] = match self {
            Self::Validation(errs) => errs,
            _ => &[],
        };
        let mut headers = Vec::new();
        if let Self::MethodNotAllowed { allow } = self {
            headers.push(("allow", allow.clone()));
        }
        let (content_type, body) = match style {
            Some(style) => {
                let info = ErrorInfo {
                    status,
                    code,
                    title: reason(status),
                    message: &message,
                    errors,
                    request_id,
                    timestamp,
                    instance: path,
                };
                (style.error.content_type.clone(), style.render_error(&info))
            }
            None => (
                "application/json".to_owned(),
                serde_json::json!({"error": {"code": code, "message": message}, "request_id": request_id}),
            ),
        };
        let body = serde_json::to_vec(&body).unwrap_or_default();
        Reply {
            status,
            content_type,
            headers,
            body: Bytes::from(body),
        }
    }
}

/// The envelope `error.code` of each status (README, "Errors").
pub fn code_for(status: u16) -> &'static str {
    match status {
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        408 => "REQUEST_TIMEOUT",
        409 => "CONFLICT",
        413 => "PAYLOAD_TOO_LARGE",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        422 => "VALIDATION_ERROR",
        429 => "RATE_LIMITED",
        431 => "REQUEST_HEADER_FIELDS_TOO_LARGE",
        502 => "BAD_GATEWAY",
        503 => "SERVICE_UNAVAILABLE",
        504 => "GATEWAY_TIMEOUT",
        _ if (400..500).contains(&status) => "INVALID_REQUEST",
        _ => "INTERNAL_ERROR",
    }
}

pub fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::RuleSet;

    #[test]
    fn every_row_of_the_error_table_has_its_status_and_code() {
        let rows: Vec<(GatewayError, u16, &str)> = vec![
            (GatewayError::BadJson, 400, "INVALID_REQUEST"),
            (GatewayError::MalformedId, 400, "INVALID_REQUEST"),
            (GatewayError::Unauthorized, 401, "UNAUTHORIZED"),
            (
                GatewayError::Forbidden(Some(Scope::Write)),
                403,
                "FORBIDDEN",
            ),
            (GatewayError::NotFound, 404, "NOT_FOUND"),
            (GatewayError::Validation(vec![]), 422, "VALIDATION_ERROR"),
            (
                GatewayError::MethodNotAllowed {
                    allow: "GET, PUT".into(),
                },
                405,
                "METHOD_NOT_ALLOWED",
            ),
            (
                GatewayError::PayloadTooLarge { limit: 1 },
                413,
                "PAYLOAD_TOO_LARGE",
            ),
            (
                GatewayError::UnsupportedMediaType,
                415,
                "UNSUPPORTED_MEDIA_TYPE",
            ),
            (GatewayError::BadGateway("x".into()), 502, "BAD_GATEWAY"),
            (GatewayError::GatewayTimeout, 504, "GATEWAY_TIMEOUT"),
        ];
        for (e, status, code) in rows {
            assert_eq!((e.status(), e.code()), (status, code), "{e:?}");
        }
    }

    #[test]
    fn upstream_failures_do_not_reach_the_client_body() {
        let rules = RuleSet::builtin().unwrap();
        let style = rules.style(rules.style_id("envelope").unwrap());
        let reply = GatewayError::BadGateway("connect to 10.0.0.7 refused".into()).render(
            Some(style),
            "r",
            "t",
            "/p",
        );
        let body = String::from_utf8(reply.body.to_vec()).unwrap();
        assert!(!body.contains("10.0.0.7"), "{body}");
        assert_eq!(reply.status, 502);
    }

    #[test]
    fn method_not_allowed_carries_allow() {
        let reply = GatewayError::MethodNotAllowed {
            allow: "GET, PUT".into(),
        }
        .render(None, "r", "t", "/p");
        assert_eq!(reply.headers, vec![("allow", "GET, PUT".to_owned())]);
    }
}
