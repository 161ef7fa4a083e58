//! The shared role table (`rules/roles.toml`), read by every backend at start: role references
//! in requests are resolved through it, and one that is not in it is refused.
//!
//! The gateway loads the same file for its `lookup` rules (`crate::translate`); the backends
//! parse and search it themselves on purpose, so that a bug in the gateway's table code cannot
//! be mirrored here, where the tests would not see it.

use serde::Deserialize;

use super::BackendError;

const ROLES_PATH: &str = "rules/roles.toml";

/// One row of `rules/roles.toml`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Role {
    pub name: String,
    pub id: String,
    pub description: String,
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// The shared role table, read by every backend: a reference that is not in it is refused.
pub(crate) struct Roles {
    rows: Vec<Role>,
}

#[derive(Deserialize)]
struct RolesFile {
    row: Vec<Role>,
}

impl Roles {
    pub(crate) fn load() -> Result<Self, BackendError> {
        let file = crate::assets::rules()
            .into_iter()
            .find(|f| f.path == ROLES_PATH)
            .ok_or_else(|| BackendError::MissingAsset(ROLES_PATH.to_owned()))?;
        let parsed: RolesFile = toml::from_str(&file.text).map_err(|e| BackendError::Asset {
            path: ROLES_PATH.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Self { rows: parsed.row })
    }

    pub(crate) fn by_name(&self, name: &str) -> Option<&Role> {
        self.rows.iter().find(|r| r.name == name)
    }

    pub(crate) fn by_id(&self, id: &str) -> Option<&Role> {
        self.rows.iter().find(|r| r.id.eq_ignore_ascii_case(id))
    }

    /// For seeding: a seed that names a role the table lacks is a bug in the seed.
    pub(crate) fn seed_role(&self, user: &'static str, name: &str) -> Result<&Role, BackendError> {
        self.by_name(name).ok_or_else(|| BackendError::Seed {
            id: user,
            message: format!("role {name:?} is not in {ROLES_PATH}"),
        })
    }
}
