//! The canonical ledgerline record.
//!
//! Every pipeline stage produces or reads [`Record`]s. Three descriptions of it are kept
//! in agreement, and tests check that they are: the serde types here, the Arrow schema
//! ([`arrow::record_schema`]) used for columnar storage and Parquet exchange, and the
//! JSON Schema file `schemas/record.schema.json` that outside tools validate against.
//!
//! Validation ([`validate`]) knows the national standards a record must meet: GB 11643
//! resident ID numbers, GB/T 2261.1 sex codes, GB/T 3304 ethnicity codes and GB/T 2260
//! administrative divisions.

pub mod arrow;
pub mod codes;
pub mod date;
pub mod finding_code;
pub mod id_number;
pub mod lookalike;
pub mod manifest;
pub mod radical;
pub mod record;
pub mod validate;
pub mod written;

pub use manifest::{BatchManifest, LedgerType, ManifestError};
pub use record::{Confidence, Field, Record, RecordFields, RecordType, Review, ReviewStatus, Source, TruthRow};
pub use validate::{validate, validate_fields, Finding, FindingCode, Severity};

/// The JSON Schema of one record, as shipped in `schemas/record.schema.json`.
pub const RECORD_JSON_SCHEMA: &str = include_str!("../record.schema.json");

/// Version of the record schema; bumped when a field is added, renamed or retyped.
pub const SCHEMA_VERSION: &str = "1.1.0";
