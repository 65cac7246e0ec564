//! Scoring extracted records against ground truth (`truth.jsonl`): rows are matched by
//! page file and row number; each field is scored for exact match, and text fields also
//! by character error rate. Accuracy is measured here, never eyeballed.

use std::collections::{BTreeMap, HashMap};

use ledgerline_schemas::{Field, Record, ReviewStatus, TruthRow};
use serde::Serialize;

use crate::extract::REVIEW_THRESHOLD;

#[derive(Debug, Clone, Default, Serialize)]
pub struct FieldScore {
    /// Cells where the truth or the extraction has a value.
    pub scored: usize,
    pub exact: usize,
    pub accuracy: f64,
    /// Character error rate: edit distance over truth length, summed over cells.
    pub cer: f64,
    #[serde(skip)]
    edits: usize,
    #[serde(skip)]
    chars: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct EvalReport {
    pub truth_rows: usize,
    pub rows_found: usize,
    pub rows_missed: usize,
    pub rows_invented: usize,
    pub fields: BTreeMap<String, FieldScore>,
    /// Exact-match accuracy over every scored field of every matched row.
    pub all_fields_accuracy: f64,
    /// The fields the truth gives a value, in every truth row, found or not...
    pub truth_fields: usize,
    /// ...and the share of them read exactly: a missed row's fields count as wrong, so
    /// a page whose rows went unfound cannot pass for a page read well.
    pub truth_fields_accuracy: f64,
    /// Accuracy of the fields extraction marked confident (≥ the review threshold).
    pub confident_fields_accuracy: f64,
    pub confident_fields: usize,
    /// Records the machine accepted (`review.status = machine`), their share and the
    /// accuracy of their fields.
    pub machine_records: usize,
    pub machine_share: f64,
    pub machine_fields_accuracy: f64,
    /// A few wrong values per field, to see what goes wrong.
    pub examples: BTreeMap<String, Vec<(String, String)>>,
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    crate::distance::char_edit_distance(&a, &b)
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 {
        1.0
    } else {
        n as f64 / d as f64
    }
}

/// Fields read from cells (agency_name comes from the manifest and is not scored).
fn scored_fields() -> impl Iterator<Item = Field> {
    Field::ALL.iter().copied().filter(|f| *f != Field::AgencyName)
}

pub fn score(records: &[Record], truth: &[TruthRow]) -> EvalReport {
    let by_key: HashMap<(&str, u32), &Record> = records
        .iter()
        .map(|r| ((r.source.page.as_str(), r.source.row), r))
        .collect();
    let truth_keys: std::collections::HashSet<(&str, u32)> = truth.iter().map(|t| (t.page.as_str(), t.row)).collect();
    let mut rep = EvalReport {
        truth_rows: truth.len(),
        ..Default::default()
    };
    rep.rows_invented = records
        .iter()
        .filter(|r| !truth_keys.contains(&(r.source.page.as_str(), r.source.row)))
        .count();
    let (mut all, mut all_ok, mut conf, mut conf_ok, mut mach, mut mach_ok) = (0, 0, 0, 0, 0, 0);
    let mut truth_ok = 0;
    for t in truth {
        rep.truth_fields += scored_fields().filter(|&f| t.fields.get(f).is_some()).count();
        let Some(r) = by_key.get(&(t.page.as_str(), t.row)) else {
            rep.rows_missed += 1;
            continue;
        };
        rep.rows_found += 1;
        let machine = r.review.status == ReviewStatus::Machine;
        rep.machine_records += usize::from(machine);
        for f in scored_fields() {
            let (want, got) = (t.fields.get(f), r.fields.get(f));
            if want.is_none() && got.is_none() {
                continue;
            }
            let ok = want == got;
            let s = rep.fields.entry(f.name().to_string()).or_default();
            s.scored += 1;
            s.exact += usize::from(ok);
            let w = want.clone().unwrap_or_default();
            s.edits += edit_distance(&w, got.as_deref().unwrap_or(""));
            s.chars += w.chars().count().max(1);
            all += 1;
            all_ok += usize::from(ok);
            truth_ok += usize::from(ok && want.is_some());
            if r.confidence.get(f.name()).is_some_and(|&c| c >= REVIEW_THRESHOLD) {
                conf += 1;
                conf_ok += usize::from(ok);
            }
            if machine {
                mach += 1;
                mach_ok += usize::from(ok);
            }
            if !ok {
                let ex = rep.examples.entry(f.name().to_string()).or_default();
                if ex.len() < 5 {
                    ex.push((w, got.unwrap_or_default()));
                }
            }
        }
    }
    for s in rep.fields.values_mut() {
        s.accuracy = ratio(s.exact, s.scored);
        s.cer = ratio(s.edits, s.chars);
    }
    rep.all_fields_accuracy = ratio(all_ok, all);
    rep.truth_fields_accuracy = ratio(truth_ok, rep.truth_fields);
    rep.confident_fields = conf;
    rep.confident_fields_accuracy = ratio(conf_ok, conf);
    rep.machine_share = ratio(rep.machine_records, rep.rows_found);
    rep.machine_fields_accuracy = ratio(mach_ok, mach);
    rep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("王秀英", "王秀荚"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("济南市历城区", "济南市历城区"), 0);
    }

    /// A truth row or a record on page `page`, row `row`, with a name and an age.
    fn fields(name: &str, age: Option<&str>) -> ledgerline_schemas::RecordFields {
        let mut f = ledgerline_schemas::RecordFields::default();
        f.set(Field::DeceasedName, Some(name)).unwrap();
        f.set(Field::Age, age).unwrap();
        f
    }

    fn truth_row(row: u32, name: &str, age: Option<&str>) -> TruthRow {
        TruthRow {
            page: "p1".into(),
            row,
            record_type: ledgerline_schemas::RecordType::Cremation,
            person_id: format!("P{row}"),
            fields: fields(name, age),
        }
    }

    fn record(row: u32, name: &str, age: Option<&str>) -> Record {
        Record {
            record_id: format!("r{row}"),
            record_type: ledgerline_schemas::RecordType::Cremation,
            fields: fields(name, age),
            person_id: None,
            source: ledgerline_schemas::Source {
                batch: "B".into(),
                page: "p1".into(),
                row,
            },
            confidence: Default::default(),
            review: Default::default(),
            extra_fields: Default::default(),
        }
    }

    #[test]
    fn the_fields_of_missed_rows_count_against_the_truth_fields() {
        let truth = [
            truth_row(1, "王秀英", Some("72")),
            truth_row(2, "李明", Some("80")),
            truth_row(3, "张伟", None),
            truth_row(4, "赵敏", Some("65")),
        ];
        // Row 2 misread in its age, row 3 read with an age it does not have, row 4 missed.
        let records = [
            record(1, "王秀英", Some("72")),
            record(2, "李明", Some("30")),
            record(3, "张伟", Some("9")),
        ];
        let rep = score(&records, &truth);
        assert_eq!((rep.rows_found, rep.rows_missed), (3, 1));
        // Over the rows found: 6 fields scored (the invented age among them), 4 right.
        assert!((rep.all_fields_accuracy - 4.0 / 6.0).abs() < 1e-9, "{rep:?}");
        // Over the truth: 7 values given, 4 of them read (row 4's two count as wrong).
        assert_eq!(rep.truth_fields, 7);
        assert!((rep.truth_fields_accuracy - 4.0 / 7.0).abs() < 1e-9, "{rep:?}");
    }
}
