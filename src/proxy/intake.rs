//! Request intake: what the handler needs, copied out of the request head once; framing
//! that two parsers could read differently refused; the body read within its size and time
//! limits; the request id.

use crate::config::Limits;
use crate::errors::GatewayError;
use bytes::{Bytes, BytesMut};
use pingora::prelude::Session;
use pingora::ErrorType;
use std::sync::atomic::Ordering;

/// The request as the handler needs it, copied out of the session once.
pub(super) struct Incoming {
    pub method: String,
    pub query: Option<String>,
    pub authorization: Option<Vec<u8>>,
    pub content_type: Option<String>,
    pub content_length: Option<usize>,
    pub expect_continue: bool,
    pub no_cache: bool,
    /// Formatted only when a request goes upstream (X-Forwarded-For).
    pub client_ip: Option<std::net::IpAddr>,
}

/// Copies what the handler needs out of the request header, refusing ambiguous framing
/// and oversized headers before anything else looks at the request.
pub(super) fn incoming(session: &Session, limits: &Limits) -> Result<Incoming, GatewayError> {
    if let Some(h1) = session.as_downstream().as_http1() {
        let raw = h1.get_headers_raw_bytes();
        if raw.len() > limits.max_header_bytes {
            return Err(GatewayError::HeaderTooLarge {
                limit: limits.max_header_bytes,
            });
        }
        check_framing(&raw)?;
    }
    let req = session.req_header();
    let header = |name: &str| {
        req.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_length = match header("content-length") {
        Some(v) => Some(
            v.trim()
                .parse::<usize>()
                .map_err(|_| GatewayError::BadFraming("invalid Content-Length"))?,
        ),
        None => None,
    };
    let no_cache = header("cache-control")
        .is_some_and(|v| v.to_ascii_lowercase().contains("no-cache"))
        || header("pragma").is_some_and(|v| v.to_ascii_lowercase().contains("no-cache"));
    Ok(Incoming {
        method: req.method.as_str().to_owned(),
        query: req.uri.query().map(str::to_owned),
        authorization: req
            .headers
            .get("authorization")
            .map(|v| v.as_bytes().to_vec()),
        content_type: header("content-type"),
        content_length,
        expect_continue: header("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")),
        no_cache,
        client_ip: session
            .client_addr()
            .and_then(|a| a.as_inet())
            .map(|inet| inet.ip()),
    })
}

/// Reads the whole body within the size and time limits. Checks the media type first,
/// and only then tells an `Expect: 100-continue` client to send.
pub(super) async fn read_body(
    session: &mut Session,
    incoming: &Incoming,
    limits: &Limits,
) -> Result<Bytes, GatewayError> {
    let json = incoming
        .content_type
        .as_deref()
        .is_some_and(is_json_media_type);
    if !json {
        return Err(GatewayError::UnsupportedMediaType);
    }
    let limit = limits.max_body_bytes;
    if incoming.content_length.is_some_and(|n| n > limit) {
        return Err(GatewayError::PayloadTooLarge { limit });
    }
    if incoming.expect_continue {
        session
            .as_downstream_mut()
            .write_continue_response()
            .await
            .map_err(|e| GatewayError::Internal(format!("100-continue: {e}")))?;
    }
    session.set_read_timeout(Some(limits.request_timeout));
    let read = async {
        let mut buf = BytesMut::new();
        loop {
            match session.read_request_body().await {
                Ok(Some(chunk)) => {
                    if buf.len() + chunk.len() > limit {
                        return Err(GatewayError::PayloadTooLarge { limit });
                    }
                    buf.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(buf.freeze()),
                Err(e) if matches!(e.etype(), ErrorType::ReadTimedout) => {
                    return Err(GatewayError::RequestTimeout)
                }
                Err(e) => return Err(GatewayError::BadFraming(framing_reason(&e))),
            }
        }
    };
    tokio::time::timeout(limits.request_timeout, read)
        .await
        .unwrap_or(Err(GatewayError::RequestTimeout))
}

/// Refuses framing that two parsers could read differently: Content-Length together with
/// Transfer-Encoding, or more than one Content-Length (pingora would collapse identical
/// duplicates and drop CL beside TE; a gateway in front of other servers must not).
fn check_framing(raw: &[u8]) -> Result<(), GatewayError> {
    let mut content_length = 0;
    let mut transfer_encoding = false;
    for line in raw.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = &line[..colon];
        if name.eq_ignore_ascii_case(b"content-length") {
            content_length += 1;
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            transfer_encoding = true;
        } else if name.last().is_some_and(|b| b.is_ascii_whitespace()) {
            // pingora's parser refuses this first today; kept so a laxer parser cannot let it by.
            return Err(GatewayError::BadFraming("whitespace before a header colon"));
        }
    }
    match (content_length, transfer_encoding) {
        (n, true) if n > 0 => Err(GatewayError::BadFraming(
            "Content-Length with Transfer-Encoding",
        )),
        (n, _) if n > 1 => Err(GatewayError::BadFraming("more than one Content-Length")),
        _ => Ok(()),
    }
}

