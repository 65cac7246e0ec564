//! `ledgerline synth`: synthetic ledgers for tests, demos and benchmarks.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use ledgerline_synth::{generate, templates::TEMPLATES, SynthOptions};

use super::progress::Progress;

#[derive(clap::Args)]
#[command(after_help = synth_help())]
pub struct Args {
    /// Output folder: pages/, batch.toml, truth.jsonl and pages.jsonl are written here
    pub out: PathBuf,
    /// Number of pages
    #[arg(long, default_value_t = 8)]
    pub pages: u32,
    /// Random seed: the same seed gives identical files
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Rows per page (default: 15-25, drawn per page)
    #[arg(long)]
    pub rows: Option<u32>,
    /// Use one template for every page (default: all templates in turn)
    #[arg(long)]
    pub template: Option<String>,
    /// Write over the batch OUT already holds (its pages, batch.toml and truth); without
    /// it, a folder that holds anything is refused
    #[arg(long)]
    pub replace: bool,
    /// Print a JSON summary on stdout
    #[arg(long)]
    pub json: bool,
}

fn synth_help() -> String {
    let names: Vec<String> = TEMPLATES
        .iter()
        .map(|t| format!("  {:<12} {} ({})", t.name, t.title, t.record_type.as_str()))
        .collect();
    format!("Templates:\n{}", names.join("\n"))
}

pub fn run(a: Args) -> Result<ExitCode> {
    let progress = Progress::new("synth", "pages", a.pages.into(), a.json);
    let opts = SynthOptions {
        out: a.out,
        pages: a.pages,
        seed: a.seed,
        rows: a.rows,
        template: a.template,
        replace: a.replace,
    };
    let summary = generate(&opts, || progress.inc())?;
    progress.finish();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "wrote {} pages, {} rows ({} persons, {} in several rows) to {}",
            summary.pages,
            summary.rows,
            summary.persons,
            summary.persons_in_several_rows,
            summary.out.display()
        );
        println!("  truth: {}", summary.out.join("truth.jsonl").display());
    }
    Ok(ExitCode::SUCCESS)
}
