//! Opening a DuckDB database file that may not exist yet, so that it comes into being whole.
//!
//! DuckDB creates a database by making the file and then writing its headers. A process
//! killed between the two left a file DuckDB then refused for good ("exists, but it is not
//! a valid DuckDB database file"), and every later command on that workspace or basic
//! database failed, where a kill is promised to leave things as before. So a new database
//! is made under a hidden name beside the path, given its schema, closed, and renamed into
//! place: the path names nothing, or a database with its schema.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use duckdb::Connection;

/// Opens the database at `path`. When there is none (no file, or an empty one, which
/// holds nothing), it is made first: `init` is run on it under a hidden name, and only
/// a database `init` finished is put in place. Processes creating the same path at
/// once take turns; the later ones open what the first made.
pub fn open_or_create(path: &Path, init: impl FnOnce(&Connection) -> Result<()>) -> Result<Connection> {
    if !holds_database(path) {
        create(path, init)?;
    }
    Connection::open(path).with_context(|| format!("cannot open {}", path.display()))
}

/// Whether a file is there with something in it.
fn holds_database(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file() && m.len() > 0)
}

fn create(path: &Path, init: impl FnOnce(&Connection) -> Result<()>) -> Result<()> {
    let lock_path = beside(path, "creating")?;
    let lock = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    File::lock(&lock).with_context(|| format!("cannot lock {}", lock_path.display()))?;
    // Another process may have made it while this one waited.
    if holds_database(path) {
        return Ok(());
    }
    let new = beside(path, "new")?;
    // What a creation killed before its rename left.
    for leftover in [new.clone(), wal_of(&new)] {
        if leftover.exists() {
            std::fs::remove_file(&leftover).with_context(|| format!("cannot remove {}", leftover.display()))?;
        }
    }
    let conn = Connection::open(&new).with_context(|| format!("cannot create {}", new.display()))?;
    init(&conn).with_context(|| format!("setting up the new database {}", path.display()))?;
    // Closing checkpoints: the file then holds everything, with no write-ahead log beside.
    conn.close()
        .map_err(|(_, e)| e)
        .with_context(|| format!("closing the new database {}", new.display()))?;
    std::fs::rename(&new, path).with_context(|| format!("cannot put {} in place", path.display()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename is durable once the folder is.
        File::open(dir).and_then(|d| d.sync_all()).ok();
    }
    // Safe to remove while others wait on it: each one, once it holds the lock, finds
    // the database there and opens it.
    std::fs::remove_file(&lock_path).ok();
    Ok(())
}

/// A hidden name beside `path` (the same folder, so a rename is atomic).
fn beside(path: &Path, what: &str) -> Result<PathBuf> {
    crate::hidden_beside(path, what).with_context(|| format!("{}: names no database file", path.display()))
}

/// DuckDB's write-ahead log of a database file.
fn wal_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".wal");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_count(conn: &Connection) -> i64 {
        conn.query_row("SELECT count(*) FROM information_schema.tables", [], |r| r.get(0))
            .unwrap()
    }

    fn make_table(c: &Connection) -> Result<()> {
        c.execute_batch("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)")?;
        Ok(())
    }

    /// A creation that stops half way (here `init` fails after its first statement; a
    /// kill is the same) leaves no file at the path, and the next open makes it whole.
    #[test]
    fn a_creation_stopped_half_way_leaves_nothing_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("basic.duckdb");
        let stopped = open_or_create(&path, |c| {
            c.execute_batch("CREATE TABLE t (a INTEGER)")?;
            anyhow::bail!("stopped")
        });
        assert!(stopped.is_err());
        assert!(!path.exists(), "a half-made database was left in place");
        let conn = open_or_create(&path, make_table).unwrap();
        assert_eq!(
            conn.query_row("SELECT sum(a) FROM t", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            1
        );
    }

    /// An empty file (what a process killed between creating the file and writing its
    /// headers left, before databases were made aside) is made into a database.
    #[test]
    fn an_empty_file_is_made_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledgerline.duckdb");
        File::create(&path).unwrap();
        let conn = open_or_create(&path, make_table).unwrap();
        assert_eq!(table_count(&conn), 1);
        drop(conn);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["ledgerline.duckdb"], "nothing else is left beside it");
    }

    /// A database already there is opened as it is: `init` is for new ones only.
    #[test]
    fn a_database_there_is_opened_not_remade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("basic.duckdb");
        drop(open_or_create(&path, make_table).unwrap());
        let conn = open_or_create(&path, |_| anyhow::bail!("init ran again")).unwrap();
        assert_eq!(
            conn.query_row("SELECT sum(a) FROM t", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            1
        );
    }
}
