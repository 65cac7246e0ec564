//! `ledgerline load` and `ledgerline unload`: verified batches into a basic funeral
//! database as paper backfill, beside the live data; and taking a load back out.

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use ledgerline_load::backfill::{load_batch, unload, LoadReport, LoadStep};
use ledgerline_load::sampling::Verdict;
use ledgerline_load::Target;
use ledgerline_review::{qa, ReviewDb};
use ledgerline_schemas::ReviewStatus;
use ledgerline_store::pages;
use ledgerline_store::records::{read_records, RecordFilter};

use super::WorkspaceArg;

#[derive(clap::Args)]
#[command(
    after_help = "Only a batch that passed its QA gate (ledgerline qa) loads: its verified records and \
the records the machine accepted, which the sample vouched for. One transaction: all or nothing; loading \
the same content again changes nothing. A record matching a person the database holds (live or backfilled) \
is linked to that person; a value that differs from the database's is written to the conflicts table, not \
over the database's."
)]
pub struct LoadArgs {
    #[command(flatten)]
    pub ws: WorkspaceArg,
    /// The batch to load: one whose QA sample passed (`ledgerline qa status`)
    #[arg(long)]
    pub batch: String,
    /// The basic database: duckdb:PATH (embedded) or postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=verify-full&sslrootcert=CA.pem] (libpq's TLS options)
    #[arg(long, value_parser = Target::parse)]
    pub target: Target,
    /// Match, count and report, then roll back
    #[arg(long)]
    pub dry_run: bool,
    /// Print the load report as JSON: inserted, linked, conflicts, rejected per agency and
    /// year, records still in review, timings
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct UnloadArgs {
    /// The load to take out (its id is in the load report)
    #[arg(long)]
    pub load_id: String,
    /// The basic database the load went into: duckdb:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=verify-full&sslrootcert=CA.pem] (libpq's TLS options)
    #[arg(long, value_parser = Target::parse)]
    pub target: Target,
    /// Print what was removed as JSON: the rows taken out of each table, and
    /// unloaded_before (when) for a load unloaded already, of which nothing is left
    #[arg(long)]
    pub json: bool,
}

pub fn run_load(a: LoadArgs) -> Result<ExitCode> {
    let ws = a.ws.open_reviewed()?;
    ws.require_batch(&a.batch)?;
    let gate = ReviewDb::open_existing(ws.root())?
        .map(|db| qa::status(&db, &a.batch))
        .transpose()?
        .flatten();
    match gate {
        Some(s) if s.verdict == Verdict::Pass => {}
        Some(s) => bail!(
            "batch {} has not passed its QA gate ({:?}: {} of {} inspected, {} nonconforming); see `ledgerline qa status --batch {}`",
            a.batch, s.verdict, s.inspected, s.plan.sample_size, s.defects, a.batch
        ),
        None => bail!(
            "batch {} has no QA sample yet: run `ledgerline qa start --batch {}` and inspect it in the review app",
            a.batch, a.batch
        ),
    }
    let all = ws.with_store(|c| read_records(c, &RecordFilter::batch(Some(a.batch.clone()))))?;
    let to_key = ws.with_store(|c| pages::pages_to_key(c, &a.batch))?;
    let waiting = all
        .iter()
        .filter(|r| r.review.status == ReviewStatus::NeedsReview)
        .count();
    let records: Vec<_> = all
        .into_iter()
        .filter(|r| matches!(r.review.status, ReviewStatus::Verified | ReviewStatus::Machine))
        .collect();
    if records.is_empty() {
        bail!("batch {}: no verified records to load", a.batch);
    }
    let target = a.target;
    let created = !target.exists();
    let mut db = target.open_for_writing()?;
    let started = std::time::Instant::now();
    let step = |step: LoadStep| {
        if !a.json {
            super::progress::log_line("load", step, started);
        }
    };
    let report = load_batch(&mut db, &a.batch, &records, a.dry_run, &step)
        .with_context(|| format!("loading batch {} into {}", a.batch, target.display()))?;
    if created {
        // Loading into a new file is the laptop flow; into a mistyped path it is a
        // mistake a DBA must see: nothing was matched against live records.
        eprintln!(
            "note: {} did not exist: it was created as a new basic database, with no live records to match against",
            target.display()
        );
    }
    if a.json {
        let mut v = serde_json::to_value(&report)?;
        v["still_in_review"] = waiting.into();
        v["pages_still_to_key"] = to_key.into();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_report(&report, waiting, &to_key);
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn print_report(r: &LoadReport, waiting: usize, to_key: &[String]) {
    let what = if r.dry_run {
        "dry run (rolled back)"
    } else if r.already_loaded {
        "already loaded: nothing changed"
    } else {
        "committed"
    };
    println!("load {} of batch {}: {what}", r.load_id, r.batch_id);
    println!(
        "  records {}: {} new persons inserted, {} linked to persons the database holds ({} of their events already there), {} rejected; {} conflicts noted",
        r.records, r.inserted, r.linked, r.events_already_held, r.rejected.len(), r.conflicts.len()
    );
    if r.events_repeated > 0 {
        println!(
            "  {} events written once for records that repeat them (the same certificate or grave in another record of the batch)",
            r.events_repeated
        );
    }
    if !r.certificates_held_otherwise.is_empty() {
        println!(
            "  {} certificates the ledgers mark voided or reissued are held under another status: not changed, the DBA's to correct",
            r.certificates_held_otherwise.len()
        );
        super::print_listed(&r.certificates_held_otherwise, |c| {
            format!(
                "certificate {} of {}: database {}, ledger {} ({})",
                c.cert_no,
                c.person_id,
                c.database_status.as_deref().unwrap_or("(none)"),
                c.ledger_status,
                c.record_id
            )
        });
    }
    for x in &r.rejected_by_agency_year {
        println!("  non-conforming: {} {} — {}", x.agency, x.year, x.rejected);
    }
    for c in r.conflicts.iter().take(10) {
        println!(
            "  conflict {} {}: database {} vs ledger {} ({})",
            c.person_id, c.field, c.database_value, c.incoming_value, c.record_id
        );
    }
    if !r.conflicts.is_empty() && !r.dry_run {
        println!(
            "  to settle them: `ledgerline conflicts list --load-id {}`, then `ledgerline conflicts resolve`",
            r.load_id
        );
    }
    if waiting > 0 {
        println!("  {waiting} records of the batch still wait for review and were not loaded");
    }
    if !to_key.is_empty() {
        // Named, at most a few: the DBA asks the keying team for these pages.
        const NAMED: usize = 5;
        let more = match to_key.len().saturating_sub(NAMED) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        println!(
            "  pages of the batch still to key by hand (the rows still to key on them are in no load): {}: {}{more}",
            to_key.len(),
            to_key[..to_key.len().min(NAMED)].join(", ")
        );
    }
    println!("  {:.2}s", r.seconds);
}

pub fn run_unload(a: UnloadArgs) -> Result<ExitCode> {
    let mut db = a.target.open_existing_for_writing()?;
    let u = unload(&mut db, &a.load_id)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&u)?);
    } else if let Some(at) = u.unloaded_before {
        println!(
            "{}: unloaded before, at {}; nothing is left of it to remove",
            u.load_id,
            at.local_text()
        );
    } else {
        println!("unloaded {u}");
    }
    Ok(ExitCode::SUCCESS)
}
