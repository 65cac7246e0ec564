//! `ledgerline export`: records in the schema form, as JSON Lines, CSV or Parquet.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use ledgerline_schemas::{Field, Record};
use ledgerline_store::records::{export_parquet, read_records, RecordFilter};

use super::WorkspaceArg;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
    Parquet,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub ws: WorkspaceArg,
    /// Only this batch
    #[arg(long)]
    pub batch: Option<String>,
    #[arg(long, value_enum)]
    pub format: Format,
    /// Output file
    #[arg(long)]
    pub out: PathBuf,
    /// Print a JSON summary on stdout
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn csv_escape(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV for Excel: UTF-8 with a byte-order mark, one column per field, provenance and
/// review status at the end.
fn write_csv(records: &[Record], out: &mut impl Write) -> Result<()> {
    out.write_all("\u{feff}".as_bytes())?;
    let mut header: Vec<&str> = vec!["record_id", "record_type"];
    header.extend(Field::ALL.iter().map(|f| f.name()));
    header.extend([
        "person_id",
        "source.batch",
        "source.page",
        "source.row",
        "review.status",
    ]);
    writeln!(out, "{}", header.join(","))?;
    for r in records {
        let mut row: Vec<String> = vec![r.record_id.clone(), r.record_type.as_str().into()];
        row.extend(Field::ALL.iter().map(|f| r.fields.get(*f).unwrap_or_default()));
        row.extend([
            r.person_id.clone().unwrap_or_default(),
            r.source.batch.clone(),
            r.source.page.clone(),
            r.source.row.to_string(),
            r.review.status.as_str().into(),
        ]);
        writeln!(
            out,
            "{}",
            row.iter().map(|v| csv_escape(v)).collect::<Vec<_>>().join(",")
        )?;
    }
    Ok(())
}

pub fn run(a: Args) -> Result<ExitCode> {
    let ws = a.ws.open_reviewed()?;
    if let Some(batch) = &a.batch {
        ws.require_batch(batch)?;
    }
    let filter = RecordFilter::batch(a.batch.clone());
    let count = match a.format {
        Format::Parquet => ws.with_store(|c| export_parquet(c, &filter, &a.out))?,
        Format::Jsonl | Format::Csv => {
            let records = ws.with_store(|c| read_records(c, &filter))?;
            let file = std::fs::File::create(&a.out).with_context(|| format!("cannot write {}", a.out.display()))?;
            let mut w = std::io::BufWriter::new(file);
            if matches!(a.format, Format::Csv) {
                write_csv(&records, &mut w)?;
            } else {
                for r in &records {
                    serde_json::to_writer(&mut w, r)?;
                    w.write_all(b"\n")?;
                }
            }
            w.flush()?;
            records.len()
        }
    };
    if a.json {
        println!("{}", serde_json::json!({ "records": count, "out": a.out }));
    } else {
        println!("wrote {count} records to {}", a.out.display());
    }
    Ok(ExitCode::SUCCESS)
}
