//! The provincial and national basic funeral databases ledgerline loads into: their
//! schema (versioned DDL in `schemas/province/`), how a target is named on the command
//! line, and reading the persons a database already holds, live or backfilled, so new
//! records link to them instead of duplicating them.

use std::path::{Path, PathBuf};

pub mod backfill;
pub mod exchange;
pub mod live;
pub mod sampling;

use anyhow::{bail, Context, Result};
use duckdb::{AccessMode, Config, Connection};
use ledgerline_schemas::RecordFields;
use ledgerline_store::migrations::{apply_list, Migration};

/// The basic database's schema versions, never edited once released.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "agencies, deceased, agents, cremations, burials, conflicts, loads",
    sql: include_str!("../../schemas/province/0001_basic.sql"),
}];

const VERSION_TABLE: &str = "basic_schema_migrations";

/// A basic database as named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `duckdb:PATH`, or a plain path: an embedded database file.
    DuckDb(PathBuf),
}

impl Target {
    pub fn parse(text: &str) -> Result<Target> {
        if let Some(path) = text.strip_prefix("duckdb:") {
            if path.is_empty() {
                bail!("{text}: a DuckDB target needs a path, as in duckdb:province.duckdb");
            }
            return Ok(Target::DuckDb(PathBuf::from(path)));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            bail!("{text}: PostgreSQL targets are not available in this build; use duckdb:PATH");
        }
        if text.contains("://") {
            bail!("{text}: unknown target; use duckdb:PATH");
        }
        Ok(Target::DuckDb(PathBuf::from(text)))
    }

    fn path(&self) -> &Path {
        match self {
            Target::DuckDb(p) => p,
        }
    }

    /// Opens the database for writing, creating it and applying pending schema versions.
    pub fn open_for_writing(&self) -> Result<Connection> {
        let path = self.path();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let conn = Connection::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        apply_list(&conn, MIGRATIONS, VERSION_TABLE, &path.display().to_string())?;
        Ok(conn)
    }

    /// Opens an existing database read-only (others may be loading into it meanwhile).
    pub fn open_for_reading(&self) -> Result<Connection> {
        let path = self.path();
        if !path.is_file() {
            bail!("{}: no such database file", path.display());
        }
        let config = Config::default().access_mode(AccessMode::ReadOnly)?;
        let conn = Connection::open_with_flags(path, config)
            .with_context(|| format!("cannot open {} read-only", path.display()))?;
        let version: Option<i32> = conn
            .query_row(&format!("SELECT max(version) FROM {VERSION_TABLE}"), [], |r| r.get(0))
            .ok()
            .flatten();
        match version {
            None => bail!(
                "{}: not a basic funeral database (no {VERSION_TABLE} table)",
                path.display()
            ),
            Some(v) if v > MIGRATIONS.len() as i32 => {
                bail!(
                    "{}: schema version {v} is newer than this ledgerline knows",
                    path.display()
                )
            }
            Some(_) => Ok(conn),
        }
    }
}

/// A person the database already holds, in the record form linkage compares.
#[derive(Debug, Clone)]
pub struct DbPerson {
    pub person_id: String,
    /// `live` or `paper_backfill`.
    pub origin: String,
    pub fields: RecordFields,
}

/// Every deceased person with the first agent's name (the ledgers' 家属/承办人).
pub fn read_persons(conn: &Connection) -> Result<Vec<DbPerson>> {
    let mut stmt = conn.prepare(
        "SELECT d.person_id, d.origin, d.name, d.gender, d.id_number,
                CAST(d.birth_date AS VARCHAR), CAST(d.death_date AS VARCHAR),
                d.household_address, d.household_division,
                (SELECT a.name FROM agents a WHERE a.person_id = d.person_id ORDER BY a.loaded_at LIMIT 1)
         FROM deceased d ORDER BY d.person_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(DbPerson {
            person_id: r.get(0)?,
            origin: r.get(1)?,
            fields: RecordFields {
                deceased_name: r.get(2)?,
                gender: r.get(3)?,
                id_number: r.get(4)?,
                birth_date: r.get(5)?,
                death_date: r.get(6)?,
                household_address: r.get(7)?,
                household_division: r.get(8)?,
                family_name: r.get(9)?,
                ..Default::default()
            },
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(
            Target::parse("duckdb:/x/p.duckdb").unwrap(),
            Target::DuckDb("/x/p.duckdb".into())
        );
        assert_eq!(Target::parse("p.duckdb").unwrap(), Target::DuckDb("p.duckdb".into()));
        assert!(Target::parse("duckdb:").is_err());
        assert!(Target::parse("mysql://h/db").is_err());
    }

    #[test]
    fn schema_applies_and_persons_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::parse(&format!("duckdb:{}", dir.path().join("p.duckdb").display())).unwrap();
        {
            let c = target.open_for_writing().unwrap();
            c.execute_batch(
                "INSERT INTO deceased (person_id, name, gender, id_number, birth_date, death_date, origin, source_key, loaded_at)
                 VALUES ('L1', '王秀英', '2', '34052419800101001X', DATE '1980-01-01', DATE '2013-03-05', 'live', 'SZ320981-2013-000001', now());
                 INSERT INTO agents (person_id, name, origin, source_key, loaded_at) VALUES ('L1', '李建国', 'live', 'SZ320981-2013-000001', now());",
            )
            .unwrap();
        }
        // Reopening applies nothing twice.
        drop(target.open_for_writing().unwrap());
        let persons = read_persons(&target.open_for_reading().unwrap()).unwrap();
        assert_eq!(persons.len(), 1);
        assert_eq!(persons[0].fields.birth_date.as_deref(), Some("1980-01-01"));
        assert_eq!(persons[0].fields.family_name.as_deref(), Some("李建国"));
        let missing = Target::DuckDb(dir.path().join("nope.duckdb"));
        assert!(missing
            .open_for_reading()
            .unwrap_err()
            .to_string()
            .contains("no such database"));
    }
}
