//! The rules and schemas shipped inside the binary.
//!
//! `rules/` and `schemas/` are embedded at build time so that `dragoman demo` and
//! `dragoman translate` work from any directory; a config may point `rules_dir` /
//! `schemas_dir` at other folders instead (a fourth style is added that way).

use include_dir::{include_dir, Dir};

static RULES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/rules");
static SCHEMAS: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/schemas");

/// One text file: its display path (for `file:line` errors) and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

/// Every `*.toml` file of the embedded `rules/` folder, sorted by name.
pub fn rules() -> Vec<SourceFile> {
    collect(&RULES, "rules", "toml")
}

/// Every `*.json` file of the embedded `schemas/` folder (recursively), sorted by path.
pub fn schemas() -> Vec<SourceFile> {
    collect(&SCHEMAS, "schemas", "json")
}

fn collect(dir: &Dir<'static>, root: &str, ext: &str) -> Vec<SourceFile> {
    let mut out = Vec::new();
    walk(dir, root, ext, &mut out);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn walk(dir: &Dir<'static>, root: &str, ext: &str, out: &mut Vec<SourceFile>) {
    for file in dir.files() {
        let is_ext = file.path().extension().and_then(|e| e.to_str()) == Some(ext);
        if let (true, Some(text)) = (is_ext, file.contents_utf8()) {
            out.push(SourceFile {
                path: format!("{root}/{}", file.path().display()),
                text: text.to_owned(),
            });
        }
    }
    for sub in dir.dirs() {
        walk(sub, root, ext, out);
    }
}

/// Reads every file with extension `ext` below `dir` from disk, sorted by path.
pub fn read_dir(dir: &std::path::Path, ext: &str) -> std::io::Result<Vec<SourceFile>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().and_then(|e| e.to_str()) == Some(ext) {
                let text = std::fs::read_to_string(&path)?;
                out.push(SourceFile {
                    path: path.display().to_string(),
                    text,
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The rule set from the built-in files, or from the given folders (each one not given is
/// built-in), and a phrase saying where it came from. The one loader `serve`, `check` and
/// `translate` share.
pub fn load_rules(
    rules_dir: Option<&std::path::Path>,
    schemas_dir: Option<&std::path::Path>,
) -> Result<(crate::translate::RuleSet, String), Vec<crate::translate::LoadError>> {
    use crate::translate::{LoadError, RuleSet};
    let read = |d: &std::path::Path, ext: &str| -> Result<Vec<SourceFile>, Vec<LoadError>> {
        read_dir(d, ext).map_err(|e| {
            vec![LoadError::new(
                &d.display().to_string(),
                0,
                format!("cannot read: {e}"),
            )]
        })
    };
    let rules_files = match rules_dir {
        Some(d) => read(d, "toml")?,
        None => rules(),
    };
    let schema_files = match schemas_dir {
        Some(d) => read(d, "json")?,
        None => schemas(),
    };
    let from = match (rules_dir, schemas_dir) {
        (None, None) => "built-in rules/ and schemas/".to_owned(),
        (r, s) => {
            let name = |p: Option<&std::path::Path>| {
                p.map_or("built-in".to_owned(), |p| p.display().to_string())
            };
            format!("rules from {}, schemas from {}", name(r), name(s))
        }
    };
    RuleSet::load(&rules_files, &schema_files).map(|r| (r, from))
}
