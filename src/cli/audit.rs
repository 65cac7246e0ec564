//! `ledgerline audit verify`: recompute the review audit log's hash chain.

use std::process::ExitCode;

use anyhow::Result;
use ledgerline_review::{audit, ReviewDb};

use super::WorkspaceArg;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Check that no audit entry was altered or removed (exit status 1 if one was)
    ///
    /// Prints the head of the log as SEQ:HASH. Keep it somewhere else (the DBA's
    /// records, a signed report): entries cut off the end leave a chain that still
    /// follows, and only `--anchor` with a head noted earlier reveals them gone.
    Verify {
        #[command(flatten)]
        ws: WorkspaceArg,
        /// A head printed by an earlier verify (SEQ:HASH): the log must still hold that
        /// entry with that hash
        #[arg(long, value_name = "SEQ:HASH")]
        anchor: Option<audit::Anchor>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(a: Args) -> Result<ExitCode> {
    let AuditCommand::Verify { ws, anchor, json } = a.command;
    let ws = ws.open_existing()?;
    let Some(db) = ReviewDb::open_existing(ws.root())? else {
        eprintln!("{}: no review journal yet: nothing to verify", ws.root().display());
        return Ok(ExitCode::SUCCESS);
    };
    let report = audit::verify(&db, anchor.as_ref())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if let Some(seq) = report.broken_at {
        println!(
            "audit log BROKEN at entry {seq}: {} ({} entries checked)",
            report.reason.as_deref().unwrap_or(""),
            report.entries
        );
    } else {
        let checked = match &anchor {
            Some(a) => format!(", anchored entry {} present", a.seq),
            None => String::new(),
        };
        println!(
            "audit log intact: {} entries, every hash follows{checked}",
            report.entries
        );
        if let Some(head) = &report.head {
            println!("head: {head}  (note it to check with --anchor later)");
        }
    }
    Ok(if report.broken_at.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
