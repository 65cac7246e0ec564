//! The loads a basic database holds, for its DBA: each with its counts, the latest
//! first, and one load's report as it was written when the load committed. (A load's
//! own output is the only other place a report is seen; a DBA asked later what went in,
//! and what was refused or conflicted, had only SQL.)

use std::fmt;

use anyhow::{Context, Result};
use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::backfill::LoadReport;
use crate::{Database, UtcTime};

/// A load the database holds, as `ledgerline loads` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoadEntry {
    pub load_id: String,
    pub batch_id: String,
    pub finished_at: UtcTime,
    pub records: usize,
    pub inserted: usize,
    pub linked: usize,
    pub conflicts: usize,
    pub rejected: usize,
}

/// What a list needs of a stored report: its lists (a million-record load's is 31 MB of
/// JSON) counted as they are read, not kept.
#[derive(Deserialize)]
struct Counts {
    batch_id: String,
    records: usize,
    inserted: usize,
    linked: usize,
    conflicts: Length,
    rejected: Length,
}

/// The length of a JSON array, its elements skipped.
struct Length(usize);

impl<'de> Deserialize<'de> for Length {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Length, D::Error> {
        struct Counting;
        impl<'de> Visitor<'de> for Counting {
            type Value = usize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
                let mut n = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(n)
            }
        }
        d.deserialize_seq(Counting).map(Length)
    }
}

/// Every load the database holds, the latest finished first.
pub fn loads(db: &mut Database) -> Result<Vec<LoadEntry>> {
    let mut entries = Vec::new();
    db.each_row(
        "SELECT load_id, CAST(finished_at AS VARCHAR), report FROM loads
         WHERE finished_at IS NOT NULL ORDER BY finished_at DESC, load_id",
        &[],
        3,
        |v| {
            let [load_id, finished_at, report] = [v[0], v[1], v[2]].map(Option::unwrap_or_default);
            let finished = UtcTime::read_sql_text(finished_at, &format!("load {load_id}: finished_at"));
            // Each report is counted as its row comes, not all held first.
            entries.push(finished.and_then(|finished_at| {
                serde_json::from_str::<Counts>(report)
                    .with_context(|| format!("load {load_id}: its stored report"))
                    .map(|c| LoadEntry {
                        load_id: load_id.to_string(),
                        batch_id: c.batch_id,
                        finished_at,
                        records: c.records,
                        inserted: c.inserted,
                        linked: c.linked,
                        conflicts: c.conflicts.0,
                        rejected: c.rejected.0,
                    })
            }))
        },
    )?;
    entries.into_iter().collect()
}

/// The report of load `load_id` as it was written when it committed, if the database
/// holds that load.
pub fn report(db: &mut Database, load_id: &str) -> Result<Option<LoadReport>> {
    let stored = db.text(
        "SELECT report FROM loads WHERE load_id = $1 AND finished_at IS NOT NULL",
        &[load_id],
    )?;
    stored
        .map(|r| serde_json::from_str(&r).with_context(|| format!("load {load_id}: its stored report")))
        .transpose()
}
