//! The `dragoman translate` and `dragoman check` subcommands, driven through the real binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn seed(name: &str) -> PathBuf {
    root().join("tests/fixtures/seeds").join(name)
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/cli").join(name)
}

fn dragoman(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dragoman"))
        .args(args)
        .current_dir(root())
        .env_remove("DRAGOMAN_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run dragoman")
}

fn dragoman_with_stdin(args: &[&str], input: &[u8]) -> Output {
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

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}): {}", stdout(o)))
}

/// The id of a role in rules/roles.toml.
fn role_id(name: &str) -> String {
    let text = std::fs::read_to_string(root().join("rules/roles.toml")).expect("roles.toml");
    let table: toml::Table = toml::from_str(&text).expect("roles.toml is TOML");
    table["row"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["name"].as_str() == Some(name))
        .and_then(|r| r["id"].as_str())
        .unwrap_or_else(|| panic!("role {name} in roles.toml"))
        .to_owned()
}

// ---- translate --kind request ----

#[test]
fn translating_the_envelope_put_seed_to_camel_prints_the_camel_body_and_reports_dropped_fields() {
    let o = dragoman(&[
        "translate",
        "--from",
        "envelope",
        "--to",
        "camel",
        path_str(&seed("envelope-put-request.json")),
    ]);
    assert!(o.status.success(), "exit 0; stderr: {}", stderr(&o));
    let body = json(&o);
    assert_eq!(body["firstName"], "John");
    assert_eq!(body["lastName"], "Smith");
    assert_eq!(
        body["roles"],
        serde_json::json!([role_id("senior_billing_manager")])
    );
    assert_eq!(body["status"], "active");
    for gone in [
        "department",
        "phone",
        "metadata",
        "name",
        "role",
        "permissions",
    ] {
        assert!(body.get(gone).is_none(), "{gone} is not in the camel body");
    }
    assert!(
        stdout(&o).contains("\n  \""),
        "a single document is printed pretty with two-space indents"
    );
    let err = stderr(&o);
    assert!(err.contains("input: dropped"), "stderr: {err}");
    for field in ["phone", "department", "metadata"] {
        assert!(err.contains(field), "stderr names {field}: {err}");
    }
}

#[test]
fn strict_translation_of_the_envelope_put_seed_refuses_and_prints_nothing() {
    let o = dragoman(&[
        "translate",
        "--from",
        "envelope",
        "--to",
        "camel",
        "--strict",
        path_str(&seed("envelope-put-request.json")),
    ]);
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(&o));
    assert!(o.stdout.is_empty(), "nothing on stdout: {}", stdout(&o));
    let err = stderr(&o);
    for field in ["phone", "department", "metadata"] {
        assert!(err.contains(&format!("input: {field}:")), "stderr: {err}");
    }
}

#[test]
fn ndjson_with_a_broken_second_line_outputs_lines_one_and_three_and_names_line_two() {
    let o = dragoman(&[
        "translate",
        "--from",
        "envelope",
        "--to",
        "camel",
        path_str(&fixture("envelope-three-lines-second-broken.ndjson")),
    ]);
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("each output line is compact JSON"))
        .collect();
    assert_eq!(lines.len(), 2, "stdout: {out}");
    assert_eq!(lines[0]["firstName"], "John");
    assert_eq!(lines[1]["firstName"], "Ann");
    assert_eq!(lines[1]["roles"], serde_json::json!([role_id("viewer")]));
    let err = stderr(&o);
    assert!(err.contains("line 2: not valid JSON"), "stderr: {err}");
    assert!(err.contains("line 1: dropped"), "stderr: {err}");
    assert!(err.contains("line 3: dropped"), "stderr: {err}");
}

#[test]
fn a_document_read_from_stdin_is_translated() {
    let input = std::fs::read(seed("camel-put-request.json")).expect("seed");
    let o = dragoman_with_stdin(
        &["translate", "--from", "camel", "--to", "envelope"],
        &input,
    );
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let body = json(&o);
    assert_eq!(body["name"], "Jane Smith");
    assert_eq!(body["role"], "billing_manager");
    assert_eq!(body["status"], "active");
    assert!(
        stderr(&o).contains("input: dropped type"),
        "the camel type has no place in envelope: {}",
        stderr(&o)
    );
}

#[test]
fn ndjson_read_from_stdin_comes_out_one_compact_document_per_line() {
    let input =
        std::fs::read(fixture("envelope-three-lines-second-broken.ndjson")).expect("fixture");
    let o = dragoman_with_stdin(
        &["translate", "--from", "envelope", "--to", "snake"],
        &input,
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 2, "stdout: {out}");
    for line in out.lines() {
        let doc: Value = serde_json::from_str(line).expect("each line is one JSON document");
        assert_eq!(
            line,
            serde_json::to_string(&doc).expect("compact"),
            "compact"
        );
    }
    assert!(stderr(&o).contains("line 2:"));
}

