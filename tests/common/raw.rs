//! Raw HTTP/1.1 over TCP to the gateway, for framing: exchanges whose bytes reqwest would not
//! send, pipelining, and kept-alive connections.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Stack;

pub struct RawResponse {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

pub async fn connect(stack: &Stack) -> TcpStream {
    let addr = stack.base.trim_start_matches("http://");
    TcpStream::connect(addr)
        .await
        .expect("connect to the gateway")
}

/// Reads the next response off `stream` (bytes already read wait in `buf`), within 5 s.
pub async fn read_response(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> Result<RawResponse, String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut chunk = [0u8; 16384];
    let mut closed = false;
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let status = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("not a status line: {head:?}"))?;
            let length = head.lines().skip(1).find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.trim()
                    .eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            });
            let complete = match length {
                Some(n) => (buf.len() >= end + 4 + n).then_some(end + 4 + n),
                None if closed => Some(buf.len()),
                None => None,
            };
            if let Some(total) = complete {
                let body = buf[end + 4..total].to_vec();
                buf.drain(..total);
                return Ok(RawResponse { status, head, body });
            }
        }
        if closed {
            return Err(format!(
                "connection closed; got {:?}",
                String::from_utf8_lossy(buf)
            ));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => closed = true,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => {
                return Err(format!(
                    "no complete response in 5 s; got {:?}",
                    String::from_utf8_lossy(buf)
                ))
            }
        }
    }
}

/// Writes `request` on a new connection and reads one response.
pub async fn raw_exchange(stack: &Stack, request: &str) -> Result<RawResponse, String> {
    let mut stream = connect(stack).await;
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    read_response(&mut stream, &mut Vec::new()).await
}

/// Where `needle` first stands in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
