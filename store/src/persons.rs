//! The linkage tables: person ids on records, the scored pairs (with the human decisions
//! on them) and the history of every person id. Written in one transaction per
//! `ledgerline dedupe` run, in bulk (appender into a staging table, then one statement).

use anyhow::{Context, Result};
use duckdb::{params, Connection};

/// A scored pair as stored.
#[derive(Debug, Clone)]
pub struct PairRow {
    pub record_a: String,
    pub record_b: String,
    /// linked | review | refused
    pub decision: &'static str,
    pub match_weight: f64,
    pub match_probability: f64,
    /// JSON explanation.
    pub explanation: String,
}

/// A person-id event: created | merged | split.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub event: &'static str,
    pub person_id: String,
    pub other_person_id: Option<String>,
    pub records: Option<i32>,
}

/// Everything one dedupe run writes.
pub struct LinkageRun<'a> {
    pub run_id: &'a str,
    /// "all" or "batch:<id>"
    pub scope: &'a str,
    /// Only the batch whose open pairs this run replaces; `None` replaces all open pairs.
    pub batch: Option<&'a str>,
    pub settings: String,
    pub stats: String,
    pub model: String,
    /// (record_id, person_id) for records whose person id changed.
    pub person_ids: Vec<(String, String)>,
    pub pairs: Vec<PairRow>,
    pub events: Vec<EventRow>,
}

/// Writes a run; call inside a transaction so it lands whole or not at all.
pub fn save_run(conn: &Connection, run: &LinkageRun) -> Result<()> {
    conn.execute(
        "INSERT INTO dedupe_runs (run_id, scope, settings, stats, model) VALUES (?, ?, ?, ?, ?)",
        params![run.run_id, run.scope, run.settings, run.stats, run.model],
    )?;
    conn.execute_batch(
        "CREATE OR REPLACE TABLE staged_person_ids (record_id VARCHAR, person_id VARCHAR);
         CREATE OR REPLACE TABLE staged_pairs (record_a VARCHAR, record_b VARCHAR, decision VARCHAR,
             match_weight DOUBLE, match_probability DOUBLE, explanation VARCHAR);",
    )?;
    {
        let mut app = conn.appender("staged_person_ids")?;
        for (record, person) in &run.person_ids {
            app.append_row(params![record, person])?;
        }
        app.flush()?;
        let mut app = conn.appender("staged_pairs")?;
        for p in &run.pairs {
            app.append_row(params![
                p.record_a,
                p.record_b,
                p.decision,
                p.match_weight,
                p.match_probability,
                p.explanation
            ])?;
        }
        app.flush()?;
    }
    conn.execute(
        "UPDATE records SET person_id = s.person_id FROM staged_person_ids s WHERE records.record_id = s.record_id",
        [],
    )
    .context("updating person ids")?;
    // Open pairs are the machine's to replace; decided ones are people's work and stay.
    match run.batch {
        None => conn.execute("DELETE FROM match_pairs WHERE status = 'open'", [])?,
        Some(b) => conn.execute(
            "DELETE FROM match_pairs WHERE status = 'open'
               AND record_a IN (SELECT record_id FROM records WHERE batch_id = ?)",
            [b],
        )?,
    };
    conn.execute(
        "INSERT INTO match_pairs (record_a, record_b, run_id, decision, match_weight, match_probability, explanation)
         SELECT record_a, record_b, ?, decision, match_weight, match_probability, explanation FROM staged_pairs
         ON CONFLICT DO NOTHING",
        [run.run_id],
    )?;
    conn.execute_batch("DROP TABLE staged_person_ids; DROP TABLE staged_pairs;")?;
    let mut app = conn.appender("person_events")?;
    // The appender fills every column, defaults included: the event time is given.
    let now = crate::records::now_timestamp();
    for (seq, e) in run.events.iter().enumerate() {
        app.append_row(params![
            run.run_id,
            seq as i32,
            e.event,
            e.person_id,
            e.other_person_id,
            e.records,
            now
        ])?;
    }
    app.flush()?;
    Ok(())
}

/// Pairs people decided: (record_a, record_b, same?).
pub fn decided_pairs(conn: &Connection) -> Result<Vec<(String, String, bool)>> {
    let mut stmt = conn
        .prepare("SELECT record_a, record_b, status = 'same' FROM match_pairs WHERE status IN ('same', 'different')")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A pair's key in `match_pairs`: its two record ids in order, so a pair has one row.
pub fn pair_key<'a>(x: &'a str, y: &'a str) -> (&'a str, &'a str) {
    if x <= y {
        (x, y)
    } else {
        (y, x)
    }
}

/// Records a reviewer's decision on a pair.
pub fn decide_pair(conn: &Connection, record_a: &str, record_b: &str, same: bool, by: &str) -> Result<bool> {
    let (a, b) = pair_key(record_a, record_b);
    let n = conn.execute(
        "UPDATE match_pairs SET status = ?, decided_by = ?, decided_at = current_timestamp
         WHERE record_a = ? AND record_b = ?",
        params![if same { "same" } else { "different" }, by, a, b],
    )?;
    Ok(n == 1)
}
