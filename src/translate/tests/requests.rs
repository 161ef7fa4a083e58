//! PUT bodies between styles: what is carried, refused, dropped or lossy.

use super::*;
use serde_json::json;

// ---- requests ------------------------------------------------------------------------------

#[test]
fn envelope_put_seed_to_camel_is_refused_naming_each_field_camel_cannot_hold() {
    let fields = invalid_fields(request(
        "envelope",
        "camel",
        &fixture("envelope-put-request"),
        &strict(),
    ));
    assert_eq!(fields, vec!["/phone", "/department", "/metadata"]);
}

#[test]
fn envelope_put_seed_to_camel_with_drops_splits_the_name_and_maps_the_role_to_its_uuid() {
    let t = request(
        "envelope",
        "camel",
        &fixture("envelope-put-request"),
        &drop_all(),
    )
    .unwrap();
    assert_eq!(
        t.body,
        json!({"firstName": "John", "lastName": "Smith", "status": "active",
               "roles": ["7f3e2a10-5b8c-4d2e-9a61-0c4b8e2f1d35"]})
    );
    assert_eq!(t.dropped, vec!["phone", "department", "metadata"]);
    assert!(t.lossy.is_empty());
}

#[test]
fn envelope_put_seed_to_snake_carries_phone_and_refuses_department_and_metadata() {
    let body = fixture("envelope-put-request");
    assert_eq!(
        invalid_fields(request("envelope", "snake", &body, &strict())),
        vec!["/department", "/metadata"]
    );
    let t = request("envelope", "snake", &body, &drop_all()).unwrap();
    assert_eq!(
        t.body,
        json!({"first_name": "John", "last_name": "Smith", "phone": "+1987654321", "is_active": true,
               "role_id": "7f3e2a10-5b8c-4d2e-9a61-0c4b8e2f1d35"})
    );
}

#[test]
fn envelope_permissions_that_differ_from_the_role_are_refused_for_a_backend_without_permissions() {
    let body = json!({"role": "billing_manager", "permissions": ["users:write"]});
    assert_eq!(
        invalid_fields(request("envelope", "camel", &body, &strict())),
        vec!["/permissions"]
    );
    let same =
        json!({"role": "viewer", "permissions": ["calls:read", "emails:read", "callouts:read"]});
    let t = request("envelope", "camel", &same, &strict()).unwrap();
    assert_eq!(
        t.body,
        json!({"roles": ["2c4e6a8b-1d3f-4b5a-9c7e-8f0a2b4d6e13"]})
    );
}

#[test]
fn camel_put_seed_to_envelope_refuses_a_type_the_role_does_not_imply() {
    let err = request(
        "camel",
        "envelope",
        &fixture("camel-put-request"),
        &strict(),
    )
    .unwrap_err();
    let TranslateError::Invalid(errs) = err else {
        panic!()
    };
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].pointer, "/type");
    assert!(errs[0].message.starts_with("type: "), "{}", errs[0].message);
}

#[test]
fn camel_put_seed_to_envelope_joins_the_name_and_sends_the_roles_permissions() {
    let policy = WritePolicy {
        drop: set().field_ids(id("camel"), &["type".into()]).unwrap(),
        drop_all: false,
    };
    let t = request("camel", "envelope", &fixture("camel-put-request"), &policy).unwrap();
    assert_eq!(
        t.body,
        json!({"name": "Jane Smith", "status": "active", "role": "billing_manager",
               "permissions": ["calls:read", "calls:write", "emails:read", "emails:write", "callouts:read", "callouts:write"]})
    );
    assert_eq!(t.dropped, vec!["type"]);
}

#[test]
fn camel_put_seed_to_snake_maps_status_and_type_to_booleans_and_reports_the_lossy_type() {
    let t = request("camel", "snake", &fixture("camel-put-request"), &strict()).unwrap();
    assert_eq!(
        t.body,
        json!({"first_name": "Jane", "last_name": "Smith", "is_active": true, "is_superuser": false, "role_id": JOHN})
    );
    assert_eq!(t.lossy.len(), 1);
    assert!(
        t.lossy[0]
            .to_string()
            .starts_with("type: \"invited\" is stored as false"),
        "{:?}",
        t.lossy
    );
}

#[test]
fn camel_locked_status_reaches_snake_as_inactive_and_says_so() {
    let t = request("camel", "snake", &json!({"status": "locked"}), &strict()).unwrap();
    assert_eq!(t.body, json!({"is_active": false}));
    assert_eq!(
        as_text(&t.lossy),
        vec!["status: \"locked\" is stored as false and reads back as \"disabled\""]
    );
}

#[test]
fn snake_put_seed_to_envelope_refuses_billing_fields_and_carries_the_rest_when_dropped() {
    let body = fixture("snake-put-request");
    let refused = invalid_fields(request("snake", "envelope", &body, &strict()));
    assert!(
        refused.contains(&"/stripe_customer_id".to_owned()),
        "{refused:?}"
    );
    assert!(refused.contains(&"/birthdate".to_owned()));
    assert!(!refused.contains(&"/email".to_owned()) && !refused.contains(&"/phone".to_owned()));
    let t = request("snake", "envelope", &body, &drop_all()).unwrap();
    assert_eq!(
        t.body,
        json!({"name": "Jane Smith", "email": "jsmith@example.com", "phone": "+15551234567",
               "status": "active", "role": "billing_manager",
               "permissions": ["calls:read", "calls:write", "emails:read", "emails:write", "callouts:read", "callouts:write"]})
    );
}

