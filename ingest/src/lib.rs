//! Ingest: the first stage. A batch folder of scanned pages becomes rows in the
//! workspace's `batches` and `pages` tables, each page with its SHA-256, size and
//! provenance. Images stay where they are.
//!
//! Invariants:
//! - a page's id is a function of its bytes (and frame), so the same image is one page
//!   however often or under whatever names it is ingested;
//! - a page that cannot be used is quarantined with a reason, and the batch goes on;
//! - pages are committed in small chunks, so a killed run loses at most one chunk of
//!   work and a re-run finishes the rest without duplicating anything.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use duckdb::params;
use ledgerline_scans::decode;
use ledgerline_schemas::{BatchManifest, LedgerType};
use ledgerline_store::Workspace;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Files in a batch folder that are not pages.
const SIDECARS: &[&str] = &["batch.toml", "truth.jsonl", "pages.jsonl"];
const PAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "tif", "tiff", "pdf", "ofd"];
/// Pages decoded and committed together.
const CHUNK: usize = 16;

/// A batch folder, read but not yet ingested.
#[derive(Debug, Clone)]
pub struct BatchSource {
    pub dir: PathBuf,
    pub manifest: BatchManifest,
    /// True when the folder had no `batch.toml` and the manifest was inferred.
    pub manifest_inferred: bool,
    pub files: Vec<PathBuf>,
    /// Folders beside the page files, which a batch does not read: a batch is one
    /// folder of pages (one volume); an archive's folder of volumes is several batches.
    pub folders_not_read: Vec<PathBuf>,
}

impl BatchSource {
    /// Reads the manifest (or infers one) and lists the page files, in name order.
    pub fn open(dir: &Path) -> Result<BatchSource> {
        if !dir.is_dir() {
            anyhow::bail!(
                "{}: not a folder; give the batch folder that holds the scanned pages",
                dir.display()
            );
        }
        let manifest_path = dir.join("batch.toml");
        let (manifest, manifest_inferred) = if manifest_path.exists() {
            (BatchManifest::read(&manifest_path)?, false)
        } else {
            (BatchManifest::inferred(dir), true)
        };
        let pages_dir = if dir.join("pages").is_dir() {
            dir.join("pages")
        } else {
            dir.to_path_buf()
        };
        let (mut files, mut folders): (Vec<PathBuf>, Vec<PathBuf>) = std::fs::read_dir(&pages_dir)
            .with_context(|| format!("cannot list {}", pages_dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                !name.starts_with('.') && !SIDECARS.contains(&name.as_str())
            })
            .filter(|p| p.is_file() || p.is_dir())
            .partition(|p| p.is_file());
        files.sort();
        folders.sort();
        if files.is_empty() {
            bail!("{}", no_pages(&pages_dir, &folders));
        }
        Ok(BatchSource {
            dir: dir.to_path_buf(),
            manifest,
            manifest_inferred,
            files,
            folders_not_read: folders,
        })
    }
}

/// Why a batch folder holding no files is refused (before a batch is made of nothing):
/// if it holds folders, most likely an archive's or a volume's folder of volumes or
/// parts, each of which is a batch.
fn no_pages(pages_dir: &Path, folders: &[PathBuf]) -> String {
    if folders.is_empty() {
        return format!(
            "{}: no page files in it (scans as {})",
            pages_dir.display(),
            PAGE_EXTENSIONS.join(", ")
        );
    }
    format!(
        "{}: no page files in it, only folders ({}): a batch is one folder of pages (one volume); \
         give the folders as batches (ledgerline run {}/*/)",
        pages_dir.display(),
        names_shown(folders),
        pages_dir.display()
    )
}

/// Up to five file names, and how many more.
pub fn names_shown(paths: &[PathBuf]) -> String {
    const SHOWN: usize = 5;
    let mut names: Vec<String> = paths
        .iter()
        .take(SHOWN)
        .map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned())
        .collect();
    if paths.len() > SHOWN {
        names.push(format!("and {} more", paths.len() - SHOWN));
    }
    names.join(", ")
}

/// A page that was quarantined, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Quarantined {
    pub file: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestReport {
    pub batch_id: String,
    pub manifest_inferred: bool,
    pub files: usize,
    /// Folders beside the page files, not read (see [`BatchSource::folders_not_read`]).
    pub folders_not_read: Vec<String>,
    /// Pages added by this run.
    pub pages_new: usize,
    /// Pages the workspace already had (a re-run, or the same image elsewhere).
    pub pages_known: usize,
    /// Files whose image is the same as another file's: recorded once.
    pub duplicates: Vec<String>,
    pub quarantined: Vec<Quarantined>,
}

/// One page as ingest found it.
struct PageRow {
    page_id: String,
    file_name: String,
    path: String,
    sha256: String,
    frame: u32,
    size: Option<(u32, u32)>,
    quarantine: Option<String>,
}

fn is_page_file(path: &Path) -> bool {
    path.extension()
        .map(|e| PAGE_EXTENSIONS.contains(&e.to_string_lossy().to_lowercase().as_str()))
        .unwrap_or(false)
}

