//! `dragoman diff` (issue 12): the real binary reading the seed users from reference backends
//! of two styles that hold the same users, one of them changed through its own API; what it
//! prints, what it writes with `--out`, and its exit codes (0 agree, 1 differ or missing, 2
//! usage or config error).

mod common;

use common::backends::Api;
use common::cli::{dragoman_with_stdin, path_str};
use common::demo::{JANE, MAX};
use common::*;
use dragoman::backends::BackendStyle::{Camel, Envelope, Snake};
use serde_json::{json, Value};

struct Setup {
    _dir: tempfile::TempDir,
    config: std::path::PathBuf,
    out: std::path::PathBuf,
    _backends: Vec<Api>,
}

/// The three reference backends and a config naming them; John's last name changed on the
/// snake backend.
async fn setup() -> Setup {
    let (envelope, camel, snake) = (
        Api::start(Envelope).await,
        Api::start(Camel).await,
        Api::start(Snake).await,
    );
    let changed = snake
        .put(&snake.user_path(JOHN), &json!({"last_name": "Doe-Changed"}))
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gw.toml");
    std::fs::write(
        &config,
        stack_config(
            &envelope.backend,
            &camel.backend,
            &snake.backend,
            free_port(),
            free_port(),
            30,
            "",
        ),
    )
    .expect("write config");
    let out = dir.path().join("diff.ndjson");
    Setup {
        _dir: dir,
        config,
        out,
        _backends: vec![envelope, camel, snake],
    }
}

/// Runs `dragoman diff` with `args` and `ids` on stdin, off the runtime the backends use.
async fn diff(setup: &Setup, args: &[&str], ids: &str) -> (i32, String, String) {
    let mut all: Vec<String> = vec![
        "diff".into(),
        "--config".into(),
        path_str(&setup.config).into(),
    ];
    all.extend(args.iter().map(|a| a.to_string()));
    let ids = ids.to_owned();
    let output = tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        dragoman_with_stdin(&refs, ids.as_bytes())
    })
    .await
    .expect("dragoman ran");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn seed_ids() -> String {
    format!("{JOHN}\n# a comment\n\n{JANE}\n{MAX}\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_names_exactly_the_user_and_field_one_backend_changed_and_exits_1() {
    let s = setup().await;
    let out = path_str(&s.out).to_owned();
    let (code, stdout, stderr) = diff(
        &s,
        &[
            "--from",
            "camel-backend",
            "--to",
            "snake-backend",
            "--out",
            &out,
        ],
        &seed_ids(),
    )
    .await;
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("3 users compared, 2 agree, 1 differ, 0 missing on camel-backend, 0 missing on snake-backend, 0 could not be read"),
        "{stdout}"
    );
    let row = stdout
        .lines()
        .find(|l| l.starts_with("family_name"))
        .unwrap_or_else(|| panic!("no family_name row: {stdout}"));
    assert!(row.contains(" 1 ") && row.contains(JOHN), "{row}");
    let lines: Vec<Value> = std::fs::read_to_string(&s.out)
        .expect("--out written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON"))
        .collect();
    assert_eq!(
        lines,
        vec![json!({"id": JOHN, "result": "differ",
                    "fields": [{"field": "family_name", "from": "Doe", "to": "Doe-Changed"}]})]
    );
    let text = std::fs::read_to_string(&s.out).unwrap();
    assert!(
        !text.contains("demo-camel-backend") && !text.contains("sk_"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_exits_0_when_the_only_difference_is_an_ignored_field_or_a_lossy_mapping() {
    let s = setup().await;
    // Max is `locked` in camel and `is_active: false` in snake: the same, as snake can say it.
    let (code, stdout, stderr) = diff(
        &s,
        &[
            "--from",
            "camel-backend",
            "--to",
            "snake-backend",
            "--ignore",
            "family_name",
        ],
        &seed_ids(),
    )
    .await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("3 users compared, 3 agree, 0 differ"),
        "{stdout}"
    );
    // The envelope and camel backends were not changed: they agree on every shared field.
    let (code, stdout, _) = diff(
        &s,
        &["--from", "envelope-backend", "--to", "camel-backend"],
        &seed_ids(),
    )
    .await;
    assert_eq!(code, 0, "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_neither_backend_has_is_reported_missing_and_exits_1() {
    let s = setup().await;
    let nobody = "00000000-0000-4000-8000-000000000000";
    let (code, stdout, _) = diff(
        &s,
        &[
            "--from",
            "camel-backend",
            "--to",
            "snake-backend",
            "--ignore",
            "family_name",
        ],
        &format!("{JANE}\n{nobody}\n"),
    )
    .await;
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("2 users compared, 1 agree, 0 differ, 1 missing on camel-backend, 1 missing on snake-backend"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_and_config_errors_exit_2_naming_the_problem() {
    let s = setup().await;
    for (args, says) in [
        (
            vec!["--from", "nope", "--to", "snake-backend"],
            "must name upstreams",
        ),
        (
            vec![
                "--from",
                "camel-backend",
                "--to",
                "snake-backend",
                "--ignore",
                "shoe_size",
            ],
            "no such canonical field",
        ),
        (
            vec![
                "--from",
                "camel-backend",
                "--to",
                "snake-backend",
                "--concurrency",
                "0",
            ],
            "--concurrency",
        ),
    ] {
        let (code, stdout, stderr) = diff(&s, &args, "").await;
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
