//! Every kind of finding a record can carry, named once: validation's and those OCR's
//! repairs and checks add. A finding's `code` is one of these strings, stable for
//! scripts; the review app labels each in Chinese (a test checks it has every one).

macro_rules! finding_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $code:literal,)*) => {
        /// What a finding is about.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FindingCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl FindingCode {
            pub const ALL: &'static [FindingCode] = &[$(FindingCode::$variant),*];

            /// The code as findings carry it (`id_checksum`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(FindingCode::$variant => $code,)*
                }
            }
        }
    };
}

finding_codes! {
    // Validation (validate.rs).
    /// `source.row` is 0.
    SourceRow => "source_row",
    /// A confidence names no field or lies outside 0..1.
    Confidence => "confidence",
    /// A sex, ethnicity or ID document type not in its national code table.
    CodeTable => "code_table",
    DateInvalid => "date_invalid",
    DateRange => "date_range",
    DateOrder => "date_order",
    IdFormat => "id_format",
    IdChecksum => "id_checksum",
    IdBirthDate => "id_birth_date",
    IdAddress => "id_address",
    IdBirthMismatch => "id_birth_mismatch",
    IdSexMismatch => "id_sex_mismatch",
    IdDivisionMismatch => "id_division_mismatch",
    AgeRange => "age_range",
    AgeMismatch => "age_mismatch",
    DivisionRetired => "division_retired",
    DivisionNotYet => "division_not_yet",
    PhoneShape => "phone_shape",
    /// A line of a records file that is no record (`ledgerline validate`).
    NotARecord => "not_a_record",
    // OCR (ocr/).
    /// A cell with writing no reading could be taken from.
    Unreadable => "unreadable",
    /// A column whose header names no field.
    UnlabelledColumn => "unlabelled_column",
    /// The table's rules run on past the columns found: the row was read short.
    ColumnsMissed => "columns_missed",
    IdRepaired => "id_repaired",
    DivisionRepaired => "division_repaired",
    DateRepaired => "date_repaired",
    DatesDisagree => "dates_disagree",
    GenderFromId => "gender_from_id",
    AgeFromId => "age_from_id",
    PatternRepaired => "pattern_repaired",
    ColumnWord => "column_word",
    CemeteryEnding => "cemetery_ending",
    BatchWord => "batch_word",
    /// An ID number its row could not repair, taken from another page of the batch.
    IdFromBatch => "id_from_batch",
    /// A field read the same on another page of the batch, in the row with the same ID
    /// number.
    ConfirmedAcrossPages => "confirmed_across_pages",
    /// A name or date of death read sure, and read otherwise, sure, in the row with the
    /// same ID number on another page of the batch.
    ContradictedAcrossPages => "contradicted_across_pages",
    /// A grave number in a zone no other grave number of its batch is in.
    LoneGraveZone => "lone_grave_zone",
    /// An address that begins with a county one character from the one where the row's
    /// ID number was registered.
    IdDivisionLookalike => "id_division_lookalike",
}

impl FindingCode {
    /// The code a finding carries, if it is one of these.
    pub fn named(code: &str) -> Option<FindingCode> {
        FindingCode::ALL.iter().copied().find(|c| c.as_str() == code)
    }

    /// Whether reading the page found it (OCR's repairs and checks), not validation of
    /// the values: validation is found again from the values as they stand; what the
    /// reading found is known only from the reading.
    pub fn from_reading(self) -> bool {
        // Validation's codes are listed first, OCR's from `Unreadable` on.
        self as usize >= FindingCode::Unreadable as usize
    }
}
