//! `ledgerline ingest`: register a batch's pages in the workspace.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use ledgerline_ingest::{ingest, BatchSource, IngestReport};
use ledgerline_store::Workspace;

use super::progress::Progress;
use super::WorkspaceArg;

#[derive(clap::Args)]
pub struct Args {
    /// Batch folders, one volume each: scanned pages (PNG, JPEG, TIFF; PDF or OFD volumes
    /// of scans) in it or in its pages/ folder, and optionally batch.toml. Several are
    /// ingested in turn, each its own batch (`ledgerline ingest 全宗12/*/`)
    #[arg(required = true)]
    pub batch_dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub ws: WorkspaceArg,
    /// Print a JSON summary on stdout
    #[arg(long)]
    pub json: bool,
}

/// Ingests the batch `source` ([`BatchSource::open`], before the workspace is opened, so
/// that a wrong batch folder makes no workspace) and returns the report; shared with
/// `ledgerline run`.
pub fn ingest_batch(ws: &Workspace, source: &BatchSource, quiet: bool) -> Result<IngestReport> {
    if source.manifest_inferred && !quiet {
        eprintln!(
            "note: {} has no batch.toml; batch id {:?} comes from the folder name and each page's ledger type from its title",
            source.dir.display(),
            source.manifest.batch_id
        );
    }
    if !source.folders_not_read.is_empty() && !quiet {
        eprintln!(
            "note: the folders in {} are not read ({}): a batch is one folder of pages (one volume); \
             give each folder as a batch of its own",
            source.dir.display(),
            ledgerline_ingest::names_shown(&source.folders_not_read)
        );
    }
    let progress = Progress::new("ingest", "files", source.files.len() as u64, quiet);
    let report = ingest(ws, source, || progress.inc())?;
    progress.finish();
    Ok(report)
}

pub fn print_report(r: &IngestReport) {
    println!(
        "batch {}: {} files, {} new pages ({} quarantined), {} already in the workspace",
        r.batch_id,
        r.files,
        r.pages_new,
        r.quarantined.len(),
        r.pages_known,
    );
    for q in &r.quarantined {
        println!("  quarantined {}: {}", q.file, q.reason);
    }
    for d in &r.duplicates {
        println!("  duplicate image, recorded once: {d}");
    }
}

/// Every folder opened before the workspace is, so a wrong one among them makes nothing;
/// two folders of one batch id are refused (shared with `ledgerline run`).
pub fn open_sources(dirs: &[PathBuf]) -> Result<Vec<BatchSource>> {
    let mut sources: Vec<BatchSource> = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let source = BatchSource::open(dir)?;
        let id = &source.manifest.batch_id;
        if let Some(first) = sources.iter().find(|s| s.manifest.batch_id == *id) {
            bail!(
                "{}: its batch id {id:?} is also that of {}: a batch is one folder; give each its own \
                 batch_id in its batch.toml",
                dir.display(),
                first.dir.display()
            );
        }
        sources.push(source);
    }
    Ok(sources)
}

pub fn run(a: Args) -> Result<ExitCode> {
    let sources = open_sources(&a.batch_dirs)?;
    let ws = a.ws.open_or_create()?;
    let mut reports = Vec::with_capacity(sources.len());
    for source in &sources {
        let report = ingest_batch(&ws, source, a.json)?;
        if !a.json {
            print_report(&report);
        }
        reports.push(report);
    }
    if a.json {
        super::print_one_or_list(reports)?;
    }
    Ok(ExitCode::SUCCESS)
}
