//! The gateway end to end over raw TCP (`common::raw`): ambiguous request framing (smuggling)
//! is a 400 in the route's style that never reaches the upstream, pipelined requests are
//! answered in order, a GET's body is never forwarded nor read as a request, and requests one
//! after another on a kept-alive connection all succeed.
//!
//! The three reference backends and a gateway on loopback, driven over real HTTP (reqwest, and
//! raw TCP where framing matters). The contract is DESIGN.md. Checks collect their problems per
//! case and fail once at the end, naming every failed case, so that one bad direction or style
//! does not hide the others (`common::problems`).

mod common;

use common::demo::*;
use common::fake::envelope_john_behind_snake;
use common::problems::Problems;
use common::raw::*;
use common::*;
use dragoman::backends::BackendStyle::{Envelope, Snake};
use serde_json::json;
use tokio::io::AsyncWriteExt;

fn raw_get(path: &str, extra_headers: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {ADMIN}\r\n{extra_headers}\r\n")
}

fn raw_put(path: &str, framing: &str, body: &str) -> String {
    format!("PUT {path} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {ADMIN}\r\nContent-Type: application/json\r\n{framing}\r\n{body}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_request_framing_is_a_400_that_never_reaches_the_upstream() {
    let stack = start_stack(30, "").await;
    let path = user_path(Envelope, "", JOHN);
    let body = r#"{"status":"active"}"#;
    let len = body.len();
    let chunked = format!("{len:x}\r\n{body}\r\n0\r\n\r\n");
    let cases = [
        (
            "Content-Length with Transfer-Encoding: chunked",
            raw_put(
                &path,
                &format!("Content-Length: {len}\r\nTransfer-Encoding: chunked\r\n"),
                &chunked,
            ),
        ),
        (
            "Transfer-Encoding: chunked before Content-Length",
            raw_put(
                &path,
                &format!("Transfer-Encoding: chunked\r\nContent-Length: {len}\r\n"),
                &chunked,
            ),
        ),
        (
            "two equal Content-Length headers",
            raw_put(
                &path,
                &format!("Content-Length: {len}\r\nContent-Length: {len}\r\n"),
                body,
            ),
        ),
        (
            "two different Content-Length headers",
            raw_put(
                &path,
                &format!("Content-Length: {len}\r\nContent-Length: 2\r\n"),
                body,
            ),
        ),
        (
            "Content-Length \"+19\"",
            raw_put(&path, &format!("Content-Length: +{len}\r\n"), body),
        ),
        (
            "Content-Length \"-1\"",
            raw_put(&path, "Content-Length: -1\r\n", body),
        ),
        (
            "Content-Length \"19, 19\"",
            raw_put(&path, &format!("Content-Length: {len}, {len}\r\n"), body),
        ),
        (
            "Content-Length \"0x13\"",
            raw_put(&path, "Content-Length: 0x13\r\n", body),
        ),
        (
            "whitespace before the colon",
            raw_put(&path, &format!("Content-Length : {len}\r\n"), body),
        ),
        (
            "Transfer-Encoding: chunked, identity",
            raw_put(&path, "Transfer-Encoding: chunked, identity\r\n", &chunked),
        ),
    ];
    let mut p = Problems::default();
    for (name, request) in cases {
        match raw_exchange(&stack, &request).await {
            Ok(r) => p.check(
                name,
                r.status == 400,
                format!("status {}: {}", r.status, String::from_utf8_lossy(&r.body)),
            ),
            Err(e) => p.fail(name, e),
        }
    }
    p.check(
        "camel backend",
        stack.camel.stats() == 0,
        format!("{} request(s) reached it", stack.camel.stats()),
    );
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ambiguous_framing_400_is_in_the_routes_style_with_an_x_request_id() {
    // DESIGN.md: every error is in the style of the client's route; X-Request-Id on every response.
    let stack = start_stack(30, "").await;
    let path = user_path(Envelope, "", JOHN);
    let body = r#"{"status":"active"}"#;
    let len = body.len();
    let chunked = format!("{len:x}\r\n{body}\r\n0\r\n\r\n");
    let cases = [
        (
            "Content-Length with Transfer-Encoding",
            raw_put(
                &path,
                &format!("Content-Length: {len}\r\nTransfer-Encoding: chunked\r\n"),
                &chunked,
            ),
        ),
        (
            "two Content-Length headers",
            raw_put(
                &path,
                &format!("Content-Length: {len}\r\nContent-Length: {len}\r\n"),
                body,
            ),
        ),
        (
            "Content-Length \"19, 19\"",
            raw_put(&path, &format!("Content-Length: {len}, {len}\r\n"), body),
        ),
    ];
    let mut p = Problems::default();
    for (name, request) in cases {
        match raw_exchange(&stack, &request).await {
            Ok(r) => {
                p.check(name, r.status == 400, format!("status {}", r.status));
                p.check(
                    name,
                    r.header("x-request-id").is_some(),
                    format!("no X-Request-Id: {}", r.head),
                );
                p.schema(name, Envelope, "error", &r.json());
            }
            Err(e) => p.fail(name, e),
        }
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipelined_second_request_is_answered_after_the_first() {
    let stack = start_stack(30, "").await;
    let mut p = Problems::default();
    let body = r#"{"name":"John Piped"}"#;
    let bytes = format!(
        "{}{}{}",
        raw_get(&user_path(Envelope, "", JOHN), "X-Request-Id: first\r\n"),
        raw_put(
            &user_path(Envelope, "", JOHN),
            &format!("Content-Length: {}\r\nX-Request-Id: second\r\n", body.len()),
            body
        ),
        raw_get(&user_path(Envelope, "", JANE), "X-Request-Id: third\r\n"),
    );
    let mut stream = connect(&stack).await;
    stream.write_all(bytes.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    for (id, want) in [
        ("first", "John Doe"),
        ("second", "John Piped"),
        ("third", "Jane Roe"),
    ] {
        match read_response(&mut stream, &mut buf).await {
            Ok(r) => {
                p.check(
                    id,
                    r.status == 200,
                    format!("status {}: {}", r.status, String::from_utf8_lossy(&r.body)),
                );
                p.check(
                    id,
                    r.header("x-request-id").as_deref() == Some(id),
                    format!("answered out of order: {:?}", r.header("x-request-id")),
                );
                p.field(id, &r.json(), "/data/name", &json!(want));
            }
            Err(e) => p.fail(id, e),
        }
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_with_a_body_is_forwarded_without_it_and_the_connection_stays_in_sync() {
    let (fake, extra) = envelope_john_behind_snake().await;
    let stack = start_stack(0, &extra).await;
    let mut p = Problems::default();
    let path = format!("{}?api_key={ADMIN}", user_path(Snake, "/fake", JOHN));
    let smuggled = format!("GET /v1/users/user_{NOBODY} HTTP/1.1\r\nHost: x\r\n\r\n");
    let first = format!("GET {path} HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{smuggled}", smuggled.len());
    let second = format!("GET {path} HTTP/1.1\r\nHost: gateway\r\n\r\n");
    let mut stream = connect(&stack).await;
    stream.write_all(first.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let mut closing = false;
    match read_response(&mut stream, &mut buf).await {
        Ok(r) => {
            p.check(
                "GET with a body",
                r.status == 200,
                format!("status {}", r.status),
            );
            p.field("GET with a body", &r.json(), "/data/id", &json!(JOHN));
            closing = r
                .header("connection")
                .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        }
        Err(e) => p.fail("GET with a body", e),
    }
    // The body of the first GET must never be read as a request. The gateway may drain it and
    // keep the connection, or say `Connection: close` and close it; both are in sync.
    let _ = stream.write_all(second.as_bytes()).await;
    let next = read_response(&mut stream, &mut buf).await;
    let mut expected_upstream_requests = 1;
    match (closing, next) {
        (true, Err(_)) => {}
        (true, Ok(r)) => p.fail(
            "next GET",
            format!("answered {} after Connection: close", r.status),
        ),
        (false, Ok(r)) => {
            expected_upstream_requests = 2;
            p.check(
                "next GET",
                r.status == 200,
                format!("status {} (the smuggled GET answered?)", r.status),
            );
            p.field("next GET", &r.json(), "/data/id", &json!(JOHN));
        }
        (false, Err(e)) => p.fail(
            "next GET",
            format!("the connection closed without Connection: close: {e}"),
        ),
    }
    let seen = fake.requests();
    p.check(
        "upstream",
        seen.len() == expected_upstream_requests,
        format!("the upstream saw {} requests: {seen:?}", seen.len()),
    );
    for request in &seen {
        let lower = request.to_ascii_lowercase();
        p.check(
            "upstream",
            !request.contains(NOBODY),
            format!("the GET body was forwarded: {request}"),
        );
        let announced = lower.lines().any(|l| {
            l.starts_with("transfer-encoding")
                || (l.starts_with("content-length") && l.trim() != "content-length: 0")
        });
        p.check(
            "upstream",
            !announced,
            format!("a GET went up with a body: {request}"),
        );
        p.check(
            "upstream",
            request.ends_with("\r\n\r\n"),
            format!("bytes after the GET head: {request:?}"),
        );
    }
    p.done();
    stack.stop().await;
}

// =============================================================================================
// Keep-alive
// =============================================================================================

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_one_after_another_on_a_kept_alive_connection_all_succeed() {
    let stack = start_stack(30, "").await;
    let mut p = Problems::default();
    let mut stream = connect(&stack).await;
    let mut buf = Vec::new();
    let body = r#"{"status":"active"}"#;
    let requests = [
        ("GET", raw_get(&user_path(Envelope, "", JOHN), "")),
        (
            "GET again (cached)",
            raw_get(&user_path(Envelope, "", JOHN), ""),
        ),
        (
            "PUT",
            raw_put(
                &user_path(Envelope, "", JOHN),
                &format!("Content-Length: {}\r\n", body.len()),
                body,
            ),
        ),
        ("404", raw_get(&user_path(Envelope, "", NOBODY), "")),
        (
            "GET after an error",
            raw_get(&user_path(Envelope, "", JANE), ""),
        ),
    ];
    let wants = [200, 200, 200, 404, 200];
    for ((name, request), want) in requests.iter().zip(wants) {
        if let Err(e) = stream.write_all(request.as_bytes()).await {
            p.fail(name, format!("the connection was closed: {e}"));
            break;
        }
        match read_response(&mut stream, &mut buf).await {
            Ok(r) => p.check(
                name,
                r.status == want,
                format!("status {} (want {want})", r.status),
            ),
            Err(e) => {
                p.fail(name, e);
                break;
            }
        }
    }
    p.check(
        "camel backend",
        stack.camel.stats() == 4,
        format!(
            "backend saw {} requests, want 4 (one GET cached)",
            stack.camel.stats()
        ),
    );
    p.done();
    stack.stop().await;
}
