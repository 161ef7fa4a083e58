//! `kind = "copy"` (the default): the style field holds the canonical value as it is,
//! under its own name and nesting (`path = "profile.phone"`).

use crate::translate::canonical::FieldId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    pub field: FieldId,
}

impl Copy {
    /// `copy` has no keys of its own.
    pub(crate) fn compile(field: FieldId) -> Self {
        Self { field }
    }
}
