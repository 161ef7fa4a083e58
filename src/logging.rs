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
    let terminal = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(terminal)
        .with_writer(writer);
    let installed = if json {
        builder.json().flatten_event(true).try_init()
    } else if terminal {
        builder.try_init()
    } else {
        builder.fmt_fields(plain_fields()).try_init()
    };
    LogGuard {
        _writer: installed.is_ok().then_some(guard),
    }
}

/// The text format's fields, as tracing-subscriber's default writes them without colours
/// (`message name=value name="text"`, `log.*` fields of bridged records left out, escape
/// characters in messages shown escaped), without its per-field styling machinery: that was
/// most of the access log's cost on the worker (a third of a translated GET's own work).
fn plain_fields() -> impl for<'w> tracing_subscriber::fmt::FormatFields<'w> + Send + Sync + 'static
{
    use std::fmt::{self, Write};

    /// A message's `Debug`, with each ESC written as `\x1b` so a logged message cannot
    /// drive a terminal reading the log.
    struct Escaped<'a>(&'a dyn fmt::Debug);
    struct NoEscapes<'a, 'b>(&'a mut fmt::Formatter<'b>);
    impl Write for NoEscapes<'_, '_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let mut parts = s.split('\x1b');
            if let Some(first) = parts.next() {
                self.0.write_str(first)?;
            }
            for part in parts {
                self.0.write_str("\\x1b")?;
                self.0.write_str(part)?;
            }
            Ok(())
        }
    }
    impl fmt::Debug for Escaped<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(NoEscapes(f), "{:?}", self.0)
        }
    }

    tracing_subscriber::fmt::format::debug_fn(|w, field, value| match field.name() {
        "message" => write!(w, "{:?}", Escaped(value)),
        name if name.starts_with("log.") => Ok(()),
        name => write!(
            w,
            " {}={:?}",
            name.strip_prefix("r#").unwrap_or(name),
            value
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn plain_fields_write_what_the_default_format_writes_without_colours() {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .without_time()
            .with_writer(move || sink.clone())
            .fmt_fields(plain_fields())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let path = "/v1/users/x?api_key=REDACTED";
            tracing::info!(
                target: "dragoman::access",
                request_id = %"req_1",
                path = %path,
                route = "envelope->camel",
                status = 200u16,
                latency_ms = 1.5,
                upstream_ms = None::<f64>,
                "request"
            );
            tracing::warn!("bell \u{1b}[31m red");
        });
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            " INFO dragoman::access: request request_id=req_1 path=/v1/users/x?api_key=REDACTED \
             route=\"envelope->camel\" status=200 latency_ms=1.5"
        );
        assert!(lines[1].ends_with(r"bell \x1b[31m red"), "{}", lines[1]);
    }
}
