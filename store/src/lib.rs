//! The ledgerline workspace: a folder holding an embedded DuckDB database
//! (`ledgerline.duckdb`) with the pipeline's state, shared safely between processes.
//!
//! Open a [`Workspace`] once per process; do every unit of database work inside
//! [`Workspace::with_store`], which holds the cross-process [`lock`] only for that unit.

pub mod duckdb_file;
pub mod lock;
pub mod migrations;
pub mod pages;
pub mod persons;
pub mod records;
pub mod review;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use duckdb::Connection;

pub use lock::{LockError, StoreLock};

/// The default workspace folder, relative to the current directory.
pub const DEFAULT_WORKSPACE: &str = "ledgerline-ws";
const DB_FILE: &str = "ledgerline.duckdb";

/// Where to make `out` (a file or a folder) before renaming it over `out` once whole, so
/// that a killed or failed writer leaves no half of it: a hidden name beside it (the same
/// folder, so the rename is atomic), this process's own. `None` for a path that names no
/// file, such as `/`.
pub fn partial_beside(out: &Path) -> Option<PathBuf> {
    hidden_beside(out, &format!("partial-{}", std::process::id()))
}

/// Removes what killed writers left beside `out` ([`partial_beside`]): the half-made
/// files and folders of processes no longer running, which nothing else would ever
/// remove (a killed exchange export's package can be gigabytes). What a running process
/// is writing is left alone. Where running processes cannot be told (no `/proc`),
/// nothing is removed. How many were.
pub fn remove_stale_partials(out: &Path) -> std::io::Result<usize> {
    let proc_fs = Path::new("/proc");
    // Named as `partial_beside` names them: a process id after this.
    let Some(partial) = hidden_beside(out, "partial-").filter(|_| proc_fs.join("self").exists()) else {
        return Ok(0);
    };
    let folder = match partial.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let prefix = partial.file_name().unwrap_or_default().to_string_lossy();
    // A folder not made yet holds nothing left (`--out` may name one to be made).
    let entries = match std::fs::read_dir(folder) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        entries => entries?,
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix.as_ref()))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if proc_fs.join(pid.to_string()).exists() {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
        removed += 1;
    }
    Ok(removed)
}

/// `.NAME.WHAT` beside `path` (the same folder, so a rename from it is atomic); `None`
/// for a path that names no file.
pub(crate) fn hidden_beside(path: &Path, what: &str) -> Option<PathBuf> {
    let name = path.file_name()?;
    Some(path.with_file_name(format!(".{}.{what}", name.to_string_lossy())))
}

