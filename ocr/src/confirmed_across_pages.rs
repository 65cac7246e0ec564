//! A field the machine was unsure of, confirmed by another page of the batch.
//!
//! The same death is written in more than one ledger of a batch, and two rows with the
//! same ID number (its checksum passing on both) are the same person. A field read
//! unsure on one of them (a name with an unusual character, the two models apart, an
//! address one character off its county) and read the same from the other page's
//! writing is read right: two scans, two clerks' hands, two readings that agree, as
//! sure as two models agreeing on one cell. On eight generated batches (1932 rows), 36
//! of the fields in review had such a twin: names, addresses, dates of death, causes of
//! death; 35 were right, and the other was the look-alike 风 a page wrote that both rows
//! had restored to 凤 (see `vocab::name_with_lookalikes_restored`). A field read
//! differently on the other page is left as read: ledgers do write one person
//! differently (张春翠 and 张椿翠), and which page is right is for a person to see.
//!
//! Only a reading confirms: not the ID number the two rows are matched by, and not a
//! value either row took from it (a sex or an age made from the number, a number taken
//! from the other page), which would only agree with itself.

use std::collections::HashMap;

use ledgerline_schemas::{id_number, Field, Finding, FindingCode, Record, ReviewStatus, Severity};

use crate::contradicted_across_pages::contradicted;
use crate::extract::{status_of, REVIEW_THRESHOLD};
use crate::AGREED;

/// What a rule across the pages of a batch changed ([`confirm_across_pages`],
/// [`crate::contradicted_across_pages::contradict_across_pages`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changed {
    /// The indices of the records changed.
    pub records: Vec<usize>,
    /// How many of their fields.
    pub fields: usize,
}

/// Confirms, batch by batch, the unsure fields of records in review that another
/// record with the same ID number reads the same, and settles those records' status
/// again. Records a person settled are left alone.
pub fn confirm_across_pages(records: &mut [&mut Record]) -> Changed {
    // Confirming changes no value: every record is looked at first, then changed.
    across_pages(records, Field::ALL, confirmed_by, confirm)
}

/// The records of one batch by their ID number (see [`rows_by_id_number`]).
pub(crate) type ByIdNumber<'a> = HashMap<&'a str, Vec<usize>>;

/// A rule over the rows of one death on a batch's pages, batch by batch: `find` says,
/// of a record and one of `fields`, what another row of its ID number reads; `apply`
/// changes the record by it. Every record is looked at before any is changed, and the
/// records changed have their status settled again.
pub(crate) fn across_pages(
    records: &mut [&mut Record],
    fields: &[Field],
    find: fn(&[&mut Record], usize, Field, &ByIdNumber) -> Option<String>,
    apply: fn(&mut Record, Field, &str),
) -> Changed {
    let mut changed = Changed::default();
    for members in crate::repeats::by_batch(records).values() {
        let by_id = rows_by_id_number(records, members);
        let plans: Vec<(usize, Vec<(Field, String)>)> = members
            .iter()
            .map(|&i| {
                let found = fields
                    .iter()
                    .filter_map(|&field| Some((field, find(records, i, field, &by_id)?)))
                    .collect();
                (i, found)
            })
            .filter(|(_, found): &(usize, Vec<_>)| !found.is_empty())
            .collect();
        for (i, found) in plans {
            let record = &mut *records[i];
            changed.fields += found.len();
            for (field, other_row) in found {
                apply(record, field, &other_row);
            }
            record.review.status = status_of(&record.fields, &record.confidence, &record.review.findings);
            changed.records.push(i);
        }
    }
    changed
}

