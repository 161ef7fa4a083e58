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
}

impl Store {
    pub(crate) fn new(users: impl IntoIterator<Item = (String, Map<String, Value>)>) -> Self {
        Self {
            users: RwLock::new(users.into_iter().collect()),
        }
    }

    pub(crate) fn get(&self, id: &str) -> Option<Value> {
        self.users.read().get(id).cloned().map(Value::Object)
    }

    /// Runs `apply` on the document under the write lock, so concurrent writes never
    /// interleave, and returns the result.
    pub(crate) fn update(
        &self,
        id: &str,
        apply: impl FnOnce(&mut Map<String, Value>),
    ) -> Option<Value> {
        let mut users = self.users.write();
        let user = users.get_mut(id)?;
        apply(user);
        Some(Value::Object(user.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_timestamps_never_go_backwards() {
        let future = Value::String("2999-01-01T00:00:00Z".to_owned());
        assert_eq!(next_update_timestamp(Some(&future)), "2999-01-01T00:00:00Z");
        let past = Value::String("2024-01-15T10:30:00Z".to_owned());
        assert!(next_update_timestamp(Some(&past)).as_str() > "2024-01-15T10:30:00Z");
    }
}
