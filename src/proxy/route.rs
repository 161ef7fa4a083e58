//! Which route serves a path, and everything a request on a route needs, resolved once at
//! start-up into a [`RoutePlan`]: the handler borrows the plan and never re-indexes the config.

use std::sync::Arc;

use crate::config::{Config, Route, Upstream};
use crate::translate::{RuleSet, StyleId};
use pingora::upstreams::peer::HttpPeer;

/// A route with its upstream, the upstream's pooled peer and both styles, built once.
#[derive(Debug)]
pub struct RoutePlan {
    pub route: Route,
    pub upstream: Upstream,
    /// The upstream's position among the configured upstreams: its key in the cache, which
    /// every route to that upstream shares.
    pub upstream_index: u16,
    pub peer: HttpPeer,
    /// The style clients speak on this route.
    pub client: StyleId,
    /// The style the upstream speaks.
    pub backend: StyleId,
    /// `style@prefix->upstream`, for metrics and the access log.
    pub label: String,
}

impl RoutePlan {
    /// One plan per configured route, in config order (the order routes are matched in).
    pub fn all(config: &Config) -> Vec<Arc<RoutePlan>> {
        config
            .routes
            .iter()
            .map(|r| {
                let upstream = config.upstreams[r.upstream].clone();
                let at = if r.prefix.is_empty() {
                    String::new()
                } else {
                    format!("@{}", r.prefix)
                };
                let label = format!(
                    "{}{at}->{}",
                    config.rules.style(r.style).name,
                    upstream.name
                );
                Arc::new(RoutePlan {
                    peer: super::upstream::peer_for(&upstream),
                    client: r.style,
                    backend: upstream.style,
                    upstream_index: r.upstream as u16,
                    route: r.clone(),
                    upstream,
                    label,
                })
            })
            .collect()
    }
}

/// The result of matching a request path.
#[derive(Debug, Clone)]
pub enum Found<'r, 'p> {
    /// The route and the raw id segment.
    Route(&'r Arc<RoutePlan>, &'p str),
    /// No route matches; the nearest one (by shared path prefix) speaks for the 404.
    Nearest(&'r Arc<RoutePlan>),
    None,
}

/// Routes with their full templates, compiled once.
#[derive(Debug, Clone)]
pub struct Router {
    /// (plan, literal base of the full path)
    entries: Vec<(Arc<RoutePlan>, String)>,
}

impl Router {
    pub fn new(plans: &[Arc<RoutePlan>], rules: &RuleSet) -> Self {
        let entries = plans
            .iter()
            .map(|p| {
                let base = format!("{}{}", p.route.prefix, rules.style(p.client).path.base());
                (p.clone(), base)
            })
            .collect();
        Self { entries }
    }

    pub fn find<'r, 'p>(&'r self, path: &'p str, rules: &RuleSet) -> Found<'r, 'p> {
        for (plan, _) in &self.entries {
            let Some(rest) = path.strip_prefix(plan.route.prefix.as_str()) else {
                continue;
            };
            if let Some(id) = rules.style(plan.client).path.matches(rest) {
                return Found::Route(plan, id);
            }
        }
        let mut best: Option<(&Arc<RoutePlan>, usize)> = None;
        for (plan, base) in &self.entries {
            let shared = common_segments(path, base);
            if shared > 0 && best.is_none_or(|(_, n)| shared > n) {
                best = Some((plan, shared));
            }
        }
        best.map_or(Found::None, |(p, _)| Found::Nearest(p))
    }
}

/// How many leading path segments two paths share.
fn common_segments(a: &str, b: &str) -> usize {
    a.split('/')
        .zip(b.split('/'))
        .skip(1)
        .take_while(|(x, y)| x == y && !x.is_empty())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn demo() -> Config {
        Config::from_str(
            "demo.toml",
            include_str!("../../examples/demo.toml"),
            std::path::Path::new("."),
            &|_| None,
        )
        .unwrap()
    }

    /// What a match names: the route's label and the id, or the nearest route's label.
    fn found(c: &Config, path: &str) -> (String, Option<String>) {
        let plans = RoutePlan::all(c);
        let r = Router::new(&plans, &c.rules);
        match r.find(path, &c.rules) {
            Found::Route(p, id) => (p.label.clone(), Some(id.to_owned())),
            Found::Nearest(p) => (p.label.clone(), None),
            Found::None => (String::new(), None),
        }
    }

    fn label(c: &Config, i: usize) -> String {
        RoutePlan::all(c)[i].label.clone()
    }

    #[test]
    fn a_path_finds_its_route_and_id() {
        let c = demo();
        assert_eq!(
            found(&c, "/v1/users/user_1"),
            (label(&c, 0), Some("user_1".into()))
        );
        assert_eq!(
            found(&c, "/api/users/abc"),
            (label(&c, 1), Some("abc".into()))
        );
        assert_eq!(
            found(&c, "/api/v1/user/abc"),
            (label(&c, 2), Some("abc".into()))
        );
    }

    #[test]
    fn an_unknown_path_gets_the_nearest_route_or_none() {
        let c = demo();
        assert_eq!(found(&c, "/v1/users"), (label(&c, 0), None));
        assert_eq!(found(&c, "/v1/users/a/b"), (label(&c, 0), None));
        assert_eq!(found(&c, "/api/v1/users/x"), (label(&c, 2), None));
        assert_eq!(found(&c, "/"), (String::new(), None));
        assert_eq!(found(&c, "/metrics"), (String::new(), None));
    }
}
