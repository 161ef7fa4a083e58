//! The response pieces every style's bodies are built from: a JSON body with its media type,
//! and the headers a rejection carries besides its body (`Allow`, `WWW-Authenticate`).

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use serde_json::Value;

use super::pipeline::Rejection;

pub(crate) const JSON: &str = "application/json";

/// A JSON response. hyper adds `Content-Length`, as the body is a single known-size chunk.
pub(crate) fn json_response(
    status: StatusCode,
    content_type: &'static str,
    body: &Value,
) -> Response<Full<Bytes>> {
    let (status, bytes) = match serde_json::to_vec(body) {
        Ok(bytes) => (status, bytes),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, Vec::new()),
    };
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Adds a header whose value came from elsewhere (a request id); skipped if unrepresentable.
pub(crate) fn with_header(
    mut response: Response<Full<Bytes>>,
    name: &'static str,
    value: &str,
) -> Response<Full<Bytes>> {
    if let Ok(value) = HeaderValue::from_str(value) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(name), value);
    }
    response
}

/// The header every 401 and 405 should carry besides the body.
pub(crate) fn rejection_headers(
    response: Response<Full<Bytes>>,
    rejection: &Rejection,
    challenge: &'static str,
) -> Response<Full<Bytes>> {
    match rejection {
        Rejection::MethodNotAllowed { allow } => with_header(response, "allow", allow),
        Rejection::MissingCredential | Rejection::WrongCredential => {
            with_header(response, "www-authenticate", challenge)
        }
        _ => response,
    }
}
