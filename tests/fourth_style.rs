//! A fourth style, `kebab`, added with a rules file and three schemas under
//! tests/fixtures/fourth-style/ and no Rust code: it loads, translates both ways with every
//! shipped style, reports its losses, and serves through the running gateway.

mod common;

use common::http::send_json;
use common::*;
use dragoman::assets::{self, SourceFile};
use dragoman::translate::{Method, RuleSet, WritePolicy};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fourth-style")
}

fn rules_with_kebab() -> (Vec<SourceFile>, Vec<SourceFile>) {
    let mut rules = assets::rules();
    rules.extend(assets::read_dir(&fixture_dir().join("rules"), "toml").unwrap());
    let mut schemas = assets::schemas();
    schemas.extend(assets::read_dir(&fixture_dir().join("schemas"), "json").unwrap());
    (rules, schemas)
}

fn set() -> RuleSet {
    let (rules, schemas) = rules_with_kebab();
    RuleSet::load(&rules, &schemas).unwrap_or_else(|e| panic!("{e:?}"))
}

#[test]
fn the_fourth_style_loads_beside_the_shipped_ones() {
    let s = set();
    let mut names = s.style_names();
    names.sort();
    assert_eq!(names, vec!["camel", "envelope", "kebab", "snake"]);
}

#[test]
fn a_kebab_update_reaches_every_shipped_style() {
    let s = set();
    let kebab = s.style_id("kebab").unwrap();
    let body = json!({"name": {"given": "Ann", "family": "Lee"}, "state": "suspended", "role-name": "viewer"});
    let env = s
        .translate_request(
            kebab,
            s.style_id("envelope").unwrap(),
            &body,
            &WritePolicy::default(),
        )
        .unwrap();
    assert_eq!(
        env.body,
        json!({"name": "Ann Lee", "status": "disabled", "role": "viewer",
               "permissions": ["calls:read", "emails:read", "callouts:read"]})
    );
    let snake = s
        .translate_request(
            kebab,
            s.style_id("snake").unwrap(),
            &body,
            &WritePolicy::default(),
        )
        .unwrap();
    assert_eq!(
        snake.body,
        json!({"first_name": "Ann", "last_name": "Lee", "is_active": false, "role_id": "2c4e6a8b-1d3f-4b5a-9c7e-8f0a2b4d6e13"})
    );
    let camel = s
        .translate_request(
            kebab,
            s.style_id("camel").unwrap(),
            &body,
            &WritePolicy::default(),
        )
        .unwrap();
    assert_eq!(
        camel.body["roles"],
        json!(["2c4e6a8b-1d3f-4b5a-9c7e-8f0a2b4d6e13"])
    );
}

#[test]
fn a_camel_resource_reads_as_a_kebab_person_and_back() {
    let s = set();
    let (camel, kebab) = (s.style_id("camel").unwrap(), s.style_id("kebab").unwrap());
    let doc: Value =
        serde_json::from_str(include_str!("fixtures/seeds/camel-put-response.json")).unwrap();
    let user = s.read_response(camel, &doc).unwrap();
    let out = s
        .render_response(kebab, &user, Method::Get, "req_k", "2024-01-01T00:00:00Z")
        .unwrap()
        .body;
    assert_eq!(
        out,
        json!({"person": {"person-id": JOHN, "email-address": "jane.smith@example.com",
                          "name": {"given": "Jane", "family": "Smith"}, "state": "enabled", "role-name": "billing_manager"},
               "trace": {"request-id": "req_k", "at": "2024-01-01T00:00:00Z"}})
    );
    let back = s.read_response(kebab, &out).unwrap();
    let again = s
        .render_response(camel, &back, Method::Get, "r", "t")
        .unwrap()
        .body;
    for field in ["id", "email", "firstName", "lastName", "status", "roles"] {
        assert_eq!(again[field], doc[field], "{field}");
    }
}

#[test]
fn the_loss_report_covers_the_fourth_style() {
    let s = set();
    let r = s.loss_report(s.style_id("kebab").unwrap(), s.style_id("camel").unwrap());
    assert_eq!(r.refused_on_write(), vec!["email-address", "phone-number"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_serves_kebab_clients_from_rules_files_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (rules, schemas) = rules_with_kebab();
    for f in rules.iter().chain(&schemas) {
        let rel = f
            .path
            .rsplit_once("rules/")
            .map(|(_, r)| format!("rules/{r}"))
            .or_else(|| {
                f.path
                    .rsplit_once("schemas/")
                    .map(|(_, r)| format!("schemas/{r}"))
            })
            .unwrap();
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &f.text).unwrap();
    }
    let envelope = start_backend(dragoman::backends::BackendStyle::Envelope).await;
    let camel = start_backend(dragoman::backends::BackendStyle::Camel).await;
    let snake = start_backend(dragoman::backends::BackendStyle::Snake).await;
    let (port, admin) = (free_port(), free_port());
    let extra = "[[routes]]\nstyle = \"kebab\"\nupstream = \"camel-backend\"\n";
    let text = stack_config(&envelope, &camel, &snake, port, admin, 30, extra).replace(
        "grace_period_secs = 2\n",
        &format!(
            "grace_period_secs = 2\nrules_dir = {:?}\nschemas_dir = {:?}\n",
            dir.path().join("rules"),
            dir.path().join("schemas")
        ),
    );
    let stack = start_gateway_with(envelope, camel, snake, text, port, admin).await;
    let r = send_json(
        client()
            .get(stack.url(&format!("/people/{JOHN}")))
            .bearer_auth("in-demo-admin"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["person"]["name"],
        json!({"given": "John", "family": "Doe"})
    );
    assert_eq!(r.body["person"]["state"], "enabled");

    let r = send_json(
        client()
            .put(stack.url(&format!("/people/{JOHN}")))
            .bearer_auth("in-demo-admin")
            .json(&json!({"phone-number": "+15550001"})),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["error"]["status"], 422);
    assert_eq!(r.body["error"]["problems"][0]["field"], "phone-number");
    stack.stop().await;
}
