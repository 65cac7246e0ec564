//! Record validation. Every finding names the field it is about and says, in words an
//! archivist understands, what is wrong and what the value should agree with.
//!
//! Errors make a record unacceptable as it stands; warnings are facts a reviewer should
//! see but that real records can legitimately have (an ID issued in another province, a
//! division code from before the oldest revision in the table).

use chrono::{Datelike, Local, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::codes::{self, LATEST_REVISION};
use crate::date::{completed_years, parse_iso};
pub use crate::finding_code::FindingCode;
use crate::id_number::{self, IdFacts};
use crate::record::{Field, Record, RecordFields};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One thing validation (or a repair) found about one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The field name, or `record` for the record as a whole.
    pub field: String,
    pub severity: Severity,
    /// A stable machine-readable code, e.g. `id_checksum`.
    pub code: String,
    pub message: String,
    /// A repair's: what was read before the machine changed it (the message says it in
    /// English; the review app shows this in its own language). `None` for a finding
    /// that changed nothing, or a repair of a cell read blank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<String>,
}

impl Finding {
    pub fn new(field: Field, severity: Severity, code: FindingCode, message: String) -> Self {
        Self::about(field.name(), severity, code, message)
    }

    /// A finding about a part of the record that is not one of its fields (`source`,
    /// `confidence`, `extra_fields`).
    pub fn about(subject: &str, severity: Severity, code: FindingCode, message: String) -> Self {
        Finding {
            field: subject.to_string(),
            severity,
            code: code.as_str().to_string(),
            message: format!("{subject}: {message}"),
            read: None,
        }
    }

    /// The finding of a value repaired: `read, repaired to fixed: why`, keeping what was
    /// read (see [`Finding::read_as`]).
    pub fn repaired(
        field: Field,
        severity: Severity,
        code: FindingCode,
        read: Option<&str>,
        fixed: &str,
        why: &str,
    ) -> Self {
        let message = format!("read {}, repaired to {fixed}: {why}", read.unwrap_or_default());
        Self::new(field, severity, code, message).read_as(read)
    }

    /// The finding of a repair, noting what was read before it.
    pub fn read_as(mut self, read: Option<&str>) -> Self {
        self.read = read.map(str::to_string);
        self
    }

    /// Whether the finding is of this kind.
    pub fn is(&self, code: FindingCode) -> bool {
        self.code == code.as_str()
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.severity, self.message)
    }
}

/// The earliest year a date on a funeral ledger can plausibly hold (a birth date).
const EARLIEST_YEAR: i32 = 1870;
/// Ages beyond this are taken as misreadings.
const MAX_AGE: u32 = 125;

/// Validates a whole record: its fields plus its envelope.
pub fn validate(record: &Record) -> Vec<Finding> {
    let mut out = validate_fields(&record.fields);
    if record.source.row == 0 {
        out.push(Finding::about(
            "source",
            Severity::Error,
            FindingCode::SourceRow,
            "row is 1-based; 0 is not a row".into(),
        ));
    }
    for (name, c) in &record.confidence {
        if !(0.0..=1.0).contains(c) || Field::from_name(name).is_none() {
            out.push(Finding::about(
                "confidence",
                Severity::Error,
                FindingCode::Confidence,
                format!("{name} = {c}: must name a field and lie in 0..1"),
            ));
        }
    }
    out
}

/// Validates the content fields of a record against each other and the code tables.
pub fn validate_fields(f: &RecordFields) -> Vec<Finding> {
    let mut out = Vec::new();
    let today = Local::now().date_naive();
    check_codes(f, &mut out);
    let dates = check_dates(f, today, &mut out);
    let id = check_id_number(f, &mut out);
    if let Some(id) = &id {
        check_id_agreement(f, id, dates.birth, &mut out);
    }
    check_age(
        f,
        dates.birth.or(id.as_ref().map(|i| i.birth_date)),
        dates.death,
        &mut out,
    );
    check_division(f, dates.death, &mut out);
    check_phone(f, &mut out);
    out
}

