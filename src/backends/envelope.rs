//! The `envelope` backend: `/v1/users/{id}` with ids like `user_…`, `Authorization: Bearer`,
//! `{success, data, meta{timestamp, request_id}}` bodies and `{success:false, error{code,
//! message}, meta}` errors (envelope-get-user.txt, envelope-put-user.txt).
//!
//! It owns the envelope documents (keyed by the full `user_…` id), the check that `role`
//! names a role of the table, and every envelope success and error body. Request ids come
//! from the client's `X-Request-Id` when it sends a usable one, and go back both in
//! `meta.request_id` and as `X-Request-Id`.

use bytes::Bytes;
use http_body_util::Full;
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};
use serde_json::{json, Map, Value};

use super::credential::check_bearer;
use super::pipeline::{Dialect, Op, Rejection, RequestInfo};
use super::response::{json_response, rejection_headers, with_header, JSON};
use super::roles::{Role, Roles};
use super::schema::{Segment, Violation, ViolationKind};
use super::seed::{self, SeedUser};
use super::store::{next_update_timestamp, now_timestamp, Store};
use super::{BackendError, BackendStyle};

const ID_PREFIX: &str = "user_";
const ID_MAX_LEN: usize = 64;

// The three styles hold the same three things and build them alike; what differs (the field
// mapping) goes to the shared `seed::store`, and the rest is a plain constructor that stays
// here so that the `Dialect` methods below read the style's own fields.
pub(crate) struct Envelope {
    credential: String,
    roles: Roles,
    store: Store,
}

impl Envelope {
    pub(crate) fn new(
        credential: String,
        roles: Roles,
        any_id: bool,
    ) -> Result<Self, BackendError> {
        let mut store = seed::store(&roles, BackendStyle::Envelope, document)?;
        if any_id {
            store.answer_any_id();
        }
        Ok(Self {
            credential,
            roles,
            store,
        })
    }
}

/// Seeded permissions are the role's, as they are in the GET seed.
fn document(user: &SeedUser, role: &Role) -> Value {
    json!({
        "id": format!("{ID_PREFIX}{}", user.id),
        "email": user.email,
        "name": format!("{} {}", user.first_name, user.last_name),
        "role": role.name,
        "phone": user.phone,
        "status": user.status,
        "created_time": user.created_at,
        "updated_time": user.updated_at,
        "permissions": role.permissions,
    })
}

