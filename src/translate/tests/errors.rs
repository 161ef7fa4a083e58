//! Errors rendered in each style's documented shape, and upstream errors read back.

use super::*;
use serde_json::json;

// ---- errors --------------------------------------------------------------------------------

fn info<'a>(
    status: u16,
    code: &'a str,
    title: &'a str,
    message: &'a str,
    errors: &'a [FieldError],
) -> ErrorInfo<'a> {
    ErrorInfo {
        status,
        code,
        title,
        message,
        errors,
        request_id: "req_1",
        timestamp: "2024-01-15T10:30:00Z",
        instance: "/x",
    }
}

#[test]
fn errors_render_in_each_styles_documented_shape() {
    let s = set();
    let none: [FieldError; 0] = [];
    let not_found = |style: &str| {
        s.style(id(style)).render_error(&info(
            404,
            "NOT_FOUND",
            "Not Found",
            "User not found",
            &none,
        ))
    };
    let env = not_found("envelope");
    assert_eq!(
        env,
        json!({"success": false, "error": {"code": "NOT_FOUND", "message": "User not found"},
                           "meta": {"timestamp": "2024-01-15T10:30:00Z", "request_id": "req_1"}})
    );
    let camel = not_found("camel");
    assert_eq!(
        camel,
        json!({"type": "about:blank", "title": "Not Found", "status": 404, "detail": "User not found", "instance": "/x"})
    );
    let snake = not_found("snake");
    assert_eq!(snake, json!({"detail": "User not found"}));

    let errs = [FieldError::new(
        "/phone",
        FieldErrorKind::ValueError,
        "Invalid phone number format",
    )];
    let invalid_phone = |style: &str| {
        s.style(id(style)).render_error(&info(
            422,
            "VALIDATION_ERROR",
            "Unprocessable Entity",
            "Invalid phone number format",
            &errs,
        ))
    };
    let snake = invalid_phone("snake");
    assert_eq!(
        snake,
        json!({"detail": [{"loc": ["body", "phone"], "msg": "Invalid phone number format", "type": "value_error"}]})
    );
    let camel = invalid_phone("camel");
    assert_eq!(
        camel["errors"],
        json!([{"pointer": "/phone", "detail": "Invalid phone number format"}])
    );
    for (_, style) in s.styles() {
        for e in [&none[..], &errs[..]] {
            let body = style.render_error(&info(
                422,
                "VALIDATION_ERROR",
                "Unprocessable Entity",
                "m",
                e,
            ));
            assert!(
                style.schemas.error.is_valid(&body),
                "{}: {body}",
                style.name
            );
        }
    }
}

#[test]
fn upstream_errors_read_back_and_their_fields_are_renamed_for_the_client() {
    let s = set();
    let snake_err = json!({"detail": [{"loc": ["body", "first_name"], "msg": "too long", "type": "value_error"}]});
    let parsed = s.style(id("snake")).parse_error(&snake_err);
    assert_eq!(
        parsed.items,
        vec![(Some("first_name".to_owned()), "too long".to_owned())]
    );
    let mapped = s.translate_field_errors(id("snake"), id("camel"), &parsed.items);
    assert_eq!(mapped[0].pointer, "/firstName");
    let env = s
        .style(id("envelope"))
        .parse_error(&fixture("envelope-error-not-found"));
    assert_eq!(env.code.as_deref(), Some("NOT_FOUND"));
    assert_eq!(env.message.as_deref(), Some("User not found"));
}
