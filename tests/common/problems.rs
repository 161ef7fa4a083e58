//! Collecting problems, so that a failure names every case that failed, and the checks of an
//! error response against DESIGN.md's error table in each client style.

use std::fmt::Display;

use dragoman::backends::BackendStyle::{self, Camel, Envelope, Snake};
use serde_json::{json, Value};

use super::demo::SECRETS;
use super::http::{send, Reply};
use super::{schema, Stack};

#[derive(Default)]
pub struct Problems(pub Vec<String>);

impl Problems {
    pub fn fail(&mut self, case: &str, what: impl Display) {
        self.0.push(format!("[{case}] {what}"));
    }

    pub fn check(&mut self, case: &str, ok: bool, what: impl Display) {
        if !ok {
            self.fail(case, what);
        }
    }

    pub fn done(self) {
        assert!(
            self.0.is_empty(),
            "{} problem(s):\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }

    /// `pointer` holds `want` in `doc`.
    pub fn field(&mut self, case: &str, doc: &Value, pointer: &str, want: &Value) {
        match doc.pointer(pointer) {
            Some(got) if got == want => {}
            got => self.fail(
                case,
                format!("{pointer}: expected {want}, got {got:?} in {doc}"),
            ),
        }
    }

    pub fn fields(&mut self, case: &str, doc: &Value, expected: &[(&str, Value)]) {
        for (pointer, want) in expected {
            self.field(case, doc, pointer, want);
        }
    }

    /// Fields that must not be there: what the upstream cannot supply is omitted, not invented.
    pub fn absent(&mut self, case: &str, doc: &Value, pointers: &[&str]) {
        for pointer in pointers {
            if let Some(v) = doc.pointer(pointer) {
                self.fail(case, format!("{pointer} should be absent, got {v}"));
            }
        }
    }

    pub fn schema(&mut self, case: &str, style: BackendStyle, kind: &str, body: &Value) {
        let errors: Vec<String> = schema(style, kind)
            .iter_errors(body)
            .map(|e| format!("{e} at {:?}", e.instance_path().as_str()))
            .collect();
        if !errors.is_empty() {
            self.fail(
                case,
                format!(
                    "body does not satisfy schemas/{style}/{kind}.body: {errors:?}; body: {body}"
                ),
            );
        }
    }

    /// No request reached any backend of `stack`; `what` says what would have.
    pub fn no_backend_reached(&mut self, stack: &Stack, what: &str) {
        for style in BackendStyle::ALL {
            self.check(
                &format!("{style} backend"),
                stack.backend(style).stats() == 0,
                what,
            );
        }
    }

    pub fn no_secrets(&mut self, case: &str, text: &str) {
        for secret in SECRETS {
            self.check(
                case,
                !text.contains(secret),
                format!("the body contains the secret {secret:?}: {text}"),
            );
        }
    }
}

/// DESIGN.md's envelope `error.code` for a status.
pub fn code_for(status: u16) -> &'static str {
    match status {
        400 => "INVALID_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        413 => "PAYLOAD_TOO_LARGE",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        422 => "VALIDATION_ERROR",
        502 => "BAD_GATEWAY",
        504 => "GATEWAY_TIMEOUT",
        other => panic!("no code for {other} in DESIGN.md's error table"),
    }
}

/// An error response in the client's style: status, `X-Request-Id`, the style's error schema
/// and shape, the field it must name (if any), and no secret.
pub fn check_error(
    p: &mut Problems,
    case: &str,
    style: BackendStyle,
    r: &Reply,
    status: u16,
    field: Option<&str>,
) {
    p.check(
        case,
        r.status == status,
        format!("status: expected {status}, got {} ({})", r.status, r.text),
    );
    let request_id = r.header("x-request-id").unwrap_or_default();
    p.check(case, !request_id.is_empty(), "no X-Request-Id");
    p.schema(case, style, "error", &r.body);
    p.no_secrets(case, &r.text);
    let content_type = r.header("content-type").unwrap_or_default();
    match style {
        Envelope => {
            p.check(
                case,
                content_type.starts_with("application/json"),
                format!("content-type {content_type:?}"),
            );
            p.field(case, &r.body, "/success", &json!(false));
            if r.status == status {
                p.field(case, &r.body, "/error/code", &json!(code_for(status)));
            }
            p.field(case, &r.body, "/meta/request_id", &json!(request_id));
        }
        Camel => {
            p.check(
                case,
                content_type.starts_with("application/problem+json"),
                format!("content-type {content_type:?}, expected application/problem+json"),
            );
            p.field(case, &r.body, "/status", &json!(r.status));
        }
        Snake => {
            p.check(
                case,
                content_type.starts_with("application/json"),
                format!("content-type {content_type:?}"),
            );
            let detail = &r.body["detail"];
            if status == 422 {
                let items_ok = detail.as_array().is_some_and(|items| {
                    !items.is_empty()
                        && items.iter().all(|i| {
                            i["loc"].is_array() && i["msg"].is_string() && i["type"].is_string()
                        })
                });
                p.check(
                    case,
                    items_ok,
                    format!(
                        "a 422 detail must be a list of {{loc, msg, type}}: {}",
                        r.text
                    ),
                );
            } else {
                p.check(
                    case,
                    detail.is_string(),
                    format!("detail must be a message: {}", r.text),
                );
            }
        }
    }
    if let Some(field) = field {
        let named = match style {
            Envelope => r.body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(field)),
            Camel => {
                r.body["errors"].as_array().is_some_and(|errors| {
                    errors.iter().any(|e| {
                        e["pointer"].as_str().is_some_and(|ptr| {
                            ptr.trim_start_matches('/').split('/').next() == Some(field)
                        })
                    })
                }) || r.body["detail"].as_str().is_some_and(|d| d.contains(field))
            }
            Snake => r.body["detail"].as_array().is_some_and(|items| {
                items.iter().any(|i| {
                    i["loc"]
                        .as_array()
                        .is_some_and(|loc| loc.contains(&json!(field)))
                })
            }),
        };
        p.check(
            case,
            named,
            format!("the error does not name the field {field:?}: {}", r.text),
        );
    }
}

/// One request expected to fail with `status` (naming `field`), in the style of the client.
pub struct ErrCase {
    name: String,
    style: BackendStyle,
    request: reqwest::RequestBuilder,
    status: u16,
    field: Option<&'static str>,
}

pub fn err_case(
    name: impl Display,
    style: BackendStyle,
    request: reqwest::RequestBuilder,
    status: u16,
) -> ErrCase {
    ErrCase {
        name: format!("{style}: {name}"),
        style,
        request,
        status,
        field: None,
    }
}

impl ErrCase {
    pub fn naming(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }
}

pub async fn run_error_cases(cases: Vec<ErrCase>) -> Problems {
    let mut p = Problems::default();
    for case in cases {
        let r = send(case.request).await;
        check_error(&mut p, &case.name, case.style, &r, case.status, case.field);
    }
    p
}
