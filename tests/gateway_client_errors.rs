//! The gateway end to end, the client-side rows of DESIGN.md's error table in each client
//! style: a body that is not JSON or a malformed id (400), a missing or unknown credential
//! (401, even when cached), a reader key on PUT (403), an unknown user (404), a method the API
//! lacks (405), a body over the limit (413) and a body that is not JSON by media type (415);
//! and that what fails auth or validation never reaches any backend.
//!
//! The three reference backends and a gateway on loopback, driven over real HTTP (reqwest, and
//! raw TCP where framing matters). The contract is DESIGN.md. Checks collect their problems per
//! case and fail once at the end, naming every failed case, so that one bad direction or style
//! does not hide the others (`common::problems`).

mod common;

use common::demo::*;
use common::http::send;
use common::problems::*;
use common::raw::raw_exchange;
use common::*;
use dragoman::backends::BackendStyle::{self, Camel, Envelope, Snake};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_json_is_a_400_in_the_clients_style() {
    let stack = start_stack(30, "").await;
    let cases = BackendStyle::ALL
        .into_iter()
        .map(|s| {
            let rq = gateway(&stack, s, Method::PUT, &user_path(s, "", JOHN), Some(ADMIN))
                .header("content-type", "application/json")
                .body("{\"name\": ");
            err_case("truncated JSON", s, rq, 400)
        })
        .chain(BackendStyle::ALL.into_iter().map(|s| {
            let rq = gateway(&stack, s, Method::PUT, &user_path(s, "", JOHN), Some(ADMIN))
                .header("content-type", "application/json");
            err_case("empty body", s, rq, 400)
        }))
        .chain(BackendStyle::ALL.into_iter().map(|s| {
            let deep = format!("{{\"x\": {}{}}}", "[".repeat(5000), "]".repeat(5000));
            let rq = gateway(&stack, s, Method::PUT, &user_path(s, "", JOHN), Some(ADMIN))
                .header("content-type", "application/json")
                .body(deep);
            err_case("JSON nested 5000 deep", s, rq, 400)
        }))
        .collect();
    run_error_cases(cases).await.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_user_id_is_a_400_in_the_clients_style() {
    let stack = start_stack(30, "").await;
    let mut cases = Vec::new();
    for (style, raw) in [
        (Envelope, "usr_1"),
        (Envelope, "user_a.b"),
        (Envelope, JOHN),
        (Camel, "not-a-uuid"),
        (Camel, "user_1"),
        (Snake, "not-a-uuid"),
        (Snake, "12345"),
    ] {
        for method in [Method::GET, Method::PUT] {
            let mut rq = gateway(
                &stack,
                style,
                method.clone(),
                &raw_user_path(style, "", raw),
                Some(ADMIN),
            );
            if method == Method::PUT {
                rq = rq.json(&harmless_put(style));
            }
            cases.push(err_case(format!("{method} id {raw:?}"), style, rq, 400));
        }
    }
    run_error_cases(cases).await.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_unknown_credential_is_a_401_in_the_clients_style_even_when_cached() {
    let stack = start_stack(30, "").await;
    let mut cases = Vec::new();
    for style in BackendStyle::ALL {
        let path = user_path(style, "", JOHN);
        // Warm the cache: a hit must never skip the auth check.
        let warm = send(gateway(&stack, style, Method::GET, &path, Some(ADMIN))).await;
        assert_eq!(warm.status, 200, "{style}: warming GET: {}", warm.text);
        cases.push(err_case(
            "GET without a credential",
            style,
            gateway(&stack, style, Method::GET, &path, None),
            401,
        ));
        cases.push(err_case(
            "GET with an unknown key",
            style,
            gateway(&stack, style, Method::GET, &path, Some(UNKNOWN_KEY)),
            401,
        ));
        cases.push(err_case(
            "PUT with an unknown key",
            style,
            gateway(&stack, style, Method::PUT, &path, Some(UNKNOWN_KEY))
                .json(&harmless_put(style)),
            401,
        ));
    }
    // Each style's credential is only found where that style carries it.
    cases.push(err_case(
        "snake route with the key as a Bearer token",
        Snake,
        gateway(
            &stack,
            Envelope,
            Method::GET,
            &user_path(Snake, "", JOHN),
            Some(ADMIN),
        ),
        401,
    ));
    cases.push(err_case(
        "snake api_key without the in- prefix",
        Snake,
        client().get(stack.url(&format!(
            "{}?api_key=demo-camel-backend",
            user_path(Snake, "", JOHN)
        ))),
        401,
    ));
    cases.push(err_case(
        "snake api_key empty",
        Snake,
        client().get(stack.url(&format!("{}?api_key=", user_path(Snake, "", JOHN)))),
        401,
    ));
    cases.push(err_case(
        "envelope route with the key as api_key",
        Envelope,
        client().get(stack.url(&format!(
            "{}?api_key={ADMIN}",
            user_path(Envelope, "", JOHN)
        ))),
        401,
    ));
    cases.push(err_case(
        "camel route with a Basic credential",
        Camel,
        client()
            .get(stack.url(&user_path(Camel, "", JOHN)))
            .basic_auth("in-demo-admin", Some("x")),
        401,
    ));
    run_error_cases(cases).await.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_key_is_a_403_on_put_in_the_clients_style_and_may_still_get() {
    let stack = start_stack(30, "").await;
    let mut cases = Vec::new();
    let mut p = Problems::default();
    for style in BackendStyle::ALL {
        let path = user_path(style, "", JOHN);
        cases.push(err_case(
            "PUT with the reader key",
            style,
            gateway(&stack, style, Method::PUT, &path, Some(READER)).json(&harmless_put(style)),
            403,
        ));
        let r = send(gateway(&stack, style, Method::GET, &path, Some(READER))).await;
        p.check(
            &format!("{style}: GET with the reader key"),
            r.status == 200,
            format!("status {}: {}", r.status, r.text),
        );
    }
    p.0.extend(run_error_cases(cases).await.0);
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_user_is_a_404_in_the_clients_style() {
    let stack = start_stack(30, MORE_DIRECTIONS).await;
    let mut cases = Vec::new();
    for dir in DIRECTIONS {
        let path = user_path(dir.client, dir.prefix, NOBODY);
        cases.push(err_case(
            format!("GET via {}", dir.name()),
            dir.client,
            gateway(&stack, dir.client, Method::GET, &path, Some(ADMIN)),
            404,
        ));
        cases.push(err_case(
            format!("PUT via {}", dir.name()),
            dir.client,
            gateway(&stack, dir.client, Method::PUT, &path, Some(ADMIN))
                .json(&harmless_put(dir.client)),
            404,
        ));
    }
    run_error_cases(cases).await.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_the_api_lacks_is_a_405_with_allow_in_the_clients_style() {
    let stack = start_stack(30, "").await;
    let mut p = Problems::default();
    for style in BackendStyle::ALL {
        for method in [Method::DELETE, Method::POST, Method::PATCH] {
            let case = format!("{style}: {method}");
            let r = send(gateway(
                &stack,
                style,
                method,
                &user_path(style, "", JOHN),
                Some(ADMIN),
            ))
            .await;
            check_error(&mut p, &case, style, &r, 405, None);
            p.check(
                &case,
                r.header("allow") == Some("GET, PUT"),
                format!("Allow: {:?}", r.header("allow")),
            );
        }
    }
    p.no_backend_reached(&stack, "a 405 reached a backend");
    p.done();
    stack.stop().await;
}

fn oversized_body(style: BackendStyle) -> Value {
    let blob = "x".repeat(1024 * 1024 + 1024);
    match style {
        Envelope => json!({"metadata": {"blob": blob}}),
        Camel => json!({"firstName": blob}),
        Snake => json!({"address": blob}),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_default_one_mib_limit_is_a_413_in_the_clients_style() {
    let stack = start_stack(30, "").await;
    let cases = BackendStyle::ALL
        .into_iter()
        .map(|s| {
            let rq = gateway(&stack, s, Method::PUT, &user_path(s, "", JOHN), Some(ADMIN))
                .json(&oversized_body(s));
            err_case("1 MiB + 1 KiB of JSON", s, rq, 413)
        })
        .collect();
    let mut p = run_error_cases(cases).await;
    // Without a Content-Length the limit holds while the chunks arrive.
    let chunk = "x".repeat(64 * 1024);
    let mut request = format!(
        "PUT {} HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer {ADMIN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        user_path(Envelope, "", JOHN)
    );
    request.push_str("b\r\n{\"name\": \"x\r\n");
    for _ in 0..20 {
        request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    request.push_str("2\r\n\"}\r\n0\r\n\r\n");
    match raw_exchange(&stack, &request).await {
        Ok(r) => {
            p.check(
                "envelope: chunked 1.25 MiB",
                r.status == 413,
                format!("status {}", r.status),
            );
            p.schema("envelope: chunked 1.25 MiB", Envelope, "error", &r.json());
        }
        Err(e) => p.fail("envelope: chunked 1.25 MiB", e),
    }
    p.no_backend_reached(&stack, "a 413 reached a backend");
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_application_json_is_a_415_in_the_clients_style() {
    let stack = start_stack(30, "").await;
    let mut cases = Vec::new();
    for style in BackendStyle::ALL {
        let body = harmless_put(style).to_string();
        for content_type in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            let mut rq = gateway(
                &stack,
                style,
                Method::PUT,
                &user_path(style, "", JOHN),
                Some(ADMIN),
            )
            .body(body.clone());
            if let Some(ct) = content_type {
                rq = rq.header("content-type", ct);
            }
            cases.push(err_case(
                format!("Content-Type {content_type:?}"),
                style,
                rq,
                415,
            ));
        }
    }
    let mut p = run_error_cases(cases).await;
    p.no_backend_reached(&stack, "a 415 reached a backend");
    for style in BackendStyle::ALL {
        let r = send(
            gateway(
                &stack,
                style,
                Method::PUT,
                &user_path(style, "", JOHN),
                Some(ADMIN),
            )
            .header("content-type", "Application/JSON; charset=utf-8")
            .body(harmless_put(style).to_string()),
        )
        .await;
        p.check(
            &format!("{style}: Application/JSON; charset=utf-8"),
            r.status == 200,
            format!("status {}: {}", r.status, r.text),
        );
    }
    p.done();
    stack.stop().await;
}

// =============================================================================================
// What fails auth or validation never reaches the upstream
// =============================================================================================

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_refused_for_auth_or_validation_never_reach_any_backend() {
    let stack = start_stack(30, "").await;
    let mut cases = Vec::new();
    for style in BackendStyle::ALL {
        let path = user_path(style, "", JOHN);
        let put = |key| gateway(&stack, style, Method::PUT, &path, Some(key));
        let invalid = match style {
            Envelope => json!({"phone": "555"}),
            Camel => json!({"status": "sleeping"}),
            Snake => json!({"is_active": "yes"}),
        };
        let unholdable = match style {
            Envelope => json!({"department": "sales"}),
            Camel => json!({"roles": [NOBODY]}),
            Snake => json!({"stripe_customer_id": "cus_X"}),
        };
        cases.extend([
            err_case(
                "401 GET without a key",
                style,
                gateway(&stack, style, Method::GET, &path, None),
                401,
            ),
            err_case(
                "401 PUT with an unknown key",
                style,
                put(UNKNOWN_KEY).json(&harmless_put(style)),
                401,
            ),
            err_case(
                "403 PUT with the reader key",
                style,
                put(READER).json(&harmless_put(style)),
                403,
            ),
            err_case(
                "400 body not JSON",
                style,
                put(ADMIN)
                    .header("content-type", "application/json")
                    .body("{"),
                400,
            ),
            err_case(
                "400 malformed id",
                style,
                gateway(
                    &stack,
                    style,
                    Method::GET,
                    &raw_user_path(style, "", "bad id!"),
                    Some(ADMIN),
                ),
                400,
            ),
            err_case(
                "415 text/plain",
                style,
                put(ADMIN)
                    .header("content-type", "text/plain")
                    .body(harmless_put(style).to_string()),
                415,
            ),
            err_case("422 schema", style, put(ADMIN).json(&invalid), 422),
            err_case(
                "422 not holdable (camel: unknown role)",
                style,
                put(ADMIN).json(&unholdable),
                422,
            ),
            err_case(
                "413 too large",
                style,
                put(ADMIN).json(&oversized_body(style)),
                413,
            ),
        ]);
    }
    let mut p = run_error_cases(cases).await;
    for style in BackendStyle::ALL {
        p.check(
            &format!("{style} backend"),
            stack.backend(style).stats() == 0,
            format!(
                "{} refused request(s) reached it",
                stack.backend(style).stats()
            ),
        );
    }
    p.done();
    stack.stop().await;
}
