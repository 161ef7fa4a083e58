//! The gateway's kept-alive upstream connections (src/proxy/upstream.rs, `idle`): reused
//! while the upstream keeps them open, never trusted once the upstream closed one or sent
//! bytes nobody asked for. A stand-in upstream that speaks HTTP/1.1 keep-alive counts the
//! connections it was opened.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::demo::*;
use common::fake::{envelope_john_body, read_request, upstream_config};
use common::http::send;
use common::*;
use dragoman::backends::BackendStyle::{Envelope, Snake};
use reqwest::Method;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

#[derive(Clone, Copy, PartialEq)]
enum After {
    /// Wait for the next request on the connection.
    KeepOpen,
    /// Close the connection without saying so in the answer.
    Close,
    /// Send another, unrequested answer on the connection a little later, then wait.
    StrayAnswer,
}

/// John as an envelope backend answers GET, named `name`, kept alive (no `Connection: close`).
fn john(name: &str) -> String {
    let body = envelope_john_body(name);
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

struct KeepAliveUpstream {
    port: u16,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for KeepAliveUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl KeepAliveUpstream {
    /// Bounded: 64 connections, 16 requests each.
    async fn start(after: After) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        let task = tokio::spawn(async move {
            for _ in 0..64 {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    for _ in 0..16 {
                        if read_request(&mut sock).await.is_none() {
                            return;
                        }
                        if sock.write_all(john("John Doe").as_bytes()).await.is_err() {
                            return;
                        }
                        match after {
                            After::KeepOpen => {}
                            After::Close => return,
                            After::StrayAnswer => {
                                // Later, so it arrives on the idle connection, not with the
                                // answer (pingora refuses to reuse a connection it read too
                                // much from).
                                tokio::time::sleep(Duration::from_millis(30)).await;
                                let _ = sock.write_all(john("Stray Answer").as_bytes()).await;
                            }
                        }
                    }
                });
            }
        });
        Self {
            port,
            connections,
            task,
        }
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// A gateway whose snake clients at `/ka` reach `upstream` (an envelope backend), uncached.
async fn stack_for(upstream: &KeepAliveUpstream) -> Stack {
    let extra = format!(
        "{}\n[[routes]]\nstyle = \"snake\"\nupstream = \"ka\"\nprefix = \"/ka\"\ncache_ttl_secs = 0\n",
        upstream_config("ka", Envelope, upstream.port, 2000)
    );
    start_stack(30, &extra).await
}

/// `n` GETs one after another, `pause` apart; each answer's status and body.
async fn gets(stack: &Stack, n: usize, pause: Duration) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    for _ in 0..n {
        let path = user_path(Snake, "/ka", JOHN);
        let r = send(gateway(stack, Snake, Method::GET, &path, Some(ADMIN))).await;
        out.push((r.status, r.text));
        tokio::time::sleep(pause).await;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_one_after_another_reuse_a_kept_alive_upstream_connection_per_worker() {
    let upstream = KeepAliveUpstream::start(After::KeepOpen).await;
    let stack = stack_for(&upstream).await;
    for (status, body) in gets(&stack, 8, Duration::ZERO).await {
        assert_eq!(status, 200, "{body}");
    }
    // Idle connections are kept per worker thread, and the test gateway has two.
    let opened = upstream.connections();
    assert!(
        (1..=2).contains(&opened),
        "8 requests opened {opened} upstream connections; kept-alive ones should serve them"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_the_upstream_closed_while_idle_is_not_reused() {
    let upstream = KeepAliveUpstream::start(After::Close).await;
    let stack = stack_for(&upstream).await;
    // Paused, so the close has reached the gateway when the next request starts; without
    // the pause the write may still go out first, and then the retry on a new connection
    // answers it (either way: a 200).
    for (status, body) in gets(&stack, 3, Duration::from_millis(100)).await {
        assert_eq!(status, 200, "{body}");
    }
    for (status, body) in gets(&stack, 3, Duration::ZERO).await {
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(upstream.connections(), 6, "a connection per request");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_an_upstream_sent_on_an_idle_connection_are_never_read_as_the_next_answer() {
    let upstream = KeepAliveUpstream::start(After::StrayAnswer).await;
    let stack = stack_for(&upstream).await;
    for (status, body) in gets(&stack, 4, Duration::from_millis(100)).await {
        assert_eq!(status, 200, "{body}");
        assert!(
            !body.contains("Stray") && !body.contains("Answer"),
            "an unrequested answer was served: {body}"
        );
    }
    assert_eq!(
        upstream.connections(),
        4,
        "each connection that received stray bytes was dropped"
    );
    stack.stop().await;
}
