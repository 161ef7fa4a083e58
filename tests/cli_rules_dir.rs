//! `dragoman check` and `dragoman translate` with rules (and schemas) from a folder of one's
//! own, driven through the real binary on a copy of `rules/`: the copy is used, and a broken
//! style file in it is named with its file and line.

mod common;

use std::path::Path;

use common::cli::{dragoman, json, path_str, root, seed, stderr, stdout};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn check_names_the_file_and_line_of_a_broken_style_file_in_rules_dir() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&root().join("rules"), &dir.path().join("my-rules"));
    copy_dir(&root().join("schemas"), &dir.path().join("my-schemas"));
    let camel = dir.path().join("my-rules/camel.toml");
    let text = std::fs::read_to_string(&camel).expect("camel.toml");
    let needle = "canonical = \"given_name\"";
    let line = text
        .lines()
        .position(|l| l.trim() == needle)
        .expect("camel.toml maps given_name")
        + 1;
    std::fs::write(
        &camel,
        text.replace(needle, "canonical = \"no_such_field\""),
    )
    .expect("write camel.toml");
    let config = dir.path().join("gateway.toml");
    std::fs::write(
        &config,
        "[gateway]\nrules_dir = \"my-rules\"\nschemas_dir = \"my-schemas\"\n\n\
         [[keys]]\nsecret = \"in-test\"\nscopes = [\"users:read\"]\n",
    )
    .expect("write config");
    let o = dragoman(&["check", "--config", path_str(&config)]);
    assert_eq!(o.status.code(), Some(1), "stdout: {}", stdout(&o));
    let err = stderr(&o);
    let expected = format!("camel.toml:{line}:");
    assert!(err.contains(&expected), "expected {expected} in: {err}");
    assert!(err.contains("no_such_field"), "stderr: {err}");
    assert!(err.contains("my-rules"), "the copied file is named: {err}");
}

#[test]
fn translate_uses_rules_from_a_folder_when_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&root().join("rules"), &dir.path().join("rules"));
    let o = dragoman(&[
        "translate",
        "--from",
        "camel",
        "--to",
        "envelope",
        "--rules-dir",
        path_str(&dir.path().join("rules")),
        path_str(&seed("camel-put-request.json")),
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(json(&o)["name"], "Jane Smith");

    std::fs::write(
        dir.path().join("rules/camel.toml"),
        "style = \"camel\"\n[path\n",
    )
    .expect("break camel.toml");
    let o = dragoman(&[
        "translate",
        "--from",
        "camel",
        "--to",
        "envelope",
        "--rules-dir",
        path_str(&dir.path().join("rules")),
        path_str(&seed("camel-put-request.json")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("camel.toml:2"),
        "stderr: {}",
        stderr(&o)
    );
}
