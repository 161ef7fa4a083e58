//! The GET cache, end to end: authorization still applies to cached resources (a hit needs a
//! known key with the read scope), and a route that forwards client credentials keeps an entry
//! per credential, never serving one key's entry to another, while a PUT through any route
//! evicts them all.

mod common;

use common::cache::{
    admin_get_is, envelope_get, fake_get, fake_id, fake_own_get, get_bearer, snake_get,
    stack_with_fake, Fake, Script, WRITER_ONLY,
};
use common::demo::{ADMIN, READER};
use common::http::send;
use common::*;
use dragoman::backends::{Backend, BackendStyle};
use serde_json::json;
use tokio::net::TcpListener;

// ---------------------------------------------------------------------------------------------
// Authorization still applies to cached resources
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_resource_still_needs_a_known_key_with_the_read_scope() {
    let stack = start_stack(30, WRITER_ONLY).await;
    admin_get_is(&stack, JOHN, "MISS").await;
    admin_get_is(&stack, JOHN, "HIT").await;
    let url = stack.url(&format!("/v1/users/user_{JOHN}"));

    let none = get_bearer(url.clone(), None, &[]).await;
    none.assert_status(401);
    assert_eq!(none.body["error"]["code"], "UNAUTHORIZED");
    assert!(none.body.get("data").is_none(), "no data without a key");

    let unknown = get_bearer(url.clone(), Some("in-not-a-key"), &[]).await;
    unknown.assert_status(401);
    assert_eq!(unknown.body["error"]["code"], "UNAUTHORIZED");
    assert!(unknown.body.get("data").is_none());

    let writer = get_bearer(url.clone(), Some("in-demo-writer"), &[]).await;
    writer.assert_status(403);
    assert_eq!(writer.body["error"]["code"], "FORBIDDEN");
    assert!(writer.body.get("data").is_none());

    // snake clients → envelope backend: a cached user, then no key / a write-only key.
    snake_get(&stack, "", JOHN, ADMIN).await.assert_status(200);
    snake_get(&stack, "", JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    send(client().get(stack.url(&format!("/api/v1/user/{JOHN}"))))
        .await
        .assert_status(401);
    snake_get(&stack, "", JOHN, "in-demo-writer")
        .await
        .assert_status(403);

    // A reader still gets the hit.
    envelope_get(&stack, JOHN, READER)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(stack.camel.stats(), 1, "refusals never reached the backend");
    assert_eq!(stack.envelope.stats(), 1);
    stack.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Forwarded credentials: an entry per credential
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_forwarding_client_keys_never_serves_one_keys_entry_to_another() {
    // An envelope backend that accepts exactly one client key, in-demo-admin.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let own = Backend::start(BackendStyle::Envelope, listener, ADMIN.into())
        .await
        .expect("backend starts");
    let extra = format!(
        "\n[[upstreams]]\nname = \"fwd-envelope\"\nstyle = \"envelope\"\nurl = \"http://{}\"\ncredential = \"not-accepted-there\"\n\n[[routes]]\nstyle = \"camel\"\nupstream = \"fwd-envelope\"\nprefix = \"/fwd\"\nforward_credential = true\n",
        own.addr()
    );
    let stack = start_stack(30, &extra).await;
    let url = stack.url(&format!("/fwd/api/users/{JOHN}"));

    let admin1 = get_bearer(url.clone(), Some(ADMIN), &[]).await;
    admin1.assert_status(200).assert_cache("MISS");
    assert_eq!(admin1.body["firstName"], "John");
    get_bearer(url.clone(), Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(own.stats(), 1);

    // The reader's key is a valid gateway key the upstream refuses: it must be asked.
    let reader1 = get_bearer(url.clone(), Some(READER), &[]).await;
    reader1.assert_status(401).assert_cache("MISS");
    assert!(
        reader1.body.get("firstName").is_none(),
        "{:#}",
        reader1.body
    );
    assert_eq!(own.stats(), 2, "the reader's GET reached the upstream");
    let reader2 = get_bearer(url.clone(), Some(READER), &[]).await;
    reader2.assert_status(401);
    assert_eq!(own.stats(), 3, "the refusal was not cached either");

    get_bearer(url, Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(own.stats(), 3);
    stack.stop().await;
    own.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_forwarded_credential_gets_its_own_entry_and_a_put_evicts_them_all() {
    let fake = Fake::start(Script::default()).await;
    let stack = stack_with_fake(&fake, "").await;
    let id = fake_id(2);

    // The upstream's own credential (partition of the non-forwarding route).
    let own = fake_own_get(&stack, &id).await;
    own.assert_status(200).assert_cache("MISS");
    assert_eq!(own.body["data"]["last_name"], "fake-own");

    let a1 = fake_get(&stack, &id, ADMIN).await;
    a1.assert_status(200).assert_cache("MISS");
    assert_eq!(a1.body["data"]["name"], "V0 in-demo-admin");
    let r1 = fake_get(&stack, &id, READER).await;
    r1.assert_status(200).assert_cache("MISS");
    assert_eq!(r1.body["data"]["name"], "V0 in-demo-reader");
    assert_eq!(fake.stats(), 3);

    let a2 = fake_get(&stack, &id, ADMIN).await;
    a2.assert_status(200).assert_cache("HIT");
    assert_eq!(a2.body["data"]["name"], "V0 in-demo-admin");
    let r2 = fake_get(&stack, &id, READER).await;
    r2.assert_status(200).assert_cache("HIT");
    assert_eq!(r2.body["data"]["name"], "V0 in-demo-reader");
    let own2 = fake_own_get(&stack, &id).await;
    own2.assert_status(200).assert_cache("HIT");
    assert_eq!(own2.body["data"]["last_name"], "fake-own");
    assert_eq!(fake.stats(), 3);

    // A write through the forwarding route evicts every credential's entry of that user.
    let put = send(
        client()
            .put(stack.url(&format!("/fake/v1/users/user_{id}")))
            .bearer_auth(ADMIN)
            .json(&json!({"name": "Ann Lee"})),
    )
    .await;
    put.assert_status(200);
    assert_eq!(fake.stats(), 4);
    for (reply, name) in [
        (fake_get(&stack, &id, READER).await, "V1 in-demo-reader"),
        (fake_get(&stack, &id, ADMIN).await, "V1 in-demo-admin"),
    ] {
        reply.assert_status(200).assert_cache("MISS");
        assert_eq!(reply.body["data"]["name"], name);
    }
    let own3 = fake_own_get(&stack, &id).await;
    own3.assert_status(200).assert_cache("MISS");
    assert_eq!(own3.body["data"]["first_name"], "V1");
    assert_eq!(fake.stats(), 7);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_through_a_non_forwarding_route_evicts_the_forwarded_entries_too() {
    let fake = Fake::start(Script::default()).await;
    let stack = stack_with_fake(&fake, "").await;
    let id = fake_id(3);
    fake_get(&stack, &id, READER)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    fake_get(&stack, &id, READER)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    send(
        client()
            .put(stack.url(&format!("/fake-own/api/v1/user/{id}?api_key={ADMIN}")))
            .json(&json!({"first_name": "Ann"})),
    )
    .await
    .assert_status(200);
    let after = fake_get(&stack, &id, READER).await;
    after.assert_status(200).assert_cache("MISS");
    assert_eq!(after.body["data"]["name"], "V1 in-demo-reader");
    stack.stop().await;
}
