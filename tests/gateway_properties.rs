//! The translation properties through a running gateway: bodies generated from each client
//! style's request schema (tests/common/gen.rs) are PUT through all six directions of a real
//! gateway over the real reference backends, each followed by GETs through every route that
//! reads the same backend (cached and not). No answer is ever a 5xx: a valid write is
//! carried or refused with a 4xx in the client's style, and whatever it left in the backend
//! stays readable from every style. Bounded: a few dozen cases per direction on loopback.

mod common;

use common::gen::{from_schema, Hints};
use common::*;
use dragoman::backends::BackendStyle::{self, Camel, Envelope, Snake};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::Value;
use std::path::PathBuf;

const ADMIN: &str = "in-demo-admin";

/// Every ordered pair of distinct styles, with the route prefix serving it. The stack's
/// three unprefixed routes are the demo's; the other three are added here.
const DIRECTIONS: [(BackendStyle, BackendStyle, &str); 6] = [
    (Envelope, Camel, ""),
    (Camel, Snake, ""),
    (Snake, Envelope, ""),
    (Envelope, Snake, "/e2s"),
    (Camel, Envelope, "/c2e"),
    (Snake, Camel, "/s2c"),
];

fn upstream_name(style: BackendStyle) -> String {
    format!("{style}-backend")
}

fn path(client: BackendStyle, prefix: &str) -> String {
    match client {
        Envelope => format!("{prefix}/v1/users/user_{JOHN}"),
        Camel => format!("{prefix}/api/users/{JOHN}"),
        Snake => format!("{prefix}/api/v1/user/{JOHN}?api_key={ADMIN}"),
    }
}

fn request(
    http: &reqwest::Client,
    base: &str,
    client: BackendStyle,
    prefix: &str,
    method: reqwest::Method,
) -> reqwest::RequestBuilder {
    let rb = http.request(method, format!("{base}{}", path(client, prefix)));
    match client {
        Snake => rb,
        _ => rb.bearer_auth(ADMIN),
    }
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
    let extra: String = DIRECTIONS
        .iter()
        .filter(|(_, _, prefix)| !prefix.is_empty())
        .map(|(client, up, prefix)| {
            format!(
                "\n[[routes]]\nstyle = \"{client}\"\nupstream = \"{}\"\nprefix = \"{prefix}\"\n",
                upstream_name(*up)
            )
        })
        .collect();
    let stack = rt.block_on(start_stack(30, &extra));
    (rt, stack)
}

#[test]
fn a_camel_client_clearing_roles_leaves_the_user_readable_from_every_style() {
    let (rt, stack) = six_directions();
    let http = client();
    rt.block_on(async {
        let put = request(&http, &stack.base, Camel, "", reqwest::Method::PUT)
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
                let get = request(&http, &stack.base, reader, prefix, reqwest::Method::GET)
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
    let http = client();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for (client_style, upstream, prefix) in DIRECTIONS {
        let name = client_style.as_str();
        let schema: Value = serde_json::from_str(
            &std::fs::read_to_string(root.join(format!("schemas/{name}/request.json")))
                .expect("request schema"),
        )
        .expect("schema json");
        let hints = Hints::for_style(&root.join("rules"), &format!("{name}.toml"), "request");
        let strategy = from_schema(&schema, &schema, &hints);
        // The routes that read the backend this direction writes to.
        let readers: Vec<_> = DIRECTIONS
            .iter()
            .filter(|(_, up, _)| *up == upstream)
            .collect();
        let mut runner = TestRunner::new(Config {
            cases: cases(),
            failure_persistence: None,
            max_shrink_iters: 32,
            ..Config::default()
        });
        let result = runner.run(&strategy, |body| {
            rt.block_on(async {
                let put = request(&http, &stack.base, client_style, prefix, reqwest::Method::PUT)
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
                for (reader, _, reader_prefix) in &readers {
                    for round in 0..2 {
                        let get = request(
                            &http,
                            &stack.base,
                            *reader,
                            reader_prefix,
                            reqwest::Method::GET,
                        )
                        .send()
                        .await
                        .map_err(|e| TestCaseError::fail(format!("GET: {e}")))?;
                        let code = get.status().as_u16();
                        let text = get.text().await.unwrap_or_default();
                        if code != 200 {
                            return Err(TestCaseError::fail(format!(
                                "after {client_style}->{upstream} PUT {body} ({status}), GET #{round} as {reader} answered {code}: {text}"
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
