//! The gateway end to end, `X-Request-Id` and the access log: a well-formed client id is
//! echoed in every style (also on a cache hit) and sent upstream, a malformed one is replaced
//! by a generated one, and the access log carries the id and never a secret.
//!
//! The three reference backends and a gateway on loopback, driven over real HTTP (reqwest, and
//! raw TCP where framing matters). The contract is DESIGN.md. Checks collect their problems per
//! case and fail once at the end, naming every failed case, so that one bad direction or style
//! does not hide the others (`common::problems`).

mod common;

use std::time::Duration;

use common::demo::*;
use common::fake::*;
use common::http::send;
use common::problems::Problems;
use common::*;
use dragoman::backends::BackendStyle::{self, Camel, Envelope, Snake};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_well_formed_client_request_id_is_echoed_in_every_style_and_sent_upstream() {
    let (fake, extra) = envelope_john_behind_snake().await;
    let stack = start_stack(30, &extra).await;
    let mut p = Problems::default();
    for style in BackendStyle::ALL {
        for (what, rq) in [
            (
                "GET 200",
                gateway(
                    &stack,
                    style,
                    Method::GET,
                    &user_path(style, "", JOHN),
                    Some(ADMIN),
                ),
            ),
            (
                "GET 401",
                gateway(
                    &stack,
                    style,
                    Method::GET,
                    &user_path(style, "", JOHN),
                    None,
                ),
            ),
            (
                "GET 404",
                gateway(
                    &stack,
                    style,
                    Method::GET,
                    &user_path(style, "", NOBODY),
                    Some(ADMIN),
                ),
            ),
        ] {
            let case = format!("{style}: {what}");
            let id = format!("client-{style}-{}.x:1", what.replace(' ', "_"));
            let r = send(rq.header("x-request-id", &id)).await;
            p.check(
                &case,
                r.header("x-request-id") == Some(id.as_str()),
                format!("X-Request-Id: {:?}", r.header("x-request-id")),
            );
            if style == Envelope {
                p.field(&case, &r.body, "/meta/request_id", &json!(id));
            }
        }
    }
    // Per-response values are fresh on a cache hit too.
    let case = "envelope: cache hit";
    let r = send(
        gateway(
            &stack,
            Envelope,
            Method::GET,
            &user_path(Envelope, "", JOHN),
            Some(ADMIN),
        )
        .header("x-request-id", "second-look"),
    )
    .await;
    p.check(
        case,
        r.header("x-cache") == Some("HIT"),
        format!("X-Cache: {:?}", r.header("x-cache")),
    );
    p.check(
        case,
        r.header("x-request-id") == Some("second-look"),
        format!("X-Request-Id: {:?}", r.header("x-request-id")),
    );
    p.field(case, &r.body, "/meta/request_id", &json!("second-look"));
    let case = "snake client -> recording envelope upstream";
    let r = send(
        gateway(
            &stack,
            Snake,
            Method::GET,
            &user_path(Snake, "/fake", JOHN),
            Some(ADMIN),
        )
        .header("x-request-id", "trace-me-123"),
    )
    .await;
    p.check(
        case,
        r.status == 200,
        format!("status {}: {}", r.status, r.text),
    );
    p.field(case, &r.body, "/data/first_name", &json!("John"));
    let seen = fake.requests();
    p.check(
        case,
        seen.len() == 1,
        format!("the upstream saw {} requests", seen.len()),
    );
    if let Some(request) = seen.first() {
        let lower = request.to_ascii_lowercase();
        p.check(
            case,
            lower.contains("\r\nx-request-id: trace-me-123\r\n"),
            format!("the upstream did not get the id: {request}"),
        );
        p.check(
            case,
            request.starts_with(&format!("GET /v1/users/user_{JOHN} ")),
            format!("upstream request line: {request}"),
        );
        // The gateway speaks to the upstream with the upstream's credential, never the client's.
        p.check(
            case,
            lower.contains("\r\nauthorization: bearer fake-upstream-secret\r\n"),
            format!("upstream credential: {request}"),
        );
        p.check(
            case,
            !request.contains(ADMIN),
            format!("the client's key went upstream: {request}"),
        );
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_client_request_id_is_replaced_by_a_generated_one() {
    let stack = start_stack(30, "").await;
    let mut p = Problems::default();
    let long = "a".repeat(300);
    for style in BackendStyle::ALL {
        for bad in [long.as_str(), "has spaces in it", "semi;colon", "{json}"] {
            let case = format!("{style}: X-Request-Id {:?}", &bad[..bad.len().min(20)]);
            let r = send(
                gateway(
                    &stack,
                    style,
                    Method::GET,
                    &user_path(style, "", JOHN),
                    Some(ADMIN),
                )
                .header("x-request-id", bad),
            )
            .await;
            p.check(&case, r.status == 200, format!("status {}", r.status));
            let got = r.header("x-request-id").unwrap_or_default();
            p.check(
                &case,
                !got.is_empty() && got != bad,
                format!("X-Request-Id: {got:?}"),
            );
            p.check(
                &case,
                got.len() <= 128
                    && got
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)),
                format!("the generated id is not well-formed: {got:?}"),
            );
            if style == Envelope {
                p.field(&case, &r.body, "/meta/request_id", &json!(got));
            }
        }
        // Without one, each response gets its own.
        let a = send(gateway(
            &stack,
            style,
            Method::GET,
            &user_path(style, "", JOHN),
            Some(ADMIN),
        ))
        .await;
        let b = send(gateway(
            &stack,
            style,
            Method::GET,
            &user_path(style, "", JOHN),
            Some(ADMIN),
        ))
        .await;
        p.check(
            &format!("{style}: generated ids"),
            a.header("x-request-id") != b.header("x-request-id"),
            "two requests got the same generated id",
        );
    }
    p.done();
    stack.stop().await;
}

// =============================================================================================
// Logs
// =============================================================================================

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_log_carries_the_request_id_and_never_a_secret() {
    let stack = start_stack_logging(30, "", "info").await;
    let mut ids = Vec::new();
    for (i, (style, key)) in [
        (Snake, ADMIN),
        (Snake, UNKNOWN_KEY),
        (Envelope, ADMIN),
        (Camel, READER),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("log-probe-{i}");
        send(
            gateway(
                &stack,
                style,
                Method::GET,
                &user_path(style, "", JOHN),
                Some(key),
            )
            .header("x-request-id", &id),
        )
        .await;
        ids.push(id);
    }
    // The access line is written after the response: wait for it, at most 2 s.
    let mut text = String::new();
    for _ in 0..200 {
        text = stack.gateway_log();
        if ids.iter().all(|id| text.contains(id.as_str())) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut p = Problems::default();
    for id in &ids {
        p.check(
            id,
            text.contains(id.as_str()),
            "no log line carries the request id",
        );
    }
    let snake_line = text
        .lines()
        .find(|l| l.contains("log-probe-0"))
        .unwrap_or_default();
    p.check(
        "snake api_key",
        snake_line.contains("REDACTED"),
        format!("the api_key is not shown redacted: {snake_line}"),
    );
    for secret in SECRETS {
        p.check(
            "logs",
            !text.contains(secret),
            format!("the logs contain the secret {secret:?}"),
        );
    }
    p.done();
    stack.stop().await;
}