fn is_envelope_id(raw: &str) -> bool {
    raw.strip_prefix(ID_PREFIX).is_some_and(|rest| {
        (1..=ID_MAX_LEN).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

impl Dialect for Envelope {
    const USER_PREFIX: &'static str = "/v1/users";

    fn authenticate(&self, request: &Parts) -> Result<(), Rejection> {
        check_bearer(request, &self.credential)
    }

    fn parse_id(&self, raw: &str) -> Result<String, Rejection> {
        if is_envelope_id(raw) {
            Ok(raw.to_owned())
        } else {
            Err(Rejection::MalformedId)
        }
    }

    fn check(&self, body: &Value) -> Vec<Violation> {
        match body.get("role").and_then(Value::as_str) {
            Some(name) if !name.is_empty() && self.roles.by_name(name).is_none() => {
                vec![Violation {
                    pointer: "/role".to_owned(),
                    kind: ViolationKind::UnknownRole,
                    x_message: None,
                    problem: format!("unknown role {name:?}"),
                }]
            }
            _ => Vec::new(),
        }
    }

    fn read(&self, id: &str) -> Option<Value> {
        self.store.get(id)
    }

    /// A changed `role` leaves `permissions` alone: this backend stores permissions as
    /// given and knows nothing about what a role implies.
    fn write(&self, id: &str, changes: Map<String, Value>) -> Option<Value> {
        self.store.update(id, |doc| {
            let updated = next_update_timestamp(doc.get("updated_time"));
            doc.extend(changes);
            doc.insert("updated_time".into(), Value::String(updated));
        })
    }

    fn success(&self, request: &RequestInfo, op: Op, user: Value) -> Response<Full<Bytes>> {
        let request_id = request_id(request);
        let mut meta = json!({ "timestamp": now_timestamp(), "request_id": request_id });
        if op == Op::Put {
            meta["message"] = json!("User updated successfully");
        }
        let body = json!({ "success": true, "data": user, "meta": meta });
        with_header(
            json_response(StatusCode::OK, JSON, &body),
            "x-request-id",
            &request_id,
        )
    }

    fn failure(&self, request: &RequestInfo, rejection: &Rejection) -> Response<Full<Bytes>> {
        let (status, code, message) = describe(rejection);
        let request_id = request_id(request);
        let body = json!({
            "success": false,
            "error": { "code": code, "message": message },
            "meta": { "timestamp": now_timestamp(), "request_id": request_id },
        });
        let response = with_header(
            json_response(status, JSON, &body),
            "x-request-id",
            &request_id,
        );
        rejection_headers(response, rejection, "Bearer")
    }
}

fn request_id(request: &RequestInfo) -> String {
    request
        .request_id
        .clone()
        .unwrap_or_else(|| format!("req_{}", uuid::Uuid::new_v4().simple()))
}

fn describe(rejection: &Rejection) -> (StatusCode, &'static str, String) {
    let fixed = |status, code, message: &str| (status, code, message.to_owned());
    match rejection {
        Rejection::NoRoute => fixed(StatusCode::NOT_FOUND, "NOT_FOUND", "Resource not found"),
        Rejection::MethodNotAllowed { allow } => (
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("Method not allowed (allowed: {allow})"),
        ),
        Rejection::MissingCredential | Rejection::WrongCredential => fixed(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Invalid or missing API key",
        ),
        Rejection::MalformedId => fixed(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "Invalid user ID format",
        ),
        Rejection::UnknownUser => fixed(StatusCode::NOT_FOUND, "NOT_FOUND", "User not found"),
        Rejection::UnsupportedMediaType => fixed(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Content-Type must be application/json",
        ),
        Rejection::TooLarge => fixed(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            "Request body must not exceed 1 MiB",
        ),
        Rejection::BodyRead(_) | Rejection::EmptyBody | Rejection::NotJson(_) => fixed(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "Invalid request data",
        ),
        Rejection::Invalid(violations) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_ERROR",
            validation_message(violations),
        ),
    }
}

/// The schema's `x-message` where there is one (the seed's "Invalid phone number format"),
/// otherwise "<field>: <problem>"; several problems are joined with "; ".
fn validation_message(violations: &[Violation]) -> String {
    let mut messages: Vec<String> = Vec::new();
    for violation in violations {
        let message = match &violation.x_message {
            Some(message) => message.clone(),
            None => format!("{}: {}", field_name(violation), violation.problem),
        };
        if !messages.contains(&message) {
            messages.push(message);
        }
    }
    messages.join("; ")
}

/// `phone`, `permissions[2]`, `metadata.notes`; `body` for the body itself.
fn field_name(violation: &Violation) -> String {
    let mut name = String::new();
    for segment in violation.segments() {
        match segment {
            Segment::Key(key) if name.is_empty() => name = key,
            Segment::Key(key) => {
                name.push('.');
                name.push_str(&key);
            }
            Segment::Index(index) => name.push_str(&format!("[{index}]")),
        }
    }
    if name.is_empty() {
        name.push_str("body");
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_ids_are_user_underscore_and_up_to_64_safe_characters() {
        assert!(is_envelope_id("user_123456789"));
        assert!(is_envelope_id("user_3c90c3cc-0d44-4b50-8888-8dd25736052a"));
        assert!(is_envelope_id(&format!("user_{}", "a".repeat(64))));
        assert!(!is_envelope_id(&format!("user_{}", "a".repeat(65))));
        assert!(!is_envelope_id("user_"));
        assert!(!is_envelope_id("usr_1"));
        assert!(!is_envelope_id("user_a.b"));
        assert!(!is_envelope_id("3c90c3cc-0d44-4b50-8888-8dd25736052a"));
    }

    #[test]
    fn a_validation_message_without_x_message_names_the_field() {
        let violation = Violation {
            pointer: "/permissions/2".into(),
            kind: ViolationKind::Keyword("pattern".into()),
            x_message: None,
            problem: "does not match".into(),
        };
        assert_eq!(
            validation_message(&[violation]),
            "permissions[2]: does not match"
        );
    }
}
