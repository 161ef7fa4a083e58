//! The GET cache, end to end: a PUT evicts the upstream user it wrote, whichever route cached
//! it, and only on that upstream; a GET or refresh in flight while a write lands is not stored,
//! and a write whose answer timed out still evicts. The reference backends and a scripted
//! upstream (slow GETs, slow PUTs, a version every PUT bumps) behind a real gateway.

mod common;

use std::time::Duration;

use common::cache::{
    admin_get_is, envelope_get, fake_id, fake_own_get, get_bearer, snake_get, stack_with_fake,
    stack_with_fake_upstream, Fake, Script, SNAKE_TO_CAMEL,
};
use common::demo::{ADMIN, JANE};
use common::http::send;
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_through_one_route_evicts_what_another_route_cached_for_that_upstream_user() {
    let stack = start_stack(30, SNAKE_TO_CAMEL).await;
    admin_get_is(&stack, JOHN, "MISS").await;
    admin_get_is(&stack, JOHN, "HIT").await;
    admin_get_is(&stack, JANE, "MISS").await;

    let put = send(
        client()
            .put(stack.url(&format!("/s2c/api/v1/user/{JOHN}?api_key={ADMIN}")))
            .json(&json!({"first_name": "Ann", "last_name": "Lee"})),
    )
    .await;
    put.assert_status(200);
    assert_eq!(put.body["data"]["first_name"], "Ann");
    assert_eq!(put.header("x-cache"), None, "X-Cache is for GETs");
    let before = stack.camel.stats();

    let after = envelope_get(&stack, JOHN, ADMIN).await;
    after.assert_status(200).assert_cache("MISS");
    assert_eq!(after.body["data"]["name"], "Ann Lee");
    assert_eq!(stack.camel.stats(), before + 1);
    // Other users of that upstream are untouched.
    admin_get_is(&stack, JANE, "HIT").await;
    assert_eq!(stack.camel.stats(), before + 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_through_the_envelope_route_evicts_what_the_snake_route_cached() {
    let stack = start_stack(30, SNAKE_TO_CAMEL).await;
    snake_get(&stack, "/s2c", JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    let put = send(
        client()
            .put(stack.url(&format!("/v1/users/user_{JOHN}")))
            .bearer_auth(ADMIN)
            .json(&json!({"name": "Jo Doe"})),
    )
    .await;
    put.assert_status(200);
    let after = snake_get(&stack, "/s2c", JOHN, ADMIN).await;
    after.assert_status(200).assert_cache("MISS");
    assert_eq!(after.body["data"]["first_name"], "Jo");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_to_one_upstream_leaves_another_upstreams_entry_for_the_same_user() {
    let stack = start_stack(30, "").await;
    // The same canonical user, cached for the camel backend and for the snake backend.
    admin_get_is(&stack, JOHN, "MISS").await;
    let camel_url = stack.url(&format!("/api/users/{JOHN}"));
    get_bearer(camel_url.clone(), Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("MISS");
    // A write to the camel backend (envelope route) ...
    send(
        client()
            .put(stack.url(&format!("/v1/users/user_{JOHN}")))
            .bearer_auth(ADMIN)
            .json(&json!({"name": "Jo Doe"})),
    )
    .await
    .assert_status(200);
    // ... does not touch the snake backend's copy, which that write did not change.
    let snake_copy = get_bearer(camel_url, Some(ADMIN), &[]).await;
    snake_copy.assert_status(200).assert_cache("HIT");
    assert_eq!(snake_copy.body["firstName"], "John");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_get_in_flight_while_a_put_lands_is_answered_but_not_stored() {
    let fake = Fake::start(Script {
        get_delay: Duration::from_millis(600),
        ..Script::default()
    })
    .await;
    let stack = stack_with_fake(&fake, "").await;
    let id = fake_id(7);
    let url = stack.url(&format!("/fake-own/api/v1/user/{id}?api_key={ADMIN}"));
    let slow = tokio::spawn(async move { send(client().get(url)).await });
    // Let the GET reach the upstream and read version 0 there.
    for _ in 0..100 {
        if fake.stats() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fake.stats(), 1, "the slow GET reached the upstream");
    let put = send(
        client()
            .put(stack.url(&format!("/fake-own/api/v1/user/{id}?api_key={ADMIN}")))
            .json(&json!({"first_name": "Ann"})),
    )
    .await;
    put.assert_status(200);
    assert_eq!(put.body["data"]["first_name"], "V1");
    let old = slow.await.expect("task");
    old.assert_status(200);
    assert_eq!(
        old.body["data"]["first_name"], "V0",
        "read before the write"
    );
    let next = fake_own_get(&stack, &id).await;
    next.assert_status(200).assert_cache("MISS");
    assert_eq!(
        next.body["data"]["first_name"], "V1",
        "the document read before the write was not cached"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_no_cache_refresh_in_flight_while_a_put_lands_does_not_store_the_old_document() {
    let fake = Fake::start(Script {
        get_delay: Duration::from_millis(600),
        ..Script::default()
    })
    .await;
    let stack = stack_with_fake(&fake, "").await;
    let id = fake_id(8);
    let url = stack.url(&format!("/fake-own/api/v1/user/{id}?api_key={ADMIN}"));
    let slow =
        tokio::spawn(
            async move { send(client().get(url).header("cache-control", "no-cache")).await },
        );
    for _ in 0..100 {
        if fake.stats() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fake.stats(), 1, "the slow refresh reached the upstream");
    send(
        client()
            .put(stack.url(&format!("/fake-own/api/v1/user/{id}?api_key={ADMIN}")))
            .json(&json!({"first_name": "Ann"})),
    )
    .await
    .assert_status(200);
    let old = slow.await.expect("task");
    old.assert_status(200).assert_cache("BYPASS");
    assert_eq!(
        old.body["data"]["first_name"], "V0",
        "read before the write"
    );
    let next = fake_own_get(&stack, &id).await;
    next.assert_status(200);
    assert_eq!(
        next.body["data"]["first_name"],
        "V1",
        "after a successful PUT returned, a GET must not be served the document read before it \
         (X-Cache {})",
        next.x_cache()
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_whose_answer_timed_out_still_evicts_the_user() {
    let fake = Fake::start(Script {
        put_delay: Duration::from_millis(1500),
        ..Script::default()
    })
    .await;
    let stack = stack_with_fake_upstream(fake.upstream_with("fake", "timeout_ms = 300"), "").await;
    let id = fake_id(9);
    fake_own_get(&stack, &id)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    // The upstream applies the write but answers too late: the gateway cannot know it failed.
    let put = send(
        client()
            .put(stack.url(&format!("/fake-own/api/v1/user/{id}?api_key={ADMIN}")))
            .json(&json!({"first_name": "Ann"})),
    )
    .await;
    put.assert_status(504);
    let next = fake_own_get(&stack, &id).await;
    next.assert_status(200);
    assert_eq!(
        next.body["data"]["first_name"],
        "V1",
        "a write of unknown outcome leaves no stale entry (X-Cache {})",
        next.x_cache()
    );
    stack.stop().await;
}
