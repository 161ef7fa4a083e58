//! One compiled style: its fields, path, auth scheme, body shapes and schemas.

use super::canonical::{Canonical, FieldId, Registry};
use super::error::{pointer_to_dotted, FieldError, FieldErrorKind};
use super::path::JsonPath;
use super::rules::{FieldRule, Lossy, Rule, WriteProblem};
use super::schema::{Schema, StyleSchemas};
use super::table::Tables;
use super::template::Template;
use super::{Kind, Method};
use serde_json::{Map, Value};

/// How a client presents its credential in this style, and how the gateway presents the
/// upstream's credential to a backend of this style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthScheme {
    /// `Authorization: Bearer <secret>`.
    Bearer,
    /// `?<param>=<secret>`; the secret must start with `prefix`.
    Query { param: String, prefix: String },
}

/// `/v1/users/{id}`: literal text around one parameter segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    pub raw: String,
    pub param: String,
    before: String,
    after: String,
}

/// Why a style's `[path] template` is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathTemplateError {
    #[error("needs one {{parameter}}")]
    NoParameter,
    #[error("unclosed {{")]
    Unclosed,
    #[error("must start with / and hold exactly one {{parameter}}")]
    NotOneParameter,
    #[error("the {{parameter}} must be a whole path segment")]
    PartOfASegment,
}

impl PathTemplate {
    pub fn parse(raw: &str) -> Result<Self, PathTemplateError> {
        let open = raw.find('{').ok_or(PathTemplateError::NoParameter)?;
        let close = raw[open..].find('}').ok_or(PathTemplateError::Unclosed)? + open;
        let param = &raw[open + 1..close];
        let (before, after) = (&raw[..open], &raw[close + 1..]);
        if param.is_empty() || after.contains('{') || !raw.starts_with('/') {
            return Err(PathTemplateError::NotOneParameter);
        }
        if !before.ends_with('/') || !(after.is_empty() || after.starts_with('/')) {
            return Err(PathTemplateError::PartOfASegment);
        }
        Ok(Self {
            raw: raw.to_owned(),
            param: param.to_owned(),
            before: before.to_owned(),
            after: after.to_owned(),
        })
    }

    /// The parameter of `path` (without query), if the path has this template's shape.
    pub fn matches<'p>(&self, path: &'p str) -> Option<&'p str> {
        let rest = path.strip_prefix(self.before.as_str())?;
        let id = rest.strip_suffix(self.after.as_str())?;
        (!id.is_empty() && !id.contains('/')).then_some(id)
    }

    /// The literal part before the parameter, to find the nearest route of an unknown path.
    pub fn base(&self) -> &str {
        &self.before
    }

    pub fn render(&self, id: &str) -> String {
        format!("{}{id}{}", self.before, self.after)
    }
}

#[derive(Debug)]
pub struct ResponseShape {
    pub content_type: String,
    pub body: Template,
    pub resource_at: JsonPath,
    pub get_message: Option<String>,
    pub put_message: Option<String>,
}

impl ResponseShape {
    /// The success message this style sends for `method`, if it declares one.
    pub fn message(&self, method: Method) -> Option<&str> {
        match method {
            Method::Get => self.get_message.as_deref(),
            Method::Put => self.put_message.as_deref(),
        }
    }
}

#[derive(Debug)]
pub struct ErrorShape {
    pub content_type: String,
    pub body: Template,
    pub validation_body: Option<Template>,
    pub item: Option<Template>,
}

/// What an error is, in no style; [`Style::render_error`] gives it this style's shape.
#[derive(Debug, Clone)]
pub struct ErrorInfo<'a> {
    pub status: u16,
    /// The envelope-style code, e.g. `VALIDATION_ERROR`.
    pub code: &'a str,
    /// The HTTP reason phrase, e.g. `Unprocessable Entity`.
    pub title: &'a str,
    pub message: &'a str,
    pub errors: &'a [FieldError],
    pub request_id: &'a str,
    pub timestamp: &'a str,
    /// The request path, for RFC 9457 `instance`.
    pub instance: &'a str,
}

