//! Stand-in upstreams: one that never answers, one that answers what the test tells it, and
//! the config lines that put them behind a route.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dragoman::backends::BackendStyle::{self, Envelope, Snake};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::raw::find;
use super::JOHN;

/// A loopback upstream the test controls: it records every request it reads and answers each
/// with `answer` (then closes), or, without an answer, accepts and never says a word.
pub struct FakeUpstream {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeUpstream {
    pub async fn start(answer: Option<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            for _ in 0..256 {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                let answer = answer.clone();
                tokio::spawn(async move {
                    match answer {
                        None => {
                            tokio::time::sleep(Duration::from_secs(20)).await;
                            drop(sock);
                        }
                        Some(answer) => {
                            if let Some(request) = read_request(&mut sock).await {
                                log.lock().unwrap().push(request);
                            }
                            let _ = sock.write_all(answer.as_bytes()).await;
                            let _ = sock.shutdown().await;
                        }
                    }
                });
            }
        });
        Self { addr, seen, task }
    }

    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    /// An `[[upstreams]]` entry for this listener.
    pub fn upstream_config(&self, name: &str, style: BackendStyle) -> String {
        upstream_config(name, style, self.addr.port(), 300)
    }
}

pub fn upstream_config(name: &str, style: BackendStyle, port: u16, timeout_ms: u64) -> String {
    let credential = match style {
        Snake => "in-fake-upstream-secret",
        _ => "fake-upstream-secret",
    };
    format!(
        "\n[[upstreams]]\nname = \"{name}\"\nstyle = \"{style}\"\nurl = \"http://127.0.0.1:{port}\"\ncredential = \"{credential}\"\ntimeout_ms = {timeout_ms}\n"
    )
}

pub fn route_config(style: BackendStyle, upstream: &str, prefix: &str) -> String {
    format!("\n[[routes]]\nstyle = \"{style}\"\nupstream = \"{upstream}\"\nprefix = \"{prefix}\"\n")
}

/// Reads one request (head and the body its Content-Length announces, plus anything that
/// follows within 25 ms) as text.
pub async fn read_request(sock: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 1 << 20 || Instant::now() > deadline {
            return None;
        }
        match tokio::time::timeout(Duration::from_secs(5), sock.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length && Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(5), sock.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    // Whatever else arrives promptly is part of what the upstream was sent.
    if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(25), sock.read(&mut chunk)).await
    {
        buf.extend_from_slice(&chunk[..n]);
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

pub fn http_answer(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// John, named `name`, as an envelope backend's GET body.
pub fn envelope_john_body(name: &str) -> String {
    json!({
        "success": true,
        "data": {
            "id": format!("user_{JOHN}"),
            "email": "john.doe@company.com",
            "name": name,
            "status": "active",
            "role": "billing_manager"
        },
        "meta": {"timestamp": "2024-01-15T10:30:00Z", "request_id": "req_from_upstream"}
    })
    .to_string()
}

/// John as an envelope backend would answer GET.
pub fn envelope_john_answer() -> String {
    http_answer(
        "200 OK",
        "application/json",
        &envelope_john_body("John Doe"),
    )
}

/// A recording upstream answering every request with John as an envelope backend would
/// (`envelope_john_answer`), and the config that puts it behind snake clients at `/fake`.
pub async fn envelope_john_behind_snake() -> (FakeUpstream, String) {
    let fake = FakeUpstream::start(Some(envelope_john_answer())).await;
    let extra = format!(
        "{}{}",
        fake.upstream_config("fake-envelope", Envelope),
        route_config(Snake, "fake-envelope", "/fake")
    );
    (fake, extra)
}
