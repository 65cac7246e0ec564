//! `ledgerline bench ocr BATCH_DIR`: pages/s of `ledgerline ocr` with one worker and
//! with all cores, beside the plain `tesseract PAGE - -l chi_sim --psm 6` command line
//! run one page per core on the same pages in the same invocation; with the batch's
//! `truth.jsonl`, what each got right.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde::Serialize;

use ledgerline_ocr::engine::{self, ReadTally};
use ledgerline_schemas::TruthRow;
use ledgerline_store::records::{read_records, RecordFilter};
use ledgerline_store::Workspace;

use super::ocr::{ocr_pages, OcrOptions};

#[derive(clap::Args)]
pub struct OcrBenchArgs {
    /// Batch folder (pages and batch.toml, e.g. from `ledgerline synth`); its
    /// truth.jsonl, when present, scores both contenders
    pub batch: PathBuf,
    /// Workers for the parallel runs, ledgerline's and the command line's (default: all cores)
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Tesseract model folder for every read, both contenders (default: the system's,
    /// plus the fuller chi_sim model for the cells it reads better)
    #[arg(long)]
    pub tessdata: Option<PathBuf>,
    /// Print the comparison as JSON: pages/s of each contender, the reads by kind of cell
    #[arg(long)]
    pub json: bool,
}

/// One contender's run.
#[derive(Debug, Serialize)]
struct Run {
    name: String,
    workers: usize,
    pages: usize,
    seconds: f64,
    pages_per_second: f64,
}

impl Run {
    fn new(name: String, workers: usize, pages: usize, seconds: f64) -> Run {
        Run {
            name,
            workers,
            pages,
            seconds,
            pages_per_second: if seconds > 0.0 { pages as f64 / seconds } else { 0.0 },
        }
    }
}

/// What each contender got right, against truth.jsonl.
#[derive(Debug, Serialize)]
struct Accuracy {
    /// ledgerline: exact-match accuracy of every scored field.
    ledgerline_all_fields: f64,
    /// ledgerline: deceased names and ID numbers exactly right in their row.
    ledgerline_names: f64,
    ledgerline_id_numbers: f64,
    /// The command line: deceased names and ID numbers found anywhere in the page's
    /// text (a generous measure: no row, no field, just present).
    tesseract_names_in_text: f64,
    tesseract_id_numbers_in_text: f64,
}

#[derive(Debug, Serialize)]
struct Report {
    batch: String,
    ledgerline_one_worker: Run,
    ledgerline: Run,
    tesseract: Run,
    /// ledgerline's pages/s over the command line's, both with all workers.
    ratio: f64,
    /// ledgerline's pages/s with all workers over one worker.
    speedup: f64,
    /// Where the one-worker run's time went: its Tesseract reads by kind of cell and
    /// model, the costliest first ...
    one_worker_reads: Vec<ReadTally>,
    /// ... and their share of the run (the rest is decoding, cleaning, finding the
    /// table, the page's own glyphs, extraction and storing).
    one_worker_tesseract_share: f64,
    accuracy: Option<Accuracy>,
}

pub fn run(a: OcrBenchArgs) -> Result<ExitCode> {
    if !a.batch.is_dir() {
        bail!("{}: not a batch folder", a.batch.display());
    }
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let scratch = tempfile::tempdir()?;
    let say = |s: &str| {
        if !a.json {
            eprintln!("{s}");
        }
    };
    let mut runs = Vec::new();
    let mut reads = Vec::new();
    let mut last_ws = None;
    let source = ledgerline_ingest::BatchSource::open(&a.batch)?;
    // Found before minutes of reading, not when the baseline fails on it.
    if let Some(volume) = source.files.iter().find(|f| is_document(f)) {
        bail!(
            "{}: a PDF or OFD volume; bench ocr times ledgerline beside the plain tesseract command line, which reads PNG, JPEG and TIFF pages only: run it on a batch of those (`ledgerline synth` makes one)",
            volume.display()
        );
    }
    for workers in [1, jobs] {
        let ws = Workspace::open(&scratch.path().join(format!("ws-{workers}")))?;
        super::ingest::ingest_batch(&ws, &source, true)?;
        say(&format!("ledgerline ocr --jobs {workers} ..."));
        let opts = OcrOptions {
            jobs: Some(workers),
            tessdata: a.tessdata.clone(),
            shard: None,
        };
        engine::reset_tallies();
        let s = ocr_pages(&ws, None, false, &opts, a.json)?;
        if workers == 1 {
            reads = engine::tallies();
        }
        runs.push(Run::new(
            format!("ledgerline --jobs {workers}"),
            workers,
            s.pages,
            s.seconds,
        ));
        last_ws = Some(ws);
    }
    let ws = last_ws.expect("two runs");
    let files = page_files(&ws)?;
    say(&format!("tesseract --psm 6, {jobs} at a time ..."));
    let (tesseract, texts) = run_tesseract(&files, jobs, a.tessdata.as_deref())?;
    let truth_file = a.batch.join("truth.jsonl");
    let accuracy = truth_file
        .is_file()
        .then(|| accuracy(&ws, &truth_file, &texts))
        .transpose()?;
    let ledgerline = runs.pop().expect("all workers");
    let one = runs.pop().expect("one worker");
    let tesseract_seconds: f64 = reads.iter().map(|r| r.seconds).sum();
    let report = Report {
        batch: a.batch.display().to_string(),
        one_worker_tesseract_share: ratio(tesseract_seconds, one.seconds),
        one_worker_reads: reads,
        ratio: ratio(ledgerline.pages_per_second, tesseract.pages_per_second),
        speedup: ratio(ledgerline.pages_per_second, one.pages_per_second),
        ledgerline_one_worker: one,
        ledgerline,
        tesseract,
        accuracy,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether the file is a PDF or OFD volume (by its first kilobyte); an unreadable file is
/// left to ingest to quarantine.
fn is_document(path: &Path) -> bool {
    ledgerline_scans::decode::head_of(path).is_ok_and(|head| ledgerline_scans::decode::is_document(&head))
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// The page files the workspace read, with how many pages each holds (a multi-page
/// TIFF is several), keyed by file name for scoring.
fn page_files(ws: &Workspace) -> Result<Vec<(String, PathBuf, usize)>> {
    let pages = ws.with_store(|c| ledgerline_store::pages::pages_to_read(c, None, true))?;
    let mut files: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for p in pages {
        files.entry(p.path.clone()).or_insert((p.file_name.clone(), 0)).1 += 1;
    }
    Ok(files
        .into_iter()
        .map(|(path, (name, frames))| (name, PathBuf::from(path), frames))
        .collect())
}

/// Runs the plain command line over every file, `jobs` at a time, each process on one
/// core (OMP_THREAD_LIMIT=1, as ledgerline's engines run). Returns the run and each
/// file's text.
fn run_tesseract(
    files: &[(String, PathBuf, usize)],
    jobs: usize,
    tessdata: Option<&Path>,
) -> Result<(Run, HashMap<String, String>)> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let start = Instant::now();
    let texts: Vec<(String, String)> = pool.install(|| {
        files
            .par_iter()
            .map(|(name, path, _)| -> Result<(String, String)> {
                let mut cmd = Command::new("tesseract");
                cmd.arg(path).arg("-").args(["-l", "chi_sim", "--psm", "6"]);
                if let Some(dir) = tessdata {
                    cmd.arg("--tessdata-dir").arg(dir);
                }
                let out = cmd
                    .env("OMP_THREAD_LIMIT", "1")
                    .stderr(Stdio::null())
                    .output()
                    .context("cannot run `tesseract` (install tesseract-ocr and tesseract-ocr-chi-sim)")?;
                if !out.status.success() {
                    bail!("tesseract failed on {} ({})", path.display(), out.status);
                }
                Ok((name.clone(), String::from_utf8_lossy(&out.stdout).into_owned()))
            })
            .collect::<Result<_>>()
    })?;
    let seconds = start.elapsed().as_secs_f64();
    let pages = files.iter().map(|(_, _, n)| n).sum();
    Ok((
        Run::new(format!("tesseract --psm 6 ×{jobs}"), jobs, pages, seconds),
        texts.into_iter().collect(),
    ))
}

fn accuracy(ws: &Workspace, truth_file: &Path, texts: &HashMap<String, String>) -> Result<Accuracy> {
    let truth: Vec<TruthRow> = std::fs::read_to_string(truth_file)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).with_context(|| format!("{}: not a truth row", truth_file.display())))
        .collect::<Result<_>>()?;
    let records = ws.with_store(|c| read_records(c, &RecordFilter::batch(None)))?;
    let report = ledgerline_ocr::eval::score(&records, &truth);
    let field = |name: &str| report.fields.get(name).map_or(0.0, |s| s.accuracy);
    // Tesseract puts spaces between Chinese characters: compare without them.
    let squeezed: HashMap<&str, String> = texts
        .iter()
        .map(|(name, t)| (name.as_str(), t.chars().filter(|c| !c.is_whitespace()).collect()))
        .collect();
    let found = |value: fn(&TruthRow) -> Option<&str>| -> f64 {
        let values: Vec<(&str, &str)> = truth
            .iter()
            .filter_map(|t| Some((t.page.as_str(), value(t)?)))
            .collect();
        let hits = values
            .iter()
            .filter(|(page, v)| squeezed.get(page).is_some_and(|text| text.contains(v)))
            .count();
        ratio(hits as f64, values.len() as f64)
    };
    Ok(Accuracy {
        ledgerline_all_fields: report.all_fields_accuracy,
        ledgerline_names: field("deceased_name"),
        ledgerline_id_numbers: field("id_number"),
        tesseract_names_in_text: found(|t| t.fields.deceased_name.as_deref()),
        tesseract_id_numbers_in_text: found(|t| t.fields.id_number.as_deref()),
    })
}

fn print_report(r: &Report) {
    println!("ocr bench on {} ({} pages)", r.batch, r.ledgerline.pages);
    println!("{:<28} {:>8} {:>9} {:>8}", "", "workers", "pages/s", "s/page");
    for run in [&r.ledgerline_one_worker, &r.ledgerline, &r.tesseract] {
        println!(
            "{:<28} {:>8} {:>9.2} {:>8.2}",
            run.name,
            run.workers,
            run.pages_per_second,
            run.seconds / run.pages.max(1) as f64
        );
    }
    println!(
        "ledgerline / command line: {:.2}× pages/s (floor 1.5×, goal 2×); ledgerline 1 → {} workers: {:.2}× (floor 1.8×)",
        r.ratio, r.ledgerline.workers, r.speedup
    );
    print_reads(r);
    if let Some(a) = &r.accuracy {
        println!(
            "right (truth.jsonl): ledgerline {:.1}% of all fields exact, deceased names {:.1}%, ID numbers {:.1}%; \
             command line: deceased names {:.1}% and ID numbers {:.1}% found anywhere in the page's text",
            a.ledgerline_all_fields * 100.0,
            a.ledgerline_names * 100.0,
            a.ledgerline_id_numbers * 100.0,
            a.tesseract_names_in_text * 100.0,
            a.tesseract_id_numbers_in_text * 100.0
        );
    }
}

/// The one-worker run's Tesseract reads, the costliest kinds first.
fn print_reads(r: &Report) {
    let (run, share) = (r.ledgerline_one_worker.seconds, r.one_worker_tesseract_share);
    println!(
        "one worker: Tesseract {:.1} s of {run:.1} s ({:.0} %), by kind of cell and model:",
        share * run,
        share * 100.0
    );
    println!("  {:<24} {:>7} {:>8} {:>9}", "", "reads", "seconds", "ms/read");
    for t in &r.one_worker_reads {
        println!(
            "  {:<24} {:>7} {:>8.2} {:>9.1}",
            format!("{:?} / {:?}", t.mode, t.model),
            t.reads,
            t.seconds,
            ratio(t.seconds * 1000.0, t.reads as f64)
        );
    }
}
