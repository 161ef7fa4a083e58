//! The response path as the gateway runs it: upstream bytes → JSON → upstream response
//! schema → canonical user → client view (validated) → whole response bytes. The first byte
//! picks the (upstream, client) pair. Nothing may panic; a user that reads must render, and
//! what is written must be JSON valid against the client's response schema. Differential: the
//! compiled plans (src/translate/plan/) take exactly the bytes the value path reads, into the
//! same user, and write the same view byte for byte where they write one.
#![no_main]

use dragoman::translate::Method;
use libfuzzer_sys::fuzz_target;

#[path = "shared/mod.rs"]
mod shared;

use shared::{pair, rules};

fn doc_of(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (from, to) = pair(selector);
    let planned = rules().read_response_planned(from, body);
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(body) else {
        assert!(planned.is_none(), "the plan read bytes that are not JSON");
        return;
    };
    let read = rules().read_owned_response(from, doc);
    match (&planned, &read) {
        (Some(p), Ok(v)) => assert_eq!(p, v, "the plan read another user"),
        (None, Err(_)) => {}
        (Some(_), Err(e)) => panic!("the plan took a response the value path refuses: {e}"),
        // Only the byte form may make a plan fall back on a readable document (a repeated
        // object on the way to the resource, or an unknown key repeated): the same document
        // written once more must be taken.
        (None, Ok(v)) => assert_eq!(
            rules()
                .read_response_planned(
                    from,
                    &serde_json::to_vec(&doc_of(body)).expect("serialises")
                )
                .as_ref(),
            Some(v),
            "the plan fell back on a response the value path reads"
        ),
    }
    let Ok(user) = read else {
        return;
    };
    for origin in [Some(from), None] {
        if let Some(p) = rules().view_planned(origin, to, &user) {
            let v = rules()
                .view(to, &user)
                .expect("the value path renders what the plan does");
            assert_eq!(p, v, "the view plan wrote another view");
        }
    }
    let view = match rules().view(to, &user) {
        Ok(view) => view,
        // Only an id the client style cannot express may stop a user that read (an
        // envelope id that is no UUID, offline); the gateway refuses those answers earlier.
        Err(e) => {
            assert!(
                e.to_string().contains("id: "),
                "a user that read did not render: {e}"
            );
            return;
        }
    };
    let method = if selector & 0x80 != 0 {
        Method::Put
    } else {
        Method::Get
    };
    let bytes = rules().write_response(to, &view, method, "req_fuzz", "2024-01-15T10:30:00Z");
    let whole: serde_json::Value = serde_json::from_slice(&bytes).expect("the response is JSON");
    assert!(
        rules().style(to).schemas.response.is_valid(&whole),
        "an invalid response: {whole}"
    );
});
