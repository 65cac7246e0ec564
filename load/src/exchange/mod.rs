//! Exchange packages between basic databases (province → nation): the entities of
//! MZ/T 141-2019 (DeadInformation, ContactInformation, InstitutionData) and the funeral
//! events, as Parquet files written by DuckDB, with a manifest naming the province, the
//! row count and SHA-256 of every file, and the schema version. Import checks the
//! manifest and every checksum before touching the database, then loads all tables in
//! one transaction, adding only rows the database does not already hold, and gives each
//! person the values of the latest corrections held of them.
//!
//! DuckDB reads and writes the Parquet files in both deployments. A PostgreSQL database
//! is bridged with its own `COPY … (FORMAT csv)`: the rows a package holds are copied out
//! (filtered by `--since` on the server) into CSV files that an in-memory DuckDB turns
//! into Parquet as it reads them, typed as the schema types the tables; imported files
//! are turned into CSV by
//! DuckDB, copied into temporary tables shaped `LIKE` the real ones, and added with the
//! same "only rows not held" statements as on DuckDB.

pub mod encryption;
mod export;
mod import;
mod key_table;
pub mod order;
mod scratch;
pub mod send_to;
pub mod signing;

pub use export::{export, parse_since, Exported};
use import::{check_contents, check_package};
pub use import::{import, verify, Imported, Verified};

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MANIFEST: &str = "manifest.json";
pub const STANDARD: &str = "MZ/T 141-2019";

/// The schema version a manifest names: the latest that changed a table a package
/// carries (or `unloads`, which its withdrawn loads come from). The versions after it
/// changed only tables a database keeps to itself (its keys), so a national database a
/// version behind its provinces still takes their packages: a package is refused for
/// its version only when its files are of a shape the importer does not know.
pub const PACKAGE_SCHEMA_VERSION: i32 = 6;

/// The exchanged tables, each with the entity it carries: MZ/T 141's, and ledgerline's
/// for the corrections of persons' rows exchanged before (a row is sent once: a value
/// the DBA changed later travels as a correction) and for the province's links between
/// the persons of one death and its decisions on them (see `links::follow`). An import
/// takes the files in this order: links last, once their persons are held.
const TABLES: [(&str, &str); 7] = [
    ("agencies", "InstitutionData"),
    ("deceased", "DeadInformation"),
    ("agents", "ContactInformation"),
    ("cremations", "CremationInformation"),
    ("burials", "BurialInformation"),
    ("corrections", "DeadInformationCorrection"),
    ("person_links", "DeadInformationLink"),
];

/// The columns a table's rows are stamped in, which `--since` compares (a row travels
/// when any of them is later); none for a table whose rows say no time (all of its rows
/// travel in every package). A link taken back travels again, as taken back.
fn stamps_of(table: &str) -> &'static [&'static str] {
    match table {
        "agencies" => &[],
        "corrections" => &["corrected_at"],
        "person_links" => &["linked_at", "unlinked_at"],
        _ => &["loaded_at"],
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    pub name: String,
    pub table: String,
    pub entity: String,
    pub rows: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub standard: String,
    pub province: String,
    pub schema_version: i32,
    pub exported_at: String,
    /// Only rows loaded after this time, if given.
    pub since: Option<String>,
    pub files: Vec<FileEntry>,
    /// Loads the province took out again (`ledgerline unload`) after `since` (every one,
    /// without it): an import takes their rows out too, before it adds the package's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withdrawn_loads: Vec<WithdrawnLoad>,
    /// How the files are encrypted, and for which receiving key, if they are (see
    /// [`encryption`]); each file's name then ends in `.enc` and its `sha256` is of the
    /// file as encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<encryption::Encryption>,
}

/// The name of a table's file in a package: its Parquet file's, with [`encryption::SUFFIX`]
/// if the package is encrypted.
fn package_file_name(table: &str, encrypted: bool) -> String {
    let suffix = if encrypted { encryption::SUFFIX } else { "" };
    format!("{}{suffix}", parquet_name(table))
}

/// The name of a table's Parquet file: in a package not encrypted, and as an encrypted
/// one is read once decrypted.
fn parquet_name(table: &str) -> String {
    format!("{table}.parquet")
}

/// A load taken out of the exporting database.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WithdrawnLoad {
    pub load_id: String,
    pub batch_id: Option<String>,
    /// When, RFC 3339 in UTC.
    pub unloaded_at: String,
}

/// `--province`: the two digits of a province in GB/T 2260 (37 山东).
fn check_province(province: &str) -> Result<()> {
    let name = (province.len() == 2)
        .then(|| ledgerline_schemas::codes::division(&format!("{province}0000")))
        .flatten();
    if name.is_none() {
        anyhow::bail!("--province {province:?}: not the two-digit GB/T 2260 code of a province (37 is 山东, 11 北京)");
    }
    Ok(())
}

pub(crate) fn sha256_of(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

pub(crate) fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// An empty in-memory DuckDB database with this ledgerline's basic schema: the tables a
/// package's files are typed as and checked against.
pub(crate) fn in_memory_schema(what: &str) -> Result<duckdb::Connection> {
    let conn = duckdb::Connection::open_in_memory()?;
    ledgerline_store::migrations::apply_list(&conn, crate::MIGRATIONS, crate::VERSION_TABLE, what)?;
    Ok(conn)
}

/// The columns of `table` in [`in_memory_schema`]'s database, in order, each with its
/// type as DuckDB names it (`VARCHAR`, `DATE` ...).
pub(crate) fn schema_columns(conn: &duckdb::Connection, table: &str) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT column_name, data_type FROM information_schema.columns
         WHERE table_name = ? ORDER BY ordinal_position",
    )?;
    let columns = stmt.query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(columns.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MIGRATIONS;

    /// A migration after [`PACKAGE_SCHEMA_VERSION`] that names a table a package carries
    /// (outside its comments) changes what packages hold: the constant must follow it.
    #[test]
    fn no_schema_version_after_the_packages_one_touches_what_packages_carry() {
        let carried: Vec<&str> = TABLES.iter().map(|(t, _)| *t).chain(["unloads"]).collect();
        let names = |sql: &str| -> Vec<String> {
            sql.lines()
                .map(|line| line.split("--").next().unwrap_or_default())
                .flat_map(|code| code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
                .map(str::to_ascii_lowercase)
                .collect()
        };
        let touching = |version: i32| {
            let m = MIGRATIONS.iter().find(|m| m.version == version).unwrap();
            names(m.sql).into_iter().any(|name| carried.contains(&name.as_str()))
        };
        assert!(touching(PACKAGE_SCHEMA_VERSION));
        for m in MIGRATIONS.iter().filter(|m| m.version > PACKAGE_SCHEMA_VERSION) {
            assert!(
                !touching(m.version),
                "schema version {} ({}) changes a table packages carry: PACKAGE_SCHEMA_VERSION is {} at least",
                m.version,
                m.name,
                m.version
            );
        }
    }
}
