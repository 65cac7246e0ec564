//! `ledgerline loads`: what loads a basic funeral database holds, for its DBA, and one
//! load's report as it was written when the load committed.

use std::process::ExitCode;

use anyhow::{bail, Result};
use ledgerline_load::history;
use ledgerline_load::Target;

#[derive(clap::Args)]
#[command(
    after_help = "Without --load-id, every load the database holds, the latest first: its batch, when it \
finished, and its counts (records, new persons inserted, linked to persons already held, conflicts noted, \
records rejected). With --load-id, that load's whole report, as `ledgerline load` printed it."
)]
pub struct Args {
    #[arg(long, value_parser = Target::parse, help = super::target_help!("The basic database"))]
    pub target: Target,
    /// One load's report (its id is in the list, and in the load's own report)
    #[arg(long)]
    pub load_id: Option<String>,
    /// Print the loads (or the one load's report) as JSON, times in UTC (RFC 3339)
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let mut db = a.target.open_for_reading()?;
    if let Some(id) = &a.load_id {
        let Some(report) = history::report(&mut db, id)? else {
            bail!("{}: no load {id}", a.target.display());
        };
        if a.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            super::load::print_report(&report, 0, &[]);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let loads = history::loads(&mut db)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&loads)?);
        return Ok(ExitCode::SUCCESS);
    }
    if loads.is_empty() {
        println!("{}: no loads", a.target.display());
    }
    for l in &loads {
        println!(
            "load {} of batch {}, finished {}: {} records, {} inserted, {} linked, {} conflicts, {} rejected",
            l.load_id,
            l.batch_id,
            l.finished_at.local_text(),
            l.records,
            l.inserted,
            l.linked,
            l.conflicts,
            l.rejected
        );
    }
    Ok(ExitCode::SUCCESS)
}
