//! Any bytes as a page file (a batch holds whatever an archive's scanners and
//! conversions wrote, damaged as it may be): the file holds pages, or is refused with a
//! reason; every page it is said to hold decodes to a page-sized image or is refused with
//! a reason; one past its pages is refused. Never a panic (a panic is caught by the
//! readers' guard, but the fuzzer's hook sees it first and reports it), a hang, or an
//! allocation past the page limits.
#![no_main]

use ledgerline_scans::decode::{self, decode_frame, frame_count};
use libfuzzer_sys::fuzz_target;

/// Pages decoded per input: a volume's later pages take the same paths as its first.
const PAGES_TRIED: u32 = 3;

fuzz_target!(|bytes: &[u8]| {
    let count = match frame_count(bytes) {
        Ok(count) => count,
        Err(reason) => return assert!(!reason.trim().is_empty()),
    };
    // A file that is no page and no refusal would vanish from the batch without a word.
    assert!(count.frames >= 1 || count.broken.is_some(), "{count:?}");
    for index in 0..count.frames.min(PAGES_TRIED) {
        match decode_frame(bytes, index) {
            Ok(page) => {
                let (w, h) = (page.width(), page.height());
                assert!(w <= decode::MAX_SIDE && h <= decode::MAX_SIDE, "{w}×{h}");
                assert!(w >= decode::MIN_SIDE && h >= decode::MIN_SIDE, "{w}×{h}");
                assert!(u64::from(w) * u64::from(h) <= decode::MAX_PIXELS, "{w}×{h}");
            }
            Err(reason) => assert!(!reason.trim().is_empty()),
        }
    }
    if count.frames < 1000 {
        assert!(decode_frame(bytes, count.frames).is_err(), "a page past the {count:?}");
    }
});
