//! The GET cache, end to end: the admin listener. `POST /cache/purge` drops one upstream
//! user's entries or everything (and refuses malformed requests), and `/metrics` counts hits,
//! misses, bypasses and evictions and reports the entries and bytes the cache holds.

mod common;

use common::cache::{
    admin_get_is, envelope_get, get_bearer, metric, metrics_text, metrics_until, snake_get,
};
use common::demo::{ADMIN, JANE, MAX, NOBODY as UNKNOWN};
use common::http::{send, Reply};
use common::*;
use dragoman::backends::seed_ids;
use serde_json::json;

/// `POST /cache/purge[?query]` on the admin listener.
async fn purge(stack: &Stack, query: &str) -> Reply {
    send(client().post(format!("{}/cache/purge{query}", stack.admin))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purging_one_user_makes_only_that_users_next_get_a_miss() {
    let stack = start_stack(30, "").await;
    for id in [JOHN, JANE] {
        admin_get_is(&stack, id, "MISS").await;
    }
    let r = purge(&stack, &format!("?upstream=camel-backend&id={JOHN}")).await;
    r.assert_status(200);
    admin_get_is(&stack, JOHN, "MISS").await;
    admin_get_is(&stack, JANE, "HIT").await;
    // Purging the user on another upstream leaves the camel backend's entry.
    purge(&stack, &format!("?upstream=snake-backend&id={JOHN}"))
        .await
        .assert_status(200);
    admin_get_is(&stack, JOHN, "HIT").await;
    assert_eq!(stack.camel.stats(), 3);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purging_everything_makes_every_next_get_a_miss() {
    let stack = start_stack(30, "").await;
    envelope_get(&stack, JOHN, ADMIN).await.assert_status(200);
    envelope_get(&stack, MAX, ADMIN).await.assert_status(200);
    snake_get(&stack, "", JOHN, ADMIN).await.assert_status(200);
    purge(&stack, "").await.assert_status(200);
    admin_get_is(&stack, JOHN, "MISS").await;
    admin_get_is(&stack, MAX, "MISS").await;
    snake_get(&stack, "", JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    // ... and what is fetched after the purge is cached again.
    admin_get_is(&stack, JOHN, "HIT").await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_purge_request_is_refused() {
    let stack = start_stack(30, "").await;
    envelope_get(&stack, JOHN, ADMIN).await.assert_status(200);
    purge(&stack, "?upstream=camel-backend")
        .await
        .assert_status(400);
    purge(&stack, &format!("?id={JOHN}"))
        .await
        .assert_status(400);
    let unknown = purge(&stack, &format!("?upstream=nope&id={JOHN}")).await;
    assert!(
        [400, 404].contains(&unknown.status),
        "unknown upstream: {} {:#}",
        unknown.status,
        unknown.body
    );
    let wrong_method = send(client().get(format!("{}/cache/purge", stack.admin))).await;
    wrong_method.assert_status(405);
    // None of these purged anything.
    admin_get_is(&stack, JOHN, "HIT").await;
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_hits_misses_and_bypasses() {
    let stack = start_stack(30, "").await;
    let url = stack.url(&format!("/v1/users/user_{JOHN}"));
    envelope_get(&stack, JOHN, ADMIN).await.assert_cache("MISS");
    envelope_get(&stack, JOHN, ADMIN).await.assert_cache("HIT");
    envelope_get(&stack, JOHN, ADMIN).await.assert_cache("HIT");
    get_bearer(url, Some(ADMIN), &[("cache-control", "no-cache")])
        .await
        .assert_cache("BYPASS");
    let text = metrics_text(&stack).await;
    assert_eq!(
        metric(&text, r#"dragoman_cache_lookups_total{event="hit"}"#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, r#"dragoman_cache_lookups_total{event="miss"}"#),
        Some(1.0)
    );
    assert_eq!(
        metric(&text, r#"dragoman_cache_lookups_total{event="bypass"}"#),
        Some(1.0)
    );
    assert!(text.contains("dragoman_cache_entries"), "{text}");
    assert!(text.contains("dragoman_cache_bytes"), "{text}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_lookups_that_ended_in_an_upstream_error() {
    let stack = start_stack(30, "").await;
    let miss = envelope_get(&stack, UNKNOWN, ADMIN).await;
    miss.assert_status(404);
    let bypass = get_bearer(
        stack.url(&format!("/v1/users/user_{UNKNOWN}")),
        Some(ADMIN),
        &[("cache-control", "no-cache")],
    )
    .await;
    bypass.assert_status(404);
    let text = metrics_text(&stack).await;
    assert_eq!(
        metric(&text, r#"dragoman_cache_lookups_total{event="miss"}"#),
        Some(1.0),
        "the 404 was answered with X-Cache {}",
        miss.x_cache()
    );
    assert_eq!(
        metric(&text, r#"dragoman_cache_lookups_total{event="bypass"}"#),
        Some(1.0),
        "the no-cache 404 was answered with X-Cache {}",
        bypass.x_cache()
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_report_the_entries_and_bytes_the_cache_holds() {
    let stack = start_stack(30, "").await;
    for id in seed_ids() {
        admin_get_is(&stack, id, "MISS").await;
    }
    let text = metrics_until(&stack, |t| metric(t, "dragoman_cache_entries") == Some(3.0)).await;
    assert_eq!(metric(&text, "dragoman_cache_entries"), Some(3.0), "{text}");
    assert!(
        metric(&text, "dragoman_cache_bytes").is_some_and(|b| b > 0.0),
        "{text}"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_evictions_by_a_write_and_by_a_purge() {
    let stack = start_stack(30, "").await;
    envelope_get(&stack, JOHN, ADMIN).await.assert_status(200);
    envelope_get(&stack, JANE, ADMIN).await.assert_status(200);
    send(
        client()
            .put(stack.url(&format!("/v1/users/user_{JOHN}")))
            .bearer_auth(ADMIN)
            .json(&json!({"name": "Jo Doe"})),
    )
    .await
    .assert_status(200);
    purge(&stack, &format!("?upstream=camel-backend&id={JANE}"))
        .await
        .assert_status(200);
    let series = r#"dragoman_cache_evictions_total{cause="explicit"}"#;
    let text = metrics_until(&stack, |t| metric(t, series).is_some_and(|v| v >= 2.0)).await;
    assert_eq!(metric(&text, series), Some(2.0), "{text}");
    stack.stop().await;
}
