//! The config file as written. Nothing outside `config` sees these types.

use super::*;
use crate::translate::error::Diagnostics;
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub gateway: RawGateway,
    #[serde(default)]
    pub cache: RawCache,
    #[serde(default)]
    pub keys: Vec<Spanned<RawKey>>,
    #[serde(default)]
    pub upstreams: Vec<Spanned<RawUpstream>>,
    #[serde(default)]
    pub routes: Vec<Spanned<RawRoute>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGateway {
    pub listen: Option<Spanned<String>>,
    pub admin_listen: Option<Spanned<String>>,
    pub threads: Option<Spanned<i64>>,
    pub rules_dir: Option<String>,
    pub schemas_dir: Option<String>,
    pub max_body_bytes: Option<Spanned<i64>>,
    pub max_header_bytes: Option<Spanned<i64>>,
    pub request_timeout_ms: Option<Spanned<i64>>,
    pub header_timeout_ms: Option<Spanned<i64>>,
    pub keepalive_timeout_secs: Option<Spanned<i64>>,
    pub grace_period_secs: Option<Spanned<i64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCache {
    pub ttl_secs: Option<Spanned<i64>>,
    pub max_bytes: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKey {
    pub name: Option<String>,
    pub secret: Spanned<String>,
    pub scopes: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUpstream {
    pub name: Spanned<String>,
    pub style: Spanned<String>,
    pub url: Spanned<String>,
    pub credential: Spanned<String>,
    pub connect_timeout_ms: Option<Spanned<i64>>,
    pub timeout_ms: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute {
    pub style: Spanned<String>,
    pub upstream: Spanned<String>,
    #[serde(default)]
    pub prefix: Option<Spanned<String>>,
    #[serde(default)]
    pub drop: Option<Spanned<Vec<String>>>,
    pub cache_ttl_secs: Option<Spanned<i64>>,
    #[serde(default)]
    pub forward_credential: bool,
}

pub(super) fn parse(file: &str, text: &str) -> Result<RawConfig, LoadError> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| crate::translate::error::line_of(text, s.start))
            .unwrap_or(0);
        LoadError::new(file, line, e.message().trim())
    })
}

/// The config's own checks, on the collector every loader shares.
impl Diagnostics<'_> {
    fn addr(
        &mut self,
        v: &Option<Spanned<String>>,
        default: &str,
        what: &str,
    ) -> Option<SocketAddr> {
        match v {
            None => default.parse().ok(),
            Some(s) => match s.get_ref().parse::<SocketAddr>() {
                Ok(a) => Some(a),
                Err(_) => self.err(
                    s.span(),
                    format!("{what}: '{}' is not an ip:port address", s.get_ref()),
                ),
            },
        }
    }

    /// A positive whole number within `max`, or the default.
    fn num(
        &mut self,
        v: &Option<Spanned<i64>>,
        default: u64,
        min: i64,
        max: i64,
        what: &str,
    ) -> Option<u64> {
        match v {
            None => Some(default),
            Some(s) if (min..=max).contains(s.get_ref()) => Some(*s.get_ref() as u64),
            Some(s) => self.err(s.span(), format!("{what} must be between {min} and {max}")),
        }
    }

    fn secret(
        &mut self,
        v: &Spanned<String>,
        env: &dyn Fn(&str) -> Option<String>,
        what: &str,
    ) -> Option<String> {
        let s = v.get_ref();
        let value = match s.strip_prefix("env:") {
            Some(var) => match env(var) {
                Some(val) => val,
                None => {
                    return self.err(
                        v.span(),
                        format!("{what}: environment variable {var} is not set"),
                    )
                }
            },
            None => s.clone(),
        };
        if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return self.err(
                v.span(),
                format!("{what} must be non-empty, without spaces or control characters"),
            );
        }
        Some(value)
    }
}

