//! The request-head reader of the slowloris deadline: the input is cut into pieces (each
//! piece's length from one byte) and fed as reads. It must say `Complete` exactly at the
//! first piece after which the bytes hold a blank line, `TooLarge` once past the bound
//! without one, keep every byte for pingora, and never panic.
#![no_main]

use dragoman::proxy::deadline::{head_complete, HeadCollector, HeadProgress};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&max, mut rest)) = data.split_first() else {
        return;
    };
    let max = max as usize * 4;
    let mut collector = HeadCollector::new(max);
    let mut seen: Vec<u8> = Vec::new();
    let mut expected = HeadProgress::Incomplete;
    while let Some((&len, tail)) = rest.split_first() {
        let n = (len as usize % 64).min(tail.len());
        let (piece, tail) = tail.split_at(n);
        rest = tail;
        seen.extend_from_slice(piece);
        if expected == HeadProgress::Incomplete {
            if head_complete(&seen) {
                expected = HeadProgress::Complete;
            } else if seen.len() > max {
                expected = HeadProgress::TooLarge;
            }
        }
        assert_eq!(collector.push(piece), expected, "after {} bytes", seen.len());
    }
    assert_eq!(collector.bytes(), &seen[..]);
});
