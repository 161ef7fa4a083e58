//! The translation properties through a running gateway: bodies generated from each client
//! style's request schema (tests/common/gen.rs) are PUT through all six directions of a real
//! gateway over the real reference backends, each followed by GETs through every route that
//! reads the same backend (cached and not). No answer is ever a 5xx: a valid write is
//! carried or refused with a 4xx in the client's style, and whatever it left in the backend
//! stays readable from every style. Bounded: a few dozen cases per direction on loopback.

mod common;

use common::demo::{gateway, user_path, ADMIN, DIRECTIONS, MORE_DIRECTIONS};
use common::gen::{from_schema, Hints};
use common::schemas::{root, schema};
use common::*;
use dragoman::backends::BackendStyle::{self, Camel, Envelope};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::Value;

/// A request to John through the route of `client` under `prefix`, with the admin key.
fn request(
    stack: &Stack,
    client: BackendStyle,
    prefix: &str,
    method: Method,
) -> reqwest::RequestBuilder {
    gateway(
        stack,
        client,
        method,
        &user_path(client, prefix, JOHN),
        Some(ADMIN),
    )
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .map(|c: u32| c.min(64))
        .unwrap_or(24)
}

/// A runtime and a stack serving all six directions (cache on, 30 s).
fn six_directions() -> (tokio::runtime::Runtime, Stack) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let stack = rt.block_on(start_stack(30, MORE_DIRECTIONS));
    (rt, stack)
}

#[test]
fn a_camel_client_clearing_roles_leaves_the_user_readable_from_every_style() {
    let (rt, stack) = six_directions();
    rt.block_on(async {
        let put = request(&stack, Camel, "", Method::PUT)
            .json(&serde_json::json!({"roles": []}))
            .send()
            .await
            .expect("PUT");
        assert_eq!(
            put.status(),
            200,
            "{}",
            put.text().await.unwrap_or_default()
        );
        let body: Value = put.json().await.expect("json");
        assert_eq!(body["roles"], serde_json::json!([]));
        // The snake backend now holds role_id null; both routes that read it answer 200,
        // from the upstream and then from the cache.
        for (reader, prefix) in [(Camel, ""), (Envelope, "/e2s")] {
            for round in ["miss", "hit"] {
                let get = request(&stack, reader, prefix, Method::GET)
                    .send()
                    .await
                    .expect("GET");
                assert_eq!(get.status(), 200, "{reader} {round}");
                let doc: Value = get.json().await.expect("json");
                match reader {
                    Camel => assert_eq!(doc["roles"], serde_json::json!([]), "{doc}"),
                    _ => assert!(doc["data"].get("role").is_none(), "{doc}"),
                }
            }
        }
    });
    rt.block_on(stack.stop());
}

#[test]
fn generated_valid_puts_and_the_gets_after_them_never_get_a_5xx_in_any_direction() {
    let (rt, stack) = six_directions();
    for dir in DIRECTIONS {
        let (client_style, upstream, prefix) = (dir.client, dir.backend, dir.prefix);
        let name = client_style.as_str();
        let request_schema = schema(name, "request");
        let hints = Hints::for_style(&root().join("rules"), &format!("{name}.toml"), "request");
        let strategy = from_schema(&request_schema, &request_schema, &hints);
        // The routes that read the backend this direction writes to.
        let readers: Vec<_> = DIRECTIONS
            .iter()
            .filter(|d| d.backend == upstream)
            .collect();
        let mut runner = TestRunner::new(Config {
            cases: cases(),
            failure_persistence: None,
            max_shrink_iters: 32,
            ..Config::default()
        });
        let result = runner.run(&strategy, |body| {
            rt.block_on(async {
                let put = request(&stack, client_style, prefix, Method::PUT)
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| TestCaseError::fail(format!("PUT: {e}")))?;
                let status = put.status().as_u16();
                let text = put.text().await.unwrap_or_default();
                if status >= 500 {
                    return Err(TestCaseError::fail(format!(
                        "{client_style}->{upstream}: PUT {body} answered {status}: {text}"
                    )));
                }
                for reader in &readers {
                    for round in 0..2 {
                        let get = request(&stack, reader.client, reader.prefix, Method::GET)
                            .send()
                        .await
                        .map_err(|e| TestCaseError::fail(format!("GET: {e}")))?;
                        let code = get.status().as_u16();
                        let text = get.text().await.unwrap_or_default();
                        if code != 200 {
                            return Err(TestCaseError::fail(format!(
                                "after {client_style}->{upstream} PUT {body} ({status}), GET #{round} as {} answered {code}: {text}",
                                reader.client
                            )));
                        }
                    }
                }
                Ok(())
            })
        });
        if let Err(e) = result {
            panic!("{client_style}->{upstream}: {e}");
        }
    }
    rt.block_on(stack.stop());
}
