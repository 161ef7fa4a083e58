//! The demo users every backend starts with: the same three logical people in each style, so
//! that a request through the gateway and a request straight to a backend can be compared.
//!
//! This file owns the shared facts (ids, names, emails, roles, status, phone, timestamps), each
//! style's extra fields, written as that style writes them, and [`store`], the one seeding
//! function of all three styles. A style gives only its field mapping (a [`Document`]); roles
//! are given by name here and resolved through `rules/roles.toml` while seeding, so a role
//! renamed in the table cannot silently diverge here.
//!
//! `tests/backends_*.rs` spells some of these values out again on purpose: a test that read
//! them from here could not notice a seed that changed by mistake.

use serde_json::{json, Value};

use super::roles::{Role, Roles};
use super::store::Store;
use super::{BackendError, BackendStyle};

const JOHN: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
const JANE: &str = "8f14e45f-ea7a-4c3b-9d2e-5b1a7c3e9f20";
const MAX: &str = "c4ca4238-a0b9-4382-8dcc-509a6f75849b";

/// The canonical UUIDs of the seeded users: John Doe, Jane Roe, Max Mustermann.
pub fn seed_ids() -> [&'static str; 3] {
    [JOHN, JANE, MAX]
}

/// One logical demo user.
pub(crate) struct SeedUser {
    /// The canonical UUID (envelope prefixes it with `user_`).
    pub id: &'static str,
    pub email: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    /// A role name from `rules/roles.toml`.
    pub role: &'static str,
    /// active, disabled or locked.
    pub status: &'static str,
    /// E.164.
    pub phone: &'static str,
    pub created_at: &'static str,
    pub updated_at: &'static str,
    /// Fields only envelope holds, as envelope writes them.
    pub envelope: Value,
    /// Fields only camel holds.
    pub camel: Value,
    /// Fields only snake holds.
    pub snake: Value,
}

/// One style's field mapping: the shared facts of a seed user (its role already looked up)
/// under that style's names, in its field order, as a JSON object. Its `id` must be the key
/// the style's `parse_id` yields for that user's path.
pub(crate) type Document = fn(&SeedUser, &Role) -> Value;

/// The store every style starts with, so that all three hold the same people: each seed user
/// as `style`'s `document` maps it, followed by the fields only that style holds, keyed by the
/// document's own `id` so that the key and the id a client reads back cannot disagree.
pub(crate) fn store(
    roles: &Roles,
    style: BackendStyle,
    document: Document,
) -> Result<Store, BackendError> {
    let mut users = Vec::new();
    for user in [john(), jane(), max()] {
        let role = roles.seed_role(user.id, user.role)?;
        let seed_error = |message: &str| BackendError::Seed {
            id: user.id,
            message: format!("the {style} document {message}"),
        };
        let (Value::Object(mut doc), Value::Object(own)) = (document(&user, role), user.own(style))
        else {
            return Err(seed_error("and its own fields must be JSON objects"));
        };
        doc.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
        let Some(Value::String(key)) = doc.get("id") else {
            return Err(seed_error("has no string `id`"));
        };
        users.push((key.clone(), doc));
    }
    Ok(Store::new(users))
}

impl SeedUser {
    /// The fields only `style` holds.
    fn own(&self, style: BackendStyle) -> &Value {
        match style {
            BackendStyle::Envelope => &self.envelope,
            BackendStyle::Camel => &self.camel,
            BackendStyle::Snake => &self.snake,
        }
    }
}

/// The user of the envelope GET seed (envelope-get-user.txt), with that document's values.
fn john() -> SeedUser {
    SeedUser {
        id: JOHN,
        email: "john.doe@company.com",
        first_name: "John",
        last_name: "Doe",
        role: "billing_manager",
        status: "active",
        phone: "+1234567890",
        created_at: "2024-01-15T10:30:00Z",
        updated_at: "2024-01-15T10:30:00Z",
        envelope: json!({
            "company": "Acme Corporation",
            "department": "finance",
            "account_id": "acc_789123456",
            "last_login": "2024-01-20T09:15:00Z",
            "activity_stats": {
                "total_calls_made": 45,
                "total_emails_sent": 120,
                "total_callouts_created": 8,
                "last_activity": "2024-01-20T09:15:00Z"
            },
            "metadata": {
                "subscription_plan": "premium",
                "timezone": "America/New_York",
                "language": "en"
            }
        }),
        camel: json!({ "type": "member", "isService": false }),
        snake: json!({
            "is_superuser": false,
            "birthdate": "1985-04-12T00:00:00Z",
            "is_enterprise": true,
            "state": "NY",
            "country": "US",
            "address": "350 Fifth Avenue, New York, NY 10118",
            "active_billing_plan_id": "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
            "next_billing_plan_id": "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b",
            "stripe_customer_id": "cus_Pq4sJd8LmN2xYz",
            "stripe_subscription_id": "sub_1OkXyZ2eZvKYlo2C",
            "stripe_subscription_status": "active",
            "stripe_has_payment_method": true,
            "is_trial": false,
            "used_trial": true,
            "is_paying": true,
            "stripe_last_payment_date": "2024-01-01T00:00:00Z",
            "billing_updated_at": "2024-01-01T00:00:05Z",
            "last_credits_refresh": "2024-01-01T00:00:00Z",
            "next_credits_refresh": "2024-02-01T00:00:00Z",
            "follower_count": 12,
            "following_count": 7
        }),
    }
}

