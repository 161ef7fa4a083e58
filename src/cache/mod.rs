//! The GET cache: moka, bounded in bytes, TTL'd per entry, coalescing concurrent misses.
//!
//! **What an entry holds.** The upstream's document after validation, in canonical form —
//! packed ([`Packed`]: each value as JSON text in one allocation, not a `Value` tree) — and
//! the user rendered for each client style that asked, the filling request's style rendered
//! before the entry is stored so its real size is weighed. One entry therefore serves every
//! client style reading that user through any route to the same upstream, a PUT through any
//! route evicts the one entry there is, and the per-response values (`meta.request_id`,
//! `meta.timestamp`, `X-Request-Id`) are written fresh on every hit because they were never
//! stored. A hit copies the memoized view into the response; only the first hit of another
//! client style unpacks the user to render its view.
//!
//! **Keys.** (upstream, canonical user id, partition). Partition 0 holds what was fetched
//! with the upstream's own configured credential, which every authorised client shares. A
//! route that forwards the client's credential upstream gets a partition per credential
//! (a hash of it), so no client reads what was fetched with another's credential.
//!
//! **Freshness.** TTL per entry: the route's TTL, capped by the upstream's `max-age`;
//! `no-store`/`private` responses are not stored. A successful PUT evicts every partition of
//! that user on that upstream before its response is written, and marks fills that were in
//! flight during the write as not storable (they may carry the old document).

mod policy;

pub use policy::{for_config, storable_for, Lookup, Served};

use crate::translate::{Canonical, Packed, TranslateError, View};
use moka::future::Cache;
use moka::notification::RemovalCause;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub upstream: u16,
    pub id: Arc<str>,
    pub partition: u64,
}

/// A rendering of a user, or why it could not be rendered (kept: it would fail again). Both
/// behind a pointer: an entry keeps one per style, mostly empty.
pub type ViewResult = Result<Arc<View>, Arc<TranslateError>>;

/// What an entry costs besides its texts: moka's nodes, key, hash-table and expiry
/// bookkeeping, the entry and view structs, and the allocator's rounding — measured, not
/// summed: the load bench's random-id fill grew the gateway's RSS by 1,274 bytes an entry
/// when entries were weighed at their texts plus 320. Weighing what an entry really costs
/// keeps the process within the configured bytes (plus its fixed footprint).
const ENTRY_OVERHEAD: usize = 900;

/// A cached user, and its rendering in each client style as first asked for.
#[derive(Debug)]
pub struct Entry {
    /// The user, for the client styles not rendered yet; `None` when the one style that
    /// reads this upstream was rendered at the fill (the common case: then the view is all
    /// an entry needs).
    user: Option<Packed>,
    pub stored: Instant,
    ttl: Duration,
    views: Box<[OnceLock<ViewResult>]>,
}

impl Entry {
    /// `styles`: how many styles the rule set has (a view slot each); `readers`: how many
    /// client styles read this upstream.
    fn new(fetched: &Fetched, ttl: Duration, styles: usize, readers: usize) -> Self {
        let views: Box<[OnceLock<ViewResult>]> = (0..styles).map(|_| OnceLock::new()).collect();
        let mut rendered = 0;
        if let Some((style, view)) = &fetched.view {
            if let Some(slot) = views.get(*style) {
                let _ = slot.set(view.clone());
                rendered = 1;
            }
        }
        Self {
            user: (readers > rendered).then(|| fetched.user.pack()),
            stored: Instant::now(),
            ttl,
            views,
        }
    }

    /// The user rendered for client style number `style`, rendered once per entry (from the
    /// packed user, unpacked for it).
    pub fn view(
        &self,
        style: usize,
        render: impl FnOnce(&Canonical) -> Result<View, TranslateError>,
    ) -> Result<Arc<View>, TranslateError> {
        let fresh = || match &self.user {
            Some(user) => render(&user.unpack()).map(Arc::new).map_err(Arc::new),
            // Only a style that reads no route to this upstream gets here, which the
            // config's routes rule out.
            None => Err(Arc::new(TranslateError::Output {
                style: format!("#{style}"),
                reason: "the cache keeps this user only as the views of the styles that read it"
                    .into(),
            })),
        };
        let view = match self.views.get(style) {
            Some(slot) => slot.get_or_init(fresh).clone(),
            None => fresh(),
        };
        view.map_err(|e| (*e).clone())
    }

