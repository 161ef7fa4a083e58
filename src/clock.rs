//! The one clock format of the gateway, its reference backends and the CLI: RFC 3339 UTC
//! to the second (`2024-01-15T10:30:00Z`, as the seed documents write timestamps).

use chrono::{DateTime, Utc};

/// `at` as RFC 3339 UTC seconds.
pub fn format(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Now, as RFC 3339 UTC seconds. Formatted once per second per worker thread, not per
/// response.
pub fn now() -> String {
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let now = chrono::Utc::now();
    let secs = now.timestamp();
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != secs {
            *last = (secs, format(now));
        }
        last.1.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc_seconds() {
        let at = DateTime::parse_from_rfc3339("2024-01-15T10:30:00.123+02:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format(at), "2024-01-15T08:30:00Z");
        assert_eq!(now().len(), "2024-01-15T08:30:00Z".len());
    }
}
