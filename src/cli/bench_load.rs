//! `ledgerline bench load`: a batch of N generated records loaded into a basic database
//! that already holds live data — as many live persons as the batch has records (a
//! million for the bar), among them half of the batch's people, imported from a
//! live extract as `ledgerline live import` would —, deduplicated first as
//! the workspace's dedupe would (untimed), through ledgerline's loader (validation,
//! matching against the persons held with the linkage model, staging, one transaction),
//! beside the database's own bulk path for the same rows measured in the same run:
//! DuckDB's `INSERT … SELECT FROM read_parquet`, PostgreSQL's `COPY` of a CSV file. The
//! native path loads into a copy of the database as it was before ledgerline's load, so
//! both write into tables and indexes of the same size. With `--runs N` the pair of loads
//! is timed N times, each load into a fresh copy, and the medians are reported: one run
//! of a million records varied by ±1 s on a 2-core machine, enough to move the share of
//! the native path by 5 points either way.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use ledgerline_dedupe::{link, Constraints, Prepared, Scope, Settings};
use ledgerline_load::backfill::{load_batch, LoadReport};
use ledgerline_load::pg::ScratchDatabase;
use ledgerline_load::{live, Database, Target};
use ledgerline_schemas::{Record, ReviewStatus};
use ledgerline_synth::records::{generate_records, SyntheticRecord};
use rayon::prelude::*;
use serde::Serialize;

#[derive(clap::Args)]
pub struct LoadBenchArgs {
    /// Records in the generated batch to load
    #[arg(long, default_value_t = 1_000_000)]
    pub records: usize,
    /// Seed of the generated batch and live persons
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Live persons the database holds before the load [default: as many as --records]:
    /// half of the batch's people, the rest people of their own
    #[arg(long, value_name = "N")]
    pub live: Option<usize>,
    /// A PostgreSQL server to bench as well, as a URL of a user that may create
    /// databases (scratch databases are created there and dropped afterwards)
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// Bench only the PostgreSQL server given with --postgres
    #[arg(long, requires = "postgres")]
    pub skip_duckdb: bool,
    /// Loads to time on each engine, each side into its own fresh copy of the database
    /// as it was before the load, ours and the native path's alternating; the figures
    /// reported are the medians
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub runs: usize,
    /// Print the comparison as JSON: records/s of each path, the phases, CPU seconds
    #[arg(long)]
    pub json: bool,
}

const TABLES: [&str; 4] = ["deceased", "cremations", "burials", "agents"];

#[derive(Serialize)]
struct EngineResult {
    engine: &'static str,
    native_path: &'static str,
    records: usize,
    database_persons: usize,
    inserted: usize,
    linked: usize,
    conflicts: usize,
    rejected: usize,
    ledgerline_seconds: f64,
    ledgerline_records_per_second: f64,
    native_rows: u64,
    native_seconds: f64,
    /// The part of the native path's seconds its commit took, in the run whose native
    /// load took the median time: beside `timings`, where the two paths differ.
    native_commit_seconds: f64,
    share_of_native_speed: f64,
    timings: ledgerline_load::backfill::Timings,
    /// DuckDB: the checkpoint each path leaves for later (its connection's close), timed
    /// apart so that neither side hides work in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    checkpoints: Option<Checkpoints>,
    /// How many runs the seconds above are the medians of, and every run's seconds.
    runs: usize,
    ledgerline_seconds_each: Vec<f64>,
    native_seconds_each: Vec<f64>,
    /// CPU time of the run whose load took the median time.
    cpu_seconds: CpuSeconds,
}

/// CPU time spent while a load was timed: this process's (every thread) and, for a
/// PostgreSQL server on this machine, its backend's for the connection doing the work.
/// Beside the seconds it tells a load that waited from one that worked: a million-record
/// load on 2 cores kept both busy until the write, and then only the server's backend.
#[derive(Serialize, Clone, Default)]
struct CpuSeconds {
    ledgerline: f64,
    /// The server's backend during ledgerline's load (`None`: DuckDB, or a server whose
    /// processes this machine does not show).
    #[serde(skip_serializing_if = "Option::is_none")]
    server_for_ledgerline: Option<f64>,
    /// The server's backend during the native path's load.
    #[serde(skip_serializing_if = "Option::is_none")]
    server_for_native: Option<f64>,
    /// The cores this machine offers.
    cores: usize,
}

