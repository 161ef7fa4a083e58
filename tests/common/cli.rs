//! Helpers shared by the `cli_*` tests: the real `dragoman` binary run from the crate root,
//! with or without input on stdin, what it printed, and the fixtures it is given.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The crate root, where the binary runs and `tests/fixtures/` is.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A seed fixture under `tests/fixtures/seeds/`.
pub fn seed(name: &str) -> PathBuf {
    root().join("tests/fixtures/seeds").join(name)
}

/// A CLI fixture under `tests/fixtures/cli/`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/cli").join(name)
}

/// Runs the real binary with `args` from the crate root, stdin empty, `DRAGOMAN_LOG` unset.
pub fn dragoman(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dragoman"))
        .args(args)
        .current_dir(root())
        .env_remove("DRAGOMAN_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run dragoman")
}

/// Runs the real binary with `args` from the crate root, `input` on its stdin.
pub fn dragoman_with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dragoman"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dragoman");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("wait for dragoman")
}

/// A path as an argument.
pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// What the run printed on stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

/// What the run printed on stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// Stdout as one JSON document; panics showing it otherwise.
pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}): {}", stdout(o)))
}
