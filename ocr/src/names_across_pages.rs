//! A name the machine was unsure of, confirmed by another page of the batch.
//!
//! The same death is written in more than one ledger of a batch, and two rows with the
//! same ID number (its checksum passing on both) are the same person. A name read
//! unsure on one of them (an unusual character, the two models apart) and read the
//! same from the other page's writing is read right: two scans, two clerks' hands, two
//! readings that agree, as sure as the two models agreeing on one cell. On eight
//! generated batches (1932 rows), 21 of the names in review had such a twin; 20 were
//! right, and the other was the look-alike 风 a page wrote that both rows had restored
//! to 凤 (see `vocab::name_with_lookalikes_restored`). A name read differently on the
//! other page is left as read: ledgers do write one person's name differently (张春翠
//! and 张椿翠), and which page is right is for a person to see.

use std::collections::HashMap;

use ledgerline_schemas::{id_number, Field, Finding, FindingCode, Record, ReviewStatus, Severity};

use crate::extract::{status_of, REVIEW_THRESHOLD};
use crate::AGREED;

/// The names a second reading confirms.
const NAMES: [Field; 2] = [Field::DeceasedName, Field::FamilyName];

/// What [`confirm_names_across_pages`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Confirmed {
    /// The indices of the records changed.
    pub records: Vec<usize>,
    /// How many names were confirmed (a record's deceased and family both, maybe).
    pub names: usize,
}

/// Confirms, batch by batch, the names of records in review that another record with
/// the same ID number reads the same, and settles those records' status again. Records
/// a person settled are left alone.
pub fn confirm_names_across_pages(records: &mut [&mut Record]) -> Confirmed {
    let mut changed = Confirmed::default();
    for members in crate::repeats::by_batch(records).values() {
        // Confirming changes no name: every record is looked at first, then changed.
        let by_id = rows_by_id_number(records, members);
        let plans: Vec<(usize, Vec<(Field, String)>)> = members
            .iter()
            .map(|&i| {
                let confirmations = NAMES
                    .into_iter()
                    .filter_map(|field| Some((field, confirmed_by(records, i, field, &by_id)?)))
                    .collect();
                (i, confirmations)
            })
            .filter(|(_, confirmations): &(usize, Vec<_>)| !confirmations.is_empty())
            .collect();
        for (i, confirmations) in plans {
            let record = &mut *records[i];
            changed.names += confirmations.len();
            for (field, where_read) in confirmations {
                confirm(record, field, &where_read);
            }
            record.review.status = status_of(&record.fields, &record.confidence, &record.review.findings);
            changed.records.push(i);
        }
    }
    changed
}

/// The batch's records, by their ID number where its checksum passes (not those a
/// person rejected).
fn rows_by_id_number<'a>(records: &'a [&mut Record], members: &[usize]) -> HashMap<&'a str, Vec<usize>> {
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for &i in members {
        let r = &*records[i];
        match r.fields.id_number.as_deref() {
            Some(id) if r.review.status != ReviewStatus::Rejected && id_number::parse(id).is_ok() => {
                by_id.entry(id).or_default().push(i)
            }
            _ => {}
        }
    }
    by_id
}

/// Where another row with record `i`'s ID number reads its unsure `field` the same
/// (`page-0001.png row 18`), if one does.
fn confirmed_by(records: &[&mut Record], i: usize, field: Field, by_id: &HashMap<&str, Vec<usize>>) -> Option<String> {
    let record = &*records[i];
    if record.review.status != ReviewStatus::NeedsReview {
        return None;
    }
    let name = record.fields.get(field)?;
    let unsure = record
        .confidence
        .get(field.name())
        .is_some_and(|&c| c < REVIEW_THRESHOLD);
    let found_wanting = record
        .review
        .findings
        .iter()
        .any(|f| f.field == field.name() && f.severity == Severity::Error);
    if !unsure || found_wanting {
        return None;
    }
    let twin = by_id
        .get(record.fields.id_number.as_deref()?)?
        .iter()
        .filter(|&&j| j != i)
        .map(|&j| &*records[j])
        .find(|other| other.fields.get(field).as_deref() == Some(name.as_str()))?;
    Some(format!("{} row {}", twin.source.page, twin.source.row))
}