/// CPU seconds (user and system) a process has used so far, from `/proc/PID/stat`;
/// `None` where that cannot be read (a server on another machine, no procfs).
fn cpu_seconds_of(pid: &str) -> Option<f64> {
    parse_cpu_seconds(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// utime and stime of a `/proc/PID/stat` line, fields 14 and 15: counted after the
/// command name's closing parenthesis (the name may hold spaces and parentheses), in
/// USER_HZ ticks, which Linux fixes at 100 a second for what it reports there.
fn parse_cpu_seconds(stat: &str) -> Option<f64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
}

/// The process id of the server backend serving `db`, when it is PostgreSQL.
fn backend_pid(db: &mut Database) -> Result<Option<String>> {
    if db.duckdb().is_some() {
        return Ok(None);
    }
    db.text("SELECT CAST(pg_backend_pid() AS VARCHAR)", &[])
}

/// CPU seconds used by this process and by `backend` during `work`.
fn cpu_during<T>(backend: Option<&str>, work: impl FnOnce() -> Result<T>) -> Result<(T, f64, Option<f64>)> {
    let before = (cpu_seconds_of("self"), backend.and_then(cpu_seconds_of));
    let out = work()?;
    let after = (cpu_seconds_of("self"), backend.and_then(cpu_seconds_of));
    let spent = |b: Option<f64>, a: Option<f64>| Some(a? - b?);
    Ok((out, spent(before.0, after.0).unwrap_or(0.0), spent(before.1, after.1)))
}

#[derive(Serialize, Clone)]
struct Checkpoints {
    ledgerline_seconds: f64,
    native_seconds: f64,
}

/// Times an explicit checkpoint (untimed in the load comparison itself).
fn checkpoint(db: &Database) -> Result<f64> {
    let t = Instant::now();
    db.checkpoint()?;
    Ok(t.elapsed().as_secs_f64())
}

pub fn run(a: LoadBenchArgs) -> Result<ExitCode> {
    anyhow::ensure!(a.runs >= 1, "--runs must be at least 1");
    let generated = generate_records(a.records, a.seed);
    let batch_people = live_people(&generated, |i| i % 2 == 0);
    let mut batch: Vec<_> = generated
        .iter()
        .enumerate()
        .map(|(i, r)| r.to_record("BENCH", i, 20, ReviewStatus::Verified))
        .collect();
    drop(generated);
    deduplicate(&mut batch);
    let dir = tempfile::tempdir()?;
    let live = dir.path().join("live.csv");
    let held = write_live_extract(&live, batch_people, a.live.unwrap_or(a.records), a.seed)?;
    let mut results = Vec::new();
    if !a.skip_duckdb {
        let before = dir.path().join("before.duckdb");
        hold_live(
            "DuckDB",
            &mut Target::DuckDb(before.clone()).open_for_writing()?,
            &live,
            held,
        )?;
        let runs = (1..=a.runs)
            .map(|run| duckdb_run(dir.path(), &before, &batch, run, a.runs))
            .collect::<Result<Vec<_>>>()?;
        results.push(result("duckdb", "INSERT … SELECT FROM read_parquet", held, runs)?);
    }
    if let Some(admin) = &a.postgres {
        let before = ScratchDatabase::create(admin, "ledgerline_bench")?;
        hold_live(
            "PostgreSQL",
            &mut Target::Postgres(before.url.clone()).open_for_writing()?,
            &live,
            held,
        )?;
        let runs = (1..=a.runs)
            .map(|run| postgres_run(admin, dir.path(), &before, &batch, run, a.runs))
            .collect::<Result<Vec<_>>>()?;
        results.push(result("postgres", "COPY … FROM a CSV file", held, runs)?);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        for r in &results {
            print(r);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One run on one engine: ledgerline's load, then the native path's of the same rows,
/// each into its own copy of the database as it was before the load.
struct Run {
    report: LoadReport,
    ours: f64,
    native_rows: u64,
    native: f64,
    /// The part of `native` its commit took.
    native_commit: f64,
    checkpoints: Option<Checkpoints>,
    cpu: CpuSeconds,
}

fn duckdb_run(dir: &Path, before: &Path, batch: &[Record], run: usize, runs: usize) -> Result<Run> {
    let copy = |name: &str| -> Result<std::path::PathBuf> {
        let path = dir.join(format!("{name}-{run}.duckdb"));
        std::fs::copy(before, &path)?;
        Ok(path)
    };
    let (ours_path, native_path) = (copy("province")?, copy("native")?);
    let mut province = Target::DuckDb(ours_path.clone()).open_for_writing()?;
    let (report, ours, cpu) = ours("DuckDB", &mut province, batch, run, runs)?;
    let parquet = |table: &str| dir.join(format!("{table}.parquet")).display().to_string();
    let ours_checkpoint = checkpoint(&province)?;
    let conn = province.duckdb().expect("a DuckDB target");
    for table in TABLES {
        conn.execute_batch(&format!(
            "COPY (SELECT * FROM {table} WHERE load_id = '{}') TO '{}' (FORMAT parquet)",
            report.load_id,
            parquet(table)
        ))?;
    }
    let native_db = Target::DuckDb(native_path.clone()).open_for_writing()?;
    let native = native_db.duckdb().expect("a DuckDB target");
    let t = Instant::now();
    native.execute_batch("BEGIN TRANSACTION")?;
    let mut rows = 0u64;
    for table in TABLES {
        rows += native.execute(
            &format!("INSERT INTO {table} SELECT * FROM read_parquet('{}')", parquet(table)),
            [],
        )? as u64;
    }
    let committing = Instant::now();
    native.execute_batch("COMMIT")?;
    let native_commit = committing.elapsed().as_secs_f64();
    let seconds = t.elapsed().as_secs_f64();
    let checkpoints = Checkpoints {
        ledgerline_seconds: ours_checkpoint,
        native_seconds: checkpoint(&native_db)?,
    };
    drop((province, native_db));
    // A run's databases go once measured: a million-record run leaves ~1 GB each.
    for path in [ours_path, native_path] {
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(Run {
        report,
        ours,
        native_rows: rows,
        native: seconds,
        native_commit,
        checkpoints: Some(checkpoints),
        cpu,
    })
}

fn postgres_run(
    admin: &str,
    dir: &Path,
    before: &ScratchDatabase,
    batch: &[Record],
    run: usize,
    runs: usize,
) -> Result<Run> {
    // Both copies are made while nothing is connected to the database they copy.
    let ours_scratch = ScratchDatabase::copy_of(admin, "ledgerline_bench_ours", before)?;
    let native_scratch = ScratchDatabase::copy_of(admin, "ledgerline_bench_native", before)?;
    let mut province = Target::Postgres(ours_scratch.url.clone()).open_for_writing()?;
    let (report, ours, mut cpu) = ours("PostgreSQL", &mut province, batch, run, runs)?;
    let Database::Postgres(client) = &mut province else {
        unreachable!("a PostgreSQL target")
    };
    let csv = |table: &str| dir.join(format!("{table}.csv"));
    for table in TABLES {
        let mut file = std::fs::File::create(csv(table))?;
        let mut reader = client.copy_out(&format!(
            "COPY (SELECT * FROM {table} WHERE load_id = '{}') TO STDOUT (FORMAT csv)",
            report.load_id
        ))?;
        std::io::copy(&mut reader, &mut file)?;
    }
    let mut native_db = Target::Postgres(native_scratch.url.clone()).open_for_writing()?;
    let native_backend = backend_pid(&mut native_db)?;
    let Database::Postgres(native) = &mut native_db else {
        unreachable!("a PostgreSQL target")
    };
    let t = Instant::now();
    let mut native_commit = 0.0;
    let (rows, _, native_server) = cpu_during(native_backend.as_deref(), || {
        let mut tx = native.transaction()?;
        let mut rows = 0u64;
        for table in TABLES {
            let mut sink = tx.copy_in(&format!("COPY {table} FROM STDIN (FORMAT csv)"))?;
            std::io::copy(&mut std::fs::File::open(csv(table))?, &mut sink)?;
            rows += sink.finish().with_context(|| format!("COPY {table}"))?;
        }
        let committing = Instant::now();
        tx.commit()?;
        native_commit = committing.elapsed().as_secs_f64();
        Ok(rows)
    })?;
    let seconds = t.elapsed().as_secs_f64();
    cpu.server_for_native = native_server;
    // The connections close before their scratch databases are dropped.
    drop((province, native_db));
    Ok(Run {
        report,
        ours,
        native_rows: rows,
        native: seconds,
        native_commit,
        checkpoints: None,
        cpu,
    })
}

/// Gives the batch the person ids the workspace's dedupe would (a load comes after it):
/// the records linkage puts in one cluster share one.
fn deduplicate(batch: &mut [Record]) {
    eprintln!(
        "bench load: deduplicating the {} records of the batch (not timed)…",
        batch.len()
    );
    let prepared: Vec<Prepared> = batch.par_iter().map(|r| Prepared::new(&r.fields)).collect();
    let linkage = link(&prepared, &Settings::default(), Scope::All, &Constraints::default());
    for (r, cluster) in batch.iter_mut().zip(&linkage.cluster_of) {
        r.person_id = Some(format!("P{cluster:09}"));
    }
}

/// The first record of each person `keep` admits (by the record's index).
fn live_people(records: &[SyntheticRecord], keep: impl Fn(usize) -> bool) -> Vec<SyntheticRecord> {
    let mut seen = std::collections::HashSet::new();
    records
        .iter()
        .enumerate()
        .filter(|(i, r)| seen.insert(r.person_id.as_str()) && keep(*i))
        .map(|(_, r)| r.clone())
        .collect()
}

/// The live extract's columns, in the provincial systems' names (`live import` maps them).
const LIVE_COLUMNS: [&str; 19] = [
    "DEAD_ID",
    "NAME",
    "SEX",
    "CARD_TYPE",
    "ID_CARD",
    "BIRTHDAY",
    "AGE",
    "FOLK",
    "POPULACE",
    "POPULACE_CODE",
    "DEATH_DATE",
    "DEATH_PLACE",
    "DEATH_CAUSE",
    "START_TIME",
    "UNIT_NAME",
    "ASHES_GO",
    "AGENT_NAME",
    "RELATION",
    "MOBIL_PHONE",
];

/// Writes a live extract of `total` persons: `batch_people`, then people of their own
/// (generated with another seed) up to `total`. Returns how many persons it holds.
pub(super) fn write_live_extract(
    path: &Path,
    batch_people: Vec<SyntheticRecord>,
    total: usize,
    seed: u64,
) -> Result<usize> {
    let others = total.saturating_sub(batch_people.len());
    // About 1.6 records a person: enough records for `others` people.
    let mut people = batch_people;
    people.extend(
        live_people(&generate_records(others * 17 / 10 + 64, seed ^ 0x4C49_5645), |_| true)
            .into_iter()
            .take(others),
    );
    let mut out = csv::Writer::from_path(path).with_context(|| format!("{}: cannot write", path.display()))?;
    out.write_record(LIVE_COLUMNS)?;
    for (n, p) in people.iter().enumerate() {
        let f = &p.fields;
        let v = |x: &Option<String>| x.clone().unwrap_or_default();
        out.write_record([
            format!("D{n:09}"),
            v(&f.deceased_name),
            v(&f.gender),
            v(&f.id_type),
            v(&f.id_number),
            v(&f.birth_date),
            f.age.map(|a| a.to_string()).unwrap_or_default(),
            v(&f.ethnicity),
            v(&f.household_address),
            v(&f.household_division),
            v(&f.death_date),
            v(&f.death_place),
            v(&f.death_cause),
            v(&f.cremation_date),
            v(&f.agency_name),
            v(&f.ashes_disposition),
            v(&f.family_name),
            v(&f.family_relation),
            v(&f.family_phone),
        ])?;
    }
    out.flush()?;
    Ok(people.len())
}

/// Imports the live extract: the persons the database holds before the batch comes.
fn hold_live(engine: &str, db: &mut Database, extract: &Path, persons: usize) -> Result<()> {
    eprintln!("bench load ({engine}): {persons} live persons already in the database…");
    let report = live::import(db, &live::Extract::read(extract)?, false, &|_| {})?;
    if !report.bad_rows.is_empty() {
        anyhow::bail!(
            "the bench's own live extract has {} bad rows, the first: {:?}",
            report.bad_rows.len(),
            report.bad_rows[0]
        );
    }
    Ok(())
}

/// Times ledgerline's load of the batch, and the CPU it and the server spent.
fn ours(
    engine: &str,
    db: &mut Database,
    batch: &[Record],
    run: usize,
    runs: usize,
) -> Result<(LoadReport, f64, CpuSeconds)> {
    let of_runs = if runs > 1 {
        format!(" (run {run} of {runs})")
    } else {
        String::new()
    };
    eprintln!("bench load ({engine}): loading {} records{of_runs}…", batch.len());
    let backend = backend_pid(db)?;
    let t = Instant::now();
    let (report, ledgerline, server) =
        cpu_during(backend.as_deref(), || load_batch(db, "BENCH", batch, false, &|_| {}))?;
    let seconds = t.elapsed().as_secs_f64();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu = CpuSeconds {
        ledgerline,
        server_for_ledgerline: server,
        server_for_native: None,
        cores,
    };
    Ok((report, seconds, cpu))
}

/// The engine's result over its runs: the median of each side's times (a million-record
/// run varies by about a second on a 2-core machine), the load's counts (the same in every run,
/// or the bench fails: a load is a function of the batch and the database), and where
/// the time went in the run whose load took the median time.
fn result(engine: &'static str, native_path: &'static str, held: usize, runs: Vec<Run>) -> Result<EngineResult> {
    let first = &runs[0];
    let counts = |r: &Run| {
        let l = &r.report;
        (l.inserted, l.linked, l.conflicts.len(), l.rejected.len(), r.native_rows)
    };
    for (n, r) in runs.iter().enumerate().skip(1) {
        anyhow::ensure!(
            counts(r) == counts(first),
            "{engine}: run {} of the same load gave (inserted, linked, conflicts, rejected, native rows) {:?}, run 1 {:?}",
            n + 1,
            counts(r),
            counts(first)
        );
    }
    let ours_each: Vec<f64> = runs.iter().map(|r| r.ours).collect();
    let native_each: Vec<f64> = runs.iter().map(|r| r.native).collect();
    let (ours, native) = (median(&ours_each), median(&native_each));
    let middle = &runs[median_index(&ours_each)];
    let report = &first.report;
    Ok(EngineResult {
        engine,
        native_path,
        records: report.records,
        database_persons: held,
        inserted: report.inserted,
        linked: report.linked,
        conflicts: report.conflicts.len(),
        rejected: report.rejected.len(),
        ledgerline_seconds: ours,
        ledgerline_records_per_second: report.records as f64 / ours,
        native_rows: first.native_rows,
        native_seconds: native,
        native_commit_seconds: runs[median_index(&native_each)].native_commit,
        share_of_native_speed: native / ours,
        timings: middle.report.timings.clone(),
        checkpoints: middle.checkpoints.clone(),
        runs: runs.len(),
        ledgerline_seconds_each: ours_each,
        native_seconds_each: native_each,
        cpu_seconds: middle.cpu.clone(),
    })
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// Where the median value is (of an even count, the lower of the two middle ones).
fn median_index(values: &[f64]) -> usize {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    order[(values.len() - 1) / 2]
}

fn print(r: &EngineResult) {
    println!(
        "{}: ledgerline load of {} records in {:.2}s = {:.0} records/s ({} inserted, {} linked to {} persons held, {} conflicts, {} rejected)",
        r.engine,
        r.records,
        r.ledgerline_seconds,
        r.ledgerline_records_per_second,
        r.inserted,
        r.linked,
        r.database_persons,
        r.conflicts,
        r.rejected
    );
    let tm = &r.timings;
    println!(
        "  validate {:.2}s, read the database {:.2}s, match {:.2}s, write {:.2}s, commit {:.2}s",
        tm.validate_seconds, tm.read_database_seconds, tm.match_seconds, tm.write_seconds, tm.commit_seconds
    );
    println!(
        "  {} of the same {} rows: {:.2}s (commit {:.2}s); ledgerline runs at {:.0}% of the native path",
        r.native_path,
        r.native_rows,
        r.native_seconds,
        r.native_commit_seconds,
        100.0 * r.share_of_native_speed
    );
    if r.runs > 1 {
        let each = |s: &[f64]| s.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(" ");
        println!(
            "  medians of {} runs: ledgerline {} s, the native path {} s",
            r.runs,
            each(&r.ledgerline_seconds_each),
            each(&r.native_seconds_each)
        );
    }
    let cpu = &r.cpu_seconds;
    let mut line = format!(
        "  CPU on {} cores during the loads: ledgerline {:.1} s",
        cpu.cores, cpu.ledgerline
    );
    if let Some(s) = cpu.server_for_ledgerline {
        line += &format!(" and the server's backend {s:.1} s");
    }
    if let Some(s) = cpu.server_for_native {
        line += &format!("; the native path's backend {s:.1} s");
    }
    println!("{line}");
    if let Some(c) = &r.checkpoints {
        println!(
            "  the checkpoint each leaves for later (not in the times above): ledgerline's {:.2}s, the native path's {:.2}s",
            c.ledgerline_seconds, c.native_seconds
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_seconds_are_utime_and_stime() {
        // (a /proc/PID/stat line, its utime + stime in seconds)
        let cases: [(&str, Option<f64>); 4] = [
            (
                "4242 (postgres) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 37 0 0 20 0 1 0 100 0 0",
                Some(2.87),
            ),
            // A command name with spaces and parentheses of its own.
            (
                "7 (a b) (c)) R 1 7 7 0 -1 0 0 0 0 0 1200 5 0 0 20 0 3 0 9 0 0",
                Some(12.05),
            ),
            ("7 (cut short) R 1 7", None),
            ("no parenthesis at all", None),
        ];
        for (stat, expected) in cases {
            let got = parse_cpu_seconds(stat);
            assert_eq!(
                got.map(|s| (s * 100.0).round() as u64),
                expected.map(|s| (s * 100.0).round() as u64),
                "{stat}"
            );
        }
        // This process's own count grows while it works.
        let start = cpu_seconds_of("self").expect("this process's own CPU time");
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        let mut spun = 0u64;
        while cpu_seconds_of("self").unwrap() < start + 0.05 && Instant::now() < deadline {
            spun = (0..100_000u64).fold(spun, |a, x| a.wrapping_mul(31).wrapping_add(x));
        }
        assert!(cpu_seconds_of("self").unwrap() >= start + 0.05, "{spun}");
    }

    #[test]
    fn the_middle_run_is_reported() {
        // (times of the runs, their median, the run whose time is it or just below it)
        let cases: [(&[f64], f64, usize); 4] = [
            (&[17.2], 17.2, 0),
            (&[18.4, 16.9, 17.3], 17.3, 2),
            (&[16.9, 18.4, 17.3, 17.1], 17.2, 3),
            (&[19.0, 16.0], 17.5, 1),
        ];
        for (times, expected, run) in cases {
            assert!((median(times) - expected).abs() < 1e-9, "{times:?}: {}", median(times));
            assert_eq!(median_index(times), run, "{times:?}");
        }
    }
}
