use super::*;

fn load(text: &str) -> Result<Config, ConfigErrors> {
    Config::from_str("test.toml", text, Path::new("."), &|name| {
        (name == "SECRET").then(|| "in-from-env".to_owned())
    })
}

fn errors(text: &str) -> Vec<String> {
    load(text)
        .unwrap_err()
        .0
        .iter()
        .map(ToString::to_string)
        .collect()
}

const DEMO: &str = include_str!("../../examples/demo.toml");

#[test]
fn the_demo_config_loads_with_three_routes_and_two_keys() {
    let c = load(DEMO).unwrap();
    assert_eq!(c.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(c.admin_listen, "127.0.0.1:9180".parse().unwrap());
    assert_eq!(c.threads, 2);
    assert_eq!(
        c.cache,
        CacheConfig {
            ttl: Duration::from_secs(30),
            max_bytes: 67_108_864
        }
    );
    assert_eq!(c.keys.len(), 2);
    assert_eq!(c.keys[1].scopes, vec![Scope::Read]);
    assert_eq!(c.routes.len(), 3);
    let r = &c.routes[0];
    assert_eq!(c.rules.style(r.style).name, "envelope");
    assert_eq!(c.upstreams[r.upstream].name, "camel-backend");
    assert_eq!(
        c.upstreams[r.upstream].addr,
        "127.0.0.1:9102".parse().unwrap()
    );
    assert_eq!(r.prefix, "");
}

#[test]
fn secrets_may_come_from_the_environment() {
    let text = DEMO.replace("secret = \"in-demo-admin\"", "secret = \"env:SECRET\"");
    assert_eq!(load(&text).unwrap().keys[0].secret, "in-from-env");
    let text = DEMO.replace("secret = \"in-demo-admin\"", "secret = \"env:MISSING\"");
    assert_eq!(
        errors(&text),
        vec!["test.toml:15: keys.secret: environment variable MISSING is not set"]
    );
}

#[test]
fn every_problem_is_reported_with_its_line() {
    let text = r#"
[gateway]
listen = "nope"

[[keys]]
secret = "k"
scopes = ["users:read", "users:delete"]

[[upstreams]]
name = "a"
style = "kebab"
url = "ftp://x"
credential = "c"

[[routes]]
style = "envelope"
upstream = "b"
drop = ["nonexistent"]
"#;
    assert_eq!(
        errors(text),
        vec![
            "test.toml:3: gateway.listen: 'nope' is not an ip:port address",
            "test.toml:7: unknown scope 'users:delete' (users:read, users:write)",
            "test.toml:11: unknown style 'kebab' (known: camel, envelope, snake)",
            "test.toml:12: upstream url must start with http:// (TLS upstreams are not supported)",
            "test.toml:17: unknown upstream 'b'",
            "test.toml:18: routes.drop: style 'envelope' has no field 'nonexistent'",
        ]
    );
}

#[test]
fn a_syntax_error_names_its_line() {
    let e = errors("[gateway]\nlisten = \n");
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("test.toml:2:"), "{e:?}");
}

#[test]
fn an_unknown_key_is_an_error_not_ignored() {
    let e = errors(&DEMO.replace("[cache]\n", "[cache]\nttl = 5\n"));
    assert!(e[0].contains("unknown field `ttl`"), "{e:?}");
}

#[test]
fn a_snake_upstream_credential_must_carry_the_styles_prefix() {
    let e = errors(&DEMO.replace(
        "credential = \"in-demo-snake-backend\"",
        "credential = \"demo\"",
    ));
    assert_eq!(
        e,
        vec!["test.toml:39: a snake upstream's credential must start with 'in-'"]
    );
}

#[test]
fn two_routes_for_the_same_path_conflict() {
    let text = format!("{DEMO}\n[[routes]]\nstyle = \"snake\"\nupstream = \"camel-backend\"\n");
    assert!(errors(&text)[0].contains("another route already serves /api/v1/user/{user_id}"));
    let ok = format!("{DEMO}\n[[routes]]\nstyle = \"snake\"\nupstream = \"camel-backend\"\nprefix = \"/legacy/\"\n");
    assert_eq!(load(&ok).unwrap().routes[3].prefix, "/legacy");
}

#[test]
fn a_route_may_name_client_fields_to_drop() {
    let text = DEMO.replace(
        "upstream = \"camel-backend\"\n",
        "upstream = \"camel-backend\"\ndrop = [\"department\", \"metadata\"]\n",
    );
    let c = load(&text).unwrap();
    assert_eq!(c.routes[0].drop_names, vec!["department", "metadata"]);
    assert_eq!(c.routes[0].policy.drop.len(), 2);
}

#[test]
fn secrets_do_not_show_in_debug_output() {
    let c = load(DEMO).unwrap();
    let dbg = format!("{:?} {:?}", c.keys, c.upstreams);
    assert!(
        !dbg.contains("in-demo-admin") && !dbg.contains("demo-camel-backend"),
        "{dbg}"
    );
}
