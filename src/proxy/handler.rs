//! Serving one request once it is framed and read: resolving it against its route plan
//! (method, credential and scope, the user's id in both styles), then a GET through the cache
//! or a PUT through the translation core, the upstream's answer read back into the client's
//! style, and the one response written.

use super::intake::{self, is_json_media_type, Incoming};
use super::route::{Found, RoutePlan};
use super::upstream::Answer;
use super::{timestamp, Ctx, Gateway};
use crate::auth;
use crate::cache::{self, Fetched, Lookup};
use crate::config::Scope;
use crate::errors::{GatewayError, Reply};
use crate::metrics::Stage;
use crate::translate::FieldErrorKind;
use crate::translate::{BytesError, Canonical, LossNote, Method, TranslateError, View};
use bytes::Bytes;
use pingora::http::ResponseHeader;
use pingora::prelude::Session;
use serde_json::Value;
use std::sync::Arc;

/// A request resolved once against its route: the plan it borrows everything from, and the
/// user's id on both sides.
pub(super) struct Resolved {
    pub plan: Arc<RoutePlan>,
    pub canonical_id: String,
    pub upstream_id: String,
    /// The client's credential, when the route forwards it upstream.
    pub forwarded: Option<String>,
}

impl Gateway {
    pub(super) async fn handle(
        &self,
        session: &mut Session,
        ctx: &mut Ctx,
    ) -> Result<Reply, GatewayError> {
        let path = session.req_header().uri.path().to_owned();
        let found = self.router.find(&path, &self.rules);
        if let Found::Route(plan, _) | Found::Nearest(plan) = &found {
            ctx.route = Some(Arc::clone(plan));
        }
        let incoming = intake::incoming(session, &self.config.limits)?;
        let (plan, raw_id) = match found {
            Found::Route(plan, id) => (Arc::clone(plan), id.to_owned()),
            Found::Nearest(_) => return Err(GatewayError::NotFound),
            Found::None => return Err(GatewayError::NoRoute),
        };
        let route = &plan.route;
        let client = self.rules.style(plan.client);
        let method = match incoming.method.as_str() {
            "GET" if client.allows(Method::Get) => Method::Get,
            "PUT" if client.allows(Method::Put) => Method::Put,
            _ => {
                return Err(GatewayError::MethodNotAllowed {
                    allow: client.allow_header(),
                })
            }
        };
        let credential = auth::presented(
            &client.auth,
            incoming.authorization.as_deref(),
            incoming.query.as_deref(),
        );
        let scope = if method == Method::Get {
            Scope::Read
        } else {
            Scope::Write
        };
        auth::authorize(
            &self.config.keys,
            &client.auth,
            credential.as_deref(),
            scope,
        )?;
        let canonical_id = self
            .rules
            .canonical_id(plan.client, &raw_id)
            .ok_or(GatewayError::MalformedId)?;
        let upstream_id = self
            .rules
            .path_id(plan.backend, &canonical_id)
            .ok_or(GatewayError::MalformedId)?;
        let forwarded = if route.forward_credential {
            credential.clone()
        } else {
            None
        };
        let target = Resolved {
            plan,
            canonical_id,
            upstream_id,
            forwarded,
        };
        match method {
            Method::Get => self.get(ctx, &incoming, &target).await,
            Method::Put => {
                let body = intake::read_body(session, &incoming, &self.config.limits).await?;
                self.put(ctx, &incoming, &target, body).await
            }
        }
    }

