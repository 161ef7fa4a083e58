//! The gateway end to end, paths that are not the user API: an unknown path on the client
//! listener is a 404 in plain JSON or in the style of the nearest route, and the admin
//! listener answers health, readiness (503 naming an upstream that is down) and metrics by
//! route that never contain a secret.
//!
//! The three reference backends and a gateway on loopback, driven over real HTTP (reqwest, and
//! raw TCP where framing matters). The contract is DESIGN.md. Checks collect their problems per
//! case and fail once at the end, naming every failed case, so that one bad direction or style
//! does not hide the others (`common::problems`).

mod common;

use common::demo::*;
use common::fake::{route_config, upstream_config};
use common::http::send;
use common::problems::*;
use common::*;
use dragoman::backends::BackendStyle::{Camel, Envelope, Snake};
use reqwest::Method;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_path_is_a_404_in_plain_json_or_in_the_style_of_the_nearest_route() {
    let stack = start_stack(30, "").await;
    let mut p = Problems::default();
    for path in ["/nothing", "/", "/metrics", "/healthz"] {
        let case = format!("GET {path}");
        let r = send(client().get(stack.url(path)).bearer_auth(ADMIN)).await;
        p.check(
            &case,
            r.status == 404,
            format!("status {}: {}", r.status, r.text),
        );
        p.check(
            &case,
            r.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            format!("content-type {:?}", r.header("content-type")),
        );
        p.check(
            &case,
            r.body.is_object(),
            format!("not a JSON object: {}", r.text),
        );
        p.check(&case, r.header("x-request-id").is_some(), "no X-Request-Id");
    }
    let cases = vec![
        err_case(
            "/v1/users",
            Envelope,
            client().get(stack.url("/v1/users")).bearer_auth(ADMIN),
            404,
        ),
        err_case(
            "/v1/users/ (empty id)",
            Envelope,
            client().get(stack.url("/v1/users/")).bearer_auth(ADMIN),
            404,
        ),
        err_case(
            "/v1/users/user_1/extra",
            Envelope,
            client()
                .get(stack.url("/v1/users/user_1/extra"))
                .bearer_auth(ADMIN),
            404,
        ),
        err_case(
            "/api/users",
            Camel,
            client().get(stack.url("/api/users")).bearer_auth(ADMIN),
            404,
        ),
        err_case(
            "/api/v1/user",
            Snake,
            client().get(stack.url(&format!("/api/v1/user?api_key={ADMIN}"))),
            404,
        ),
    ];
    p.0.extend(run_error_cases(cases).await.0);
    p.no_backend_reached(&stack, "an unknown path reached a backend");
    p.done();
    stack.stop().await;
}

// =============================================================================================
// The admin listener
// =============================================================================================

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_are_200_when_every_upstream_listens() {
    let stack = start_stack(30, MORE_DIRECTIONS).await;
    let mut p = Problems::default();
    for path in ["/healthz", "/readyz"] {
        let r = send(client().get(format!("{}{path}", stack.admin))).await;
        p.check(
            path,
            r.status == 200,
            format!("status {}: {}", r.status, r.text),
        );
        p.check(path, r.body.is_object(), format!("not JSON: {}", r.text));
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_is_503_naming_the_upstream_that_is_down_while_health_stays_200() {
    let extra = format!(
        "{}{}",
        upstream_config("gone", Snake, free_port(), 300),
        route_config(Envelope, "gone", "/gone")
    );
    let stack = start_stack(30, &extra).await;
    let mut p = Problems::default();
    let r = send(client().get(format!("{}/readyz", stack.admin))).await;
    p.check(
        "/readyz",
        r.status == 503,
        format!("status {}: {}", r.status, r.text),
    );
    p.check(
        "/readyz",
        r.text.contains("gone"),
        format!("does not name the upstream: {}", r.text),
    );
    p.no_secrets("/readyz", &r.text);
    let r = send(client().get(format!("{}/healthz", stack.admin))).await;
    p.check(
        "/healthz",
        r.status == 200,
        format!("status {}: {}", r.status, r.text),
    );
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_and_never_contain_a_secret() {
    let stack = start_stack(30, MORE_DIRECTIONS).await;
    let mut p = Problems::default();
    // Traffic that carries every kind of secret: good and bad keys, in headers and queries.
    for dir in DIRECTIONS {
        let path = user_path(dir.client, dir.prefix, JOHN);
        send(gateway(&stack, dir.client, Method::GET, &path, Some(ADMIN))).await;
        send(gateway(
            &stack,
            dir.client,
            Method::GET,
            &path,
            Some(UNKNOWN_KEY),
        ))
        .await;
        send(
            gateway(&stack, dir.client, Method::PUT, &path, Some(READER))
                .json(&harmless_put(dir.client)),
        )
        .await;
    }
    send(client().get(stack.url(&format!("/nothing?api_key={ADMIN}")))).await;
    let r = send(client().get(format!("{}/metrics", stack.admin))).await;
    p.check("/metrics", r.status == 200, format!("status {}", r.status));
    let lines: Vec<&str> = r
        .text
        .lines()
        .filter(|l| l.starts_with("dragoman_requests_total{"))
        .collect();
    for (route, status) in [
        ("envelope->camel-backend", "200"),
        ("envelope->camel-backend", "401"),
        ("envelope->camel-backend", "403"),
        ("camel->snake-backend", "200"),
        ("snake->envelope-backend", "200"),
        ("envelope@/e2s", "200"),
        ("camel@/c2e", "200"),
        ("snake@/s2c", "200"),
    ] {
        let found = lines.iter().any(|l| {
            l.contains(&format!("route=\"{route}")) && l.contains(&format!("status=\"{status}\""))
        });
        p.check(
            "/metrics",
            found,
            format!(
                "no dragoman_requests_total line for route {route} status {status} in:\n{}",
                lines.join("\n")
            ),
        );
    }
    for secret in SECRETS {
        p.check(
            "/metrics",
            !r.text.contains(secret),
            format!("/metrics contains the secret {secret:?}"),
        );
    }
    p.done();
    stack.stop().await;
}
