//! Which route serves a path: the route style's path template under the route's prefix.

use crate::config::Route;
use crate::translate::RuleSet;

/// The result of matching a request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found<'p> {
    /// Route index and the raw id segment.
    Route(usize, &'p str),
    /// No route matches; the nearest one (by shared path prefix) speaks for the 404.
    Nearest(usize),
    None,
}

/// Routes with their full templates, compiled once.
#[derive(Debug, Clone)]
pub struct Router {
    /// (route index, prefix, literal base of the full path)
    entries: Vec<(usize, String, String)>,
}

impl Router {
    pub fn new(routes: &[Route], rules: &RuleSet) -> Self {
        let entries = routes
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let base = format!("{}{}", r.prefix, rules.style(r.style).path.base());
                (i, r.prefix.clone(), base)
            })
            .collect();
        Self { entries }
    }

    pub fn find<'p>(&self, path: &'p str, routes: &[Route], rules: &RuleSet) -> Found<'p> {
        for (i, prefix, _) in &self.entries {
            let Some(rest) = path.strip_prefix(prefix.as_str()) else {
                continue;
            };
            if let Some(id) = rules.style(routes[*i].style).path.matches(rest) {
                return Found::Route(*i, id);
            }
        }
        let mut best: Option<(usize, usize)> = None;
        for (i, _, base) in &self.entries {
            let shared = common_segments(path, base);
            if shared > 0 && best.is_none_or(|(_, n)| shared > n) {
                best = Some((*i, shared));
            }
        }
        best.map_or(Found::None, |(i, _)| Found::Nearest(i))
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

    #[test]
    fn a_path_finds_its_route_and_id() {
        let c = demo();
        let r = Router::new(&c.routes, &c.rules);
        assert_eq!(
            r.find("/v1/users/user_1", &c.routes, &c.rules),
            Found::Route(0, "user_1")
        );
        assert_eq!(
            r.find("/api/users/abc", &c.routes, &c.rules),
            Found::Route(1, "abc")
        );
        assert_eq!(
            r.find("/api/v1/user/abc", &c.routes, &c.rules),
            Found::Route(2, "abc")
        );
    }

    #[test]
    fn an_unknown_path_gets_the_nearest_route_or_none() {
        let c = demo();
        let r = Router::new(&c.routes, &c.rules);
        assert_eq!(r.find("/v1/users", &c.routes, &c.rules), Found::Nearest(0));
        assert_eq!(
            r.find("/v1/users/a/b", &c.routes, &c.rules),
            Found::Nearest(0)
        );
        assert_eq!(
            r.find("/api/v1/users/x", &c.routes, &c.rules),
            Found::Nearest(2)
        );
        assert_eq!(r.find("/", &c.routes, &c.rules), Found::None);
        assert_eq!(r.find("/metrics", &c.routes, &c.rules), Found::None);
    }
}
