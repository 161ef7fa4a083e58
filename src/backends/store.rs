//! The in-memory documents of one backend, each in that style's own shape, and the timestamps
//! a backend stamps: `meta.timestamp` and a write's `updated` field.
//!
//! The gateway stamps envelope timestamps too, when it wraps a response. Only the format is
//! shared ([`crate::clock::format`], so both write the same bytes); when to stamp, and that an
//! update never goes backwards, are the backends' own on purpose: they stand in for
//! independent services.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use parking_lot::RwLock;
use serde_json::{Map, Value};

/// Now, as the docs write timestamps: RFC 3339, UTC, whole seconds.
pub(crate) fn now_timestamp() -> String {
    crate::clock::format(Utc::now())
}

/// The `updated` timestamp for a write: now, but never before the previous one. Seconds
/// precision means two writes in one second share a value; a clock step backwards must not
/// make a later write look older.
pub(crate) fn next_update_timestamp(previous: Option<&Value>) -> String {
    let now = Utc::now();
    let previous = previous
        .and_then(Value::as_str)
        .and_then(|p| DateTime::parse_from_rfc3339(p).ok())
        .map(|p| p.with_timezone(&Utc));
    let at = match previous {
        Some(previous) if previous > now => previous,
        _ => now,
    };
    crate::clock::format(at)
}

/// The in-memory document store: one native JSON object per user.
pub(crate) struct Store {
    users: RwLock<HashMap<String, Map<String, Value>>>,
    /// `--any-id` (load benches): a user every well-formed id that is not stored reads as,
    /// this document with its `id` set to the one asked for. A write stores it.
    any_id: Option<Map<String, Value>>,
}

impl Store {
    pub(crate) fn new(users: impl IntoIterator<Item = (String, Map<String, Value>)>) -> Self {
        Self {
            users: RwLock::new(users.into_iter().collect()),
            any_id: None,
        }
    }

    /// Makes every id not stored read as the first seed user (by id order) under that id.
    pub(crate) fn answer_any_id(&mut self) {
        let users = self.users.get_mut();
        let mut ids: Vec<&String> = users.keys().collect();
        ids.sort();
        self.any_id = ids.first().and_then(|id| users.get(*id)).cloned();
    }

    fn stand_in(&self, id: &str) -> Option<Map<String, Value>> {
        let mut doc = self.any_id.clone()?;
        doc.insert("id".to_owned(), Value::String(id.to_owned()));
        Some(doc)
    }

    pub(crate) fn get(&self, id: &str) -> Option<Value> {
        let stored = self.users.read().get(id).cloned();
        stored.or_else(|| self.stand_in(id)).map(Value::Object)
    }

    /// Runs `apply` on the document under the write lock, so concurrent writes never
    /// interleave, and returns the result.
    pub(crate) fn update(
        &self,
        id: &str,
        apply: impl FnOnce(&mut Map<String, Value>),
    ) -> Option<Value> {
        let mut users = self.users.write();
        if !users.contains_key(id) {
            let doc = self.stand_in(id)?;
            users.insert(id.to_owned(), doc);
        }
        let user = users.get_mut(id)?;
        apply(user);
        Some(Value::Object(user.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_any_id_every_id_reads_as_the_stand_in_and_a_write_stores_it() {
        let doc = |id: &str| {
            let mut m = Map::new();
            m.insert("id".into(), Value::String(id.into()));
            m.insert("name".into(), Value::String(format!("user {id}")));
            (id.to_owned(), m)
        };
        let mut store = Store::new([doc("b"), doc("a")]);
        assert_eq!(store.get("z"), None);
        store.answer_any_id();
        let z = store.get("z").expect("any id reads");
        assert_eq!(z["id"], "z");
        assert_eq!(z["name"], "user a");
        assert_eq!(store.get("b").expect("stored")["name"], "user b");
        store.update("z", |d| {
            d.insert("name".into(), Value::String("zed".into()));
        });
        assert_eq!(store.get("z").expect("stored now")["name"], "zed");
    }

    #[test]
    fn update_timestamps_never_go_backwards() {
        let future = Value::String("2999-01-01T00:00:00Z".to_owned());
        assert_eq!(next_update_timestamp(Some(&future)), "2999-01-01T00:00:00Z");
        let past = Value::String("2024-01-15T10:30:00Z".to_owned());
        assert!(next_update_timestamp(Some(&past)).as_str() > "2024-01-15T10:30:00Z");
    }
}
