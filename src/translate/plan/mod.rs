//! Translation plans: each style's documents compiled, at load, from its rules and schemas
//! into a one-pass reader (bytes → the values its rules read, checked as they are parsed)
//! and a one-pass writer (canonical user → checked bytes), so the data plane builds no
//! `Value` tree of a document and runs no whole-document `jsonschema` walk.
//!
//! A direction is a reader and a writer with the canonical user between them — the user is
//! what the cache keeps, so a GET that misses and the hits after it render through the same
//! writer. What a direction's reader already checked, its writer does not check again: a
//! field copied unchanged from a style whose schema asserts at least what the client's
//! asserts ([`RuleSet::view_from`]).
//!
//! Plans are an equivalent of the value path (`read_owned_response`, `view`,
//! `translate_owned_request`), never a second opinion: whatever a plan does not accept —
//! invalid JSON, a value a check refuses, a shape it was not compiled for — falls back to the
//! value path, which reads it again and reports it exactly as before. A style whose schemas
//! use what a plan cannot express keeps the value path for that document. The differential
//! tests (`tests/plans.rs`) hold a plan to giving the value path's answers.

pub(crate) mod check;
mod read;
mod write;

use super::canonical::{Canonical, Registry};
use super::rules::{Lossy, Rule};
use super::{Kind, RuleSet, Style, StyleId, TranslateError, View, WritePolicy};
use check::{Check, NotCompilable};
use read::ReadPlan;
use serde_json::Value;
use write::WritePlan;

/// A plan did not take this document: the value path decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fallback;

/// The compiled plans of one style; `None` where the style's schema needs the value path.
#[derive(Debug, Default)]
pub(crate) struct StylePlans {
    /// A whole success document of this style (what its backend answers).
    response: Option<ReadPlan>,
    /// A PUT body of this style (what its clients send).
    request: Option<ReadPlan>,
    /// The resource, as this style's clients are shown it.
    view: Option<WritePlan>,
    /// A PUT body, as this style's backend is sent it.
    request_body: Option<WritePlan>,
    /// Why a document has no plan, for `dragoman check` and the start-up log.
    pub(crate) missing: Vec<String>,
}

fn keep<T>(what: &str, compiled: Result<T, NotCompilable>, missing: &mut Vec<String>) -> Option<T> {
    compiled
        .map_err(|NotCompilable(why)| missing.push(format!("{what}: {why}")))
        .ok()
}

/// Compiles every style's plans, then what each (origin → client) direction's writer may
/// skip.
pub(crate) fn compile(styles: &[Style], registry: &Registry) -> Vec<StylePlans> {
    let mut plans: Vec<StylePlans> = styles
        .iter()
        .map(|s| {
            let mut missing = Vec::new();
            let response_raw = s.schemas.response.raw();
            let request_raw = s.schemas.request.raw();
            let resource_raw = s.schemas.resource.raw();
            let response = keep(
                "response",
                ReadPlan::compile(
                    response_raw,
                    response_raw,
                    &s.response.resource_at,
                    &s.fields,
                ),
                &mut missing,
            );
            let request = keep(
                "request",
                ReadPlan::compile(request_raw, request_raw, &Default::default(), &s.fields),
                &mut missing,
            );
            let view = keep(
                "view",
                WritePlan::compile(
                    &s.fields,
                    Kind::Response,
                    resource_raw,
                    resource_raw,
                    styles.len(),
                ),
                &mut missing,
            );
            let request_body = keep(
                "request body",
                WritePlan::compile(
                    &s.fields,
                    Kind::Request,
                    request_raw,
                    request_raw,
                    styles.len(),
                ),
                &mut missing,
            );
            StylePlans {
                response,
                request,
                view,
                request_body,
                missing,
            }
        })
        .collect();
    learn_all(styles, registry, &mut plans);
    plans
}

