//! `ledgerline eval`: score the workspace's records against a truth file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use ledgerline_dedupe::metrics::{pairwise, PairwiseScore};
use ledgerline_ocr::eval::score;
use ledgerline_schemas::{BatchManifest, Record, TruthRow};
use ledgerline_store::records::{read_records, RecordFilter};
use ledgerline_store::Workspace;
use std::collections::HashMap;

use super::WorkspaceArg;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub ws: WorkspaceArg,
    /// Ground truth: truth.jsonl as written by `ledgerline synth`
    #[arg(long)]
    pub truth: PathBuf,
    /// Only this batch's records. Without it, a truth file in a batch folder (beside its
    /// batch.toml, where `ledgerline synth` writes it) scores that batch; any other scores
    /// every record, which must then be told apart by page and row
    #[arg(long)]
    pub batch: Option<String>,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&a.truth).with_context(|| format!("cannot read {}", a.truth.display()))?;
    let truth: Vec<TruthRow> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).with_context(|| format!("{}: line {} is not a truth row", a.truth.display(), i + 1))
        })
        .collect::<Result<_>>()?;
    let ws = a.ws.open_reviewed()?;
    let batch = batch_scored(&a, &ws)?;
    let records = ws.with_store(|c| read_records(c, &RecordFilter::batch(batch)))?;
    refuse_rows_alike(&records)?;
    refuse_truth_of_other_pages(&truth, &records, &a.truth)?;
    let report = score(&records, &truth);
    let linkage = linkage_score(&records, &truth);
    if a.json {
        let mut out = serde_json::to_value(&report)?;
        out["linkage"] = serde_json::to_value(linkage)?;
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "rows: {} in truth, {} found, {} missed, {} invented",
        report.truth_rows, report.rows_found, report.rows_missed, report.rows_invented
    );
    println!("{:<20} {:>6} {:>9} {:>7}", "field", "cells", "exact", "CER");
    for (name, s) in &report.fields {
        println!(
            "{name:<20} {:>6} {:>8.1}% {:>6.1}%",
            s.scored,
            s.accuracy * 100.0,
            s.cer * 100.0
        );
    }
    println!("all fields: {:.1}% exact", report.all_fields_accuracy * 100.0);
    println!(
        "every value the truth gives, missed rows' counted wrong: {} ({:.1}% exact)",
        report.truth_fields,
        report.truth_fields_accuracy * 100.0
    );
    println!(
        "fields marked confident: {} ({:.1}% exact)",
        report.confident_fields,
        report.confident_fields_accuracy * 100.0
    );
    println!(
        "records accepted by the machine: {} ({:.1}% of rows), their fields {:.1}% exact",
        report.machine_records,
        report.machine_share * 100.0,
        report.machine_fields_accuracy * 100.0
    );
    match linkage {
        Some(l) => println!(
            "linkage (pairs of rows that are one person): precision {:.4}, recall {:.4}, F1 {:.4} ({} true pairs, {} predicted)",
            l.precision, l.recall, l.f1, l.true_pairs, l.predicted_pairs
        ),
        None => println!("linkage: not scored (run `ledgerline dedupe` first)"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The batch whose records the truth scores: `--batch`, else the batch whose folder holds
/// the truth file, else none (every record). Truth rows name a page and a row, and every
/// batch has a page-0001.png: scoring a batch's truth against all of a workspace's
/// batches, or against the wrong one, would match rows of other ledgers.
fn batch_scored(a: &Args, ws: &Workspace) -> Result<Option<String>> {
    if let Some(batch) = &a.batch {
        ws.require_batch(batch)?;
        return Ok(Some(batch.clone()));
    }
    let Some(manifest_path) = a.truth.parent().map(|d| d.join("batch.toml")).filter(|p| p.is_file()) else {
        return Ok(None);
    };
    let batch = BatchManifest::read(&manifest_path)?.batch_id;
    ws.require_batch(&batch).with_context(|| {
        format!(
            "{} is the truth of batch {batch:?} (its folder's batch.toml); give --batch to score it against another",
            a.truth.display()
        )
    })?;
    if !a.json {
        eprintln!("scoring batch {batch}, whose folder holds {}", a.truth.display());
    }
    Ok(Some(batch))
}

/// Refuses records of several batches that share a page name and row: a truth row
/// could not say which of them it is.
fn refuse_rows_alike(records: &[Record]) -> Result<()> {
    let mut batch_of: HashMap<(&str, u32), &str> = HashMap::with_capacity(records.len());
    for r in records {
        let key = (r.source.page.as_str(), r.source.row);
        if let Some(other) = batch_of.insert(key, &r.source.batch) {
            if other != r.source.batch {
                bail!(
                    "batches {other} and {} both have {} row {}: a truth row names a page and a row, so give --batch to score one batch",
                    r.source.batch,
                    r.source.page,
                    r.source.row
                );
            }
        }
    }
    Ok(())
}

/// Refuses a truth none of whose pages holds a record: it is the truth of other pages
/// (another batch, or these pages saved under other names, `page-0001.png` as
/// `page-0001.tif`), and scored it would say only that every row was missed.
fn refuse_truth_of_other_pages(truth: &[TruthRow], records: &[Record], truth_file: &Path) -> Result<()> {
    let record_pages: BTreeSet<&str> = records.iter().map(|r| r.source.page.as_str()).collect();
    if records.is_empty() || truth.is_empty() || truth.iter().any(|t| record_pages.contains(t.page.as_str())) {
        return Ok(());
    }
    let truth_pages: BTreeSet<&str> = truth.iter().map(|t| t.page.as_str()).collect();
    bail!(
        "{}: none of its pages ({}) holds a record scored; the records are on {}: give the truth of these pages",
        truth_file.display(),
        first_few(&truth_pages),
        first_few(&record_pages)
    )
}

/// The first three names of `names`, and how many more there are.
fn first_few(names: &BTreeSet<&str>) -> String {
    let shown: Vec<&str> = names.iter().take(3).copied().collect();
    match names.len().saturating_sub(shown.len()) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// Pairwise precision/recall/F1 of the records' person ids against the truth's, over the
/// rows found; `None` before `ledgerline dedupe` has given records person ids.
fn linkage_score(records: &[Record], truth: &[TruthRow]) -> Option<PairwiseScore> {
    if records.iter().all(|r| r.person_id.is_none()) {
        return None;
    }
    let by_key: HashMap<(&str, u32), &Record> = records
        .iter()
        .map(|r| ((r.source.page.as_str(), r.source.row), r))
        .collect();
    let (predicted, actual): (Vec<&str>, Vec<&str>) = truth
        .iter()
        .filter_map(|t| {
            let r = by_key.get(&(t.page.as_str(), t.row))?;
            Some((
                r.person_id.as_deref().unwrap_or(r.record_id.as_str()),
                t.person_id.as_str(),
            ))
        })
        .unzip();
    Some(pairwise(&predicted, &actual))
}
