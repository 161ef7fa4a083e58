//! What the body-path fuzz targets share: the shipped rule set, loaded once, and the style
//! pair a selector byte picks.

use dragoman::translate::{RuleSet, StyleId};
use std::sync::OnceLock;

pub fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().expect("built-in rules"))
}

/// The ordered (from, to) pair of styles `selector` names, every pair in turn.
pub fn pair(selector: u8) -> (StyleId, StyleId) {
    let styles: Vec<StyleId> = rules().styles().map(|(id, _)| id).collect();
    let n = styles.len();
    let i = selector as usize % (n * n);
    (styles[i / n], styles[i % n])
}
