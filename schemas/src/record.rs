//! The record types. The list of content fields is written once, in [`record_fields!`],
//! which generates the struct, the [`Field`] enum and the by-name accessors, so the
//! serde form, the Arrow schema and the validators can never disagree on a field name.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::validate::Finding;

/// Per-field confidence, `0.0..=1.0`, keyed by field name.
pub type Confidence = BTreeMap<String, f32>;

/// A field value's text form.
trait AsText {
    fn as_text(&self) -> Cow<'_, str>;
}

impl AsText for String {
    fn as_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl AsText for u32 {
    fn as_text(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }
}

macro_rules! record_fields {
    ($( $(#[$doc:meta])* $name:ident : $ty:ty => $variant:ident ),* $(,)?) => {
        /// The content of a ledger row in canonical form; every field is optional.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct RecordFields {
            $( $(#[$doc])* #[serde(default, skip_serializing_if = "Option::is_none")]
               pub $name: Option<$ty>, )*
        }

        /// A content field of [`RecordFields`], by name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Field { $( $variant ),* }

        impl Field {
            pub const ALL: &'static [Field] = &[ $( Field::$variant ),* ];

            pub fn name(self) -> &'static str {
                match self { $( Field::$variant => stringify!($name) ),* }
            }

            pub fn from_name(name: &str) -> Option<Field> {
                match name { $( stringify!($name) => Some(Field::$variant), )* _ => None }
            }
        }

        impl RecordFields {
            /// The field's value as text (the age as its decimal digits).
            pub fn get(&self, field: Field) -> Option<String> {
                self.text(field).map(Cow::into_owned)
            }

            /// The field's value as text, borrowed where it is text already: comparing
            /// or hashing a million records' fields copies none of them.
            pub fn text(&self, field: Field) -> Option<Cow<'_, str>> {
                match field { $( Field::$variant => self.$name.as_ref().map(AsText::as_text) ),* }
            }

            /// Sets a field from text; `None` or an unparsable age clears it and says so.
            pub fn set(&mut self, field: Field, value: Option<&str>) -> Result<(), String> {
                match field {
                    $( Field::$variant => {
                        self.$name = match value {
                            None => None,
                            Some(v) => Some(v.parse::<$ty>().map_err(|_| {
                                format!("{}: {:?} is not a valid value", stringify!($name), v)
                            })?),
                        };
                    } )*
                }
                Ok(())
            }
        }
    };
}

record_fields! {
    /// 逝者姓名.
    deceased_name: String => DeceasedName,
    /// GB/T 2261.1: `0` unknown, `1` male, `2` female, `9` unstated.
    gender: String => Gender,
    /// GB/T 3304 two-digit code, `01` = 汉.
    ethnicity: String => Ethnicity,
    /// Age at death in years as written in the ledger.
    age: u32 => Age,
    /// ID document type; `111` 居民身份证 when absent.
    id_type: String => IdType,
    id_number: String => IdNumber,
    birth_date: String => BirthDate,
    death_date: String => DeathDate,
    death_cause: String => DeathCause,
    death_place: String => DeathPlace,
    /// 户籍地址 / 住址 as written.
    household_address: String => HouseholdAddress,
    /// GB/T 2260 six-digit division code of the household address.
    household_division: String => HouseholdDivision,
    cremation_date: String => CremationDate,
    cremation_cert_no: String => CremationCertNo,
    /// Where the cremation certificate stands: `issued`, `reissued` (补发) or `voided`
    /// (作废); absent when the ledger does not say.
    cremation_cert_status: String => CremationCertStatus,
    ashes_disposition: String => AshesDisposition,
    burial_date: String => BurialDate,
    grave_number: String => GraveNumber,
    cemetery_name: String => CemeteryName,
    /// 家属 / 经办人 / 承办人: the family member or agent who handled the funeral.
    family_name: String => FamilyName,
    family_relation: String => FamilyRelation,
    family_phone: String => FamilyPhone,
    agency_name: String => AgencyName,
}

impl Field {
    /// Fields holding `YYYY-MM-DD` dates.
    pub const DATES: &'static [Field] = &[
        Field::BirthDate,
        Field::DeathDate,
        Field::CremationDate,
        Field::BurialDate,
    ];

    pub fn is_date(self) -> bool {
        Self::DATES.contains(&self)
    }
}

impl RecordFields {
    /// Sets a field to what a person typed, in the field's standard form
    /// ([`crate::written::standard_form`]: 女 → `2`, 2013年4月11日 → `2013-04-11`).
    pub fn set_written(&mut self, field: Field, typed: Option<&str>) -> Result<(), String> {
        let standard = typed.map(|t| crate::written::standard_form(field, t));
        self.set(field, standard.as_deref())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordType {
    Cremation,
    Burial,
}

impl RecordType {
    pub const ALL: [RecordType; 2] = [RecordType::Cremation, RecordType::Burial];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::Cremation => "cremation",
            RecordType::Burial => "burial",
        }
    }
}

/// Where a record was read: batch, page file name and 1-based row on the page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Source {
    pub batch: String,
    pub page: String,
    pub row: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Accepted by the machine: every field confident and valid.
    #[default]
    Machine,
    NeedsReview,
    Verified,
    Rejected,
}

impl ReviewStatus {
    pub const ALL: [ReviewStatus; 4] = [
        ReviewStatus::Machine,
        ReviewStatus::NeedsReview,
        ReviewStatus::Verified,
        ReviewStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Machine => "machine",
            ReviewStatus::NeedsReview => "needs_review",
            ReviewStatus::Verified => "verified",
            ReviewStatus::Rejected => "rejected",
        }
    }

    /// Whether a person settled the record (verified or rejected it): what the machine
    /// settles again leaves it as it is.
    pub fn settled_by_a_person(self) -> bool {
        matches!(self, ReviewStatus::Verified | ReviewStatus::Rejected)
    }
}

/// The review state of a record and what validation found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub status: ReviewStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<String>,
}

/// One canonical record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Stable across re-runs: derived from the page's content hash and the row.
    pub record_id: String,
    pub record_type: RecordType,
    #[serde(flatten)]
    pub fields: RecordFields,
    /// The person this record belongs to, once deduplication has run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    pub source: Source,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub confidence: Confidence,
    #[serde(default)]
    pub review: Review,
    /// Columns the ledger had that the schema does not: header text → cell text.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_fields: BTreeMap<String, String>,
}

/// One row of a synthetic batch's `truth.jsonl`: what is written on the page, in
/// canonical form, plus the person it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthRow {
    pub page: String,
    pub row: u32,
    pub record_type: RecordType,
    pub person_id: String,
    #[serde(flatten)]
    pub fields: RecordFields,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_round_trip() {
        for f in Field::ALL {
            assert_eq!(Field::from_name(f.name()), Some(*f));
        }
        assert_eq!(Field::ALL.len(), 23);
    }

    #[test]
    fn set_and_get_by_name() {
        let mut r = RecordFields::default();
        r.set(Field::Age, Some("81")).unwrap();
        r.set(Field::DeceasedName, Some("王秀英")).unwrap();
        assert_eq!(r.age, Some(81));
        assert_eq!(r.get(Field::DeceasedName).as_deref(), Some("王秀英"));
        assert!(r.set(Field::Age, Some("八十")).unwrap_err().contains("age"));
    }
}