pub(super) fn check(
    file: &str,
    text: &str,
    raw: RawConfig,
    rules: Arc<RuleSet>,
    rules_from: String,
    env: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<LoadError>,
) -> Option<Config> {
    let mut at = Diagnostics::new(file, text, errors);
    let g = &raw.gateway;
    let listen = at.addr(&g.listen, "127.0.0.1:8080", "gateway.listen");
    let admin_listen = at.addr(&g.admin_listen, "127.0.0.1:9180", "gateway.admin_listen");
    let cores = std::thread::available_parallelism()
        .map(|n| n.get() as u64)
        .unwrap_or(1);
    let threads = at.num(&g.threads, cores, 1, 256, "gateway.threads");
    let max_body = at.num(
        &g.max_body_bytes,
        defaults::MAX_BODY_BYTES as u64,
        1,
        1 << 30,
        "gateway.max_body_bytes",
    );
    let max_header = at.num(
        &g.max_header_bytes,
        defaults::MAX_HEADER_BYTES as u64,
        1024,
        1 << 20,
        "gateway.max_header_bytes",
    );
    let request_timeout = at.num(
        &g.request_timeout_ms,
        defaults::REQUEST_TIMEOUT_MS,
        1,
        3_600_000,
        "gateway.request_timeout_ms",
    );
    let header_timeout = at.num(
        &g.header_timeout_ms,
        defaults::HEADER_TIMEOUT_MS,
        1,
        3_600_000,
        "gateway.header_timeout_ms",
    );
    let keepalive = at.num(
        &g.keepalive_timeout_secs,
        defaults::KEEPALIVE_SECS,
        0,
        86_400,
        "gateway.keepalive_timeout_secs",
    );
    let grace = at.num(
        &g.grace_period_secs,
        defaults::GRACE_PERIOD_SECS,
        0,
        3_600,
        "gateway.grace_period_secs",
    );
    let ttl = at.num(
        &raw.cache.ttl_secs,
        defaults::CACHE_TTL_SECS,
        0,
        86_400 * 365,
        "cache.ttl_secs",
    );
    let max_bytes = at.num(
        &raw.cache.max_bytes,
        defaults::CACHE_MAX_BYTES,
        0,
        i64::MAX,
        "cache.max_bytes",
    );
    if let (Some(a), Some(b)) = (listen, admin_listen) {
        if a == b && a.port() != 0 {
            let span = g.admin_listen.as_ref().map(Spanned::span).unwrap_or(0..0);
            at.err::<()>(span, "gateway.admin_listen must differ from gateway.listen");
        }
    }

    let mut keys = Vec::new();
    for (i, k) in raw.keys.iter().enumerate() {
        let span = k.span();
        let k = k.get_ref();
        let secret = at.secret(&k.secret, env, "keys.secret");
        let mut scopes = Vec::new();
        for s in k.scopes.get_ref() {
            match s.as_str() {
                "users:read" => scopes.push(Scope::Read),
                "users:write" => scopes.push(Scope::Write),
                other => {
                    at.err::<()>(
                        k.scopes.span(),
                        format!("unknown scope '{other}' (users:read, users:write)"),
                    );
                }
            }
        }
        if let Some(secret) = secret {
            if keys.iter().any(|x: &Key| x.secret == secret) {
                at.err::<()>(span, "the same key secret is listed twice");
            }
            let name = k.name.clone().unwrap_or_else(|| format!("key{}", i + 1));
            keys.push(Key {
                name,
                secret,
                scopes,
            });
        }
    }

    let mut upstreams: Vec<Upstream> = Vec::new();
    for u in &raw.upstreams {
        let u = u.get_ref();
        let name = u.name.get_ref().clone();
        if upstreams.iter().any(|x| x.name == name) {
            at.err::<()>(u.name.span(), format!("upstream '{name}' is defined twice"));
        }
        let style = rules.style_id(u.style.get_ref()).or_else(|| {
            at.err(
                u.style.span(),
                format!(
                    "unknown style '{}' (known: {})",
                    u.style.get_ref(),
                    rules.style_names().join(", ")
                ),
            )
        });
        let resolved = resolve_url(u.url.get_ref())
            .map_err(|e| at.err::<()>(u.url.span(), e.to_string()))
            .ok();
        let credential = at.secret(&u.credential, env, "upstreams.credential");
        let connect = at.num(
            &u.connect_timeout_ms,
            defaults::CONNECT_TIMEOUT_MS,
            1,
            600_000,
            "upstreams.connect_timeout_ms",
        );
        let timeout = at.num(
            &u.timeout_ms,
            defaults::UPSTREAM_TIMEOUT_MS,
            1,
            3_600_000,
            "upstreams.timeout_ms",
        );
        if let (Some(style), Some((addr, host)), Some(credential), Some(connect), Some(timeout)) =
            (style, resolved, credential, connect, timeout)
        {
            if let crate::translate::AuthScheme::Query { prefix, .. } = &rules.style(style).auth {
                if !credential.starts_with(prefix.as_str()) {
                    at.err::<()>(
                        u.credential.span(),
                        format!(
                            "a {} upstream's credential must start with '{prefix}'",
                            u.style.get_ref()
                        ),
                    );
                }
            }
            upstreams.push(Upstream {
                name,
                style,
                addr,
                host,
                credential,
                connect_timeout: Duration::from_millis(connect),
                read_timeout: Duration::from_millis(timeout),
                write_timeout: Duration::from_millis(timeout),
            });
        }
    }

    let mut routes: Vec<Route> = Vec::new();
    for r in &raw.routes {
        let r = r.get_ref();
        let style = rules.style_id(r.style.get_ref()).or_else(|| {
            at.err(
                r.style.span(),
                format!(
                    "unknown style '{}' (known: {})",
                    r.style.get_ref(),
                    rules.style_names().join(", ")
                ),
            )
        });
        let upstream = upstreams
            .iter()
            .position(|u| &u.name == r.upstream.get_ref());
        if upstream.is_none()
            && raw
                .upstreams
                .iter()
                .all(|u| u.get_ref().name.get_ref() != r.upstream.get_ref())
        {
            at.err::<()>(
                r.upstream.span(),
                format!("unknown upstream '{}'", r.upstream.get_ref()),
            );
        }
        let prefix = match &r.prefix {
            None => Some(String::new()),
            Some(p) => {
                let v = p.get_ref().trim_end_matches('/');
                if v.is_empty() || (v.starts_with('/') && !v.contains(['?', '#', '{', '}', ' '])) {
                    Some(v.to_owned())
                } else {
                    at.err(p.span(), "routes.prefix must start with / (e.g. \"/legacy\") and hold no ?, #, braces or spaces")
                }
            }
        };
        let drop_names = r
            .drop
            .as_ref()
            .map(|d| d.get_ref().clone())
            .unwrap_or_default();
        let drop = match (style, &r.drop) {
            (Some(s), Some(d)) => rules
                .field_ids(s, d.get_ref())
                .map_err(|e| at.err::<()>(d.span(), format!("routes.drop: {e}")))
                .ok(),
            _ => Some(Vec::new()),
        };
        let cache_ttl = match &r.cache_ttl_secs {
            None => Some(None),
            Some(_) => at
                .num(
                    &r.cache_ttl_secs,
                    0,
                    0,
                    86_400 * 365,
                    "routes.cache_ttl_secs",
                )
                .map(|s| Some(Duration::from_secs(s))),
        };
        if let (Some(style), Some(upstream), Some(prefix), Some(drop), Some(cache_ttl)) =
            (style, upstream, prefix, drop, cache_ttl)
        {
            let template = &rules.style(style).path.raw;
            if routes
                .iter()
                .any(|x| x.prefix == prefix && rules.style(x.style).path.raw == *template)
            {
                at.err::<()>(
                    r.style.span(),
                    format!("another route already serves {prefix}{template}"),
                );
            }
            routes.push(Route {
                style,
                upstream,
                prefix,
                policy: WritePolicy {
                    drop,
                    drop_all: false,
                },
                drop_names,
                cache_ttl,
                forward_credential: r.forward_credential,
            });
        }
    }
    if raw.routes.is_empty() {
        at.whole("no [[routes]]: the gateway would serve nothing");
    }
    if raw.keys.is_empty() {
        at.whole("no [[keys]]: no client could authenticate");
    }

    Some(Config {
        source: file.to_owned(),
        listen: listen?,
        admin_listen: admin_listen?,
        threads: threads? as usize,
        grace_period: Duration::from_secs(grace?),
        limits: Limits {
            max_body_bytes: max_body? as usize,
            max_header_bytes: max_header? as usize,
            request_timeout: Duration::from_millis(request_timeout?),
            header_timeout: Duration::from_millis(header_timeout?),
            keepalive_timeout: Duration::from_secs(keepalive?),
        },
        cache: CacheConfig {
            ttl: Duration::from_secs(ttl?),
            max_bytes: max_bytes?,
        },
        keys,
        upstreams,
        routes,
        rules,
        rules_from,
    })
}
