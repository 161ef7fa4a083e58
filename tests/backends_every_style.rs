//! What every reference backend style shares, driven over real loopback sockets: all three
//! seeded users, the request counter behind `/__stats`, the one-mebibyte body limit, a
//! connection that stays usable after a rejected PUT, consistent concurrent writes, shutdown,
//! and the style names and start-up checks.

mod common;

use common::backends::{Api, JOHN};
use dragoman::backends::{Backend, BackendStyle};
use reqwest::Method;
use serde_json::json;

// Every body a reference backend sends is JSON, or empty.
use common::http::send_json as send;

#[tokio::test]
async fn every_style_serves_all_three_seed_users_with_valid_documents() {
    for style in BackendStyle::ALL {
        let api = Api::start(style).await;
        for index in 0..3 {
            api.get(&api.seeded(index)).await.assert_ok(style);
        }
    }
}

#[tokio::test]
async fn stats_count_every_user_api_request_whatever_its_outcome_and_nothing_else() {
    for style in BackendStyle::ALL {
        let api = Api::start(style).await;
        assert_eq!(api.stats().await, 0, "{style}");
        api.get(&api.seeded(JOHN)).await; // 200
        send(api.anonymous(Method::GET, &api.seeded(JOHN))).await; // 401
        api.get(&api.path_of_unknown()).await; // 404
        send(api.authed(Method::DELETE, &api.seeded(JOHN))).await; // 405
        api.get(&format!("{}/a/b", api.prefix())).await; // 404 under the user path
        api.get("/elsewhere").await; // not the user API
        api.stats().await; // not counted either
        assert_eq!(api.stats().await, 5, "{style}");
        assert_eq!(api.backend.stats(), 5, "{style}");
    }
}

#[tokio::test]
async fn every_style_refuses_a_body_over_one_mebibyte_with_413() {
    let big = format!("{{\"padding\": \"{}\"}}", "x".repeat(1024 * 1024));
    for style in BackendStyle::ALL {
        let api = Api::start(style).await;
        let reply = send(
            api.authed(Method::PUT, &api.seeded(JOHN))
                .header("content-type", "application/json")
                .body(big.clone()),
        )
        .await;
        reply.assert_error(style, 413);
        // The connection is still usable for the next request.
        api.get(&api.seeded(JOHN)).await.assert_ok(style);
    }
}

#[tokio::test]
async fn a_rejected_put_with_an_unread_body_keeps_the_connection_open_for_the_next_request() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let api = Api::start(BackendStyle::Envelope).await;
    let path = api.seeded(JOHN);
    let body = format!(
        "{{\"metadata\": {{\"notes\": \"{}\"}}}}",
        "x".repeat(300_000)
    );
    let rejected = format!(
        "PUT {path} HTTP/1.1\r\nHost: backend\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let next = format!(
        "GET {path} HTTP/1.1\r\nHost: backend\r\nAuthorization: Bearer {}\r\n\
         Connection: close\r\n\r\n",
        api.style.demo_credential()
    );
    let mut stream = tokio::net::TcpStream::connect(api.backend.addr())
        .await
        .expect("connect");
    stream
        .write_all(format!("{rejected}{next}").as_bytes())
        .await
        .expect("write both requests");
    let mut answer = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_string(&mut answer),
    )
    .await
    .expect("both answers arrive")
    .expect("read");
    // Bodies end without a newline, so status lines are found anywhere, not per line.
    let statuses: Vec<&str> = answer
        .match_indices("HTTP/1.1 ")
        .map(|(at, _)| &answer[at..at + 12])
        .collect();
    assert_eq!(statuses, ["HTTP/1.1 401", "HTTP/1.1 200"], "{answer:.600}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_concurrent_puts_all_succeed_and_leave_a_consistent_document() {
    for style in BackendStyle::ALL {
        let api = std::sync::Arc::new(Api::start(style).await);
        // Each writer sets two fields to values carrying its number; a torn write would leave
        // them with different numbers.
        let (first, second) = match style {
            BackendStyle::Envelope => ("department", "company"),
            BackendStyle::Camel => ("firstName", "lastName"),
            BackendStyle::Snake => ("state", "country"),
        };
        let mut writers = tokio::task::JoinSet::new();
        for n in 0..16 {
            let api = api.clone();
            writers.spawn(async move {
                let body = json!({ first: format!("v{n}"), second: format!("v{n}") });
                api.put(&api.seeded(JOHN), &body).await.status
            });
        }
        while let Some(status) = writers.join_next().await {
            assert_eq!(status.expect("writer task"), 200, "{style}");
        }
        let reply = api.get(&api.seeded(JOHN)).await;
        let body = reply.assert_ok(style);
        let user = if style == BackendStyle::Camel {
            body
        } else {
            &body["data"]
        };
        assert!(
            user[first].as_str().is_some_and(|v| v.starts_with('v')),
            "{style}"
        );
        assert_eq!(user[first], user[second], "{style}: a write was torn");
        assert_eq!(api.backend.stats(), 17, "{style}");
    }
}

#[tokio::test]
async fn shutdown_stops_accepting_connections() {
    let api = Api::start(BackendStyle::Envelope).await;
    let addr = api.backend.addr();
    api.get(&api.seeded(JOHN)).await.assert_ok(api.style);
    api.backend.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn styles_parse_from_and_display_as_their_names() {
    for style in BackendStyle::ALL {
        assert_eq!(style.to_string().parse::<BackendStyle>().ok(), Some(style));
    }
    assert!("kebab".parse::<BackendStyle>().is_err());
    assert_eq!(
        BackendStyle::Envelope.demo_credential(),
        "demo-envelope-backend"
    );
    assert_eq!(BackendStyle::Camel.demo_credential(), "demo-camel-backend");
    assert_eq!(
        BackendStyle::Snake.demo_credential(),
        "in-demo-snake-backend"
    );
}

#[tokio::test]
async fn a_snake_backend_refuses_to_start_with_a_key_no_client_could_present() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let started = Backend::start(BackendStyle::Snake, listener, "no-prefix".to_owned()).await;
    assert!(started.is_err());
}
