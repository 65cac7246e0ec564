//! `ledgerline bench load`: a batch of N generated records loaded into a DuckDB basic
//! database that already holds half of those people (from an earlier load), through
//! ledgerline's loader (validation, matching with the linkage model, staging, one
//! transaction), beside the database's own bulk path for the same rows (`INSERT … SELECT
//! FROM read_parquet`) measured in the same run.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use ledgerline_load::backfill::load_batch;
use ledgerline_load::Target;
use ledgerline_schemas::ReviewStatus;
use ledgerline_synth::records::generate_records;
use serde_json::json;

#[derive(clap::Args)]
pub struct LoadBenchArgs {
    #[arg(long, default_value_t = 1_000_000)]
    pub records: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long)]
    pub json: bool,
}

const TABLES: [&str; 4] = ["deceased", "cremations", "burials", "agents"];

pub fn run(a: LoadBenchArgs) -> Result<ExitCode> {
    let dir = tempfile::tempdir()?;
    let generated = generate_records(a.records, a.seed);
    // People the database already holds: the first record of every other person.
    let mut seen = std::collections::HashSet::new();
    let existing: Vec<_> = generated
        .iter()
        .enumerate()
        .filter(|(i, r)| seen.insert(r.person_id.clone()) && i % 2 == 0)
        .map(|(i, r)| r.to_record("EARLIER", i, 20, ReviewStatus::Verified))
        .collect();
    let batch: Vec<_> = generated
        .iter()
        .enumerate()
        .map(|(i, r)| r.to_record("BENCH", i, 20, ReviewStatus::Verified))
        .collect();
    let target = Target::parse(&format!("duckdb:{}", dir.path().join("province.duckdb").display()))?;
    let conn = target.open_for_writing()?;
    eprintln!("bench load: {} persons already in the database…", existing.len());
    load_batch(&conn, "EARLIER", &existing, false)?;
    eprintln!("bench load: loading {} records…", batch.len());
    let t = Instant::now();
    let report = load_batch(&conn, "BENCH", &batch, false)?;
    let ours = t.elapsed().as_secs_f64();

    // The same rows through DuckDB's own bulk path, into a fresh database.
    let parquet = |table: &str| dir.path().join(format!("{table}.parquet")).display().to_string();
    for table in TABLES {
        conn.execute_batch(&format!(
            "COPY (SELECT * FROM {table} WHERE load_id = '{}') TO '{}' (FORMAT parquet)",
            report.load_id,
            parquet(table)
        ))?;
    }
    let native_db =
        Target::parse(&format!("duckdb:{}", dir.path().join("native.duckdb").display()))?.open_for_writing()?;
    let t = Instant::now();
    native_db.execute_batch("BEGIN TRANSACTION")?;
    let mut rows = 0usize;
    for table in TABLES {
        rows += native_db.execute(
            &format!("INSERT INTO {table} SELECT * FROM read_parquet('{}')", parquet(table)),
            [],
        )?;
    }
    native_db.execute_batch("COMMIT")?;
    let native = t.elapsed().as_secs_f64();
    let out = json!({
        "records": batch.len(),
        "database_persons": existing.len(),
        "inserted": report.inserted,
        "linked": report.linked,
        "conflicts": report.conflicts.len(),
        "rejected": report.rejected.len(),
        "ledgerline_seconds": ours,
        "ledgerline_records_per_second": batch.len() as f64 / ours,
        "native_rows": rows,
        "native_seconds": native,
        "share_of_native_speed": native / ours,
        "timings": report.timings,
    });
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "ledgerline load: {} records in {ours:.2}s = {:.0} records/s ({} inserted, {} linked to {} persons held, {} conflicts, {} rejected)",
            batch.len(),
            batch.len() as f64 / ours,
            report.inserted,
            report.linked,
            existing.len(),
            report.conflicts.len(),
            report.rejected.len()
        );
        let tm = &report.timings;
        println!(
            "  validate {:.2}s, read the database {:.2}s, match {:.2}s, write {:.2}s, commit {:.2}s",
            tm.validate_seconds, tm.read_database_seconds, tm.match_seconds, tm.write_seconds, tm.commit_seconds
        );
        println!(
            "DuckDB read_parquet of the same {rows} rows: {native:.2}s; ledgerline runs at {:.0}% of the native path",
            100.0 * native / ours
        );
    }
    Ok(ExitCode::SUCCESS)
}
