//! Two sure readings of one death that disagree, on two pages of a batch.
//!
//! The rows with the same ID number (its checksum passing on both) are one death, and
//! some of what they hold is one fact of it: who died, and when. Read sure on two pages
//! and different, one of the two readings is wrong, and nothing on either row says
//! which: both go to review, each naming the other's reading. Seen on generated batches:
//! both models read 计素素 where the page wrote 叶素素 (the other page read it right),
//! and a date of death read 2012-11-21 on one register and 2012-11-27 on the other.
//!
//! A name written by ear is how ledgers write one person, not a misreading: 张春翠 and
//! 张椿翠, 李福祥 and 李富祥, where every character that differs sounds the same. Those
//! stay as read, as the sources' own values do (see `shared/domain-notes.md`: keep each
//! source's value).

use ledgerline_schemas::{Field, Finding, FindingCode, Record, Severity};
use pinyin::ToPinyinMulti;

use crate::confirmed_across_pages::{across_pages, from_the_id_number, id_from_another_page, ByIdNumber, Changed};
use crate::extract::REVIEW_THRESHOLD;
use crate::DISAGREED;

/// Fields that hold one fact of a death, the same on every page that writes it.
const ONE_DEATH_FIELDS: [Field; 2] = [Field::DeceasedName, Field::DeathDate];

/// Sends to review, batch by batch, the records whose name or date of death, read sure,
/// another record with the same ID number reads differently and sure. Records a person
/// settled are left alone.
pub fn contradict_across_pages(records: &mut [&mut Record]) -> Changed {
    // Every record is looked at before any is changed: a record sent to review is still
    // the other's contradiction.
    across_pages(records, &ONE_DEATH_FIELDS, contradicted_by, contradict)
}

/// What another row with record `i`'s ID number reads for `field`, sure, where record
/// `i` reads it sure and differently (`叶素素 on page-0005.png row 17`), if one does.
fn contradicted_by(records: &[&mut Record], i: usize, field: Field, by_id: &ByIdNumber) -> Option<String> {
    let record = &*records[i];
    if record.review.status.settled_by_a_person() || id_from_another_page(record) || contradicted(record, field) {
        return None;
    }
    let value = sure_value(record, field)?;
    let twin = by_id
        .get(record.fields.id_number.as_deref()?)?
        .iter()
        .filter(|&&j| j != i)
        .map(|&j| &*records[j])
        .find(|other| {
            sure_value(other, field).is_some_and(|theirs| {
                theirs != value && !(field == Field::DeceasedName && written_by_ear(&theirs, &value))
            })
        })?;
    Some(format!(
        "{} on {} row {}",
        twin.fields.get(field).unwrap_or_default(),
        twin.source.page,
        twin.source.row
    ))
}

/// The record's `field`, when it was read sure and not made from its ID number.
fn sure_value(record: &Record, field: Field) -> Option<String> {
    let sure = record
        .confidence
        .get(field.name())
        .is_some_and(|&c| c >= REVIEW_THRESHOLD);
    (sure && !from_the_id_number(record, field))
        .then(|| record.fields.get(field))
        .flatten()
}

/// Whether the record's `field` was read otherwise on another page: it neither
/// contradicts again (a second settling of the batch changes nothing) nor confirms.
pub(crate) fn contradicted(record: &Record, field: Field) -> bool {
    record
        .review
        .findings
        .iter()
        .any(|f| f.field == field.name() && f.is(FindingCode::ContradictedAcrossPages))
}

/// Whether two names are one name written by ear: as long, and every character that
/// differs has a reading in common (椿/春 chūn, 富/福 fú).
fn written_by_ear(a: &str, b: &str) -> bool {
    a.chars().count() == b.chars().count() && a.chars().zip(b.chars()).all(|(x, y)| x == y || sound_alike(x, y))
}

/// Whether two characters have a reading in common, tones aside.
fn sound_alike(a: char, b: char) -> bool {
    let readings = |c: char| -> Vec<&'static str> {
        c.to_pinyin_multi()
            .map(|multi| multi.into_iter().map(|p| p.plain()).collect())
            .unwrap_or_default()
    };
    let theirs = readings(b);
    readings(a).iter().any(|r| theirs.contains(r))
}

