//! Command-line definitions and dispatch.

mod audit;
mod bench;
mod bench_chaos;
mod bench_load;
mod bench_ocr;
mod bench_review;
mod bench_search;
mod conflicts;
mod dedupe;
mod eval;
mod exchange;
mod export;
mod index;
mod ingest;
mod live;
mod load;
mod loads;
mod merge;
mod ocr;
mod progress;
mod qa;
mod run;
mod search;
mod serve;
mod status;
mod synth;
mod users;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ledgerline",
    version,
    about = "Turn scanned paper funeral ledgers into verified, standards-conformant records",
    long_about = "ledgerline turns scanned paper funeral ledgers (火化/安葬登记簿) into verified records \
in the standard form, ready for the provincial and national basic funeral databases.\n\n\
State lives in a workspace folder (--workspace, default ./ledgerline-ws) holding an embedded \
DuckDB database; page images stay where they are and are referenced by path and SHA-256."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run every pipeline stage on one batch folder or several: ingest, then OCR and extraction
    Run(run::Args),
    /// Register a batch of scanned pages in the workspace (checksums, provenance, quarantine)
    Ingest(ingest::Args),
    /// Read ingested pages (Tesseract, one engine per worker) and extract records
    Ocr(ocr::Args),
    /// Write records in the schema form: JSON Lines, CSV (UTF-8 with BOM), Parquet or Excel (xlsx)
    Export(export::Args),
    /// Link records into persons: duplicates within and across batches, each link explained
    Dedupe(dedupe::Args),
    /// Build or update the search index of the workspace's records
    Index(index::Args),
    /// Find records by name (汉字 or pinyin), ID number, place, date
    Search(search::Args),
    /// Score the workspace's records against a truth file
    Eval(eval::Args),
    /// Benchmarks against a baseline run on the same data in the same invocation
    Bench(bench::Args),
    /// Merge the workspaces of sharded OCR runs into this one
    Merge(merge::Args),
    /// Show what the workspace holds: batches, pages, records by status
    Status(status::Args),
    /// Generate a synthetic scanned ledger batch with ground truth
    Synth(synth::Args),
    /// Check records (JSON Lines) against the record schema and validation rules
    Validate(validate::Args),
    /// Serve the review web app (queue, record view, keying, duplicates, dashboard)
    Serve(serve::Args),
    /// Accounts of the review app: add (or give a new role and password), list, disable, enable
    Users(users::Args),
    /// The review audit log: list its entries, check its hash chain
    Audit(audit::Args),
    /// The batch acceptance gate: draw a QA sample (ISO 2859-1), see its verdict
    Qa(qa::Args),
    /// Load a batch that passed its QA gate into a basic funeral database (paper backfill)
    Load(load::LoadArgs),
    /// Remove exactly what one load inserted
    Unload(load::UnloadArgs),
    /// The loads a basic database holds, with their counts, or one load's report
    Loads(loads::Args),
    /// Live data from funeral homes' systems: import an extract into a basic database, list those imported
    Live(live::Args),
    /// The values loads did not write over: list them, settle them (keep the database's
    /// value or take the ledger's)
    Conflicts(conflicts::Args),
    /// Exchange packages from a provincial database to the national one, and the links
    /// of one death sent twice (by two provinces, or two systems of one)
    Exchange(exchange::Args),
    /// Print the shell's completion script: `ledgerline completions bash >
    /// /etc/bash_completion.d/ledgerline` (bash, zsh, fish, elvish, powershell)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// The workspace option every stage shares.
#[derive(clap::Args, Clone)]
pub struct WorkspaceArg {
    /// Workspace folder (`run`, `ingest`, `merge` and `users add` create it; the other
    /// commands need one that exists)
    #[arg(long, short = 'w', default_value = ledgerline_store::DEFAULT_WORKSPACE, env = "LEDGERLINE_WORKSPACE")]
    pub workspace: PathBuf,
}

