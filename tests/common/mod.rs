//! Helpers for the end-to-end tests: run the real `ledgerline` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ledgerline"))
}

/// Runs ledgerline with `args`; panics with its output if the exit status is not `code`.
pub fn run_expect(args: &[&str], code: i32) -> Output {
    let out = Command::new(bin()).args(args).output().expect("ledgerline runs");
    assert_eq!(
        out.status.code(),
        Some(code),
        "ledgerline {args:?}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn run_ok(args: &[&str]) -> Output {
    run_expect(args, 0)
}

/// Runs ledgerline and parses its `--json` stdout.
pub fn run_json(args: &[&str]) -> serde_json::Value {
    let out = run_ok(args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "ledgerline {args:?} printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample_batch() -> PathBuf {
    repo_root().join("batches/sample")
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Generated records stored as a workspace batch, 20 rows a page, and their truth rows.
pub mod stored {
    use ledgerline_schemas::{Record, ReviewStatus, TruthRow};
    use ledgerline_store::{records::replace_page_records, Workspace};
    use ledgerline_synth::records::SyntheticRecord;

    pub const ROWS_PER_PAGE: usize = 20;

    pub fn as_record(batch: &str, i: usize, r: &SyntheticRecord) -> Record {
        r.to_record(batch, i, ROWS_PER_PAGE, ReviewStatus::Machine)
    }

    /// Stores `records` as batch `batch` (status `machine`).
    pub fn store(ws: &Workspace, batch: &str, records: &[SyntheticRecord]) -> Vec<TruthRow> {
        let recs: Vec<Record> = records
            .iter()
            .enumerate()
            .map(|(i, r)| as_record(batch, i, r))
            .collect();
        ws.transaction(|c| {
            for page in recs.chunks(ROWS_PER_PAGE) {
                replace_page_records(c, &page[0].source.page, page)?;
            }
            Ok(())
        })
        .unwrap();
        recs.iter()
            .zip(records)
            .map(|(r, s)| TruthRow {
                page: r.source.page.clone(),
                row: r.source.row,
                record_type: r.record_type,
                person_id: s.person_id.clone(),
                fields: s.fields.clone(),
            })
            .collect()
    }
}
