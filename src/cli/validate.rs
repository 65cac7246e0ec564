//! `ledgerline validate`: check records or truth rows against the schema rules.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use ledgerline_schemas::{validate::is_acceptable, validate_fields, Finding, FindingCode, RecordFields, Severity};
use serde::Serialize;

#[derive(clap::Args)]
pub struct Args {
    /// JSON Lines file of records or truth rows
    pub file: PathBuf,
    /// Print a JSON report on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct LineReport {
    line: usize,
    findings: Vec<Finding>,
}

#[derive(Serialize)]
struct Report {
    file: PathBuf,
    lines: usize,
    valid: usize,
    invalid: usize,
    problems: Vec<LineReport>,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let f = std::fs::File::open(&a.file).with_context(|| format!("cannot open {}", a.file.display()))?;
    let mut report = Report {
        file: a.file.clone(),
        lines: 0,
        valid: 0,
        invalid: 0,
        problems: vec![],
    };
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("{}: line {} is not UTF-8 text", a.file.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        report.lines += 1;
        // A line that is no record is one more invalid line: the rest are still checked.
        let findings = match serde_json::from_str::<RecordFields>(&line) {
            Ok(fields) => validate_fields(&fields),
            Err(e) => vec![Finding::about(
                "line",
                Severity::Error,
                FindingCode::NotARecord,
                format!("not a record: {e}"),
            )],
        };
        if is_acceptable(&findings) {
            report.valid += 1;
        } else {
            report.invalid += 1;
        }
        if !findings.is_empty() {
            report.problems.push(LineReport { line: i + 1, findings });
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for p in &report.problems {
            for f in &p.findings {
                println!("{}:{}: {f}", a.file.display(), p.line);
            }
        }
        println!(
            "{} lines: {} valid, {} invalid",
            report.lines, report.valid, report.invalid
        );
    }
    Ok(if report.invalid == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