impl WorkspaceArg {
    /// Opens the workspace, creating it if missing: for the commands that put something
    /// in a new one.
    pub fn open_or_create(&self) -> Result<ledgerline_store::Workspace> {
        ledgerline_store::Workspace::open(&self.workspace)
    }

    /// Opens the workspace, which must exist: for the commands that read what is in it.
    pub fn open_existing(&self) -> Result<ledgerline_store::Workspace> {
        ledgerline_store::Workspace::open_existing(&self.workspace)
    }

    /// Opens the existing workspace with the reviewers' pending decisions applied, for
    /// commands that read records: they see the review app's work whether or not it is
    /// running.
    pub fn open_reviewed(&self) -> Result<ledgerline_store::Workspace> {
        let ws = self.open_existing()?;
        let applied = ledgerline_review::sync::apply_pending(&ws)?;
        if applied > 0 {
            eprintln!("applied {applied} reviewed changes from the review journal");
        }
        Ok(ws)
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run(a) => run::run(a),
        Command::Ingest(a) => ingest::run(a),
        Command::Status(a) => status::run(a),
        Command::Ocr(a) => ocr::run(a),
        Command::Export(a) => export::run(a),
        Command::Dedupe(a) => dedupe::run(a),
        Command::Index(a) => index::run(a),
        Command::Search(a) => search::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Merge(a) => merge::run(a),
        Command::Synth(a) => synth::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Users(a) => users::run(a),
        Command::Audit(a) => audit::run(a),
        Command::Qa(a) => qa::run(a),
        Command::Load(a) => load::run_load(a),
        Command::Unload(a) => load::run_unload(a),
        Command::Loads(a) => loads::run(a),
        Command::Live(a) => live::run(a),
        Command::Conflicts(a) => conflicts::run(a),
        Command::Exchange(a) => exchange::run(a),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            // Printed as the other commands print, so a closed pipe ends it quietly.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ledgerline", &mut script);
            print!("{}", String::from_utf8_lossy(&script));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `--target`'s help: what the database is, then how a target is written (one text for
/// every command that takes one).
macro_rules! target_help {
    ($what:literal) => {
        concat!(
            $what,
            ": duckdb:PATH (embedded) or postgres://USER[:PASSWORD]@HOST[:PORT]/DB\
             [?sslmode=verify-full&sslrootcert=CA.pem] (libpq's TLS options)"
        )
    };
}
use target_help;

/// Items of one kind listed, at most, where people read them: an extract of a million
/// deaths sent again may differ from the rows held in every one, a load of a million
/// records conflict in a fifth; `--json` lists them all.
const LISTED: usize = 20;

/// The first [`LISTED`] of `items`, a line each, and how many more there are.
fn print_listed<T>(items: &[T], line: impl Fn(&T) -> String) {
    print_first(&items[..items.len().min(LISTED)], items.len(), line);
}

/// `first`, the first [`LISTED`] of `total` items read one by one and not kept, a line
/// each, and how many more there are.
fn print_first<T>(first: &[T], total: usize, line: impl Fn(&T) -> String) {
    for item in first {
        println!("  {}", line(item));
    }
    print_more(total, first.len());
}

/// Prints the JSON of a command's one report as it was before the command took several
/// (one batch, one folder), or of several in a list.
fn print_one_or_list<T: serde::Serialize>(reports: Vec<T>) -> Result<()> {
    let json = match <[T; 1]>::try_from(reports) {
        Ok([one]) => serde_json::to_string_pretty(&one)?,
        Err(several) => serde_json::to_string_pretty(&several)?,
    };
    println!("{json}");
    Ok(())
}

/// How many of `total` items were not listed, when `listed` were.
fn print_more(total: usize, listed: usize) {
    if total > listed {
        println!("  … and {} more (--json lists every one)", total - listed);
    }
}

/// Who the review journal names for what a command does there (an account changed, a QA
/// sample drawn): `cli:` and the system user running it, the app's own accounts being
/// for the app.
fn cli_actor() -> String {
    let user = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()));
    format!("cli:{}", user.as_deref().unwrap_or("unknown"))
}
