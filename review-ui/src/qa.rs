//! The QA gate: before a batch may load, people check a random sample of its
//! machine-accepted records against the page images, under the single sampling plan of
//! ISO 2859-1 for the batch's size and the province's AQL (`ledgerline_load::sampling`).
//! A sampled record accepted unchanged conforms; one corrected or rejected does not.
//! Reaching the plan's rejection number fails the batch at once: the remaining sample is
//! withdrawn and every machine-accepted record of the batch goes back to review.

use anyhow::{bail, Result};
use ledgerline_load::sampling::{self, Plan, Verdict};
use ledgerline_store::review as ws_review;
use ledgerline_store::Workspace;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::{now, ReviewDb};
use crate::queue::{self, Kind};
use crate::sync::fetch_records;

#[derive(Debug, Clone, Serialize)]
pub struct QaStatus {
    pub batch_id: String,
    pub attempt: i64,
    #[serde(flatten)]
    pub plan: Plan,
    pub inspected: u64,
    pub defects: u64,
    pub verdict: Verdict,
}

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Pending => "pending",
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
    }
}

/// The batch's current QA state, if a sample was ever drawn.
pub fn status(db: &ReviewDb, batch: &str) -> Result<Option<QaStatus>> {
    let reader = db.read()?;
    status_in(&reader, batch)
}

fn status_in(conn: &rusqlite::Connection, batch: &str) -> Result<Option<QaStatus>> {
    let row = conn
        .prepare_cached(
            "SELECT attempt, aql, lot_size, code_letter, plan_letter, sample_size, accept, reject, verdict
             FROM qa_plans WHERE batch_id = ?1",
        )?
        .query_row([batch], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                Plan {
                    aql: r.get(1)?,
                    lot_size: r.get::<_, i64>(2)? as u64,
                    code_letter: r.get::<_, String>(3)?.chars().next().unwrap_or('?'),
                    plan_letter: r.get::<_, String>(4)?.chars().next().unwrap_or('?'),
                    sample_size: r.get::<_, i64>(5)? as u64,
                    accept: r.get(6)?,
                    reject: r.get(7)?,
                },
                r.get::<_, String>(8)?,
            ))
        })
        .optional()?;
    let Some((attempt, plan, stored)) = row else {
        return Ok(None);
    };
    let (inspected, defects): (i64, i64) = conn.prepare_cached(
        "SELECT count(outcome), count(*) FILTER (WHERE outcome = 'nonconforming') FROM qa_samples WHERE batch_id = ?1 AND attempt = ?2",
    )?
    .query_row(params![batch, attempt], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let verdict = match stored.as_str() {
        "fail" => Verdict::Fail,
        _ => sampling::verdict(&plan, inspected as u64, defects as u64),
    };
    Ok(Some(QaStatus {
        batch_id: batch.to_string(),
        attempt,
        plan,
        inspected: inspected as u64,
        defects: defects as u64,
        verdict,
    }))
}

