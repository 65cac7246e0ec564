//! An ID number its row could not repair, repaired from the batch's other pages.
//!
//! The same death is written in more than one ledger of a batch (the cremation register
//! and the ashes or burial register, two volumes). When one reading of a person's ID
//! number fails its checksum and several numbers one OCR confusion from it pass and agree
//! with the row (seed 58: `34131119720505534X`, its 7 read as 4, had three such
//! repairs, and the row no household address to choose by), the page that wrote the
//! same name with a number that passes chooses: the only repair the batch reads
//! elsewhere for that name is taken. It goes to review all the same (the two rows are
//! the same person only by their name), with the number filled in and the page and row
//! it came from in the finding, for a person to confirm instead of keying 18 characters.

use std::collections::HashMap;

use ledgerline_schemas::{id_number, Field, Finding, FindingCode, Record, ReviewStatus, Severity};

use crate::extract::UNUSUAL;
use crate::normalize::{self, RowFacts};

/// Where a passing ID number was read for a name.
struct ReadAt {
    id: String,
    page: String,
    row: u32,
}

/// Repairs, batch by batch, the ID numbers of records in review that fail their checksum
/// when exactly one of their passing repairs is a number the batch reads elsewhere for
/// the same name. Records a person settled are left alone. Returns the indices of the
/// records changed.
pub fn settle_ids_across_pages(records: &mut [&mut Record]) -> Vec<usize> {
    let mut changed = Vec::new();
    for members in crate::repeats::by_batch(records).values() {
        let passing = passing_numbers_by_name(records, members);
        for &i in members {
            let record = &mut *records[i];
            if let Some(from) = only_repair_read_elsewhere(record, &passing) {
                take_from(record, from);
                changed.push(i);
            }
        }
    }
    changed
}

/// Each name's ID numbers that pass, as the batch's records read them (not those a
/// person rejected).
fn passing_numbers_by_name(records: &[&mut Record], members: &[usize]) -> HashMap<String, Vec<ReadAt>> {
    let mut by_name: HashMap<String, Vec<ReadAt>> = HashMap::new();
    for &i in members {
        let r = &*records[i];
        if r.review.status == ReviewStatus::Rejected {
            continue;
        }
        let (Some(name), Some(id)) = (r.fields.deceased_name.as_deref(), r.fields.id_number.as_deref()) else {
            continue;
        };
        if id_number::parse(id).is_ok() {
            by_name.entry(name.to_string()).or_default().push(ReadAt {
                id: id.to_string(),
                page: r.source.page.clone(),
                row: r.source.row,
            });
        }
    }
    by_name
}

/// The one reading elsewhere, for the record's name, of a repair of its failing number.
fn only_repair_read_elsewhere<'a>(record: &Record, passing: &'a HashMap<String, Vec<ReadAt>>) -> Option<&'a ReadAt> {
    if record.review.status != ReviewStatus::NeedsReview {
        return None;
    }
    let id = record.fields.id_number.as_deref()?;
    let read_elsewhere = passing.get(record.fields.deceased_name.as_deref()?)?;
    if !normalize::needs_repair(id) {
        return None;
    }
    let repairs = normalize::passing_repairs(id, &RowFacts::of(&record.fields));
    let mut found = read_elsewhere.iter().filter(|at| repairs.contains(&at.id));
    let first = found.next()?;
    // The same number on several pages is one answer; two numbers are none.
    found.all(|at| at.id == first.id).then_some(first)
}

