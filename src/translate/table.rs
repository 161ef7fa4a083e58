//! Lookup tables shared by all styles (the role table).

use serde_json::{Map, Value};

/// A table of rows keyed by one column (`name` for roles). Tables are small (tens of rows),
/// so lookups scan; that beats hashing for this size and keeps rows in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: String,
    pub key: String,
    rows: Vec<Map<String, Value>>,
}

impl Table {
    pub(crate) fn new(name: String, key: String, rows: Vec<Map<String, Value>>) -> Self {
        Self { name, key, rows }
    }

    pub fn rows(&self) -> &[Map<String, Value>] {
        &self.rows
    }

    /// The row whose `column` equals `value`.
    pub fn find(&self, column: &str, value: &Value) -> Option<&Map<String, Value>> {
        self.rows.iter().find(|r| r.get(column) == Some(value))
    }

    /// The row with this key (`name` for roles).
    pub fn by_key(&self, key: &str) -> Option<&Map<String, Value>> {
        self.rows
            .iter()
            .find(|r| r.get(&self.key).and_then(Value::as_str) == Some(key))
    }

    pub fn has_column(&self, column: &str) -> bool {
        self.rows.iter().any(|r| r.contains_key(column))
    }
}

/// All tables, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tables {
    tables: Vec<Table>,
}

impl Tables {
    pub(crate) fn push(&mut self, table: Table) {
        self.tables.push(table);
    }

    pub fn get(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
}
