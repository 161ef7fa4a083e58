//! The gateway end to end, the 422 rows of DESIGN.md's error table: a body failing the client
//! style's schema, a field the target cannot hold (unless the route drops it), a value the
//! target style refuses, and half of a name a backend keeps whole. Each names the client's own
//! field, in the client's style, and a refused write never reaches the backend.
//!
//! The three reference backends and a gateway on loopback, driven over real HTTP (reqwest, and
//! raw TCP where framing matters). The contract is DESIGN.md. Checks collect their problems per
//! case and fail once at the end, naming every failed case, so that one bad direction or style
//! does not hide the others (`common::problems`).

mod common;

use common::demo::*;
use common::http::send;
use common::problems::*;
use common::*;
use dragoman::backends::BackendStyle::{self, Camel, Envelope, Snake};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_failing_the_client_styles_schema_is_a_422_naming_the_field() {
    let stack = start_stack(30, "").await;
    let put = |style: BackendStyle, body: Value| {
        gateway(
            &stack,
            style,
            Method::PUT,
            &user_path(style, "", JOHN),
            Some(ADMIN),
        )
        .json(&body)
    };
    let cases = vec![
        err_case(
            "phone \"555\"",
            Envelope,
            put(Envelope, json!({"phone": "555"})),
            422,
        )
        .naming("phone"),
        err_case(
            "unknown role name",
            Envelope,
            put(Envelope, json!({"role": "astronaut"})),
            422,
        )
        .naming("role"),
        err_case(
            "status \"sleeping\"",
            Camel,
            put(Camel, json!({"status": "sleeping"})),
            422,
        )
        .naming("status"),
        err_case(
            "roles not UUIDs",
            Camel,
            put(Camel, json!({"roles": ["admin"]})),
            422,
        )
        .naming("roles"),
        err_case(
            "unknown role UUID",
            Camel,
            put(Camel, json!({"roles": [NOBODY]})),
            422,
        )
        .naming("roles"),
        err_case(
            "is_active \"yes\"",
            Snake,
            put(Snake, json!({"is_active": "yes"})),
            422,
        )
        .naming("is_active"),
        err_case(
            "unknown role_id",
            Snake,
            put(Snake, json!({"role_id": NOBODY})),
            422,
        )
        .naming("role_id"),
        err_case(
            "a read-only field",
            Snake,
            put(Snake, json!({"follower_count": 3})),
            422,
        )
        .naming("follower_count"),
        err_case("a JSON array body", Envelope, put(Envelope, json!([])), 422),
        err_case(
            "a JSON string body",
            Camel,
            put(Camel, json!("firstName")),
            422,
        ),
        err_case("a JSON null body", Snake, put(Snake, json!(null)), 422),
    ];
    run_error_cases(cases).await.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_the_target_cannot_hold_is_a_422_naming_it_unless_the_route_drops_it() {
    let extra = format!(
        "{MORE_DIRECTIONS}
[[routes]]
style = \"envelope\"
upstream = \"camel-backend\"
prefix = \"/edrop\"
drop = [\"department\"]

[[routes]]
style = \"camel\"
upstream = \"envelope-backend\"
prefix = \"/cdrop\"
drop = [\"type\"]

[[routes]]
style = \"snake\"
upstream = \"envelope-backend\"
prefix = \"/sdrop\"
drop = [\"stripe_customer_id\"]
"
    );
    let stack = start_stack(0, &extra).await;
    let put = |dir: Dir, body: Value| {
        gateway(
            &stack,
            dir.client,
            Method::PUT,
            &user_path(dir.client, dir.prefix, JOHN),
            Some(ADMIN),
        )
        .json(&body)
    };
    let refused = vec![
        err_case(
            "department -> camel",
            Envelope,
            put(E2C, json!({"department": "sales"})),
            422,
        )
        .naming("department"),
        err_case(
            "phone -> camel",
            Envelope,
            put(E2C, json!({"phone": "+1987654321"})),
            422,
        )
        .naming("phone"),
        err_case(
            "permissions other than the role's -> camel",
            Envelope,
            put(E2C, json!({"permissions": ["users:write"]})),
            422,
        )
        .naming("permissions"),
        err_case(
            "type -> envelope",
            Camel,
            put(C2E, json!({"type": "member"})),
            422,
        )
        .naming("type"),
        err_case(
            "stripe_customer_id -> envelope",
            Snake,
            put(S2E, json!({"stripe_customer_id": "cus_X"})),
            422,
        )
        .naming("stripe_customer_id"),
        err_case(
            "phone -> camel",
            Snake,
            put(S2C, json!({"phone": "+1987654321"})),
            422,
        )
        .naming("phone"),
    ];
    let mut p = run_error_cases(refused).await;
    p.no_backend_reached(&stack, "a refused write reached a backend");

    struct Accepted {
        name: &'static str,
        dir: Dir,
        body: Value,
        dropped: Option<&'static str>,
        stored: Vec<(&'static str, Value)>,
    }
    let edrop = Dir::new(Envelope, Camel, "/edrop");
    let cdrop = Dir::new(Camel, Envelope, "/cdrop");
    let sdrop = Dir::new(Snake, Envelope, "/sdrop");
    let accepted = vec![
        Accepted {
            name: "envelope permissions equal to the new role's -> camel",
            dir: E2C,
            body: json!({"role": "viewer", "permissions": viewer_permissions()}),
            dropped: None,
            stored: vec![("/roles/0/name", json!("viewer"))],
        },
        Accepted {
            name: "snake null for a field envelope lacks carries nothing",
            dir: S2E,
            body: json!({"stripe_customer_id": null, "first_name": "Johnny", "last_name": "Doe"}),
            dropped: None,
            stored: vec![("/name", json!("Johnny Doe"))],
        },
        Accepted {
            name: "envelope department dropped by the route",
            dir: edrop,
            body: json!({"department": "sales", "name": "John Dropped"}),
            dropped: Some("department"),
            stored: vec![
                ("/firstName", json!("John")),
                ("/lastName", json!("Dropped")),
            ],
        },
        Accepted {
            name: "camel type dropped by the route",
            dir: cdrop,
            body: json!({"type": "member", "firstName": "John", "lastName": "Typeless"}),
            dropped: Some("type"),
            stored: vec![
                ("/name", json!("John Typeless")),
                ("/department", json!("finance")),
            ],
        },
        Accepted {
            name: "snake stripe_customer_id dropped by the route",
            dir: sdrop,
            body: json!({"stripe_customer_id": "cus_X", "phone": "+1987654321"}),
            dropped: Some("stripe_customer_id"),
            stored: vec![("/phone", json!("+1987654321"))],
        },
    ];
    for c in accepted {
        let case = format!("{}: {}", c.dir.client, c.name);
        let r = send(put(c.dir, c.body)).await;
        p.check(
            &case,
            r.status == 200,
            format!("status {}: {}", r.status, r.text),
        );
        p.schema(&case, c.dir.client, "response", &r.body);
        let dropped = r.header("x-dragoman-dropped");
        match c.dropped {
            Some(field) => p.check(
                &case,
                dropped.is_some_and(|d| d.contains(field)),
                format!("x-dragoman-dropped: {dropped:?}"),
            ),
            None => p.check(
                &case,
                dropped.is_none(),
                format!("x-dragoman-dropped: {dropped:?}"),
            ),
        }
        let doc = stored(&stack, c.dir.backend, JOHN).await;
        p.fields(&format!("{case}, stored"), &doc, &c.stored);
        if let Some(field) = c.dropped {
            p.check(
                &case,
                !doc.to_string().contains("cus_X") && !doc.to_string().contains("sales"),
                format!("the dropped {field} reached the backend: {doc}"),
            );
        }
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_the_target_style_refuses_is_a_422_naming_the_clients_own_field() {
    // Valid for the client's schema, not for the backend's: the client still hears about its
    // own field, in its own dialect, and the backend keeps what it had.
    let stack = start_stack(0, MORE_DIRECTIONS).await;
    let put = |dir: Dir, body: Value| {
        gateway(
            &stack,
            dir.client,
            Method::PUT,
            &user_path(dir.client, dir.prefix, JOHN),
            Some(ADMIN),
        )
        .json(&body)
    };
    let cases = vec![
        err_case(
            "phone \"555\" -> envelope (E.164 only)",
            Snake,
            put(S2E, json!({"phone": "555"})),
            422,
        )
        .naming("phone"),
        err_case(
            "email null -> envelope (cannot be cleared)",
            Snake,
            put(S2E, json!({"email": null})),
            422,
        )
        .naming("email"),
        err_case(
            "first_name \"\" -> camel (non-empty)",
            Snake,
            put(S2C, json!({"first_name": ""})),
            422,
        )
        .naming("first_name"),
        err_case(
            "first_name null -> camel (not nullable)",
            Snake,
            put(S2C, json!({"first_name": null})),
            422,
        )
        .naming("first_name"),
        err_case(
            "is_active null -> camel (not nullable)",
            Snake,
            put(S2C, json!({"is_active": null})),
            422,
        )
        .naming("is_active"),
        err_case(
            "roles [] -> envelope (one role)",
            Camel,
            put(C2E, json!({"roles": []})),
            422,
        )
        .naming("roles"),
        err_case(
            "permissions not the role's -> snake",
            Envelope,
            put(
                E2S,
                json!({"role": "viewer", "permissions": ["users:write"]}),
            ),
            422,
        )
        .naming("permissions"),
    ];
    let mut p = run_error_cases(cases).await;
    let john = stored(&stack, Envelope, JOHN).await;
    p.field("envelope backend", &john, "/phone", &json!("+1234567890"));
    p.field(
        "envelope backend",
        &john,
        "/email",
        &json!("john.doe@company.com"),
    );
    let john = stored(&stack, Camel, JOHN).await;
    p.field("camel backend", &john, "/firstName", &json!("John"));
    p.field("camel backend", &john, "/status", &json!("active"));
    let john = stored(&stack, Snake, JOHN).await;
    p.field(
        "snake backend",
        &john,
        "/role_id",
        &json!(BILLING_MANAGER_ID),
    );
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_one_half_of_a_name_on_a_backend_that_joins_them_is_a_422() {
    // rules/envelope.toml: a backend that keeps the name whole can only be written both parts
    // at once.
    let stack = start_stack(0, MORE_DIRECTIONS).await;
    let cases = vec![
        err_case(
            "lastName alone -> envelope",
            Camel,
            gateway(
                &stack,
                Camel,
                Method::PUT,
                &user_path(Camel, "/c2e", JOHN),
                Some(ADMIN),
            )
            .json(&json!({"lastName": "Smith"})),
            422,
        )
        .naming("lastName"),
        err_case(
            "first_name alone -> envelope",
            Snake,
            gateway(
                &stack,
                Snake,
                Method::PUT,
                &user_path(Snake, "", JOHN),
                Some(ADMIN),
            )
            .json(&json!({"first_name": "Johnny"})),
            422,
        )
        .naming("first_name"),
    ];
    let mut p = run_error_cases(cases).await;
    p.check(
        "envelope backend",
        stack.envelope.stats() == 0,
        "a refused write reached the backend",
    );
    p.done();
    stack.stop().await;
}
