//! The gateway end to end, the upstream rows of DESIGN.md's error table in each client style:
//! an unreachable upstream (502), one slower than its timeout (504), one answering garbage
//! (502, keeping the upstream's detail out) and one answering about another user (502, never
//! cached). Stand-in upstreams (`common::fake`) play the misbehaving backends.
//!
//! The three reference backends and a gateway on loopback, driven over real HTTP (reqwest, and
//! raw TCP where framing matters). The contract is DESIGN.md. Checks collect their problems per
//! case and fail once at the end, naming every failed case, so that one bad direction or style
//! does not hide the others (`common::problems`).

mod common;

use std::time::{Duration, Instant};

use common::demo::*;
use common::fake::*;
use common::http::send;
use common::problems::*;
use common::*;
use dragoman::backends::BackendStyle::{self, Camel, Envelope};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_is_a_502_in_the_clients_style() {
    let dead = free_port();
    let mut extra = upstream_config("dead", Camel, dead, 300);
    for style in BackendStyle::ALL {
        extra.push_str(&route_config(style, "dead", "/dead"));
    }
    let stack = start_stack(30, &extra).await;
    let mut cases = Vec::new();
    for style in BackendStyle::ALL {
        let path = user_path(style, "/dead", JOHN);
        cases.push(err_case(
            "GET",
            style,
            gateway(&stack, style, Method::GET, &path, Some(ADMIN)),
            502,
        ));
        cases.push(err_case(
            "PUT",
            style,
            gateway(&stack, style, Method::PUT, &path, Some(ADMIN)).json(&harmless_put(style)),
            502,
        ));
    }
    let mut p = run_error_cases(cases).await;
    for style in BackendStyle::ALL {
        let r = send(gateway(
            &stack,
            style,
            Method::GET,
            &user_path(style, "/dead", JOHN),
            Some(ADMIN),
        ))
        .await;
        p.check(
            &format!("{style}: GET"),
            !r.text.contains(&dead.to_string()),
            format!("the upstream's address is in the body: {}", r.text),
        );
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_slower_than_its_timeout_is_a_504_in_the_clients_style() {
    let silent = FakeUpstream::start(None).await;
    // A short connect timeout too: the gateway's deadline covers connect and answer.
    let mut extra = silent.upstream_config("silent", Camel) + "connect_timeout_ms = 100\n";
    for style in BackendStyle::ALL {
        extra.push_str(&route_config(style, "silent", "/slow"));
    }
    let stack = start_stack(30, &extra).await;
    let mut cases = Vec::new();
    for style in BackendStyle::ALL {
        let path = user_path(style, "/slow", JOHN);
        cases.push(err_case(
            "GET",
            style,
            gateway(&stack, style, Method::GET, &path, Some(ADMIN)),
            504,
        ));
        cases.push(err_case(
            "PUT",
            style,
            gateway(&stack, style, Method::PUT, &path, Some(ADMIN)).json(&harmless_put(style)),
            504,
        ));
    }
    let started = Instant::now();
    let mut p = run_error_cases(cases).await;
    // Six requests at a 100 + 300 ms budget are well under 5 s.
    p.check(
        "timing",
        started.elapsed() < Duration::from_secs(5),
        format!("took {:?}", started.elapsed()),
    );
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_upstream_is_given_up_once_its_timeout_has_passed_after_connecting() {
    // Loopback connects at once, so the 504 is due about timeout_ms after the request was sent.
    let silent = FakeUpstream::start(None).await;
    let mut extra = silent.upstream_config("silent", Camel);
    extra.push_str(&route_config(Envelope, "silent", "/slow"));
    let stack = start_stack(0, &extra).await;
    let mut p = Problems::default();
    for method in [Method::GET, Method::PUT] {
        let case = format!("{method} with timeout_ms = 300");
        let started = Instant::now();
        let r = send(
            gateway(
                &stack,
                Envelope,
                method,
                &user_path(Envelope, "/slow", JOHN),
                Some(ADMIN),
            )
            .json(&json!({})),
        )
        .await;
        let took = started.elapsed();
        p.check(&case, r.status == 504, format!("status {}", r.status));
        p.check(
            &case,
            took < Duration::from_millis(800),
            format!("the 504 came after {took:?}"),
        );
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_answering_garbage_is_a_502_that_keeps_the_upstreams_detail_out() {
    const LEAK: &str = "db-password-hunter2";
    let john = json!({"id": JOHN, "email": "john.doe@company.com", "firstName": "John", "lastName": "Doe", "status": LEAK});
    let answers = [
        ("invalid JSON", http_answer("200 OK", "application/json", &format!("{{\"id\": \"{LEAK}"))),
        ("a 200 failing the camel schema", http_answer("200 OK", "application/json", &john.to_string())),
        ("a 200 without required fields", http_answer("200 OK", "application/json", &json!({"note": LEAK}).to_string())),
        ("a 200 in text/html", http_answer("200 OK", "text/html", &format!("<p>{LEAK}</p>"))),
        ("no answer at all", String::new()),
        (
            "a 401 for the gateway's own credential",
            http_answer("401 Unauthorized", "application/problem+json", &json!({"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": LEAK}).to_string()),
        ),
        (
            "a 403 for the gateway's own credential",
            http_answer("403 Forbidden", "application/problem+json", &json!({"type": "about:blank", "title": "Forbidden", "status": 403, "detail": LEAK}).to_string()),
        ),
        (
            "a 500 with a detail",
            http_answer("500 Internal Server Error", "application/problem+json", &json!({"type": "about:blank", "title": "Internal Server Error", "status": 500, "detail": LEAK}).to_string()),
        ),
    ];
    let mut fakes = Vec::new();
    let mut extra = String::new();
    for (i, (_, answer)) in answers.iter().enumerate() {
        let fake = FakeUpstream::start(Some(answer.clone())).await;
        extra.push_str(&fake.upstream_config(&format!("garbage{i}"), Camel));
        for style in BackendStyle::ALL {
            extra.push_str(&route_config(
                style,
                &format!("garbage{i}"),
                &format!("/garbage{i}"),
            ));
        }
        fakes.push(fake);
    }
    let stack = start_stack(0, &extra).await;
    let mut p = Problems::default();
    for (i, (what, _)) in answers.iter().enumerate() {
        for style in BackendStyle::ALL {
            let path = user_path(style, &format!("/garbage{i}"), JOHN);
            for (method, rq) in [
                (
                    "GET",
                    gateway(&stack, style, Method::GET, &path, Some(ADMIN)),
                ),
                (
                    "PUT",
                    gateway(&stack, style, Method::PUT, &path, Some(ADMIN))
                        .json(&harmless_put(style)),
                ),
            ] {
                let case = format!("{style}: {method} answered with {what}");
                let r = send(rq).await;
                check_error(&mut p, &case, style, &r, 502, None);
                p.check(
                    &case,
                    !r.text.contains(LEAK),
                    format!("the upstream's detail reached the client: {}", r.text),
                );
            }
        }
        p.check(
            what,
            !fakes[i].requests().is_empty(),
            "the fake upstream was never called",
        );
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_answer_about_another_user_is_a_502_in_every_style_and_never_cached() {
    const OTHER: &str = "11111111-2222-4333-8444-555555555555";
    let other = json!({"id": OTHER, "email": "someone.else@company.com", "firstName": "Some", "lastName": "One", "status": "active"});
    let fake = FakeUpstream::start(Some(http_answer(
        "200 OK",
        "application/json",
        &other.to_string(),
    )))
    .await;
    let mut extra = fake.upstream_config("liar", Camel);
    for style in BackendStyle::ALL {
        extra.push_str(&route_config(style, "liar", "/liar"));
    }
    let stack = start_stack(30, &extra).await;
    let mut p = Problems::default();
    for style in BackendStyle::ALL {
        let path = user_path(style, "/liar", JOHN);
        for round in 0..2 {
            let case = format!("{style}: GET #{round} answered about {OTHER}");
            let r = send(gateway(&stack, style, Method::GET, &path, Some(ADMIN))).await;
            check_error(&mut p, &case, style, &r, 502, None);
            p.check(
                &case,
                !r.text.contains("someone.else"),
                format!("the other user reached the client: {}", r.text),
            );
        }
        let case = format!("{style}: PUT answered about {OTHER}");
        let r = send(
            gateway(&stack, style, Method::PUT, &path, Some(ADMIN)).json(&harmless_put(style)),
        )
        .await;
        check_error(&mut p, &case, style, &r, 502, None);
    }
    // Every GET reached the upstream: none of the wrong answers was cached.
    let gets = fake
        .requests()
        .iter()
        .filter(|r| r.starts_with("GET "))
        .count();
    p.check(
        "cache",
        gets == 2 * BackendStyle::ALL.len(),
        format!("{gets} GETs reached the upstream"),
    );
    p.done();
    stack.stop().await;
}
