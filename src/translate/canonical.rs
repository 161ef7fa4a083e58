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

/// A canonical user as the cache keeps it: each present field's id and its value as JSON
/// text, packed into one allocation. A `Value` tree costs 72 bytes a node before its
/// strings; this costs about the text of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed {
    /// `id: u16 LE | len: u32 LE | JSON`, field after field, in id order.
    bytes: Box<[u8]>,
    limit: u16,
}

impl Canonical {
    pub fn pack(&self) -> Packed {
        let mut bytes = Vec::with_capacity(16 + self.value_bytes() / 2);
        for (id, value) in self.present() {
            bytes.extend_from_slice(&id.0.to_le_bytes());
            let at = bytes.len();
            bytes.extend_from_slice(&[0; 4]);
            // Writing a `Value` into a Vec cannot fail (its keys are strings).
            if serde_json::to_writer(&mut bytes, value).is_err() {
                bytes.truncate(at - 2);
                continue;
            }
            let len = (bytes.len() - at - 4) as u32;
            bytes[at..at + 4].copy_from_slice(&len.to_le_bytes());
        }
        Packed {
            bytes: bytes.into_boxed_slice(),
            limit: self.limit,
        }
    }
}

impl Packed {
    /// The user again. What [`Canonical::pack`] wrote always reads back; a field that would
    /// not (it cannot happen) is left out rather than failing the request.
    pub fn unpack(&self) -> Canonical {
        let mut fields = Vec::new();
        let mut rest = &self.bytes[..];
        while rest.len() >= 6 {
            let id = u16::from_le_bytes([rest[0], rest[1]]);
            let len = u32::from_le_bytes([rest[2], rest[3], rest[4], rest[5]]) as usize;
            let Some(json) = rest.get(6..6 + len) else {
                break;
            };
            if let Ok(value) = serde_json::from_slice::<Value>(json) {
                fields.push((FieldId(id), value));
            }
            rest = &rest[6 + len..];
        }
        Canonical {
            fields,
            limit: self.limit,
        }
    }

    /// Bytes held (for byte-bounded caches).
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_packed_user_unpacks_to_the_same_user_in_about_its_texts_size() {
        let mut registry = Registry::default();
        for name in ["id", "email", "roles", "metadata", "gone"] {
            registry.push(name);
        }
        let mut user = Canonical::new(&registry);
        user.set(FieldId(0), json!("3c90c3cc-0d44-4b50-8888-8dd25736052a"));
        user.set(FieldId(1), json!("jane.smith@example.com"));
        user.set(FieldId(2), json!(["billing_manager", "admin"]));
        user.set(
            FieldId(3),
            json!({"notes": "é \"quoted\"", "n": 1.5, "ok": null}),
        );
        user.set(FieldId(4), Value::Null);
        let packed = user.pack();
        assert_eq!(packed.unpack(), user);
        let text: usize = user.present().map(|(_, v)| v.to_string().len()).sum();
        assert_eq!(packed.len(), text + 6 * 5);
        assert!(
            packed.len() < user.weight() / 2,
            "{} vs {}",
            packed.len(),
            user.weight()
        );
        assert_eq!(
            Canonical::new(&registry).pack().unpack(),
            Canonical::new(&registry)
        );
    }
}
