//! The `dragoman check` subcommand, driven through the real binary: the demo config's routes,
//! keys and loss reports are printed without a secret, fields a route's drop list removes are
//! marked, and a config error is reported with its file and line.

mod common;

use common::cli::{dragoman, path_str, root, stderr, stdout};

const DEMO_SECRETS: [&str; 5] = [
    "in-demo-admin",
    "in-demo-reader",
    "demo-envelope-backend",
    "demo-camel-backend",
    "in-demo-snake-backend",
];

#[test]
fn checking_the_demo_config_prints_routes_and_loss_reports_but_no_secret() {
    let o = dragoman(&["check", "--config", "examples/demo.toml"]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    for route in [
        "envelope [/v1/users/{id}] → camel-backend (camel)",
        "camel [/api/users/{userId}] → snake-backend (snake)",
        "snake [/api/v1/user/{user_id}] → envelope-backend (envelope)",
    ] {
        assert!(out.contains(route), "route {route} in: {out}");
    }
    for report in [
        "envelope clients → camel upstream",
        "camel clients → snake upstream",
        "snake clients → envelope upstream",
    ] {
        assert!(out.contains(report), "loss report {report} in: {out}");
    }
    assert!(out.contains("demo-admin") && out.contains("users:write"));
    assert!(out.contains("refused (422) when sent, not in the drop list"));
    let all = format!("{out}{}", stderr(&o));
    for secret in DEMO_SECRETS {
        assert!(!all.contains(secret), "{secret} is printed: {all}");
    }
}

#[test]
fn check_marks_refused_fields_that_the_route_drops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("drops.toml");
    let demo = std::fs::read_to_string(root().join("examples/demo.toml")).expect("demo.toml");
    let text = demo.replace(
        "style = \"envelope\"\nupstream = \"camel-backend\"",
        "style = \"envelope\"\nupstream = \"camel-backend\"\ndrop = [\"department\", \"metadata\"]",
    );
    assert_ne!(text, demo, "the envelope route was found in demo.toml");
    std::fs::write(&config, text).expect("write config");
    let o = dragoman(&["check", "--config", path_str(&config)]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("drops: department, metadata"), "{out}");
    assert!(
        out.contains("dropped by this route's drop list: department, metadata"),
        "{out}"
    );
    assert!(
        out.contains("not in the drop list: email, company, phone"),
        "{out}"
    );
}

#[test]
fn check_on_a_config_with_an_error_prints_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("broken.toml");
    std::fs::write(
        &config,
        "[[keys]]\nsecret = \"in-test\"\nscopes = [\"users:read\"]\n\n\
         [[upstreams]]\nname = \"crm\"\nstyle = \"camel\"\nurl = \"http://127.0.0.1:9102\"\n\
         credential = \"backend\"\n\n[[routes]]\nstyle = \"klingon\"\nupstream = \"crm\"\n",
    )
    .expect("write config");
    let o = dragoman(&["check", "--config", path_str(&config)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(&o));
    let err = stderr(&o);
    let expected = format!("{}:12: unknown style 'klingon'", config.display());
    assert!(err.contains(&expected), "expected {expected} in: {err}");
    assert!(!err.contains("in-test") && !err.contains("backend\""));
}