/// Marks in each client's view plan the checks each origin's response reader already ran.
fn learn_all(styles: &[Style], registry: &Registry, plans: &mut [StylePlans]) {
    for client in 0..styles.len() {
        let mut view = plans[client].view.take();
        if let Some(v) = view.as_mut() {
            for origin in 0..styles.len() {
                let reader = plans[origin].response.as_ref();
                v.learn_implied(origin, &|rule, check| {
                    implied_by(
                        registry,
                        &styles[origin],
                        reader,
                        &styles[client],
                        rule,
                        check,
                    )
                });
            }
        }
        plans[client].view = view;
    }
}

/// Whether the value `client`'s rule `rule` writes has passed `check` already when the user
/// was read from `origin`'s response: both rules copy the same canonical field, the field is
/// never derived (`registry`), `origin` has no other rule that could set it, and `origin`'s
/// check of it implies `check`.
fn implied_by(
    registry: &Registry,
    origin: &Style,
    reader: Option<&ReadPlan>,
    client: &Style,
    rule: usize,
    check: &Check,
) -> bool {
    let Some(reader) = reader else { return false };
    let Rule::Copy(c) = &client.fields[rule].rule else {
        return false;
    };
    // A derived field may come from the role table, which no reader check saw.
    if registry.field(c.field).derive.is_some() {
        return false;
    }
    let covering: Vec<usize> = origin
        .fields
        .iter()
        .enumerate()
        .filter(|(_, r)| r.canonical().contains(&c.field))
        .map(|(i, _)| i)
        .collect();
    let [only] = covering[..] else { return false };
    if !matches!(origin.fields[only].rule, Rule::Copy(_)) {
        return false;
    }
    reader
        .check_of(only)
        .is_some_and(|mine| mine.implies(check))
}

impl RuleSet {
    fn plans(&self, style: StyleId) -> &StylePlans {
        &self.plans[style.index()]
    }

    /// An upstream success document, as bytes → the canonical user, as
    /// [`Self::read_owned_response`] reads it: the response plan when it takes the document,
    /// the value path when it does not.
    pub fn read_response_bytes(
        &self,
        upstream: StyleId,
        bytes: &[u8],
    ) -> Result<Canonical, BytesError> {
        if let Some(canon) = self.read_response_planned(upstream, bytes) {
            return Ok(canon);
        }
        let doc: Value = serde_json::from_slice(bytes).map_err(BytesError::Json)?;
        self.read_owned_response(upstream, doc)
            .map_err(BytesError::Translate)
    }

    /// The response plan alone: `None` where it falls back (for the differential tests).
    pub fn read_response_planned(&self, upstream: StyleId, bytes: &[u8]) -> Option<Canonical> {
        let plan = self.plans(upstream).response.as_ref()?;
        let mut slots = plan.read(bytes).ok()?;
        let style = self.style(upstream);
        let mut canon = style
            .read_from(
                |_, i| slots.take(i),
                Kind::Response,
                &self.registry,
                &self.tables,
                &mut Vec::new(),
            )
            .ok()?;
        self.fill_derived(&mut canon, |_| true);
        Some(canon)
    }

    /// [`Self::view`] of a user read from `origin`'s responses: the client's view plan, which
    /// skips the checks `origin`'s reading already made, or the value path.
    pub fn view_from(
        &self,
        origin: Option<StyleId>,
        client: StyleId,
        canon: &Canonical,
    ) -> Result<View, TranslateError> {
        match self.view_planned(origin, client, canon) {
            Some(view) => Ok(view),
            None => self.view(client, canon),
        }
    }

    /// The view plan alone: `None` where it falls back (for the differential tests).
    pub fn view_planned(
        &self,
        origin: Option<StyleId>,
        client: StyleId,
        canon: &Canonical,
    ) -> Option<View> {
        let plan = self.plans(client).view.as_ref()?;
        let style = self.style(client);
        let mut json = Vec::with_capacity(512);
        let mut lossy: Vec<Lossy> = Vec::new();
        plan.write(
            &style.fields,
            canon,
            &self.tables,
            origin.map(StyleId::index),
            &mut json,
            &mut lossy,
        )
        .ok()?;
        Some(View {
            json: json.into_boxed_slice(),
            lossy: self.notes(style, lossy),
        })
    }