fn framing_reason(e: &pingora::Error) -> &'static str {
    match e.etype() {
        ErrorType::ConnectionClosed => "the client closed the connection mid-body",
        _ => "the request body is malformed",
    }
}

pub(super) fn is_json_media_type(ct: &str) -> bool {
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// A new request id: a random per-process prefix and a counter — unique without a
/// `getrandom` call per request.
fn new_request_id() -> String {
    static PREFIX: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u128() as u32);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut id = String::with_capacity(28);
    id.push_str("req_");
    push_hex(&mut id, u64::from(*prefix), 8);
    push_hex(&mut id, n, 16);
    id
}

/// `value`'s lowest `digits` hex digits, zero-padded (what `{:0Nx}` writes, without fmt).
fn push_hex(out: &mut String, value: u64, digits: u32) {
    for i in (0..digits).rev() {
        let nibble = ((value >> (i * 4)) & 0xf) as u8;
        out.push(char::from(if nibble < 10 {
            b'0' + nibble
        } else {
            b'a' + nibble - 10
        }));
    }
}

/// A client's `X-Request-Id` if well-formed (1–128 of `[A-Za-z0-9._:-]`), else a new one.
pub(super) fn request_id(session: &Session) -> String {
    let given = session
        .req_header()
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok());
    match given {
        Some(id)
            if (1..=128).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)) =>
        {
            id.to_owned()
        }
        _ => new_request_id(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_that_parsers_could_read_differently_is_refused() {
        assert!(check_framing(b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n").is_ok());
        assert!(check_framing(
            b"PUT / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        .is_err());
        assert!(
            check_framing(b"PUT / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n")
                .is_err()
        );
        assert!(check_framing(b"PUT / HTTP/1.1\r\nContent-Length : 5\r\n\r\n").is_err());
    }

    #[test]
    fn json_media_types_are_recognised_with_parameters() {
        assert!(is_json_media_type("application/json"));
        assert!(is_json_media_type("Application/JSON; charset=utf-8"));
        assert!(is_json_media_type("application/merge-patch+json"));
        assert!(!is_json_media_type("text/plain"));
        assert!(!is_json_media_type("application/jsonx"));
    }

    #[test]
    fn new_request_ids_are_req_and_24_hex_digits_and_never_repeat() {
        let a = new_request_id();
        let b = new_request_id();
        for id in [&a, &b] {
            let hex = id.strip_prefix("req_").expect("req_ prefix");
            assert_eq!(hex.len(), 24, "{id}");
            assert!(hex
                .bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        }
        assert_ne!(a, b);
        assert_eq!(a[..12], b[..12], "one process prefix");
        let mut s = String::new();
        push_hex(&mut s, 0xab, 4);
        assert_eq!(s, "00ab");
    }
}
