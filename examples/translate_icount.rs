//! The translation a gateway cache miss does, alone, N times: an upstream camel user (bytes)
//! → parsed, checked against camel's response schema, read into the canonical user → the
//! envelope view (checked against envelope's `$defs/user`) → the success document as bytes.
//! `benches/icount.sh` runs it under callgrind with N and 0 and divides the difference by N,
//! giving issue 11's "translation itself" figure.
//!
//!   cargo run --release --example translate_icount -- 1000

use dragoman::translate::{Method, RuleSet};
use std::hint::black_box;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const UPSTREAM: &[u8] = include_bytes!("../tests/fixtures/seeds/camel-put-response.json");

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let rules = RuleSet::builtin().expect("the built-in rules load");
    let camel = rules.style_id("camel").expect("camel");
    let envelope = rules.style_id("envelope").expect("envelope");
    let compact =
        serde_json::to_vec(&serde_json::from_slice::<serde_json::Value>(UPSTREAM).expect("json"))
            .expect("serialize");
    for why in rules.unplanned() {
        eprintln!("no plan: {why}");
    }
    let planned = rules.read_response_planned(camel, &compact).is_some()
        && rules
            .read_response_planned(camel, &compact)
            .and_then(|u| rules.view_planned(Some(camel), envelope, &u))
            .is_some();
    eprintln!("planned: {planned}");
    let mut total = 0;
    for _ in 0..n {
        let user = rules
            .read_response_bytes(camel, black_box(&compact))
            .expect("reads");
        let view = rules
            .view_from(Some(camel), envelope, &user)
            .expect("renders");
        let body = rules.write_response(
            envelope,
            &view,
            Method::Get,
            "req-1",
            "2026-12-01T00:00:00Z",
        );
        total += body.len();
    }
    println!("{n} translations, {total} bytes");
}
