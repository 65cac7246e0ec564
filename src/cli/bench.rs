//! `ledgerline bench`: measurements against a baseline run in the same invocation, on
//! the same generated data. Never part of the default test run.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use ledgerline_dedupe::{link, metrics::pairwise, normalize, Constraints, Prepared, Scope, Settings};
use ledgerline_schemas::RecordFields;
use ledgerline_synth::records::generate_records;

use super::export::csv_escape;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

#[derive(clap::Subcommand)]
pub enum What {
    /// Deduplicate N generated records with ledgerline and with Splink (Python, DuckDB
    /// backend) on the same data; report time, peak memory and pairwise F1 for both
    Dedupe(DedupeArgs),
    /// Index N generated records and run a mixed query set: indexing records/s, query
    /// latency p50/p99 beside a linear scan of the same records, recall on OCR-damaged names
    Search(SearchArgs),
    /// The review server with many simulated reviewers on a journal of N records:
    /// latency per screen against one reviewer, lost/doubled edits, 5xx
    Review(super::bench_review::ReviewArgs),
    /// Load N generated records into a basic database holding N live persons (half of
    /// the batch's people among them), matched against all of them, beside the engine's
    /// own bulk path for the same rows: DuckDB's read_parquet, and with --postgres,
    /// PostgreSQL's COPY of a CSV file
    Load(super::bench_load::LoadBenchArgs),
    /// pages/s of `ledgerline ocr` with one worker and all cores, beside the plain
    /// `tesseract PAGE - -l chi_sim --psm 6` run one page per core on the same pages;
    /// with the batch's truth.jsonl, what each got right
    Ocr(super::bench_ocr::OcrBenchArgs),
    /// Kill run, dedupe, index, load, exchange import, live import and unload with SIGKILL at random moments,
    /// re-run them, and compare the end state with an uninterrupted run's
    Chaos(super::bench_chaos::ChaosArgs),
    /// (internal) run ledgerline's linkage on a bench CSV in a process of its own
    #[command(hide = true)]
    DedupeWorker { records: PathBuf, clusters: PathBuf },
}

#[derive(clap::Args)]
pub struct DedupeArgs {
    /// How many records to generate (people appear one to three times)
    #[arg(long, default_value_t = 1_000_000)]
    pub records: usize,
    /// Seed of the generated records: the same seed, the same records
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Skip the Splink baseline (ledgerline only)
    #[arg(long)]
    pub skip_splink: bool,
    /// Python environment for Splink; created with `python3 -m venv` and
    /// `pip install splink==4.0.17` from PyPI when missing
    #[arg(long, env = "LEDGERLINE_SPLINK_VENV")]
    pub splink_venv: Option<PathBuf>,
    /// Keep the generated data and cluster files here (default: a temporary folder)
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// Print the comparison as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct SearchArgs {
    /// How many records to generate and index
    #[arg(long, default_value_t = 1_000_000)]
    pub records: usize,
    /// Seed of the generated records and queries
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Queries of each kind in the mixed set, and damaged-name queries for recall
    #[arg(long, default_value_t = 500)]
    pub queries: usize,
    /// Print the comparison as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.what {
        What::Search(s) => super::bench_search::run(s),
        What::Ocr(o) => super::bench_ocr::run(o),
        What::Review(r) => super::bench_review::run(r),
        What::Load(l) => super::bench_load::run(l),
        What::Chaos(c) => super::bench_chaos::run(c),
        What::Dedupe(d) => bench_dedupe(d),
        What::DedupeWorker { records, clusters } => dedupe_worker(&records, &clusters),
    }
}

/// What each contender reports about its own run.
#[derive(Debug, Default, Serialize, Deserialize)]
struct RunReport {
    seconds: f64,
    #[serde(default)]
    seconds_load: f64,
    peak_rss_bytes: u64,
    #[serde(default)]
    scored_pairs: u64,
}

const CSV_COLUMNS: &str = "unique_id,name,name_pinyin,gender,id_number,birth_date,death_date,address,family_name";

