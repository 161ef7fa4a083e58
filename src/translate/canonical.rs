//! The canonical user: the document every style is read into and written from.

use serde_json::Value;
use std::collections::HashMap;

/// Index of a canonical field in the [`Registry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldId(pub(crate) u16);

/// How a field's value follows from another field through a table when a document lacks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derive {
    pub from: FieldId,
    pub table: String,
    pub column: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalField {
    pub name: String,
    pub derive: Option<Derive>,
}

/// The canonical field names from `rules/canonical.toml`.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    fields: Vec<CanonicalField>,
    by_name: HashMap<String, FieldId>,
}

impl Registry {
    pub(crate) fn push(&mut self, name: &str) -> Option<FieldId> {
        if self.by_name.contains_key(name) {
            return None;
        }
        let id = FieldId(self.fields.len() as u16);
        self.fields.push(CanonicalField {
            name: name.to_owned(),
            derive: None,
        });
        self.by_name.insert(name.to_owned(), id);
        Some(id)
    }

    pub(crate) fn set_derive(&mut self, id: FieldId, derive: Derive) {
        self.fields[id.0 as usize].derive = Some(derive);
    }

    pub fn id(&self, name: &str) -> Option<FieldId> {
        self.by_name.get(name).copied()
    }

    pub fn field(&self, id: FieldId) -> &CanonicalField {
        &self.fields[id.0 as usize]
    }

    pub fn name(&self, id: FieldId) -> &str {
        &self.fields[id.0 as usize].name
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn ids(&self) -> impl Iterator<Item = FieldId> + '_ {
        (0..self.fields.len()).map(|i| FieldId(i as u16))
    }
}

/// A user in canonical form. Each slot is absent (`None`), explicitly `null` (clears the
/// field on a partial update), or a value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Canonical {
    slots: Vec<Option<Value>>,
}

impl Canonical {
    pub fn new(registry: &Registry) -> Self {
        Self {
            slots: vec![None; registry.len()],
        }
    }

    pub fn get(&self, id: FieldId) -> Option<&Value> {
        self.slots.get(id.0 as usize).and_then(Option::as_ref)
    }

    pub fn set(&mut self, id: FieldId, value: Value) {
        if let Some(slot) = self.slots.get_mut(id.0 as usize) {
            *slot = Some(value);
        }
    }

    pub fn remove(&mut self, id: FieldId) -> Option<Value> {
        self.slots.get_mut(id.0 as usize).and_then(Option::take)
    }

    pub fn is_present(&self, id: FieldId) -> bool {
        self.get(id).is_some()
    }

    /// The fields that are present (value or null), in registry order.
    pub fn present(&self) -> impl Iterator<Item = (FieldId, &Value)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_ref().map(|v| (FieldId(i as u16), v)))
    }

    /// A JSON object keyed by canonical names, for the CLI and debugging.
    pub fn to_json(&self, registry: &Registry) -> Value {
        let mut map = serde_json::Map::new();
        for (id, v) in self.present() {
            map.insert(registry.name(id).to_owned(), v.clone());
        }
        Value::Object(map)
    }

    /// Approximate heap size, for byte-bounded caches.
    pub fn weight(&self) -> usize {
        24 + self.slots.len() * std::mem::size_of::<Option<Value>>() + self.value_bytes()
    }

    /// Approximate heap size of the values alone (what a rendering of them also holds).
    pub fn value_bytes(&self) -> usize {
        fn size(v: &Value) -> usize {
            match v {
                Value::String(s) => 24 + s.len(),
                Value::Array(a) => 24 + a.iter().map(size).sum::<usize>(),
                Value::Object(m) => {
                    48 + m.iter().map(|(k, v)| 24 + k.len() + size(v)).sum::<usize>()
                }
                _ => 16,
            }
        }
        self.present().map(|(_, v)| 32 + size(v)).sum()
    }
}
