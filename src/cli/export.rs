//! `ledgerline export`: records in the schema form, as JSON Lines, CSV, Parquet or an
//! Excel workbook.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use ledgerline_schemas::{Field, Record};
use ledgerline_store::records::{export_parquet, read_records, RecordFilter};

use super::WorkspaceArg;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    /// UTF-8 with a byte-order mark, for Excel (which reads long ID numbers as numbers)
    Csv,
    Parquet,
    /// An Excel workbook whose ID numbers, codes and phones are text cells
    Xlsx,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub ws: WorkspaceArg,
    /// Only this batch
    #[arg(long)]
    pub batch: Option<String>,
    /// jsonl and parquet for programs, csv (UTF-8 with BOM) and xlsx (ID numbers and codes
    /// as text cells) for Excel
    #[arg(long, value_enum)]
    pub format: Format,
    /// Output file (its folder is made if missing); written whole or not at all
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

/// The columns of the flat forms (CSV, XLSX): one per field, provenance and review status
/// at the end.
fn columns() -> Vec<&'static str> {
    let mut header: Vec<&str> = vec!["record_id", "record_type"];
    header.extend(Field::ALL.iter().map(|f| f.name()));
    header.extend([
        "person_id",
        "source.batch",
        "source.page",
        "source.row",
        "review.status",
    ]);
    header
}

/// A record's values in [`columns`] order, empty where it has none.
fn row(r: &Record) -> Vec<String> {
    let mut row: Vec<String> = vec![r.record_id.clone(), r.record_type.as_str().into()];
    row.extend(Field::ALL.iter().map(|f| r.fields.get(*f).unwrap_or_default()));
    row.extend([
        r.person_id.clone().unwrap_or_default(),
        r.source.batch.clone(),
        r.source.page.clone(),
        r.source.row.to_string(),
        r.review.status.as_str().into(),
    ]);
    row
}

/// CSV for Excel: UTF-8 with a byte-order mark.
fn write_csv(records: &[Record], out: &mut impl Write) -> Result<()> {
    out.write_all("\u{feff}".as_bytes())?;
    writeln!(out, "{}", columns().join(","))?;
    for r in records {
        let cells: Vec<String> = row(r).iter().map(|v| csv_escape(v)).collect();
        writeln!(out, "{}", cells.join(","))?;
    }
    Ok(())
}

/// An Excel workbook whose cells are text, as the schema writes them: opened from a CSV,
/// Excel shows an 18-digit ID number as 3.71103E+17 and saves it back with its last
/// three digits zeroed, and drops the leading zero of 01 (汉) and of area codes. Only
/// the age and the row number are numbers.
fn write_xlsx(records: &[Record], path: &Path) -> Result<()> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("records")?;
    let header = columns();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let numeric = [Field::Age.name(), "source.row"].map(|n| header.iter().position(|h| *h == n));
    // Widths in characters, a Chinese character counting two.
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for (c, name) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, &bold)?;
    }
    for (i, r) in records.iter().enumerate() {
        let line = i as u32 + 1;
        for (c, value) in row(r).iter().enumerate() {
            widths[c] = widths[c].max(value.chars().map(|ch| if ch.is_ascii() { 1 } else { 2 }).sum());
            if value.is_empty() {
                continue;
            }
            // Parsed only where a number belongs, not for every cell.
            match numeric.contains(&Some(c)).then(|| value.parse::<f64>()) {
                Some(Ok(n)) => sheet.write_number(line, c as u16, n)?,
                _ => sheet.write_string(line, c as u16, value)?,
            };
        }
    }
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, (*w).min(40) as f64 + 1.0)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, records.len() as u32, header.len() as u16 - 1)?;
    book.save(path)?;
    Ok(())
}

/// Writes `out` through a file beside it renamed over it at the end, so a killed or
/// failed export leaves an earlier export whole, never half a file; what a killed one
/// left beside it is removed.
fn write_whole(out: &Path, write: impl FnOnce(&Path) -> Result<usize>) -> Result<usize> {
    if out.is_dir() {
        bail!("{}: is a folder; give the file to write", out.display());
    }
    let partial =
        ledgerline_store::partial_beside(out).with_context(|| format!("{}: give the file to write", out.display()))?;
    if let Some(folder) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).with_context(|| format!("{}: cannot make its folder", out.display()))?;
    }
    ledgerline_store::remove_stale_partials(out)
        .with_context(|| format!("{}: cannot clear what a killed export left beside it", out.display()))?;
    let written = write(&partial).and_then(|n| {
        std::fs::rename(&partial, out).with_context(|| format!("cannot write {}", out.display()))?;
        Ok(n)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

pub fn run(a: Args) -> Result<ExitCode> {
    let ws = a.ws.open_reviewed()?;
    if let Some(batch) = &a.batch {
        ws.require_batch(batch)?;
    }
    let filter = RecordFilter::batch(a.batch.clone());
    let count = write_whole(&a.out, |path| match a.format {
        Format::Parquet => ws.with_store(|c| export_parquet(c, &filter, path)),
        Format::Jsonl | Format::Csv | Format::Xlsx => {
            let records = ws.with_store(|c| read_records(c, &filter))?;
            let cannot = || format!("cannot write {}", a.out.display());
            if matches!(a.format, Format::Xlsx) {
                write_xlsx(&records, path).with_context(cannot)?;
                return Ok(records.len());
            }
            let file = std::fs::File::create(path).with_context(cannot)?;
            let mut w = std::io::BufWriter::new(file);
            if matches!(a.format, Format::Csv) {
                write_csv(&records, &mut w)?;
            } else {
                for r in &records {
                    serde_json::to_writer(&mut w, r)?;
                    w.write_all(b"\n")?;
                }
            }
            w.flush().with_context(cannot)?;
            Ok(records.len())
        }
    })?;
    if a.json {
        println!("{}", serde_json::json!({ "records": count, "out": a.out }));
    } else {
        println!("wrote {count} records to {}", a.out.display());
    }
    Ok(ExitCode::SUCCESS)
}
