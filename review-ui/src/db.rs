//! The review journal: a SQLite database beside the DuckDB workspace
//! (`WS/review.sqlite`, WAL mode). The server answers every request from it in
//! milliseconds, whoever holds the DuckDB workspace at that moment; [`crate::sync`] moves
//! work in from the workspace and decisions back out.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use parking_lot::{FairMutex, FairMutexGuard};
use rusqlite::Connection;

pub const JOURNAL_FILE: &str = "review.sqlite";

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_review.sql"),
    include_str!("../migrations/0002_qa.sql"),
    include_str!("../migrations/0003_disabled_users.sql"),
    include_str!("../migrations/0004_page_turns.sql"),
    include_str!("../migrations/0005_temporary_passwords.sql"),
    include_str!("../migrations/0006_session_idle.sql"),
    include_str!("../migrations/0007_password_age.sql"),
    include_str!("../migrations/0008_password_history.sql"),
];

/// A shared handle on the journal: one writer connection behind a mutex (SQLite
/// serializes writers anyway) and a pool of reader connections, so that in WAL mode
/// reads (most requests) never wait for a write or for each other.
#[derive(Clone)]
pub struct ReviewDb {
    /// A fair lock: with fifty reviewers saving at once, std's mutex let some writers
    /// wait seconds while others barged ahead (measured p99 1.8 s for `queue/next`).
    conn: Arc<FairMutex<Connection>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    path: PathBuf,
}

/// Reader connections kept open when idle.
const IDLE_READERS: usize = 16;

/// A pooled reader connection; goes back to the pool when dropped.
pub struct Reader {
    conn: Option<Connection>,
    pool: Arc<Mutex<Vec<Connection>>>,
}

impl std::ops::Deref for Reader {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("a reader holds its connection until dropped")
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(c) = self.conn.take() {
            let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
            if pool.len() < IDLE_READERS {
                pool.push(c);
            }
        }
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(())
}

impl ReviewDb {
    /// Opens (creating if needed) the journal of workspace folder `ws_root`.
    pub fn open(ws_root: &Path) -> Result<ReviewDb> {
        let path = ws_root.join(JOURNAL_FILE);
        let mut conn =
            Connection::open(&path).with_context(|| format!("cannot open the review journal {}", path.display()))?;
        // WAL: readers never block the writer, and other processes (the CLI applying the
        // journal to the workspace) can read while the server writes.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        configure(&conn)?;
        // The writer takes the write lock when a transaction begins, not at its first
        // write: SQLite waits (busy_timeout) for a lock a transaction begins with, but a
        // transaction that has read and then finds the write lock taken fails at once
        // with "database is locked" (seen under bench review as a rare 500 on a save).
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        migrate(&conn).with_context(|| format!("review journal {}", path.display()))?;
        Ok(ReviewDb {
            conn: Arc::new(FairMutex::new(conn)),
            readers: Arc::default(),
            path,
        })
    }

    /// Opens the journal only if the workspace has one (the CLI's case: no server ever
    /// ran, nothing to apply).
    pub fn open_existing(ws_root: &Path) -> Result<Option<ReviewDb>> {
        if ws_root.join(JOURNAL_FILE).exists() {
            ReviewDb::open(ws_root).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A connection for reading; it sees the last committed state.
    pub fn read(&self) -> Result<Reader> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open(&self.path)
                    .with_context(|| format!("cannot open the review journal {}", self.path.display()))?;
                configure(&c)?;
                c
            }
        };
        Ok(Reader {
            conn: Some(conn),
            pool: self.readers.clone(),
        })
    }

    /// The writer connection (for reads that must see this process's latest write, use
    /// it too).
    /// Blocks: handlers reach it through `spawn_blocking`, never from async code.
    pub fn conn(&self) -> FairMutexGuard<'_, Connection> {
        self.conn.lock()
    }

    /// Runs `work` in one transaction: all of it or none.
    pub fn transaction<T>(&self, work: impl FnOnce(&rusqlite::Transaction) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let out = work(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Takes WAL checkpoints off the request path: the writer stops checkpointing on
    /// commit, and [`ReviewDb::checkpoint`] (on a reader connection, which a passive
    /// checkpoint lets writers work beside) is called on a timer instead.
    pub fn manual_checkpoints(&self) -> Result<()> {
        self.conn().pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(())
    }

    /// Copies what the WAL holds into the database file, without blocking writers.
    pub fn checkpoint(&self) -> Result<()> {
        self.read()?
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// This journal's identity, fixed when it was created.
    pub fn journal_id(&self) -> Result<String> {
        Ok(self
            .conn()
            .query_row("SELECT journal_id FROM journal_identity", [], |r| r.get(0))?)
    }
}

fn migrate(conn: &Connection) -> Result<()> {
    let current: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > MIGRATIONS.len() {
        bail!(
            "the review journal's schema is version {current} but this ledgerline knows only up to {}: use a newer ledgerline",
            MIGRATIONS.len()
        );
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let version = i + 1;
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)
            .with_context(|| format!("migration {version} failed"))?;
        if version == 1 {
            tx.execute("INSERT INTO journal_identity VALUES (?1)", [random_token(8)])?;
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `bytes` random bytes as hex, from the thread's CSPRNG (ChaCha, seeded by the OS).
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}
