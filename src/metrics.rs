//! Prometheus metrics, in a registry of the gateway's own (two gateways in one process, as
//! in tests, do not share counters).

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// Where a document was refused or could not be translated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// A client's PUT body: invalid for its style, or not carried to the upstream's.
    Request,
    /// An upstream's answer: invalid for its style, or about another user.
    UpstreamResponse,
    /// A user the client style could not show.
    Response,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Request => "request",
            Stage::UpstreamResponse => "upstream_response",
            Stage::Response => "response",
        }
    }
}

pub struct Metrics {
    registry: Registry,
    /// route, method, status
    pub requests: IntCounterVec,
    /// route
    pub request_seconds: HistogramVec,
    /// upstream
    pub upstream_seconds: HistogramVec,
    /// route, stage ([`Stage`]); counted through [`Metrics::translation_failed`].
    translation_failures: IntCounterVec,
    /// event: hit | miss | bypass
    pub cache_lookups: IntCounterVec,
    /// cause: expired | explicit | size | replaced
    pub cache_evictions: IntCounterVec,
    pub cache_entries: IntGauge,
    pub cache_bytes: IntGauge,
}

impl Metrics {
    pub fn translation_failed(&self, route: &str, stage: Stage) {
        self.translation_failures
            .with_label_values(&[route, stage.as_str()])
            .inc();
    }

    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let buckets = vec![
            0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
            2.5, 5.0,
        ];
        let requests = IntCounterVec::new(
            Opts::new(
                "dragoman_requests_total",
                "Requests answered, by route, method and status",
            ),
            &["route", "method", "status"],
        )?;
        let request_seconds = HistogramVec::new(
            HistogramOpts::new(
                "dragoman_request_duration_seconds",
                "Time from request to response, by route",
            )
            .buckets(buckets.clone()),
            &["route"],
        )?;
        let upstream_seconds = HistogramVec::new(
            HistogramOpts::new(
                "dragoman_upstream_duration_seconds",
                "Upstream call latency, by upstream",
            )
            .buckets(buckets),
            &["upstream"],
        )?;
        let translation_failures = IntCounterVec::new(
            Opts::new(
                "dragoman_translation_failures_total",
                "Documents refused or not translatable, by route and stage",
            ),
            &["route", "stage"],
        )?;
        let cache_lookups = IntCounterVec::new(
            Opts::new("dragoman_cache_lookups_total", "GET cache outcomes"),
            &["event"],
        )?;
        let cache_evictions = IntCounterVec::new(
            Opts::new("dragoman_cache_evictions_total", "Cache removals by cause"),
            &["cause"],
        )?;
        let cache_entries = IntGauge::new("dragoman_cache_entries", "Entries in the GET cache")?;
        let cache_bytes = IntGauge::new(
            "dragoman_cache_bytes",
            "Weighted size of the GET cache in bytes",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(request_seconds.clone()))?;
        registry.register(Box::new(upstream_seconds.clone()))?;
        registry.register(Box::new(translation_failures.clone()))?;
        registry.register(Box::new(cache_lookups.clone()))?;
        registry.register(Box::new(cache_evictions.clone()))?;
        registry.register(Box::new(cache_entries.clone()))?;
        registry.register(Box::new(cache_bytes.clone()))?;
        for e in ["hit", "miss", "bypass"] {
            cache_lookups.with_label_values(&[e]);
        }
        Ok(Self {
            registry,
            requests,
            request_seconds,
            upstream_seconds,
            translation_failures,
            cache_lookups,
            cache_evictions,
            cache_entries,
            cache_bytes,
        })
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        out
    }
}
