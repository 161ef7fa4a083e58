//! The `snake` backend: `/api/v1/user/{user_id}` (a UUID), the `api_key` query parameter
//! (keys start with `in-`), `{message, meta, data}` bodies (snake-put-user.txt), and errors
//! the way FastAPI, the framework its docs come from, writes them: `{"detail": "…"}`, and for
//! 422 a list of `{loc, msg, type}`.
//!
//! It owns the snake documents (keyed by the lower-case UUID), partial updates where `null`
//! clears a field, the refusal to clear the two fields a user cannot be without (`email`,
//! `is_active`), the check that `role_id` is a role of the table, and every snake body.
//! There is no server-managed timestamp: `billing_updated_at` is written by clients.

use bytes::Bytes;
use http_body_util::Full;
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};
use serde_json::{json, Map, Value};

use super::credential::same_secret;
use super::pipeline::{hyphenated_uuid, Dialect, Op, Rejection, RequestInfo};
use super::response::{json_response, rejection_headers, JSON};
use super::roles::{Role, Roles};
use super::schema::{Segment, Violation, ViolationKind};
use super::seed::{self, SeedUser};
use super::store::Store;
use super::{BackendError, BackendStyle};

/// Every snake API key starts with this (snake-put-user.txt, "Authorizations").
pub(crate) const API_KEY_PREFIX: &str = "in-";

/// Request fields are all nullable (the seed), but a resource always has these (the response
/// schema): `null` for them would store a user the API could no longer return.
const NOT_NULLABLE: [&str; 2] = ["email", "is_active"];

// The three styles hold the same three things and build them alike; what differs (the field
// mapping) goes to the shared `seed::store`, and the rest is a plain constructor that stays
// here so that the `Dialect` methods below read the style's own fields.
pub(crate) struct Snake {
    credential: String,
    roles: Roles,
    store: Store,
}

impl Snake {
    pub(crate) fn new(
        credential: String,
        roles: Roles,
        any_id: bool,
    ) -> Result<Self, BackendError> {
        let mut store = seed::store(&roles, BackendStyle::Snake, document)?;
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

/// snake has no `locked`: a locked user is simply not active.
fn document(user: &SeedUser, role: &Role) -> Value {
    json!({
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": user.status == "active",
        "role_id": role.id,
        "phone": user.phone,
    })
}

impl Dialect for Snake {
    const USER_PREFIX: &'static str = "/api/v1/user";

    /// FastAPI's `APIKeyQuery`: an absent or empty key is "Not authenticated"; a present one
    /// that is not ours is "Invalid API key". The key itself is never echoed.
    fn authenticate(&self, request: &Parts) -> Result<(), Rejection> {
        match query_param(request.uri.query(), "api_key") {
            None => Err(Rejection::MissingCredential),
            Some(key) if key.is_empty() => Err(Rejection::MissingCredential),
            Some(key) if key.starts_with(API_KEY_PREFIX) && same_secret(&key, &self.credential) => {
                Ok(())
            }
            Some(_) => Err(Rejection::WrongCredential),
        }
    }

    /// Any spelling pydantic's UUID type accepts (hyphenated, simple, braced, URN; any case).
    fn parse_id(&self, raw: &str) -> Result<String, Rejection> {
        uuid::Uuid::try_parse(raw)
            .map(|id| id.hyphenated().to_string())
            .map_err(|_| Rejection::MalformedId)
    }

    fn check(&self, body: &Value) -> Vec<Violation> {
        let mut out: Vec<Violation> = NOT_NULLABLE
            .iter()
            .filter(|field| body.get(**field).is_some_and(Value::is_null))
            .map(|field| Violation {
                pointer: format!("/{field}"),
                kind: ViolationKind::NotNullable,
                x_message: None,
                problem: format!("{field} cannot be cleared"),
            })
            .collect();
        let role = body
            .get("role_id")
            .and_then(Value::as_str)
            .and_then(hyphenated_uuid);
        if let Some(role) = role.filter(|id| self.roles.by_id(id).is_none()) {
            out.push(Violation {
                pointer: "/role_id".to_owned(),
                kind: ViolationKind::UnknownRole,
                x_message: None,
                problem: format!("unknown role {role}"),
            });
        }
        out
    }

    fn read(&self, id: &str) -> Option<Value> {
        self.store.get(id)
    }

    /// `null` is stored as null: that is how a field is cleared.
    fn write(&self, id: &str, changes: Map<String, Value>) -> Option<Value> {
        self.store.update(id, |doc| doc.extend(changes))
    }

    fn success(&self, _request: &RequestInfo, op: Op, user: Value) -> Response<Full<Bytes>> {
        let message = match op {
            Op::Get => "Data retrieved successfully",
            Op::Put => "Data updated successfully",
        };
        let body = json!({ "message": message, "meta": {}, "data": user });
        json_response(StatusCode::OK, JSON, &body)
    }

    fn failure(&self, _request: &RequestInfo, rejection: &Rejection) -> Response<Full<Bytes>> {
        let (status, detail) = describe(rejection);
        let response = json_response(status, JSON, &json!({ "detail": detail }));
        rejection_headers(response, rejection, "APIKey")
    }
}

fn describe(rejection: &Rejection) -> (StatusCode, Value) {
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    match rejection {
        Rejection::NoRoute => (StatusCode::NOT_FOUND, json!("Not Found")),
        Rejection::MethodNotAllowed { .. } => {
            (StatusCode::METHOD_NOT_ALLOWED, json!("Method Not Allowed"))
        }
        Rejection::MissingCredential => (StatusCode::UNAUTHORIZED, json!("Not authenticated")),
        Rejection::WrongCredential => (StatusCode::UNAUTHORIZED, json!("Invalid API key")),
        Rejection::MalformedId => (
            unprocessable,
            json!([{
                "loc": ["path", "user_id"],
                "msg": "Input should be a valid UUID",
                "type": "uuid_parsing",
            }]),
        ),
        Rejection::UnknownUser => (StatusCode::NOT_FOUND, json!("User not found")),
        Rejection::UnsupportedMediaType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            json!("Unsupported Media Type"),
        ),
        Rejection::TooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!("Request Entity Too Large"),
        ),
        Rejection::BodyRead(_) => (
            StatusCode::BAD_REQUEST,
            json!("There was an error parsing the body"),
        ),
        Rejection::EmptyBody => (
            unprocessable,
            json!([{ "loc": ["body"], "msg": "Field required", "type": "missing" }]),
        ),
        Rejection::NotJson(error) => (
            unprocessable,
            json!([{
                "loc": ["body", error.offset],
                "msg": "JSON decode error",
                "type": "json_invalid",
                "ctx": { "error": error.message },
            }]),
        ),
        Rejection::Invalid(violations) => (
            unprocessable,
            violations.iter().map(validation_item).collect(),
        ),
    }
}

