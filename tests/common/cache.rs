//! Helpers shared by the `cache_*` tests: GETs as an envelope, camel or snake client, the
//! admin listener's `/metrics`, the extra routes several of them mount, and a scripted camel
//! upstream for what the reference backends cannot show (delays, `Cache-Control`, a version
//! that every PUT bumps, an answer naming the credential it was called with).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use super::demo::ADMIN;
use super::http::{client, send, Reply};
use super::{start_stack, Stack};

/// A route for snake clients at `/s2c` to the camel backend, next to the envelope route to it.
pub const SNAKE_TO_CAMEL: &str =
    "\n[[routes]]\nstyle = \"snake\"\nupstream = \"camel-backend\"\nprefix = \"/s2c\"\n";

/// A key that may write users but not read them.
pub const WRITER_ONLY: &str =
    "\n[[keys]]\nname = \"writer\"\nsecret = \"in-demo-writer\"\nscopes = [\"users:write\"]\n";

/// `GET {url}` with `Authorization: Bearer {key}` (no header when `key` is `None`).
pub async fn get_bearer(url: String, key: Option<&str>, extra: &[(&str, &str)]) -> Reply {
    let mut req = client().get(url);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    for (name, value) in extra {
        req = req.header(*name, *value);
    }
    send(req).await
}

/// An envelope client's GET of a user (envelope route → camel backend).
pub async fn envelope_get(stack: &Stack, id: &str, key: &str) -> Reply {
    get_bearer(stack.url(&format!("/v1/users/user_{id}")), Some(key), &[]).await
}

/// The admin's envelope GET of `id`, which must answer 200 with `X-Cache: x_cache`.
pub async fn admin_get_is(stack: &Stack, id: &str, x_cache: &str) -> Reply {
    let r = envelope_get(stack, id, ADMIN).await;
    r.assert_status(200).assert_cache(x_cache);
    r
}

/// A snake client's GET through a route mounted at `prefix` (`?api_key=`).
pub async fn snake_get(stack: &Stack, prefix: &str, id: &str, key: &str) -> Reply {
    send(client().get(stack.url(&format!("{prefix}/api/v1/user/{id}?api_key={key}")))).await
}

/// `GET /metrics` of the admin listener.
pub async fn metrics_text(stack: &Stack) -> String {
    let r = client()
        .get(format!("{}/metrics", stack.admin))
        .send()
        .await
        .expect("the admin listener answers");
    assert_eq!(r.status(), 200);
    r.text().await.expect("metrics text")
}

/// The value of one series (`name` or `name{labels}`, exactly as exposed) in `text`.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        line.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
    })
}

/// Polls `/metrics` (moka's bookkeeping is lazy) until `ok(text)` holds, for at most ~2 s.
/// Returns the last text either way, for the assertion that follows.
pub async fn metrics_until(stack: &Stack, ok: impl Fn(&str) -> bool) -> String {
    let mut text = metrics_text(stack).await;
    for _ in 0..40 {
        if ok(&text) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        text = metrics_text(stack).await;
    }
    text
}

// ---------------------------------------------------------------------------------------------
// A scripted camel upstream: accepts any Bearer token, serves any UUID, and answers with a
// document that names the token it was called with and a version bumped by every PUT.
// It can add a Cache-Control header and delay its GET answers.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Default)]
pub struct Script {
    /// Sent on every 200 GET answer.
    pub cache_control: Option<&'static str>,
    /// How long a GET answer is held back (the document is read before the wait).
    pub get_delay: Duration,
    /// How long a PUT answer is held back (the write is applied before the wait).
    pub put_delay: Duration,
}

/// The scripted upstream, on an ephemeral loopback port; it stops when dropped.
pub struct Fake {
    addr: SocketAddr,
    /// User API requests that reached it.
    requests: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Fake {
    pub async fn start(script: Script) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind an ephemeral loopback port");
        let addr = listener.local_addr().expect("local address");
        let requests = Arc::new(AtomicU64::new(0));
        let version = Arc::new(AtomicU64::new(0));
        let counter = requests.clone();
        let task = tokio::spawn(async move {
            for _ in 0..10_000 {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(fake_connection(
                    stream,
                    script.clone(),
                    counter.clone(),
                    version.clone(),
                ));
            }
        });
        Fake {
            addr,
            requests,
            task,
        }
    }