    /// The bytes this entry holds and will hold: the packed user, the views rendered so far,
    /// and — for each of the `readers` client styles not rendered yet — a view estimated at
    /// the packed user's size (JSON text of about the same fields).
    fn weight(&self, readers: usize) -> usize {
        let packed = self.user.as_ref().map_or(0, Packed::len);
        let mut rendered = 0;
        let mut bytes = ENTRY_OVERHEAD + packed;
        for view in self.views.iter().filter_map(OnceLock::get) {
            rendered += 1;
            bytes += match view {
                Ok(v) => {
                    48 + v.json.len()
                        + v.lossy
                            .iter()
                            .map(|n| 48 + n.field.len() + n.why.len())
                            .sum::<usize>()
                }
                Err(e) => 64 + e.to_string().len(),
            };
        }
        bytes + readers.saturating_sub(rendered) * packed
    }

    /// Seconds since the upstream answered, for the `Age` header.
    pub fn age_secs(&self) -> u64 {
        self.stored.elapsed().as_secs()
    }
}

/// What one upstream fetch produced.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub user: Arc<Canonical>,
    /// The user rendered for the fetching request's client style (by style number), so the
    /// entry is weighed with it and the request does not render it again.
    pub view: Option<(usize, ViewResult)>,
    /// The upstream's `Cache-Control`: `None` = not storable; `Some(d)` caps the TTL.
    pub storable_for: Option<Duration>,
}

/// Why a coalesced fetch gave no storable entry; shared with every waiter.
#[derive(Debug)]
pub enum Unstored<E> {
    Failed(E),
    /// Fetched fine but not to be stored (no-store, a write raced it): still the answer.
    Uncacheable(Fetched),
}

/// What the cache needs to know of an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstreamShape {
    pub partitioned: bool,
    pub client_styles: usize,
}

/// The upstream's write count when a fetch began (see [`UserCache::write_token`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteToken(u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    Hit,
    Miss,
    Bypass,
}

impl CacheStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "HIT",
            CacheStatus::Miss => "MISS",
            CacheStatus::Bypass => "BYPASS",
        }
    }
}

struct PerEntryTtl;

impl moka::Expiry<CacheKey, Arc<Entry>> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _k: &CacheKey,
        v: &Arc<Entry>,
        _now: Instant,
    ) -> Option<Duration> {
        Some(v.ttl)
    }
}

/// Counters the cache reports to metrics.
#[derive(Debug, Default)]
pub struct Evictions {
    pub expired: AtomicU64,
    pub explicit: AtomicU64,
    pub size: AtomicU64,
    pub replaced: AtomicU64,
}

#[derive(Clone)]
pub struct UserCache {
    inner: Cache<CacheKey, Arc<Entry>>,
    /// Per upstream: how many client styles read it.
    readers: Arc<Vec<usize>>,
    /// Per upstream: bumped by every successful write, so fills that overlapped it are not stored.
    writes: Arc<Vec<AtomicU64>>,
    /// Per upstream: whether any route forwards client credentials (partitions other than 0).
    partitioned: Arc<Vec<bool>>,
    pub evictions: Arc<Evictions>,
    styles: usize,
}

impl UserCache {
    /// `upstreams[u]`: whether routes to upstream `u` forward client credentials, and how
    /// many client styles read it (the views an entry of it can grow). `styles`: how many
    /// styles the rule set has (one view slot each).
    pub fn new(max_bytes: u64, upstreams: Vec<UpstreamShape>, styles: usize) -> Self {
        let readers: Arc<Vec<usize>> =
            Arc::new(upstreams.iter().map(|u| u.client_styles).collect());
        let weigh_readers = readers.clone();
        let partitioned: Vec<bool> = upstreams.iter().map(|u| u.partitioned).collect();
        let evictions = Arc::new(Evictions::default());
        let ev = evictions.clone();
        let inner = Cache::builder()
            .max_capacity(max_bytes)
            // Views are rendered after insertion, so each is counted in advance at the
            // size of the user's values: the bound holds however many styles read the entry.
            // (A view is JSON text, smaller than that estimate of the value tree unless its
            // strings are mostly characters JSON must escape.)
            .weigher(move |k: &CacheKey, v: &Arc<Entry>| {
                let styles = weigh_readers
                    .get(k.upstream as usize)
                    .copied()
                    .unwrap_or(v.views.len());
                (k.id.len() + v.weight(styles)).min(u32::MAX as usize) as u32
            })
            .expire_after(PerEntryTtl)
            .support_invalidation_closures()
            .eviction_listener(move |_k, _v, cause| {
                let c = match cause {
                    RemovalCause::Expired => &ev.expired,
                    RemovalCause::Explicit => &ev.explicit,
                    RemovalCause::Size => &ev.size,
                    RemovalCause::Replaced => &ev.replaced,
                };
                c.fetch_add(1, Ordering::Relaxed);
            })
            .build();
        let writes = Arc::new((0..partitioned.len()).map(|_| AtomicU64::new(0)).collect());
        Self {
            inner,
            readers,
            writes,
            partitioned: Arc::new(partitioned),
            evictions,
            styles,
        }
    }

