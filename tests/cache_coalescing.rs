//! The GET cache, end to end: concurrent misses for one user are coalesced into a single
//! upstream request, whether the user exists or not, and waiters are not serialised behind
//! each other. The reference camel backend and a scripted slow upstream behind a real gateway.

mod common;

use std::time::{Duration, Instant};

use common::cache::{fake_id, fake_own_get, get_bearer, stack_with_fake, Fake, Script};
use common::demo::{ADMIN, NOBODY as UNKNOWN};
use common::http::send;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_cold_gets_of_one_user_make_exactly_one_backend_request() {
    let stack = start_stack(30, "").await;
    let url = stack.url(&format!("/v1/users/user_{JOHN}"));
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            get_bearer(url, Some(ADMIN), &[]).await
        }));
    }
    let mut misses = 0;
    for t in tasks {
        let r = t.await.expect("task");
        r.assert_status(200);
        assert_eq!(r.body["data"]["name"], "John Doe");
        assert!(
            ["HIT", "MISS"].contains(&r.x_cache()),
            "X-Cache {}",
            r.x_cache()
        );
        misses += usize::from(r.x_cache() == "MISS");
    }
    assert!(misses >= 1, "someone fetched it");
    assert_eq!(stack.camel.stats(), 1, "one backend request for 32 GETs");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_held_up_by_a_slow_upstream_share_one_request() {
    let fake = Fake::start(Script {
        get_delay: Duration::from_millis(400),
        ..Script::default()
    })
    .await;
    let stack = stack_with_fake(&fake, "").await;
    let id = fake_id(1);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let url = stack.url(&format!("/fake-own/api/v1/user/{id}?api_key={ADMIN}"));
        tasks.push(tokio::spawn(async move { send(client().get(url)).await }));
    }
    for t in tasks {
        let r = t.await.expect("task");
        r.assert_status(200);
        assert_eq!(r.body["data"]["last_name"], "fake-own");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "waiters were not serialised behind each other"
    );
    assert_eq!(
        fake.stats(),
        1,
        "one upstream request for 32 concurrent misses"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_for_an_unknown_user_share_one_request_and_its_404() {
    let fake = Fake::start(Script {
        get_delay: Duration::from_millis(400),
        ..Script::default()
    })
    .await;
    let stack = stack_with_fake(&fake, "").await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let url = stack.url(&format!("/fake-own/api/v1/user/{UNKNOWN}?api_key={ADMIN}"));
        tasks.push(tokio::spawn(async move { send(client().get(url)).await }));
    }
    for t in tasks {
        t.await.expect("task").assert_status(404);
    }
    assert_eq!(
        fake.stats(),
        1,
        "one upstream request for 16 concurrent misses"
    );
    // ... and the 404 was not stored.
    fake_own_get(&stack, UNKNOWN).await.assert_status(404);
    assert_eq!(fake.stats(), 2);
    stack.stop().await;
}