#[test]
fn snake_put_seed_to_camel_refuses_email_which_camel_clients_cannot_change() {
    let refused = invalid_fields(request(
        "snake",
        "camel",
        &fixture("snake-put-request"),
        &strict(),
    ));
    assert!(
        refused.contains(&"/email".to_owned()) && refused.contains(&"/phone".to_owned()),
        "{refused:?}"
    );
    let t = request("snake", "camel", &fixture("snake-put-request"), &drop_all()).unwrap();
    assert_eq!(
        t.body,
        json!({"firstName": "Jane", "lastName": "Smith", "status": "active", "roles": [JOHN]})
    );
}

#[test]
fn snake_null_for_a_field_the_target_cannot_hold_carries_nothing_and_is_accepted() {
    let t = request(
        "snake",
        "camel",
        &json!({"stripe_customer_id": null, "first_name": "Ann", "last_name": "Lee"}),
        &strict(),
    )
    .unwrap();
    assert_eq!(t.body, json!({"firstName": "Ann", "lastName": "Lee"}));
}

#[test]
fn snake_null_for_a_field_the_target_requires_is_refused_in_the_clients_names() {
    let err = request(
        "snake",
        "camel",
        &json!({"first_name": null, "last_name": "Lee"}),
        &strict(),
    )
    .unwrap_err();
    let TranslateError::Invalid(errs) = err else {
        panic!()
    };
    assert_eq!(errs[0].pointer, "/first_name");
    assert_eq!(
        errs[0].message,
        "first_name: cannot be cleared (null) on this API's backend"
    );
}

#[test]
fn one_name_part_alone_is_refused_for_a_backend_that_keeps_the_name_whole() {
    let err = request("camel", "envelope", &json!({"firstName": "Jo"}), &strict()).unwrap_err();
    let TranslateError::Invalid(errs) = err else {
        panic!()
    };
    assert_eq!(errs[0].pointer, "/firstName");
    assert_eq!(
        errs[0].message,
        "firstName: can only be changed together with lastName on this backend"
    );
}

#[test]
fn two_roles_cannot_be_written_to_a_single_role_backend() {
    let body = json!({"roles": [JOHN, "2c4e6a8b-1d3f-4b5a-9c7e-8f0a2b4d6e13"]});
    let err = request("camel", "snake", &body, &strict()).unwrap_err();
    let TranslateError::Invalid(errs) = err else {
        panic!()
    };
    assert_eq!(errs[0].pointer, "/roles");
    assert!(
        errs[0].message.contains("holds one role; 2 were given"),
        "{}",
        errs[0].message
    );
}

#[test]
fn an_unknown_role_is_a_validation_error_not_a_guess() {
    let e = invalid_fields(request(
        "envelope",
        "camel",
        &json!({"role": "pope"}),
        &strict(),
    ));
    assert_eq!(e, vec!["/role"]);
    let e = invalid_fields(request(
        "camel",
        "snake",
        &json!({"roles": ["00000000-0000-4000-8000-000000000000"]}),
        &strict(),
    ));
    assert_eq!(e, vec!["/roles"]);
}

#[test]
fn a_bad_phone_gets_the_seeds_message() {
    let errs = refusal("envelope", "snake", &json!({"phone": "555-1234"}));
    assert_eq!(errs[0].pointer, "/phone");
    assert_eq!(errs[0].message, "Invalid phone number format");
}

#[test]
fn a_snake_phone_that_is_not_e164_is_refused_by_the_envelope_backends_rules_in_snake_terms() {
    let errs = refusal("snake", "envelope", &json!({"phone": "555 1234"}));
    assert_eq!(errs[0].pointer, "/phone");
    assert_eq!(errs[0].message, "Invalid phone number format");
}

#[test]
fn unknown_and_backend_owned_fields_are_refused() {
    let e = invalid_fields(request(
        "camel",
        "snake",
        &json!({"nickname": "x"}),
        &strict(),
    ));
    assert_eq!(e, vec!["/nickname"]);
    let e = invalid_fields(request(
        "camel",
        "snake",
        &json!({"email": "a@b.co"}),
        &strict(),
    ));
    assert_eq!(e, vec!["/email"]);
}

#[test]
fn a_body_that_is_not_an_object_is_refused() {
    for body in [json!([]), json!("x"), json!(null), json!(3)] {
        assert!(
            matches!(
                request("camel", "snake", &body, &strict()),
                Err(TranslateError::Invalid(_))
            ),
            "{body}"
        );
    }
}

#[test]
fn an_empty_update_is_an_empty_update_in_every_direction() {
    for (a, b) in pairs() {
        assert_eq!(
            request(a, b, &json!({}), &strict()).unwrap().body,
            json!({}),
            "{a}->{b}"
        );
    }
}
