//! Volumes kept open while their pages are read one at a time.
//!
//! OCR and the review app read a page at a time, by its file and frame. Each page of a
//! volume (a PDF, OFD or multi-page TIFF of hundreds of pages) had its whole file read
//! again, and a PDF parsed again: OCR of a 400 MB PDF volume read 400 MB and held a parse
//! of it on every worker for every page. A volume opened is now kept, shared by the
//! workers, until files opened after it push it out; a file changed on disk since is
//! opened again.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use image::DynamicImage;

use crate::decode::PageFile;

/// What tells a file's bytes apart from those it had when it was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    len: u64,
    modified: Option<SystemTime>,
}

impl Version {
    fn of(path: &Path) -> std::io::Result<Version> {
        let meta = std::fs::metadata(path)?;
        Ok(Version {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

struct Opened {
    path: PathBuf,
    version: Version,
    file: Arc<PageFile<'static>>,
}

/// Up to `capacity` volumes kept open, the least recently read pushed out first. Files
/// of one page (a PNG, a JPEG) are read and let go.
pub struct OpenFiles {
    capacity: usize,
    open: Mutex<Vec<Opened>>,
    opening: Mutex<()>,
}

impl OpenFiles {
    /// Room for `capacity` volumes: as many as the readers read side by side, and one.
    pub fn new(capacity: usize) -> OpenFiles {
        OpenFiles {
            capacity: capacity.max(1),
            open: Mutex::new(Vec::new()),
            opening: Mutex::new(()),
        }
    }

    /// Page `index` (from 0) of the file at `path`, checked as a page. An error says
    /// what is wrong with the file, without its path.
    pub fn decode_frame(&self, path: &Path, index: u32) -> Result<DynamicImage, String> {
        self.file(path)?.decode_frame(index)
    }

    /// The file opened: as kept, if it has not changed since, else from its bytes now.
    fn file(&self, path: &Path) -> Result<Arc<PageFile<'static>>, String> {
        let cannot_read = |e: std::io::Error| format!("cannot read the image: {e}");
        let version = Version::of(path).map_err(cannot_read)?;
        if let Some(file) = self.kept(path, &version) {
            return Ok(file);
        }
        // One file opened at a time: workers starting on one volume together would each
        // hold its bytes and a parse of them, and the first opened is the one kept.
        let _opening = self.opening.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(file) = self.kept(path, &version) {
            return Ok(file);
        }
        let file = Arc::new(PageFile::open(std::fs::read(path).map_err(cannot_read)?)?);
        if file.is_volume() {
            let mut open = self.lock();
            open.retain(|o| o.path != path);
            open.push(Opened {
                path: path.to_path_buf(),
                version,
                file: file.clone(),
            });
            if open.len() > self.capacity {
                open.remove(0);
            }
        }
        Ok(file)
    }

    /// The file as kept, made the most recently read, if it is kept as it is now; a
    /// version since changed is let go.
    fn kept(&self, path: &Path, version: &Version) -> Option<Arc<PageFile<'static>>> {
        let mut open = self.lock();
        let at = open.iter().position(|o| o.path == path)?;
        let kept = open.remove(at);
        let file = (kept.version == *version).then(|| kept.file.clone());
        if file.is_some() {
            open.push(kept);
        }
        file
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Opened>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many volumes are kept open.
    #[cfg(test)]
    fn kept_count(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pages;

    #[test]
    fn a_volume_is_kept_open_until_pushed_out_and_opened_again_once_changed() {
        let dir = tempfile::tempdir().unwrap();
        let volume = |name: &str, frames: usize| {
            let path = dir.path().join(name);
            std::fs::write(&path, test_pages::tiff_volume(frames)).unwrap();
            path
        };
        let (a, b) = (volume("a.tif", 3), volume("b.tif", 2));
        let png = dir.path().join("one.png");
        std::fs::write(&png, test_pages::png_page()).unwrap();
        let files = OpenFiles::new(1);
        files.decode_frame(&a, 2).expect("a's third frame");
        files.decode_frame(&png, 0).expect("the PNG's page");
        assert_eq!(files.kept_count(), 1, "a one-page file is not kept");
        let kept = files.file(&a).unwrap();
        assert!(
            Arc::ptr_eq(&kept, &files.file(&a).unwrap()),
            "read from the volume kept"
        );
        files.decode_frame(&b, 1).expect("b's second frame");
        assert_eq!(files.kept_count(), 1, "b pushed a out");
        assert!(!Arc::ptr_eq(&kept, &files.file(&a).unwrap()), "a opened again");
        // The volume rewritten with fewer frames: its third is no longer there.
        let reopened = files.file(&a).unwrap();
        std::fs::write(&a, test_pages::tiff_volume(1)).unwrap();
        let e = files.decode_frame(&a, 2).unwrap_err();
        assert!(e.contains("frame 3"), "{e}");
        assert!(!Arc::ptr_eq(&reopened, &files.file(&a).unwrap()));
        let e = files.decode_frame(&dir.path().join("gone.tif"), 0).unwrap_err();
        assert!(e.starts_with("cannot read the image: "), "{e}");
    }
}