/// The batch's records, by their ID number where its checksum passes and it was read
/// on its row (not taken from another page, not in a row a person rejected).
pub(crate) fn rows_by_id_number<'a>(records: &'a [&mut Record], members: &[usize]) -> ByIdNumber<'a> {
    let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
    for &i in members {
        let r = &*records[i];
        match r.fields.id_number.as_deref() {
            Some(id)
                if r.review.status != ReviewStatus::Rejected
                    && !id_from_another_page(r)
                    && id_number::parse(id).is_ok() =>
            {
                by_id.entry(id).or_default().push(i)
            }
            _ => {}
        }
    }
    by_id
}

/// Where another row with record `i`'s ID number reads its unsure `field` the same
/// (`page-0001.png row 18`), if one does.
fn confirmed_by(records: &[&mut Record], i: usize, field: Field, by_id: &ByIdNumber) -> Option<String> {
    let record = &*records[i];
    if record.review.status != ReviewStatus::NeedsReview || field == Field::IdNumber || id_from_another_page(record) {
        return None;
    }
    let value = record.fields.get(field)?;
    let unsure = record
        .confidence
        .get(field.name())
        .is_some_and(|&c| c < REVIEW_THRESHOLD);
    let found_wanting = record
        .review
        .findings
        .iter()
        .any(|f| f.field == field.name() && f.severity == Severity::Error);
    // Read otherwise by another row (see `contradicted_across_pages`): a third row
    // reading it the same settles nothing, on either of them.
    if !unsure || found_wanting || from_the_id_number(record, field) || contradicted(record, field) {
        return None;
    }
    let twin = by_id
        .get(record.fields.id_number.as_deref()?)?
        .iter()
        .filter(|&&j| j != i)
        .map(|&j| &*records[j])
        .find(|other| {
            other.fields.get(field).as_deref() == Some(value.as_str())
                && !from_the_id_number(other, field)
                && !contradicted(other, field)
        })?;
    Some(format!("{} row {}", twin.source.page, twin.source.row))
}

/// Whether the row's ID number was taken from another page (by its name: see
/// [`crate::id_across_pages`]), not read on it.
pub(crate) fn id_from_another_page(record: &Record) -> bool {
    record.review.findings.iter().any(|f| f.is(FindingCode::IdFromBatch))
}

/// Whether the row's `field` was made from its ID number rather than read.
pub(crate) fn from_the_id_number(record: &Record, field: Field) -> bool {
    record
        .review
        .findings
        .iter()
        .any(|f| f.field == field.name() && (f.is(FindingCode::GenderFromId) || f.is(FindingCode::AgeFromId)))
}

