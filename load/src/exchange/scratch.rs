//! Where an import writes what it makes of a package: a folder of the process's own in
//! the system's temporary folder (`TMPDIR`), not beside the package, which may be on a
//! disc or a share read-only, nor in a folder anyone else reads.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};

/// A folder for what an import writes of a package (its files decrypted, the CSV files a
/// PostgreSQL import copies in), readable by this user only, in a folder of this
/// process's own in the system's temporary folder: both removed when the import is done
/// (dropped); what a killed import left, by the next.
pub(crate) struct Scratch {
    files: Option<tempfile::TempDir>,
    own: PathBuf,
}

impl Scratch {
    pub(crate) fn new() -> Result<Scratch> {
        let base = std::env::temp_dir().join("ledgerline-import");
        let _ = ledgerline_store::remove_stale_partials(&base);
        let own = ledgerline_store::partial_beside(&base).ok_or_else(|| anyhow!("no temporary folder"))?;
        std::fs::create_dir_all(&own).with_context(|| format!("cannot create {}", own.display()))?;
        let files = tempfile::Builder::new().prefix("package").tempdir_in(&own)?;
        Ok(Scratch {
            files: Some(files),
            own,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        self.files.as_ref().map_or(&self.own, |f| f.path())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        drop(self.files.take());
        // Left while another import of this process decrypts into it.
        let _ = std::fs::remove_dir(&self.own);
    }
}
