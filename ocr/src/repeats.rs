//! Words a column writes again and again: a burial ledger's cemetery names, 人民医院 or
//! 家中 as the place of death. A reading one character off a word its column writes more
//! often, and at least twice, is that word misread (`安乐峪` among three 安乐园, `火民医院`
//! among 人民医院): on generated batches, such readings were half of the wrong fields in
//! records the machine accepted, each read with a confidence Tesseract was sure of.
//! A word written as often as another it is near (two 福寿团 beside two 福寿园) says
//! nothing either way and is left as read.
//!
//! A cemetery written once on its page has no repeats there, but the batch's other
//! pages have them: once every page is read, [`settle_across_pages`] applies the same
//! rule to the whole batch (仙司山公墓 among eleven 仙台山公墓 on other pages, read so by
//! both models and accepted, on three of six generated batches).

use std::collections::{BTreeMap, HashMap};

use ledgerline_schemas::{Field, FindingCode, Record};

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

/// Applies [`snap_to_repeats`] to each batch's records at once: a value written once in
/// its batch and one character off a word the batch writes more often is that word, with
/// a finding saying so. Records a person has verified or rejected count as written and
/// are never changed. Returns the indexes of the records changed; running it again
/// changes nothing.
pub fn settle_across_pages(records: &mut [&mut Record]) -> Vec<usize> {
    let mut changed = Vec::new();
    for members in by_batch(records).values() {
        for field in REPEATED {
            let values: Vec<Option<String>> = members.iter().map(|&i| records[i].fields.get(field)).collect();
            for (&i, word) in members.iter().zip(snap_to_repeats(&values)) {
                let record = &mut *records[i];
                if let (Some(word), false) = (word, record.review.status.settled_by_a_person()) {
                    crate::extract::take_as(
                        &mut record.fields,
                        &mut record.review.findings,
                        field,
                        &word,
                        FindingCode::BatchWord,
                        "one character off the word the batch's other pages write more often",
                    );
                    changed.push(i);
                }
            }
        }
    }
    changed.sort_unstable();
    changed.dedup();
    changed
}

/// The records' indices, batch by batch: what is settled across pages is settled within
/// a batch.
pub(crate) fn by_batch(records: &[&mut Record]) -> BTreeMap<String, Vec<usize>> {
    let mut batches: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in records.iter().enumerate() {
        batches.entry(r.source.batch.clone()).or_default().push(i);
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerline_schemas::{ReviewStatus, Severity};

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

    fn record(batch: &str, page: &str, cemetery: &str, status: ReviewStatus) -> Record {
        let mut r = crate::blank_record(batch, page, 1);
        r.fields.set(Field::CemeteryName, Some(cemetery)).unwrap();
        r.review.status = status;
        r
    }

    #[test]
    fn a_word_written_once_in_its_batch_is_the_word_its_other_pages_write() {
        use ReviewStatus::*;
        let mut records = [
            record("B1", "p1", "仙台山公墓", Machine),
            record("B1", "p2", "仙台山公墓", Verified),
            record("B1", "p3", "仙司山公墓", Machine),
            record("B1", "p4", "福寿园", Machine),
            // Another batch: its own words, and a reviewer's word stands.
            record("B2", "p1", "仙司山公墓", Machine),
            record("B2", "p2", "福寿园", Machine),
            record("B2", "p3", "福寿园", Machine),
            record("B2", "p4", "福寿团", Verified),
        ];
        let mut refs: Vec<&mut Record> = records.iter_mut().collect();
        assert_eq!(settle_across_pages(&mut refs), vec![2]);
        assert_eq!(
            records[2].fields.get(Field::CemeteryName).as_deref(),
            Some("仙台山公墓")
        );
        assert_eq!(records[2].review.status, ReviewStatus::Machine);
        let finding = records[2].review.findings.last().expect("a finding says why");
        assert_eq!(
            (finding.code.as_str(), finding.severity),
            ("batch_word", Severity::Info)
        );
        assert!(finding.message.contains("仙司山公墓"), "{}", finding.message);
        assert_eq!(
            records[4].fields.get(Field::CemeteryName).as_deref(),
            Some("仙司山公墓")
        );
        assert_eq!(records[7].fields.get(Field::CemeteryName).as_deref(), Some("福寿团"));
        let mut refs: Vec<&mut Record> = records.iter_mut().collect();
        assert!(
            settle_across_pages(&mut refs).is_empty(),
            "a second run changes nothing"
        );
    }
}
