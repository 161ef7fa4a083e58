//! Dotted paths into JSON objects (`meta.request_id`), compiled once.

use serde_json::{Map, Value};

/// A path of object keys; the empty path is the document itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JsonPath {
    keys: Vec<String>,
}

impl JsonPath {
    pub fn parse(dotted: &str) -> Option<Self> {
        if dotted.is_empty() {
            return Some(Self::default());
        }
        let keys: Vec<String> = dotted.split('.').map(str::to_owned).collect();
        if keys.iter().any(|k| k.is_empty()) {
            return None;
        }
        Some(Self { keys })
    }

    pub fn from_keys(keys: Vec<String>) -> Self {
        Self { keys }
    }

    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    pub fn dotted(&self) -> String {
        self.keys.join(".")
    }

    pub fn pointer(&self) -> String {
        super::error::dotted_to_pointer(&self.dotted())
    }

    pub fn get<'v>(&self, doc: &'v Value) -> Option<&'v Value> {
        let mut cur = doc;
        for k in &self.keys {
            cur = cur.as_object()?.get(k)?;
        }
        Some(cur)
    }

    /// Removes and returns the value (reading a document we own, without copying it).
    pub fn take(&self, doc: &mut Value) -> Option<Value> {
        let (last, parents) = self.keys.split_last()?;
        let mut cur = doc;
        for k in parents {
            cur = cur.as_object_mut()?.get_mut(k)?;
        }
        cur.as_object_mut()?.remove(last)
    }

    /// Like [`Self::take`], but the empty path takes the whole document.
    pub fn take_or_whole(&self, doc: &mut Value) -> Option<Value> {
        if self.keys.is_empty() {
            return Some(doc.take());
        }
        self.take(doc)
    }

    /// Sets the value, creating intermediate objects; a non-object in the way is replaced.
    pub fn set(&self, doc: &mut Map<String, Value>, value: Value) {
        let Some((last, parents)) = self.keys.split_last() else {
            return;
        };
        let mut cur = doc;
        for k in parents {
            let slot = cur
                .entry(k.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            let Value::Object(next) = slot else { return };
            cur = next;
        }
        cur.insert(last.clone(), value);
    }
}