fn confirm(record: &mut Record, field: Field, where_read: &str) {
    let name = record.fields.get(field).unwrap_or_default();
    record.review.findings.push(Finding::new(
        field,
        Severity::Info,
        FindingCode::NameConfirmed,
        format!("{name} is read the same on {where_read}, the row with the same ID number"),
    ));
    record.confidence.insert(field.name().to_string(), AGREED);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReviewStatus::*;

    const ID: &str = "37131119720505534X";

    fn record(page: &str, id: &str, name: &str, confidence: f32, status: ReviewStatus) -> Record {
        let mut r = crate::blank_record("B1", page, 7);
        r.fields.deceased_name = Some(name.into());
        r.fields.id_number = Some(id.into());
        r.confidence.insert("deceased_name".into(), confidence);
        r.confidence.insert("id_number".into(), 0.97);
        r.review.status = status;
        r
    }

    fn confirm_all(records: &mut [Record]) -> Vec<usize> {
        let mut refs: Vec<&mut Record> = records.iter_mut().collect();
        let confirmed = confirm_names_across_pages(&mut refs);
        assert_eq!(confirmed.names, confirmed.records.len(), "one name a record here");
        confirmed.records
    }

    #[test]
    fn a_name_read_the_same_in_the_row_with_the_same_id_number_is_sure() {
        let mut records = [
            record("page-0001.png", ID, "张椿翠", 0.6, NeedsReview),
            record("page-0005.png", ID, "张椿翠", 0.95, Machine),
        ];
        assert_eq!(confirm_all(&mut records), vec![0]);
        let confirmed = &records[0];
        assert_eq!(confirmed.review.status, Machine, "nothing else was unsure");
        assert_eq!(confirmed.confidence["deceased_name"], AGREED);
        assert_eq!(confirmed.fields.deceased_name.as_deref(), Some("张椿翠"));
        let finding = confirmed.review.findings.last().expect("a finding says where");
        assert!(finding.is(FindingCode::NameConfirmed) && finding.severity == Severity::Info);
        assert!(finding.message.contains("page-0005.png row 7"), "{}", finding.message);
        assert!(confirm_all(&mut records).is_empty(), "a second run changes nothing");

        // Another field still unsure keeps the record in review, its name confirmed.
        let mut records = [
            record("page-0001.png", ID, "张椿翠", 0.6, NeedsReview),
            record("page-0005.png", ID, "张椿翠", 0.6, NeedsReview),
        ];
        records[0].confidence.insert("death_date".into(), 0.5);
        assert_eq!(confirm_all(&mut records), vec![0, 1], "two unsure readings that agree");
        assert_eq!(
            (records[0].review.status, records[1].review.status),
            (NeedsReview, Machine)
        );
        assert_eq!(records[0].confidence["deceased_name"], AGREED);
    }

    #[test]
    fn no_confirmation_without_the_same_name_and_number_on_another_row() {
        let unchanged = |mut records: Vec<Record>| {
            let before = format!("{records:?}");
            assert!(confirm_all(&mut records).is_empty());
            assert_eq!(format!("{records:?}"), before);
        };
        // Written differently on the other page: left for a person.
        unchanged(vec![
            record("p1", ID, "张椿翠", 0.6, NeedsReview),
            record("p5", ID, "张春翠", 0.95, Machine),
        ]);
        // Another number, a number failing its checksum, another batch.
        unchanged(vec![
            record("p1", ID, "张椿翠", 0.6, NeedsReview),
            record("p5", "370102195001010011", "张椿翠", 0.95, Machine),
        ]);
        let failing = "34131119720505534X";
        unchanged(vec![
            record("p1", failing, "张椿翠", 0.6, NeedsReview),
            record("p5", failing, "张椿翠", 0.95, Machine),
        ]);
        let mut elsewhere = record("p5", ID, "张椿翠", 0.95, Machine);
        elsewhere.source.batch = "B2".into();
        unchanged(vec![record("p1", ID, "张椿翠", 0.6, NeedsReview), elsewhere]);
        // A row a person rejected confirms nothing; a row a person settled is theirs.
        unchanged(vec![
            record("p1", ID, "张椿翠", 0.6, NeedsReview),
            record("p5", ID, "张椿翠", 0.95, Rejected),
        ]);
        unchanged(vec![
            record("p1", ID, "张椿翠", 0.6, Verified),
            record("p5", ID, "张椿翠", 0.95, Machine),
        ]);
        // A name that fails validation stays in review.
        let mut found = record("p1", ID, "张椿翠", 0.6, NeedsReview);
        found.review.findings.push(Finding::new(
            Field::DeceasedName,
            Severity::Error,
            FindingCode::Unreadable,
            "unreadable".into(),
        ));
        unchanged(vec![found, record("p5", ID, "张椿翠", 0.95, Machine)]);
    }
}
