//! `ledgerline qa`: the batch acceptance gate (ISO 2859-1 / GB/T 2828.1 single sampling,
//! normal inspection, general level II) a batch passes before it may load.

use std::process::ExitCode;

use anyhow::Result;
use ledgerline_load::sampling::ProvinceAqls;
use ledgerline_review::qa::{self, QaStatus};
use ledgerline_review::ReviewDb;
use ledgerline_store::review::batch_province;

use super::WorkspaceArg;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: QaCommand,
}

#[derive(clap::Subcommand)]
pub enum QaCommand {
    /// Draw the batch's sample of machine-accepted records and queue it for inspection in
    /// the review app (does nothing if a sample is being inspected or has passed; after a
    /// failure, draws a new one)
    Start {
        #[command(flatten)]
        ws: WorkspaceArg,
        /// The batch to sample (its id, as `ledgerline status` lists it)
        #[arg(long)]
        batch: String,
        /// Acceptance quality limit, percent nonconforming (a preferred value: 0.25, 0.4,
        /// 0.65, 1.0, 1.5, 2.5 …); without it, the batch's province's from
        /// --aql-by-province, else 0.65
        #[arg(long, env = "LEDGERLINE_AQL")]
        aql: Option<f64>,
        /// The provinces' own AQLs: a TOML file of province codes and AQLs ("37" = 0.4)
        #[arg(long, value_name = "FILE", env = "LEDGERLINE_AQL_BY_PROVINCE")]
        aql_by_province: Option<std::path::PathBuf>,
        /// Print the gate as JSON: the plan (lot, code letter, sample size, Ac, Re), the
        /// inspections so far and the verdict
        #[arg(long)]
        json: bool,
    },
    /// The plan, the inspections so far and the verdict (exit status 1 on fail)
    Status {
        #[command(flatten)]
        ws: WorkspaceArg,
        /// The batch whose gate to show
        #[arg(long)]
        batch: String,
        /// Print the gate as JSON: the plan, the inspections so far and the verdict
        #[arg(long)]
        json: bool,
    },
}

fn print(s: &QaStatus, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(s)?);
        return Ok(());
    }
    let p = &s.plan;
    println!(
        "batch {} (attempt {}): lot {} machine-accepted records, AQL {}%, code letter {} → plan {}: inspect {}, accept with ≤ {} nonconforming, reject at {}",
        s.batch_id, s.attempt, p.lot_size, p.aql, p.code_letter, p.plan_letter, p.sample_size, p.accept, p.reject
    );
    println!(
        "inspected {} of {}, nonconforming {} → {:?}",
        s.inspected, p.sample_size, s.defects, s.verdict
    );
    Ok(())
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.command {
        QaCommand::Start {
            ws,
            batch,
            aql,
            aql_by_province,
            json,
        } => {
            let ws = ws.open_reviewed()?;
            ws.require_batch(&batch)?;
            let table = aql_by_province
                .map(|f| ProvinceAqls::read(&f))
                .transpose()?
                .unwrap_or_default();
            let province = ws.with_store(|c| batch_province(c, &batch))?;
            let (aql, source) = table.choose(aql, province.as_deref());
            let db = ReviewDb::open(ws.root())?;
            let s = qa::start(&ws, &db, &batch, aql, &super::cli_actor())?;
            // A sample being inspected (or passed) keeps the plan it was drawn under.
            let source = if (s.plan.aql - aql).abs() < 1e-9 {
                source
            } else {
                "the plan of the sample drawn earlier".to_string()
            };
            let aql = s.plan.aql;
            if json {
                let mut v = serde_json::to_value(&s)?;
                v["aql_source"] = source.into();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print(&s, json)?;
                println!("AQL {aql}%: {source}");
                println!("the sample waits in the review app's queue (kind: QA sample)");
            }
            Ok(ExitCode::SUCCESS)
        }
        QaCommand::Status { ws, batch, json } => {
            let ws = ws.open_reviewed()?;
            ws.require_batch(&batch)?;
            let Some(db) = ReviewDb::open_existing(ws.root())? else {
                anyhow::bail!("batch {batch}: no QA sample drawn yet; run `ledgerline qa start --batch {batch}`");
            };
            let Some(s) = qa::status(&db, &batch)? else {
                anyhow::bail!("batch {batch}: no QA sample drawn yet; run `ledgerline qa start --batch {batch}`");
            };
            print(&s, json)?;
            Ok(if s.verdict == ledgerline_load::sampling::Verdict::Fail {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
