//! The GET cache, end to end: one entry per upstream user, whatever the route. An entry filled
//! through one client style serves every other route to the same upstream, user data that
//! looks like a template variable is stored and rendered as written, and a route's own TTL
//! bounds the age of what it serves from a shared entry.

mod common;

use std::time::Duration;

use common::cache::{admin_get_is, envelope_get, snake_get, SNAKE_TO_CAMEL};
use common::demo::ADMIN;
use common::http::send;
use common::*;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_entry_serves_every_route_to_the_same_upstream() {
    let stack = start_stack(30, SNAKE_TO_CAMEL).await;
    admin_get_is(&stack, JOHN, "MISS").await;
    let snake = snake_get(&stack, "/s2c", JOHN, ADMIN).await;
    snake.assert_status(200).assert_cache("HIT");
    assert!(snake.header("age").is_some(), "a hit carries Age");
    assert_eq!(snake.body["data"]["first_name"], "John");
    assert_eq!(snake.body["data"]["last_name"], "Doe");
    assert_eq!(snake.body["data"]["id"], JOHN);
    assert_eq!(stack.camel.stats(), 1, "the backend saw one request");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_that_look_like_template_variables_come_back_as_written_on_put_miss_and_hit() {
    // The response templates use `$request_id`, `$message`...; user data is never read as one.
    let stack = start_stack(30, "").await;
    for name in ["$request_id Doe", "$message", "$nope x"] {
        let put = send(
            client()
                .put(stack.url(&format!("/v1/users/user_{JOHN}")))
                .bearer_auth(ADMIN)
                .json(&json!({ "name": name })),
        )
        .await;
        put.assert_status(200);
        assert_eq!(put.body["data"]["name"], name, "PUT answer");
        let miss = envelope_get(&stack, JOHN, ADMIN).await;
        miss.assert_status(200).assert_cache("MISS");
        assert_eq!(miss.body["data"]["name"], name, "miss");
        let hit = envelope_get(&stack, JOHN, ADMIN).await;
        hit.assert_status(200).assert_cache("HIT");
        assert_eq!(hit.body["data"]["name"], name, "hit");
        assert_ne!(hit.body["meta"]["request_id"], Value::String(name.into()));
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_ttl_bounds_the_age_of_what_that_route_serves_from_a_shared_entry() {
    let extra = "\n[[routes]]\nstyle = \"snake\"\nupstream = \"camel-backend\"\nprefix = \"/short\"\ncache_ttl_secs = 1\n";
    let stack = start_stack(30, extra).await;
    // Filled through the envelope route, with the global 30 s TTL.
    admin_get_is(&stack, JOHN, "MISS").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let short = snake_get(&stack, "/short", JOHN, ADMIN).await;
    short.assert_status(200);
    assert_eq!(
        short.x_cache(),
        "MISS",
        "a route with cache_ttl_secs = 1 served an entry {} s old",
        short.header("age").unwrap_or("?")
    );
    assert_eq!(stack.camel.stats(), 2);
    stack.stop().await;
}
