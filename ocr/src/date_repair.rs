//! Dates that contradict the rest of their row, repaired when one digit makes it agree.
//!
//! A row's death, cremation and burial dates are bound together: the cremation follows
//! the death within days, the burial follows it. A reading that breaks this (三 read as
//! 二 in 二〇一三年, a 3 read as 8, the 十 of 十二月 lost) is most often one digit off.
//! The row's date readings are changed one digit at a time; when exactly one change
//! makes the row agree with itself, or exactly one of several also fits the age its
//! checksum-valid ID number gives at death (or, when they do not tell, is the one change
//! of the one date read unsure beside sure ones nearest the row's other dates), that
//! change is made and recorded, and the date stays for review: a repaired date is
//! likely, not proven.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use ledgerline_schemas::{date, id_number, Field, Finding, FindingCode, RecordFields, Severity};

use crate::repairs::AgeRule;

/// Days a cremation follows the death by at most, for a row to agree with itself. Most
/// are within a week; a cremation months later is rare enough that a reading one digit
/// from a date within this reach is more likely misread.
const CREMATION_WITHIN_DAYS: i64 = 30;

/// Confidence of a repaired date: below the review threshold.
const REPAIRED: f32 = 0.6;

const DATES: [Field; 3] = [Field::DeathDate, Field::CremationDate, Field::BurialDate];

/// The row's dates, in the order of [`DATES`].
type Dates = [Option<NaiveDate>; 3];

/// Whether the death, cremation and burial dates agree with one another, none of them
/// yet to come (二〇四三 for 二〇一三, 4 for 1: a death in 2043 had stayed so with its
/// burial in 2013, the burial moved to 2043 as good a repair as the death to 2013).
fn in_order(dates: &Dates) -> bool {
    let today = chrono::Local::now().date_naive();
    dates.iter().flatten().all(|d| *d <= today) && follow_one_another(dates)
}

/// Whether the death, cremation and burial dates follow one another as they should.
fn follow_one_another([death, cremation, burial]: &Dates) -> bool {
    let cremated_in_time = match (death, cremation) {
        (Some(d), Some(c)) => *c >= *d && (*c - *d).num_days() <= CREMATION_WITHIN_DAYS,
        _ => true,
    };
    let buried_after = match (death, burial) {
        (Some(d), Some(b)) => *b >= *d,
        _ => true,
    };
    cremated_in_time && buried_after
}

/// Every valid date one digit away from `d`.
fn one_digit_away(d: NaiveDate) -> Vec<NaiveDate> {
    let text = date::format_iso(d).into_bytes();
    let mut out = Vec::new();
    for (i, &c) in text.iter().enumerate().filter(|(_, c)| c.is_ascii_digit()) {
        for digit in (b'0'..=b'9').filter(|&x| x != c) {
            let mut changed = text.clone();
            changed[i] = digit;
            if let Some(d) = std::str::from_utf8(&changed).ok().and_then(date::parse_iso) {
                out.push(d);
            }
        }
    }
    out
}

/// Repairs one date of a row whose dates disagree (see the module comment).
pub fn repair_dates(
    fields: &mut RecordFields,
    confidence: &mut BTreeMap<String, f32>,
    findings: &mut Vec<Finding>,
    rule: Option<AgeRule>,
) {
    let read: Dates = DATES.map(|f| fields.get(f).as_deref().and_then(date::parse_iso));
    if in_order(&read) {
        return;
    }
    let mut changes: Vec<(usize, NaiveDate)> = Vec::new();
    for (i, d) in read.iter().enumerate() {
        for candidate in d.map(one_digit_away).unwrap_or_default() {
            let mut dates = read;
            dates[i] = Some(candidate);
            if in_order(&dates) {
                changes.push((i, candidate));
            }
        }
    }
    if changes.len() > 1 && age_at_death(fields).is_some() {
        changes.retain(|&(i, d)| {
            let death = if DATES[i] == Field::DeathDate { Some(d) } else { read[0] };
            death.is_some_and(|death| age_fits(fields, death, rule))
        });
    }
    if changes.len() > 1 {
        changes = on_the_unsure_date(changes, &read, confidence);
    }
    if changes.len() > 1 {
        changes = nearest_the_row(changes, &read);
    }
    let [(i, repaired)] = changes[..] else {
        doubt(&read, confidence, findings);
        return;
    };
    let field = DATES[i];
    let was = fields.get(field);
    let value = date::format_iso(repaired);
    findings.push(Finding::repaired(
        field,
        Severity::Warning,
        FindingCode::DateRepaired,
        was.as_deref(),
        &value,
        "the one date a digit away that agrees with the rest of the row",
    ));
    fields.set(field, Some(&value)).expect("an ISO date is a date");
    let c = confidence.entry(field.name().to_string()).or_insert(REPAIRED);
    *c = c.min(REPAIRED);
}

