//! The GET cache, end to end: bounded memory. With a small `[cache] max_bytes`, the cache
//! stays within it while many distinct users are fetched, `/metrics` reports evictions by
//! size, and users fetched before reach the upstream again.

mod common;

use common::cache::{
    envelope_get, fake_id, fake_own_get, get_bearer, metric, metrics_until, snake_get, Fake, Script,
};
use common::demo::ADMIN;
use common::*;
use dragoman::backends::{seed_ids, BackendStyle};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_stays_within_max_bytes() {
    const MAX_BYTES: u64 = 4096;
    const USERS: u32 = 60;
    let fake = Fake::start(Script::default()).await;
    let envelope = start_backend(BackendStyle::Envelope).await;
    let camel = start_backend(BackendStyle::Camel).await;
    let snake = start_backend(BackendStyle::Snake).await;
    let (port, admin) = (free_port(), free_port());
    let extra = format!(
        "{}\n[[routes]]\nstyle = \"snake\"\nupstream = \"fake\"\nprefix = \"/fake-own\"\n",
        fake.upstream("fake")
    );
    let text = stack_config(&envelope, &camel, &snake, port, admin, 30, &extra);
    assert!(text.contains("max_bytes = 1048576"));
    let text = text.replace("max_bytes = 1048576", &format!("max_bytes = {MAX_BYTES}"));
    let stack = start_gateway_with(envelope, camel, snake, text, port, admin).await;

    // The seeded users through every upstream, then many distinct users of the scripted one.
    for id in seed_ids() {
        envelope_get(&stack, id, ADMIN).await.assert_status(200);
        get_bearer(stack.url(&format!("/api/users/{id}")), Some(ADMIN), &[])
            .await
            .assert_status(200);
        snake_get(&stack, "", id, ADMIN).await.assert_status(200);
    }
    for n in 0..USERS {
        fake_own_get(&stack, &fake_id(1000 + n))
            .await
            .assert_status(200);
    }
    let within = |t: &str| {
        metric(t, "dragoman_cache_bytes").is_some_and(|b| b > 0.0 && b <= MAX_BYTES as f64)
            && metric(t, "dragoman_cache_entries").is_some_and(|e| e > 0.0)
    };
    let text = metrics_until(&stack, within).await;
    let bytes = metric(&text, "dragoman_cache_bytes").expect("dragoman_cache_bytes");
    let entries = metric(&text, "dragoman_cache_entries").expect("dragoman_cache_entries");
    assert!(
        bytes > 0.0 && bytes <= MAX_BYTES as f64,
        "dragoman_cache_bytes {bytes} within (0, {MAX_BYTES}]"
    );
    assert!(
        entries > 0.0 && entries < f64::from(USERS + 9),
        "dragoman_cache_entries {entries}: some, not all"
    );
    let size = metric(&text, r#"dragoman_cache_evictions_total{cause="size"}"#);
    assert!(
        size.is_some_and(|n| n >= 1.0),
        "the bound turned entries away: evictions by size {size:?}"
    );
    // ... which shows as upstream requests for users fetched before.
    let before = fake.stats();
    for n in 0..10 {
        fake_own_get(&stack, &fake_id(1000 + n))
            .await
            .assert_status(200);
    }
    assert!(
        fake.stats() > before,
        "with {MAX_BYTES} bytes, not all of {USERS} users stayed cached"
    );
    stack.stop().await;
}
