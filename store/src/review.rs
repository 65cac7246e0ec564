//! The workspace side of the review journal: what review needs from the workspace
//! (records needing review, their pages and cells, duplicate candidates, batch figures)
//! and applying reviewers' decisions back, with the journal position they reach.

use anyhow::Result;
use duckdb::{params, Connection, OptionalExt};
use ledgerline_schemas::{Record, ReviewStatus};
use serde::Deserialize;

use crate::pages::StoredCell;
use crate::records::{fill_list, now_timestamp, read_records_with_pages, replace_records, RecordFilter};

#[derive(Debug, Clone)]
pub struct ReviewPage {
    pub page_id: String,
    pub batch_id: String,
    pub file_name: String,
    pub path: String,
    pub frame: u32,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub status: String,
    pub reason: Option<String>,
    pub ledger_type: Option<String>,
    /// Quarter turns clockwise the scan is read upright by.
    pub quarter_turns: u8,
}

#[derive(Debug, Clone)]
pub struct ReviewPair {
    pub record_a: String,
    pub record_b: String,
    pub batch_id: String,
    pub match_weight: f64,
    pub match_probability: f64,
    pub explanation: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct BatchFigures {
    pub batch_id: String,
    pub agency_name: String,
    pub ledger_type: String,
    pub pages: i64,
    pub records: i64,
    pub machine: i64,
    pub needs_review: i64,
    pub verified: i64,
    pub rejected: i64,
}

/// Everything review takes in from the workspace in one pass.
#[derive(Debug, Default)]
pub struct Intake {
    /// Records needing review stored after the previous watermark, with their page id.
    pub records: Vec<(String, Record)>,
    /// Pages waiting to be keyed by hand.
    pub keying_pages: Vec<String>,
    /// Open duplicate candidates (dedupe's review band).
    pub pairs: Vec<ReviewPair>,
    pub batches: Vec<BatchFigures>,
    /// The newest record time taken in: the next intake's `stored_after`.
    pub watermark: Option<i64>,
}

pub fn intake(conn: &Connection, stored_after: Option<i64>) -> Result<Intake> {
    let watermark: Option<i64> = conn.query_row("SELECT max(epoch_us(created_at)) FROM records", [], |r| r.get(0))?;
    let filter = RecordFilter {
        status: Some(ReviewStatus::NeedsReview),
        stored_after,
        ..RecordFilter::default()
    };
    let records = read_records_with_pages(conn, &filter)?;
    let mut keying = conn.prepare("SELECT page_id FROM pages WHERE status = 'needs_keying' ORDER BY page_id")?;
    let keying_pages = keying
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT m.record_a, m.record_b, r.batch_id, m.match_weight, m.match_probability, m.explanation
         FROM match_pairs m JOIN records r ON r.record_id = m.record_a
         WHERE m.decision = 'review' AND m.status = 'open'",
    )?;
    let pairs = stmt
        .query_map([], |r| {
            Ok(ReviewPair {
                record_a: r.get(0)?,
                record_b: r.get(1)?,
                batch_id: r.get(2)?,
                match_weight: r.get(3)?,
                match_probability: r.get(4)?,
                explanation: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Intake {
        records,
        keying_pages,
        pairs,
        batches: batch_figures(conn)?,
        watermark,
    })
}

/// The pages with these ids and their cells (boxes and fields, not the text).
/// Cells with the id of their page.
pub type PageCells = Vec<(String, StoredCell)>;

pub fn pages_and_cells(conn: &Connection, page_ids: &[String]) -> Result<(Vec<ReviewPage>, PageCells)> {
    fill_list(conn, "listed_pages", "page_id", page_ids)?;
    let mut stmt = conn.prepare(
        "SELECT p.page_id, p.batch_id, p.file_name, p.path, p.frame, p.width, p.height, p.status, p.quarantine_reason, p.ledger_type, p.quarter_turns
         FROM pages p WHERE p.page_id IN (SELECT page_id FROM listed_pages) ORDER BY p.page_id",
    )?;
    let pages = stmt
        .query_map([], |r| {
            Ok(ReviewPage {
                page_id: r.get(0)?,
                batch_id: r.get(1)?,
                file_name: r.get(2)?,
                path: r.get(3)?,
                frame: r.get(4)?,
                width: r.get(5)?,
                height: r.get(6)?,
                status: r.get(7)?,
                reason: r.get(8)?,
                ledger_type: r.get(9)?,
                quarter_turns: r.get(10)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare(
        "SELECT page_id, row_no, col_no, x, y, w, h, field FROM cells WHERE page_id IN (SELECT page_id FROM listed_pages)",
    )?;
    let cells = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                StoredCell {
                    row: r.get(1)?,
                    col: r.get(2)?,
                    x: r.get(3)?,
                    y: r.get(4)?,
                    w: r.get(5)?,
                    h: r.get(6)?,
                    field: r.get(7)?,
                    text: None,
                    confidence: 0.0,
                },
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((pages, cells))
}

/// Records of pairs, which review shows side by side whatever their status.
pub fn records_by_id(conn: &Connection, ids: &[String]) -> Result<Vec<(String, Record)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    read_records_with_pages(
        conn,
        &RecordFilter {
            ids: Some(ids.to_vec()),
            ..RecordFilter::default()
        },
    )
}

/// The ids of the records on pages still to key (those OCR read on a page read short
/// of rows, and those keyed so far), in page and row order: one query however many
/// pages wait.
pub fn record_ids_on_pages_to_key(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT r.record_id FROM records r JOIN pages p USING (page_id)
         WHERE p.status = ? ORDER BY r.page_id, r.row_no",
    )?;
    let ids = stmt.query_map([crate::pages::NEEDS_KEYING], |r| r.get(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}

pub fn batch_figures(conn: &Connection) -> Result<Vec<BatchFigures>> {
    let mut stmt = conn.prepare(
        "SELECT b.batch_id, b.agency_name, b.ledger_type,
                (SELECT count(*) FROM pages p WHERE p.batch_id = b.batch_id),
                count(r.record_id),
                count(*) FILTER (WHERE r.status = 'machine'),
                count(*) FILTER (WHERE r.status = 'needs_review'),
                count(*) FILTER (WHERE r.status = 'verified'),
                count(*) FILTER (WHERE r.status = 'rejected')
         FROM batches b LEFT JOIN records r ON r.batch_id = b.batch_id
         GROUP BY b.batch_id, b.agency_name, b.ledger_type ORDER BY b.batch_id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(BatchFigures {
            batch_id: r.get(0)?,
            agency_name: r.get(1)?,
            ledger_type: r.get(2)?,
            pages: r.get(3)?,
            records: r.get(4)?,
            machine: r.get(5)?,
            needs_review: r.get(6)?,
            verified: r.get(7)?,
            rejected: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The batch's records the machine accepted alone: the lot a QA sample is drawn from.
pub fn machine_record_ids(conn: &Connection, batch: &str) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT record_id FROM records WHERE batch_id = ? AND status = 'machine' ORDER BY record_id")?;
    let ids = stmt
        .query_map([batch], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}

/// The batch's province (two-digit GB/T 2260 code), if its manifest gave one.
pub fn batch_province(conn: &Connection, batch: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT province FROM batches WHERE batch_id = ?", [batch], |r| r.get(0))
        .optional()?
        .flatten())
}

/// The last journal entry of `journal_id` this workspace has applied.
pub fn applied_seq(conn: &Connection, journal_id: &str) -> Result<i64> {
    Ok(conn
        .query_row(
            "SELECT last_seq FROM review_applied WHERE journal_id = ?",
            [journal_id],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

/// A reviewer's decision on a pair, as the journal carries it.
#[derive(Debug, Clone)]
pub struct PairDecision {
    pub record_a: String,
    pub record_b: String,
    pub same: bool,
    pub by: String,
}

/// Applies reviewed records and pair decisions up to journal entry `last_seq`; the
/// caller runs it in one transaction so the position moves with the changes.
/// A page to key as the clerk turned it to lie upright.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PageTurn {
    pub page_id: String,
    pub quarter_turns: u8,
}

/// A page's keying finished (every row keyed) or, `finished` false, reopened (finished
/// by mistake, or short of rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageKeying {
    pub page_id: String,
    pub finished: bool,
}

/// What the review journal's outbox holds to apply: reviewed records (with their page),
/// pair decisions, batches that failed their QA sample, pages turned by hand, pages
/// whose keying was finished or reopened (in the order it happened: the last says).
pub struct Outbox<'a> {
    pub records: &'a [(String, Record)],
    pub pairs: &'a [PairDecision],
    pub failed_batches: &'a [String],
    pub page_turns: &'a [PageTurn],
    pub page_keying: &'a [PageKeying],
}

pub fn apply(conn: &Connection, journal_id: &str, last_seq: i64, outbox: &Outbox) -> Result<()> {
    replace_records(conn, outbox.records)?;
    for p in outbox.pairs {
        crate::persons::decide_pair(conn, &p.record_a, &p.record_b, p.same, &p.by)?;
    }
    // Only a page still to key with no cells: a page read since (or read short of rows)
    // keeps the turn OCR read it at.
    for t in outbox.page_turns {
        conn.execute(
            "UPDATE pages SET quarter_turns = ? WHERE page_id = ? AND status = ?
               AND NOT EXISTS (SELECT 1 FROM cells WHERE cells.page_id = pages.page_id)",
            params![t.quarter_turns, t.page_id, crate::pages::NEEDS_KEYING],
        )?;
    }
    // A page every row of which is keyed: no longer to key; reopened, to key again (read
    // again since, it is whatever that reading made it).
    for k in outbox.page_keying {
        let (from, to) = crate::pages::keying_move(k.finished);
        conn.execute(
            "UPDATE pages SET status = ? WHERE page_id = ? AND status = ?",
            params![to, k.page_id, from],
        )?;
    }
    // A batch that failed its QA sample: everything the machine accepted alone goes back
    // to people. Stored anew, so the next intake takes the records in as review items.
    for batch in outbox.failed_batches {
        conn.execute(
            "UPDATE records SET status = 'needs_review', created_at = ? WHERE batch_id = ? AND status = 'machine'",
            params![now_timestamp(), batch],
        )?;
    }
    conn.execute(
        "INSERT INTO review_applied (journal_id, last_seq, applied_at) VALUES (?, ?, ?)
         ON CONFLICT (journal_id) DO UPDATE SET last_seq = excluded.last_seq, applied_at = excluded.applied_at",
        params![journal_id, last_seq, now_timestamp()],
    )?;
    Ok(())
}
