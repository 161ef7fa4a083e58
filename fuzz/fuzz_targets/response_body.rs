//! The response path as the gateway runs it: upstream bytes → JSON → upstream response
//! schema → canonical user → client view (validated) → whole response bytes. The first byte
//! picks the (upstream, client) pair. Nothing may panic; a user that reads must render, and
//! what is written must be JSON valid against the client's response schema.
#![no_main]

use dragoman::translate::Method;
use libfuzzer_sys::fuzz_target;

#[path = "shared/mod.rs"]
mod shared;

use shared::{pair, rules};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (from, to) = pair(selector);
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(body) else {
        return;
    };
    let Ok(user) = rules().read_owned_response(from, doc) else {
        return;
    };
    let view = match rules().view(to, &user) {
        Ok(view) => view,
        // Only an id the client style cannot express may stop a user that read (an
        // envelope id that is no UUID, offline); the gateway refuses those answers earlier.
        Err(e) => {
            assert!(e.to_string().contains("id: "), "a user that read did not render: {e}");
            return;
        }
    };
    let method = if selector & 0x80 != 0 { Method::Put } else { Method::Get };
    let bytes = rules().write_response(to, &view, method, "req_fuzz", "2024-01-15T10:30:00Z");
    let whole: serde_json::Value = serde_json::from_slice(&bytes).expect("the response is JSON");
    assert!(
        rules().style(to).schemas.response.is_valid(&whole),
        "an invalid response: {whole}"
    );
});