fn jane() -> SeedUser {
    SeedUser {
        id: JANE,
        email: "jane.roe@company.com",
        first_name: "Jane",
        last_name: "Roe",
        role: "admin",
        status: "active",
        phone: "+14155550123",
        created_at: "2023-06-01T08:00:00Z",
        updated_at: "2024-02-02T12:00:00Z",
        envelope: json!({
            "company": "Acme Corporation",
            "department": "engineering",
            "account_id": "acc_789123457",
            "last_login": "2024-02-10T16:45:00Z",
            "activity_stats": {
                "total_calls_made": 3,
                "total_emails_sent": 58,
                "total_callouts_created": 0,
                "last_activity": "2024-02-10T16:45:00Z"
            },
            "metadata": {
                "subscription_plan": "enterprise",
                "timezone": "America/Los_Angeles",
                "language": "en"
            }
        }),
        camel: json!({ "type": "admin", "isService": false }),
        // A user without billing history: the nullable fields are null, as FastAPI returns them.
        snake: json!({
            "is_superuser": false,
            "birthdate": null,
            "is_enterprise": true,
            "state": "CA",
            "country": "US",
            "address": null,
            "active_billing_plan_id": null,
            "next_billing_plan_id": null,
            "stripe_customer_id": null,
            "stripe_subscription_id": null,
            "stripe_subscription_status": null,
            "stripe_has_payment_method": false,
            "is_trial": false,
            "used_trial": false,
            "is_paying": false,
            "stripe_last_payment_date": null,
            "billing_updated_at": null,
            "last_credits_refresh": null,
            "next_credits_refresh": null,
            "follower_count": 40,
            "following_count": 3
        }),
    }
}

fn max() -> SeedUser {
    SeedUser {
        id: MAX,
        email: "max.mustermann@company.com",
        first_name: "Max",
        last_name: "Mustermann",
        role: "support_agent",
        status: "locked",
        phone: "+4930123456",
        created_at: "2023-09-12T07:20:00Z",
        updated_at: "2024-01-30T11:05:00Z",
        envelope: json!({
            "company": "Acme GmbH",
            "department": "support",
            "account_id": "acc_789123458",
            "last_login": "2024-01-29T17:40:00Z",
            "activity_stats": {
                "total_calls_made": 311,
                "total_emails_sent": 942,
                "total_callouts_created": 17,
                "last_activity": "2024-01-29T17:52:00Z"
            },
            "metadata": {
                "subscription_plan": "premium",
                "timezone": "Europe/Berlin",
                "language": "de"
            }
        }),
        camel: json!({ "type": "member", "isService": false }),
        snake: json!({
            "is_superuser": false,
            "birthdate": "1990-07-23T00:00:00Z",
            "is_enterprise": false,
            "state": "BE",
            "country": "DE",
            "address": "Unter den Linden 1, 10117 Berlin",
            "active_billing_plan_id": "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
            "next_billing_plan_id": null,
            "stripe_customer_id": "cus_Lm3kJ9qR7sT1uV",
            "stripe_subscription_id": "sub_1NzAbC3fGhIjKlMn",
            "stripe_subscription_status": "past_due",
            "stripe_has_payment_method": true,
            "is_trial": false,
            "used_trial": true,
            "is_paying": false,
            "stripe_last_payment_date": "2023-12-01T00:00:00Z",
            "billing_updated_at": "2024-01-02T09:00:00Z",
            "last_credits_refresh": "2023-12-01T00:00:00Z",
            "next_credits_refresh": null,
            "follower_count": 5,
            "following_count": 9
        }),
    }
}
