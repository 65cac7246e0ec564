//! Batch dashboard figures: per batch its pages, records, share verified, items waiting,
//! and from the audit log the work done per person per day and progress over time.

use anyhow::Result;
use serde::Serialize;

use ledgerline_store::review::BatchFigures;

use crate::auth::{ACCOUNT_SUBJECT_PREFIX, LOGIN_SUBJECT_PREFIX};
use crate::db::ReviewDb;
use crate::queue::{self, Waiting};

#[derive(Debug, Clone, Serialize)]
pub struct BatchRow {
    #[serde(flatten)]
    pub figures: BatchFigures,
    /// Verified or rejected by people, or accepted by the machine, as a share of all.
    pub percent_done: f64,
    pub waiting: Waiting,
    /// Records verified per day, oldest first: the progress chart.
    pub progress: Vec<DayCount>,
    /// The acceptance sample, once drawn.
    pub qa: Option<crate::qa::QaStatus>,
    /// Pages keyed by hand and marked finished, how many.
    pub pages_keyed: i64,
    /// The last [`KEYED_LISTED`] of them, the latest first: where a reviewer looks at a
    /// page a clerk finished, and reopens it when rows are missing.
    pub keyed_pages: Vec<KeyedPage>,
}

/// How many of a batch's keyed pages the dashboard lists.
pub const KEYED_LISTED: usize = 100;

/// A page keyed by hand and marked finished.
#[derive(Debug, Clone, Serialize)]
pub struct KeyedPage {
    pub page_id: String,
    pub file_name: String,
    /// Who finished it, and when (unix seconds): none for a page finished in another
    /// journal, whose keying came here already done.
    pub keyed_by: Option<String>,
    pub keyed_at: Option<i64>,
    /// Its records: the rows keyed (and any OCR read before the rows it missed).
    pub rows: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayCount {
    pub day: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonDay {
    pub username: String,
    pub day: String,
    /// Items finished: records accepted, rejected or keyed, pairs decided.
    pub items: i64,
    pub fields_corrected: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub batches: Vec<BatchRow>,
    pub throughput: Vec<PersonDay>,
}

/// Local calendar day of a unix time, in SQLite.
const DAY: &str = "date(at, 'unixepoch', 'localtime')";

pub fn dashboard(db: &ReviewDb) -> Result<Dashboard> {
    let mut batches: Vec<BatchRow> = {
        let conn = db.read()?;
        let mut stmt = conn.prepare_cached(
            "SELECT batch_id, agency_name, ledger_type, pages, records, machine, needs_review, verified, rejected
             FROM batches ORDER BY batch_id",
        )?;
        let rows = stmt.query_map([], |r| {
            let figures = BatchFigures {
                batch_id: r.get(0)?,
                agency_name: r.get(1)?,
                ledger_type: r.get(2)?,
                pages: r.get(3)?,
                records: r.get(4)?,
                machine: r.get(5)?,
                needs_review: r.get(6)?,
                verified: r.get(7)?,
                rejected: r.get(8)?,
            };
            let done = figures.machine + figures.verified + figures.rejected;
            Ok(BatchRow {
                percent_done: if figures.records > 0 {
                    (1000.0 * done as f64 / figures.records as f64).round() / 10.0
                } else {
                    0.0
                },
                figures,
                waiting: Waiting::default(),
                progress: Vec::new(),
                qa: None,
                pages_keyed: 0,
                keyed_pages: Vec::new(),
            })
        })?;
        rows.collect::<Result<_, _>>()?
    };
    for b in &mut batches {
        b.waiting = queue::waiting(db, &b.figures.batch_id)?;
        b.qa = crate::qa::status(db, &b.figures.batch_id)?;
        (b.pages_keyed, b.keyed_pages) = keyed_pages(db, &b.figures.batch_id)?;
        let conn = db.read()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DAY} AS day, count(*) FROM audit a JOIN records r USING (record_id)
             WHERE r.batch_id = ?1
               AND ((a.action = 'accept' AND a.field IS NULL AND a.after = 'verified')
                    OR (a.action = 'key' AND a.field = 'deceased_name'))
             GROUP BY day ORDER BY day"
        ))?;
        b.progress = stmt
            .query_map([&b.figures.batch_id], |r| {
                Ok(DayCount {
                    day: r.get(0)?,
                    count: r.get(1)?,
                })
            })?
            .collect::<Result<_, _>>()?;
    }
    let conn = db.read()?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT username, {DAY} AS day,
                count(*) FILTER (WHERE field IS NULL AND action IN ('accept', 'reject'))
                  + count(*) FILTER (WHERE action IN ('same', 'different', 'merge') AND record_id < after)
                  + count(*) FILTER (WHERE action = 'key' AND field = 'deceased_name'),
                count(*) FILTER (WHERE action = 'correct')
         FROM audit WHERE record_id NOT LIKE '{ACCOUNT_SUBJECT_PREFIX}%' AND record_id NOT LIKE '{LOGIN_SUBJECT_PREFIX}%'
         GROUP BY username, day ORDER BY day DESC, username LIMIT 500"
    ))?;
    let throughput = stmt
        .query_map([], |r| {
            Ok(PersonDay {
                username: r.get(0)?,
                day: r.get(1)?,
                items: r.get(2)?,
                fields_corrected: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(Dashboard { batches, throughput })
}

/// How many pages of `batch` are keyed, and the latest [`KEYED_LISTED`] of them; who
/// finished each is the keying item's `done_by`, as a refused reopening names them.
fn keyed_pages(db: &ReviewDb, batch: &str) -> Result<(i64, Vec<KeyedPage>)> {
    let conn = db.read()?;
    let keyed = ledgerline_store::pages::KEYED;
    let count = conn
        .prepare_cached("SELECT count(*) FROM pages WHERE batch_id = ?1 AND status = ?2")?
        .query_row([batch, keyed], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT p.page_id, p.file_name, i.done_by, i.done_at,
                (SELECT count(*) FROM records r WHERE r.page_id = p.page_id)
         FROM pages p LEFT JOIN items i ON i.item_id = 'page:' || p.page_id AND i.state = 'done'
         WHERE p.batch_id = ?1 AND p.status = ?2
         ORDER BY i.done_at IS NULL, i.done_at DESC, p.file_name, p.page_id
         LIMIT ?3",
    )?;
    let listed = stmt
        .query_map(rusqlite::params![batch, keyed, KEYED_LISTED as i64], |r| {
            Ok(KeyedPage {
                page_id: r.get(0)?,
                file_name: r.get(1)?,
                keyed_by: r.get(2)?,
                keyed_at: r.get(3)?,
                rows: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok((count, listed))
}
