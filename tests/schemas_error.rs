//! The error schemas under `schemas/`: each style's native error documents validate (every
//! envelope code the gateway sends, camel problems, snake `detail`s) and malformed ones are
//! refused.

mod common;

use common::schemas::{assert_invalid, assert_valid, fixture, validator};
use serde_json::json;

#[test]
fn errors_in_each_style_validate_and_wrong_ones_are_refused() {
    let envelope = validator("envelope", "error");
    let mut e = fixture("envelope-error-validation.json");
    for code in [
        "METHOD_NOT_ALLOWED",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "BAD_GATEWAY",
        "GATEWAY_TIMEOUT",
    ] {
        e["error"]["code"] = json!(code);
        assert_valid(&envelope, &e, code);
    }
    e["error"]["code"] = json!("TEAPOT");
    assert_invalid(&envelope, &e, "an unknown envelope code");
    let mut e = fixture("envelope-error-not-found.json");
    e["success"] = json!(true);
    assert_invalid(&envelope, &e, "an envelope error with success: true");
    let mut e = fixture("envelope-error-not-found.json");
    e["meta"].as_object_mut().unwrap().remove("request_id");
    assert_invalid(&envelope, &e, "an envelope error without meta.request_id");

    let camel = validator("camel", "error");
    assert_valid(
        &camel,
        &json!({"type": "about:blank", "title": "Not Found", "status": 404,
        "detail": "User not found", "instance": "/api/users/3c90c3cc-0d44-4b50-8888-8dd25736052a"}),
        "a camel 404",
    );
    assert_valid(
        &camel,
        &json!({"type": "about:blank", "title": "Unprocessable Content", "status": 422,
        "detail": "Validation failed", "errors": [{"pointer": "/roles/0", "detail": "Invalid UUID"}]}),
        "a camel 422",
    );
    assert_invalid(
        &camel,
        &json!({"type": "about:blank", "title": "x", "status": 99}),
        "a camel status of 99",
    );
    assert_invalid(
        &camel,
        &json!({"title": "x", "status": 400}),
        "a problem without type",
    );
    assert_invalid(
        &camel,
        &json!({"type": "about:blank", "title": "x", "status": 422, "errors": [{"pointer": "/a"}]}),
        "a problem error item without detail",
    );

    let snake = validator("snake", "error");
    assert_valid(&snake, &json!({"detail": "User not found"}), "a snake 404");
    assert_valid(
        &snake,
        &json!({"detail": [{"loc": ["body", "email"], "msg": "Invalid email address", "type": "value_error"},
        {"loc": ["body", "roles", 0], "msg": "Invalid UUID", "type": "uuid_parsing"}]}),
        "a snake 422",
    );
    assert_invalid(
        &snake,
        &json!({"message": "nope"}),
        "a snake error without detail",
    );
    assert_invalid(
        &snake,
        &json!({"detail": [{"loc": ["body"], "msg": "x"}]}),
        "a snake error item without type",
    );
    assert_invalid(&snake, &json!({"detail": 42}), "a numeric detail");
}