/// The record ids of the batch's current sample still waiting for inspection.
pub fn waiting_sample(db: &ReviewDb, batch: &str) -> Result<Vec<String>> {
    let reader = db.read()?;
    let mut stmt = reader.prepare_cached(
        "SELECT s.record_id FROM qa_samples s JOIN qa_plans p ON p.batch_id = s.batch_id AND p.attempt = s.attempt
         WHERE s.batch_id = ?1 AND s.outcome IS NULL ORDER BY s.record_id",
    )?;
    let ids = stmt.query_map([batch], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(ids)
}

/// Accepts every waiting sample record of the batch unchanged, as `who`: an inspector
/// who finds nothing wrong. For tests and benchmarks that need a batch past its gate.
pub fn accept_waiting_sample(db: &ReviewDb, batch: &str, who: &crate::records::Editor) -> Result<usize> {
    let ids = waiting_sample(db, batch)?;
    for id in &ids {
        let edit = crate::records::Edit {
            version: 0,
            fields: Default::default(),
            action: crate::records::Action::Accept,
        };
        if let Err(e) = crate::records::save(db, id, &edit, who)? {
            bail!("{id}: the sample record could not be accepted: {e:?}");
        }
    }
    Ok(ids.len())
}

/// Draws the batch's sample and queues it, unless a sample is already being inspected
/// or has passed (then it reports that). After a failed sample, draws a new one from
/// what is machine-accepted now.
pub fn start(ws: &Workspace, db: &ReviewDb, batch: &str, aql: f64, by: &str) -> Result<QaStatus> {
    // Checked first: a sample already drawn, or a lot too small to sample, must not let
    // a wrong AQL pass.
    sampling::preferred_aql(aql)?;
    let previous = status(db, batch)?;
    if let Some(s) = previous.as_ref().filter(|s| s.verdict != Verdict::Fail) {
        return Ok(s.clone());
    }
    let attempt = previous.map_or(1, |s| s.attempt + 1);
    // Records of a batch are a batch, registered or not (generated record sets have no
    // batch row), as for every command that names one.
    ws.require_batch(batch)?;
    let mut lot = ws.with_store(|c| ws_review::machine_record_ids(c, batch))?;
    let plan = if lot.len() < 2 {
        // Nothing (or one record) the machine accepted alone: inspect it whole.
        Plan {
            lot_size: lot.len() as u64,
            aql,
            code_letter: 'A',
            plan_letter: 'A',
            sample_size: lot.len() as u64,
            accept: 0,
            reject: 1,
        }
    } else {
        sampling::plan(lot.len() as u64, aql)?
    };
    // A deterministic draw: the same batch and attempt give the same sample.
    let key = |id: &str| Sha256::digest(format!("{batch}\u{0}{attempt}\u{0}{id}").as_bytes());
    lot.sort_by_cached_key(|id| key(id));
    lot.truncate(plan.sample_size as usize);
    let records = fetch_records(ws, db, &lot)?;
    db.transaction(|tx| {
        tx.execute(
            "INSERT OR REPLACE INTO qa_plans (batch_id, attempt, aql, lot_size, code_letter, plan_letter, sample_size,
                 accept, reject, verdict, started_at, started_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                batch,
                attempt,
                aql,
                plan.lot_size as i64,
                plan.code_letter.to_string(),
                plan.plan_letter.to_string(),
                plan.sample_size as i64,
                plan.accept,
                plan.reject,
                verdict_name(sampling::verdict(&plan, 0, 0)),
                now(),
                by
            ],
        )?;
        tx.execute("DELETE FROM items WHERE kind = 'qa' AND batch_id = ?1", [batch])?;
        for (_, r) in &records {
            tx.execute(
                "INSERT OR IGNORE INTO qa_samples (batch_id, attempt, record_id) VALUES (?1, ?2, ?3)",
                params![batch, attempt, r.record_id],
            )?;
            let sort_key = format!("{}#{:04}", r.source.page, r.source.row);
            queue::add(tx, &queue::qa_item(&r.record_id), Kind::Qa, batch, &sort_key)?;
        }
        Ok(())
    })?;
    Ok(status(db, batch)?.expect("just started"))
}

/// Whether the record is a sampled record still waiting for inspection.
pub fn is_waiting(tx: &Transaction, record_id: &str) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM items WHERE item_id = ?1 AND state = 'open'")?
        .query_row([queue::qa_item(record_id)], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Records a sampled record's inspection and settles the batch's verdict when it can.
pub fn inspected(tx: &Transaction, batch: &str, record_id: &str, conforming: bool, by: &str) -> Result<()> {
    let attempt: i64 = tx.query_row("SELECT attempt FROM qa_plans WHERE batch_id = ?1", [batch], |r| {
        r.get(0)
    })?;
    tx.execute(
        "UPDATE qa_samples SET outcome = ?4, inspected_by = ?5, inspected_at = ?6
         WHERE batch_id = ?1 AND attempt = ?2 AND record_id = ?3",
        params![
            batch,
            attempt,
            record_id,
            if conforming { "conforming" } else { "nonconforming" },
            by,
            now()
        ],
    )?;
    queue::finish(tx, &queue::qa_item(record_id), by)?;
    let s = status_in(tx, batch)?.expect("a plan exists");
    match s.verdict {
        Verdict::Pending => {}
        Verdict::Pass => {
            tx.execute(
                "UPDATE qa_plans SET verdict = 'pass', decided_at = ?2 WHERE batch_id = ?1",
                params![batch, now()],
            )?;
        }
        Verdict::Fail => {
            tx.execute(
                "UPDATE qa_plans SET verdict = 'fail', decided_at = ?2 WHERE batch_id = ?1",
                params![batch, now()],
            )?;
            tx.execute(
                "UPDATE items SET state = 'done', done_at = ?2, done_by = 'qa: batch failed', leased_by = NULL
                 WHERE kind = 'qa' AND batch_id = ?1 AND state = 'open'",
                params![batch, now()],
            )?;
            tx.execute(
                "INSERT INTO outbox (kind, key, payload, at) VALUES ('qa_fail', ?1, ?2, ?3)",
                params![batch, serde_json::json!({ "batch_id": batch }).to_string(), now()],
            )?;
        }
    }
    Ok(())
}
