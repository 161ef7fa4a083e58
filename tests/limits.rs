//! The configured limits: header size (431), body size (413, refused before the body is
//! read), body time (408), `Expect: 100-continue`, and the keep-alive idle timeout.

mod common;

use common::*;
use dragoman::backends::BackendStyle;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A stack whose `[gateway]` table also holds `limits` (TOML lines).
async fn stack_with_limits(limits: &str) -> Stack {
    let envelope = start_backend(BackendStyle::Envelope).await;
    let camel = start_backend(BackendStyle::Camel).await;
    let snake = start_backend(BackendStyle::Snake).await;
    let (port, admin) = (free_port(), free_port());
    let text = stack_config(&envelope, &camel, &snake, port, admin, 30, "").replace(
        "grace_period_secs = 2\n",
        &format!("grace_period_secs = 2\n{limits}\n"),
    );
    start_gateway_with(envelope, camel, snake, text, port, admin).await
}

fn port_of(stack: &Stack) -> u16 {
    stack.base.rsplit(':').next().unwrap().parse().unwrap()
}

/// Reads until the peer closes or `within` passes; returns what arrived.
async fn read_all(sock: &mut TcpStream, within: Duration) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        match tokio::time::timeout(deadline - Instant::now(), sock.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_over_the_limit_are_a_431_in_the_clients_style() {
    let stack = stack_with_limits("max_header_bytes = 4096").await;
    let r = client()
        .get(stack.url(&format!("/api/users/{JOHN}")))
        .bearer_auth("in-demo-admin")
        .header("x-filler", "a".repeat(6000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 431);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], 431);
    assert_eq!(stack.camel.stats() + stack.snake.stats(), 0);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_body_over_the_limit_is_refused_before_it_is_sent() {
    let stack = stack_with_limits("max_body_bytes = 100").await;
    let mut sock = TcpStream::connect(("127.0.0.1", port_of(&stack)))
        .await
        .unwrap();
    let head = format!(
        "PUT /v1/users/user_{JOHN} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer in-demo-admin\r\n\
         Content-Type: application/json\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let answer = read_all(&mut sock, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        !answer.contains("100 Continue"),
        "no 100 Continue for a body that will be refused: {answer}"
    );
    assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
    assert_eq!(stack.camel.stats(), 0);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_100_continue_is_answered_and_the_body_then_translated() {
    let stack = stack_with_limits("").await;
    let mut sock = TcpStream::connect(("127.0.0.1", port_of(&stack)))
        .await
        .unwrap();
    let body = r#"{"name":"John Doe","status":"active"}"#;
    let head = format!(
        "PUT /v1/users/user_{JOHN} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer in-demo-admin\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let mut buf = [0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(3), sock.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let interim = String::from_utf8_lossy(&buf[..n]);
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");
    sock.write_all(body.as_bytes()).await.unwrap();
    let answer = read_all(&mut sock, Duration::from_millis(1500)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""name":"John Doe""#), "{answer}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_100_continue_with_a_wrong_media_type_gets_415_without_continue() {
    let stack = stack_with_limits("").await;
    let mut sock = TcpStream::connect(("127.0.0.1", port_of(&stack)))
        .await
        .unwrap();
    let head = format!(
        "PUT /api/users/{JOHN} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer in-demo-admin\r\n\
         Content-Type: text/plain\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let answer = read_all(&mut sock, Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 415"), "{answer}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_does_not_arrive_in_time_is_a_408_and_never_reaches_the_upstream() {
    let stack = stack_with_limits("request_timeout_ms = 300").await;
    let mut sock = TcpStream::connect(("127.0.0.1", port_of(&stack)))
        .await
        .unwrap();
    let head = format!(
        "PUT /api/v1/user/{JOHN}?api_key=in-demo-admin HTTP/1.1\r\nHost: x\r\n\
         Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{{\"first_name\":"
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let answer = read_all(&mut sock, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains(r#"{"detail":"Request timed out"}"#),
        "{answer}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stack.envelope.stats(), 0);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_configured_time() {
    let stack = stack_with_limits("keepalive_timeout_secs = 1").await;
    let mut sock = TcpStream::connect(("127.0.0.1", port_of(&stack)))
        .await
        .unwrap();
    let req = format!(
        "GET /api/users/{JOHN} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer in-demo-admin\r\n\r\n"
    );
    sock.write_all(req.as_bytes()).await.unwrap();
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(3), sock.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let started = Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(4), sock.read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "closed by the gateway: {closed:?}"
    );
    let idle = started.elapsed();
    assert!(
        idle >= Duration::from_millis(800) && idle < Duration::from_secs(3),
        "{idle:?}"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_trickled_past_the_header_deadline_gets_408_and_is_closed() {
    let stack = stack_with_limits("header_timeout_ms = 400").await;
    let mut sock = TcpStream::connect(("127.0.0.1", port_of(&stack)))
        .await
        .unwrap();
    let started = Instant::now();
    sock.write_all(format!("GET /api/users/{JOHN} HTTP/1.1\r\nHost: x\r\n").as_bytes())
        .await
        .unwrap();
    // One more header byte every 100 ms: each read is quick, the head never completes.
    let mut answer = String::new();
    for _ in 0..30 {
        if sock.write_all(b"X").await.is_err() {
            break;
        }
        let got = read_all(&mut sock, Duration::from_millis(100)).await;
        if !got.is_empty() {
            answer = got;
            break;
        }
    }
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stack.camel.stats() + stack.snake.stats(), 0);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_deadline() {
    let stack = stack_with_limits("header_timeout_ms = 300").await;
    let mut sock = TcpStream::connect(("127.0.0.1", port_of(&stack)))
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 64];
    let closed = tokio::time::timeout(Duration::from_secs(3), sock.read(&mut buf)).await;
    assert!(matches!(closed, Ok(Ok(0)) | Ok(Err(_))), "{closed:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_sent_in_pieces_within_the_deadline_is_served() {
    let stack = stack_with_limits("header_timeout_ms = 2000").await;
    let mut sock = TcpStream::connect(("127.0.0.1", port_of(&stack)))
        .await
        .unwrap();
    let head = format!(
        "GET /api/users/{JOHN} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer in-demo-admin\r\n\r\n"
    );
    for piece in head.as_bytes().chunks(7) {
        sock.write_all(piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let answer = read_all(&mut sock, Duration::from_millis(1500)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    stack.stop().await;
}
