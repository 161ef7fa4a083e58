//! Log set-up: tracing with pingora's `log` records bridged in, text or JSON lines, written
//! to stderr by a thread of its own.
//!
//! A worker thread formats its line (the access log's one per request) into an in-memory
//! queue and goes on; the writer thread makes the `write` system calls, one per batch of
//! queued lines. The queue never drops
//! a line: when it is full (128k lines behind) a worker waits, which only a stuck stderr
//! causes. The returned guard flushes what is queued when dropped, so every line of a graceful
//! stop reaches stderr before the process exits.

use std::io::IsTerminal;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// Keep it alive until the process ends: dropping it flushes the queued lines.
#[must_use = "dropping the guard stops the log writer"]
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

/// Installs the global subscriber once; later calls (tests) install nothing.
pub fn init(json: bool) -> LogGuard {
    let filter = EnvFilter::try_from_env("DRAGOMAN_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("dragoman-log")
        // Buffered: the writer thread writes every line queued since it last woke into the
        // buffer and flushes once the queue is empty (tracing-appender's worker does), so a
        // busy gateway makes one `write` per batch of lines, not one per request; an idle one
        // still writes each line at once.
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stderr(),
        ));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer);
    let installed = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
    LogGuard {
        _writer: installed.is_ok().then_some(guard),
    }
}
