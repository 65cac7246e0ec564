//! The workspace lock: how several processes share one DuckDB file.
//!
//! DuckDB lets one process at a time open a database file for writing, and a process
//! that holds it open blocks every other. So no ledgerline process keeps the store open
//! while idle: each unit of work takes this lock (an OS file lock on `store.lock`,
//! released by the kernel if the process dies), opens the database, works, closes it and
//! lets go. Slow work (OCR, image decoding) happens outside the lock, so a batch run and
//! the review server interleave at the granularity of one page or one request.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{path}: cannot open the workspace lock file")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("workspace {workspace} is busy: {holder} has held it for over {waited:?}; try again when it finishes")]
    Busy {
        workspace: PathBuf,
        holder: String,
        waited: Duration,
    },
}

/// Held while a process works on the store; dropping it releases the lock.
pub struct StoreLock {
    file: File,
}

impl StoreLock {
    /// Waits up to `timeout` for the workspace's lock.
    pub fn acquire(workspace: &Path, timeout: Duration) -> Result<StoreLock, LockError> {
        let path = workspace.join("store.lock");
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) if start.elapsed() < timeout => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    file.read_to_string(&mut holder).ok();
                    let holder = if holder.trim().is_empty() {
                        "another process".to_string()
                    } else {
                        holder.trim().to_string()
                    };
                    return Err(LockError::Busy {
                        workspace: workspace.to_path_buf(),
                        holder,
                        waited: timeout,
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        // Say who holds it, for the next process's "busy" message.
        let me = format!(
            "ledgerline process {} ({})",
            std::process::id(),
            std::env::args().skip(1).take(3).collect::<Vec<_>>().join(" ")
        );
        file.set_len(0)
            .and_then(|_| file.rewind())
            .and_then(|_| file.write_all(me.as_bytes()))
            .map_err(io)?;
        Ok(StoreLock { file })
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}