/// Sets the record's ID number to the one read at `from`: the checksum's error findings
/// give way to the repair's, and the field stays below the review threshold.
fn take_from(record: &mut Record, from: &ReadAt) {
    let read = record.fields.id_number.take();
    let field = Field::IdNumber.name();
    record
        .review
        .findings
        .retain(|f| !(f.field == field && f.severity == Severity::Error));
    record.review.findings.push(Finding::repaired(
        Field::IdNumber,
        Severity::Info,
        FindingCode::IdFromBatch,
        read.as_deref(),
        &from.id,
        &format!(
            "of the one-character OCR confusions that pass the checksum and agree with the row, the only one the batch reads for the same name elsewhere ({} row {}); for review",
            from.page, from.row
        ),
    ));
    record.fields.id_number = Some(from.id.clone());
    record.confidence.insert(field.to_string(), UNUSUAL);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(page: &str, name: &str, id: &str, status: ReviewStatus) -> Record {
        let mut r = crate::blank_record("B1", page, 13);
        r.fields.deceased_name = Some(name.into());
        r.fields.id_number = Some(id.into());
        r.fields.age = Some(41);
        r.fields.death_date = Some("2013-12-22".into());
        r.confidence.insert("id_number".into(), 0.0);
        r.review.findings = ledgerline_schemas::validate_fields(&r.fields);
        r.review.status = status;
        r
    }

    const TRUE: &str = "37131119720505534X";
    // Its 7 read as 4: three repairs pass and agree with the row (no sex written), one
    // of them the true number.
    const MISREAD: &str = "34131119720505534X";

    fn settle(records: &mut [Record]) -> Vec<usize> {
        let mut refs: Vec<&mut Record> = records.iter_mut().collect();
        settle_ids_across_pages(&mut refs)
    }

    #[test]
    fn the_number_another_page_reads_for_the_name_is_the_repair_taken() {
        use ReviewStatus::*;
        let mut records = [
            record("page-0001.png", "李敏芬", TRUE, Machine),
            record("page-0005.png", "李敏芬", MISREAD, NeedsReview),
        ];
        assert!(normalize::repair_id(MISREAD, &RowFacts::of(&records[1].fields)).is_none());
        assert!(records[1].review.findings.iter().any(|f| f.is(FindingCode::IdChecksum)));

        assert_eq!(settle(&mut records), vec![1]);
        let repaired = &records[1];
        assert_eq!(repaired.fields.id_number.as_deref(), Some(TRUE));
        assert_eq!(repaired.review.status, NeedsReview, "the same name is no proof");
        assert!(repaired.confidence["id_number"] < crate::REVIEW_THRESHOLD);
        let findings = &repaired.review.findings;
        assert!(!findings.iter().any(|f| f.severity == Severity::Error), "{findings:?}");
        let finding = findings.last().expect("a finding says where the number came from");
        assert!(finding.is(FindingCode::IdFromBatch));
        assert_eq!(finding.read.as_deref(), Some(MISREAD));
        assert!(finding.message.contains("page-0001.png row 13"), "{}", finding.message);

        assert!(settle(&mut records).is_empty(), "a second run changes nothing");
    }

    #[test]
    fn no_repair_without_one_answer_the_same_name_in_the_same_batch_or_a_row_to_change() {
        use ReviewStatus::*;
        let unchanged = |mut records: Vec<Record>| {
            assert!(settle(&mut records).is_empty(), "{records:?}");
        };
        // Another name.
        unchanged(vec![
            record("p1", "李敏", TRUE, Machine),
            record("p5", "李敏芬", MISREAD, NeedsReview),
        ]);
        // Another batch.
        let mut elsewhere = record("p1", "李敏芬", TRUE, Machine);
        elsewhere.source.batch = "B2".into();
        unchanged(vec![elsewhere, record("p5", "李敏芬", MISREAD, NeedsReview)]);
        // Rejected by a person, or settled by one.
        unchanged(vec![
            record("p1", "李敏芬", TRUE, Rejected),
            record("p5", "李敏芬", MISREAD, NeedsReview),
        ]);
        unchanged(vec![
            record("p1", "李敏芬", TRUE, Machine),
            record("p5", "李敏芬", MISREAD, Verified),
        ]);
        // Two pages with two of the repairs: no one answer.
        unchanged(vec![
            record("p1", "李敏芬", TRUE, Machine),
            record("p2", "李敏芬", "34731119720505534X", Machine),
            record("p5", "李敏芬", MISREAD, NeedsReview),
        ]);
        // A number further than one confusion from any that passes.
        unchanged(vec![
            record("p1", "李敏芬", TRUE, Machine),
            record("p5", "李敏芬", "84131119720505534X", NeedsReview),
        ]);
    }
}
