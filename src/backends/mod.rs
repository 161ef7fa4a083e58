//! The reference legacy backends: faithful, in-memory implementations of the three documented
//! user APIs (`envelope`, `camel`, `snake`), served over real HTTP/1.1 sockets.
//!
//! They are the oracle the gateway is tested against, so they share nothing with
//! [`crate::translate`]: each backend stores documents in its own style and renders its own
//! errors. If they reused the translation core, a bug there would be mirrored here and no test
//! could see it. Where code here looks like code of the gateway (JSON pointers, the role table,
//! bearer tokens, timestamps), that is why; only the clock format ([`crate::clock`]) and the
//! embedded assets are shared.
//!
//! This file holds the public API: [`BackendStyle`], [`Backend`], [`BackendError`] and
//! [`run_until_signal`]. The rest, by what it owns:
//! - `server`: starting a backend, the accept loop (hyper 1, HTTP/1.1 keep-alive, graceful
//!   shutdown), the tower service every connection calls, and stopping;
//! - `pipeline`: the request pipeline every style follows: route → count → method →
//!   credential → id → (PUT: media type → size → JSON → schema and references) → read or
//!   write. The order is the one the original frameworks have: routing before
//!   authentication, authentication before anything that looks at the request body. It also
//!   defines `Dialect`, what a style plugs into that pipeline, and `Rejection`;
//! - `schema`: each style's request schema, loaded once at start, and the `Violation`s it
//!   reports;
//! - `roles`: the shared role table every backend resolves role references through;
//! - `store`: the in-memory documents and their `updated` timestamps;
//! - `credential` and `response`: the small pieces of HTTP the style modules share (bearer
//!   tokens, JSON bodies, extra headers);
//! - `seed`: the demo users, one logical set, and the one function that stores them in a
//!   style's own documents.
//!
//! Each style module (`envelope`, `camel`, `snake`) implements `Dialect`: its path, its
//! credential scheme, its id format, its documents and the semantic checks the schema cannot
//! express (role references, fields that cannot be cleared), and its native success and error
//! bodies.

mod camel;
mod credential;
mod envelope;
mod pipeline;
mod response;
mod roles;
mod schema;
mod seed;
mod server;
mod snake;
mod store;

pub use seed::seed_ids;
pub use server::run_until_signal;

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The largest request body a backend accepts; bigger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// One of the three documented API styles a reference backend can speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BackendStyle {
    Envelope,
    Camel,
    Snake,
}

impl BackendStyle {
    /// Every style, in the order the docs list them.
    pub const ALL: [BackendStyle; 3] = [Self::Envelope, Self::Camel, Self::Snake];

    /// The name used on the command line, in config files and in `schemas/<style>/`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Envelope => "envelope",
            Self::Camel => "camel",
            Self::Snake => "snake",
        }
    }

    /// The backend credential of the demo configuration (README, "The demo"). The snake one starts
    /// with `in-` because snake API keys must.
    pub fn demo_credential(self) -> &'static str {
        match self {
            Self::Envelope => "demo-envelope-backend",
            Self::Camel => "demo-camel-backend",
            Self::Snake => "in-demo-snake-backend",
        }
    }
}

impl fmt::Display for BackendStyle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BackendStyle {
    type Err = BackendError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|style| style.as_str() == s)
            .ok_or_else(|| BackendError::UnknownStyle(s.to_owned()))
    }
}

/// Why a backend could not start (or a style name could not be parsed).
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("unknown backend style {0:?} (expected envelope, camel or snake)")]
    UnknownStyle(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("embedded asset {0} is missing")]
    MissingAsset(String),
    #[error("{path}: {message}")]
    Asset { path: String, message: String },
    #[error("unusable backend credential: {0}")]
    Credential(&'static str),
    #[error("seed user {id}: {message}")]
    Seed { id: &'static str, message: String },
}

// Its methods (start, stats, shutdown) are in `server`, next to the loop they drive.

/// A running reference backend.
///
/// Dropping the handle stops it the same way [`Backend::shutdown`] does, without waiting.
pub struct Backend {
    style: BackendStyle,
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}
