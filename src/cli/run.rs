//! `ledgerline run`: every pipeline stage that exists, in order, on one batch.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::ingest::{ingest_batch, print_report};
use super::ocr::{ocr_pages, print_summary, OcrOptions, OcrSummary};
use super::status::{batch_statuses, BatchStatus};
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
    /// The batch's pages (a multi-page TIFF's frames, a PDF's pages, each one), read or quarantined.
    pages: usize,
    rows: usize,
    records: usize,
    fields_needing_review: usize,
    records_needing_review: usize,
    /// Of `pages`, those quarantined, by this run or an earlier one.
    quarantined_pages: usize,
    seconds: f64,
    /// The batch as the workspace holds it after this run.
    batch: BatchStatus,
    ingest: ledgerline_ingest::IngestReport,
    ocr: OcrSummary,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let start = std::time::Instant::now();
    let source = ledgerline_ingest::BatchSource::open(&a.batch_dir)?;
    let ws = a.ws.open_or_create()?;
    let ingest = ingest_batch(&ws, &source, a.json)?;
    let ocr = ocr_pages(&ws, Some(&ingest.batch_id), false, &a.ocr, a.json)?;
    let batch = batch_statuses(&ws, Some(&ingest.batch_id))?
        .pop()
        .expect("ingest registered the batch");
    let summary = RunSummary {
        batch_id: ingest.batch_id.clone(),
        pages: batch.pages as usize,
        rows: ocr.rows,
        records: ocr.records,
        fields_needing_review: ocr.fields_needing_review,
        records_needing_review: ocr.records_needing_review,
        quarantined_pages: batch.pages_quarantined as usize,
        seconds: start.elapsed().as_secs_f64(),
        batch,
        ingest,
        ocr,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_report(&summary.ingest);
        print_summary(&summary.ocr);
        println!("{}", summary.batch.sentence());
        println!("done in {:.1}s; workspace {}", summary.seconds, ws.root().display());
    }
    Ok(ExitCode::SUCCESS)
}