/// Reads, hashes and decodes one file into its pages (several for a multi-page TIFF).
/// `None` when the workspace already has this file with these bytes.
fn examine(path: &Path, known: &HashSet<(String, String)>) -> Option<Vec<PageRow>> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path_text = path.to_string_lossy().into_owned();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return Some(vec![PageRow {
                page_id: format!("unreadable-{}", hex::encode(&Sha256::digest(path_text.as_bytes())[..8])),
                file_name,
                path: path_text,
                sha256: String::new(),
                frame: 0,
                size: None,
                quarantine: Some(format!("cannot read the file: {e}")),
            }])
        }
    };
    let sha = hex::encode(Sha256::digest(&bytes));
    if known.contains(&(path_text.clone(), sha.clone())) {
        return None;
    }
    let quarantined = |reason: String| {
        vec![PageRow {
            page_id: sha[..16].to_string(),
            file_name: file_name.clone(),
            path: path_text.clone(),
            sha256: sha.clone(),
            frame: 0,
            size: None,
            quarantine: Some(reason),
        }]
    };
    if !is_page_file(path) {
        return Some(quarantined(
            "not a page image: the name does not end in .png, .jpg, .jpeg, .tif, .tiff, .pdf or .ofd".into(),
        ));
    }
    // Opened once for all its pages: a PDF volume is parsed once, not once a page, and
    // the bytes it was parsed from are let go.
    let count = decode::PageFile::open(bytes).and_then(|file| Ok((file.frame_count()?, file)));
    let (count, file) = match count {
        Ok(opened) => opened,
        Err(reason) => return Some(quarantined(reason)),
    };
    // One frame decoded at a time: a volume scanned into one TIFF of hundreds of pages
    // never has them all in memory, and a frame that cannot be read is quarantined alone.
    let multi = count.frames > 1 || count.broken.is_some();
    let page = |frame: u32, decoded: Result<image::DynamicImage, String>| {
        let (size, quarantine) = match decoded {
            Ok(image) => (Some((image.width(), image.height())), decode::blank_reason(&image)),
            Err(reason) => (None, Some(reason)),
        };
        PageRow {
            page_id: if multi {
                format!("{}-{}", &sha[..16], frame + 1)
            } else {
                sha[..16].to_string()
            },
            file_name: if multi {
                format!("{file_name}#{}", frame + 1)
            } else {
                file_name.clone()
            },
            path: path_text.clone(),
            sha256: sha.clone(),
            frame,
            size,
            quarantine,
        }
    };
    // A volume's pages are decoded side by side: a batch that is one volume would
    // otherwise be read on one core.
    let mut pages: Vec<PageRow> = (0..count.frames)
        .into_par_iter()
        .map(|frame| page(frame, file.decode_frame(frame)))
        .collect();
    if let Some(reason) = count.broken {
        pages.push(page(count.frames, Err(reason)));
    }
    Some(pages)
}

fn ledger_type_text(t: LedgerType) -> &'static str {
    match t {
        LedgerType::Cremation => "cremation",
        LedgerType::Burial => "burial",
        LedgerType::Mixed => "mixed",
    }
}

/// Ingests a batch into the workspace. `on_file` is called once per file examined.
pub fn ingest(ws: &Workspace, source: &BatchSource, on_file: impl Fn() + Sync) -> Result<IngestReport> {
    let m = &source.manifest;
    let mut report = IngestReport {
        batch_id: m.batch_id.clone(),
        manifest_inferred: source.manifest_inferred,
        files: source.files.len(),
        folders_not_read: source
            .folders_not_read
            .iter()
            .map(|f| f.display().to_string())
            .collect(),
        ..Default::default()
    };
    let known: HashSet<(String, String)> = ws.transaction(|c| {
        c.execute(
            "INSERT INTO batches (batch_id, agency_name, ledger_type, volume, years, scan_dpi, province, archive, source_dir, manifest_inferred)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            params![m.batch_id, m.agency_name, ledger_type_text(m.ledger_type), m.volume, m.years.stored(), m.scan_dpi, m.province, m.archive,
                source.dir.to_string_lossy().into_owned(), source.manifest_inferred],
        )?;
        let mut s = c.prepare("SELECT path, sha256 FROM pages WHERE batch_id = ?")?;
        let rows = s.query_map([&m.batch_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<HashSet<_>, _>>()?)
    })?;
    let page_type = match m.ledger_type {
        LedgerType::Mixed => None,
        t => Some(ledger_type_text(t)),
    };

    for chunk in source.files.chunks(CHUNK) {
        // Re-runs skip files already ingested with the same bytes, without decoding them.
        let examined: Vec<Option<Vec<PageRow>>> = chunk
            .par_iter()
            .map(|p| {
                let rows = examine(p, &known);
                on_file();
                rows
            })
            .collect();
        report.pages_known += examined.iter().filter(|e| e.is_none()).count();
        let rows: Vec<PageRow> = examined.into_iter().flatten().flatten().collect();
        let outcome = ws.transaction(|c| {
            let mut added = Vec::new();
            for r in &rows {
                let n = c.execute(
                    "INSERT INTO pages (page_id, batch_id, file_name, path, sha256, frame, width, height, dpi, status, quarantine_reason, ledger_type)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    params![r.page_id, m.batch_id, r.file_name, r.path, r.sha256, r.frame, r.size.map(|s| s.0), r.size.map(|s| s.1),
                        m.scan_dpi, if r.quarantine.is_some() { "quarantined" } else { "ingested" }, r.quarantine, page_type],
                )?;
                added.push(n == 1);
            }
            Ok(added)
        })?;
        for (r, added) in rows.iter().zip(outcome) {
            if let Some(reason) = &r.quarantine {
                report.quarantined.push(Quarantined {
                    file: r.path.clone(),
                    reason: reason.clone(),
                });
            }
            if added {
                report.pages_new += 1;
            } else {
                report.duplicates.push(r.path.clone());
            }
        }
    }
    Ok(report)
}