    pub fn stats(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Config for an upstream `name` pointing here.
    pub fn upstream(&self, name: &str) -> String {
        self.upstream_with(name, "")
    }

    /// Config for an upstream `name` pointing here, with more keys of that table.
    pub fn upstream_with(&self, name: &str, keys: &str) -> String {
        format!(
            "\n[[upstreams]]\nname = \"{name}\"\nstyle = \"camel\"\nurl = \"http://{}\"\ncredential = \"fake-own\"\n{keys}\n",
            self.addr
        )
    }
}

/// The scripted upstream's camel document for `id`, as seen with `token`.
fn fake_document(id: &str, token: &str, version: u64) -> Value {
    json!({
        "id": id,
        "email": "fake.user@example.com",
        "firstName": format!("V{version}"),
        "lastName": token,
        "status": "active",
    })
}

async fn fake_connection(
    stream: TcpStream,
    script: Script,
    requests: Arc<AtomicU64>,
    version: Arc<AtomicU64>,
) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    for _ in 0..1_000 {
        // Request line and headers, each line within 30 s.
        let mut request_line = String::new();
        match tokio::time::timeout(Duration::from_secs(30), reader.read_line(&mut request_line))
            .await
        {
            Ok(Ok(n)) if n > 0 => {}
            _ => return,
        }
        let mut token = None;
        let mut content_length = 0usize;
        for _ in 0..100 {
            let mut line = String::new();
            match tokio::time::timeout(Duration::from_secs(30), reader.read_line(&mut line)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                let value = value.trim();
                match name.trim().to_ascii_lowercase().as_str() {
                    "authorization" => {
                        token = value.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
                    }
                    "content-length" => content_length = value.parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; content_length.min(1 << 20)];
        if tokio::time::timeout(Duration::from_secs(30), reader.read_exact(&mut body))
            .await
            .map_or(true, |r| r.is_err())
        {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let path = parts.next().unwrap_or("").to_owned();
        let Some(id) = path.strip_prefix("/api/users/").map(str::to_owned) else {
            respond(&mut write, 404, None, &json!({"detail": "no route"})).await;
            continue;
        };
        requests.fetch_add(1, Ordering::SeqCst);
        let Some(token) = token else {
            let problem = json!({"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "Missing credential"});
            respond(&mut write, 401, None, &problem).await;
            continue;
        };
        if id.starts_with("00000000") {
            if method == "GET" {
                tokio::time::sleep(script.get_delay).await;
            }
            let problem = json!({"type": "about:blank", "title": "Not Found", "status": 404, "detail": "User not found"});
            respond(&mut write, 404, None, &problem).await;
            continue;
        }
        match method.as_str() {
            "GET" => {
                let doc = fake_document(&id, &token, version.load(Ordering::SeqCst));
                tokio::time::sleep(script.get_delay).await;
                respond(&mut write, 200, script.cache_control, &doc).await;
            }
            "PUT" => {
                let v = version.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(script.put_delay).await;
                respond(&mut write, 200, None, &fake_document(&id, &token, v)).await;
            }
            _ => {
                respond(&mut write, 405, None, &json!({"detail": "method"})).await;
            }
        }
    }
}

async fn respond(
    write: &mut tokio::net::tcp::OwnedWriteHalf,
    status: u16,
    cache_control: Option<&str>,
    body: &Value,
) {
    let body = serde_json::to_vec(body).expect("JSON");
    let content_type = if status == 200 {
        "application/json"
    } else {
        "application/problem+json"
    };
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n",
        body.len()
    );
    if let Some(cc) = cache_control {
        head.push_str(&format!("cache-control: {cc}\r\n"));
    }
    head.push_str("\r\n");
    let _ = write.write_all(head.as_bytes()).await;
    let _ = write.write_all(&body).await;
    let _ = write.flush().await;
}

/// A stack whose extra config also routes to a scripted upstream named `fake`:
/// `/fake` — envelope clients, forwarding their own credential;
/// `/fake-own` — snake clients, the upstream's own credential (`fake-own`).
pub async fn stack_with_fake(fake: &Fake, extra: &str) -> Stack {
    stack_with_fake_upstream(fake.upstream("fake"), extra).await
}

/// As [`stack_with_fake`], with the `fake` upstream's config given.
pub async fn stack_with_fake_upstream(upstream: String, extra: &str) -> Stack {
    let config = format!(
        "{}\n[[routes]]\nstyle = \"envelope\"\nupstream = \"fake\"\nprefix = \"/fake\"\nforward_credential = true\n\n[[routes]]\nstyle = \"snake\"\nupstream = \"fake\"\nprefix = \"/fake-own\"\n{extra}",
        upstream
    );
    start_stack(30, &config).await
}

/// A GET through the forwarding `/fake` route (envelope client).
pub async fn fake_get(stack: &Stack, id: &str, key: &str) -> Reply {
    get_bearer(
        stack.url(&format!("/fake/v1/users/user_{id}")),
        Some(key),
        &[],
    )
    .await
}

/// A GET through the `/fake-own` route (snake client, the upstream's own credential).
pub async fn fake_own_get(stack: &Stack, id: &str) -> Reply {
    snake_get(stack, "/fake-own", id, ADMIN).await
}

/// A UUID the scripted upstream serves, distinct per `n`.
pub fn fake_id(n: u32) -> String {
    format!("{n:08x}-aaaa-4aaa-8aaa-aaaaaaaaaaaa")
}
