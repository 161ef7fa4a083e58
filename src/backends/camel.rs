//! The `camel` backend: `/api/users/{userId}` (a UUID), `Authorization: Bearer`, the bare
//! camelCase resource as the body (camel-put-user.txt), RFC 9457 problem documents as errors.
//!
//! It owns the camel documents (keyed by the lower-case UUID), the check that every id in a
//! PUT's `roles` is a role of the table, the expansion of those ids into the role objects
//! `{id, name, description}` the resource carries, and every camel body.

use bytes::Bytes;
use http_body_util::Full;
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};
use serde_json::{json, Map, Value};

use super::credential::check_bearer;
use super::pipeline::{hyphenated_uuid, Dialect, Op, Rejection, RequestInfo};
use super::response::{json_response, rejection_headers, JSON};
use super::roles::{Role, Roles};
use super::schema::{Violation, ViolationKind};
use super::seed::{self, SeedUser};
use super::store::{next_update_timestamp, Store};
use super::{BackendError, BackendStyle};

const PROBLEM_JSON: &str = "application/problem+json";

// The three styles hold the same three things and build them alike; what differs (the field
// mapping) goes to the shared `seed::store`, and the rest is a plain constructor that stays
// here so that the `Dialect` methods below read the style's own fields.
pub(crate) struct Camel {
    credential: String,
    roles: Roles,
    store: Store,
}

impl Camel {
    pub(crate) fn new(
        credential: String,
        roles: Roles,
        any_id: bool,
    ) -> Result<Self, BackendError> {
        let mut store = seed::store(&roles, BackendStyle::Camel, document)?;
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

fn document(user: &SeedUser, role: &Role) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "status": user.status,
        "createdAt": user.created_at,
        "updatedAt": user.updated_at,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "roles": [role_object(role)],
    })
}

fn role_object(role: &Role) -> Value {
    json!({ "id": role.id, "name": role.name, "description": role.description })
}

impl Dialect for Camel {
    const USER_PREFIX: &'static str = "/api/users";

    fn authenticate(&self, request: &Parts) -> Result<(), Rejection> {
        check_bearer(request, &self.credential)
    }

    fn parse_id(&self, raw: &str) -> Result<String, Rejection> {
        hyphenated_uuid(raw).ok_or(Rejection::MalformedId)
    }

    /// Only well-formed UUIDs are looked up: a malformed one already has its schema error.
    fn check(&self, body: &Value) -> Vec<Violation> {
        let Some(ids) = body.get("roles").and_then(Value::as_array) else {
            return Vec::new();
        };
        ids.iter()
            .enumerate()
            .filter_map(|(index, id)| {
                let id = hyphenated_uuid(id.as_str()?)?;
                self.roles.by_id(&id).is_none().then(|| Violation {
                    pointer: format!("/roles/{index}"),
                    kind: ViolationKind::UnknownRole,
                    x_message: None,
                    problem: format!("Unknown role {id}"),
                })
            })
            .collect()
    }

    fn read(&self, id: &str) -> Option<Value> {
        self.store.get(id)
    }

    /// `roles` replaces the whole list, in the order given; ids were checked by `check`.
    fn write(&self, id: &str, mut changes: Map<String, Value>) -> Option<Value> {
        if let Some(Value::Array(ids)) = changes.get("roles") {
            let objects: Vec<Value> = ids
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|id| self.roles.by_id(id))
                .map(role_object)
                .collect();
            changes.insert("roles".into(), Value::Array(objects));
        }
        self.store.update(id, |doc| {
            let updated = next_update_timestamp(doc.get("updatedAt"));
            doc.extend(changes);
            doc.insert("updatedAt".into(), Value::String(updated));
        })
    }

    fn success(&self, _request: &RequestInfo, _op: Op, user: Value) -> Response<Full<Bytes>> {
        json_response(StatusCode::OK, JSON, &user)
    }

    fn failure(&self, request: &RequestInfo, rejection: &Rejection) -> Response<Full<Bytes>> {
        let (status, detail) = describe(rejection);
        let mut problem = json!({
            "type": "about:blank",
            "title": title(status),
            "status": status.as_u16(),
            "detail": detail,
            "instance": request.path,
        });
        if let Rejection::Invalid(violations) = rejection {
            problem["errors"] = violations
                .iter()
                .map(|v| {
                    let detail = v.x_message.as_deref().unwrap_or(&v.problem);
                    json!({ "pointer": v.pointer, "detail": detail })
                })
                .collect();
        }
        let response = json_response(status, PROBLEM_JSON, &problem);
        rejection_headers(response, rejection, "Bearer")
    }
}

/// RFC 9110's reason phrases, which renamed 413 and 422.
fn title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => "Content Too Large",
        StatusCode::UNPROCESSABLE_ENTITY => "Unprocessable Content",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

fn describe(rejection: &Rejection) -> (StatusCode, String) {
    let (status, detail) = match rejection {
        Rejection::NoRoute => (StatusCode::NOT_FOUND, "No resource at this path"),
        Rejection::MethodNotAllowed { allow } => {
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                format!("Allowed methods: {allow}"),
            )
        }
        Rejection::MissingCredential | Rejection::WrongCredential => {
            (StatusCode::UNAUTHORIZED, "Invalid or missing bearer token")
        }
        Rejection::MalformedId => (StatusCode::BAD_REQUEST, "Invalid user ID format"),
        Rejection::UnknownUser => (StatusCode::NOT_FOUND, "User not found"),
        Rejection::UnsupportedMediaType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        ),
        Rejection::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request body must not exceed 1 MiB",
        ),
        Rejection::BodyRead(_) => (StatusCode::BAD_REQUEST, "Request body could not be read"),
        Rejection::EmptyBody => (StatusCode::BAD_REQUEST, "Request body is empty"),
        Rejection::NotJson(_) => (StatusCode::BAD_REQUEST, "Request body is not valid JSON"),
        Rejection::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "Validation failed"),
    };
    (status, detail.to_owned())
}