/// How long a process waits for another to finish its unit of work before giving up.
fn lock_timeout() -> Duration {
    std::env::var("LEDGERLINE_LOCK_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(120))
}

#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    /// Opens (creating if needed) the workspace at `root` and applies pending migrations.
    pub fn open(root: &Path) -> Result<Workspace> {
        std::fs::create_dir_all(root).with_context(|| format!("cannot create workspace folder {}", root.display()))?;
        let ws = Workspace {
            root: root.to_path_buf(),
        };
        ws.with_store(|conn| migrations::apply(conn).map(drop))
            .with_context(|| format!("cannot open workspace {}", root.display()))?;
        Ok(ws)
    }

    /// Opens the workspace at `root`, which must be one already: for the commands that
    /// read what earlier stages stored. Opened with [`Workspace::open`], a mistyped path
    /// became a new, empty workspace, and the command reported nothing there (`status`:
    /// no batches yet; `merge` of a mistyped shard: nothing to add) instead of the typo.
    pub fn open_existing(root: &Path) -> Result<Workspace> {
        if !root.join(DB_FILE).is_file() {
            anyhow::bail!(
                "{}: no ledgerline workspace there (no {DB_FILE}). `ledgerline run BATCH_DIR` or \
                 `ledgerline ingest BATCH_DIR` with this --workspace makes one; check the path \
                 (and LEDGERLINE_WORKSPACE, which gives the default)",
                root.display()
            );
        }
        Workspace::open(root)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn db_path(&self) -> PathBuf {
        self.root.join(DB_FILE)
    }

    /// Runs `work` with the store open and the workspace locked against other processes.
    /// Keep `work` short: everyone else waits for it.
    pub fn with_store<T>(&self, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let _lock = StoreLock::acquire(&self.root, lock_timeout())?;
        let conn = duckdb_file::open_or_create(&self.db_path(), |c| migrations::apply(c).map(drop))
            .with_context(|| format!("cannot open the workspace database {}", self.db_path().display()))?;
        let out = work(&conn)?;
        conn.close()
            .map_err(|(_, e)| e)
            .context("closing the workspace database")?;
        Ok(out)
    }

    /// Like [`Workspace::with_store`], inside one transaction: all of `work` or none of it.
    pub fn transaction<T>(&self, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.with_store(|conn| {
            conn.execute_batch("BEGIN TRANSACTION")?;
            match work(conn) {
                Ok(v) => {
                    conn.execute_batch("COMMIT")
                        .with_context(|| format!("committing to the workspace {}", self.root.display()))?;
                    Ok(v)
                }
                Err(e) => {
                    conn.execute_batch("ROLLBACK").ok();
                    Err(e)
                }
            }
        })
    }

    /// Fails unless `batch` is a batch of this workspace (ingested, or holding records:
    /// generated record sets have no batch row), with an error naming the batches it
    /// holds: a mistyped batch id otherwise gave an empty export or OCR run, and a load
    /// or a QA status told of no QA sample.
    pub fn require_batch(&self, batch: &str) -> Result<()> {
        /// Batches named in the error, at most.
        const NAMED: usize = 10;
        // The batches are listed only for the error: listing them scans every record.
        let known = self.with_store(|c| {
            let held: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM batches WHERE batch_id = ?)
                     OR EXISTS (SELECT 1 FROM records WHERE batch_id = ?)",
                [batch, batch],
                |r| r.get(0),
            )?;
            if held {
                return Ok(None);
            }
            let mut stmt = c.prepare(
                "SELECT batch_id FROM batches UNION SELECT DISTINCT batch_id FROM records ORDER BY batch_id",
            )?;
            let ids = stmt.query_map([], |r| r.get::<_, String>(0))?;
            Ok(Some(ids.collect::<Result<Vec<_>, _>>()?))
        })?;
        let Some(known) = known else {
            return Ok(());
        };
        let holds = match known.len() {
            0 => "it holds no batches yet".to_string(),
            n if n <= NAMED => format!("its batches: {}", known.join(", ")),
            n => format!("{n} batches, among them {}", known[..NAMED].join(", ")),
        };
        anyhow::bail!("no batch {batch:?} in the workspace {} ({holds})", self.root.display())
    }

    /// The schema version the workspace is at.
    pub fn schema_version(&self) -> Result<i32> {
        self.with_store(|c| Ok(c.query_row("SELECT max(version) FROM schema_migrations", [], |r| r.get(0))?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Beside `package`: what a killed export left (no process has its id: Linux's ids
    /// end at 2²²), what this process is writing, and names of other kinds or for other
    /// outputs. Only the first goes.
    #[test]
    fn what_killed_writers_left_is_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("package");
        let dead = dir.path().join(".package.partial-4194305");
        std::fs::create_dir_all(dead.join("deceased")).unwrap();
        std::fs::write(dead.join("deceased/part-0.parquet"), b"half").unwrap();
        let dead_file = dir.path().join(".package.partial-4194306");
        std::fs::write(&dead_file, b"half").unwrap();
        let mine = partial_beside(&out).unwrap();
        std::fs::create_dir(&mine).unwrap();
        let kept = [
            mine,
            dir.path().join(".package.partial-abc"),
            dir.path().join(".records.jsonl.partial-4194305"),
            dir.path().join("package.partial-4194305"),
        ];
        for k in &kept[1..] {
            std::fs::write(k, b"").unwrap();
        }
        assert_eq!(remove_stale_partials(&out).unwrap(), 2);
        assert!(!dead.exists() && !dead_file.exists());
        for k in &kept {
            assert!(k.exists(), "{}", k.display());
        }
        assert_eq!(remove_stale_partials(&out).unwrap(), 0, "nothing left to remove");
        let unmade = dir.path().join("not-yet/package");
        assert_eq!(remove_stale_partials(&unmade).unwrap(), 0, "a folder to be made");
    }
}
