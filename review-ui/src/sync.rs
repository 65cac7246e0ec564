//! Moving work between the DuckDB workspace and the review journal.
//!
//! *Intake* takes in what needs people: records needing review stored since the last
//! intake, duplicate candidates, pages to key, batch figures. *Apply* writes the
//! journal's outbox (reviewed records, pair decisions) into the workspace, together
//! with the outbox position reached, so a killed apply is redone whole. Both run in one
//! short unit of work under the workspace lock: the server runs them every few seconds,
//! and CLI commands that read records apply first, so they see reviewers' work whether
//! or not a server is running.

use std::collections::BTreeSet;
use std::time::Instant;

use anyhow::{Context, Result};
use ledgerline_schemas::Record;
use ledgerline_store::review::{self as ws_review, PageKeying, PageTurn, PairDecision};
use ledgerline_store::Workspace;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::db::{now, ReviewDb};
use crate::queue::{self, Kind};

#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    /// Outbox entries written to the workspace.
    pub applied: usize,
    pub records_in: usize,
    pub pairs_in: usize,
    pub pages_to_key: usize,
    pub seconds: f64,
}

#[derive(Deserialize)]
struct RecordPayload {
    page_id: String,
    record: Record,
}

#[derive(Deserialize)]
struct PairPayload {
    record_a: String,
    record_b: String,
    status: String,
    decided_by: String,
}

/// Outbox entries after a position: records (with their page) and pair decisions.
struct Pending {
    last: i64,
    records: Vec<(String, Record)>,
    pairs: Vec<PairDecision>,
    failed_batches: Vec<String>,
    page_turns: Vec<PageTurn>,
    page_keying: Vec<PageKeying>,
}