/// Of several changes, those of the one date OCR was unsure of, when the row's other
/// dates were read sure: that date is the misread one. (A slash-written `2013/1/12` was
/// read `2013/11/12` at 0.68 beside a burial read `2013/4/1` at 0.90.) All the changes
/// otherwise.
fn on_the_unsure_date(
    changes: Vec<(usize, NaiveDate)>,
    read: &Dates,
    confidence: &BTreeMap<String, f32>,
) -> Vec<(usize, NaiveDate)> {
    let sure = |i: usize| confidence.get(DATES[i].name()).is_some_and(|&c| c >= SURE);
    let unsure: Vec<usize> = (0..DATES.len()).filter(|&i| read[i].is_some() && !sure(i)).collect();
    match unsure[..] {
        [only] => changes.into_iter().filter(|&(i, _)| i == only).collect(),
        _ => changes,
    }
}

/// A date read at this confidence or more is taken as read when another date of its
/// row is repaired (the review threshold).
const SURE: f32 = crate::extract::REVIEW_THRESHOLD;

/// Of several changes to one date, the one nearest the row's other dates, when one is
/// nearest: a month misread (11 for 01) leaves the death weeks before its burial, a year
/// misread puts it a year away, and the dates of one funeral lie close together. All the
/// changes otherwise.
fn nearest_the_row(changes: Vec<(usize, NaiveDate)>, read: &Dates) -> Vec<(usize, NaiveDate)> {
    let field = changes[0].0;
    if changes.iter().any(|&(i, _)| i != field) {
        return changes;
    }
    let distance = |d: NaiveDate| {
        (0..DATES.len())
            .filter(|&i| i != field)
            .filter_map(|i| read[i])
            .map(|other| (d - other).num_days().abs())
            .min()
    };
    let nearest = changes.iter().filter_map(|&(_, d)| distance(d)).min();
    let closest: Vec<_> = changes
        .iter()
        .copied()
        .filter(|&(_, d)| distance(d) == nearest)
        .collect();
    match closest[..] {
        [one] => vec![one],
        _ => changes,
    }
}

/// Dates that disagree and no one digit settles go to review: a cremation months after
/// the death is possible, but more often misread than so.
fn doubt(read: &Dates, confidence: &mut BTreeMap<String, f32>, findings: &mut Vec<Finding>) {
    for (field, _) in DATES.iter().zip(read).filter(|(_, d)| d.is_some()) {
        if let Some(c) = confidence.get_mut(field.name()) {
            *c = c.min(REPAIRED);
        }
    }
    findings.push(Finding::new(
        Field::DeathDate,
        Severity::Warning,
        FindingCode::DatesDisagree,
        "the death, cremation and burial dates do not follow one another as they should".into(),
    ));
}

/// The row's age and the birth in its valid ID number, when it has both.
fn age_at_death(fields: &RecordFields) -> Option<(u32, NaiveDate)> {
    let id = id_number::parse(fields.id_number.as_deref()?).ok()?;
    Some((fields.age?, id.birth_date))
}

