//! `ledgerline merge`: fold the workspaces of sharded OCR runs into one.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use std::time::Duration;

use ledgerline_store::{pages::merge_from, StoreLock, Workspace};

use super::WorkspaceArg;

#[derive(clap::Args)]
pub struct Args {
    /// Workspaces to merge in (each the --workspace of one `ledgerline ocr --shard I/N`)
    #[arg(required = true)]
    pub from: Vec<PathBuf>,
    #[command(flatten)]
    pub ws: WorkspaceArg,
    /// Print JSON on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    // Every shard is found before anything is merged: a mistyped one stops the merge
    // before it starts, not after the shards named before it.
    let shards = a
        .from
        .iter()
        .map(|other| Ok((other, Workspace::open_existing(other)?)))
        .collect::<Result<Vec<_>>>()?;
    let ws = a.ws.open_or_create()?;
    let mut all = Vec::new();
    for (other, other_ws) in shards {
        if other_ws.db_path() == ws.db_path() {
            bail!("{}: cannot merge a workspace into itself", other.display());
        }
        // Hold the other workspace's lock too, so a shard still writing is not read half-way.
        let _other_lock = StoreLock::acquire(other_ws.root(), Duration::from_secs(120))?;
        let counts = ws.with_store(|c| merge_from(c, &other_ws.db_path().to_string_lossy()))?;
        if !a.json {
            println!(
                "{}: {} batches, {} pages added, {} pages' readings taken",
                other.display(),
                counts.batches,
                counts.pages,
                counts.pages_read
            );
        }
        all.push(serde_json::json!({ "from": other, "batches": counts.batches, "pages": counts.pages, "pages_read": counts.pages_read }));
    }
    // A shard saw only its own pages: what needs the whole batch in view is settled
    // again over all of them.
    let settled = super::ocr::settle_batch(&ws, None)?;
    if a.json {
        println!("{}", serde_json::Value::Array(all));
    }
    for line in settled.lines() {
        // Beside --json's array, the notes go to stderr.
        if a.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
