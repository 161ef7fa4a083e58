//! Path ids between styles, and the loss report of every pair.

use super::*;

// ---- ids -----------------------------------------------------------------------------------

#[test]
fn path_ids_translate_between_prefixed_and_bare_uuids() {
    let s = set();
    assert_eq!(
        s.translate_id(id("envelope"), id("camel"), &format!("user_{JOHN}"))
            .unwrap(),
        JOHN
    );
    assert_eq!(
        s.translate_id(id("snake"), id("envelope"), JOHN).unwrap(),
        format!("user_{JOHN}")
    );
    assert_eq!(
        s.translate_id(id("camel"), id("snake"), JOHN).unwrap(),
        JOHN
    );
}

#[test]
fn malformed_path_ids_are_refused() {
    let s = set();
    for (from, to, bad) in [
        ("envelope", "camel", "123"),
        ("envelope", "camel", "user_123456789"),
        ("envelope", "snake", "user_"),
        ("camel", "snake", "not-a-uuid"),
        ("snake", "envelope", "3c90c3cc"),
    ] {
        assert_eq!(
            s.translate_id(id(from), id(to), bad),
            Err(TranslateError::MalformedId),
            "{from}->{to} {bad}"
        );
    }
}

// ---- loss report ---------------------------------------------------------------------------

#[test]
fn the_loss_report_names_what_each_direction_cannot_carry() {
    let s = set();
    let r = s.loss_report(id("envelope"), id("camel"));
    assert_eq!(
        r.request.iter().filter(|l| l.field == "name").count(),
        1,
        "{r}"
    );
    assert_eq!(
        r.refused_on_write(),
        vec!["email", "company", "department", "phone", "metadata"]
    );
    assert!(r
        .request
        .iter()
        .any(|l| l.field == "permissions" && l.kind == loss::LossKind::DerivedOnly));
    assert!(r
        .response
        .iter()
        .any(|l| l.field == "isService" && l.kind == loss::LossKind::NotCarried));
    assert!(r
        .response
        .iter()
        .any(|l| l.field == "permissions" && l.kind == loss::LossKind::Derived));

    let r = s.loss_report(id("camel"), id("snake"));
    assert!(r.refused_on_write().is_empty(), "{r}");
    let status = r.request.iter().find(|l| l.field == "status").unwrap();
    assert!(matches!(&status.kind, loss::LossKind::Values(v) if v[0].contains("locked")));
    assert!(r
        .request
        .iter()
        .any(|l| l.field == "roles" && matches!(l.kind, loss::LossKind::Partial(_))));

    let r = s.loss_report(id("snake"), id("envelope"));
    assert!(r.refused_on_write().contains(&"stripe_customer_id"));
    assert!(!r.refused_on_write().contains(&"phone"));
}

/// Every directed pair: the client fields a write refuses, and the upstream fields a response
/// cannot show.
#[test]
fn the_loss_report_of_every_pair_lists_exactly_the_fields_the_other_side_lacks() {
    // Written out on purpose, as in tests/schemas_request.rs: a list derived from the rules
    // or schemas under test could not catch a field that went missing from them.
    let billing = [
        "birthdate",
        "is_enterprise",
        "state",
        "country",
        "address",
        "active_billing_plan_id",
        "next_billing_plan_id",
        "stripe_customer_id",
        "stripe_subscription_id",
        "stripe_subscription_status",
        "stripe_has_payment_method",
        "is_trial",
        "used_trial",
        "is_paying",
        "stripe_last_payment_date",
        "billing_updated_at",
        "last_credits_refresh",
        "next_credits_refresh",
    ];
    let not_shown = |r: &LossReport| -> Vec<String> {
        r.response
            .iter()
            .filter(|l| l.kind == loss::LossKind::NotCarried)
            .map(|l| l.field.clone())
            .collect()
    };
    let cases: Vec<(&str, &str, Vec<&str>, Vec<&str>)> = vec![
        (
            "envelope",
            "camel",
            vec!["email", "company", "department", "phone", "metadata"],
            vec!["type", "isService"],
        ),
        (
            "envelope",
            "snake",
            vec!["company", "department", "metadata"],
            [
                vec!["is_superuser"],
                billing.to_vec(),
                vec!["follower_count", "following_count"],
            ]
            .concat(),
        ),
        (
            "camel",
            "envelope",
            vec![],
            vec![
                "company",
                "department",
                "phone",
                "account_id",
                "last_login",
                "permissions",
                "activity_stats",
                "metadata",
            ],
        ),
        (
            "camel",
            "snake",
            vec![],
            [
                vec!["phone"],
                billing.to_vec(),
                vec!["follower_count", "following_count"],
            ]
            .concat(),
        ),
        // is_superuser is not refused: it is accepted when it matches what the role implies.
        (
            "snake",
            "envelope",
            billing.to_vec(),
            vec![
                "company",
                "department",
                "account_id",
                "created_time",
                "updated_time",
                "last_login",
                "permissions",
                "activity_stats",
                "metadata",
            ],
        ),
        (
            "snake",
            "camel",
            [vec!["email", "phone"], billing.to_vec()].concat(),
            vec!["createdAt", "updatedAt", "isService"],
        ),
    ];
    for (client, upstream, refused, hidden) in cases {
        let r = set().loss_report(id(client), id(upstream));
        let mut got = r.refused_on_write();
        got.sort();
        let mut want = refused.clone();
        want.sort();
        assert_eq!(got, want, "{client} -> {upstream} writes\n{r}");
        let mut got = not_shown(&r);
        got.sort();
        let mut want: Vec<String> = hidden.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "{client} -> {upstream} responses\n{r}");
    }
}

#[test]
fn a_style_routed_to_itself_loses_nothing() {
    for name in ["envelope", "camel", "snake"] {
        let r = set().loss_report(id(name), id(name));
        assert!(r.is_lossless(), "{r}");
    }
}
