//! Cremation certificate and grave numbers, searched as written. A family that comes
//! with a certificate (2013-17087) or a grave (D区21排34号) asks for the record by its
//! number; the number is matched whole, in one canonical form, never cut into words.

use std::borrow::Cow;

use ledgerline_schemas::written::fold_width;

/// The one form a number is indexed and asked for in: full-width characters folded,
/// spaces dropped, letters upper-case, and a grave number's closing 号 left off (people
/// leave it off when they type it). A number stored in that form already, as OCR and the
/// review app store them, is borrowed: indexing a million records copies none of them.
pub fn number_key(written: &str) -> Option<Cow<'_, str>> {
    let written = written.trim_end();
    let written = written.strip_suffix('号').unwrap_or(written);
    let canonical = |c: char| {
        if c.is_ascii() {
            !c.is_ascii_whitespace() && !c.is_ascii_lowercase()
        } else {
            // CJK, not a full-width form or an ideographic full stop or space.
            c >= '\u{3400}' && !('\u{FF00}'..='\u{FFEF}').contains(&c)
        }
    };
    let key = if written.chars().all(canonical) {
        Cow::Borrowed(written)
    } else {
        Cow::Owned(
            fold_width(written)
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        )
    };
    (!key.is_empty()).then_some(key)
}

/// What the index holds of a number: its key's 64-bit FNV-1a hash. FNV, not the
/// standard library's hasher, whose output may change between Rust releases: an index
/// outlives the build that made it. Two numbers whose hashes collide are told apart
/// where a hit says why it matched ([`same_number`]).
pub fn number_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Whether `written` and `asked` are the same number (see [`number_key`]).
pub fn same_number(written: &str, asked: &str) -> bool {
    number_key(written).is_some_and(|w| number_key(asked) == Some(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_as_people_type_them() {
        assert!(same_number("2013-17087", "2013－17087"));
        assert!(same_number("2013-17087", "２０１３-１７０８７"));
        assert!(same_number("D区21排34号", "d区21排34号"));
        assert!(same_number("D区21排34号", "D区 21排 34"));
        assert!(same_number("D区21排34号", "D区21排34 号　"));
        assert!(!same_number("D区21排34号", "D区21排3"));
        assert!(!same_number("2013-17087", "2013-1708"));
        assert!(matches!(number_key("2013-17087"), Some(Cow::Borrowed("2013-17087"))));
        assert!(matches!(number_key("D区21排34号"), Some(Cow::Borrowed("D区21排34"))));
        assert_eq!(number_key("号"), None);
        assert_eq!(number_key(" "), None);
        // The published FNV-1a test vectors: the hash must never change.
        assert_eq!(number_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(number_hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(number_hash("foobar"), 0x8594_4171_f739_67e8);
    }
}