fn pending(db: &ReviewDb, after: i64) -> Result<Pending> {
    let conn = db.read()?;
    let mut stmt = conn.prepare("SELECT seq, kind, payload FROM outbox WHERE seq > ?1 ORDER BY seq")?;
    let mut rows = stmt.query([after])?;
    let (mut last, mut records, mut pairs, mut failed_batches, mut page_turns, mut page_keying) =
        (after, Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    while let Some(r) = rows.next()? {
        let (seq, kind, payload): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        last = seq;
        // The text under `key` of a payload that names one thing (a batch, a page).
        let named = |key: &str| -> Result<String> {
            let v: serde_json::Value = serde_json::from_str(&payload).with_context(|| format!("outbox entry {seq}"))?;
            Ok(v[key].as_str().unwrap_or_default().to_string())
        };
        if kind == "page_turn" {
            page_turns.push(serde_json::from_str(&payload).with_context(|| format!("outbox entry {seq}"))?);
        } else if kind == "qa_fail" {
            failed_batches.push(named("batch_id")?);
        } else if kind == "page_keyed" || kind == "page_reopened" {
            page_keying.push(PageKeying {
                page_id: named("page_id")?,
                finished: kind == "page_keyed",
            });
        } else if kind == "pair" {
            let p: PairPayload = serde_json::from_str(&payload).with_context(|| format!("outbox entry {seq}"))?;
            pairs.push(PairDecision {
                record_a: p.record_a,
                record_b: p.record_b,
                same: p.status == "same",
                by: p.decided_by,
            });
        } else {
            let p: RecordPayload = serde_json::from_str(&payload).with_context(|| format!("outbox entry {seq}"))?;
            records.push((p.page_id, p.record));
        }
    }
    Ok(Pending {
        last,
        records,
        pairs,
        failed_batches,
        page_turns,
        page_keying,
    })
}

fn apply_in(conn: &duckdb::Connection, db: &ReviewDb, journal_id: &str) -> Result<usize> {
    let after = ws_review::applied_seq(conn, journal_id)?;
    let p = pending(db, after)?;
    if p.last == after {
        return Ok(0);
    }
    let outbox = ws_review::Outbox {
        records: &p.records,
        pairs: &p.pairs,
        failed_batches: &p.failed_batches,
        page_turns: &p.page_turns,
        page_keying: &p.page_keying,
    };
    ws_review::apply(conn, journal_id, p.last, &outbox)?;
    Ok(p.records.len() + p.pairs.len() + p.failed_batches.len() + p.page_turns.len() + p.page_keying.len())
}

/// Writes the reviewers' pending work into the workspace (CLI commands call this before
/// reading records). Does nothing when the workspace has no review journal.
pub fn apply_pending(ws: &Workspace) -> Result<usize> {
    let Some(db) = ReviewDb::open_existing(ws.root())? else {
        return Ok(0);
    };
    let journal_id = db.journal_id()?;
    ws.transaction(|conn| apply_in(conn, &db, &journal_id))
        .context("applying the review journal to the workspace")
}

/// Takes records in from the workspace (a search hit opened in the app, a QA sample)
/// with their pages and cells, as records to show and correct but not as queue items.
/// Returns the records found, with their page ids.
pub fn fetch_records(ws: &Workspace, db: &ReviewDb, ids: &[String]) -> Result<Vec<(String, Record)>> {
    let (records, pages, cells) = ws.with_store(|conn| {
        let records = ws_review::records_by_id(conn, ids)?;
        let page_ids: Vec<String> = records
            .iter()
            .map(|(p, _)| p.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let (pages, cells) = ws_review::pages_and_cells(conn, &page_ids)?;
        Ok((records, pages, cells))
    })?;
    take_in(
        db,
        &Incoming {
            context_records: records.clone(),
            pages,
            cells,
            ..Incoming::default()
        },
    )?;
    Ok(records)
}

/// Applies the outbox, then takes in new work.
pub fn sync(ws: &Workspace, db: &ReviewDb) -> Result<SyncReport> {
    let start = Instant::now();
    let journal_id = db.journal_id()?;
    let stored_after: Option<i64> = db
        .read()?
        .query_row("SELECT value FROM intake_state WHERE key = 'stored_after'", [], |r| {
            r.get::<_, String>(0)
        })
        .optional()?
        .and_then(|v| v.parse().ok());
    let (applied, intake, extra, pages, cells) = ws.transaction(|conn| {
        let applied = apply_in(conn, db, &journal_id)?;
        let intake = ws_review::intake(conn, stored_after)?;
        // Records the journal has not seen (machine-accepted ones, say) that a work item
        // shows: pair members, and the rows OCR read on a page to key short of rows (the
        // keyer keys on after them).
        let on_pages_to_key = ws_review::record_ids_on_pages_to_key(conn)?;
        let missing: Vec<String> = {
            let c = db.read()?;
            let mut known = c.prepare_cached("SELECT 1 FROM records WHERE record_id = ?1")?;
            let mut out = BTreeSet::new();
            let shown = intake.pairs.iter().flat_map(|p| [&p.record_a, &p.record_b]);
            for id in shown.chain(&on_pages_to_key) {
                if known.query_row([id], |_| Ok(())).optional()?.is_none() {
                    out.insert(id.clone());
                }
            }
            out.into_iter().collect()
        };
        let extra = ws_review::records_by_id(conn, &missing)?;
        let page_ids: BTreeSet<String> = intake
            .records
            .iter()
            .chain(&extra)
            .map(|(p, _)| p.clone())
            .chain(intake.keying_pages.iter().cloned())
            .collect();
        let (pages, cells) = ws_review::pages_and_cells(conn, &page_ids.into_iter().collect::<Vec<_>>())?;
        Ok((applied, intake, extra, pages, cells))
    })?;
    let report = SyncReport {
        applied,
        records_in: intake.records.len(),
        pairs_in: intake.pairs.len(),
        pages_to_key: intake.keying_pages.len(),
        seconds: 0.0,
    };
    take_in(
        db,
        &Incoming {
            records: intake.records,
            context_records: extra,
            pages,
            cells,
            pairs: intake.pairs,
            batches: intake.batches,
            watermark: intake.watermark,
        },
    )?;
    Ok(SyncReport {
        seconds: start.elapsed().as_secs_f64(),
        ..report
    })
}

/// What an intake brings: records needing review (each becomes a queue item), records
/// shown only beside them (pair members), pages and cells, duplicate candidates, batch
/// figures, and the workspace time reached.
#[derive(Debug, Default)]
pub struct Incoming {
    pub records: Vec<(String, Record)>,
    pub context_records: Vec<(String, Record)>,
    pub pages: Vec<ws_review::ReviewPage>,
    pub cells: ws_review::PageCells,
    pub pairs: Vec<ws_review::ReviewPair>,
    pub batches: Vec<ws_review::BatchFigures>,
    pub watermark: Option<i64>,
}

/// Writes an intake into the journal in one transaction. A record people have touched
/// (version > 0) keeps their work over a re-reading; a finished item stays finished.
pub fn take_in(db: &ReviewDb, inc: &Incoming) -> Result<()> {
    db.transaction(|tx| {
        for p in &inc.pages {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO pages (page_id, batch_id, file_name, path, frame, width, height, status, reason, ledger_type, quarter_turns)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                p.page_id,
                p.batch_id,
                p.file_name,
                p.path,
                p.frame,
                p.width,
                p.height,
                p.status,
                p.reason,
                p.ledger_type,
                p.quarter_turns
            ])?;
        }
        for (page_id, c) in &inc.cells {
            tx.prepare_cached("INSERT OR REPLACE INTO cells VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?
                .execute(params![page_id, c.row, c.col, c.x, c.y, c.w, c.h, c.field])?;
        }
        for ((page_id, r), needs_item) in inc
            .records
            .iter()
            .map(|x| (x, true))
            .chain(inc.context_records.iter().map(|x| (x, false)))
        {
            let json = serde_json::to_string(r)?;
            tx.prepare_cached(
                "INSERT INTO records (record_id, batch_id, page_id, row_no, status, version, record, machine)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?6)
                 ON CONFLICT (record_id) DO UPDATE SET page_id = excluded.page_id, status = excluded.status,
                     record = excluded.record, machine = excluded.machine WHERE records.version = 0",
            )?
            .execute(params![
                r.record_id,
                r.source.batch,
                page_id,
                r.source.row,
                r.review.status.as_str(),
                json
            ])?;
            if needs_item {
                let sort_key = format!("{}#{:04}", r.source.page, r.source.row);
                queue::add(tx, &queue::record_item(&r.record_id), Kind::Record, &r.source.batch, &sort_key)?;
            }
        }
        for p in &inc.pairs {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO pairs (record_a, record_b, batch_id, match_weight, match_probability, explanation)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                p.record_a,
                p.record_b,
                p.batch_id,
                p.match_weight,
                p.match_probability,
                p.explanation
            ])?;
            queue::add(
                tx,
                &queue::pair_item(&p.record_a, &p.record_b),
                Kind::Pair,
                &p.batch_id,
                &format!("{}|{}", p.record_a, p.record_b),
            )?;
        }
        for p in inc.pages.iter().filter(|p| p.status == ledgerline_store::pages::NEEDS_KEYING) {
            queue::add(tx, &queue::page_item(&p.page_id), Kind::Page, &p.batch_id, &p.file_name)?;
        }
        for b in &inc.batches {
            tx.prepare_cached("INSERT OR REPLACE INTO batches VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?
                .execute(params![
                    b.batch_id,
                    b.agency_name,
                    b.ledger_type,
                    b.pages,
                    b.records,
                    b.machine,
                    b.needs_review,
                    b.verified,
                    b.rejected,
                    now()
                ])?;
        }
        if let Some(w) = inc.watermark {
            tx.execute(
                "INSERT OR REPLACE INTO intake_state VALUES ('stored_after', ?1)",
                [w.to_string()],
            )?;
        }
        Ok(())
    })
}
