//! `ledgerline status`: what the workspace holds.

use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

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
struct BatchStatus {
    batch_id: String,
    agency_name: String,
    ledger_type: String,
    pages: i64,
    pages_read: i64,
    pages_quarantined: i64,
    records: i64,
    records_needing_review: i64,
    records_verified: i64,
}

#[derive(Serialize)]
struct Status {
    workspace: String,
    schema_version: i32,
    batches: Vec<BatchStatus>,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let ws = a.ws.open_reviewed()?;
    let batches = ws.with_store(|c| {
        let mut s = c.prepare(
            "SELECT b.batch_id, b.agency_name, b.ledger_type,
                (SELECT count(*) FROM pages p WHERE p.batch_id = b.batch_id),
                (SELECT count(*) FROM pages p WHERE p.batch_id = b.batch_id AND p.status = 'read'),
                (SELECT count(*) FROM pages p WHERE p.batch_id = b.batch_id AND p.status = 'quarantined'),
                (SELECT count(*) FROM records r WHERE r.batch_id = b.batch_id),
                (SELECT count(*) FROM records r WHERE r.batch_id = b.batch_id AND r.status = 'needs_review'),
                (SELECT count(*) FROM records r WHERE r.batch_id = b.batch_id AND r.status = 'verified')
             FROM batches b ORDER BY b.created_at, b.batch_id",
        )?;
        let rows = s.query_map([], |r| {
            Ok(BatchStatus {
                batch_id: r.get(0)?,
                agency_name: r.get(1)?,
                ledger_type: r.get(2)?,
                pages: r.get(3)?,
                pages_read: r.get(4)?,
                pages_quarantined: r.get(5)?,
                records: r.get(6)?,
                records_needing_review: r.get(7)?,
                records_verified: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })?;
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
            println!(
                "  {:<24} {:<9} pages {:>5} (read {}, quarantined {})  records {:>6} (needs review {}, verified {})",
                b.batch_id,
                b.ledger_type,
                b.pages,
                b.pages_read,
                b.pages_quarantined,
                b.records,
                b.records_needing_review,
                b.records_verified
            );
        }
        if status.batches.is_empty() {
            println!("  no batches yet: run `ledgerline ingest BATCH_DIR`");
        }
    }
    Ok(ExitCode::SUCCESS)
}
