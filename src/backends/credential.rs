//! Backend credentials: the check at start that a credential could be presented at all, and
//! the `Authorization: Bearer` scheme envelope and camel share (snake reads its API key from
//! the query, in `snake`).
//!
//! The gateway parses bearer tokens and compares secrets in `crate::auth` too; the backends keep
//! their own on purpose, as they stand in for independent services and must not pass a test
//! because they share a bug with the gateway.

use hyper::http::request::Parts;
use hyper::HeaderMap;

use super::pipeline::Rejection;
use super::{snake, BackendError, BackendStyle};

/// A credential that cannot be sent in a header or query would make every request a 401;
/// better to refuse it before serving anything.
pub(crate) fn check_credential(style: BackendStyle, credential: &str) -> Result<(), BackendError> {
    if credential.is_empty() {
        return Err(BackendError::Credential("it is empty"));
    }
    if !credential.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BackendError::Credential(
            "it must be visible ASCII without spaces",
        ));
    }
    if style == BackendStyle::Snake && !credential.starts_with(snake::API_KEY_PREFIX) {
        return Err(BackendError::Credential(
            "snake API keys start with `in-`, so no client could ever present this one",
        ));
    }
    Ok(())
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(hyper::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Compares secrets without stopping at the first differing byte.
pub(crate) fn same_secret(presented: &str, expected: &str) -> bool {
    let (a, b) = (presented.as_bytes(), expected.as_bytes());
    let mut diff = a.len() ^ b.len();
    for (i, &x) in b.iter().enumerate() {
        diff |= usize::from(x ^ a.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

/// `Authorization: Bearer` against the backend's credential (envelope and camel).
pub(crate) fn check_bearer(parts: &Parts, credential: &str) -> Result<(), Rejection> {
    match bearer_token(&parts.headers) {
        None => Err(Rejection::MissingCredential),
        Some(token) if same_secret(token, credential) => Ok(()),
        Some(_) => Err(Rejection::WrongCredential),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc"));
        assert!(!same_secret("abcd", "abc"));
        assert!(!same_secret("ab", "abc"));
        assert!(!same_secret("", "abc"));
    }
}
