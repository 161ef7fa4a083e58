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
fn head_complete(buf: &[u8]) -> bool {
    buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n")
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
        let mut head = Vec::with_capacity(1024);
        let read = async {
            let mut chunk = [0u8; 4096];
            loop {
                let n = tcp.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                head.extend_from_slice(&chunk[..n]);
                if head_complete(&head) || head.len() > self.max_head {
                    return Some(());
                }
            }
        };
        match tokio::time::timeout(self.deadline, read).await {
            Ok(Some(())) => {}
            Ok(None) => return None,
            Err(_) => {
                if !head.is_empty() {
                    tracing::info!(target: "dragoman::access", status = 408, bytes = head.len(), "request head not received in time");
                    let _ = tcp.write_all(TIMEOUT_RESPONSE).await;
                    let _ = tcp.flush().await;
                }
                return None;
            }
        }
        tcp.rewind(&head);
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
    fn the_timeout_response_declares_its_length() {
        let text = std::str::from_utf8(TIMEOUT_RESPONSE).unwrap();
        let (_, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            text.contains(&format!("content-length: {}\r\n", body.len())),
            "{text}"
        );
    }
}
