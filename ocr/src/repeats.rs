//! Words a column writes again and again: a burial ledger's cemetery names, 人民医院 or
//! 家中 as the place of death. A reading one character off a word its column writes more
//! often, and at least twice, is that word misread (`安乐峪` among three 安乐园, `火民医院`
//! among 人民医院): on generated batches, such readings were half of the wrong fields in
//! records the machine accepted, each read with a confidence Tesseract was sure of.
//! A word written as often as another it is near (two 福寿团 beside two 福寿园) says
//! nothing either way and is left as read.

use std::collections::HashMap;

use ledgerline_schemas::Field;

use crate::vocab;

/// Fields written from a short list of the ledger's own: no national list to snap to,
/// but their page repeats them.
pub const REPEATED: [Field; 2] = [Field::CemeteryName, Field::DeathPlace];

/// For each of a column's values (in row order, `None` where nothing was written), the
/// word it is a misreading of, or `None` when it stands as read.
pub fn snap_to_repeats(values: &[Option<String>]) -> Vec<Option<String>> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for v in values.iter().flatten() {
        *counts.entry(v.as_str()).or_insert(0) += 1;
    }
    values
        .iter()
        .map(|v| {
            let v = v.as_deref()?;
            let own = counts[v];
            let more_often: Vec<&str> = counts
                .iter()
                .filter(|&(w, &n)| n >= 2 && n > own && *w != v)
                .map(|(w, _)| *w)
                .collect();
            vocab::snap(v, &more_often).map(str::to_string)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: &[&str]) -> Vec<Option<String>> {
        values.iter().map(|v| (!v.is_empty()).then(|| v.to_string())).collect()
    }

    #[test]
    fn a_one_off_reading_near_a_repeated_word_is_that_word() {
        let c = column(&["安乐园", "安乐峪", "", "安乐园", "卧龙公墓", "外龙公墓", "卧龙公墓"]);
        let got = snap_to_repeats(&c);
        assert_eq!(got[1].as_deref(), Some("安乐园"));
        assert_eq!(got[5].as_deref(), Some("卧龙公墓"));
        assert_eq!(got.iter().flatten().count(), 2, "the repeated words stand: {got:?}");
    }

    #[test]
    fn words_written_as_often_or_once_decide_nothing() {
        // Two against two, and a word the column writes only once.
        let c = column(&["福寿园", "福寿团", "福寿园", "福寿团", "安乐园", "安乐峪"]);
        assert!(snap_to_repeats(&c).iter().all(Option::is_none));
        // Near two repeated words at once.
        let c = column(&["新华医院", "新华医院", "新民医院", "新民医院", "新丨医院"]);
        assert_eq!(snap_to_repeats(&c)[4], None);
        // Near one of them only.
        let c = column(&["人民医院", "人民医院", "中心医院", "中心医院", "丨民医院"]);
        assert_eq!(snap_to_repeats(&c)[4].as_deref(), Some("人民医院"));
    }
}
