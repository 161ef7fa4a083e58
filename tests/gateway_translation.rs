//! The gateway end to end, translation in all six directions: every client style reads users
//! from every other backend with the fields of DESIGN.md's canonical field table, writes are
//! stored in the backend's own API and echoed translated, an empty PUT changes nothing, and a
//! value the target can only approximate is stored and flagged lossy.
//!
//! The three reference backends and a gateway on loopback, driven over real HTTP (reqwest, and
//! raw TCP where framing matters). The contract is DESIGN.md. Checks collect their problems per
//! case and fail once at the end, naming every failed case, so that one bad direction or style
//! does not hide the others (`common::problems`).

mod common;

use common::demo::*;
use common::http::send;
use common::problems::Problems;
use common::*;
use dragoman::backends::BackendStyle::{Camel, Envelope, Snake};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_style_reads_users_from_every_other_backend_with_translated_fields() {
    let stack = start_stack(30, MORE_DIRECTIONS).await;
    struct Get {
        dir: Dir,
        id: &'static str,
        expect: Vec<(&'static str, Value)>,
        absent: Vec<&'static str>,
    }
    let envelope_john = |extra: Vec<(&'static str, Value)>| {
        let mut v = vec![
            ("/success", json!(true)),
            ("/data/id", json!(format!("user_{JOHN}"))),
            ("/data/name", json!("John Doe")),
            ("/data/email", json!("john.doe@company.com")),
            ("/data/role", json!("billing_manager")),
            ("/data/permissions", billing_manager_permissions()),
            ("/data/status", json!("active")),
        ];
        v.extend(extra);
        v
    };
    let camel_john = |extra: Vec<(&'static str, Value)>| {
        let mut v = vec![
            ("/id", json!(JOHN)),
            ("/firstName", json!("John")),
            ("/lastName", json!("Doe")),
            ("/email", json!("john.doe@company.com")),
            ("/status", json!("active")),
            ("/roles", json!([role_object("billing_manager")])),
        ];
        v.extend(extra);
        v
    };
    let snake_john = |extra: Vec<(&'static str, Value)>| {
        let mut v = vec![
            ("/message", json!("Data retrieved successfully")),
            ("/meta", json!({})),
            ("/data/id", json!(JOHN)),
            ("/data/first_name", json!("John")),
            ("/data/last_name", json!("Doe")),
            ("/data/email", json!("john.doe@company.com")),
            ("/data/is_active", json!(true)),
            ("/data/role_id", json!(BILLING_MANAGER_ID)),
        ];
        v.extend(extra);
        v
    };
    let cases = vec![
        Get {
            dir: E2C,
            id: JOHN,
            expect: envelope_john(vec![("/data/created_time", json!("2024-01-15T10:30:00Z"))]),
            // camel holds no phone, department, company: omitted, never invented.
            absent: vec![
                "/data/phone",
                "/data/department",
                "/data/company",
                "/meta/message",
            ],
        },
        Get {
            dir: E2S,
            id: JOHN,
            expect: envelope_john(vec![("/data/phone", json!("+1234567890"))]),
            absent: vec!["/data/created_time", "/data/department", "/meta/message"],
        },
        Get {
            dir: C2S,
            id: JOHN,
            expect: camel_john(vec![]),
            // is_superuser false names no type, and billing_manager implies none.
            absent: vec!["/type", "/createdAt", "/phone"],
        },
        Get {
            dir: C2E,
            id: JOHN,
            expect: camel_john(vec![
                ("/createdAt", json!("2024-01-15T10:30:00Z")),
                ("/updatedAt", json!("2024-01-15T10:30:00Z")),
            ]),
            absent: vec!["/type", "/phone", "/department"],
        },
        Get {
            dir: S2E,
            id: JOHN,
            expect: snake_john(vec![("/data/phone", json!("+1234567890"))]),
            absent: vec![
                "/data/stripe_customer_id",
                "/data/department",
                "/data/follower_count",
            ],
        },
        Get {
            dir: S2C,
            id: JOHN,
            expect: snake_john(vec![("/data/is_superuser", json!(false))]),
            absent: vec!["/data/phone", "/data/stripe_customer_id"],
        },
        // Max is locked: snake can only say "not active", which reads back as disabled.
        Get {
            dir: E2S,
            id: MAX,
            expect: vec![
                ("/data/status", json!("disabled")),
                ("/data/role", json!("support_agent")),
            ],
            absent: vec![],
        },
        Get {
            dir: S2C,
            id: MAX,
            expect: vec![
                ("/data/is_active", json!(false)),
                ("/data/role_id", json!(SUPPORT_AGENT_ID)),
            ],
            absent: vec![],
        },
        // Jane is an admin: camel's type follows from the role where the backend has none.
        Get {
            dir: C2E,
            id: JANE,
            expect: vec![
                ("/type", json!("admin")),
                ("/roles", json!([role_object("admin")])),
            ],
            absent: vec![],
        },
        Get {
            dir: E2C,
            id: JANE,
            expect: vec![
                ("/data/name", json!("Jane Roe")),
                ("/data/permissions", admin_permissions()),
            ],
            absent: vec![],
        },
    ];
    let mut p = Problems::default();
    for c in cases {
        let case = format!("GET {} of {}", c.dir.name(), c.id);
        let r = send(gateway(
            &stack,
            c.dir.client,
            Method::GET,
            &user_path(c.dir.client, c.dir.prefix, c.id),
            Some(ADMIN),
        ))
        .await;
        p.check(
            &case,
            r.status == 200,
            format!("status {}: {}", r.status, r.text),
        );
        p.schema(&case, c.dir.client, "response", &r.body);
        p.fields(&case, &r.body, &c.expect);
        p.absent(&case, &r.body, &c.absent);
        p.no_secrets(&case, &r.text);
        let request_id = r.header("x-request-id").unwrap_or_default().to_owned();
        p.check(&case, !request_id.is_empty(), "no X-Request-Id");
        p.check(
            &case,
            matches!(r.header("x-cache"), Some("HIT" | "MISS" | "BYPASS")),
            format!("X-Cache: {:?}", r.header("x-cache")),
        );
        if c.dir.client == Envelope {
            p.field(&case, &r.body, "/meta/request_id", &json!(request_id));
        }
        let content_type = r.header("content-type").unwrap_or_default();
        p.check(
            &case,
            content_type.starts_with("application/json"),
            format!("content-type {content_type:?}"),
        );
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_in_every_direction_is_stored_in_the_backends_own_api_and_echoed_translated() {
    // Each backend is written through two routes; they write different users (John through
    // the demo route, Jane through the added one), so every "unchanged" below is the seed.
    let stack = start_stack(30, MORE_DIRECTIONS).await;
    struct Put {
        dir: Dir,
        id: &'static str,
        body: Value,
        /// In the gateway's answer, in the client's style.
        answer: Vec<(&'static str, Value)>,
        /// In the backend's own API afterwards: the change and what the PUT did not carry.
        stored: Vec<(&'static str, Value)>,
    }
    let cases = vec![
        Put {
            dir: E2C,
            id: JOHN,
            body: json!({"name": "Johnny Walker", "role": "support_agent", "status": "disabled"}),
            answer: vec![
                ("/data/name", json!("Johnny Walker")),
                ("/data/role", json!("support_agent")),
                ("/data/status", json!("disabled")),
                ("/data/permissions", support_agent_permissions()),
                ("/data/email", json!("john.doe@company.com")),
                ("/meta/message", json!("User updated successfully")),
            ],
            stored: vec![
                ("/firstName", json!("Johnny")),
                ("/lastName", json!("Walker")),
                ("/status", json!("disabled")),
                ("/roles/0/id", json!(SUPPORT_AGENT_ID)),
                ("/type", json!("member")),
                ("/email", json!("john.doe@company.com")),
                ("/isService", json!(false)),
            ],
        },
        Put {
            dir: E2S,
            id: JANE,
            // The name splits at the first space.
            body: json!({"name": "Janet Van Roe", "phone": "+1987654321", "status": "disabled", "email": "janet@company.com"}),
            answer: vec![
                ("/data/name", json!("Janet Van Roe")),
                ("/data/phone", json!("+1987654321")),
                ("/data/status", json!("disabled")),
                ("/data/email", json!("janet@company.com")),
                ("/data/role", json!("admin")),
                ("/data/permissions", admin_permissions()),
            ],
            stored: vec![
                ("/first_name", json!("Janet")),
                ("/last_name", json!("Van Roe")),
                ("/phone", json!("+1987654321")),
                ("/is_active", json!(false)),
                ("/email", json!("janet@company.com")),
                ("/role_id", json!(ADMIN_ROLE_ID)),
                ("/state", json!("CA")),
                ("/is_enterprise", json!(true)),
                ("/follower_count", json!(40)),
            ],
        },
        Put {
            dir: C2S,
            id: JOHN,
            body: json!({"firstName": "Jon", "status": "disabled", "roles": [ADMIN_ROLE_ID]}),
            answer: vec![
                ("/firstName", json!("Jon")),
                ("/lastName", json!("Doe")),
                ("/status", json!("disabled")),
                ("/roles", json!([role_object("admin")])),
                ("/type", json!("admin")),
            ],
            stored: vec![
                ("/first_name", json!("Jon")),
                ("/last_name", json!("Doe")),
                ("/is_active", json!(false)),
                ("/role_id", json!(ADMIN_ROLE_ID)),
                ("/is_superuser", json!(false)),
                ("/phone", json!("+1234567890")),
                ("/stripe_customer_id", json!("cus_Pq4sJd8LmN2xYz")),
                ("/address", json!("350 Fifth Avenue, New York, NY 10118")),
            ],
        },
        Put {
            dir: C2E,
            id: JANE,
            body: json!({"firstName": "Janet", "lastName": "Roe", "roles": [SENIOR_BILLING_MANAGER_ID], "status": "locked"}),
            answer: vec![
                ("/firstName", json!("Janet")),
                ("/lastName", json!("Roe")),
                ("/roles", json!([role_object("senior_billing_manager")])),
                ("/status", json!("locked")),
                ("/createdAt", json!("2023-06-01T08:00:00Z")),
            ],
            stored: vec![
                ("/name", json!("Janet Roe")),
                ("/role", json!("senior_billing_manager")),
                ("/status", json!("locked")),
                ("/department", json!("engineering")),
                ("/phone", json!("+14155550123")),
                ("/company", json!("Acme Corporation")),
                ("/metadata/timezone", json!("America/Los_Angeles")),
            ],
        },
        Put {
            dir: S2E,
            id: JOHN,
            body: json!({"first_name": "Johnny", "last_name": "Walker", "phone": "+1987654321", "is_active": false}),
            answer: vec![
                ("/message", json!("Data updated successfully")),
                ("/meta", json!({})),
                ("/data/first_name", json!("Johnny")),
                ("/data/last_name", json!("Walker")),
                ("/data/phone", json!("+1987654321")),
                ("/data/is_active", json!(false)),
                ("/data/role_id", json!(BILLING_MANAGER_ID)),
            ],
            stored: vec![
                ("/name", json!("Johnny Walker")),
                ("/phone", json!("+1987654321")),
                ("/status", json!("disabled")),
                ("/department", json!("finance")),
                ("/company", json!("Acme Corporation")),
                ("/role", json!("billing_manager")),
                ("/permissions", billing_manager_permissions()),
                ("/metadata/subscription_plan", json!("premium")),
            ],
        },
        Put {
            dir: S2C,
            id: JANE,
            body: json!({"first_name": "Janine", "role_id": OWNER_ROLE_ID, "is_superuser": true}),
            answer: vec![
                ("/data/first_name", json!("Janine")),
                ("/data/last_name", json!("Roe")),
                ("/data/role_id", json!(OWNER_ROLE_ID)),
                ("/data/is_superuser", json!(true)),
                ("/data/is_active", json!(true)),
            ],
            stored: vec![
                ("/firstName", json!("Janine")),
                ("/lastName", json!("Roe")),
                ("/roles", json!([role_object("owner")])),
                ("/type", json!("owner")),
                ("/status", json!("active")),
                ("/email", json!("jane.roe@company.com")),
            ],
        },
    ];
    let mut p = Problems::default();
    for c in cases {
        let case = format!("PUT {} of {}", c.dir.name(), c.id);
        let before = stack.backend(c.dir.backend).stats();
        let r = send(
            gateway(
                &stack,
                c.dir.client,
                Method::PUT,
                &user_path(c.dir.client, c.dir.prefix, c.id),
                Some(ADMIN),
            )
            .json(&c.body),
        )
        .await;
        p.check(
            &case,
            r.status == 200,
            format!("status {}: {}", r.status, r.text),
        );
        p.schema(&case, c.dir.client, "response", &r.body);
        p.fields(&case, &r.body, &c.answer);
        p.no_secrets(&case, &r.text);
        p.check(
            &case,
            stack.backend(c.dir.backend).stats() == before + 1,
            "the PUT did not reach the backend exactly once",
        );
        let request_id = r.header("x-request-id").unwrap_or_default().to_owned();
        if c.dir.client == Envelope {
            p.field(&case, &r.body, "/meta/request_id", &json!(request_id));
        }
        let doc = stored(&stack, c.dir.backend, c.id).await;
        p.fields(&format!("{case}, stored"), &doc, &c.stored);
        // A GET through the gateway after the write sees the write (the PUT evicted the cache).
        let again = send(gateway(
            &stack,
            c.dir.client,
            Method::GET,
            &user_path(c.dir.client, c.dir.prefix, c.id),
            Some(ADMIN),
        ))
        .await;
        let mut fields_again: Vec<(&str, Value)> = c
            .answer
            .iter()
            .filter(|(ptr, _)| !ptr.starts_with("/meta") && *ptr != "/message")
            .cloned()
            .collect();
        fields_again.retain(|(ptr, _)| ptr.starts_with("/data") || c.dir.client == Camel);
        p.fields(&format!("{case}, read back"), &again.body, &fields_again);
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_put_is_a_partial_update_that_changes_nothing_in_any_direction() {
    let stack = start_stack(0, MORE_DIRECTIONS).await;
    let mut p = Problems::default();
    let timestamps = ["/updatedAt", "/updated_time"];
    for dir in DIRECTIONS {
        let case = format!("PUT {{}} {}", dir.name());
        let id = if dir.prefix.is_empty() { JOHN } else { JANE };
        let mut before = stored(&stack, dir.backend, id).await;
        let r = send(
            gateway(
                &stack,
                dir.client,
                Method::PUT,
                &user_path(dir.client, dir.prefix, id),
                Some(ADMIN),
            )
            .json(&json!({})),
        )
        .await;
        p.check(
            &case,
            r.status == 200,
            format!("status {}: {}", r.status, r.text),
        );
        p.schema(&case, dir.client, "response", &r.body);
        let mut after = stored(&stack, dir.backend, id).await;
        for ptr in timestamps {
            for doc in [&mut before, &mut after] {
                if let Some(obj) = doc.as_object_mut() {
                    obj.remove(ptr.trim_start_matches('/'));
                }
            }
        }
        p.check(
            &case,
            before == after,
            format!("the stored user changed:\nbefore {before}\nafter  {after}"),
        );
    }
    p.done();
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_of_a_value_the_target_can_only_approximate_is_stored_and_flagged_lossy() {
    let stack = start_stack(0, MORE_DIRECTIONS).await;
    let mut p = Problems::default();
    let case = "envelope status locked -> snake backend";
    let r = send(
        gateway(
            &stack,
            Envelope,
            Method::PUT,
            &user_path(Envelope, "/e2s", JOHN),
            Some(ADMIN),
        )
        .json(&json!({"status": "locked"})),
    )
    .await;
    p.check(
        case,
        r.status == 200,
        format!("status {}: {}", r.status, r.text),
    );
    p.check(
        case,
        r.header("x-dragoman-lossy")
            .is_some_and(|h| h.contains("status")),
        format!("X-Dragoman-Lossy: {:?}", r.header("x-dragoman-lossy")),
    );
    let doc = stored(&stack, Snake, JOHN).await;
    p.field(case, &doc, "/is_active", &json!(false));
    p.done();
    stack.stop().await;
}
