//! The PUT body path as the gateway runs it: bytes → JSON → client request schema →
//! canonical → carry check → upstream request schema → upstream bytes. The first byte picks
//! the (client, upstream) pair. Nothing may panic; what is carried must be valid for the
//! upstream and serialise. Differential: where the compiled request plans take the bytes,
//! they give the value path's answer (the same body bytes and notes, or the same errors).
#![no_main]

use dragoman::translate::{TranslateError, WritePolicy};
use libfuzzer_sys::fuzz_target;

#[path = "shared/mod.rs"]
mod shared;

use shared::{pair, rules};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let (from, to) = pair(selector);
    let policy = WritePolicy {
        drop_all: selector & 0x80 != 0,
        ..Default::default()
    };
    let planned = rules().translate_request_planned(from, to, body, &policy);
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(body) else {
        assert!(planned.is_none(), "the plan took bytes that are not JSON");
        return;
    };
    let valued = rules().translate_owned_request(from, to, doc, &policy);
    match (&planned, &valued) {
        (None, _) => {}
        (Some(Ok(p)), Ok(v)) => {
            assert_eq!(p.body, serde_json::to_vec(&v.body).expect("serialises"));
            assert_eq!((&p.lossy, &p.dropped), (&v.lossy, &v.dropped));
        }
        (Some(Err(TranslateError::Invalid(p))), Err(TranslateError::Invalid(v))) => {
            assert_eq!(p, v, "the plan refused with other field errors")
        }
        (Some(p), v) => panic!("the plan answered {p:?}, the value path {v:?}"),
    }
    match valued {
        Ok(carried) => {
            assert!(
                rules().style(to).schemas.request.is_valid(&carried.body),
                "carried an invalid request: {}",
                carried.body
            );
            serde_json::to_vec(&carried.body).expect("serialises");
        }
        Err(TranslateError::Invalid(errors)) => assert!(!errors.is_empty()),
        Err(TranslateError::MalformedId) => {}
        Err(other) => panic!("a request neither carried nor refused by field: {other:?}"),
    }
});
