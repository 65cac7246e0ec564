//! `ledgerline run`: every pipeline stage that exists, in order, on one batch or several.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use ledgerline_ingest::IngestReport;
use serde::Serialize;

use super::ingest::{ingest_batch, open_sources, print_report};
use super::ocr::{ocr_pages, print_summary, OcrOptions, OcrSummary};
use super::status::{batch_statuses, BatchStatus};
use super::WorkspaceArg;

#[derive(clap::Args)]
pub struct Args {
    /// Batch folders, one volume each (see `ledgerline ingest --help`). Several are
    /// ingested in turn and their pages read by one pool of workers: an archive's
    /// volumes in one command, `ledgerline run 全宗12/*/`
    #[arg(required = true)]
    pub batch_dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub ws: WorkspaceArg,
    #[command(flatten)]
    pub ocr: OcrOptions,
    /// Print a JSON summary on stdout: for one folder, its batch (batch_id, batch,
    /// ingest); for several, each one's under batches
    #[arg(long)]
    pub json: bool,
}

/// What a run found and made, over the batches it was given.
#[derive(Serialize, Default)]
struct Totals {
    /// The batches' pages (a multi-page TIFF's frames, a PDF's pages, each one), read or quarantined.
    pages: usize,
    rows: usize,
    records: usize,
    fields_needing_review: usize,
    records_needing_review: usize,
    /// Of `pages`, those quarantined, by this run or an earlier one.
    quarantined_pages: usize,
    seconds: f64,
}

/// One batch of a run: as the workspace holds it after the run, and what ingest did.
#[derive(Serialize)]
struct BatchRun {
    batch_id: String,
    batch: BatchStatus,
    ingest: IngestReport,
}

/// A run of one folder.
#[derive(Serialize)]
struct RunSummary {
    batch_id: String,
    #[serde(flatten)]
    totals: Totals,
    batch: BatchStatus,
    ingest: IngestReport,
    ocr: OcrSummary,
}

/// A run of several folders.
#[derive(Serialize)]
struct RunsSummary {
    #[serde(flatten)]
    totals: Totals,
    batches: Vec<BatchRun>,
    ocr: OcrSummary,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let start = std::time::Instant::now();
    let sources = open_sources(&a.batch_dirs)?;
    let ws = a.ws.open_or_create()?;
    let ingested = sources
        .iter()
        .map(|source| ingest_batch(&ws, source, a.json))
        .collect::<Result<Vec<_>>>()?;
    let ids: Vec<&str> = ingested.iter().map(|i| i.batch_id.as_str()).collect();
    let ocr = ocr_pages(&ws, Some(&ids), false, &a.ocr, a.json)?;
    let mut runs = Vec::with_capacity(ingested.len());
    for ingest in ingested {
        let batch = batch_statuses(&ws, Some(&ingest.batch_id))?
            .pop()
            .expect("ingest registered the batch");
        runs.push(BatchRun {
            batch_id: ingest.batch_id.clone(),
            batch,
            ingest,
        });
    }
    let totals = Totals {
        pages: runs.iter().map(|r| r.batch.pages as usize).sum(),
        rows: ocr.rows,
        records: ocr.records,
        fields_needing_review: ocr.fields_needing_review,
        records_needing_review: ocr.records_needing_review,
        quarantined_pages: runs.iter().map(|r| r.batch.pages_quarantined as usize).sum(),
        seconds: start.elapsed().as_secs_f64(),
    };
    if !a.json {
        for r in &runs {
            print_report(&r.ingest);
        }
        print_summary(&ocr);
        for r in &runs {
            println!("{}", r.batch.sentence());
        }
        println!("done in {:.1}s; workspace {}", totals.seconds, ws.root().display());
        return Ok(ExitCode::SUCCESS);
    }
    let json = match <[BatchRun; 1]>::try_from(runs) {
        Ok([one]) => serde_json::to_string_pretty(&RunSummary {
            batch_id: one.batch_id,
            totals,
            batch: one.batch,
            ingest: one.ingest,
            ocr,
        })?,
        Err(batches) => serde_json::to_string_pretty(&RunsSummary { totals, batches, ocr })?,
    };
    println!("{json}");
    Ok(ExitCode::SUCCESS)
}
