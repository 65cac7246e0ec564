//! Kangxi radicals of the GB 2312 characters (Unihan kRSUnicode, `data/radicals.tsv`):
//! the part of a character OCR keeps when it misreads the rest. 婿 read as 媚, 娇, 媛 or
//! 妍 keeps its 女; 侄 read as 佐 keeps its 亻. A misreading one character off two
//! words of a list (女媚: 女儿 or 女婿) is the word whose character has the radical of
//! the one read.

use std::collections::HashMap;
use std::sync::OnceLock;

const RADICALS_TSV: &str = include_str!("../data/radicals.tsv");

/// The radical of `c`: its Kangxi number, with `'` for a simplified form (纟 is `120'`,
/// 糸 `120`), as they look apart. `None` for a character GB 2312 does not have.
pub fn radical(c: char) -> Option<&'static str> {
    table().get(&c).copied()
}

/// Whether `a` and `b` are written with the same radical.
pub fn same_radical(a: char, b: char) -> bool {
    matches!((radical(a), radical(b)), (Some(x), Some(y)) if x == y)
}

/// Whether `read` is `written` with every misread character keeping its radical: as
/// long, and each character the same or of the same radical (苦南县 for 莒南县).
pub fn misread_keeping_radicals(read: impl IntoIterator<Item = char>, written: impl IntoIterator<Item = char>) -> bool {
    let (mut read, mut written) = (read.into_iter(), written.into_iter());
    loop {
        match (read.next(), written.next()) {
            (None, None) => return true,
            (Some(r), Some(w)) if r == w || same_radical(r, w) => {}
            _ => return false,
        }
    }
}

fn table() -> &'static HashMap<char, &'static str> {
    static TABLE: OnceLock<HashMap<char, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        RADICALS_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .flat_map(|l| {
                let (radical, chars) = l.split_once('\t').expect("radicals.tsv: radical, tab, characters");
                chars.chars().map(move |c| (c, radical))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radicals_of_characters_ocr_confuses() {
        assert_eq!(radical('女'), Some("38"));
        for (written, read) in [('婿', '媚'), ('婿', '娇'), ('侄', '佐'), ('溢', '汶')] {
            assert!(same_radical(written, read), "{written} {read}");
        }
        assert!(!same_radical('儿', '媚'));
        // The simplified silk radical looks unlike the full one.
        assert_eq!((radical('红'), radical('素')), (Some("120'"), Some("120")));
        // Not in GB 2312, or no character at all: no radical, never the same.
        assert_eq!(radical('A'), None);
        assert!(!same_radical('A', 'A'));
    }

    #[test]
    fn a_misreading_keeps_its_radicals_or_not() {
        assert!(misread_keeping_radicals("苦南县".chars(), "莒南县".chars()));
        assert!(misread_keeping_radicals("莒南县".chars(), "莒南县".chars()));
        assert!(!misread_keeping_radicals("苦南县".chars(), "沂南县".chars()));
        // Not as long: no misreading character for character.
        assert!(!misread_keeping_radicals("苦南".chars(), "莒南县".chars()));
        assert!(!misread_keeping_radicals("莒南县县".chars(), "莒南县".chars()));
    }

    #[test]
    fn every_gb2312_character_has_one_radical() {
        let chars: usize = RADICALS_TSV
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split_once('\t').unwrap().1.chars().count())
            .sum();
        assert_eq!(chars, 6763);
        assert_eq!(table().len(), chars, "a character listed under two radicals");
    }
}
