//! The GET cache, end to end: a repeated GET is a hit that carries `Age` and does not reach
//! the backend, in every route style, and what a hit renders per response (request id,
//! timestamp) is fresh each time. Real reference backends behind a real gateway; backend
//! request counters show what reached an upstream.

mod common;

use std::time::Duration;

use common::cache::{envelope_get, get_bearer, snake_get};
use common::demo::ADMIN;
use common::*;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Hits and misses
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_get_is_a_hit_with_age_that_does_not_reach_the_backend() {
    let stack = start_stack(30, "").await;
    let first = envelope_get(&stack, JOHN, ADMIN).await;
    first.assert_status(200).assert_cache("MISS");
    assert_eq!(first.header("age"), None, "a miss carries no Age");
    assert_eq!(stack.camel.stats(), 1);

    let second = envelope_get(&stack, JOHN, ADMIN).await;
    second.assert_status(200).assert_cache("HIT");
    let age: u64 = second
        .header("age")
        .expect("a hit carries Age")
        .parse()
        .expect("Age is whole seconds");
    assert!(age <= 30, "Age {age} is within the TTL");
    assert_eq!(second.body["data"], first.body["data"]);
    assert_eq!(second.body["data"]["name"], "John Doe");
    assert_eq!(stack.camel.stats(), 1, "the hit did not reach the backend");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_style_answers_hits_from_the_cache() {
    let stack = start_stack(30, "").await;
    // camel clients → snake backend
    let url = stack.url(&format!("/api/users/{JOHN}"));
    get_bearer(url.clone(), Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("MISS");
    let hit = get_bearer(url, Some(ADMIN), &[]).await;
    hit.assert_status(200).assert_cache("HIT");
    assert_eq!(hit.body["firstName"], "John");
    assert_eq!(stack.snake.stats(), 1);
    // snake clients → envelope backend
    snake_get(&stack, "", JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    let hit = snake_get(&stack, "", JOHN, ADMIN).await;
    hit.assert_status(200).assert_cache("HIT");
    assert_eq!(hit.body["data"]["first_name"], "John");
    assert_eq!(stack.envelope.stats(), 1);
    stack.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Per-response values
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_response_values_are_fresh_on_every_hit() {
    let stack = start_stack(30, "").await;
    let miss = envelope_get(&stack, JOHN, ADMIN).await;
    miss.assert_status(200).assert_cache("MISS");
    let hit1 = envelope_get(&stack, JOHN, ADMIN).await;
    hit1.assert_status(200).assert_cache("HIT");
    // Cross a second boundary so that a fresh timestamp must differ.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let hit2 = envelope_get(&stack, JOHN, ADMIN).await;
    hit2.assert_status(200).assert_cache("HIT");

    let ids: Vec<&Value> = [&miss, &hit1, &hit2]
        .iter()
        .map(|r| &r.body["meta"]["request_id"])
        .collect();
    for (r, id) in [&miss, &hit1, &hit2].iter().zip(&ids) {
        let id = id.as_str().expect("meta.request_id is a string");
        assert!(!id.is_empty());
        assert_eq!(
            r.header("x-request-id"),
            Some(id),
            "X-Request-Id = meta.request_id"
        );
    }
    assert_ne!(ids[0], ids[1]);
    assert_ne!(ids[1], ids[2]);
    assert_ne!(ids[0], ids[2]);
    let (t1, t2) = (
        hit1.body["meta"]["timestamp"].as_str().expect("timestamp"),
        hit2.body["meta"]["timestamp"].as_str().expect("timestamp"),
    );
    assert!(
        t2 > t1,
        "timestamp is rendered per response: {t1} then {t2}"
    );
    let age: u64 = hit2.header("age").expect("Age").parse().expect("number");
    assert!(age >= 1, "Age counts from the fetch: {age}");
    assert_eq!(hit2.body["data"], miss.body["data"]);
    assert_eq!(stack.camel.stats(), 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sent_request_id_is_used_on_a_hit() {
    let stack = start_stack(30, "").await;
    let url = stack.url(&format!("/v1/users/user_{JOHN}"));
    let miss = get_bearer(
        url.clone(),
        Some(ADMIN),
        &[("x-request-id", "trace-miss-1")],
    )
    .await;
    miss.assert_status(200).assert_cache("MISS");
    assert_eq!(miss.header("x-request-id"), Some("trace-miss-1"));
    assert_eq!(miss.body["meta"]["request_id"], "trace-miss-1");
    let hit = get_bearer(url, Some(ADMIN), &[("x-request-id", "trace-hit-2")]).await;
    hit.assert_status(200).assert_cache("HIT");
    assert_eq!(hit.header("x-request-id"), Some("trace-hit-2"));
    assert_eq!(hit.body["meta"]["request_id"], "trace-hit-2");
    stack.stop().await;
}