/// Whether a death date agrees with the row's age and the birth in its valid ID number
/// (as the page counts age, or either way when it does not say).
fn age_fits(fields: &RecordFields, death: NaiveDate, rule: Option<AgeRule>) -> bool {
    let Some((age, birth)) = age_at_death(fields) else {
        return false;
    };
    let years = date::completed_years(birth, death);
    let age = age as i32;
    match rule {
        Some(AgeRule::Full) => age == years,
        Some(AgeRule::Nominal) => age == years + 1,
        None => age == years || age == years + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(death: &str, cremation: &str, burial: &str) -> RecordFields {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        RecordFields {
            death_date: some(death),
            cremation_date: some(cremation),
            burial_date: some(burial),
            ..Default::default()
        }
    }

    fn repaired(mut f: RecordFields) -> (RecordFields, Vec<Finding>) {
        let mut findings = Vec::new();
        repair_dates(&mut f, &mut BTreeMap::new(), &mut findings, None);
        (f, findings)
    }

    /// A row of someone born 1950-10-10 (the ID number) with an age at death.
    fn born_1950(death: &str, cremation: &str, age: u32) -> RecordFields {
        RecordFields {
            id_number: Some("37162519501010993X".into()),
            age: Some(age),
            ..row(death, cremation, "")
        }
    }

    #[test]
    fn the_age_and_id_number_choose_which_date_was_misread() {
        // A cremation before the death: the death a year early, or the cremation a year
        // late? Aged 63 (either way of counting), the death in 2013 fits, 2012 does not.
        let (f, findings) = repaired(born_1950("2013-08-03", "2012-08-04", 63));
        assert_eq!(f.cremation_date.as_deref(), Some("2013-08-04"));
        assert_eq!(f.death_date.as_deref(), Some("2013-08-03"));
        assert!(findings[0].is(FindingCode::DateRepaired));
        assert_eq!(findings[0].read.as_deref(), Some("2012-08-04"), "what was read");
        // The 十 of 十二月 lost in the cremation: a death in February would not make 64.
        let (f, _) = repaired(born_1950("2013-12-03", "2013-02-05", 64));
        assert_eq!(f.cremation_date.as_deref(), Some("2013-12-05"));
        // The death misread instead: 二〇一八 for 二〇一三.
        let (f, _) = repaired(born_1950("2018-07-19", "2013-07-21", 63));
        assert_eq!(f.death_date.as_deref(), Some("2013-07-19"));
    }

    #[test]
    fn the_unsure_date_is_the_misread_one_and_its_nearest_repair_is_taken() {
        // 2013/1/12 read 2013/11/12, unsure, beside a burial read sure: 2013-01-12 and
        // 2012-11-12 both put the death first; the month's misreading is the nearer.
        let mut f = row("2013-11-12", "", "2013-04-01");
        let mut confidence: BTreeMap<String, f32> = [("death_date".into(), 0.68), ("burial_date".into(), 0.9)].into();
        let mut findings = Vec::new();
        repair_dates(&mut f, &mut confidence, &mut findings, None);
        assert_eq!(f.death_date.as_deref(), Some("2013-01-12"));
        assert_eq!(f.burial_date.as_deref(), Some("2013-04-01"));
        assert!(findings[0].is(FindingCode::DateRepaired));
        assert!(confidence["death_date"] <= REPAIRED, "a repaired date is reviewed");
        // A death yet to come, its year one digit off: not the burial moved after it.
        let mut f = row("2043-02-23", "", "2013-10-04");
        let mut confidence: BTreeMap<String, f32> = [("death_date".into(), 0.7), ("burial_date".into(), 0.7)].into();
        repair_dates(&mut f, &mut confidence, &mut Vec::new(), None);
        assert_eq!(f.death_date.as_deref(), Some("2013-02-23"));
        // Both read unsure: nothing says which one was misread.
        let mut f = row("2013-11-12", "", "2013-04-01");
        let mut confidence: BTreeMap<String, f32> = [("death_date".into(), 0.68), ("burial_date".into(), 0.7)].into();
        repair_dates(&mut f, &mut confidence, &mut Vec::new(), None);
        assert_eq!(f, row("2013-11-12", "", "2013-04-01"));
    }

    #[test]
    fn rows_that_agree_stay_and_rows_that_cannot_be_settled_go_to_review() {
        let (f, findings) = repaired(row("2013-08-03", "2013-08-07", "2014-01-01"));
        assert_eq!(f, row("2013-08-03", "2013-08-07", "2014-01-01"));
        assert!(findings.is_empty());
        // Without age or ID number, a year early or a year late cannot be told apart.
        let mut f = row("2013-08-03", "2012-08-04", "");
        let mut confidence: BTreeMap<String, f32> =
            [("death_date".into(), 0.95), ("cremation_date".into(), 0.95)].into();
        let mut findings = Vec::new();
        repair_dates(&mut f, &mut confidence, &mut findings, None);
        assert_eq!(f.cremation_date.as_deref(), Some("2012-08-04"));
        assert!(findings[0].is(FindingCode::DatesDisagree));
        assert!(confidence.values().all(|&c| c <= REPAIRED));
    }
}
