//! The cache's policy: which GETs use it and how (key, TTL, `no-cache` refresh), what an
//! upstream's `Cache-Control` allows to be stored, and the cache's shape for a config.

use super::{CacheKey, CacheStatus, Entry, Fetched, Unstored, UpstreamShape, UserCache};
use crate::config::{CacheConfig, Config};
use crate::translate::{Canonical, StyleId, TranslateError, View};
use std::sync::Arc;
use std::time::Duration;

/// How one GET uses the cache, decided from its route and request: the key (partitioned by
/// a forwarded credential), the TTL the route allows (`None`: the cache is off for it) and
/// whether the client asked for a fresh answer (`no-cache`).
#[derive(Debug, Clone)]
pub struct Lookup {
    pub key: CacheKey,
    pub ttl: Option<Duration>,
    pub refresh: bool,
}

impl Lookup {
    pub fn new(
        config: &CacheConfig,
        route_ttl: Option<Duration>,
        upstream: u16,
        id: &str,
        forwarded: Option<&str>,
        refresh: bool,
    ) -> Self {
        let ttl = route_ttl.unwrap_or(config.ttl);
        let on = !ttl.is_zero() && config.max_bytes > 0;
        Self {
            key: CacheKey {
                upstream,
                id: Arc::from(id),
                partition: forwarded.map_or(0, UserCache::partition_for),
            },
            ttl: on.then_some(ttl),
            refresh,
        }
    }
}

/// What a GET was answered with, and from where.
pub struct Served {
    answer: Answer,
    pub status: CacheStatus,
}

enum Answer {
    /// A cache entry, whose memoized views the response uses.
    Cached(Arc<Entry>),
    /// A user fetched and not stored (bypass, `no-store`, a write raced the fetch).
    Fresh(Fetched),
}

impl Served {
    /// The `Age` of a hit, in seconds.
    pub fn age_secs(&self) -> Option<u64> {
        match (&self.answer, self.status) {
            (Answer::Cached(e), CacheStatus::Hit) => Some(e.age_secs()),
            _ => None,
        }
    }

    /// The user as client style number `style` sees it: memoized or rendered by the fetch
    /// when there is one, else rendered with `render` now.
    pub fn view(
        &self,
        style: usize,
        render: impl FnOnce(&Canonical) -> Result<View, TranslateError>,
    ) -> Result<Arc<View>, TranslateError> {
        match &self.answer {
            Answer::Cached(entry) => entry.view(style, render),
            Answer::Fresh(fetched) => match &fetched.view {
                Some((s, view)) if *s == style => view.clone().map_err(|e| (*e).clone()),
                _ => render(&fetched.user).map(Arc::new),
            },
        }
    }
}

impl UserCache {
    /// A GET's user: from the cache, or from `fetch` (coalesced with concurrent misses, and
    /// stored when the upstream allows). With the cache off or a `no-cache` request, `fetch`
    /// always runs (BYPASS) and a storable answer still refreshes the entry.
    pub async fn serve<E, F>(&self, lookup: Lookup, fetch: F) -> Result<Served, (E, CacheStatus)>
    where
        E: Clone + Send + Sync + 'static,
        F: std::future::Future<Output = Result<Fetched, E>>,
    {
        let Some(ttl) = lookup.ttl.filter(|_| !lookup.refresh) else {
            let token = self.write_token(lookup.key.upstream);
            let fetched = fetch.await.map_err(|e| (e, CacheStatus::Bypass))?;
            if let (Some(ttl), Some(max_age)) = (lookup.ttl, fetched.storable_for) {
                self.put(lookup.key, &fetched, ttl.min(max_age), token)
                    .await;
            }
            return Ok(Served {
                answer: Answer::Fresh(fetched),
                status: CacheStatus::Bypass,
            });
        };
        match Box::pin(self.get_or_fetch(lookup.key, ttl, fetch)).await {
            Ok((entry, status)) => Ok(Served {
                answer: Answer::Cached(entry),
                status,
            }),
            Err(e) => match &*e {
                Unstored::Failed(err) => Err((err.clone(), CacheStatus::Miss)),
                Unstored::Uncacheable(fetched) => Ok(Served {
                    answer: Answer::Fresh(fetched.clone()),
                    status: CacheStatus::Miss,
                }),
            },
        }
    }
}

/// Reads `Cache-Control`: `None` when the response must not be stored, else the cap.
pub fn storable_for(cache_control: Option<&str>) -> Option<Duration> {
    let Some(cc) = cache_control else {
        return Some(Duration::MAX);
    };
    let mut cap = Duration::MAX;
    for directive in cc.split(',') {
        let d = directive.trim().to_ascii_lowercase();
        if d == "no-store" || d == "private" || d == "no-cache" {
            return None;
        }
        if let Some(v) = d
            .strip_prefix("max-age=")
            .or_else(|| d.strip_prefix("s-maxage="))
        {
            match v.trim_matches('"').parse::<u64>() {
                Ok(secs) => cap = cap.min(Duration::from_secs(secs)),
                Err(_) => return None,
            }
        }
    }
    Some(cap)
}

/// The cache is sized from the config; each upstream is partitioned when any route to it
/// forwards client credentials.
pub fn for_config(config: &Config) -> UserCache {
    let upstreams = (0..config.upstreams.len())
        .map(|u| {
            let routes: Vec<_> = config.routes.iter().filter(|r| r.upstream == u).collect();
            let mut styles: Vec<StyleId> = routes.iter().map(|r| r.style).collect();
            styles.sort();
            styles.dedup();
            UpstreamShape {
                partitioned: routes.iter().any(|r| r.forward_credential),
                client_styles: styles.len(),
            }
        })
        .collect();
    UserCache::new(
        config.cache.max_bytes,
        upstreams,
        config.rules.style_names().len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_decides_what_is_stored_and_for_how_long() {
        assert_eq!(storable_for(None), Some(Duration::MAX));
        assert_eq!(storable_for(Some("no-store")), None);
        assert_eq!(storable_for(Some("Private, max-age=60")), None);
        assert_eq!(
            storable_for(Some("public, max-age=10")),
            Some(Duration::from_secs(10))
        );
        assert_eq!(storable_for(Some("max-age=0")), Some(Duration::ZERO));
    }
}
