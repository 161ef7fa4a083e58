//! Lookup tables shared by all styles (the role table).

use serde_json::{Map, Value};

/// A table of rows keyed by one column (`name` for roles). Tables are small (tens of rows),
/// so lookups scan; that beats hashing for this size and keeps rows in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub name: String,
    pub key: String,
    rows: Vec<Map<String, Value>>,
    /// Per column, each row's value (column-major), so a lookup compares values instead of
    /// hashing the column's name once per row.
    columns: Vec<(String, Vec<Option<Value>>)>,
}

impl Table {
    pub(crate) fn new(name: String, key: String, rows: Vec<Map<String, Value>>) -> Self {
        let mut columns: Vec<(String, Vec<Option<Value>>)> = Vec::new();
        for row in &rows {
            for column in row.keys() {
                if !columns.iter().any(|(c, _)| c == column) {
                    let values = rows.iter().map(|r| r.get(column).cloned()).collect();
                    columns.push((column.clone(), values));
                }
            }
        }
        Self {
            name,
            key,
            rows,
            columns,
        }
    }

    /// The index of the first row whose `column` satisfies `matches`.
    fn position(&self, column: &str, matches: impl Fn(&Value) -> bool) -> Option<usize> {
        let (_, values) = self.columns.iter().find(|(c, _)| c == column)?;
        values.iter().position(|v| v.as_ref().is_some_and(&matches))
    }

    pub fn rows(&self) -> &[Map<String, Value>] {
        &self.rows
    }

    /// The row whose `column` equals `value`.
    pub fn find(&self, column: &str, value: &Value) -> Option<&Map<String, Value>> {
        self.position(column, |v| v == value).map(|i| &self.rows[i])
    }

    /// The row with this key (`name` for roles).
    pub fn by_key(&self, key: &str) -> Option<&Map<String, Value>> {
        self.position(&self.key, |v| v.as_str() == Some(key))
            .map(|i| &self.rows[i])
    }

    pub fn has_column(&self, column: &str) -> bool {
        self.columns.iter().any(|(c, _)| c == column)
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
