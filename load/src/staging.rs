//! Rows on their way into a table through the engine's bulk path, in two steps: a
//! [`Stager`] turns built rows into what the engine reads in bulk (a Parquet file for
//! DuckDB, a binary COPY stream for PostgreSQL) on any thread, away from the connection;
//! [`crate::Database::insert`] then hands it to the engine. A load stages its next table
//! while the engine inserts the one before.

use std::path::PathBuf;

use anyhow::{Context, Result};
use duckdb::Connection;

use crate::tables::{Rows, Table};
use crate::{arrow_batch, pg, UtcTime};

/// Makes staged rows for one database; `Send` and `Sync`, so it works beside the
/// connection.
pub enum Stager {
    /// Parquet files in DuckDB's temporary directory (made here when missing, and removed
    /// again, if empty, when the stager goes).
    DuckDb {
        dir: PathBuf,
        made_dir: bool,
        at: UtcTime,
    },
    Postgres {
        at: UtcTime,
    },
}

/// Rows ready for one bulk insert.
pub enum Staged {
    /// A Parquet file for `INSERT … SELECT FROM read_parquet`, and the per-write constants
    /// and the stamp the `SELECT` adds.
    DuckDb {
        table: &'static Table,
        file: tempfile::NamedTempFile,
        constants: Vec<Option<String>>,
        at: UtcTime,
    },
    /// A binary COPY stream; every row already ends with the constants and the stamp.
    Postgres { table: &'static Table, copy: Vec<u8> },
}

impl Stager {
    pub(crate) fn for_duckdb(conn: &Connection, at: UtcTime) -> Result<Stager> {
        let dir = staging_dir(conn)?;
        let made_dir = !dir.exists();
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Stager::DuckDb { dir, made_dir, at })
    }

    /// Stages `rows`; `constants` fill the table's per-write columns, the stager's time
    /// its stamp column. `None` when there are no rows.
    pub fn stage(&self, rows: &Rows, constants: &[Option<&str>]) -> Result<Option<Staged>> {
        let table = rows.table;
        assert_eq!(constants.len(), table.constants.len(), "constants of {}", table.name);
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(match self {
            Stager::DuckDb { dir, at, .. } => {
                let file = tempfile::Builder::new()
                    .prefix(&format!("{STAGING_PREFIX}{}-", table.name))
                    .suffix(".parquet")
                    .tempfile_in(dir)
                    .with_context(|| format!("cannot create a staging file in {}", dir.display()))?;
                arrow_batch::write_parquet(table, &rows.cells, file.as_file())
                    .with_context(|| format!("{}: writing the staged {} rows", file.path().display(), table.name))?;
                Staged::DuckDb {
                    table,
                    file,
                    constants: constants.iter().map(|c| c.map(str::to_string)).collect(),
                    at: *at,
                }
            }
            Stager::Postgres { at } => Staged::Postgres {
                table,
                copy: pg::encode_copy(rows, constants, *at)?,
            },
        }))
    }
}

impl Drop for Stager {
    fn drop(&mut self) {
        if let Stager::DuckDb {
            dir, made_dir: true, ..
        } = self
        {
            // Only if empty: DuckDB may have spilled into it meanwhile.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// DuckDB's bulk path (for [`crate::Database::insert`]): one `INSERT … SELECT FROM
/// read_parquet` adding the per-write constants and the stamp `at`, the path DuckDB's own bulk loads take,
/// read in parallel a row group at a time. (Appending the same columns through DuckDB's
/// Arrow appender to a staging table took 5.5 s of a 1M-record load on one core.) The
/// file is removed afterwards, inserted or not.
pub(crate) fn insert_parquet(
    conn: &Connection,
    table: &Table,
    file: tempfile::NamedTempFile,
    constants: &[Option<String>],
    at: UtcTime,
) -> Result<u64> {
    let selected: Vec<String> = table
        .columns
        .iter()
        .map(|(c, _)| c.to_string())
        .chain((1..=constants.len()).map(|i| format!("${i}")))
        .chain([format!("CAST(${} AS TIMESTAMP)", constants.len() + 1)])
        .collect();
    let values = constants.iter().cloned().chain([Some(at.sql_text())]);
    let path = file.path().display().to_string().replace('\'', "''");
    let n = conn.execute(
        &format!(
            "INSERT INTO {} ({}) SELECT {} FROM read_parquet('{path}')",
            table.name,
            table.all_columns().join(", "),
            selected.join(", ")
        ),
        duckdb::params_from_iter(values),
    )?;
    Ok(n as u64)
}

/// Staging files a killed writer left. Only one process writes a DuckDB file, and this
/// one has just opened it for writing: any staging file there is no one's.
pub(crate) fn remove_stale_staging(conn: &Connection) -> Result<()> {
    let dir = staging_dir(conn)?;
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(STAGING_PREFIX) && name.ends_with(".parquet") {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove the stale staging file {}", entry.path().display()))?;
        }
    }
    // Only if empty: DuckDB may keep files of its own there.
    let _ = std::fs::remove_dir(&dir);
    Ok(())
}

/// The name every staging file starts with.
const STAGING_PREFIX: &str = "ledgerline-";

/// Where DuckDB keeps its own temporary files: by default `<database>.tmp`, beside the
/// database, on the disk that must hold the rows anyway (the system's temporary
/// directory may be a small RAM disk); the system's for an in-memory database.
pub(crate) fn staging_dir(conn: &Connection) -> Result<PathBuf> {
    let configured: String = conn.query_row("SELECT current_setting('temp_directory')", [], |r| r.get(0))?;
    Ok(if configured.is_empty() {
        std::env::temp_dir()
    } else {
        PathBuf::from(configured)
    })
}
