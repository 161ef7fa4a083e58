//! What translation adds to a request, on the seed documents (tests/fixtures/seeds/).
//!
//! For each of the six style directions a→b:
//! - `request/a->b`: the `a` PUT seed body → `b` (`translate_owned_request` with `drop_all`,
//!   so fields `b` cannot hold are dropped instead of refused). `value` starts from a parsed
//!   document; `bytes` is what the gateway does: bytes → parse → translate (both schemas
//!   checked) → serialize.
//! - `response/a->b`: the `a` seed response → a `b` success document: `value` is
//!   `read_owned_response` (upstream schema) + `view` (client schema); `bytes` adds parsing
//!   and `write_response`, as on a gateway cache miss.
//!
//! - `hit/<style>`: a cache hit for a client of `<style>` (camel upstream): the moka lookup of
//!   the entry, its memoized view, and the success document written as bytes around it — all
//!   the body work a hit does.
//!
//! Baselines: `floor/<seed>` is serde_json parse + serialize of the same bytes (the least any
//! JSON-rewriting proxy pays), and `validate/<style>` is the request schema check alone.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use dragoman::cache::{CacheKey, CacheStatus, Fetched, UpstreamShape, UserCache};
use dragoman::translate::{Method, RuleSet, StyleId, WritePolicy};
use serde_json::Value;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The allocator the `dragoman` binary runs with, so costs and the floor match the gateway's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const STYLES: [&str; 3] = ["envelope", "camel", "snake"];

/// The UUID the envelope GET seed's id is replaced with, so it fits the UUID styles.
const UUID_ID: &str = "user_3c90c3cc-0d44-4b50-8888-8dd25736052a";

struct Seed {
    name: &'static str,
    bytes: Vec<u8>,
    value: Value,
}

fn load(name: &'static str) -> Seed {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "seeds",
        name,
    ]
    .iter()
    .collect::<PathBuf>()
    .with_extension("json");
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut value: Value = serde_json::from_slice(&text).expect("a seed is JSON");
    if name == "envelope-get-response" {
        value["data"]["id"] = Value::String(UUID_ID.to_owned());
    }
    // Compact bytes, as a client or backend would send them.
    let bytes = serde_json::to_vec(&value).expect("serialize");
    Seed { name, bytes, value }
}

fn request_seed(style: &str) -> &'static str {
    match style {
        "envelope" => "envelope-put-request",
        "camel" => "camel-put-request",
        "snake" => "snake-put-request",
        other => panic!("no request seed for {other}"),
    }
}

fn response_seed(style: &str) -> &'static str {
    match style {
        "envelope" => "envelope-get-response",
        "camel" => "camel-put-response",
        "snake" => "snake-put-response",
        other => panic!("no response seed for {other}"),
    }
}

const REQUEST_ID: &str = "req_0123456789abcdef0123456789abcdef";
const TIMESTAMP: &str = "2024-01-20T09:15:00Z";

/// What the gateway does with an upstream body on a cache miss: parse, validate and read it
/// (moving values), render and validate the client's view, write the wrapper as bytes.
fn response_bytes(rules: &RuleSet, from: StyleId, to: StyleId, input: &[u8]) -> Vec<u8> {
    let doc: Value = serde_json::from_slice(input).expect("parse");
    let canon = rules.read_owned_response(from, doc).expect("read");
    let view = rules.view(to, &canon).expect("render");
    rules.write_response(to, &view, Method::Get, REQUEST_ID, TIMESTAMP)
}