/// CPU time this process has used, user and system, in seconds: what a benchmark's
/// wall time would be on an idle machine with one core, less exposed than wall time to
/// what else the machine runs.
fn cpu_seconds() -> f64 {
    // Fields after the command name (which may hold spaces): utime and stime are the
    // 12th and 13th, in clock ticks of 1/100 s on Linux.
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let fields: Vec<u64> = s
                .rsplit(')')
                .next()?
                .split_whitespace()
                .skip(11)
                .take(2)
                .map(|f| f.parse().ok())
                .collect::<Option<_>>()?;
            Some(fields.iter().sum::<u64>() as f64 / 100.0)
        })
        .unwrap_or(0.0)
}

/// Runs `work`; what it gave, with the wall-clock and CPU seconds it took.
pub(super) fn measured<T>(work: impl FnOnce() -> Result<T>) -> Result<(T, f64, f64)> {
    let (wall, cpu) = (std::time::Instant::now(), cpu_seconds());
    let out = work()?;
    Ok((out, wall.elapsed().as_secs_f64(), cpu_seconds() - cpu))
}

/// Peak resident memory of this process (VmHWM), in bytes.
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()))
        })
        .map_or(0, |kb| kb * 1024)
}

fn write_bench_csv(path: &Path, n: usize, seed: u64) -> Result<Vec<String>> {
    let records = generate_records(n, seed);
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
    );
    writeln!(out, "{CSV_COLUMNS}")?;
    for (i, r) in records.iter().enumerate() {
        let f = &r.fields;
        let name = f.deceased_name.as_deref().map(normalize::fold_name).unwrap_or_default();
        let division = f.household_division.as_deref();
        let address = f
            .household_address
            .as_deref()
            .map(|a| normalize::strip_address(a, division))
            .unwrap_or_default();
        let cols = [
            name.clone(),
            normalize::name_pinyin(&name),
            f.gender.clone().unwrap_or_default(),
            f.id_number.clone().unwrap_or_default(),
            f.birth_date.clone().unwrap_or_default(),
            f.death_date.clone().unwrap_or_default(),
            address,
            f.family_name.as_deref().map(normalize::fold_name).unwrap_or_default(),
        ];
        write!(out, "{i}")?;
        for c in &cols {
            write!(out, ",{}", csv_escape(c))?;
        }
        writeln!(out)?;
    }
    out.flush()?;
    Ok(records.into_iter().map(|r| r.person_id).collect())
}

/// Reads `unique_id,cluster_id` into a label per record.
fn read_clusters(path: &Path, n: usize) -> Result<Vec<String>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut labels = vec![String::new(); n];
    for (i, line) in BufReader::new(file).lines().enumerate().skip(1) {
        let line = line?;
        let (id, cluster) = line
            .split_once(',')
            .with_context(|| format!("{}: line {} has no comma", path.display(), i + 1))?;
        let id: usize = id
            .trim()
            .parse()
            .with_context(|| format!("{}: line {}: bad id", path.display(), i + 1))?;
        if id >= n {
            bail!("{}: line {}: id {id} out of range", path.display(), i + 1);
        }
        labels[id] = cluster.trim().to_string();
    }
    // Records a tool left out are singletons.
    for (i, l) in labels.iter_mut().enumerate() {
        if l.is_empty() {
            *l = format!("single-{i}");
        }
    }
    Ok(labels)
}

fn dedupe_worker(records_csv: &Path, clusters_csv: &Path) -> Result<ExitCode> {
    let t = Instant::now();
    let file = std::fs::File::open(records_csv).with_context(|| format!("cannot read {}", records_csv.display()))?;
    let mut fields = Vec::new();
    for line in BufReader::new(file).lines().skip(1) {
        let line = line?;
        let c: Vec<&str> = line.split(',').collect();
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        fields.push(RecordFields {
            deceased_name: some(c[1]),
            gender: some(c[3]),
            id_number: some(c[4]),
            birth_date: some(c[5]),
            death_date: some(c[6]),
            household_address: some(c[7]),
            family_name: some(c[8]),
            ..Default::default()
        });
    }
    let prepared: Vec<Prepared> = fields.par_iter().map(Prepared::new).collect();
    drop(fields);
    let seconds_load = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let linkage = link(&prepared, &Settings::default(), Scope::All, &Constraints::default());
    let seconds = t.elapsed().as_secs_f64();
    let mut out = std::io::BufWriter::new(std::fs::File::create(clusters_csv)?);
    writeln!(out, "unique_id,cluster_id")?;
    for (i, c) in linkage.cluster_of.iter().enumerate() {
        writeln!(out, "{i},{c}")?;
    }
    out.flush()?;
    let report = RunReport {
        seconds,
        seconds_load,
        peak_rss_bytes: peak_rss(),
        scored_pairs: linkage.stats.candidate_pairs,
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(ExitCode::SUCCESS)
}

/// Runs a child that prints one JSON report on stdout.
fn run_child(mut cmd: Command, what: &str) -> Result<RunReport> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start {what}"))?;
    if !out.status.success() {
        bail!("{what} failed ({})", out.status);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("{what} printed no report: {text}"))
}

