//! Pages: the whole-page view (its grid and the records read from each row), manual
//! keying of pages OCR could not read, and the page image and cell crops, cut from the
//! image file on demand (images are never copied into a database).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use image::{DynamicImage, GenericImageView, ImageFormat};
use ledgerline_scans::open_files::OpenFiles;
use ledgerline_schemas::validate::{is_acceptable, validate, Finding};
use ledgerline_schemas::{Field, Record, RecordType, Review, ReviewStatus, Source};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Change};
use crate::db::{now, ReviewDb};
use crate::queue;
use crate::records::{outbox_record, Editor};

#[derive(Debug, Clone, Serialize)]
pub struct PageInfo {
    pub page_id: String,
    pub batch_id: String,
    pub file_name: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub status: String,
    pub reason: Option<String>,
    pub ledger_type: Option<String>,
    #[serde(skip)]
    pub path: String,
    #[serde(skip)]
    pub frame: u32,
    /// Quarter turns clockwise the scan is read upright by: cell crops are turned so.
    pub quarter_turns: u8,
}

#[derive(Debug, Clone, Serialize)]
pub struct CellBox {
    pub row: u32,
    pub col: u32,
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub field: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RowSummary {
    pub row: u32,
    pub record_id: String,
    pub status: String,
    pub deceased_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageView {
    pub page: PageInfo,
    pub cells: Vec<CellBox>,
    pub rows: Vec<RowSummary>,
    /// The fields a keyer fills for this page, in ledger order.
    pub key_fields: Vec<&'static str>,
}

pub fn info(db: &ReviewDb, page_id: &str) -> Result<Option<PageInfo>> {
    Ok(db
        .read()?
        .prepare_cached(
            "SELECT page_id, batch_id, file_name, width, height, status, reason, ledger_type, path, frame, quarter_turns
             FROM pages WHERE page_id = ?1",
        )?
        .query_row([page_id], |r| {
            Ok(PageInfo {
                page_id: r.get(0)?,
                batch_id: r.get(1)?,
                file_name: r.get(2)?,
                width: r.get(3)?,
                height: r.get(4)?,
                status: r.get(5)?,
                reason: r.get(6)?,
                ledger_type: r.get(7)?,
                path: r.get(8)?,
                frame: r.get(9)?,
                quarter_turns: r.get(10)?,
            })
        })
        .optional()?)
}

/// The fields a ledger of this type records, for keying by hand.
fn key_fields(ledger_type: Option<&str>) -> Vec<&'static str> {
    let mut fields = vec![
        Field::DeceasedName,
        Field::Gender,
        Field::Age,
        Field::IdNumber,
        Field::BirthDate,
        Field::DeathDate,
        Field::HouseholdAddress,
    ];
    match ledger_type {
        Some("burial") => fields.extend([Field::BurialDate, Field::CemeteryName, Field::GraveNumber]),
        _ => fields.extend([Field::CremationDate, Field::CremationCertNo, Field::CremationCertStatus]),
    }
    fields.extend([Field::FamilyName, Field::FamilyPhone]);
    fields.into_iter().map(Field::name).collect()
}

pub fn view(db: &ReviewDb, page_id: &str) -> Result<Option<PageView>> {
    let Some(page) = info(db, page_id)? else {
        return Ok(None);
    };
    let conn = db.read()?;
    let cells = conn
        .prepare_cached(
            "SELECT row_no, col_no, x, y, w, h, field FROM cells WHERE page_id = ?1 ORDER BY row_no, col_no",
        )?
        .query_map([page_id], |r| {
            Ok(CellBox {
                row: r.get(0)?,
                col: r.get(1)?,
                x: r.get(2)?,
                y: r.get(3)?,
                w: r.get(4)?,
                h: r.get(5)?,
                field: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let rows = conn
        .prepare_cached(
            "SELECT row_no, record_id, status, json_extract(record, '$.deceased_name') FROM records WHERE page_id = ?1 ORDER BY row_no",
        )?
        .query_map([page_id], |r| {
            Ok(RowSummary {
                row: r.get(0)?,
                record_id: r.get(1)?,
                status: r.get(2)?,
                deceased_name: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let key_fields = key_fields(page.ledger_type.as_deref());
    Ok(Some(PageView {
        page,
        cells,
        rows,
        key_fields,
    }))
}

#[derive(Debug, Clone, Deserialize)]
pub struct KeyedRow {
    pub row: u32,
    #[serde(default)]
    pub record_type: Option<String>,
    pub fields: BTreeMap<String, Option<String>>,
}

#[derive(Debug)]
pub enum KeyError {
    NotFound,
    Leased {
        by: String,
    },
    Invalid {
        problems: Vec<String>,
        findings: Vec<Finding>,
    },
    /// The row already has a record; correct it in the record view instead.
    Exists {
        record_id: String,
    },
}

/// Stores a row keyed by hand from the page image: validated like any edit, verified
/// when valid, audited field by field.
pub fn key_row(db: &ReviewDb, page_id: &str, row: &KeyedRow, who: &Editor) -> Result<Result<Record, KeyError>> {
    let Some(page) = info(db, page_id)? else {
        return Ok(Err(KeyError::NotFound));
    };
    // The same id scheme as OCR's, so a keyed row and a later reading are one record.
    let record_id = format!("{page_id}-r{:02}", row.row);
    let record_type = match row.record_type.as_deref().or(page.ledger_type.as_deref()) {
        Some("burial") => RecordType::Burial,
        _ => RecordType::Cremation,
    };
    let mut record = Record {
        record_id: record_id.clone(),
        record_type,
        fields: Default::default(),
        person_id: None,
        source: Source {
            batch: page.batch_id.clone(),
            page: page.file_name.clone(),
            row: row.row,
        },
        confidence: Default::default(),
        review: Review::default(),
        extra_fields: Default::default(),
    };
    let mut problems = Vec::new();
    for (name, value) in &row.fields {
        let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
        match Field::from_name(name) {
            Some(f) => {
                if let Err(e) = record.fields.set_written(f, value) {
                    problems.push(e);
                } else if value.is_some() {
                    record.confidence.insert(name.clone(), 1.0);
                }
            }
            None => problems.push(format!("{name}: no such field")),
        }
    }
    if row.row == 0 {
        problems.push("row: rows are numbered from 1".into());
    }
    let findings = validate(&record);
    if !problems.is_empty() || !is_acceptable(&findings) || record.fields.deceased_name.is_none() {
        if record.fields.deceased_name.is_none() {
            problems.push("deceased_name: a keyed row needs the name".into());
        }
        return Ok(Err(KeyError::Invalid { problems, findings }));
    }
    record.review = Review {
        status: ReviewStatus::Verified,
        findings,
        reviewed_by: Some(who.username.to_string()),
        reviewed_at: Some(chrono::Local::now().format("%Y-%m-%dT%H:%M:%S").to_string()),
    };
    db.transaction(|tx| {
        if let Some(by) = queue::leased_to_other(tx, &queue::page_item(page_id), who.username)? {
            return Ok(Err(KeyError::Leased { by }));
        }
        let exists = tx
            .query_row("SELECT 1 FROM records WHERE record_id = ?1", [&record_id], |_| Ok(()))
            .optional()?
            .is_some();
        if exists {
            return Ok(Err(KeyError::Exists { record_id }));
        }
        let json = serde_json::to_string(&record)?;
        tx.execute(
            "INSERT INTO records (record_id, batch_id, page_id, row_no, status, version, record, machine, updated_at, updated_by)
             VALUES (?1, ?2, ?3, ?4, 'verified', 1, ?5, ?6, ?7, ?8)",
            params![
                record_id,
                page.batch_id,
                page_id,
                row.row,
                json,
                serde_json::to_string(&Record {
                    fields: Default::default(),
                    ..record.clone()
                })?,
                now(),
                who.username
            ],
        )?;
        for f in Field::ALL {
            if let Some(v) = record.fields.get(*f) {
                audit::append(
                    tx,
                    &Change {
                        username: who.username,
                        action: "key",
                        record_id: &record_id,
                        field: Some(f.name()),
                        before: None,
                        after: Some(&v),
                        version: Some(1),
                    },
                )?;
            }
        }
        outbox_record(tx, page_id, &record)?;
        Ok(Ok(record.clone()))
    })
}

/// Why a page's turn was not kept.
#[derive(Debug)]
pub enum TurnError {
    NotFound,
    /// A page OCR read (wholly, or short of rows): its cell boxes were found on it
    /// turned as it was read.
    Read,
    Leased {
        by: String,
    },
}

/// What the audit log's subject for a page begins with; no record id does.
pub const PAGE_SUBJECT_PREFIX: &str = "page:";

/// Keeps how the clerk turned a page to key to lie upright, for whoever opens it next
/// and for the whole-page view of the records keyed from it: in the journal now, in the
/// workspace at the next sync (outbox `page_turn`), audited as `turn` of `page:ID`. A
/// page OCR read keeps the turn it was read at.
pub fn turn(db: &ReviewDb, page_id: &str, quarter_turns: u8, username: &str) -> Result<Result<(), TurnError>> {
    let quarter_turns = quarter_turns % 4;
    db.transaction(|tx| {
        let page = tx
            .query_row(
                "SELECT status, quarter_turns FROM pages WHERE page_id = ?1",
                [page_id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, u8>(1)?)),
            )
            .optional()?;
        let Some((status, before)) = page else {
            return Ok(Err(TurnError::NotFound));
        };
        // A page read short of rows is to key too, but its cells were found on it as it
        // lies, and turning it would put them off the writing.
        let has_cells = tx
            .query_row("SELECT 1 FROM cells WHERE page_id = ?1 LIMIT 1", [page_id], |_| Ok(()))
            .optional()?
            .is_some();
        if status != ledgerline_store::pages::NEEDS_KEYING || has_cells {
            return Ok(Err(TurnError::Read));
        }
        if let Some(by) = queue::leased_to_other(tx, &queue::page_item(page_id), username)? {
            return Ok(Err(TurnError::Leased { by }));
        }
        if before == quarter_turns {
            return Ok(Ok(()));
        }
        tx.execute(
            "UPDATE pages SET quarter_turns = ?1 WHERE page_id = ?2",
            params![quarter_turns, page_id],
        )?;
        audit::append(
            tx,
            &Change {
                username,
                action: "turn",
                record_id: &format!("{PAGE_SUBJECT_PREFIX}{page_id}"),
                field: Some("quarter_turns"),
                before: Some(&before.to_string()),
                after: Some(&quarter_turns.to_string()),
                version: None,
            },
        )?;
        let payload = serde_json::json!({ "page_id": page_id, "quarter_turns": quarter_turns });
        tx.execute(
            "INSERT INTO outbox (kind, key, payload, at) VALUES ('page_turn', ?1, ?2, ?3)",
            params![page_id, payload.to_string(), now()],
        )?;
        Ok(Ok(()))
    })
}

/// Marks a keying item finished: every row of the page is keyed. The page is then keyed,
/// here and, at the next sync (outbox `page_keyed`), in the workspace, whose loads stop
/// naming it among the pages still to key; audited as `key_done` of `page:ID`.
pub fn finish_keying(db: &ReviewDb, page_id: &str, username: &str) -> Result<bool> {
    db.transaction(|tx| {
        let item = queue::page_item(page_id);
        if queue::leased_to_other(tx, &item, username)?.is_some() {
            return Ok(false);
        }
        queue::finish(tx, &item, username)?;
        set_keying(tx, page_id, username, KeyingChange::Finish)?;
        Ok(true)
    })
}

/// Why a page's keying was not reopened.
#[derive(Debug, PartialEq, Eq)]
pub enum ReopenError {
    NotFound,
    /// The page is not keyed (still to key, or read by OCR).
    NotKeyed,
    /// Finished by someone else (`None`: not in this journal), and the caller reviews
    /// nobody's work.
    NotTheirs {
        by: Option<String>,
    },
}

/// Reopens a page whose keying was finished (a clerk's 本页录入完成 pressed too soon, or
/// a reviewer finding rows missing): to key again, here and at the next sync (outbox
/// `page_reopened`) in the workspace; audited as `key_reopen` of `page:ID`. The rows
/// keyed stay: keying goes on after them. Whoever finished it may reopen it, and goes
/// straight back to it (an item the queue had just given them instead is given back);
/// a reviewer may reopen anyone's, and the page goes back to the queue.
pub fn reopen_keying(
    db: &ReviewDb,
    page_id: &str,
    username: &str,
    reviews_others: bool,
) -> Result<Result<(), ReopenError>> {
    db.transaction(|tx| {
        let status: Option<String> = tx
            .query_row("SELECT status FROM pages WHERE page_id = ?1", [page_id], |r| r.get(0))
            .optional()?;
        match status.as_deref() {
            None => return Ok(Err(ReopenError::NotFound)),
            Some(s) if s != ledgerline_store::pages::KEYED => return Ok(Err(ReopenError::NotKeyed)),
            Some(_) => {}
        }
        let item = queue::page_item(page_id);
        let finisher = queue::done_by(tx, &item)?;
        let own = finisher.as_deref() == Some(username);
        if !own && !reviews_others {
            return Ok(Err(ReopenError::NotTheirs { by: finisher }));
        }
        if own {
            queue::give_back_all_of(tx, username)?;
        }
        queue::reopen(tx, &item, own.then_some(username))?;
        set_keying(tx, page_id, username, KeyingChange::Reopen)?;
        Ok(Ok(()))
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyingChange {
    Finish,
    Reopen,
}

/// Moves a page between to key and keyed, if it is where `change` starts: the status,
/// its audit entry and the outbox entry the workspace takes it from.
fn set_keying(tx: &rusqlite::Transaction, page_id: &str, username: &str, change: KeyingChange) -> Result<()> {
    let (action, kind) = match change {
        KeyingChange::Finish => ("key_done", "page_keyed"),
        KeyingChange::Reopen => ("key_reopen", "page_reopened"),
    };
    let (from, to) = ledgerline_store::pages::keying_move(change == KeyingChange::Finish);
    let changed = tx.execute(
        "UPDATE pages SET status = ?1 WHERE page_id = ?2 AND status = ?3",
        params![to, page_id, from],
    )?;
    if changed == 0 {
        return Ok(());
    }
    audit::append(
        tx,
        &Change {
            username,
            action,
            record_id: &format!("{PAGE_SUBJECT_PREFIX}{page_id}"),
            field: Some("status"),
            before: Some(from),
            after: Some(to),
            version: None,
        },
    )?;
    let payload = serde_json::json!({ "page_id": page_id });
    tx.execute(
        "INSERT INTO outbox (kind, key, payload, at) VALUES (?1, ?2, ?3, ?4)",
        params![kind, page_id, payload.to_string(), now()],
    )?;
    Ok(())
}

/// Decoded page images, most recent last: a reviewer's crops all come from one page, and
/// fifty reviewers work on fifty pages. Kept grey (a third of RGB's memory) within a
/// byte budget; measured with 50 simulated reviewers, a 16-page cache decoded a page for
/// nearly every crop.
#[derive(Clone)]
pub struct ImageCache {
    recent: Arc<Mutex<Vec<CachedPage>>>,
    /// Volumes (PDF, OFD, multi-page TIFF) kept open: a reviewer moving down a volume
    /// page by page had the whole file read, and a PDF parsed, for each page.
    files: Arc<OpenFiles>,
}

impl Default for ImageCache {
    fn default() -> ImageCache {
        ImageCache {
            recent: Arc::default(),
            files: Arc::new(OpenFiles::new(VOLUMES_OPEN)),
        }
    }
}

/// A page id and its decoded image.
type CachedPage = (String, Arc<DynamicImage>);

/// Bytes of decoded pages kept: ~30 scans of 2500×3500 grey pixels.
const CACHE_BYTES: usize = 256 << 20;

/// Volumes kept open: reviewers work through a batch's volumes one or two at a time.
const VOLUMES_OPEN: usize = 2;

impl ImageCache {
    pub fn page(&self, page: &PageInfo) -> Result<Arc<DynamicImage>> {
        match self.cached(page) {
            Some(img) => Ok(img),
            None => self.decode(page),
        }
    }

    fn cached(&self, page: &PageInfo) -> Option<Arc<DynamicImage>> {
        self.lock()
            .iter()
            .find(|(id, _)| *id == page.page_id)
            .map(|(_, i)| i.clone())
    }

    /// Decodes the page's frame from its file and keeps it.
    fn decode(&self, page: &PageInfo) -> Result<Arc<DynamicImage>> {
        let image = self
            .files
            .decode_frame(Path::new(&page.path), page.frame)
            .map_err(|e| anyhow::anyhow!("{}: {e}", page.path))?;
        let img = Arc::new(DynamicImage::ImageLuma8(image.to_luma8()));
        let mut recent = self.lock();
        recent.retain(|(id, _)| *id != page.page_id);
        recent.push((page.page_id.clone(), img.clone()));
        let size = |i: &DynamicImage| i.as_bytes().len();
        while recent.len() > 1 && recent.iter().map(|(_, i)| size(i)).sum::<usize>() > CACHE_BYTES {
            recent.remove(0);
        }
        Ok(img)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<CachedPage>> {
        self.recent.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The page as a browser can show it: PNG and JPEG files as they are; TIFF (and frames
/// of multi-page TIFFs), pages of PDF and OFD volumes, and files whose Exif says to show
/// them turned, converted to PNG: the cells' boxes lie on the page turned so, which a
/// browser might not do.
pub fn page_image(cache: &ImageCache, page: &PageInfo) -> Result<(Vec<u8>, &'static str)> {
    // Only a PNG or JPEG file is read whole here: a volume's page comes from the volume
    // kept open.
    let head = ledgerline_scans::decode::head_of(Path::new(&page.path))
        .with_context(|| format!("{}: cannot read the page image", page.path))?;
    let format = ledgerline_scans::decode::sniff(&head);
    if let Ok(format @ (ImageFormat::Png | ImageFormat::Jpeg)) = format {
        let bytes = read_page_file(page)?;
        if !ledgerline_scans::decode::stored_turned(&bytes) {
            let kind = if format == ImageFormat::Png {
                "image/png"
            } else {
                "image/jpeg"
            };
            return Ok((bytes, kind));
        }
    }
    Ok((encode_png(&*cache.page(page)?)?, "image/png"))
}

fn read_page_file(page: &PageInfo) -> Result<Vec<u8>> {
    std::fs::read(&page.path).with_context(|| format!("{}: cannot read the page image", page.path))
}

/// Whether a cell holds an ID number or a phone.
pub fn cell_is_protected(db: &ReviewDb, page_id: &str, row: u32, col: u32) -> Result<bool> {
    let field: Option<Option<String>> = db
        .read()?
        .prepare_cached("SELECT field FROM cells WHERE page_id = ?1 AND row_no = ?2 AND col_no = ?3")?
        .query_row(params![page_id, row, col], |r| r.get(0))
        .optional()?;
    Ok(field
        .flatten()
        .and_then(|f| Field::from_name(&f))
        .is_some_and(crate::records::is_protected))
}

/// A cell's crop with a margin, so the ruled lines around it show.
pub fn cell_crop(cache: &ImageCache, db: &ReviewDb, page: &PageInfo, row: u32, col: u32) -> Result<Option<Vec<u8>>> {
    let cell = db
        .read()?
        .prepare_cached("SELECT x, y, w, h FROM cells WHERE page_id = ?1 AND row_no = ?2 AND col_no = ?3")?
        .query_row(params![page.page_id, row, col], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, u32>(3)?,
            ))
        })
        .optional()?;
    let Some((x, y, w, h)) = cell else {
        return Ok(None);
    };
    let img = cache.page(page)?;
    let (iw, ih) = img.dimensions();
    let margin = (h / 4).max(4);
    let x0 = x.saturating_sub(margin).min(iw.saturating_sub(1));
    let y0 = y.saturating_sub(margin).min(ih.saturating_sub(1));
    let x1 = (x + w + margin).min(iw);
    let y1 = (y + h + margin).min(ih);
    let crop = img.crop_imm(x0, y0, (x1 - x0).max(1), (y1 - y0).max(1));
    // Cut from the page as scanned; shown as the page was read, upright.
    let crop = match page.quarter_turns % 4 {
        1 => crop.rotate90(),
        2 => crop.rotate180(),
        3 => crop.rotate270(),
        _ => crop,
    };
    Ok(Some(encode_png(&crop)?))
}

fn encode_png(img: &DynamicImage) -> Result<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)?;
    Ok(out.into_inner())
}
