//! `ledgerline bench review`: the review server on a journal of N records needing review,
//! first with one reviewer (the baseline), then with many at once, on loopback. Reports
//! latency per screen side by side, and checks that no acknowledged edit was lost or
//! doubled and that nothing answered 5xx. While the many reviewers work, a CLI
//! `ledgerline run` ingests and reads generated batches into the same workspace, one
//! after another, as archivists do beside the data-entry team.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use ledgerline_review::loadtest::{self, Phase};
use ledgerline_review::ReviewDb;
use ledgerline_schemas::ReviewStatus;
use ledgerline_synth::records::generate_records;
use serde_json::json;

use super::bench_chaos::ledgerline;
use super::bench_search::percentile_ms;

#[derive(clap::Args)]
pub struct ReviewArgs {
    /// Records needing review in the journal
    #[arg(long, default_value_t = 100_000)]
    pub records: usize,
    /// Simulated reviewers working at once
    #[arg(long, default_value_t = 50)]
    pub reviewers: usize,
    /// How long the many reviewers work
    #[arg(long, default_value_t = 120)]
    pub seconds: u64,
    /// Seed of the generated journal and of the batches run beside it
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Pages of each generated batch a CLI `ledgerline run` ingests into the same
    /// workspace while the many reviewers work (0: no CLI run beside them)
    #[arg(long, default_value_t = 4)]
    pub run_pages: usize,
    /// Print the comparison as JSON: latency per screen, items/s, errors, lost or doubled edits
    #[arg(long)]
    pub json: bool,
}

/// What `ledgerline run` did in the workspace while the reviewers worked.
#[derive(Debug, Default, serde::Serialize)]
struct Ingests {
    batches: usize,
    pages: usize,
    run_seconds: Vec<f64>,
    failures: Vec<String>,
}

/// From `start_after` on and for `working`, generates batches of `pages` pages and runs
/// `ledgerline run` on each in `workspace`, one after another (the last may end after).
fn ingest_meanwhile(
    workspace: PathBuf,
    pages: usize,
    seed: u64,
    start_after: Duration,
    working: Duration,
) -> std::thread::JoinHandle<Result<Ingests>> {
    std::thread::spawn(move || {
        let exe = std::env::current_exe()?;
        let mut done = Ingests::default();
        std::thread::sleep(start_after);
        let started = Instant::now();
        while started.elapsed() < working {
            let batch = workspace.join(format!("incoming-{}", done.batches + 1));
            let batch_seed = (seed + 1000 + done.batches as u64).to_string();
            let synth: [OsString; 6] = [
                "synth".into(),
                batch.clone().into(),
                "--pages".into(),
                pages.to_string().into(),
                "--seed".into(),
                batch_seed.into(),
            ];
            ledgerline(&exe, &synth)?;
            let t = Instant::now();
            let run: [OsString; 5] = [
                "run".into(),
                batch.into(),
                "--workspace".into(),
                workspace.clone().into(),
                "--json".into(),
            ];
            match ledgerline(&exe, &run) {
                Ok(_) => {
                    done.batches += 1;
                    done.pages += pages;
                    done.run_seconds.push(t.elapsed().as_secs_f64());
                }
                Err(e) => {
                    done.failures.push(format!("{e:#}"));
                    break;
                }
            }
        }
        Ok(done)
    })
}

fn summary(p: &Phase) -> serde_json::Map<String, serde_json::Value> {
    p.latencies
        .iter()
        .map(|(route, v)| {
            let mut v = v.clone();
            v.sort_by(f64::total_cmp);
            (
                route.to_string(),
                json!({"n": v.len(), "p50_ms": percentile_ms(&v, 0.5), "p99_ms": percentile_ms(&v, 0.99)}),
            )
        })
        .collect()
}