fn splink_python(venv: Option<PathBuf>) -> Result<PathBuf> {
    let venv = venv.unwrap_or_else(|| {
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
        home.join(".cache/ledgerline/splink-venv")
    });
    let python = venv.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import splink"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ready {
        eprintln!(
            "setting up Splink in {} (python3 -m venv; pip install splink==4.0.17)",
            venv.display()
        );
        let ok = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status()?
            .success()
            && Command::new(&python)
                .args(["-m", "pip", "install", "-q", "splink==4.0.17"])
                .status()?
                .success();
        if !ok {
            bail!(
                "could not install Splink into {}; use --skip-splink to run without the baseline",
                venv.display()
            );
        }
    }
    Ok(python)
}

fn bench_dedupe(a: DedupeArgs) -> Result<ExitCode> {
    let tmp = tempfile::tempdir()?;
    let dir = a.keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let records_csv = dir.join("records.csv");
    if !a.json {
        eprintln!(
            "generating {} records (seed {}) in {}",
            a.records,
            a.seed,
            records_csv.display()
        );
    }
    let truth = write_bench_csv(&records_csv, a.records, a.seed)?;

    let ours_csv = dir.join("clusters-ledgerline.csv");
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.args(["bench", "dedupe-worker"]).arg(&records_csv).arg(&ours_csv);
    let ours = run_child(cmd, "ledgerline's linkage")?;
    let ours_score = pairwise(&read_clusters(&ours_csv, truth.len())?, &truth);

    let splink = if a.skip_splink {
        None
    } else {
        let python = splink_python(a.splink_venv.clone())?;
        let script = dir.join("splink_dedupe.py");
        std::fs::write(&script, include_str!("../../dedupe/bench/splink_dedupe.py"))?;
        let splink_csv = dir.join("clusters-splink.csv");
        let mut cmd = Command::new(python);
        cmd.arg(&script).arg(&records_csv).arg(&splink_csv);
        let report = run_child(cmd, "Splink")?;
        let score = pairwise(&read_clusters(&splink_csv, truth.len())?, &truth);
        Some((report, score))
    };

    if a.json {
        let mut out = json!({
            "records": truth.len(),
            "ledgerline": { "run": ours, "pairwise": ours_score },
        });
        if let Some((r, s)) = &splink {
            out["splink"] = json!({ "run": r, "pairwise": s });
            out["speedup"] = json!(r.seconds / ours.seconds);
            out["memory_ratio"] = json!(ours.peak_rss_bytes as f64 / r.peak_rss_bytes as f64);
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    println!("{} records", truth.len());
    println!(
        "{:<12} {:>10} {:>12} {:>10} {:>10} {:>8}",
        "", "seconds", "peak GiB", "precision", "recall", "F1"
    );
    let row = |name: &str, r: &RunReport, s: &ledgerline_dedupe::metrics::PairwiseScore| {
        println!(
            "{name:<12} {:>10.2} {:>12.2} {:>10.4} {:>10.4} {:>8.4}",
            r.seconds,
            gib(r.peak_rss_bytes),
            s.precision,
            s.recall,
            s.f1
        )
    };
    row("ledgerline", &ours, &ours_score);
    if let Some((r, s)) = &splink {
        row("splink", r, s);
        println!(
            "ledgerline is {:.2}x Splink's speed with {:.2}x its peak memory",
            r.seconds / ours.seconds,
            ours.peak_rss_bytes as f64 / r.peak_rss_bytes as f64
        );
    }
    Ok(ExitCode::SUCCESS)
}
