//! The GET cache, end to end: real reference backends (and, where a backend cannot show a
//! behaviour, a small scripted upstream on a loopback port) behind a real gateway. Backend
//! request counters show what reached an upstream; `X-Cache`, `Age` and `/metrics` show what
//! the gateway says it did.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::demo::{ADMIN, JANE, MAX, NOBODY as UNKNOWN, READER};
use common::http::{send, Reply};
use common::*;
use dragoman::backends::{seed_ids, Backend, BackendStyle};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `GET {url}` with `Authorization: Bearer {key}` (no header when `key` is `None`).
async fn get_bearer(url: String, key: Option<&str>, extra: &[(&str, &str)]) -> Reply {
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
async fn envelope_get(stack: &Stack, id: &str, key: &str) -> Reply {
    get_bearer(stack.url(&format!("/v1/users/user_{id}")), Some(key), &[]).await
}

/// A snake client's GET through a route mounted at `prefix` (`?api_key=`).
async fn snake_get(stack: &Stack, prefix: &str, id: &str, key: &str) -> Reply {
    send(client().get(stack.url(&format!("{prefix}/api/v1/user/{id}?api_key={key}")))).await
}

/// `GET /metrics` of the admin listener.
async fn metrics_text(stack: &Stack) -> String {
    let r = client()
        .get(format!("{}/metrics", stack.admin))
        .send()
        .await
        .expect("the admin listener answers");
    assert_eq!(r.status(), 200);
    r.text().await.expect("metrics text")
}

/// The value of one series (`name` or `name{labels}`, exactly as exposed) in `text`.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        line.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
    })
}