/// An error body received from an upstream, read through the style's error shape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpstreamError {
    pub code: Option<String>,
    pub message: Option<String>,
    /// `(field path in the upstream's style, dotted; message)`.
    pub items: Vec<(Option<String>, String)>,
}

/// A written document and what it carried imperfectly.
pub type Written = (Map<String, Value>, Vec<Lossy>);

#[derive(Debug)]
pub struct Style {
    pub name: String,
    pub path: PathTemplate,
    pub methods: Vec<Method>,
    pub auth: AuthScheme,
    pub response: ResponseShape,
    pub error: ErrorShape,
    pub(crate) id_schema: Schema,
    pub(crate) fields: Vec<FieldRule>,
    /// For each canonical field, the index of the rule that covers it.
    pub(crate) by_canonical: Vec<Option<usize>>,
    pub(crate) id_field: usize,
    pub schemas: StyleSchemas,
}

impl Style {
    pub fn fields(&self) -> &[FieldRule] {
        &self.fields
    }

    pub fn rule_for(&self, id: FieldId) -> Option<&FieldRule> {
        self.by_canonical
            .get(id.0 as usize)
            .copied()
            .flatten()
            .map(|i| &self.fields[i])
    }

    /// Whether this style holds the canonical field in documents of `kind`.
    pub fn holds(&self, id: FieldId, kind: Kind) -> bool {
        self.rule_for(id)
            .is_some_and(|r| kind == Kind::Response || r.writable)
    }

    /// This style's name for a canonical field (`firstName` for given_name).
    pub fn name_of(&self, id: FieldId) -> Option<String> {
        self.rule_for(id).map(|r| r.path.dotted())
    }

    /// The rule whose field contains the JSON pointer (`/roles/0` → the `roles` rule).
    pub fn rule_at(&self, pointer: &str) -> Option<&FieldRule> {
        let dotted = pointer_to_dotted(pointer);
        self.fields
            .iter()
            .filter(|r| {
                let p = r.path.dotted();
                dotted == p || dotted.starts_with(&format!("{p}."))
            })
            .max_by_key(|r| r.path.keys().len())
    }

    pub fn allows(&self, method: Method) -> bool {
        self.methods.contains(&method)
    }

    /// The methods for an `Allow` header (`GET, PUT`).
    pub fn allow_header(&self) -> String {
        let names: Vec<&str> = self.methods.iter().map(|m| m.as_str()).collect();
        names.join(", ")
    }

    /// Reads a document of this style into canonical form. Requests may not carry fields the
    /// backend owns; responses carry everything the rules know.
    pub fn read(
        &self,
        doc: Value,
        kind: Kind,
        registry: &Registry,
        tables: &Tables,
    ) -> Result<Canonical, Vec<FieldError>> {
        self.read_noting(doc, kind, registry, tables, &mut Vec::new())
    }

    /// [`Self::read`], noting in `unread` each field whose value reads as no canonical value
    /// at all (snake's `is_superuser: false` names no user type), so a write can say that it
    /// was not carried instead of dropping it silently.
    pub fn read_noting(
        &self,
        mut doc: Value,
        kind: Kind,
        registry: &Registry,
        tables: &Tables,
        unread: &mut Vec<FieldId>,
    ) -> Result<Canonical, Vec<FieldError>> {
        if !doc.is_object() {
            return Err(vec![FieldError::new(
                "",
                FieldErrorKind::TypeError,
                "body: must be an object",
            )]);
        }
        self.read_from(
            |rule, _| rule.path.take(&mut doc),
            kind,
            registry,
            tables,
            unread,
        )
    }

