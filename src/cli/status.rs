//! `ledgerline status`: what the workspace holds.

use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use ledgerline_store::Workspace;

use super::WorkspaceArg;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub ws: WorkspaceArg,
    /// Print JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
pub(super) struct BatchStatus {
    batch_id: String,
    agency_name: String,
    ledger_type: String,
    pub(super) pages: i64,
    pages_read: i64,
    /// Pages to key in the review app: no printed table found on them (handwriting), or
    /// rows of it not found (the rows found are read).
    pages_needing_keying: i64,
    /// Pages to key whose keyer has said every row is keyed.
    pages_keyed: i64,
    pub(super) pages_quarantined: i64,
    records: i64,
    records_needing_review: i64,
    records_verified: i64,
    /// Records a load would take (verified, or accepted by the machine) that dedupe has
    /// not made part of a person yet (read or keyed since it last ran): the batch does not
    /// load until it runs.
    records_not_in_persons: i64,
}

#[derive(Serialize)]
struct Status {
    workspace: String,
    schema_version: i32,
    batches: Vec<BatchStatus>,
}

/// The records `r` a load would take (verified, or accepted by the machine) that dedupe
/// has not made part of a person yet.
pub(super) const NOT_IN_PERSONS: &str = "r.status IN ('verified', 'machine') AND r.person_id IS NULL";

/// The batches of the workspace (or the one named), with their pages and records.
pub(super) fn batch_statuses(ws: &Workspace, only: Option<&str>) -> Result<Vec<BatchStatus>> {
    ws.with_store(|c| {
        let mut s = c.prepare(&format!(
            "SELECT b.batch_id, b.agency_name, b.ledger_type,
                (SELECT count(*) FROM pages p WHERE p.batch_id = b.batch_id),
                (SELECT count(*) FROM pages p WHERE p.batch_id = b.batch_id AND p.status = 'read'),
                (SELECT count(*) FROM pages p WHERE p.batch_id = b.batch_id AND p.status = 'needs_keying'),
                (SELECT count(*) FROM pages p WHERE p.batch_id = b.batch_id AND p.status = 'quarantined'),
                (SELECT count(*) FROM pages p WHERE p.batch_id = b.batch_id AND p.status = 'keyed'),
                (SELECT count(*) FROM records r WHERE r.batch_id = b.batch_id),
                (SELECT count(*) FROM records r WHERE r.batch_id = b.batch_id AND r.status = 'needs_review'),
                (SELECT count(*) FROM records r WHERE r.batch_id = b.batch_id AND r.status = 'verified'),
                (SELECT count(*) FROM records r WHERE r.batch_id = b.batch_id AND {NOT_IN_PERSONS})
             FROM batches b WHERE ?1 IS NULL OR b.batch_id = ?1 ORDER BY b.created_at, b.batch_id"
        ))?;
        let rows = s.query_map([only], |r| {
            Ok(BatchStatus {
                batch_id: r.get(0)?,
                agency_name: r.get(1)?,
                ledger_type: r.get(2)?,
                pages: r.get(3)?,
                pages_read: r.get(4)?,
                pages_needing_keying: r.get(5)?,
                pages_quarantined: r.get(6)?,
                pages_keyed: r.get(7)?,
                records: r.get(8)?,
                records_needing_review: r.get(9)?,
                records_verified: r.get(10)?,
                records_not_in_persons: r.get(11)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
}

impl BatchStatus {
    /// One line of `status`'s table: the batch's pages and records, in columns.
    pub(super) fn line(&self) -> String {
        let (pages, records) = self.counts();
        format!(
            "{:<24} {:<9} pages {:>5} {pages}  records {:>6} {records}",
            self.batch_id, self.ledger_type, self.pages, self.records,
        )
    }

    /// The batch's pages and records as a sentence, for a command that worked on it.
    pub(super) fn sentence(&self) -> String {
        let (pages, records) = self.counts();
        format!(
            "batch {} ({}) holds {} pages {pages} and {} records {records}",
            self.batch_id, self.ledger_type, self.pages, self.records,
        )
    }

    /// What became of the pages and of the records, each in parentheses.
    fn counts(&self) -> (String, String) {
        (
            format!(
                "(read {}, to key {}, keyed {}, quarantined {})",
                self.pages_read, self.pages_needing_keying, self.pages_keyed, self.pages_quarantined
            ),
            format!(
                "(needs review {}, verified {}, not deduplicated {})",
                self.records_needing_review, self.records_verified, self.records_not_in_persons
            ),
        )
    }
}

pub fn run(a: Args) -> Result<ExitCode> {
    let ws = a.ws.open_reviewed()?;
    let batches = batch_statuses(&ws, None)?;
    let status = Status {
        workspace: ws.root().display().to_string(),
        schema_version: ws.schema_version()?,
        batches,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        println!("workspace {} (schema v{})", status.workspace, status.schema_version);
        for b in &status.batches {
            println!("  {}", b.line());
        }
        if status.batches.is_empty() {
            println!("  no batches yet: run `ledgerline ingest BATCH_DIR`");
        }
    }
    Ok(ExitCode::SUCCESS)
}
