//! The GET cache, end to end: what is not cached, and for how long what is. Errors, refusals
//! and upstream `no-store`/`private` answers are not stored but still say how the cache was
//! used (`X-Cache`); a client's `no-cache` bypasses the lookup and refreshes the entry; a zero
//! TTL turns the cache off globally or per route; a route TTL expires entries, and an
//! upstream `max-age` can shorten it but never extend it.

mod common;

use std::time::Duration;

use common::cache::{
    admin_get_is, envelope_get, fake_get, fake_id, fake_own_get, get_bearer, snake_get,
    stack_with_fake, Fake, Script, WRITER_ONLY,
};
use common::demo::{ADMIN, NOBODY as UNKNOWN};
use common::http::send;
use common::*;
use dragoman::backends::BackendStyle;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_not_cached() {
    let stack = start_stack(30, "").await;
    for n in 1..=2 {
        let r = envelope_get(&stack, UNKNOWN, ADMIN).await;
        r.assert_status(404).assert_cache("MISS");
        assert_eq!(r.body["error"]["code"], "NOT_FOUND");
        assert_eq!(
            stack.camel.stats(),
            n,
            "GET {n} of an unknown user reached the backend"
        );
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_that_fails_upstream_still_says_how_the_cache_was_used() {
    let stack = start_stack(30, "").await;
    envelope_get(&stack, UNKNOWN, ADMIN)
        .await
        .assert_status(404)
        .assert_cache("MISS");
    let url = stack.url(&format!("/v1/users/user_{UNKNOWN}"));
    get_bearer(url, Some(ADMIN), &[("cache-control", "no-cache")])
        .await
        .assert_status(404)
        .assert_cache("BYPASS");
    assert_eq!(stack.camel.stats(), 2);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_that_fails_upstream_with_the_cache_off_says_bypass() {
    let stack = start_stack(0, "").await;
    envelope_get(&stack, UNKNOWN, ADMIN)
        .await
        .assert_status(404)
        .assert_cache("BYPASS");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_refused_by_the_gateway_still_carries_x_cache_and_never_a_hit() {
    let stack = start_stack(30, WRITER_ONLY).await;
    admin_get_is(&stack, JOHN, "MISS").await;
    let url = stack.url(&format!("/v1/users/user_{JOHN}"));
    for (key, status) in [
        (None, 401),
        (Some("in-not-a-key"), 401),
        (Some("in-demo-writer"), 403),
    ] {
        let r = get_bearer(url.clone(), key, &[]).await;
        r.assert_status(status);
        assert!(
            ["MISS", "BYPASS"].contains(&r.x_cache()),
            "X-Cache on every GET, never HIT on a refusal: key {key:?} got {}",
            r.x_cache()
        );
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_no_cache_request_bypasses_the_lookup_and_refreshes_the_entry() {
    let stack = start_stack(30, "").await;
    let url = stack.url(&format!("/v1/users/user_{JOHN}"));
    admin_get_is(&stack, JOHN, "MISS").await;
    // The backend changes behind the gateway's back: the entry is now stale.
    let direct = send(
        client()
            .put(common::url(&stack.camel, &format!("/api/users/{JOHN}")))
            .bearer_auth(BackendStyle::Camel.demo_credential())
            .json(&json!({"firstName": "Zed"})),
    )
    .await;
    direct.assert_status(200);
    assert_eq!(stack.camel.stats(), 2);
    let stale = envelope_get(&stack, JOHN, ADMIN).await;
    stale.assert_status(200).assert_cache("HIT");
    assert_eq!(stale.body["data"]["name"], "John Doe");

    let bypass = get_bearer(url.clone(), Some(ADMIN), &[("cache-control", "no-cache")]).await;
    bypass.assert_status(200).assert_cache("BYPASS");
    assert_eq!(bypass.body["data"]["name"], "Zed Doe");
    assert_eq!(stack.camel.stats(), 3, "the bypass reached the backend");

    let refreshed = envelope_get(&stack, JOHN, ADMIN).await;
    refreshed.assert_status(200).assert_cache("HIT");
    assert_eq!(
        refreshed.body["data"]["name"], "Zed Doe",
        "the entry was refreshed"
    );
    assert_eq!(stack.camel.stats(), 3);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_no_cache_request_fills_the_cache_for_the_next_get() {
    let stack = start_stack(30, "").await;
    let url = stack.url(&format!("/v1/users/user_{JOHN}"));
    get_bearer(url.clone(), Some(ADMIN), &[("cache-control", "no-cache")])
        .await
        .assert_status(200)
        .assert_cache("BYPASS");
    get_bearer(url.clone(), Some(ADMIN), &[("pragma", "no-cache")])
        .await
        .assert_status(200)
        .assert_cache("BYPASS");
    assert_eq!(stack.camel.stats(), 2);
    get_bearer(url, Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(stack.camel.stats(), 2);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zero_ttl_turns_the_cache_off_and_every_get_is_a_bypass() {
    let stack = start_stack(0, "").await;
    for n in 1..=3 {
        let r = envelope_get(&stack, JOHN, ADMIN).await;
        r.assert_status(200).assert_cache("BYPASS");
        assert_eq!(r.header("age"), None);
        assert_eq!(stack.camel.stats(), n);
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_with_a_zero_ttl_bypasses_while_other_routes_cache() {
    let extra = "\n[[routes]]\nstyle = \"snake\"\nupstream = \"camel-backend\"\nprefix = \"/nocache\"\ncache_ttl_secs = 0\n";
    let stack = start_stack(30, extra).await;
    for n in 1..=2 {
        snake_get(&stack, "/nocache", JOHN, ADMIN)
            .await
            .assert_status(200)
            .assert_cache("BYPASS");
        assert_eq!(stack.camel.stats(), n);
    }
    admin_get_is(&stack, JOHN, "MISS").await;
    admin_get_is(&stack, JOHN, "HIT").await;
    assert_eq!(stack.camel.stats(), 3);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_route_ttl_makes_the_entry_expire() {
    let extra = "\n[[routes]]\nstyle = \"snake\"\nupstream = \"camel-backend\"\nprefix = \"/short\"\ncache_ttl_secs = 1\n";
    let stack = start_stack(30, extra).await;
    snake_get(&stack, "/short", JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    snake_get(&stack, "/short", JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(stack.camel.stats(), 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    snake_get(&stack, "/short", JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    assert_eq!(stack.camel.stats(), 2);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_no_store_or_private_response_is_not_cached() {
    for directive in ["no-store", "private", "private, max-age=60", "max-age=0"] {
        let fake = Fake::start(Script {
            cache_control: Some(directive),
            ..Script::default()
        })
        .await;
        let stack = stack_with_fake(&fake, "").await;
        let id = fake_id(4);
        for n in 1..=2 {
            let r = fake_own_get(&stack, &id).await;
            r.assert_status(200).assert_cache("MISS");
            assert_eq!(
                fake.stats(),
                n,
                "Cache-Control: {directive}: GET {n} reached it"
            );
        }
        // A client refresh does not store it either.
        get_bearer(
            stack.url(&format!("/fake/v1/users/user_{id}")),
            Some(ADMIN),
            &[("cache-control", "no-cache")],
        )
        .await
        .assert_status(200)
        .assert_cache("BYPASS");
        fake_get(&stack, &id, ADMIN)
            .await
            .assert_status(200)
            .assert_cache("MISS");
        assert_eq!(fake.stats(), 4, "Cache-Control: {directive}");
        stack.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_max_age_caps_the_ttl() {
    let fake = Fake::start(Script {
        cache_control: Some("public, max-age=1"),
        ..Script::default()
    })
    .await;
    let stack = stack_with_fake(&fake, "").await;
    let id = fake_id(5);
    fake_own_get(&stack, &id)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    fake_own_get(&stack, &id)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(fake.stats(), 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    fake_own_get(&stack, &id)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    assert_eq!(fake.stats(), 2, "max-age=1 beat the 30 s TTL");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_max_age_longer_than_the_route_ttl_does_not_extend_it() {
    let fake = Fake::start(Script {
        cache_control: Some("max-age=3600"),
        ..Script::default()
    })
    .await;
    let extra = "\n[[routes]]\nstyle = \"camel\"\nupstream = \"fake\"\nprefix = \"/fake-short\"\ncache_ttl_secs = 1\n";
    let stack = stack_with_fake(&fake, extra).await;
    let id = fake_id(6);
    let url = stack.url(&format!("/fake-short/api/users/{id}"));
    get_bearer(url.clone(), Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("MISS");
    get_bearer(url.clone(), Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("HIT");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    get_bearer(url, Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("MISS");
    assert_eq!(fake.stats(), 2);
    stack.stop().await;
}