pub fn run(a: ReviewArgs) -> Result<ExitCode> {
    let dir = tempfile::tempdir()?;
    let db = ReviewDb::open(dir.path())?;
    eprintln!("bench review: {} records needing review into the journal…", a.records);
    let records: Vec<_> = generate_records(a.records, a.seed)
        .iter()
        .enumerate()
        .map(|(i, r)| r.to_record("BENCH", i, loadtest::ROWS_PER_PAGE, ReviewStatus::NeedsReview))
        .collect();
    let intake_s = loadtest::fill(&db, dir.path(), records)?;
    let baseline_for = Duration::from_secs((a.seconds / 6).clamp(5, 20));
    eprintln!(
        "bench review: 1 reviewer for {}s (baseline), then {} reviewers for {}s…",
        baseline_for.as_secs(),
        a.reviewers,
        a.seconds
    );
    let working = Duration::from_secs(a.seconds);
    let cli = (a.run_pages > 0).then(|| {
        // Logging in the many reviewers takes a moment after the baseline.
        let start_after = baseline_for + Duration::from_secs(2);
        ingest_meanwhile(dir.path().to_path_buf(), a.run_pages, a.seed, start_after, working)
    });
    let (single, many) = loadtest::baseline_and_load(&db, a.reviewers, baseline_for, working)?;
    let ingests = match cli {
        Some(handle) => handle
            .join()
            .map_err(|_| anyhow::anyhow!("the CLI run beside the reviewers panicked"))??,
        None => Ingests::default(),
    };
    let saves: Vec<_> = single.saves.iter().chain(&many.saves).cloned().collect();
    let consistency = loadtest::check(&db, &saves)?;
    let (s1, sn) = (summary(&single), summary(&many));
    let report = json!({
        "records": a.records,
        "intake_seconds": intake_s,
        "reviewers": a.reviewers,
        "seconds": many.seconds,
        "items_per_second": many.items as f64 / many.seconds,
        "baseline_items_per_second": single.items as f64 / single.seconds,
        "server_errors": single.server_errors + many.server_errors,
        "conflicts": many.conflicts,
        "consistency": consistency,
        "cli_run_meanwhile": ingests,
        "baseline": s1,
        "loaded": sn,
    });
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "review server, journal of {} records (intake {:.1}s), 1 reviewer vs {} reviewers for {:.0}s on loopback",
            a.records, intake_s, a.reviewers, many.seconds
        );
        println!(
            "{:<16} {:>8} {:>9} {:>9}   {:>8} {:>9} {:>9}  {:>9}",
            "route", "n(1)", "p50 ms", "p99 ms", "n(many)", "p50 ms", "p99 ms", "p99 ratio"
        );
        for (route, m) in &sn {
            let b = s1.get(route).cloned().unwrap_or(json!({}));
            let f = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
            println!(
                "{route:<16} {:>8} {:>9.2} {:>9.2}   {:>8} {:>9.2} {:>9.2}  {:>8.1}x",
                b["n"].as_u64().unwrap_or(0),
                f(&b, "p50_ms"),
                f(&b, "p99_ms"),
                m["n"].as_u64().unwrap_or(0),
                f(m, "p50_ms"),
                f(m, "p99_ms"),
                f(m, "p99_ms") / f(&b, "p99_ms")
            );
        }
        println!(
            "items/s: {:.1} with {} reviewers vs {:.1} with 1; 5xx: {}; stale-version conflicts: {}",
            report["items_per_second"].as_f64().unwrap_or(0.0),
            a.reviewers,
            report["baseline_items_per_second"].as_f64().unwrap_or(0.0),
            report["server_errors"],
            many.conflicts
        );
        println!(
            "edits acknowledged {}, lost {}, doubled {}, audit entries off by {}",
            consistency.acknowledged, consistency.lost, consistency.doubled, consistency.audit_mismatch
        );
        if a.run_pages > 0 {
            println!(
                "meanwhile `ledgerline run` in the same workspace: {} batches ({} pages), each in {}; failures: {}",
                ingests.batches,
                ingests.pages,
                ingests
                    .run_seconds
                    .iter()
                    .map(|s| format!("{s:.1}s"))
                    .collect::<Vec<_>>()
                    .join(", "),
                ingests.failures.len()
            );
        }
    }
    if !ingests.failures.is_empty() || (a.run_pages > 0 && ingests.batches == 0) {
        bail!("the CLI run beside the reviewers failed: {:?}", ingests.failures);
    }
    if consistency.lost + consistency.doubled > 0 || consistency.audit_mismatch != 0 || report["server_errors"] != 0 {
        bail!("the review server lost, doubled or failed edits under load (see above)");
    }
    Ok(ExitCode::SUCCESS)
}