    /// Reads the value each rule finds through `take` (given the rule and its index) into
    /// canonical form: the one reading both a parsed document and a plan's slots share.
    pub(crate) fn read_from(
        &self,
        mut take: impl FnMut(&FieldRule, usize) -> Option<Value>,
        kind: Kind,
        registry: &Registry,
        tables: &Tables,
        unread: &mut Vec<FieldId>,
    ) -> Result<Canonical, Vec<FieldError>> {
        let mut canon = Canonical::new(registry);
        let mut errors = Vec::new();
        for (index, rule) in self.fields.iter().enumerate() {
            let Some(value) = take(rule, index) else {
                continue;
            };
            let name = rule.path.dotted();
            if kind == Kind::Request && !rule.writable {
                errors.push(FieldError::new(
                    rule.path.pointer(),
                    FieldErrorKind::ExtraForbidden,
                    format!("{name}: cannot be changed"),
                ));
                continue;
            }
            let sent = !value.is_null();
            if let Err(problem) = rule.read(value, kind, tables, &mut canon) {
                errors.push(FieldError::new(
                    rule.path.pointer(),
                    FieldErrorKind::ValueError,
                    format!("{name}: {problem}"),
                ));
            } else if sent && !rule.canonical().iter().any(|c| canon.is_present(*c)) {
                unread.push(rule.canonical()[0]);
            }
        }
        if errors.is_empty() {
            Ok(canon)
        } else {
            Err(errors)
        }
    }

    /// Writes the canonical document as this style's resource (responses) or request body.
    pub fn write(
        &self,
        canon: &Canonical,
        kind: Kind,
        tables: &Tables,
    ) -> Result<Written, Vec<WriteProblem>> {
        let mut doc = Map::new();
        let mut lossy = Vec::new();
        let mut problems = Vec::new();
        for rule in &self.fields {
            if kind == Kind::Request && !rule.writable {
                continue;
            }
            if let Err(p) = rule.write(canon, kind, tables, &mut doc, &mut lossy) {
                problems.push(p);
            }
        }
        if problems.is_empty() {
            Ok((doc, lossy))
        } else {
            Err(problems)
        }
    }

