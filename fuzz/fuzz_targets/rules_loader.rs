//! The rules, schemas and config loaders: the input replaces one shipped rules or schema
//! file (the first byte picks which), or is read as a gateway config. Whatever the text, the
//! loaders answer with located errors or a rule set — they never panic.
#![no_main]

use dragoman::assets;
use dragoman::config::Config;
use dragoman::translate::RuleSet;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mut rules = assets::rules();
    let mut schemas = assets::schemas();
    let files = rules.len() + schemas.len() + 1;
    let pick = selector as usize % files;
    if pick < rules.len() {
        rules[pick].text = text.to_owned();
    } else if pick < rules.len() + schemas.len() {
        schemas[pick - rules.len()].text = text.to_owned();
    } else {
        let _ = Config::from_str("fuzz.toml", text, Path::new("."), &|_| None);
        return;
    }
    if let Err(errors) = RuleSet::load(&rules, &schemas) {
        assert!(!errors.is_empty());
        for e in errors {
            let _ = e.to_string();
        }
    }
});