fn benches(c: &mut Criterion) {
    let rules = RuleSet::builtin().expect("the built-in rules load");
    let id = |name: &str| rules.style_id(name).expect("a shipped style");
    let policy = WritePolicy {
        drop: Vec::new(),
        drop_all: true,
    };

    for from in STYLES {
        for to in STYLES {
            if from == to {
                continue;
            }
            let (a, b) = (id(from), id(to));

            let seed = load(request_seed(from));
            rules
                .translate_request(a, b, &seed.value, &policy)
                .unwrap_or_else(|e| panic!("request {from}->{to}: {e}"));
            let mut g = c.benchmark_group(format!("request/{from}->{to}"));
            g.throughput(Throughput::Bytes(seed.bytes.len() as u64));
            g.bench_function("value", |bench| {
                bench.iter_batched(
                    || seed.value.clone(),
                    |doc| {
                        rules
                            .translate_owned_request(a, b, doc, &policy)
                            .expect("translate")
                    },
                    BatchSize::SmallInput,
                )
            });
            g.bench_function("bytes", |bench| {
                bench.iter(|| {
                    let doc: Value = serde_json::from_slice(black_box(&seed.bytes)).expect("parse");
                    let out = rules
                        .translate_owned_request(a, b, doc, &policy)
                        .expect("translate");
                    serde_json::to_vec(&out.body).expect("serialize")
                })
            });
            g.finish();

            let seed = load(response_seed(from));
            response_bytes(&rules, a, b, &seed.bytes);
            let mut g = c.benchmark_group(format!("response/{from}->{to}"));
            g.throughput(Throughput::Bytes(seed.bytes.len() as u64));
            g.bench_function("value", |bench| {
                bench.iter_batched(
                    || seed.value.clone(),
                    |doc| {
                        let canon = rules.read_owned_response(a, doc).expect("read");
                        rules.view(b, &canon).expect("render")
                    },
                    BatchSize::SmallInput,
                )
            });
            g.bench_function("bytes", |bench| {
                bench.iter(|| response_bytes(&rules, a, b, black_box(&seed.bytes)))
            });
            g.finish();
        }
    }

    let mut seeds: Vec<&'static str> = STYLES.iter().map(|s| request_seed(s)).collect();
    seeds.extend(STYLES.iter().map(|s| response_seed(s)));
    for name in seeds {
        let seed = load(name);
        let mut g = c.benchmark_group(format!("floor/{}", seed.name));
        g.throughput(Throughput::Bytes(seed.bytes.len() as u64));
        g.bench_function("parse+serialize", |bench| {
            bench.iter(|| {
                let doc: Value = serde_json::from_slice(black_box(&seed.bytes)).expect("parse");
                serde_json::to_vec(&doc).expect("serialize")
            })
        });
        g.finish();
    }

    cache_hits(c, &rules);

    for style in STYLES {
        let seed = load(request_seed(style));
        let schema = &rules.style(id(style)).schemas.request;
        assert!(
            schema.is_valid(&seed.value),
            "{style} request seed is valid"
        );
        let mut g = c.benchmark_group(format!("validate/{style}"));
        g.bench_function("request-schema", |bench| {
            bench.iter(|| schema.is_valid(black_box(&seed.value)))
        });
        g.finish();
    }
}

/// A cache hit, per client style: one camel user cached as the gateway caches it.
fn cache_hits(c: &mut Criterion, rules: &RuleSet) {
    let camel = rules.style_id("camel").expect("camel");
    let seed = load(response_seed("camel"));
    let user = Arc::new(
        rules
            .read_owned_response(camel, seed.value.clone())
            .expect("read"),
    );
    let shape = UpstreamShape {
        partitioned: false,
        client_styles: STYLES.len(),
    };
    let cache = UserCache::new(64 << 20, vec![shape], STYLES.len());
    let key = CacheKey {
        upstream: 0,
        id: Arc::from("3c90c3cc-0d44-4b50-8888-8dd25736052a"),
        partition: 0,
    };
    let ttl = Duration::from_secs(3600);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // The first lookup fills the entry; the benchmark then only ever hits it.
    let fill = async {
        Ok::<_, ()>(Fetched {
            user: user.clone(),
            view: None,
            storable_for: Some(ttl),
        })
    };
    runtime
        .block_on(cache.get_or_fetch(key.clone(), ttl, fill))
        .map_err(|_| "fill")
        .expect("the entry is stored");
    for style in STYLES {
        let client = rules.style_id(style).expect("a shipped style");
        let hit = || async {
            let never = async { Err::<Fetched, ()>(()) };
            let (entry, status) = cache
                .get_or_fetch(key.clone(), ttl, never)
                .await
                .map_err(|_| "miss")
                .expect("a hit");
            assert_eq!(status, CacheStatus::Hit);
            let view = entry
                .view(client.index(), |u| rules.view(client, u))
                .expect("view");
            rules.write_response(client, &view, Method::Get, REQUEST_ID, TIMESTAMP)
        };
        let mut g = c.benchmark_group(format!("hit/{style}"));
        g.bench_function("lookup+view+write", |bench| {
            bench.iter(|| runtime.block_on(hit()))
        });
        g.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(40)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = translate;
    config = config();
    targets = benches
}
criterion_main!(translate);