fn confirm(record: &mut Record, field: Field, where_read: &str) {
    let value = record.fields.get(field).unwrap_or_default();
    record.review.findings.push(Finding::new(
        field,
        Severity::Info,
        FindingCode::ConfirmedAcrossPages,
        format!("{value} is read the same on {where_read}, the row with the same ID number"),
    ));
    record.confidence.insert(field.name().to_string(), AGREED);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ReviewStatus::*;

    pub(crate) const ID: &str = "37131119720505534X";

    /// A record of batch B1 on `page`, row 7, with a deceased's name read as sure as
    /// `confidence` and an ID number read sure.
    pub(crate) fn record(page: &str, id: &str, name: &str, confidence: f32, status: ReviewStatus) -> Record {
        let mut r = crate::blank_record("B1", page, 7);
        r.fields.deceased_name = Some(name.into());
        r.fields.id_number = Some(id.into());
        r.confidence.insert("deceased_name".into(), confidence);
        r.confidence.insert("id_number".into(), 0.97);
        r.review.status = status;
        r
    }

    /// That a rule across pages changes nothing of `records`.
    pub(crate) fn assert_unchanged(rule: fn(&mut [&mut Record]) -> Changed, mut records: Vec<Record>) {
        let before = format!("{records:?}");
        let changed = rule(&mut records.iter_mut().collect::<Vec<_>>());
        assert_eq!(changed, Changed::default());
        assert_eq!(format!("{records:?}"), before);
    }

    fn confirm_all(records: &mut [Record]) -> Vec<usize> {
        let mut refs: Vec<&mut Record> = records.iter_mut().collect();
        let confirmed = confirm_across_pages(&mut refs);
        assert!(confirmed.fields >= confirmed.records.len());
        confirmed.records
    }

    #[test]
    fn a_field_read_the_same_in_the_row_with_the_same_id_number_is_sure() {
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
        assert!(finding.is(FindingCode::ConfirmedAcrossPages) && finding.severity == Severity::Info);
        assert!(finding.message.contains("page-0005.png row 7"), "{}", finding.message);
        assert!(confirm_all(&mut records).is_empty(), "a second run changes nothing");

        // Another field unsure, and not on the other row, keeps the record in review;
        // two unsure readings that agree confirm each other.
        let mut records = [
            record("page-0001.png", ID, "张椿翠", 0.6, NeedsReview),
            record("page-0005.png", ID, "张椿翠", 0.6, NeedsReview),
        ];
        records[0].fields.death_date = Some("2013-12-21".into());
        records[0].confidence.insert("death_date".into(), 0.5);
        assert_eq!(confirm_all(&mut records), vec![0, 1]);
        assert_eq!(
            (records[0].review.status, records[1].review.status),
            (NeedsReview, Machine)
        );
        assert_eq!(records[0].confidence["deceased_name"], AGREED);
        // The other page reads the date the same: the record leaves review.
        records[1].fields.death_date = Some("2013-12-21".into());
        assert_eq!(confirm_all(&mut records), vec![0]);
        assert_eq!(records[0].review.status, Machine);
    }

    #[test]
    fn no_confirmation_without_the_same_reading_and_number_on_another_row() {
        let unchanged = |records| assert_unchanged(confirm_across_pages, records);
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
        // A value that fails validation stays in review.
        let mut found = record("p1", ID, "张椿翠", 0.6, NeedsReview);
        found.review.findings.push(Finding::new(
            Field::DeceasedName,
            Severity::Error,
            FindingCode::Unreadable,
            "unreadable".into(),
        ));
        unchanged(vec![found, record("p5", ID, "张椿翠", 0.95, Machine)]);
    }

    #[test]
    fn what_came_from_the_id_number_confirms_nothing() {
        let unchanged = |mut records: Vec<Record>| {
            assert!(confirm_all(&mut records).is_empty(), "{records:?}");
        };
        // The ID number itself, unsure on its row.
        let mut unsure_id = record("p1", ID, "张椿翠", 0.95, NeedsReview);
        unsure_id.confidence.insert("id_number".into(), 0.6);
        unchanged(vec![unsure_id, record("p5", ID, "张椿翠", 0.95, Machine)]);
        // A number taken from the other page, found by this very name.
        let mut taken = record("p1", ID, "张椿翠", 0.6, NeedsReview);
        taken.review.findings.push(Finding::new(
            Field::IdNumber,
            Severity::Info,
            FindingCode::IdFromBatch,
            "taken".into(),
        ));
        unchanged(vec![taken.clone(), record("p5", ID, "张椿翠", 0.95, Machine)]);
        // ... nor confirms the row it may have come from.
        taken.confidence.insert("deceased_name".into(), 0.95);
        unchanged(vec![taken, record("p5", ID, "张椿翠", 0.6, NeedsReview)]);
        // A sex made from the number on the other row.
        let mut unsure_sex = record("p1", ID, "张椿翠", 0.95, NeedsReview);
        unsure_sex.fields.gender = Some("2".into());
        unsure_sex.confidence.insert("gender".into(), 0.5);
        let mut made = record("p5", ID, "张椿翠", 0.95, Machine);
        made.fields.gender = Some("2".into());
        made.review.findings.push(Finding::new(
            Field::Gender,
            Severity::Info,
            FindingCode::GenderFromId,
            "from the ID number".into(),
        ));
        unchanged(vec![unsure_sex, made]);
    }
}