/// The coded fields, each with its code table's lookup and how a message names the table.
type CodeTable = (Field, fn(&str) -> Option<&'static str>, &'static str);
const CODED: [CodeTable; 4] = [
    (
        Field::Gender,
        codes::gender_name,
        "a GB/T 2261.1 code (0 unknown, 1 male, 2 female, 9 unstated)",
    ),
    (
        Field::Ethnicity,
        codes::ethnicity_name,
        "a GB/T 3304 code (01..56, 97, 98)",
    ),
    (
        Field::IdType,
        codes::id_type_name,
        "a known ID document type (111, 113, 414, 513, 990)",
    ),
    (
        Field::CremationCertStatus,
        codes::cert_status_name,
        "a certificate status (issued 签发, reissued 补发, voided 作废)",
    ),
];

fn check_codes(f: &RecordFields, out: &mut Vec<Finding>) {
    for (field, name, table) in CODED {
        if let Some(value) = f.text(field).filter(|v| name(v).is_none()) {
            out.push(Finding::new(
                field,
                Severity::Error,
                FindingCode::CodeTable,
                format!("{value:?} is not {table}"),
            ));
        }
    }
}

struct KeyDates {
    birth: Option<NaiveDate>,
    death: Option<NaiveDate>,
}

fn check_dates(f: &RecordFields, today: NaiveDate, out: &mut Vec<Finding>) -> KeyDates {
    let mut parsed = |field: Field| -> Option<NaiveDate> {
        let text = f.get(field)?;
        let Some(d) = parse_iso(&text) else {
            out.push(Finding::new(
                field,
                Severity::Error,
                FindingCode::DateInvalid,
                format!("{text:?} is not a real calendar date in YYYY-MM-DD form"),
            ));
            return None;
        };
        if d.year() < EARLIEST_YEAR || d > today {
            out.push(Finding::new(
                field,
                Severity::Error,
                FindingCode::DateRange,
                format!("{text} is outside {EARLIEST_YEAR}-01-01..today"),
            ));
            return None;
        }
        Some(d)
    };
    let birth = parsed(Field::BirthDate);
    let death = parsed(Field::DeathDate);
    let cremation = parsed(Field::CremationDate);
    let burial = parsed(Field::BurialDate);

    let mut order = |earlier: (Field, Option<NaiveDate>), later: (Field, Option<NaiveDate>)| {
        if let (Some(a), Some(b)) = (earlier.1, later.1) {
            if b < a {
                out.push(Finding::new(
                    later.0,
                    Severity::Error,
                    FindingCode::DateOrder,
                    format!("{b} is before {} {a}", earlier.0.name()),
                ));
            }
        }
    };
    order((Field::BirthDate, birth), (Field::DeathDate, death));
    order((Field::DeathDate, death), (Field::CremationDate, cremation));
    order((Field::DeathDate, death), (Field::BurialDate, burial));
    if death.is_none() {
        order((Field::BirthDate, birth), (Field::CremationDate, cremation));
        order((Field::BirthDate, birth), (Field::BurialDate, burial));
    }
    KeyDates { birth, death }
}

fn check_id_number(f: &RecordFields, out: &mut Vec<Finding>) -> Option<IdFacts> {
    let id = f.id_number.as_deref()?;
    let is_resident_id = f.id_type.as_deref().is_none_or(|t| t == "111");
    if !is_resident_id {
        return None;
    }
    match id_number::parse(id) {
        Ok(facts) => {
            if codes::division(&facts.address_code).is_none() && codes::parents(&facts.address_code).0.is_none() {
                out.push(Finding::new(
                    Field::IdNumber,
                    Severity::Error,
                    FindingCode::IdAddress,
                    format!("address code {} names no GB/T 2260 province", facts.address_code),
                ));
            }
            Some(facts)
        }
        Err(problem) => {
            let code = match problem {
                id_number::IdProblem::Checksum { .. } => FindingCode::IdChecksum,
                id_number::IdProblem::BirthDate(_) => FindingCode::IdBirthDate,
                _ => FindingCode::IdFormat,
            };
            out.push(Finding::new(
                Field::IdNumber,
                Severity::Error,
                code,
                format!("{id} {problem}"),
            ));
            None
        }
    }
}