    async fn fetch_user(
        &self,
        ctx: &mut Ctx,
        incoming: &Incoming,
        target: &Resolved,
    ) -> Result<Fetched, GatewayError> {
        let answer = self
            .call_upstream(ctx, incoming, target, "GET", None)
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(self.upstream_failure(&target.plan, &answer));
        }
        let user = self.read_upstream_user(target, &answer)?;
        let plan = &target.plan;
        let view = self
            .render_view(plan, &user)
            .map(Arc::new)
            .map_err(Arc::new);
        Ok(Fetched {
            user: Arc::new(user),
            view: Some((plan.client.index(), view)),
            storable_for: cache::storable_for(answer.cache_control.as_deref()),
        })
    }

    /// The upstream's answer as the canonical user asked for. An answer about another user
    /// (its id is not the one in the path) is an invalid upstream response: returning or
    /// caching it would show one user's data under another's id.
    fn read_upstream_user(
        &self,
        target: &Resolved,
        answer: &Answer,
    ) -> Result<Canonical, GatewayError> {
        let up = &target.plan.upstream;
        if !answer
            .content_type
            .as_deref()
            .is_some_and(is_json_media_type)
        {
            return Err(GatewayError::BadGateway(format!(
                "upstream {} answered {} without a JSON body",
                up.name, answer.status
            )));
        }
        let failed = |reason: String| {
            self.metrics
                .translation_failed(target.plan.label.as_str(), Stage::UpstreamResponse);
            GatewayError::BadGateway(reason)
        };
        let user = self
            .rules
            .read_response_bytes(up.style, &answer.body)
            .map_err(|e| match e {
                BytesError::Json(e) => {
                    GatewayError::BadGateway(format!("upstream {} sent invalid JSON: {e}", up.name))
                }
                BytesError::Translate(e) => failed(e.to_string()),
            })?;
        match self.rules.user_id(&user) {
            Some(id) if crate::translate::same_user_id(id, &target.canonical_id) => Ok(user),
            Some(id) => Err(failed(format!(
                "upstream {} answered with user {id:?} for user {:?}",
                up.name, target.canonical_id
            ))),
            None => Err(failed(format!(
                "upstream {} answered with a user without an id",
                up.name
            ))),
        }
    }

    /// An upstream's non-success answer, in terms the client's style can render.
    fn upstream_failure(&self, plan: &RoutePlan, answer: &Answer) -> GatewayError {
        let (route, up) = (&plan.route, &plan.upstream);
        let parsed = serde_json::from_slice::<Value>(&answer.body)
            .map(|doc| self.rules.style(up.style).parse_error(&doc))
            .unwrap_or_default();
        let message = parsed.message.clone().filter(|m| !m.is_empty());
        match answer.status {
            404 => GatewayError::NotFound,
            400 | 422 if !parsed.items.is_empty() => GatewayError::Validation(
                self.rules
                    .translate_field_errors(up.style, plan.client, &parsed.items),
            ),
            422 => GatewayError::Validation(vec![crate::translate::FieldError::new(
                "",
                FieldErrorKind::ValueError,
                message.unwrap_or_else(|| "The upstream refused the update".into()),
            )]),
            401 | 403 if !route.forward_credential => GatewayError::BadGateway(format!(
                "upstream {} refused the gateway's credential with {}",
                up.name, answer.status
            )),
            401 => GatewayError::Unauthorized,
            403 => GatewayError::Forbidden(None),
            s @ 400..=499 => GatewayError::Upstream {
                status: s,
                message: message.unwrap_or_else(|| crate::errors::reason(s).to_owned()),
            },
            s => GatewayError::BadGateway(format!("upstream {} answered {s}", up.name)),
        }
    }

    async fn get(
        &self,
        ctx: &mut Ctx,
        incoming: &Incoming,
        target: &Resolved,
    ) -> Result<Reply, GatewayError> {
        let lookup = Lookup::new(
            &self.config.cache,
            target.plan.route.cache_ttl,
            target.plan.upstream_index,
            &target.canonical_id,
            target.forwarded.as_deref(),
            incoming.no_cache,
        );
        let fetch = self.fetch_user(ctx, incoming, target);
        let served = self.cache.serve(lookup, fetch).await;
        let status = match &served {
            Ok(s) => s.status,
            Err((_, status)) => *status,
        };
        ctx.cache = Some(status);
        self.metrics
            .cache_lookups
            .with_label_values(&[&status.as_str().to_ascii_lowercase()])
            .inc();
        let served = served.map_err(|(e, _)| e)?;
        let plan = &target.plan;
        let view = served
            .view(plan.client.index(), |u| self.render_view(plan, u))
            .map_err(|e| self.view_failed(plan, e))?;
        let mut reply = self.render(&target.plan, ctx, &view, Method::Get, &[]);
        if let Some(age) = served.age_secs() {
            reply.headers.push(("age", age.to_string()));
        }
        Ok(reply)
    }

    async fn put(
        &self,
        ctx: &mut Ctx,
        incoming: &Incoming,
        target: &Resolved,
        body: Bytes,
    ) -> Result<Reply, GatewayError> {
        let route = &target.plan.route;
        let up = &target.plan.upstream;
        let label = target.plan.label.as_str();
        let translated = self
            .rules
            .translate_request_bytes(target.plan.client, up.style, &body, &route.policy)
            .map_err(|e| match e {
                BytesError::Json(_) => GatewayError::BadJson,
                BytesError::Translate(e) => {
                    self.metrics.translation_failed(label, Stage::Request);
                    match e {
                        TranslateError::Invalid(errs) => GatewayError::Validation(errs),
                        TranslateError::MalformedId => GatewayError::MalformedId,
                        other => GatewayError::Internal(other.to_string()),
                    }
                }
            })?;
        let payload = Bytes::from(translated.body);
        let answer = self
            .call_upstream(ctx, incoming, target, "PUT", Some(payload))
            .await;
        // Unless the upstream clearly refused the write (4xx), it may have happened — even
        // when its answer was lost or late — so whatever any route cached for this user is
        // stale now.
        let refused = matches!(&answer, Ok(a) if (400..500).contains(&a.status));
        if !refused {
            self.cache
                .evict_user(target.plan.upstream_index, &target.canonical_id)
                .await;
        }
        let answer = answer?;
        if !(200..300).contains(&answer.status) {
            return Err(self.upstream_failure(&target.plan, &answer));
        }
        let user = self.read_upstream_user(target, &answer)?;
        let plan = &target.plan;
        let view = self
            .render_view(plan, &user)
            .map_err(|e| self.view_failed(plan, e))?;
        let mut reply = self.render(&target.plan, ctx, &view, Method::Put, &translated.lossy);
        if !translated.dropped.is_empty() {
            reply
                .headers
                .push(("x-dragoman-dropped", translated.dropped.join(", ")));
        }
        Ok(reply)
    }

    /// The user read from the route's upstream, as its client style sees it (the view plan
    /// skips what the upstream's reading already checked).
    fn render_view(&self, plan: &RoutePlan, user: &Canonical) -> Result<View, TranslateError> {
        self.rules
            .view_from(Some(plan.upstream.style), plan.client, user)
    }

    /// A view that could not be rendered: a translation failure of the response, a 502.
    fn view_failed(&self, plan: &RoutePlan, e: TranslateError) -> GatewayError {
        self.metrics
            .translation_failed(plan.label.as_str(), Stage::Response);
        GatewayError::BadGateway(e.to_string())
    }

    /// The success reply around `view`. `X-Dragoman-Lossy` names, once each, the fields the
    /// write (`write_lossy`, a PUT's request notes) and the view carried imperfectly.
    fn render(
        &self,
        plan: &RoutePlan,
        ctx: &Ctx,
        view: &View,
        method: Method,
        write_lossy: &[LossNote],
    ) -> Reply {
        let style = plan.client;
        let body = self
            .rules
            .write_response(style, view, method, &ctx.request_id, &timestamp());
        let mut headers = Vec::new();
        if let Some(fields) = lossy_fields(write_lossy.iter().chain(&view.lossy)) {
            headers.push(("x-dragoman-lossy", fields));
        }
        Reply {
            status: 200,
            content_type: self.rules.style(style).response.content_type.clone(),
            headers,
            body: Bytes::from(body),
        }
    }

    pub(super) async fn write(
        &self,
        session: &mut Session,
        ctx: &Ctx,
        reply: Reply,
    ) -> pingora::Result<()> {
        use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
        // No header-case map: every name is ours (pingora writes standard names titled).
        let mut resp = ResponseHeader::build_no_case(reply.status, Some(reply.headers.len() + 4))?;
        resp.insert_header(CONTENT_TYPE, reply.content_type.as_str())?;
        resp.insert_header(CONTENT_LENGTH, reply.body.len())?;
        resp.insert_header("x-request-id", ctx.request_id.as_str())?;
        if let Some(status) = ctx.cache {
            resp.insert_header("x-cache", status.as_str())?;
        }
        for (name, value) in &reply.headers {
            resp.insert_header(*name, value.as_str())?;
        }
        let keepalive = self.config.limits.keepalive_timeout.as_secs();
        session.set_keepalive((keepalive > 0).then_some(keepalive));
        session.write_response_header(Box::new(resp), false).await?;
        session.write_response_body(Some(reply.body), true).await?;
        Ok(())
    }
}

/// The fields of lossy notes, each once in the order met, for the `X-Dragoman-Lossy` header;
/// `None` when nothing was lossy.
fn lossy_fields<'a>(notes: impl IntoIterator<Item = &'a LossNote>) -> Option<String> {
    let mut fields: Vec<&str> = Vec::new();
    for field in notes.into_iter().map(|n| n.field.as_str()) {
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    (!fields.is_empty()).then(|| fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossy_fields_name_each_field_once_in_the_order_met() {
        let notes: Vec<LossNote> = [("name", "split"), ("role", "first of 2"), ("name", "again")]
            .map(|(field, why)| LossNote {
                field: field.into(),
                why: why.into(),
            })
            .to_vec();
        assert_eq!(lossy_fields(&notes).as_deref(), Some("name, role"));
        assert_eq!(lossy_fields(&Vec::<LossNote>::new()), None);
    }
}