/// One FastAPI validation error, with pydantic's error types.
fn validation_item(violation: &Violation) -> Value {
    let mut loc = vec![json!("body")];
    loc.extend(violation.segments().into_iter().map(|s| match s {
        Segment::Key(key) => json!(key),
        Segment::Index(index) => json!(index),
    }));
    let own_message = || {
        violation
            .x_message
            .clone()
            .unwrap_or_else(|| violation.problem.clone())
    };
    let (kind, msg) = match &violation.kind {
        ViolationKind::Unexpected => ("extra_forbidden", "Extra inputs are not permitted".into()),
        ViolationKind::Type(_) if violation.pointer.is_empty() => (
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from".into(),
        ),
        ViolationKind::Type(expected) => (type_error(expected), own_message()),
        ViolationKind::Format(format) => (format_error(format), own_message()),
        ViolationKind::UnknownRole | ViolationKind::NotNullable => {
            ("value_error", format!("Value error, {}", violation.problem))
        }
        ViolationKind::Keyword(keyword) => (keyword_error(keyword), own_message()),
    };
    json!({ "loc": loc, "msg": msg, "type": kind })
}

fn type_error(expected: &[String]) -> &'static str {
    match expected.iter().find(|t| *t != "null").map(String::as_str) {
        Some("string") => "string_type",
        Some("boolean") => "bool_type",
        Some("integer") => "int_type",
        Some("number") => "float_type",
        Some("array") => "list_type",
        Some("object") => "dict_type",
        _ => "value_error",
    }
}

fn format_error(format: &str) -> &'static str {
    match format {
        "uuid" => "uuid_parsing",
        "date-time" => "datetime_parsing",
        "date" => "date_parsing",
        _ => "value_error",
    }
}

fn keyword_error(keyword: &str) -> &'static str {
    match keyword {
        "enum" => "enum",
        "pattern" => "string_pattern_mismatch",
        "minLength" => "string_too_short",
        "maxLength" => "string_too_long",
        _ => "value_error",
    }
}

/// The last value of a query parameter, form-decoded (`+` is a space, `%XX` a byte), as
/// Starlette reads it.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.rsplit('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (form_decode(key) == name).then(|| form_decode(value))
    })
}

fn form_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_key_is_read_form_decoded_and_the_last_one_wins() {
        assert_eq!(
            query_param(Some("api_key=in-a%2Bb"), "api_key").as_deref(),
            Some("in-a+b")
        );
        assert_eq!(
            query_param(Some("x=1&api_key=a&api_key=b"), "api_key").as_deref(),
            Some("b")
        );
        assert_eq!(query_param(Some("api_key"), "api_key").as_deref(), Some(""));
        assert_eq!(query_param(Some("x=1"), "api_key"), None);
        assert_eq!(query_param(None, "api_key"), None);
        assert_eq!(form_decode("a%zz+b%"), "a%zz b%");
    }
}
