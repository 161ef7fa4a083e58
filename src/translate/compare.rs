//! Comparing two users read from backends of two styles (migration mode, issue 12): field by
//! field, only on the canonical fields both styles' responses hold, and each value as both
//! styles can say it — a camel `status: "locked"` and a snake `is_active: false` agree,
//! because snake has no way to say "locked" (a known-lossy mapping, DESIGN.md), while a phone
//! number that differs is a difference.

use super::canonical::{Canonical, FieldId};
use super::{Kind, RuleSet, StyleId};
use serde_json::Value;

/// One field two users disagree on: its canonical name and each side's value, as the two
/// styles can both say it (`None`: no value).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDifference {
    pub field: String,
    pub left: Option<Value>,
    pub right: Option<Value>,
}

impl RuleSet {
    /// The canonical fields both styles' responses hold: what a comparison looks at.
    pub fn shared_fields(&self, a: StyleId, b: StyleId) -> Vec<FieldId> {
        let (a, b) = (self.style(a), self.style(b));
        self.registry
            .ids()
            .filter(|id| a.holds(*id, Kind::Response) && b.holds(*id, Kind::Response))
            .collect()
    }

    /// The fields on which `left` (read from a backend of style `a`) and `right` (style `b`)
    /// differ, in registry order, leaving out `ignore`. An absent field and a `null` are the
    /// same "no value"; lists of references are compared as sets (their order is the
    /// backend's, not the user's).
    pub fn compare_users(
        &self,
        a: StyleId,
        left: &Canonical,
        b: StyleId,
        right: &Canonical,
        ignore: &[FieldId],
    ) -> Vec<FieldDifference> {
        // Both as both styles say them, or — when either cannot be written in one of the
        // styles — both as read, so the two sides are always compared alike.
        let (left, right) = match (self.as_both_say(a, b, left), self.as_both_say(a, b, right)) {
            (Some(l), Some(r)) => (l, r),
            _ => (left.clone(), right.clone()),
        };
        let mut out = Vec::new();
        for id in self.shared_fields(a, b) {
            if ignore.contains(&id) {
                continue;
            }
            let (l, r) = (value_of(&left, id), value_of(&right, id));
            if !same(l, r) {
                out.push(FieldDifference {
                    field: self.registry.name(id).to_owned(),
                    left: l.cloned(),
                    right: r.cloned(),
                });
            }
        }
        out
    }

    /// `user` as both styles can say it: written as a resource of each style and read back,
    /// in turn. A value one style cannot hold exactly comes back as what that style makes of
    /// it (`locked` → `disabled` through snake). `None` where a style cannot write the user.
    fn as_both_say(&self, a: StyleId, b: StyleId, user: &Canonical) -> Option<Canonical> {
        let mut current = user.clone();
        for style in [a, b, a] {
            current = self.through(style, &current)?;
        }
        Some(current)
    }

    fn through(&self, style: StyleId, user: &Canonical) -> Option<Canonical> {
        let s = self.style(style);
        let (doc, _) = s.write(user, Kind::Response, &self.tables).ok()?;
        s.read(
            Value::Object(doc),
            Kind::Response,
            &self.registry,
            &self.tables,
        )
        .ok()
    }
}

/// A field's value, `None` for no value: absent, `null` or an empty list (a list style's
/// "none", which a single-reference style says as `null`).
fn value_of(user: &Canonical, id: FieldId) -> Option<&Value> {
    user.get(id)
        .filter(|v| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
}

/// Equal values; lists equal as multisets (the same items as often, in any order).
fn same(l: Option<&Value>, r: Option<&Value>) -> bool {
    match (l, r) {
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            let count = |list: &[Value], item: &Value| list.iter().filter(|i| *i == item).count();
            x.len() == y.len() && x.iter().all(|i| count(x, i) == count(y, i))
        }
        (l, r) => l == r,
    }
}

#[cfg(test)]
mod tests {
    use crate::translate::RuleSet;
    use serde_json::{json, Value};

    fn rules() -> RuleSet {
        RuleSet::builtin().expect("built-in rules load")
    }

    fn camel_doc() -> Value {
        json!({"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "email": "jane@example.com",
               "firstName": "Jane", "lastName": "Smith", "status": "locked", "roles": []})
    }

    fn snake_doc() -> Value {
        json!({"message": "ok", "meta": {}, "data": {
            "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "email": "jane@example.com",
            "first_name": "Jane", "last_name": "Smith", "is_active": false, "role_id": null,
            "phone": "+15551234567"}})
    }

    #[test]
    fn users_agree_on_what_both_styles_hold_even_through_a_lossy_mapping() {
        let r = rules();
        let (camel, snake) = (r.style_id("camel").unwrap(), r.style_id("snake").unwrap());
        let left = r.read_response(camel, &camel_doc()).expect("camel reads");
        let right = r.read_response(snake, &snake_doc()).expect("snake reads");
        // `locked` is `is_active: false` in snake; the phone is snake's alone.
        assert_eq!(r.compare_users(camel, &left, snake, &right, &[]), vec![]);
    }

    #[test]
    fn lists_are_equal_as_multisets() {
        let (a, b) = (json!(["x", "x", "y"]), json!(["x", "y", "y"]));
        assert!(!super::same(Some(&a), Some(&b)));
        assert!(super::same(Some(&a), Some(&json!(["y", "x", "x"]))));
    }

    #[test]
    fn a_field_both_hold_that_differs_is_named_with_both_values_unless_ignored() {
        let r = rules();
        let (camel, snake) = (r.style_id("camel").unwrap(), r.style_id("snake").unwrap());
        let left = r.read_response(camel, &camel_doc()).expect("camel reads");
        let mut doc = snake_doc();
        doc["data"]["email"] = json!("jane.smith@example.org");
        doc["data"]["is_active"] = json!(true);
        let right = r.read_response(snake, &doc).expect("snake reads");
        let diffs = r.compare_users(camel, &left, snake, &right, &[]);
        let fields: Vec<&str> = diffs.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["email", "status"]);
        assert_eq!(diffs[0].left, Some(json!("jane@example.com")));
        assert_eq!(diffs[0].right, Some(json!("jane.smith@example.org")));
        let email = r.registry().id("email").unwrap();
        let left_only: Vec<String> = r
            .compare_users(camel, &left, snake, &right, &[email])
            .into_iter()
            .map(|d| d.field)
            .collect();
        assert_eq!(left_only, ["status"]);
    }
}
