//! Any text read from a date cell, in any ledger's year: what comes out is a real
//! calendar date in `YYYY-MM-DD` form, or nothing.
#![no_main]

use ledgerline_ocr::normalize::parse_date;
use ledgerline_schemas::date::{format_iso, parse_iso};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, u8)| {
    let (text, year) = input;
    let ledger_year = 1950 + i32::from(year % 100);
    if let Some(d) = parse_date(text, ledger_year) {
        let parsed = parse_iso(&d).unwrap_or_else(|| panic!("{text:?} gave {d:?}, not a date"));
        assert_eq!(format_iso(parsed), d, "{text:?}");
    }
});
