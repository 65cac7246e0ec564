//! `ledgerline audit verify`: recompute the review audit log's hash chain.

use std::process::ExitCode;

use anyhow::Result;
use ledgerline_review::{audit, ReviewDb};
use ledgerline_store::Workspace;

use super::WorkspaceArg;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Check that no audit entry was altered or removed (exit status 1 if one was)
    Verify {
        #[command(flatten)]
        ws: WorkspaceArg,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(a: Args) -> Result<ExitCode> {
    let AuditCommand::Verify { ws, json } = a.command;
    let ws = Workspace::open(&ws.workspace)?;
    let Some(db) = ReviewDb::open_existing(ws.root())? else {
        eprintln!("{}: no review journal yet: nothing to verify", ws.root().display());
        return Ok(ExitCode::SUCCESS);
    };
    let report = audit::verify(&db)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if let Some(seq) = report.broken_at {
        println!(
            "audit log BROKEN at entry {seq}: {} ({} entries checked)",
            report.reason.as_deref().unwrap_or(""),
            report.entries
        );
    } else {
        println!("audit log intact: {} entries, every hash follows", report.entries);
    }
    Ok(if report.broken_at.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
