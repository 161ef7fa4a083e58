//! The gateway's configuration: the TOML file's serde shapes ([`raw`]) are parsed and
//! checked once, here, into [`Config`], whose values cannot be wrong. After start-up nothing
//! re-checks them. Every problem is reported at once, with `file:line`.

mod raw;

use crate::assets;
use crate::translate::{LoadError, RuleSet, StyleId, WritePolicy};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The two things a credential can be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "users:read",
            Scope::Write => "users:write",
        }
    }
}

/// A client credential the gateway accepts.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    /// A label for logs and metrics; never the secret.
    pub name: String,
    pub secret: String,
    pub scopes: Vec<Scope>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("name", &self.name)
            .field("secret", &"<redacted>")
            .field("scopes", &self.scopes)
            .finish()
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct Upstream {
    pub name: String,
    pub style: StyleId,
    /// Resolved once at load: pingora panics on unresolvable peers, and DNS on the request
    /// path would block.
    pub addr: SocketAddr,
    /// The `Host` header to send.
    pub host: String,
    pub credential: String,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub write_timeout: Duration,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("name", &self.name)
            .field("addr", &self.addr)
            .field("credential", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The style clients speak on this route.
    pub style: StyleId,
    /// Index into [`Config::upstreams`].
    pub upstream: usize,
    /// Mount prefix without a trailing slash ("" or "/legacy").
    pub prefix: String,
    pub policy: WritePolicy,
    /// The client field names of `policy.drop`, for `check` and logs.
    pub drop_names: Vec<String>,
    /// Overrides `[cache] ttl_secs` for this route.
    pub cache_ttl: Option<Duration>,
    /// Send the client's own credential upstream instead of the upstream's.
    pub forward_credential: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_header_bytes: usize,
    /// How long a client may take to send a request's body.
    pub request_timeout: Duration,
    /// How long a new connection may take to send its first request head.
    pub header_timeout: Duration,
    /// How long an idle keep-alive client connection is kept.
    pub keepalive_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// Zero turns the cache off.
    pub ttl: Duration,
    pub max_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub source: String,
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub threads: usize,
    pub grace_period: Duration,
    pub limits: Limits,
    pub cache: CacheConfig,
    pub keys: Vec<Key>,
    pub upstreams: Vec<Upstream>,
    pub routes: Vec<Route>,
    pub rules: Arc<RuleSet>,
    /// Where rules and schemas came from, for `check`'s report.
    pub rules_from: String,
}

/// Defaults, documented in the README's config reference.
pub mod defaults {
    pub const MAX_BODY_BYTES: usize = 1024 * 1024;
    pub const MAX_HEADER_BYTES: usize = 16 * 1024;
    pub const REQUEST_TIMEOUT_MS: u64 = 10_000;
    pub const HEADER_TIMEOUT_MS: u64 = 10_000;
    pub const KEEPALIVE_SECS: u64 = 60;
    pub const CONNECT_TIMEOUT_MS: u64 = 1_000;
    pub const UPSTREAM_TIMEOUT_MS: u64 = 5_000;
    pub const CACHE_TTL_SECS: u64 = 30;
    pub const CACHE_MAX_BYTES: u64 = 64 * 1024 * 1024;
    pub const GRACE_PERIOD_SECS: u64 = 5;
}

/// Why a config could not be loaded: every problem found, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<LoadError>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for e in &self.0 {
            writeln!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Config {
    /// Reads and checks a config file; rules and schemas come from the built-in set unless
    /// the file names folders (relative to the file).
    pub fn load(path: &Path) -> Result<Self, ConfigErrors> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![LoadError::new(
                &display,
                0,
                format!("cannot read: {e}"),
            )])
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::from_str(&display, &text, &base, &|name| std::env::var(name).ok())
    }

    /// Parses config text. `env` looks up `env:NAME` secrets; `base` anchors relative paths.
    pub fn from_str(
        file: &str,
        text: &str,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigErrors> {
        let raw = raw::parse(file, text).map_err(|e| ConfigErrors(vec![e]))?;
        let mut errors = Vec::new();
        let (rules, rules_from) = match load_rules(&raw, base) {
            Ok(r) => r,
            Err(mut e) => {
                errors.append(&mut e);
                return Err(ConfigErrors(errors));
            }
        };
        let config = raw::check(
            file,
            text,
            raw,
            Arc::new(rules),
            rules_from,
            env,
            &mut errors,
        );
        match config {
            Some(c) if errors.is_empty() => Ok(c),
            _ => Err(ConfigErrors(errors)),
        }
    }
}

fn load_rules(raw: &raw::RawConfig, base: &Path) -> Result<(RuleSet, String), Vec<LoadError>> {
    let dir = |d: &Option<String>| d.as_ref().map(|d| base.join(d));
    let rules_dir: Option<PathBuf> = dir(&raw.gateway.rules_dir);
    let schemas_dir: Option<PathBuf> = dir(&raw.gateway.schemas_dir);
    assets::load_rules(rules_dir.as_deref(), schemas_dir.as_deref())
}

/// `http://host:port` → (resolved address, Host header). Only plain HTTP upstreams.
/// Why an upstream `url` is not one the gateway can call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("upstream url must start with http:// (TLS upstreams are not supported)")]
    NotHttp,
    #[error("upstream url must be http://host:port with no path")]
    NotHostPort,
    #[error("cannot resolve '{host}': {reason}")]
    Unresolved { host: String, reason: String },
    #[error("'{0}' resolves to no address")]
    NoAddress(String),
}

fn resolve_url(url: &str) -> Result<(SocketAddr, String), UrlError> {
    let rest = url.strip_prefix("http://").ok_or(UrlError::NotHttp)?;
    let authority = rest.trim_end_matches('/');
    if authority.is_empty() || authority.contains('/') || authority.contains('@') {
        return Err(UrlError::NotHostPort);
    }
    let with_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addr = with_port
        .to_socket_addrs()
        .map_err(|e| UrlError::Unresolved {
            host: authority.to_owned(),
            reason: e.to_string(),
        })?
        .next()
        .ok_or_else(|| UrlError::NoAddress(authority.to_owned()))?;
    Ok((addr, authority.to_owned()))
}

#[cfg(test)]
mod tests;
