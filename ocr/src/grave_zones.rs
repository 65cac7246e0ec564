//! A grave number's zone that no other grave number of its batch writes.
//!
//! A cemetery lays its graves out in a few zones (A区, B区 … or 福区, 寿区 …), and a
//! volume of its burial ledger writes each of them again and again. A zone read once in
//! a batch that writes many grave numbers is far more likely a misread letter than a
//! zone used once: on ten generated batches, the two zones read once (G区 for C区, S区
//! for C区) were both misread, each accepted by the machine at 0.81 and 0.85, while the
//! zones written were each written seven times or more. Such a grave number goes to
//! review, as read: which zone it is, only the page says.

use std::collections::BTreeMap;

use ledgerline_schemas::{Field, Finding, FindingCode, Record, ReviewStatus, Severity};

use crate::extract::status_of;

/// Fewest grave numbers with a zone a batch must hold before a zone written once in it
/// is doubted: in a short batch, a zone may well be written once.
const MIN_ZONED_GRAVES: usize = 20;

/// The zone of a grave number: what comes before its 区 (`A` of `A区21排33号`), if that
/// is a letter or two.
fn zone_of(grave_number: &str) -> Option<&str> {
    let (zone, _) = grave_number.split_once('区')?;
    (!zone.is_empty() && zone.chars().count() <= 2).then_some(zone)
}

/// Sends to review, batch by batch, the records whose grave number's zone no other
/// record of the batch writes, where the batch writes enough zoned grave numbers to
/// tell. Records a person settled are left alone; a record already sent is not sent
/// again. Returns the indices of the records changed.
pub fn doubt_lone_zones(records: &mut [&mut Record]) -> Vec<usize> {
    let mut changed = Vec::new();
    for members in crate::repeats::by_batch(records).values() {
        let zones = zones_written(records, members);
        if zones.values().sum::<usize>() < MIN_ZONED_GRAVES {
            continue;
        }
        let written: Vec<String> = zones
            .iter()
            .filter(|&(_, &n)| n > 1)
            .map(|(zone, n)| format!("{zone}区 ×{n}"))
            .collect();
        let lone: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| {
                let r = &*records[i];
                let zone = r.fields.grave_number.as_deref().and_then(zone_of);
                zone.is_some_and(|z| zones.get(z) == Some(&1)) && open_to_doubt(r)
            })
            .collect();
        for i in lone {
            doubt(records[i], &written.join(", "));
            changed.push(i);
        }
    }
    changed
}

/// How often each zone is written in the batch's records a person did not reject.
fn zones_written(records: &[&mut Record], members: &[usize]) -> BTreeMap<String, usize> {
    let mut zones: BTreeMap<String, usize> = BTreeMap::new();
    for &i in members {
        let r = &*records[i];
        if r.review.status == ReviewStatus::Rejected {
            continue;
        }
        if let Some(zone) = r.fields.grave_number.as_deref().and_then(zone_of) {
            *zones.entry(zone.to_string()).or_default() += 1;
        }
    }
    zones
}

/// A record the machine settled, not yet doubted for its zone.
fn open_to_doubt(r: &Record) -> bool {
    !r.review.status.settled_by_a_person() && !r.review.findings.iter().any(|f| f.is(FindingCode::LoneGraveZone))
}

fn doubt(record: &mut Record, zones_written: &str) {
    let zone = record
        .fields
        .grave_number
        .as_deref()
        .and_then(zone_of)
        .unwrap_or_default();
    let message = format!(
        "no other grave number of the batch is in zone {zone}区 (the batch writes {zones_written}): its zone misread?"
    );
    record.review.findings.push(Finding::new(
        Field::GraveNumber,
        Severity::Warning,
        FindingCode::LoneGraveZone,
        message,
    ));
    crate::extract::doubt(&mut record.confidence, Field::GraveNumber);
    record.review.status = status_of(&record.fields, &record.confidence, &record.review.findings);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::UNUSUAL;
    use ReviewStatus::*;

    /// Batch B1's records, one per grave number, each read sure.
    fn batch(graves: &[&str]) -> Vec<Record> {
        graves
            .iter()
            .enumerate()
            .map(|(row, grave)| {
                let mut r = crate::blank_record("B1", "page-0001.png", row as u32 + 1);
                r.fields.deceased_name = Some("张三".into());
                r.fields.grave_number = Some(grave.to_string());
                r.confidence.insert("grave_number".into(), 0.85);
                r.review.status = Machine;
                r
            })
            .collect()
    }

    fn doubt_all(records: &mut [Record]) -> Vec<usize> {
        doubt_lone_zones(&mut records.iter_mut().collect::<Vec<_>>())
    }

    /// Twenty grave numbers in zones A to D, five each.
    fn four_zones() -> Vec<String> {
        (0..20)
            .map(|k| format!("{}区{:02}排{:02}号", ['A', 'B', 'C', 'D'][k % 4], k + 1, k + 3))
            .collect()
    }

    #[test]
    fn a_zone_no_other_grave_number_of_the_batch_writes_goes_to_review() {
        let mut graves = four_zones();
        graves.push("G区19排29号".into());
        let mut records = batch(&graves.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(doubt_all(&mut records), vec![20]);
        let doubted = &records[20];
        assert_eq!(doubted.review.status, NeedsReview);
        assert_eq!(
            doubted.fields.grave_number.as_deref(),
            Some("G区19排29号"),
            "kept as read"
        );
        assert_eq!(doubted.confidence["grave_number"], UNUSUAL);
        let finding = doubted.review.findings.last().expect("a finding says why");
        assert!(finding.is(FindingCode::LoneGraveZone) && finding.severity == Severity::Warning);
        assert!(
            finding
                .message
                .contains("zone G区 (the batch writes A区 ×5, B区 ×5, C区 ×5, D区 ×5)"),
            "{}",
            finding.message
        );
        assert!(records[..20].iter().all(|r| r.review.status == Machine));
        assert!(doubt_all(&mut records).is_empty(), "a second run changes nothing");
    }

    #[test]
    fn a_short_batch_a_zone_written_twice_or_a_settled_record_is_left_alone() {
        // Too few grave numbers to tell a zone used once from a misread one.
        let short = ["A区01排01号", "A区02排01号", "G区03排01号"];
        assert!(doubt_all(&mut batch(&short)).is_empty());
        // Written twice: a zone of the cemetery.
        let mut graves = four_zones();
        graves.extend(["E区01排01号".to_string(), "E区02排01号".to_string()]);
        assert!(doubt_all(&mut batch(&graves.iter().map(String::as_str).collect::<Vec<_>>())).is_empty());
        // A person verified it; another rejected the row (its zone counts for nothing).
        let mut graves = four_zones();
        graves.push("G区19排29号".into());
        let mut records = batch(&graves.iter().map(String::as_str).collect::<Vec<_>>());
        records[20].review.status = Verified;
        assert!(doubt_all(&mut records).is_empty());
        records[20].review.status = Rejected;
        assert!(doubt_all(&mut records).is_empty());
        // Grave numbers without a zone say nothing of zones.
        assert_eq!(zone_of("21排33号"), None);
        assert_eq!(zone_of("福区3排5号"), Some("福"));
    }
}
