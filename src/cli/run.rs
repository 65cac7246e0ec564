//! `ledgerline run`: every pipeline stage that exists, in order, on one batch.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::ingest::{ingest_batch, print_report};
use super::ocr::{ocr_pages, print_summary, OcrOptions, OcrSummary};
use super::WorkspaceArg;

#[derive(clap::Args)]
pub struct Args {
    /// Batch folder (see `ledgerline ingest --help`)
    pub batch_dir: PathBuf,
    #[command(flatten)]
    pub ws: WorkspaceArg,
    #[command(flatten)]
    pub ocr: OcrOptions,
    /// Print a JSON summary on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct RunSummary {
    batch_id: String,
    pages: usize,
    rows: usize,
    records: usize,
    fields_needing_review: usize,
    records_needing_review: usize,
    quarantined_pages: usize,
    seconds: f64,
    ingest: ledgerline_ingest::IngestReport,
    ocr: OcrSummary,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let start = std::time::Instant::now();
    let source = ledgerline_ingest::BatchSource::open(&a.batch_dir)?;
    let ws = a.ws.open_or_create()?;
    let ingest = ingest_batch(&ws, &source, a.json)?;
    let ocr = ocr_pages(&ws, Some(&ingest.batch_id), false, &a.ocr, a.json)?;
    let summary = RunSummary {
        batch_id: ingest.batch_id.clone(),
        pages: ingest.pages_new + ingest.pages_known,
        rows: ocr.rows,
        records: ocr.records,
        fields_needing_review: ocr.fields_needing_review,
        records_needing_review: ocr.records_needing_review,
        quarantined_pages: ingest.quarantined.len() + ocr.quarantined_pages,
        seconds: start.elapsed().as_secs_f64(),
        ingest,
        ocr,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_report(&summary.ingest);
        print_summary(&summary.ocr);
        println!("done in {:.1}s; workspace {}", summary.seconds, ws.root().display());
    }
    Ok(ExitCode::SUCCESS)
}