    /// A PUT body as bytes → the upstream's body as bytes, as
    /// [`Self::translate_owned_request`] translates it.
    pub fn translate_request_bytes(
        &self,
        from: StyleId,
        to: StyleId,
        bytes: &[u8],
        policy: &WritePolicy,
    ) -> Result<EncodedRequest, BytesError> {
        if let Some(done) = self.translate_request_planned(from, to, bytes, policy) {
            return done.map_err(BytesError::Translate);
        }
        let doc: Value = serde_json::from_slice(bytes).map_err(BytesError::Json)?;
        let t = self
            .translate_owned_request(from, to, doc, policy)
            .map_err(BytesError::Translate)?;
        EncodedRequest::encode(t).map_err(BytesError::Json)
    }

    /// The request plans alone: `None` where they fall back (for the differential tests). A
    /// route between clients and a backend of one style sends the body as the value path
    /// re-serialises it, so it has no plan.
    pub fn translate_request_planned(
        &self,
        from: StyleId,
        to: StyleId,
        bytes: &[u8],
        policy: &WritePolicy,
    ) -> Option<Result<EncodedRequest, TranslateError>> {
        if from == to {
            return None;
        }
        let reader = self.plans(from).request.as_ref()?;
        let writer = self.plans(to).request_body.as_ref()?;
        let (client, target) = (self.style(from), self.style(to));
        let mut slots = reader.read(bytes).ok()?;
        let mut unread = Vec::new();
        // The plan took the body, so the client's schema holds: what the read finds wrong
        // is what the value path would find.
        let read = client.read_from(
            |_, i| slots.take(i),
            Kind::Request,
            &self.registry,
            &self.tables,
            &mut unread,
        );
        let prepared = read
            .map_err(TranslateError::Invalid)
            .and_then(|canon| self.prepare_request(canon, client, target, policy));
        let (canon, dropped) = match prepared {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        let mut body = Vec::with_capacity(256);
        let mut lossy = Vec::new();
        if writer
            .write(
                &target.fields,
                &canon,
                &self.tables,
                None,
                &mut body,
                &mut lossy,
            )
            .is_err()
        {
            return Some(
                self.finish_request(client, target, canon, unread, dropped)
                    .and_then(|t| {
                        EncodedRequest::encode(t).map_err(|e| TranslateError::Output {
                            style: target.name.clone(),
                            reason: e.to_string(),
                        })
                    }),
            );
        }
        Some(Ok(EncodedRequest {
            body,
            lossy: self.request_notes(client, lossy, unread),
            dropped,
        }))
    }

    /// Why each style's documents have no plan, `style: document: reason` (empty when every
    /// document has one).
    pub fn unplanned(&self) -> Vec<String> {
        self.styles()
            .flat_map(|(id, s)| {
                self.plans(id)
                    .missing
                    .iter()
                    .map(move |m| format!("{}: {m}", s.name))
            })
            .collect()
    }
}

/// A PUT body in the upstream's style, as the bytes to send.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedRequest {
    pub body: Vec<u8>,
    pub lossy: Vec<super::LossNote>,
    pub dropped: Vec<String>,
}

impl EncodedRequest {
    /// A request the value path translated, its body serialised.
    fn encode(t: super::TranslatedRequest) -> Result<Self, serde_json::Error> {
        Ok(Self {
            body: serde_json::to_vec(&t.body)?,
            lossy: t.lossy,
            dropped: t.dropped,
        })
    }
}

/// Why bytes did not translate: they are not JSON, or the translation refused them.
#[derive(Debug, thiserror::Error)]
pub enum BytesError {
    #[error("invalid JSON: {0}")]
    Json(serde_json::Error),
    #[error(transparent)]
    Translate(TranslateError),
}
