//! Batch dashboard figures: per batch its pages, records, share verified, items waiting,
//! and from the audit log the work done per person per day and progress over time.

use anyhow::Result;
use serde::Serialize;

use ledgerline_store::review::BatchFigures;

use crate::auth::ACCOUNT_SUBJECT_PREFIX;
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
            })
        })?;
        rows.collect::<Result<_, _>>()?
    };
    for b in &mut batches {
        b.waiting = queue::waiting(db, &b.figures.batch_id)?;
        b.qa = crate::qa::status(db, &b.figures.batch_id)?;
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
         FROM audit WHERE record_id NOT LIKE '{ACCOUNT_SUBJECT_PREFIX}%'
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
