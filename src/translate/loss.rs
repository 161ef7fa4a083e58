//! The loss report: for a route (client style, upstream style), which fields a write cannot
//! carry and which fields a response cannot show, computed from the rules alone.

use super::rules::Rule;
use super::{FieldId, Kind, RuleSet, StyleId};
use std::fmt;

/// How one field fares on a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LossKind {
    /// The other side has no such field: refused on writes (unless dropped by the route),
    /// omitted from responses.
    NotCarried,
    /// The other side keeps no copy, but the value follows from the role table; a write is
    /// accepted only when it equals that.
    DerivedOnly,
    /// The field arrives, but these values come back changed.
    Values(Vec<String>),
    /// The field arrives with a limit (one role only; name parts together).
    Partial(String),
    /// The client style has the field, the upstream never supplies it (responses omit it).
    NeverSupplied,
    /// The client style's field is filled from the role table, not from the upstream.
    Derived,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// The field in the style it starts from (the client's for writes, the upstream's for
    /// responses, the client's for never-supplied and derived ones).
    pub field: String,
    pub kind: LossKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LossReport {
    pub client: String,
    pub upstream: String,
    /// Writes, client → upstream.
    pub request: Vec<Loss>,
    /// Responses, upstream → client.
    pub response: Vec<Loss>,
}

impl LossReport {
    pub fn is_lossless(&self) -> bool {
        self.request.is_empty() && self.response.is_empty()
    }

    /// Client field names a write would be refused for (what a route may choose to drop).
    pub fn refused_on_write(&self) -> Vec<&str> {
        self.request
            .iter()
            .filter(|l| l.kind == LossKind::NotCarried)
            .map(|l| l.field.as_str())
            .collect()
    }
}

pub(crate) fn report(set: &RuleSet, client_id: StyleId, upstream_id: StyleId) -> LossReport {
    let (client, upstream) = (set.style(client_id), set.style(upstream_id));
    let mut request = Vec::new();
    for rule in client.fields().iter().filter(|r| r.writable) {
        let name = rule.path.dotted();
        let ids = rule.canonical();
        let held: Vec<FieldId> = ids
            .iter()
            .copied()
            .filter(|id| upstream.holds(*id, Kind::Request))
            .collect();
        if held.is_empty() {
            let derived = ids
                .iter()
                .all(|id| set.registry.field(*id).derive.is_some());
            let kind = if derived {
                LossKind::DerivedOnly
            } else {
                LossKind::NotCarried
            };
            request.push(Loss { field: name, kind });
            continue;
        }
        if held.len() < ids.len() {
            request.push(Loss {
                field: name.clone(),
                kind: LossKind::Partial("only part of it can be stored".into()),
            });
        }
        request.extend(
            narrowings(&rule.rule, &held, upstream, true)
                .into_iter()
                .map(|kind| Loss {
                    field: name.clone(),
                    kind,
                }),
        );
    }
    let mut response = Vec::new();
    for rule in upstream.fields() {
        let name = rule.path.dotted();
        let ids = rule.canonical();
        let shown: Vec<FieldId> = ids
            .iter()
            .copied()
            .filter(|id| client.holds(*id, Kind::Response))
            .collect();
        if shown.is_empty() {
            response.push(Loss {
                field: name,
                kind: LossKind::NotCarried,
            });
            continue;
        }
        response.extend(
            narrowings(&rule.rule, &shown, client, false)
                .into_iter()
                .map(|kind| Loss {
                    field: name.clone(),
                    kind,
                }),
        );
    }
    for rule in client.fields() {
        let ids = rule.canonical();
        if ids.iter().any(|id| upstream.holds(*id, Kind::Response)) {
            continue;
        }
        let derived = ids
            .iter()
            .all(|id| set.registry.field(*id).derive.is_some());
        let kind = if derived {
            LossKind::Derived
        } else {
            LossKind::NeverSupplied
        };
        response.push(Loss {
            field: rule.path.dotted(),
            kind,
        });
    }
    request.dedup();
    response.dedup();
    LossReport {
        client: client.name.clone(),
        upstream: upstream.name.clone(),
        request,
        response,
    }
}

/// What is lost carrying a field read by `from` into the rules of `to` that hold `ids`.
fn narrowings(from: &Rule, ids: &[FieldId], to: &super::Style, write: bool) -> Vec<LossKind> {
    ids.iter()
        .filter_map(|id| to.rule_for(*id))
        .filter_map(|target| narrowing(from, &target.rule, write))
        .collect()
}

/// What is lost moving a field from a `from` rule to a `to` rule, beyond the field itself;
/// each kind says it in its own file.
fn narrowing(from: &Rule, to: &Rule, write: bool) -> Option<LossKind> {
    if let Rule::Join(j) = from {
        return j.loss_as_source(to);
    }
    match to {
        Rule::Lookup(l) => l.loss_from(from, write),
        Rule::Join(j) => j.loss_from(write),
        Rule::Map(m) => m.loss_from(from),
        Rule::Copy(_) | Rule::Prefix(_) => None,
    }
}

impl fmt::Display for LossKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LossKind::NotCarried => f.write_str("not carried"),
            LossKind::DerivedOnly => {
                f.write_str("not stored; accepted only when it equals what the role implies")
            }
            LossKind::Values(v) => write!(f, "lossy values: {}", v.join("; ")),
            LossKind::Partial(p) => f.write_str(p),
            LossKind::NeverSupplied => f.write_str("never supplied by this upstream (omitted)"),
            LossKind::Derived => f.write_str("filled from the role table"),
        }
    }
}

impl fmt::Display for LossReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} clients → {} upstream", self.client, self.upstream)?;
        let section = |f: &mut fmt::Formatter<'_>, title: &str, list: &[Loss]| -> fmt::Result {
            if list.is_empty() {
                return writeln!(f, "  {title}: nothing lost");
            }
            writeln!(f, "  {title}:")?;
            for l in list {
                writeln!(f, "    {:<28} {}", l.field, l.kind)?;
            }
            Ok(())
        };
        section(f, "writes (PUT, client fields)", &self.request)?;
        section(
            f,
            "responses (upstream fields unless noted)",
            &self.response,
        )
    }
}
