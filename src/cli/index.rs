//! `ledgerline index`: bring the workspace's search index up to date with its records.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use ledgerline_search::SearchIndex;
use ledgerline_store::records::{read_records, RecordFilter};
use ledgerline_store::Workspace;

use super::progress::Progress;
use super::WorkspaceArg;

#[derive(clap::Args)]
#[command(
    after_help = "The index lives in the workspace (index/) and is derived data: delete it and \
run `ledgerline index` to rebuild it exactly. Only records changed since the last run are reindexed."
)]
pub struct Args {
    #[command(flatten)]
    pub ws: WorkspaceArg,
    /// Reindex every record, not only the changed ones
    #[arg(long)]
    pub rebuild: bool,
    /// Print the run as JSON: documents added, updated, deleted and unchanged, seconds
    #[arg(long)]
    pub json: bool,
}

pub fn index_dir(ws: &Workspace) -> std::path::PathBuf {
    ledgerline_search::index_dir(ws.root())
}

pub fn run(a: Args) -> Result<ExitCode> {
    let started = Instant::now();
    let ws = a.ws.open_reviewed()?;
    let records = ws.with_store(|c| read_records(c, &RecordFilter::default()))?;
    let dir = index_dir(&ws);
    let (mut index, reset) = SearchIndex::open_for_update(&dir)?;
    if reset && !a.json {
        eprintln!(
            "{}: made by another version of ledgerline, so it is rebuilt from the records",
            dir.display()
        );
    }
    let progress = Progress::new("index", "records", records.len() as u64, a.json);
    let counts = index.update(&records, a.rebuild, &|n| progress.set(n))?;
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "records": records.len(),
                "documents": index.num_docs(),
                "added": counts.added,
                "updated": counts.updated,
                "deleted": counts.deleted,
                "unchanged": counts.unchanged,
                "seconds": seconds,
                "rebuilt_older_index": reset,
            })
        );
    } else {
        println!(
            "{} documents: {} added, {} updated, {} deleted, {} unchanged ({seconds:.1}s)",
            index.num_docs(),
            counts.added,
            counts.updated,
            counts.deleted,
            counts.unchanged
        );
    }
    Ok(ExitCode::SUCCESS)
}
