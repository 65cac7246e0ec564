//! Any header row, as OCR may read it: one role per column, a score between 0 and 1,
//! and no field claimed by two columns.
#![no_main]

use ledgerline_ocr::headers::{map_header, map_headers, ColumnRole};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|texts: Vec<String>| {
    for t in &texts {
        let (_, score) = map_header(t);
        assert!((0.0..=1.0).contains(&score), "{t:?}: score {score}");
    }
    let roles = map_headers(&texts);
    assert_eq!(roles.len(), texts.len());
    for (i, r) in roles.iter().enumerate() {
        if matches!(r, ColumnRole::Field(_)) {
            assert!(!roles[i + 1..].contains(r), "{texts:?}: {r:?} twice");
        }
    }
});
