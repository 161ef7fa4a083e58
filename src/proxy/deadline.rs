//! A deadline for a connection's first request head (slowloris). pingora 0.9 reads request
//! headers before any hook runs and bounds each read (60 s), not the whole head, so a client
//! trickling one byte a minute would hold a connection for ever. This wraps the proxy app:
//! it reads the first request head itself within `deadline`, then hands the connection —
//! bytes pushed back — to pingora. Later requests on a kept-alive connection are read by
//! pingora under the keep-alive timeout, per read.

use async_trait::async_trait;
use pingora::apps::ServerApp;
use pingora::protocols::l4::stream::Stream as TcpStream;
use pingora::protocols::Stream;
use pingora::server::ShutdownWatch;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TIMEOUT_RESPONSE: &[u8] =
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: 66\r\n\r\n{\"error\":{\"code\":\"REQUEST_TIMEOUT\",\"message\":\"Request timed out\"}}";

pub struct HeadDeadline<A> {
    pub inner: Arc<A>,
    pub deadline: Duration,
    /// Stop collecting past this many bytes; pingora then refuses the oversized head.
    pub max_head: usize,
}

/// Whether `buf` holds a complete request head (blank line after the headers).
pub fn head_complete(buf: &[u8]) -> bool {
    buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n")
}

/// What the bytes read so far say about a connection's first request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadProgress {
    /// No blank line yet, and still within the size bound: read on.
    Incomplete,
    /// The blank line after the headers has arrived (the body may have begun).
    Complete,
    /// Past the size bound without a blank line: hand over, pingora refuses it (431).
    TooLarge,
}

/// Collects a request head read in pieces. Each piece is scanned once, with the three bytes
/// before it, so a head trickled one byte at a time costs linear, not quadratic, work.
#[derive(Debug)]
pub struct HeadCollector {
    buf: Vec<u8>,
    max: usize,
    state: HeadProgress,
}

impl HeadCollector {
    pub fn new(max: usize) -> Self {
        Self {
            buf: Vec::with_capacity(1024),
            max,
            state: HeadProgress::Incomplete,
        }
    }

    /// Adds bytes read from the connection; once not `Incomplete`, the answer stays.
    pub fn push(&mut self, bytes: &[u8]) -> HeadProgress {
        if self.state != HeadProgress::Incomplete {
            self.buf.extend_from_slice(bytes);
            return self.state;
        }
        let from = self.buf.len().saturating_sub(3);
        self.buf.extend_from_slice(bytes);
        if head_complete(&self.buf[from..]) {
            self.state = HeadProgress::Complete;
        } else if self.buf.len() > self.max {
            self.state = HeadProgress::TooLarge;
        }
        self.state
    }

    /// Everything read so far, to hand back to pingora.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }
}

#[async_trait]
impl<A: ServerApp + Send + Sync + 'static> ServerApp for HeadDeadline<A> {
    async fn process_new(
        self: &Arc<Self>,
        stream: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        let Ok(mut tcp) = stream.into_any().downcast::<TcpStream>() else {
            tracing::error!("header deadline: not a TCP stream; connection dropped");
            return None;
        };
        let mut head = HeadCollector::new(self.max_head);
        let read = async {
            let mut chunk = [0u8; 4096];
            loop {
                let n = tcp.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                if head.push(&chunk[..n]) != HeadProgress::Incomplete {
                    return Some(());
                }
            }
        };
        match tokio::time::timeout(self.deadline, read).await {
            Ok(Some(())) => {}
            Ok(None) => return None,
            Err(_) => {
                if !head.bytes().is_empty() {
                    tracing::info!(target: "dragoman::access", status = 408, bytes = head.bytes().len(), "request head not received in time");
                    let _ = tcp.write_all(TIMEOUT_RESPONSE).await;
                    let _ = tcp.flush().await;
                }
                return None;
            }
        }
        tcp.rewind(head.bytes());
        self.inner.process_new(tcp, shutdown).await
    }

    async fn cleanup(&self) {
        self.inner.cleanup().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_complete_at_its_blank_line() {
        assert!(head_complete(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        assert!(!head_complete(b"GET / HTTP/1.1\r\nHost: a\r\n"));
        assert!(head_complete(b"GET / HTTP/1.1\nHost: a\n\n"));
    }

    #[test]
    fn a_head_trickled_byte_by_byte_completes_at_the_same_byte_as_one_read() {
        let head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nbody";
        let mut c = HeadCollector::new(1024);
        let done_at = head
            .iter()
            .position(|b| c.push(std::slice::from_ref(b)) == HeadProgress::Complete);
        assert_eq!(done_at, Some(head.len() - 5));
        assert_eq!(HeadCollector::new(1024).push(head), HeadProgress::Complete);
    }

    #[test]
    fn a_head_past_the_bound_without_a_blank_line_is_too_large() {
        let mut c = HeadCollector::new(8);
        assert_eq!(c.push(b"GET / HT"), HeadProgress::Incomplete);
        assert_eq!(c.push(b"T"), HeadProgress::TooLarge);
        assert_eq!(c.push(b"\r\n\r\n"), HeadProgress::TooLarge);
        assert_eq!(c.bytes().len(), 13);
    }

    #[test]
    fn the_timeout_response_declares_its_length() {
        let text = std::str::from_utf8(TIMEOUT_RESPONSE).unwrap();
        let (_, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            text.contains(&format!("content-length: {}\r\n", body.len())),
            "{text}"
        );
    }
}
