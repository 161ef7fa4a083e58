//! `dragoman check --config FILE`: loads the config with its rules and schemas exactly as
//! `serve` would, and prints what it found for an operator: where the rules came from, the
//! styles, listeners, keys (names and scopes), upstreams, and for each route what a write
//! or a response loses. Secrets and upstream credentials are never printed.
//!
//! Exit 0 when everything loads; 1 with every problem as `file:line: message` on stderr.

use crate::config::{Config, Route};
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

pub fn run(config: &Path) -> ExitCode {
    match Config::load(config) {
        Ok(c) => {
            print!("{}", report(&c));
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("{e}");
            }
            let n = errors.0.len();
            eprintln!(
                "dragoman check: {} has {n} problem{}",
                config.display(),
                if n == 1 { "" } else { "s" }
            );
            ExitCode::FAILURE
        }
    }
}

/// The whole report, as printed on success.
fn report(c: &Config) -> String {
    let rules = &c.rules;
    let mut o = String::new();
    let _ = writeln!(o, "config {}: ok", c.source);
    let _ = writeln!(o, "rules: {}", c.rules_from);
    let _ = writeln!(o, "styles: {}", rules.style_names().join(", "));
    let _ = writeln!(
        o,
        "listeners: gateway {}, admin {} (threads: {})",
        c.listen, c.admin_listen, c.threads
    );
    if c.cache.ttl.is_zero() {
        let _ = writeln!(o, "cache: off");
    } else {
        let _ = writeln!(
            o,
            "cache: ttl {}s, at most {} bytes",
            c.cache.ttl.as_secs(),
            c.cache.max_bytes
        );
    }

    let _ = writeln!(o, "\nkeys ({}):", c.keys.len());
    if c.keys.is_empty() {
        let _ = writeln!(o, "  (none: every request will be refused with 401)");
    }
    for k in &c.keys {
        let scopes: Vec<&str> = k.scopes.iter().map(|s| s.as_str()).collect();
        let scopes = if scopes.is_empty() {
            "(no scopes)".to_owned()
        } else {
            scopes.join(", ")
        };
        let _ = writeln!(o, "  {:<20} {scopes}", k.name);
    }

    let _ = writeln!(o, "\nupstreams ({}):", c.upstreams.len());
    for u in &c.upstreams {
        let _ = writeln!(
            o,
            "  {:<20} {:<10} {} (Host: {})",
            u.name,
            rules.style(u.style).name,
            u.addr,
            u.host
        );
    }

    let _ = writeln!(o, "\nroutes ({}):", c.routes.len());
    if c.routes.is_empty() {
        let _ = writeln!(o, "  (none: the gateway will answer 404 to everything)");
    }
    for (i, r) in c.routes.iter().enumerate() {
        let _ = writeln!(o);
        route(&mut o, c, i + 1, r);
    }
    o
}

fn route(o: &mut String, c: &Config, number: usize, r: &Route) {
    let rules = &c.rules;
    let client = rules.style(r.style);
    let upstream = &c.upstreams[r.upstream];
    let upstream_style = rules.style(upstream.style);
    let _ = writeln!(
        o,
        "  {number}. {} [{}{}] → {} ({})",
        client.name, r.prefix, client.path.raw, upstream.name, upstream_style.name
    );
    let mut extras = Vec::new();
    if let Some(ttl) = r.cache_ttl {
        extras.push(format!("cache ttl {}s", ttl.as_secs()));
    }
    if r.forward_credential {
        extras.push("forwards the client's credential upstream".to_owned());
    }
    if !extras.is_empty() {
        let _ = writeln!(o, "     {}", extras.join("; "));
    }
    let _ = writeln!(
        o,
        "     drops: {}",
        if r.drop_names.is_empty() {
            "(none)".to_owned()
        } else {
            r.drop_names.join(", ")
        }
    );

    let loss = rules.loss_report(r.style, upstream.style);
    for line in loss.to_string().lines() {
        let _ = writeln!(o, "     {line}");
    }
    let refused = loss.refused_on_write();
    if refused.is_empty() {
        let _ = writeln!(o, "     every writable field can be carried");
    } else {
        let (dropped, refused): (Vec<&str>, Vec<&str>) = refused
            .into_iter()
            .partition(|f| r.drop_names.iter().any(|d| d == f));
        if !dropped.is_empty() {
            let _ = writeln!(
                o,
                "     dropped by this route's drop list: {}",
                dropped.join(", ")
            );
        }
        if !refused.is_empty() {
            let _ = writeln!(
                o,
                "     refused (422) when sent, not in the drop list: {}",
                refused.join(", ")
            );
        }
    }
    let not_needed: Vec<&str> = r
        .drop_names
        .iter()
        .map(String::as_str)
        .filter(|d| !loss.refused_on_write().contains(d))
        .collect();
    if !not_needed.is_empty() {
        let _ = writeln!(
            o,
            "     note: the drop list names {}, which a write never refuses (no effect)",
            not_needed.join(", ")
        );
    }
}