/// Polls `/metrics` (moka's bookkeeping is lazy) until `ok(text)` holds, for at most ~2 s.
/// Returns the last text either way, for the assertion that follows.
async fn metrics_until(stack: &Stack, ok: impl Fn(&str) -> bool) -> String {
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

/// `POST /cache/purge[?query]` on the admin listener.
async fn purge(stack: &Stack, query: &str) -> Reply {
    send(client().post(format!("{}/cache/purge{query}", stack.admin))).await
}

// ---------------------------------------------------------------------------------------------
// A scripted camel upstream: accepts any Bearer token, serves any UUID, and answers with a
// document that names the token it was called with and a version bumped by every PUT.
// It can add a Cache-Control header and delay its GET answers.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Default)]
struct Script {
    /// Sent on every 200 GET answer.
    cache_control: Option<&'static str>,
    /// How long a GET answer is held back (the document is read before the wait).
    get_delay: Duration,
    /// How long a PUT answer is held back (the write is applied before the wait).
    put_delay: Duration,
}

struct Fake {
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
    async fn start(script: Script) -> Fake {
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

    fn stats(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Config for an upstream `name` pointing here.
    fn upstream(&self, name: &str) -> String {
        self.upstream_with(name, "")
    }

    /// Config for an upstream `name` pointing here, with more keys of that table.
    fn upstream_with(&self, name: &str, keys: &str) -> String {
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
async fn stack_with_fake(fake: &Fake, extra: &str) -> Stack {
    stack_with_fake_upstream(fake.upstream("fake"), extra).await
}

/// As [`stack_with_fake`], with the `fake` upstream's config given.
async fn stack_with_fake_upstream(upstream: String, extra: &str) -> Stack {
    let config = format!(
        "{}\n[[routes]]\nstyle = \"envelope\"\nupstream = \"fake\"\nprefix = \"/fake\"\nforward_credential = true\n\n[[routes]]\nstyle = \"snake\"\nupstream = \"fake\"\nprefix = \"/fake-own\"\n{extra}",
        upstream
    );
    start_stack(30, &config).await
}

/// A GET through the forwarding `/fake` route (envelope client).
async fn fake_get(stack: &Stack, id: &str, key: &str) -> Reply {
    get_bearer(
        stack.url(&format!("/fake/v1/users/user_{id}")),
        Some(key),
        &[],
    )
    .await
}

/// A GET through the `/fake-own` route (snake client, the upstream's own credential).
async fn fake_own_get(stack: &Stack, id: &str) -> Reply {
    snake_get(stack, "/fake-own", id, ADMIN).await
}

/// A UUID the scripted upstream serves, distinct per `n`.
fn fake_id(n: u32) -> String {
    format!("{n:08x}-aaaa-4aaa-8aaa-aaaaaaaaaaaa")
}

// ---------------------------------------------------------------------------------------------
// Hits and misses
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_get_is_a_hit_with_age_that_does_not_reach_the_backend() {
    let stack = start_stack(30, "").await;
    let first = envelope_get(&stack, JOHN, ADMIN).await;
    first.assert_status(200).assert_cache("MISS");
    assert_eq!(first.header("age"), None, "a miss carries no Age");
    assert_eq!(stack.camel.stats(), 1);

    let second = envelope_get(&stack, JOHN, ADMIN).await;
    second.assert_status(200).assert_cache("HIT");
    let age: u64 = second
        .header("age")
        .expect("a hit carries Age")
        .parse()
        .expect("Age is whole seconds");
    assert!(age <= 30, "Age {age} is within the TTL");
    assert_eq!(second.body["data"], first.body["data"]);
    assert_eq!(second.body["data"]["name"], "John Doe");
    assert_eq!(stack.camel.stats(), 1, "the hit did not reach the backend");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_style_answers_hits_from_the_cache() {
    let stack = start_stack(30, "").await;
    // camel clients → snake backend
    let url = stack.url(&format!("/api/users/{JOHN}"));
    get_bearer(url.clone(), Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("MISS");
    let hit = get_bearer(url, Some(ADMIN), &[]).await;
    hit.assert_status(200).assert_cache("HIT");
    assert_eq!(hit.body["firstName"], "John");
    assert_eq!(stack.snake.stats(), 1);
    // snake clients → envelope backend
    snake_get(&stack, "", JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    let hit = snake_get(&stack, "", JOHN, ADMIN).await;
    hit.assert_status(200).assert_cache("HIT");
    assert_eq!(hit.body["data"]["first_name"], "John");
    assert_eq!(stack.envelope.stats(), 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_cold_gets_of_one_user_make_exactly_one_backend_request() {
    let stack = start_stack(30, "").await;
    let url = stack.url(&format!("/v1/users/user_{JOHN}"));
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            get_bearer(url, Some(ADMIN), &[]).await
        }));
    }
    let mut misses = 0;
    for t in tasks {
        let r = t.await.expect("task");
        r.assert_status(200);
        assert_eq!(r.body["data"]["name"], "John Doe");
        assert!(
            ["HIT", "MISS"].contains(&r.x_cache()),
            "X-Cache {}",
            r.x_cache()
        );
        misses += usize::from(r.x_cache() == "MISS");
    }
    assert!(misses >= 1, "someone fetched it");
    assert_eq!(stack.camel.stats(), 1, "one backend request for 32 GETs");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_held_up_by_a_slow_upstream_share_one_request() {
    let fake = Fake::start(Script {
        get_delay: Duration::from_millis(400),
        ..Script::default()
    })
    .await;
    let stack = stack_with_fake(&fake, "").await;
    let id = fake_id(1);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let url = stack.url(&format!("/fake-own/api/v1/user/{id}?api_key={ADMIN}"));
        tasks.push(tokio::spawn(async move { send(client().get(url)).await }));
    }
    for t in tasks {
        let r = t.await.expect("task");
        r.assert_status(200);
        assert_eq!(r.body["data"]["last_name"], "fake-own");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "waiters were not serialised behind each other"
    );
    assert_eq!(
        fake.stats(),
        1,
        "one upstream request for 32 concurrent misses"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_for_an_unknown_user_share_one_request_and_its_404() {
    let fake = Fake::start(Script {
        get_delay: Duration::from_millis(400),
        ..Script::default()
    })
    .await;
    let stack = stack_with_fake(&fake, "").await;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let url = stack.url(&format!("/fake-own/api/v1/user/{UNKNOWN}?api_key={ADMIN}"));
        tasks.push(tokio::spawn(async move { send(client().get(url)).await }));
    }
    for t in tasks {
        t.await.expect("task").assert_status(404);
    }
    assert_eq!(
        fake.stats(),
        1,
        "one upstream request for 16 concurrent misses"
    );
    // ... and the 404 was not stored.
    fake_own_get(&stack, UNKNOWN).await.assert_status(404);
    assert_eq!(fake.stats(), 2);
    stack.stop().await;
}

// ---------------------------------------------------------------------------------------------
// One entry per upstream user, whatever the route
// ---------------------------------------------------------------------------------------------

const SNAKE_TO_CAMEL: &str =
    "\n[[routes]]\nstyle = \"snake\"\nupstream = \"camel-backend\"\nprefix = \"/s2c\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_entry_serves_every_route_to_the_same_upstream() {
    let stack = start_stack(30, SNAKE_TO_CAMEL).await;
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    let snake = snake_get(&stack, "/s2c", JOHN, ADMIN).await;
    snake.assert_status(200).assert_cache("HIT");
    assert!(snake.header("age").is_some(), "a hit carries Age");
    assert_eq!(snake.body["data"]["first_name"], "John");
    assert_eq!(snake.body["data"]["last_name"], "Doe");
    assert_eq!(snake.body["data"]["id"], JOHN);
    assert_eq!(stack.camel.stats(), 1, "the backend saw one request");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_that_look_like_template_variables_come_back_as_written_on_put_miss_and_hit() {
    // The response templates use `$request_id`, `$message`...; user data is never read as one.
    let stack = start_stack(30, "").await;
    for name in ["$request_id Doe", "$message", "$nope x"] {
        let put = send(
            client()
                .put(stack.url(&format!("/v1/users/user_{JOHN}")))
                .bearer_auth(ADMIN)
                .json(&json!({ "name": name })),
        )
        .await;
        put.assert_status(200);
        assert_eq!(put.body["data"]["name"], name, "PUT answer");
        let miss = envelope_get(&stack, JOHN, ADMIN).await;
        miss.assert_status(200).assert_cache("MISS");
        assert_eq!(miss.body["data"]["name"], name, "miss");
        let hit = envelope_get(&stack, JOHN, ADMIN).await;
        hit.assert_status(200).assert_cache("HIT");
        assert_eq!(hit.body["data"]["name"], name, "hit");
        assert_ne!(hit.body["meta"]["request_id"], Value::String(name.into()));
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_through_one_route_evicts_what_another_route_cached_for_that_upstream_user() {
    let stack = start_stack(30, SNAKE_TO_CAMEL).await;
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    envelope_get(&stack, JANE, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");

    let put = send(
        client()
            .put(stack.url(&format!("/s2c/api/v1/user/{JOHN}?api_key={ADMIN}")))
            .json(&json!({"first_name": "Ann", "last_name": "Lee"})),
    )
    .await;
    put.assert_status(200);
    assert_eq!(put.body["data"]["first_name"], "Ann");
    assert_eq!(put.header("x-cache"), None, "X-Cache is for GETs");
    let before = stack.camel.stats();

    let after = envelope_get(&stack, JOHN, ADMIN).await;
    after.assert_status(200).assert_cache("MISS");
    assert_eq!(after.body["data"]["name"], "Ann Lee");
    assert_eq!(stack.camel.stats(), before + 1);
    // Other users of that upstream are untouched.
    envelope_get(&stack, JANE, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(stack.camel.stats(), before + 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_through_the_envelope_route_evicts_what_the_snake_route_cached() {
    let stack = start_stack(30, SNAKE_TO_CAMEL).await;
    snake_get(&stack, "/s2c", JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    let put = send(
        client()
            .put(stack.url(&format!("/v1/users/user_{JOHN}")))
            .bearer_auth(ADMIN)
            .json(&json!({"name": "Jo Doe"})),
    )
    .await;
    put.assert_status(200);
    let after = snake_get(&stack, "/s2c", JOHN, ADMIN).await;
    after.assert_status(200).assert_cache("MISS");
    assert_eq!(after.body["data"]["first_name"], "Jo");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_to_one_upstream_leaves_another_upstreams_entry_for_the_same_user() {
    let stack = start_stack(30, "").await;
    // The same canonical user, cached for the camel backend and for the snake backend.
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    let camel_url = stack.url(&format!("/api/users/{JOHN}"));
    get_bearer(camel_url.clone(), Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("MISS");
    // A write to the camel backend (envelope route) ...
    send(
        client()
            .put(stack.url(&format!("/v1/users/user_{JOHN}")))
            .bearer_auth(ADMIN)
            .json(&json!({"name": "Jo Doe"})),
    )
    .await
    .assert_status(200);
    // ... does not touch the snake backend's copy, which that write did not change.
    let snake_copy = get_bearer(camel_url, Some(ADMIN), &[]).await;
    snake_copy.assert_status(200).assert_cache("HIT");
    assert_eq!(snake_copy.body["firstName"], "John");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_get_in_flight_while_a_put_lands_is_answered_but_not_stored() {
    let fake = Fake::start(Script {
        get_delay: Duration::from_millis(600),
        ..Script::default()
    })
    .await;
    let stack = stack_with_fake(&fake, "").await;
    let id = fake_id(7);
    let url = stack.url(&format!("/fake-own/api/v1/user/{id}?api_key={ADMIN}"));
    let slow = tokio::spawn(async move { send(client().get(url)).await });
    // Let the GET reach the upstream and read version 0 there.
    for _ in 0..100 {
        if fake.stats() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fake.stats(), 1, "the slow GET reached the upstream");
    let put = send(
        client()
            .put(stack.url(&format!("/fake-own/api/v1/user/{id}?api_key={ADMIN}")))
            .json(&json!({"first_name": "Ann"})),
    )
    .await;
    put.assert_status(200);
    assert_eq!(put.body["data"]["first_name"], "V1");
    let old = slow.await.expect("task");
    old.assert_status(200);
    assert_eq!(
        old.body["data"]["first_name"], "V0",
        "read before the write"
    );
    let next = fake_own_get(&stack, &id).await;
    next.assert_status(200).assert_cache("MISS");
    assert_eq!(
        next.body["data"]["first_name"], "V1",
        "the document read before the write was not cached"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_no_cache_refresh_in_flight_while_a_put_lands_does_not_store_the_old_document() {
    let fake = Fake::start(Script {
        get_delay: Duration::from_millis(600),
        ..Script::default()
    })
    .await;
    let stack = stack_with_fake(&fake, "").await;
    let id = fake_id(8);
    let url = stack.url(&format!("/fake-own/api/v1/user/{id}?api_key={ADMIN}"));
    let slow =
        tokio::spawn(
            async move { send(client().get(url).header("cache-control", "no-cache")).await },
        );
    for _ in 0..100 {
        if fake.stats() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(fake.stats(), 1, "the slow refresh reached the upstream");
    send(
        client()
            .put(stack.url(&format!("/fake-own/api/v1/user/{id}?api_key={ADMIN}")))
            .json(&json!({"first_name": "Ann"})),
    )
    .await
    .assert_status(200);
    let old = slow.await.expect("task");
    old.assert_status(200).assert_cache("BYPASS");
    assert_eq!(
        old.body["data"]["first_name"], "V0",
        "read before the write"
    );
    let next = fake_own_get(&stack, &id).await;
    next.assert_status(200);
    assert_eq!(
        next.body["data"]["first_name"],
        "V1",
        "after a successful PUT returned, a GET must not be served the document read before it \
         (X-Cache {})",
        next.x_cache()
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_whose_answer_timed_out_still_evicts_the_user() {
    let fake = Fake::start(Script {
        put_delay: Duration::from_millis(1500),
        ..Script::default()
    })
    .await;
    let stack = stack_with_fake_upstream(fake.upstream_with("fake", "timeout_ms = 300"), "").await;
    let id = fake_id(9);
    fake_own_get(&stack, &id)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    // The upstream applies the write but answers too late: the gateway cannot know it failed.
    let put = send(
        client()
            .put(stack.url(&format!("/fake-own/api/v1/user/{id}?api_key={ADMIN}")))
            .json(&json!({"first_name": "Ann"})),
    )
    .await;
    put.assert_status(504);
    let next = fake_own_get(&stack, &id).await;
    next.assert_status(200);
    assert_eq!(
        next.body["data"]["first_name"],
        "V1",
        "a write of unknown outcome leaves no stale entry (X-Cache {})",
        next.x_cache()
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_ttl_bounds_the_age_of_what_that_route_serves_from_a_shared_entry() {
    let extra = "\n[[routes]]\nstyle = \"snake\"\nupstream = \"camel-backend\"\nprefix = \"/short\"\ncache_ttl_secs = 1\n";
    let stack = start_stack(30, extra).await;
    // Filled through the envelope route, with the global 30 s TTL.
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let short = snake_get(&stack, "/short", JOHN, ADMIN).await;
    short.assert_status(200);
    assert_eq!(
        short.x_cache(),
        "MISS",
        "a route with cache_ttl_secs = 1 served an entry {} s old",
        short.header("age").unwrap_or("?")
    );
    assert_eq!(stack.camel.stats(), 2);
    stack.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Per-response values
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_response_values_are_fresh_on_every_hit() {
    let stack = start_stack(30, "").await;
    let miss = envelope_get(&stack, JOHN, ADMIN).await;
    miss.assert_status(200).assert_cache("MISS");
    let hit1 = envelope_get(&stack, JOHN, ADMIN).await;
    hit1.assert_status(200).assert_cache("HIT");
    // Cross a second boundary so that a fresh timestamp must differ.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let hit2 = envelope_get(&stack, JOHN, ADMIN).await;
    hit2.assert_status(200).assert_cache("HIT");

    let ids: Vec<&Value> = [&miss, &hit1, &hit2]
        .iter()
        .map(|r| &r.body["meta"]["request_id"])
        .collect();
    for (r, id) in [&miss, &hit1, &hit2].iter().zip(&ids) {
        let id = id.as_str().expect("meta.request_id is a string");
        assert!(!id.is_empty());
        assert_eq!(
            r.header("x-request-id"),
            Some(id),
            "X-Request-Id = meta.request_id"
        );
    }
    assert_ne!(ids[0], ids[1]);
    assert_ne!(ids[1], ids[2]);
    assert_ne!(ids[0], ids[2]);
    let (t1, t2) = (
        hit1.body["meta"]["timestamp"].as_str().expect("timestamp"),
        hit2.body["meta"]["timestamp"].as_str().expect("timestamp"),
    );
    assert!(
        t2 > t1,
        "timestamp is rendered per response: {t1} then {t2}"
    );
    let age: u64 = hit2.header("age").expect("Age").parse().expect("number");
    assert!(age >= 1, "Age counts from the fetch: {age}");
    assert_eq!(hit2.body["data"], miss.body["data"]);
    assert_eq!(stack.camel.stats(), 1);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_sent_request_id_is_used_on_a_hit() {
    let stack = start_stack(30, "").await;
    let url = stack.url(&format!("/v1/users/user_{JOHN}"));
    let miss = get_bearer(
        url.clone(),
        Some(ADMIN),
        &[("x-request-id", "trace-miss-1")],
    )
    .await;
    miss.assert_status(200).assert_cache("MISS");
    assert_eq!(miss.header("x-request-id"), Some("trace-miss-1"));
    assert_eq!(miss.body["meta"]["request_id"], "trace-miss-1");
    let hit = get_bearer(url, Some(ADMIN), &[("x-request-id", "trace-hit-2")]).await;
    hit.assert_status(200).assert_cache("HIT");
    assert_eq!(hit.header("x-request-id"), Some("trace-hit-2"));
    assert_eq!(hit.body["meta"]["request_id"], "trace-hit-2");
    stack.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Authorization still applies to cached resources
// ---------------------------------------------------------------------------------------------

const WRITER_ONLY: &str =
    "\n[[keys]]\nname = \"writer\"\nsecret = \"in-demo-writer\"\nscopes = [\"users:write\"]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_resource_still_needs_a_known_key_with_the_read_scope() {
    let stack = start_stack(30, WRITER_ONLY).await;
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    let url = stack.url(&format!("/v1/users/user_{JOHN}"));

    let none = get_bearer(url.clone(), None, &[]).await;
    none.assert_status(401);
    assert_eq!(none.body["error"]["code"], "UNAUTHORIZED");
    assert!(none.body.get("data").is_none(), "no data without a key");

    let unknown = get_bearer(url.clone(), Some("in-not-a-key"), &[]).await;
    unknown.assert_status(401);
    assert_eq!(unknown.body["error"]["code"], "UNAUTHORIZED");
    assert!(unknown.body.get("data").is_none());

    let writer = get_bearer(url.clone(), Some("in-demo-writer"), &[]).await;
    writer.assert_status(403);
    assert_eq!(writer.body["error"]["code"], "FORBIDDEN");
    assert!(writer.body.get("data").is_none());

    // snake clients → envelope backend: a cached user, then no key / a write-only key.
    snake_get(&stack, "", JOHN, ADMIN).await.assert_status(200);
    snake_get(&stack, "", JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    send(client().get(stack.url(&format!("/api/v1/user/{JOHN}"))))
        .await
        .assert_status(401);
    snake_get(&stack, "", JOHN, "in-demo-writer")
        .await
        .assert_status(403);

    // A reader still gets the hit.
    envelope_get(&stack, JOHN, READER)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(stack.camel.stats(), 1, "refusals never reached the backend");
    assert_eq!(stack.envelope.stats(), 1);
    stack.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Forwarded credentials: an entry per credential
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_forwarding_client_keys_never_serves_one_keys_entry_to_another() {
    // An envelope backend that accepts exactly one client key, in-demo-admin.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let own = Backend::start(BackendStyle::Envelope, listener, ADMIN.into())
        .await
        .expect("backend starts");
    let extra = format!(
        "\n[[upstreams]]\nname = \"fwd-envelope\"\nstyle = \"envelope\"\nurl = \"http://{}\"\ncredential = \"not-accepted-there\"\n\n[[routes]]\nstyle = \"camel\"\nupstream = \"fwd-envelope\"\nprefix = \"/fwd\"\nforward_credential = true\n",
        own.addr()
    );
    let stack = start_stack(30, &extra).await;
    let url = stack.url(&format!("/fwd/api/users/{JOHN}"));

    let admin1 = get_bearer(url.clone(), Some(ADMIN), &[]).await;
    admin1.assert_status(200).assert_cache("MISS");
    assert_eq!(admin1.body["firstName"], "John");
    get_bearer(url.clone(), Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(own.stats(), 1);

    // The reader's key is a valid gateway key the upstream refuses: it must be asked.
    let reader1 = get_bearer(url.clone(), Some(READER), &[]).await;
    reader1.assert_status(401).assert_cache("MISS");
    assert!(
        reader1.body.get("firstName").is_none(),
        "{:#}",
        reader1.body
    );
    assert_eq!(own.stats(), 2, "the reader's GET reached the upstream");
    let reader2 = get_bearer(url.clone(), Some(READER), &[]).await;
    reader2.assert_status(401);
    assert_eq!(own.stats(), 3, "the refusal was not cached either");

    get_bearer(url, Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(own.stats(), 3);
    stack.stop().await;
    own.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_forwarded_credential_gets_its_own_entry_and_a_put_evicts_them_all() {
    let fake = Fake::start(Script::default()).await;
    let stack = stack_with_fake(&fake, "").await;
    let id = fake_id(2);

    // The upstream's own credential (partition of the non-forwarding route).
    let own = fake_own_get(&stack, &id).await;
    own.assert_status(200).assert_cache("MISS");
    assert_eq!(own.body["data"]["last_name"], "fake-own");

    let a1 = fake_get(&stack, &id, ADMIN).await;
    a1.assert_status(200).assert_cache("MISS");
    assert_eq!(a1.body["data"]["name"], "V0 in-demo-admin");
    let r1 = fake_get(&stack, &id, READER).await;
    r1.assert_status(200).assert_cache("MISS");
    assert_eq!(r1.body["data"]["name"], "V0 in-demo-reader");
    assert_eq!(fake.stats(), 3);

    let a2 = fake_get(&stack, &id, ADMIN).await;
    a2.assert_status(200).assert_cache("HIT");
    assert_eq!(a2.body["data"]["name"], "V0 in-demo-admin");
    let r2 = fake_get(&stack, &id, READER).await;
    r2.assert_status(200).assert_cache("HIT");
    assert_eq!(r2.body["data"]["name"], "V0 in-demo-reader");
    let own2 = fake_own_get(&stack, &id).await;
    own2.assert_status(200).assert_cache("HIT");
    assert_eq!(own2.body["data"]["last_name"], "fake-own");
    assert_eq!(fake.stats(), 3);

    // A write through the forwarding route evicts every credential's entry of that user.
    let put = send(
        client()
            .put(stack.url(&format!("/fake/v1/users/user_{id}")))
            .bearer_auth(ADMIN)
            .json(&json!({"name": "Ann Lee"})),
    )
    .await;
    put.assert_status(200);
    assert_eq!(fake.stats(), 4);
    for (reply, name) in [
        (fake_get(&stack, &id, READER).await, "V1 in-demo-reader"),
        (fake_get(&stack, &id, ADMIN).await, "V1 in-demo-admin"),
    ] {
        reply.assert_status(200).assert_cache("MISS");
        assert_eq!(reply.body["data"]["name"], name);
    }
    let own3 = fake_own_get(&stack, &id).await;
    own3.assert_status(200).assert_cache("MISS");
    assert_eq!(own3.body["data"]["first_name"], "V1");
    assert_eq!(fake.stats(), 7);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_through_a_non_forwarding_route_evicts_the_forwarded_entries_too() {
    let fake = Fake::start(Script::default()).await;
    let stack = stack_with_fake(&fake, "").await;
    let id = fake_id(3);
    fake_get(&stack, &id, READER)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    fake_get(&stack, &id, READER)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    send(
        client()
            .put(stack.url(&format!("/fake-own/api/v1/user/{id}?api_key={ADMIN}")))
            .json(&json!({"first_name": "Ann"})),
    )
    .await
    .assert_status(200);
    let after = fake_get(&stack, &id, READER).await;
    after.assert_status(200).assert_cache("MISS");
    assert_eq!(after.body["data"]["name"], "V1 in-demo-reader");
    stack.stop().await;
}

// ---------------------------------------------------------------------------------------------
// What is not cached, and for how long what is
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_not_cached() {
    let stack = start_stack(30, "").await;
    for n in 1..=2 {
        let r = envelope_get(&stack, UNKNOWN, ADMIN).await;
        r.assert_status(404).assert_cache("MISS");
        assert_eq!(r.body["error"]["code"], "NOT_FOUND");
        assert_eq!(
            stack.camel.stats(),
            n,
            "GET {n} of an unknown user reached the backend"
        );
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_that_fails_upstream_still_says_how_the_cache_was_used() {
    let stack = start_stack(30, "").await;
    envelope_get(&stack, UNKNOWN, ADMIN)
        .await
        .assert_status(404)
        .assert_cache("MISS");
    let url = stack.url(&format!("/v1/users/user_{UNKNOWN}"));
    get_bearer(url, Some(ADMIN), &[("cache-control", "no-cache")])
        .await
        .assert_status(404)
        .assert_cache("BYPASS");
    assert_eq!(stack.camel.stats(), 2);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_that_fails_upstream_with_the_cache_off_says_bypass() {
    let stack = start_stack(0, "").await;
    envelope_get(&stack, UNKNOWN, ADMIN)
        .await
        .assert_status(404)
        .assert_cache("BYPASS");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_refused_by_the_gateway_still_carries_x_cache_and_never_a_hit() {
    let stack = start_stack(30, WRITER_ONLY).await;
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    let url = stack.url(&format!("/v1/users/user_{JOHN}"));
    for (key, status) in [
        (None, 401),
        (Some("in-not-a-key"), 401),
        (Some("in-demo-writer"), 403),
    ] {
        let r = get_bearer(url.clone(), key, &[]).await;
        r.assert_status(status);
        assert!(
            ["MISS", "BYPASS"].contains(&r.x_cache()),
            "X-Cache on every GET, never HIT on a refusal: key {key:?} got {}",
            r.x_cache()
        );
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_no_cache_request_bypasses_the_lookup_and_refreshes_the_entry() {
    let stack = start_stack(30, "").await;
    let url = stack.url(&format!("/v1/users/user_{JOHN}"));
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    // The backend changes behind the gateway's back: the entry is now stale.
    let direct = send(
        client()
            .put(common::url(&stack.camel, &format!("/api/users/{JOHN}")))
            .bearer_auth(BackendStyle::Camel.demo_credential())
            .json(&json!({"firstName": "Zed"})),
    )
    .await;
    direct.assert_status(200);
    assert_eq!(stack.camel.stats(), 2);
    let stale = envelope_get(&stack, JOHN, ADMIN).await;
    stale.assert_status(200).assert_cache("HIT");
    assert_eq!(stale.body["data"]["name"], "John Doe");

    let bypass = get_bearer(url.clone(), Some(ADMIN), &[("cache-control", "no-cache")]).await;
    bypass.assert_status(200).assert_cache("BYPASS");
    assert_eq!(bypass.body["data"]["name"], "Zed Doe");
    assert_eq!(stack.camel.stats(), 3, "the bypass reached the backend");

    let refreshed = envelope_get(&stack, JOHN, ADMIN).await;
    refreshed.assert_status(200).assert_cache("HIT");
    assert_eq!(
        refreshed.body["data"]["name"], "Zed Doe",
        "the entry was refreshed"
    );
    assert_eq!(stack.camel.stats(), 3);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_no_cache_request_fills_the_cache_for_the_next_get() {
    let stack = start_stack(30, "").await;
    let url = stack.url(&format!("/v1/users/user_{JOHN}"));
    get_bearer(url.clone(), Some(ADMIN), &[("cache-control", "no-cache")])
        .await
        .assert_status(200)
        .assert_cache("BYPASS");
    get_bearer(url.clone(), Some(ADMIN), &[("pragma", "no-cache")])
        .await
        .assert_status(200)
        .assert_cache("BYPASS");
    assert_eq!(stack.camel.stats(), 2);
    get_bearer(url, Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(stack.camel.stats(), 2);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zero_ttl_turns_the_cache_off_and_every_get_is_a_bypass() {
    let stack = start_stack(0, "").await;
    for n in 1..=3 {
        let r = envelope_get(&stack, JOHN, ADMIN).await;
        r.assert_status(200).assert_cache("BYPASS");
        assert_eq!(r.header("age"), None);
        assert_eq!(stack.camel.stats(), n);
    }
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_route_with_a_zero_ttl_bypasses_while_other_routes_cache() {
    let extra = "\n[[routes]]\nstyle = \"snake\"\nupstream = \"camel-backend\"\nprefix = \"/nocache\"\ncache_ttl_secs = 0\n";
    let stack = start_stack(30, extra).await;
    for n in 1..=2 {
        snake_get(&stack, "/nocache", JOHN, ADMIN)
            .await
            .assert_status(200)
            .assert_cache("BYPASS");
        assert_eq!(stack.camel.stats(), n);
    }
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(stack.camel.stats(), 3);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_route_ttl_makes_the_entry_expire() {
    let extra = "\n[[routes]]\nstyle = \"snake\"\nupstream = \"camel-backend\"\nprefix = \"/short\"\ncache_ttl_secs = 1\n";
    let stack = start_stack(30, extra).await;
    snake_get(&stack, "/short", JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    snake_get(&stack, "/short", JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(stack.camel.stats(), 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    snake_get(&stack, "/short", JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    assert_eq!(stack.camel.stats(), 2);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_no_store_or_private_response_is_not_cached() {
    for directive in ["no-store", "private", "private, max-age=60", "max-age=0"] {
        let fake = Fake::start(Script {
            cache_control: Some(directive),
            ..Script::default()
        })
        .await;
        let stack = stack_with_fake(&fake, "").await;
        let id = fake_id(4);
        for n in 1..=2 {
            let r = fake_own_get(&stack, &id).await;
            r.assert_status(200).assert_cache("MISS");
            assert_eq!(
                fake.stats(),
                n,
                "Cache-Control: {directive}: GET {n} reached it"
            );
        }
        // A client refresh does not store it either.
        get_bearer(
            stack.url(&format!("/fake/v1/users/user_{id}")),
            Some(ADMIN),
            &[("cache-control", "no-cache")],
        )
        .await
        .assert_status(200)
        .assert_cache("BYPASS");
        fake_get(&stack, &id, ADMIN)
            .await
            .assert_status(200)
            .assert_cache("MISS");
        assert_eq!(fake.stats(), 4, "Cache-Control: {directive}");
        stack.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_max_age_caps_the_ttl() {
    let fake = Fake::start(Script {
        cache_control: Some("public, max-age=1"),
        ..Script::default()
    })
    .await;
    let stack = stack_with_fake(&fake, "").await;
    let id = fake_id(5);
    fake_own_get(&stack, &id)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    fake_own_get(&stack, &id)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(fake.stats(), 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    fake_own_get(&stack, &id)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    assert_eq!(fake.stats(), 2, "max-age=1 beat the 30 s TTL");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upstream_max_age_longer_than_the_route_ttl_does_not_extend_it() {
    let fake = Fake::start(Script {
        cache_control: Some("max-age=3600"),
        ..Script::default()
    })
    .await;
    let extra = "\n[[routes]]\nstyle = \"camel\"\nupstream = \"fake\"\nprefix = \"/fake-short\"\ncache_ttl_secs = 1\n";
    let stack = stack_with_fake(&fake, extra).await;
    let id = fake_id(6);
    let url = stack.url(&format!("/fake-short/api/users/{id}"));
    get_bearer(url.clone(), Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("MISS");
    get_bearer(url.clone(), Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("HIT");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    get_bearer(url, Some(ADMIN), &[])
        .await
        .assert_status(200)
        .assert_cache("MISS");
    assert_eq!(fake.stats(), 2);
    stack.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Bounded memory
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_stays_within_max_bytes() {
    const MAX_BYTES: u64 = 4096;
    const USERS: u32 = 60;
    let fake = Fake::start(Script::default()).await;
    let envelope = start_backend(BackendStyle::Envelope).await;
    let camel = start_backend(BackendStyle::Camel).await;
    let snake = start_backend(BackendStyle::Snake).await;
    let (port, admin) = (free_port(), free_port());
    let extra = format!(
        "{}\n[[routes]]\nstyle = \"snake\"\nupstream = \"fake\"\nprefix = \"/fake-own\"\n",
        fake.upstream("fake")
    );
    let text = stack_config(&envelope, &camel, &snake, port, admin, 30, &extra);
    assert!(text.contains("max_bytes = 1048576"));
    let text = text.replace("max_bytes = 1048576", &format!("max_bytes = {MAX_BYTES}"));
    let stack = start_gateway_with(envelope, camel, snake, text, port, admin).await;

    // The seeded users through every upstream, then many distinct users of the scripted one.
    for id in seed_ids() {
        envelope_get(&stack, id, ADMIN).await.assert_status(200);
        get_bearer(stack.url(&format!("/api/users/{id}")), Some(ADMIN), &[])
            .await
            .assert_status(200);
        snake_get(&stack, "", id, ADMIN).await.assert_status(200);
    }
    for n in 0..USERS {
        fake_own_get(&stack, &fake_id(1000 + n))
            .await
            .assert_status(200);
    }
    let within = |t: &str| {
        metric(t, "dragoman_cache_bytes").is_some_and(|b| b > 0.0 && b <= MAX_BYTES as f64)
            && metric(t, "dragoman_cache_entries").is_some_and(|e| e > 0.0)
    };
    let text = metrics_until(&stack, within).await;
    let bytes = metric(&text, "dragoman_cache_bytes").expect("dragoman_cache_bytes");
    let entries = metric(&text, "dragoman_cache_entries").expect("dragoman_cache_entries");
    assert!(
        bytes > 0.0 && bytes <= MAX_BYTES as f64,
        "dragoman_cache_bytes {bytes} within (0, {MAX_BYTES}]"
    );
    assert!(
        entries > 0.0 && entries < f64::from(USERS + 9),
        "dragoman_cache_entries {entries}: some, not all"
    );
    let size = metric(&text, r#"dragoman_cache_evictions_total{cause="size"}"#);
    assert!(
        size.is_some_and(|n| n >= 1.0),
        "the bound turned entries away: evictions by size {size:?}"
    );
    // ... which shows as upstream requests for users fetched before.
    let before = fake.stats();
    for n in 0..10 {
        fake_own_get(&stack, &fake_id(1000 + n))
            .await
            .assert_status(200);
    }
    assert!(
        fake.stats() > before,
        "with {MAX_BYTES} bytes, not all of {USERS} users stayed cached"
    );
    stack.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Admin: purge and metrics
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purging_one_user_makes_only_that_users_next_get_a_miss() {
    let stack = start_stack(30, "").await;
    for id in [JOHN, JANE] {
        envelope_get(&stack, id, ADMIN)
            .await
            .assert_status(200)
            .assert_cache("MISS");
    }
    let r = purge(&stack, &format!("?upstream=camel-backend&id={JOHN}")).await;
    r.assert_status(200);
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    envelope_get(&stack, JANE, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    // Purging the user on another upstream leaves the camel backend's entry.
    purge(&stack, &format!("?upstream=snake-backend&id={JOHN}"))
        .await
        .assert_status(200);
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    assert_eq!(stack.camel.stats(), 3);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purging_everything_makes_every_next_get_a_miss() {
    let stack = start_stack(30, "").await;
    envelope_get(&stack, JOHN, ADMIN).await.assert_status(200);
    envelope_get(&stack, MAX, ADMIN).await.assert_status(200);
    snake_get(&stack, "", JOHN, ADMIN).await.assert_status(200);
    purge(&stack, "").await.assert_status(200);
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    envelope_get(&stack, MAX, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    snake_get(&stack, "", JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("MISS");
    // ... and what is fetched after the purge is cached again.
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_purge_request_is_refused() {
    let stack = start_stack(30, "").await;
    envelope_get(&stack, JOHN, ADMIN).await.assert_status(200);
    purge(&stack, "?upstream=camel-backend")
        .await
        .assert_status(400);
    purge(&stack, &format!("?id={JOHN}"))
        .await
        .assert_status(400);
    let unknown = purge(&stack, &format!("?upstream=nope&id={JOHN}")).await;
    assert!(
        [400, 404].contains(&unknown.status),
        "unknown upstream: {} {:#}",
        unknown.status,
        unknown.body
    );
    let wrong_method = send(client().get(format!("{}/cache/purge", stack.admin))).await;
    wrong_method.assert_status(405);
    // None of these purged anything.
    envelope_get(&stack, JOHN, ADMIN)
        .await
        .assert_status(200)
        .assert_cache("HIT");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_hits_misses_and_bypasses() {
    let stack = start_stack(30, "").await;
    let url = stack.url(&format!("/v1/users/user_{JOHN}"));
    envelope_get(&stack, JOHN, ADMIN).await.assert_cache("MISS");
    envelope_get(&stack, JOHN, ADMIN).await.assert_cache("HIT");
    envelope_get(&stack, JOHN, ADMIN).await.assert_cache("HIT");
    get_bearer(url, Some(ADMIN), &[("cache-control", "no-cache")])
        .await
        .assert_cache("BYPASS");
    let text = metrics_text(&stack).await;
    assert_eq!(
        metric(&text, r#"dragoman_cache_lookups_total{event="hit"}"#),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, r#"dragoman_cache_lookups_total{event="miss"}"#),
        Some(1.0)
    );
    assert_eq!(
        metric(&text, r#"dragoman_cache_lookups_total{event="bypass"}"#),
        Some(1.0)
    );
    assert!(text.contains("dragoman_cache_entries"), "{text}");
    assert!(text.contains("dragoman_cache_bytes"), "{text}");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_lookups_that_ended_in_an_upstream_error() {
    let stack = start_stack(30, "").await;
    let miss = envelope_get(&stack, UNKNOWN, ADMIN).await;
    miss.assert_status(404);
    let bypass = get_bearer(
        stack.url(&format!("/v1/users/user_{UNKNOWN}")),
        Some(ADMIN),
        &[("cache-control", "no-cache")],
    )
    .await;
    bypass.assert_status(404);
    let text = metrics_text(&stack).await;
    assert_eq!(
        metric(&text, r#"dragoman_cache_lookups_total{event="miss"}"#),
        Some(1.0),
        "the 404 was answered with X-Cache {}",
        miss.x_cache()
    );
    assert_eq!(
        metric(&text, r#"dragoman_cache_lookups_total{event="bypass"}"#),
        Some(1.0),
        "the no-cache 404 was answered with X-Cache {}",
        bypass.x_cache()
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_report_the_entries_and_bytes_the_cache_holds() {
    let stack = start_stack(30, "").await;
    for id in seed_ids() {
        envelope_get(&stack, id, ADMIN)
            .await
            .assert_status(200)
            .assert_cache("MISS");
    }
    let text = metrics_until(&stack, |t| metric(t, "dragoman_cache_entries") == Some(3.0)).await;
    assert_eq!(metric(&text, "dragoman_cache_entries"), Some(3.0), "{text}");
    assert!(
        metric(&text, "dragoman_cache_bytes").is_some_and(|b| b > 0.0),
        "{text}"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_evictions_by_a_write_and_by_a_purge() {
    let stack = start_stack(30, "").await;
    envelope_get(&stack, JOHN, ADMIN).await.assert_status(200);
    envelope_get(&stack, JANE, ADMIN).await.assert_status(200);
    send(
        client()
            .put(stack.url(&format!("/v1/users/user_{JOHN}")))
            .bearer_auth(ADMIN)
            .json(&json!({"name": "Jo Doe"})),
    )
    .await
    .assert_status(200);
    purge(&stack, &format!("?upstream=camel-backend&id={JANE}"))
        .await
        .assert_status(200);
    let series = r#"dragoman_cache_evictions_total{cause="explicit"}"#;
    let text = metrics_until(&stack, |t| metric(t, series).is_some_and(|v| v >= 2.0)).await;
    assert_eq!(metric(&text, series), Some(2.0), "{text}");
    stack.stop().await;
}
