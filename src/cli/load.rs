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
the records the machine accepted, which the sample vouched for, once `ledgerline dedupe` has made persons \
of them (which rows of the batch are one death). One transaction: all or nothing; loading \
the same content again changes nothing. A record matching a person the database holds (live or backfilled) \
is linked to that person; a value that differs from the database's is written to the conflicts table, not \
over the database's."
)]
pub struct LoadArgs {
    #[command(flatten)]
    pub ws: WorkspaceArg,
    /// The batch to load: one whose QA sample passed (`ledgerline qa status`). Given
    /// again (`--batch A --batch B`), the batches load one after another, each in its own
    /// transaction, once every one of them is found to have passed
    #[arg(long, required = true)]
    pub batch: Vec<String>,
    #[arg(long, value_parser = Target::parse, help = super::target_help!("The basic database"))]
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
    #[arg(long, value_parser = Target::parse, help = super::target_help!("The basic database the load went into"))]
    pub target: Target,
    /// Print what was removed as JSON: the rows taken out of each table, and
    /// unloaded_before (when) for a load unloaded already, of which nothing is left
    #[arg(long)]
    pub json: bool,
}

pub fn run_load(a: LoadArgs) -> Result<ExitCode> {
    let ws = a.ws.open_reviewed()?;
    // Every batch is checked before any loads: one that has not passed stops them all.
    for (i, batch) in a.batch.iter().enumerate() {
        if a.batch[..i].contains(batch) {
            bail!("--batch {batch} is given twice");
        }
        require_passed(&ws, batch)?;
    }
    for batch in &a.batch {
        require_deduplicated(&ws, batch)?;
    }
    let target = &a.target;
    let created = !target.exists();
    let mut db = target.open_for_writing()?;
    let mut reports = Vec::with_capacity(a.batch.len());
    for batch in &a.batch {
        let loaded = load_one(&ws, &mut db, batch, &a)
            .with_context(|| format!("loading batch {batch} into {}", target.display()))?;
        reports.push(loaded);
    }
    if created {
        // Loading into a new file is the laptop flow; into a mistyped path it is a
        // mistake a DBA must see: nothing was matched against live records.
        eprintln!(
            "note: {} did not exist: it was created as a new basic database, with no live records to match against",
            target.display()
        );
    }
    if a.json {
        super::print_one_or_list(reports)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses a batch that is not in the workspace or has not passed its QA gate.
fn require_passed(ws: &ledgerline_store::Workspace, batch: &str) -> Result<()> {
    ws.require_batch(batch)?;
    let gate = ReviewDb::open_existing(ws.root())?
        .map(|db| qa::status(&db, batch))
        .transpose()?
        .flatten();
    match gate {
        Some(s) if s.verdict == Verdict::Pass => Ok(()),
        Some(s) => bail!(
            "batch {batch} has not passed its QA gate ({:?}: {} of {} inspected, {} nonconforming); see `ledgerline qa status --batch {batch}`",
            s.verdict, s.inspected, s.plan.sample_size, s.defects
        ),
        None => bail!(
            "batch {batch} has no QA sample yet: run `ledgerline qa start --batch {batch}` and inspect it in the review app"
        ),
    }
}

/// Refuses a batch some of whose records to load dedupe has not made persons of (read,
/// or keyed in the review app, since it last ran): the load matches a batch's persons
/// against the database's, and trusts the workspace for which of its records are one
/// person, so two ledger rows of one death (its cremation and its burial) would go in as
/// two persons.
fn require_deduplicated(ws: &ledgerline_store::Workspace, batch: &str) -> Result<()> {
    // Read from the records: a batch of generated or keyed records has no pages, nor a
    // row in `batches` for `status` to count it by.
    let unlinked: i64 = ws.with_store(|c| {
        Ok(c.query_row(
            &format!(
                "SELECT count(*) FROM records r WHERE r.batch_id = ? AND {}",
                super::status::NOT_IN_PERSONS
            ),
            [batch],
            |r| r.get(0),
        )?)
    })?;
    if unlinked > 0 {
        bail!(
            "batch {batch}: {unlinked} of its records to load are not linked into persons yet (read or keyed \
             since `ledgerline dedupe` last ran): run `ledgerline dedupe`, then load, so that two ledger rows \
             of one death do not go in as two persons"
        );
    }
    Ok(())
}

/// Loads one batch (its verified and machine-accepted records) in its own transaction;
/// prints its report on the terminal, or returns it for `--json`, with what of the
/// batch is still in review.
fn load_one(
    ws: &ledgerline_store::Workspace,
    db: &mut ledgerline_load::Database,
    batch: &str,
    a: &LoadArgs,
) -> Result<serde_json::Value> {
    let all = ws.with_store(|c| read_records(c, &RecordFilter::batch(Some(batch.to_string()))))?;
    let to_key = ws.with_store(|c| pages::pages_to_key(c, batch))?;
    let waiting = all
        .iter()
        .filter(|r| r.review.status == ReviewStatus::NeedsReview)
        .count();
    let records: Vec<_> = all
        .into_iter()
        .filter(|r| matches!(r.review.status, ReviewStatus::Verified | ReviewStatus::Machine))
        .collect();
    if records.is_empty() {
        bail!("batch {batch}: no verified records to load");
    }
    let started = std::time::Instant::now();
    let step = |step: LoadStep| {
        if !a.json {
            super::progress::log_line("load", step, started);
        }
    };
    let report = load_batch(db, batch, &records, a.dry_run, &step)?;
    if !a.json {
        print_report(&report, waiting, &to_key);
    }
    let mut v = serde_json::to_value(&report)?;
    v["still_in_review"] = waiting.into();
    v["pages_still_to_key"] = to_key.into();
    Ok(v)
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