    /// The partition for a forwarded credential (0 is the upstream's own credential).
    pub fn partition_for(credential: &str) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        "dragoman-partition".hash(&mut h);
        credential.hash(&mut h);
        h.finish() | 1
    }

    pub async fn get(&self, key: &CacheKey) -> Option<Arc<Entry>> {
        self.inner.get(key).await
    }

    /// The cached user, or the result of `fetch` — run once however many callers miss the
    /// same key at the same time; the others wait for it and share its result or error.
    pub async fn get_or_fetch<E, F>(
        &self,
        key: CacheKey,
        ttl: Duration,
        fetch: F,
    ) -> Result<(Arc<Entry>, CacheStatus), Arc<Unstored<E>>>
    where
        E: Send + Sync + 'static,
        F: std::future::Future<Output = Result<Fetched, E>>,
    {
        // An entry another route stored with a longer TTL is too old for this one: this
        // route's TTL bounds the age of what it serves.
        if let Some(entry) = self.inner.get(&key).await {
            if entry.stored.elapsed() <= ttl {
                return Ok((entry, CacheStatus::Hit));
            }
            self.inner.invalidate(&key).await;
        }
        let upstream = key.upstream as usize;
        let writes_before = self.writes_seen(upstream);
        let entry = self
            .inner
            .entry(key)
            .or_try_insert_with(async {
                let fetched = fetch.await.map_err(Unstored::Failed)?;
                let raced = self.writes_seen(upstream) != writes_before;
                match fetched.storable_for {
                    Some(max_age) if !raced && !max_age.is_zero() => Ok(Arc::new(Entry::new(
                        &fetched,
                        ttl.min(max_age),
                        self.styles,
                        self.readers_of(upstream),
                    ))),
                    _ => Err(Unstored::Uncacheable(fetched)),
                }
            })
            .await?;
        let status = if entry.is_fresh() {
            CacheStatus::Miss
        } else {
            CacheStatus::Hit
        };
        Ok((entry.into_value(), status))
    }

    /// Taken before an upstream fetch that happens outside [`Self::get_or_fetch`]; a write
    /// to the upstream after this makes the fetched document unfit to store.
    pub fn write_token(&self, upstream: u16) -> WriteToken {
        WriteToken(self.writes_seen(upstream as usize))
    }

    /// Stores a user fetched outside the cache (a `no-cache` refresh), unless a write to the
    /// upstream happened since `token` was taken.
    pub async fn put(&self, key: CacheKey, fetched: &Fetched, ttl: Duration, token: WriteToken) {
        if ttl.is_zero() || self.writes_seen(key.upstream as usize) != token.0 {
            return;
        }
        let entry = Arc::new(Entry::new(
            fetched,
            ttl,
            self.styles,
            self.readers_of(key.upstream as usize),
        ));
        self.inner.insert(key, entry).await;
    }

    /// How many client styles read `upstream` (every style, for one the config does not
    /// know, so its entries keep the user).
    fn readers_of(&self, upstream: usize) -> usize {
        self.readers.get(upstream).copied().unwrap_or(self.styles)
    }

    fn writes_seen(&self, upstream: usize) -> u64 {
        self.writes
            .get(upstream)
            .map_or(0, |w| w.load(Ordering::Acquire))
    }

    /// Evicts every partition of a user on an upstream (after a successful write).
    pub async fn evict_user(&self, upstream: u16, id: &str) {
        if let Some(w) = self.writes.get(upstream as usize) {
            w.fetch_add(1, Ordering::AcqRel);
        }
        let key = CacheKey {
            upstream,
            id: Arc::from(id),
            partition: 0,
        };
        self.inner.invalidate(&key).await;
        if self
            .partitioned
            .get(upstream as usize)
            .copied()
            .unwrap_or(false)
        {
            let id: Arc<str> = Arc::from(id);
            let _ = self
                .inner
                .invalidate_entries_if(move |k, _| k.upstream == upstream && k.id == id);
        }
    }

    /// Purges everything (admin).
    pub fn purge_all(&self) {
        for w in self.writes.iter() {
            w.fetch_add(1, Ordering::AcqRel);
        }
        self.inner.invalidate_all();
    }

    /// Brings moka's approximate counts up to date (before reporting them).
    pub async fn sync(&self) {
        self.inner.run_pending_tasks().await;
    }

    pub fn entry_count(&self) -> u64 {
        self.inner.entry_count()
    }

    pub fn weighted_size(&self) -> u64 {
        self.inner.weighted_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::Registry;

    fn user() -> Arc<Canonical> {
        Arc::new(Canonical::new(&Registry::default()))
    }

    fn fetched() -> Fetched {
        Fetched {
            user: user(),
            view: None,
            storable_for: Some(Duration::MAX),
        }
    }

    fn key(id: &str, partition: u64) -> CacheKey {
        CacheKey {
            upstream: 0,
            id: Arc::from(id),
            partition,
        }
    }

    #[tokio::test]
    async fn concurrent_misses_run_one_fetch_and_share_it() {
        let cache = UserCache::new(
            1 << 20,
            vec![UpstreamShape {
                partitioned: false,
                client_styles: 1,
            }],
            3,
        );
        let runs = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (cache, runs) = (cache.clone(), runs.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_fetch::<String, _>(key("a", 0), Duration::from_secs(30), async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(fetched())
                    })
                    .await
                    .is_ok()
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap());
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn errors_are_shared_with_waiters_but_not_stored() {
        let cache = UserCache::new(
            1 << 20,
            vec![UpstreamShape {
                partitioned: false,
                client_styles: 1,
            }],
            3,
        );
        let r = cache
            .get_or_fetch::<&str, _>(key("a", 0), Duration::from_secs(30), async { Err("down") })
            .await;
        assert!(matches!(
            r.as_ref().map_err(|e| &**e),
            Err(Unstored::Failed("down"))
        ));
        assert!(cache.get(&key("a", 0)).await.is_none());
    }

    #[tokio::test]
    async fn a_write_evicts_every_partition_of_the_user() {
        let cache = UserCache::new(
            1 << 20,
            vec![UpstreamShape {
                partitioned: true,
                client_styles: 1,
            }],
            3,
        );
        for p in [0, 7] {
            cache
                .put(
                    key("a", p),
                    &fetched(),
                    Duration::from_secs(30),
                    cache.write_token(0),
                )
                .await;
        }
        cache
            .put(
                key("b", 0),
                &fetched(),
                Duration::from_secs(30),
                cache.write_token(0),
            )
            .await;
        cache.evict_user(0, "a").await;
        assert!(cache.get(&key("a", 0)).await.is_none());
        assert!(cache.get(&key("a", 7)).await.is_none());
        assert!(cache.get(&key("b", 0)).await.is_some());
    }

    #[tokio::test]
    async fn a_fill_that_overlapped_a_write_is_answered_but_not_stored() {
        let cache = UserCache::new(
            1 << 20,
            vec![UpstreamShape {
                partitioned: false,
                client_styles: 1,
            }],
            3,
        );
        let c2 = cache.clone();
        let r = cache
            .get_or_fetch::<String, _>(key("a", 0), Duration::from_secs(30), async move {
                c2.evict_user(0, "a").await;
                Ok(fetched())
            })
            .await;
        assert!(matches!(
            r.as_ref().map_err(|e| &**e),
            Err(Unstored::Uncacheable(_))
        ));
        assert!(cache.get(&key("a", 0)).await.is_none());
    }

    #[test]
    fn an_entry_weighs_its_packed_user_its_views_and_an_estimate_for_styles_not_yet_shown() {
        let mut registry = Registry::default();
        registry.push("id");
        let mut canon = Canonical::new(&registry);
        canon.set(crate::translate::FieldId(0), serde_json::json!("3c90c3cc"));
        let view = View {
            json: b"{\"id\":\"3c90c3cc\"}".to_vec().into_boxed_slice(),
            lossy: Vec::new(),
        };
        let shown = Fetched {
            user: Arc::new(canon),
            view: Some((1, Ok(Arc::new(view)))),
            storable_for: None,
        };
        // One reader style, rendered at the fill: the view is all the entry keeps.
        let alone = Entry::new(&shown, Duration::from_secs(1), 3, 1);
        assert!(alone.user.is_none());
        assert_eq!(alone.weight(1), ENTRY_OVERHEAD + 48 + 17);
        // Two readers: the user is kept for the other, and its view estimated.
        let shared = Entry::new(&shown, Duration::from_secs(1), 3, 2);
        let packed = shared.user.as_ref().map_or(0, Packed::len);
        assert!(packed > 0);
        assert_eq!(shared.weight(2), ENTRY_OVERHEAD + packed * 2 + 48 + 17);
        let unshown = Entry::new(
            &Fetched {
                view: None,
                ..shown
            },
            Duration::from_secs(1),
            3,
            1,
        );
        assert_eq!(unshown.weight(1), ENTRY_OVERHEAD + packed * 2);
        let other = unshown.view(0, |_| Err(TranslateError::MalformedId));
        assert_eq!(
            other,
            Err(TranslateError::MalformedId),
            "rendered from the kept user"
        );
    }
}
