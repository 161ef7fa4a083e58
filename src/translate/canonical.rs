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

    /// The fields with a `derive` declaration (the few a read may fill in).
    pub fn derived(&self) -> impl Iterator<Item = FieldId> + '_ {
        self.ids().filter(|id| self.field(*id).derive.is_some())
    }

    pub fn ids(&self) -> impl Iterator<Item = FieldId> + '_ {
        (0..self.fields.len()).map(|i| FieldId(i as u16))
    }
}

/// A user in canonical form. Each field is absent, explicitly `null` (clears the field on a
/// partial update), or a value.
///
/// Sparse: only the fields present are stored, sorted by field id. A user holds a dozen of the
/// registry's forty fields, and the cache keeps one per user: a dense slot per field cost more
/// than the values themselves.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Canonical {
    fields: Vec<(FieldId, Value)>,
    /// Ids at or past this are not in the registry (and are ignored, as by a missing slot).
    limit: u16,
}

impl Canonical {
    pub fn new(registry: &Registry) -> Self {
        Self {
            fields: Vec::with_capacity(16),
            limit: registry.len() as u16,
        }
    }

    fn find(&self, id: FieldId) -> Result<usize, usize> {
        self.fields.binary_search_by_key(&id.0, |(f, _)| f.0)
    }

    pub fn get(&self, id: FieldId) -> Option<&Value> {
        self.find(id).ok().map(|i| &self.fields[i].1)
    }

    pub fn set(&mut self, id: FieldId, value: Value) {
        match self.find(id) {
            Ok(i) => self.fields[i].1 = value,
            Err(i) if id.0 < self.limit => self.fields.insert(i, (id, value)),
            Err(_) => {}
        }
    }

    pub fn remove(&mut self, id: FieldId) -> Option<Value> {
        self.find(id).ok().map(|i| self.fields.remove(i).1)
    }

    pub fn is_present(&self, id: FieldId) -> bool {
        self.find(id).is_ok()
    }

    /// The fields that are present (value or null), in registry order.
    pub fn present(&self) -> impl Iterator<Item = (FieldId, &Value)> {
        self.fields.iter().map(|(id, v)| (*id, v))
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
        32 + self.fields.capacity() * std::mem::size_of::<(FieldId, Value)>() + self.value_bytes()
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