fn contradict(record: &mut Record, field: Field, other_reading: &str) {
    let value = record.fields.get(field).unwrap_or_default();
    record.review.findings.push(Finding::new(
        field,
        Severity::Warning,
        FindingCode::ContradictedAcrossPages,
        format!("read {value} here and {other_reading}, the row with the same ID number: one of the two is misread"),
    ));
    if let Some(c) = record.confidence.get_mut(field.name()) {
        *c = c.min(DISAGREED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confirmed_across_pages::confirm_across_pages;
    use crate::confirmed_across_pages::tests::{assert_unchanged, record, ID};
    use ledgerline_schemas::ReviewStatus;
    use ReviewStatus::*;

    fn contradict_all(records: &mut [Record]) -> Vec<usize> {
        let mut refs: Vec<&mut Record> = records.iter_mut().collect();
        let contradicted = contradict_across_pages(&mut refs);
        assert!(contradicted.fields >= contradicted.records.len());
        contradicted.records
    }

    fn finding(record: &Record) -> Option<&Finding> {
        let findings = &record.review.findings;
        findings.iter().find(|f| f.is(FindingCode::ContradictedAcrossPages))
    }

    #[test]
    fn two_sure_readings_of_one_name_that_differ_both_go_to_review() {
        let mut records = [
            record("page-0005.png", ID, "计素素", 0.9, Machine),
            record("page-0009.png", ID, "叶素素", 0.95, Machine),
        ];
        assert_eq!(contradict_all(&mut records), vec![0, 1]);
        for (r, other) in [
            (&records[0], "叶素素 on page-0009.png row 7"),
            (&records[1], "计素素 on page-0005.png row 7"),
        ] {
            assert_eq!(r.review.status, NeedsReview);
            assert_eq!(r.confidence["deceased_name"], DISAGREED);
            let finding = finding(r).expect("the finding names the other reading");
            assert_eq!(
                (finding.field.as_str(), finding.severity),
                ("deceased_name", Severity::Warning)
            );
            assert!(finding.message.contains(other), "{}", finding.message);
        }
        // Nothing is overwritten, and a second settling of the batch changes nothing.
        assert_eq!(records[0].fields.deceased_name.as_deref(), Some("计素素"));
        assert!(contradict_all(&mut records).is_empty());
    }

    #[test]
    fn a_date_of_death_read_otherwise_on_another_page_goes_to_review() {
        let mut records = [
            record("p1", ID, "叶素素", 0.95, Machine),
            record("p2", ID, "叶素素", 0.95, Machine),
        ];
        records[0].fields.death_date = Some("2012-11-21".into());
        records[1].fields.death_date = Some("2012-11-27".into());
        for r in &mut records {
            r.confidence.insert("death_date".into(), 0.9);
        }
        assert_eq!(contradict_all(&mut records), vec![0, 1]);
        assert!(records.iter().all(|r| r.review.status == NeedsReview));
        assert_eq!(finding(&records[0]).map(|f| f.field.as_str()), Some("death_date"));
        assert_eq!(records[0].confidence["deceased_name"], 0.95, "the name agreed");
    }

    #[test]
    fn no_contradiction_from_a_name_written_by_ear_an_unsure_reading_or_another_number() {
        let unchanged = |records| assert_unchanged(contradict_across_pages, records);
        // Ledgers write one person by ear: every character that differs sounds the same.
        unchanged(vec![
            record("p1", ID, "张春翠", 0.95, Machine),
            record("p5", ID, "张椿翠", 0.95, Machine),
        ]);
        unchanged(vec![
            record("p1", ID, "李福祥", 0.95, Machine),
            record("p5", ID, "李富祥", 0.95, Machine),
        ]);
        // One reading unsure: that is already in review, and the sure one stands.
        unchanged(vec![
            record("p1", ID, "计素素", 0.6, NeedsReview),
            record("p5", ID, "叶素素", 0.95, Machine),
        ]);
        // Another number, a number taken from another page, another batch.
        unchanged(vec![
            record("p1", ID, "计素素", 0.95, Machine),
            record("p5", "370102195001010011", "叶素素", 0.95, Machine),
        ]);
        let mut taken = record("p1", ID, "计素素", 0.95, NeedsReview);
        taken.review.findings.push(Finding::new(
            Field::IdNumber,
            Severity::Info,
            FindingCode::IdFromBatch,
            "taken".into(),
        ));
        unchanged(vec![taken, record("p5", ID, "叶素素", 0.95, Machine)]);
        let mut elsewhere = record("p5", ID, "叶素素", 0.95, Machine);
        elsewhere.source.batch = "B2".into();
        unchanged(vec![record("p1", ID, "计素素", 0.95, Machine), elsewhere]);
    }

    #[test]
    fn a_row_a_person_settled_stays_theirs_and_still_contradicts() {
        let mut records = [
            record("p1", ID, "叶素素", 0.95, Verified),
            record("p5", ID, "计素素", 0.9, Machine),
        ];
        assert_eq!(contradict_all(&mut records), vec![1]);
        assert_eq!(
            (records[0].review.status, records[1].review.status),
            (Verified, NeedsReview)
        );
        assert!(finding(&records[0]).is_none());
    }

    #[test]
    fn a_contradicted_reading_confirms_nothing_and_is_not_confirmed() {
        // As `ocr` settles a batch: confirmed first, then contradicted.
        let settle = |records: &mut [Record]| {
            let mut refs: Vec<&mut Record> = records.iter_mut().collect();
            let confirmed = confirm_across_pages(&mut refs).records;
            (confirmed, contradict_across_pages(&mut refs).records)
        };
        let mut records = [
            record("p1", ID, "叶素素", 0.95, Machine),
            record("p5", ID, "计素素", 0.9, Machine),
            record("p9", ID, "叶素素", 0.5, NeedsReview),
        ];
        // The unsure third row is confirmed by the first, and then read otherwise by
        // the second, as the first is.
        assert_eq!(settle(&mut records), (vec![2], vec![0, 1, 2]));
        assert!(records.iter().all(|r| r.review.status == NeedsReview));
        // Settled again, nothing changes: no contradicted reading confirms another.
        let before = format!("{records:?}");
        assert_eq!(settle(&mut records), (vec![], vec![]));
        assert_eq!(format!("{records:?}"), before);
        // A row read later (a resumed run) is not confirmed by a contradicted reading,
        // which is no longer sure enough to contradict it.
        let mut later = [
            records[0].clone(),
            records[1].clone(),
            record("p12", ID, "叶素素", 0.5, NeedsReview),
        ];
        assert_eq!(settle(&mut later), (vec![], vec![]));
        assert_eq!(later[2].review.status, NeedsReview);
    }
}
