//! Client authentication: where a request's credential is found (per the route style's
//! scheme), which key it is, and whether that key has the scope the method needs.
//! Pure functions over header and query values; secrets are compared in constant time and
//! never logged.

use crate::config::{Key, Scope};
use crate::errors::GatewayError;
use crate::translate::AuthScheme;

/// The credential a request presents in `scheme`, if any.
pub fn presented(
    scheme: &AuthScheme,
    authorization: Option<&[u8]>,
    query: Option<&str>,
) -> Option<String> {
    match scheme {
        AuthScheme::Bearer => {
            let value = std::str::from_utf8(authorization?).ok()?.trim();
            let (kind, token) = value.split_once(' ')?;
            let token = token.trim();
            (kind.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
        }
        AuthScheme::Query { param, .. } => query_param(query?, param),
    }
}

/// The first value of `name` in a query string, percent-decoded.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A query string with `name`'s value replaced by `REDACTED`, for logs.
pub fn redact_query(query: &str, name: &str) -> String {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| {
            if k == name {
                format!("{k}=REDACTED")
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The key a credential belongs to, checked for `needed`.
pub fn authorize<'k>(
    keys: &'k [Key],
    scheme: &AuthScheme,
    credential: Option<&str>,
    needed: Scope,
) -> Result<&'k Key, GatewayError> {
    let credential = credential.ok_or(GatewayError::Unauthorized)?;
    if let AuthScheme::Query { prefix, .. } = scheme {
        if !credential.starts_with(prefix.as_str()) {
            return Err(GatewayError::Unauthorized);
        }
    }
    // Compare against every key so the time taken does not tell which prefix matched.
    let mut found = None;
    for k in keys {
        if constant_time_eq(k.secret.as_bytes(), credential.as_bytes()) && found.is_none() {
            found = Some(k);
        }
    }
    let key = found.ok_or(GatewayError::Unauthorized)?;
    if key.scopes.contains(&needed) {
        Ok(key)
    } else {
        Err(GatewayError::Forbidden(Some(needed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<Key> {
        vec![
            Key {
                name: "admin".into(),
                secret: "in-admin".into(),
                scopes: vec![Scope::Read, Scope::Write],
            },
            Key {
                name: "reader".into(),
                secret: "in-reader".into(),
                scopes: vec![Scope::Read],
            },
        ]
    }

    fn query_scheme() -> AuthScheme {
        AuthScheme::Query {
            param: "api_key".into(),
            prefix: "in-".into(),
        }
    }

    #[test]
    fn a_bearer_token_is_found_case_insensitively_and_trimmed() {
        assert_eq!(
            presented(&AuthScheme::Bearer, Some(b"bearer  tok "), None).as_deref(),
            Some("tok")
        );
        assert_eq!(
            presented(&AuthScheme::Bearer, Some(b"Basic dXNlcg=="), None),
            None
        );
        assert_eq!(presented(&AuthScheme::Bearer, Some(b"Bearer "), None), None);
        assert_eq!(
            presented(&AuthScheme::Bearer, None, Some("api_key=in-admin")),
            None
        );
    }

    #[test]
    fn an_api_key_is_read_from_the_query_and_percent_decoded() {
        assert_eq!(
            presented(&query_scheme(), None, Some("a=1&api_key=in-x%2By")).as_deref(),
            Some("in-x+y")
        );
        assert_eq!(
            presented(&query_scheme(), Some(b"Bearer in-admin"), None),
            None
        );
    }

    #[test]
    fn missing_or_unknown_credentials_are_unauthorized_and_missing_scopes_forbidden() {
        let k = keys();
        assert_eq!(
            authorize(&k, &AuthScheme::Bearer, None, Scope::Read),
            Err(GatewayError::Unauthorized)
        );
        assert_eq!(
            authorize(&k, &AuthScheme::Bearer, Some("in-nope"), Scope::Read),
            Err(GatewayError::Unauthorized)
        );
        assert_eq!(
            authorize(&k, &AuthScheme::Bearer, Some("in-reader"), Scope::Read)
                .unwrap()
                .name,
            "reader"
        );
        assert_eq!(
            authorize(&k, &AuthScheme::Bearer, Some("in-reader"), Scope::Write),
            Err(GatewayError::Forbidden(Some(Scope::Write)))
        );
    }

    #[test]
    fn a_query_key_without_the_styles_prefix_is_refused() {
        let mut k = keys();
        k.push(Key {
            name: "odd".into(),
            secret: "odd-key".into(),
            scopes: vec![Scope::Read],
        });
        assert_eq!(
            authorize(&k, &query_scheme(), Some("odd-key"), Scope::Read),
            Err(GatewayError::Unauthorized)
        );
    }

    #[test]
    fn the_api_key_is_redacted_in_query_strings() {
        assert_eq!(
            redact_query("a=1&api_key=in-secret", "api_key"),
            "a=1&api_key=REDACTED"
        );
    }
}