    /// A path id of this style → the canonical id. `None` when malformed.
    pub fn read_id(&self, path_id: &str, registry: &Registry, tables: &Tables) -> Option<String> {
        let value = Value::String(path_id.to_owned());
        if !self.id_schema.is_valid(&value) {
            return None;
        }
        let rule = &self.fields[self.id_field];
        let mut canon = Canonical::new(registry);
        rule.read(value, Kind::Response, tables, &mut canon).ok()?;
        canon
            .get(rule.canonical()[0])
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// The canonical id → this style's path id. `None` when it cannot be well-formed here.
    pub fn write_id(&self, id: &str) -> Option<String> {
        let out = match &self.fields[self.id_field].rule {
            Rule::Prefix(p) => p.apply(id),
            _ => id.to_owned(),
        };
        self.id_schema
            .is_valid(&Value::String(out.clone()))
            .then_some(out)
    }

    /// The resource inside a success document.
    pub fn unwrap<'d>(&self, doc: &'d Value) -> Option<&'d Value> {
        self.response.resource_at.get(doc)
    }

    /// A success document around `resource`, with fresh per-response values.
    pub fn wrap(
        &self,
        resource: Value,
        method: Method,
        request_id: &str,
        timestamp: &str,
    ) -> Value {
        let message = self.response.message(method);
        let mut resource = Some(resource);
        self.response.body.render(&mut |p| match p {
            "resource" => resource.take(),
            "timestamp" => Some(Value::String(timestamp.to_owned())),
            "request_id" => Some(Value::String(request_id.to_owned())),
            "message" => message.map(|m| Value::String(m.to_owned())),
            _ => None,
        })
    }

    /// Writes a success document around `resource` (JSON text, as a [`super::View`] holds
    /// it) into `out`.
    pub fn wrap_into(
        &self,
        resource: &[u8],
        method: Method,
        request_id: &str,
        timestamp: &str,
        out: &mut Vec<u8>,
    ) {
        use super::template::Var;
        let message = self.response.message(method);
        self.response.body.write_json(
            &mut |p| match p {
                "resource" => Some(Var::Json(resource)),
                "timestamp" => Some(Var::Str(timestamp)),
                "request_id" => Some(Var::Str(request_id)),
                "message" => message.map(Var::Str),
                _ => None,
            },
            out,
        );
    }

    /// An error document in this style.
    pub fn render_error(&self, info: &ErrorInfo<'_>) -> Value {
        let items: Option<Vec<Value>> = self.error.item.as_ref().map(|item| {
            info.errors
                .iter()
                .map(|e| {
                    item.render(&mut |p| match p {
                        "pointer" => Some(Value::String(e.pointer.clone())),
                        "field" => Some(Value::String(e.field())),
                        "loc" => {
                            let mut loc = vec![Value::String("body".into())];
                            loc.extend(super::pointer::tokens(&e.pointer).map(|s| {
                                match s.parse::<u64>() {
                                    Ok(n) => Value::from(n),
                                    Err(_) => Value::String(s),
                                }
                            }));
                            Some(Value::Array(loc))
                        }
                        "msg" => Some(Value::String(e.message.clone())),
                        "type" => Some(Value::String(e.kind.as_str().to_owned())),
                        _ => None,
                    })
                })
                .collect()
        });
        let body = match (&self.error.validation_body, info.errors.is_empty()) {
            (Some(v), false) => v,
            _ => &self.error.body,
        };
        let mut items = items.filter(|i| !i.is_empty());
        body.render(&mut |p| match p {
            "status" => Some(Value::from(info.status)),
            "code" => Some(Value::String(info.code.to_owned())),
            "title" => Some(Value::String(info.title.to_owned())),
            "message" => Some(Value::String(info.message.to_owned())),
            "instance" => Some(Value::String(info.instance.to_owned())),
            "timestamp" => Some(Value::String(info.timestamp.to_owned())),
            "request_id" => Some(Value::String(info.request_id.to_owned())),
            "errors" => items.take().map(Value::Array),
            _ => None,
        })
    }

    /// Reads an error document of this style (an upstream's) back into its parts.
    pub fn parse_error(&self, doc: &Value) -> UpstreamError {
        let mut out = UpstreamError::default();
        let text = |t: &Template, name: &str| {
            t.find(name)
                .and_then(|p| p.get(doc).and_then(Value::as_str).map(str::to_owned))
        };
        out.code = text(&self.error.body, "code");
        out.message = text(&self.error.body, "message");
        let lists = [Some(&self.error.body), self.error.validation_body.as_ref()];
        for t in lists.into_iter().flatten() {
            let Some(list) = t
                .find("errors")
                .and_then(|p| p.get(doc))
                .and_then(Value::as_array)
            else {
                continue;
            };
            let Some(item) = &self.error.item else { break };
            let msg_at = item.find("msg");
            let field_at = item
                .find("pointer")
                .map(|p| (p, true))
                .or(item.find("loc").map(|p| (p, false)));
            for entry in list {
                let msg = msg_at
                    .as_ref()
                    .and_then(|p| p.get(entry))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let field = field_at.as_ref().and_then(|(p, is_pointer)| {
                    let v = p.get(entry)?;
                    if *is_pointer {
                        v.as_str().map(pointer_to_dotted)
                    } else {
                        let parts: Vec<String> = v
                            .as_array()?
                            .iter()
                            .skip(1)
                            .map(|s| {
                                s.as_str()
                                    .map(str::to_owned)
                                    .unwrap_or_else(|| s.to_string())
                            })
                            .collect();
                        Some(parts.join("."))
                    }
                });
                out.items.push((field, msg));
            }
            break;
        }
        out
    }
}