#[test]
fn lossy_values_are_reported_on_stderr() {
    let o = dragoman(&[
        "translate",
        "--from",
        "camel",
        "--to",
        "snake",
        path_str(&seed("camel-put-request.json")),
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(json(&o)["is_superuser"], false);
    assert!(
        stderr(&o).contains("input: lossy: type:"),
        "stderr: {}",
        stderr(&o)
    );
}

// ---- translate --kind response ----

#[test]
fn the_camel_response_seed_becomes_a_success_envelope_with_a_request_id() {
    let o = dragoman(&[
        "translate",
        "--from",
        "camel",
        "--to",
        "envelope",
        "--kind",
        "response",
        path_str(&seed("camel-put-response.json")),
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let doc = json(&o);
    assert_eq!(doc["success"], true);
    assert_eq!(
        doc["data"]["id"],
        "user_3c90c3cc-0d44-4b50-8888-8dd25736052a"
    );
    assert_eq!(doc["data"]["name"], "Jane Smith");
    let request_id = doc["meta"]["request_id"].as_str().expect("meta.request_id");
    assert!(request_id.starts_with("req_") && request_id.len() > 4);
    assert!(doc["meta"]["timestamp"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
}

#[test]
fn a_response_keeps_its_own_request_id() {
    let o = dragoman(&[
        "translate",
        "--from",
        "envelope",
        "--to",
        "envelope",
        "--kind",
        "response",
        path_str(&seed("envelope-get-response.json")),
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    assert_eq!(json(&o)["meta"]["request_id"], "req_123456789");
}

#[test]
fn a_bare_stored_resource_becomes_a_bare_resource() {
    let o = dragoman(&[
        "translate",
        "--from",
        "snake",
        "--to",
        "envelope",
        "--kind",
        "response",
        path_str(&fixture("snake-resource.json")),
    ]);
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let doc = json(&o);
    assert!(doc.get("success").is_none(), "not wrapped: {doc}");
    assert_eq!(doc["id"], "user_3c90c3cc-0d44-4b50-8888-8dd25736052a");
    assert_eq!(doc["name"], "Jane Smith");
    assert_eq!(doc["role"], "billing_manager");
    let err = stderr(&o);
    assert!(
        err.contains("input: dropped") && err.contains("stripe_customer_id"),
        "fields envelope cannot hold are named: {err}"
    );
}

#[test]
fn a_response_that_cannot_be_translated_fails_with_the_reason() {
    // The envelope seed's id is not a UUID, which camel ids must be.
    let o = dragoman(&[
        "translate",
        "--from",
        "envelope",
        "--to",
        "camel",
        "--kind",
        "response",
        path_str(&seed("envelope-get-response.json")),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert!(stderr(&o).contains("input: "), "stderr: {}", stderr(&o));
}

// ---- translate usage errors ----

#[test]
fn an_unknown_style_is_a_usage_error_listing_the_known_styles() {
    let o = dragoman(&[
        "translate",
        "--from",
        "klingon",
        "--to",
        "camel",
        path_str(&seed("envelope-put-request.json")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = stderr(&o);
    assert!(err.contains("klingon"), "stderr: {err}");
    for style in ["envelope", "camel", "snake"] {
        assert!(err.contains(style), "stderr lists {style}: {err}");
    }
}

#[test]
fn a_missing_input_file_is_a_usage_error() {
    let o = dragoman(&[
        "translate",
        "--from",
        "envelope",
        "--to",
        "camel",
        "no/such/file.json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/file.json"));
}

// ---- check ----

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

#[test]
fn a_camel_user_without_roles_translates_to_every_style_as_a_response() {
    let user = br#"{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","email":"a@b.co","firstName":"Jo","lastName":"Doe","status":"active","roles":[]}"#;
    for to in ["envelope", "snake", "camel"] {
        let o = dragoman_with_stdin(
            &[
                "translate",
                "--from",
                "camel",
                "--to",
                to,
                "--kind",
                "response",
            ],
            user,
        );
        assert!(o.status.success(), "to {to}: stderr: {}", stderr(&o));
        let doc = json(&o);
        match to {
            "envelope" => assert!(doc["data"].get("role").is_none(), "{doc}"),
            "snake" => assert_eq!(doc["data"]["role_id"], Value::Null, "{doc}"),
            _ => assert_eq!(doc["roles"], serde_json::json!([]), "{doc}"),
        }
    }
}

#[test]
fn a_snake_user_with_a_null_role_and_first_name_translates_to_camel_with_empty_forms() {
    let user = br#"{"message":"m","meta":{},"data":{"id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","email":"a@b.co","first_name":null,"last_name":"Doe","is_active":true,"role_id":null}}"#;
    let o = dragoman_with_stdin(
        &[
            "translate",
            "--from",
            "snake",
            "--to",
            "camel",
            "--kind",
            "response",
        ],
        user,
    );
    assert!(o.status.success(), "stderr: {}", stderr(&o));
    let doc = json(&o);
    assert_eq!(doc["roles"], serde_json::json!([]));
    assert_eq!(doc["firstName"], "");
}
