//! Any text read from an ID cell: the canonical form is ASCII letters and digits and
//! stays the same when canonicalized again; a repair, when one is made, is a valid
//! number one OCR confusion (or, for 19 characters, one deletion) from what was read.
#![no_main]

use chrono::NaiveDate;
use ledgerline_ocr::normalize::{canonical_id, repair_id, RowFacts};
use ledgerline_schemas::id_number;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, u16, bool, u8)| {
    let (text, day, female, age) = input;
    let id = canonical_id(text);
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{text:?} → {id:?}");
    assert_eq!(canonical_id(&id), id, "{text:?}");
    let row = RowFacts {
        birth_date: NaiveDate::from_ymd_opt(1900, 1, 1)
            .and_then(|d| d.checked_add_days(chrono::Days::new(u64::from(day) * 2))),
        gender: Some(if female { "2" } else { "1" }),
        age: Some(u32::from(age % 120)),
        death_date: NaiveDate::from_ymd_opt(2013, 6, 1),
    };
    if let Some(fixed) = repair_id(&id, &row) {
        assert!(
            id_number::parse(&fixed).is_ok(),
            "{id:?} repaired to an invalid {fixed:?}"
        );
        let (a, b): (Vec<char>, Vec<char>) = (id.chars().collect(), fixed.chars().collect());
        assert_eq!(b.len(), 18, "{fixed:?}");
        if a.len() == 18 {
            let changed: Vec<usize> = (0..18).filter(|&i| a[i] != b[i]).collect();
            assert_eq!(changed.len(), 1, "{id:?} → {fixed:?}");
            assert!(
                id_number::confusable(b[changed[0]], a[changed[0]]),
                "{id:?} → {fixed:?}"
            );
        } else {
            assert!(
                (0..a.len()).any(|i| a[..i].iter().chain(&a[i + 1..]).eq(b.iter())),
                "{id:?} → {fixed:?}"
            );
        }
    }
});