fn check_id_agreement(f: &RecordFields, id: &IdFacts, birth: Option<NaiveDate>, out: &mut Vec<Finding>) {
    if let Some(b) = birth {
        if b != id.birth_date {
            out.push(Finding::new(
                Field::BirthDate,
                Severity::Error,
                FindingCode::IdBirthMismatch,
                format!("{b} disagrees with the ID number's birth date {}", id.birth_date),
            ));
        }
    }
    if let Some(g) = f.gender.as_deref().filter(|g| matches!(*g, "1" | "2")) {
        if g != id.gender {
            out.push(Finding::new(
                Field::Gender,
                Severity::Error,
                FindingCode::IdSexMismatch,
                format!(
                    "{} ({}) disagrees with the ID number's sequence digit, which says {}",
                    g,
                    codes::gender_name(g).unwrap_or("?"),
                    codes::gender_name(id.gender).unwrap_or("?")
                ),
            ));
        }
    }
    if let Some(div) = &f.household_division {
        if div.len() == 6 && div[..2] != id.address_code[..2] {
            out.push(Finding::new(
                Field::HouseholdDivision,
                Severity::Warning,
                FindingCode::IdDivisionMismatch,
                format!(
                    "{div} is in another province than the ID number's address code {}",
                    id.address_code
                ),
            ));
        }
    }
}

fn check_age(f: &RecordFields, birth: Option<NaiveDate>, death: Option<NaiveDate>, out: &mut Vec<Finding>) {
    let Some(age) = f.age else { return };
    if age > MAX_AGE {
        out.push(Finding::new(
            Field::Age,
            Severity::Error,
            FindingCode::AgeRange,
            format!("{age} is beyond {MAX_AGE} years"),
        ));
        return;
    }
    if let (Some(b), Some(d)) = (birth, death) {
        let full = completed_years(b, d);
        // Ledgers write either full years or the traditional nominal age (虚岁, one more).
        if age as i32 != full && age as i32 != full + 1 {
            out.push(Finding::new(
                Field::Age,
                Severity::Error,
                FindingCode::AgeMismatch,
                format!(
                    "{age} does not agree with birth {b} and death {d} ({full} full years, {} nominal)",
                    full + 1
                ),
            ));
        }
    }
}

fn check_division(f: &RecordFields, death: Option<NaiveDate>, out: &mut Vec<Finding>) {
    let Some(code) = &f.household_division else { return };
    let Some(div) = codes::division(code) else {
        out.push(Finding::new(
            Field::HouseholdDivision,
            Severity::Error,
            FindingCode::CodeTable,
            format!("{code:?} is not a GB/T 2260 division code in any revision 2002-{LATEST_REVISION}"),
        ));
        return;
    };
    if let Some(year) = death.map(|d| d.year() as u16) {
        if div.last_seen < LATEST_REVISION && div.last_seen < year {
            out.push(Finding::new(
                Field::HouseholdDivision,
                Severity::Warning,
                FindingCode::DivisionRetired,
                format!(
                    "{code} ({}) was last listed in {}, before the death in {year}",
                    div.name, div.last_seen
                ),
            ));
        }
        if div.first_seen > year && div.first_seen > 2002 {
            out.push(Finding::new(
                Field::HouseholdDivision,
                Severity::Warning,
                FindingCode::DivisionNotYet,
                format!(
                    "{code} ({}) was first listed in {}, after the death in {year}",
                    div.name, div.first_seen
                ),
            ));
        }
    }
}

/// A mobile number (11 digits from 13x to 19x) or a landline with or without area code.
pub fn is_phone(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if !digits.bytes().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let b = digits.as_bytes();
    match b.first() {
        Some(b'1') => b.len() == 11 && (b'3'..=b'9').contains(&b[1]),
        Some(b'0') => (10..=12).contains(&b.len()),
        Some(_) => (7..=8).contains(&b.len()),
        None => false,
    }
}

fn check_phone(f: &RecordFields, out: &mut Vec<Finding>) {
    if let Some(p) = &f.family_phone {
        if !is_phone(p) {
            out.push(Finding::new(
                Field::FamilyPhone,
                Severity::Error,
                FindingCode::PhoneShape,
                format!("{p:?} is neither an 11-digit mobile number nor a landline number"),
            ));
        }
    }
}

/// Whether the findings leave the record acceptable (no errors).
pub fn is_acceptable(findings: &[Finding]) -> bool {
    findings.iter().all(|f| f.severity < Severity::Error)
}
