//! Live extracts saved as Excel workbooks. A DBA is often handed the funeral information
//! system's export after someone opened it in Excel and saved it (.xlsx), or an older
//! system's .xls. The sheet that holds the extract's header is written out as the CSV
//! text a CSV extract gives, one sheet row a line (rows above the header and empty rows as
//! blank lines), so that everything after reads one form and names a bad row by its row
//! in the sheet.
//!
//! Excel keeps 15 significant digits of a number: an 18-digit ID number typed into a
//! cell formatted as a number (Excel's default) has lost its last digits for good
//! (34052419800101001X cannot be one at all). Such a cell, and a cell holding a
//! spreadsheet error (#N/A, #VALUE!), makes its row a bad row, never a stored value.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use anyhow::{bail, Result};
use calamine::{Data, Reader};

/// Excel's numbers are exact to 15 significant digits: an integer this large or larger
/// may have lost digits.
const EXACT_BELOW: f64 = 1e15;

/// A workbook's sheet as CSV text.
pub(super) struct Sheet {
    /// The sheet's name: a workbook may hold notes or a summary beside the extract.
    pub name: String,
    pub text: String,
    /// "xlsx", "xls" or "ods": where the report says how the file was read.
    pub kind: &'static str,
    /// Rows (by their line, the sheet's row number) holding a value that cannot be
    /// trusted, and why.
    pub damaged: BTreeMap<u64, String>,
}

/// A ZIP archive's first bytes: an xlsx or ods workbook, or an extract sent zipped.
pub(super) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// The kind of workbook the file's bytes say it is, if it is one: a ZIP package holding
/// a workbook part (xlsx) or an OpenDocument spreadsheet's mimetype (ods), or an OLE2
/// compound file (xls).
pub(super) fn kind_of(bytes: &[u8]) -> Option<&'static str> {
    if is_zip(bytes) {
        if zip_holds(bytes, b"xl/workbook") {
            Some("xlsx")
        } else if zip_holds(bytes, b"opendocument.spreadsheet") {
            Some("ods")
        } else {
            None
        }
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Some("xls")
    } else {
        None
    }
}

/// Whether a part's name appears among the package's bytes (its central directory).
fn zip_holds(bytes: &[u8], name: &[u8]) -> bool {
    bytes.windows(name.len()).any(|w| w == name)
}

/// The first sheet whose header row (among its first rows) has a DEAD_ID column (or one
/// captioned as it), as CSV.
pub(super) fn read(bytes: Vec<u8>, kind: &'static str, file: &Path) -> Result<Sheet> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| anyhow::anyhow!("{}: a workbook ({kind}) that cannot be read: {e}", file.display()))?;
    let names = book.sheet_names();
    for name in &names {
        let range = book
            .worksheet_range(name)
            .map_err(|e| anyhow::anyhow!("{}: sheet {name:?} cannot be read: {e}", file.display()))?;
        if let Some(sheet) = as_csv(&range, kind, name) {
            return Ok(sheet);
        }
    }
    bail!(
        "{}: not a live extract: no sheet of the workbook has a DEAD_ID column (nor one captioned {}) in its first {HEADER_WITHIN} rows (sheets: {})",
        file.display(),
        super::captions::captions_of("DEAD_ID").join(", "),
        names.join(", ")
    )
}

/// How far down a sheet its header row may be: below a title or two.
const HEADER_WITHIN: usize = 10;

/// A row that names the DEAD_ID column, by its name or a caption (逝者编号).
fn is_header(row: &[Data]) -> bool {
    row.iter().any(|c| {
        matches!(c, Data::String(s) if super::captions::column_of(s).is_some_and(|(column, _)| column == "DEAD_ID"))
    })
}

/// The sheet from its header row on as CSV, one sheet row a line; `None` when no row
/// near its top is a live extract's header.
fn as_csv(range: &calamine::Range<Data>, kind: &'static str, name: &str) -> Option<Sheet> {
    let (top, _) = range.start()?;
    let header_at = range.rows().take(HEADER_WITHIN).position(is_header)?;
    let header: Vec<String> = range.rows().nth(header_at)?.iter().map(plain).collect();
    // Lines before the header, blank, so that a line is the sheet's row number.
    // Written by hand, not by a CSV writer, which writes an empty row as `""`: a row of
    // one empty field, where a blank line (skipped by the reader, kept by the line
    // count) is wanted.
    let mut text = "\n".repeat(top as usize + header_at);
    let mut damaged = BTreeMap::new();
    for (i, row) in range.rows().enumerate().skip(header_at) {
        let line = u64::from(top) + i as u64 + 1;
        if !row.iter().all(|c| matches!(c, Data::Empty)) {
            for (c, (cell, column)) in row.iter().zip(&header).enumerate() {
                let (value, problem) = cell_text(cell, column);
                if let Some(problem) = problem {
                    damaged.entry(line).or_insert(problem);
                }
                if c > 0 {
                    text.push(',');
                }
                push_field(&mut text, &value);
            }
        }
        text.push('\n');
    }
    Some(Sheet {
        name: name.to_string(),
        text,
        kind,
        damaged,
    })
}

/// A value as a CSV field: quoted, its quotes doubled, when it holds a comma, a quote or
/// a line break.
fn push_field(text: &mut String, value: &str) {
    if value.contains([',', '"', '\n', '\r']) {
        text.push('"');
        text.push_str(&value.replace('"', "\"\""));
        text.push('"');
    } else {
        text.push_str(value);
    }
}

/// A header cell's text.
fn plain(c: &Data) -> String {
    cell_text(c, "").0.into_owned()
}

/// A cell as the text a CSV export would give (text cells borrowed, not copied: a sheet
/// is millions of them), and what makes it untrustworthy, if anything does.
fn cell_text<'a>(c: &'a Data, column: &str) -> (Cow<'a, str>, Option<String>) {
    match c {
        Data::Empty => (Cow::Borrowed(""), None),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => (super::joined_lines_if_broken(s), None),
        Data::Int(i) => (i.to_string().into(), None),
        Data::Bool(b) => (Cow::Borrowed(if *b { "1" } else { "0" }), None),
        Data::Float(f) => number(*f, column),
        Data::DateTime(d) => match d.as_datetime().filter(|_| d.is_datetime()) {
            Some(t) if t.time() == chrono::NaiveTime::MIN => (t.format("%Y-%m-%d").to_string().into(), None),
            Some(t) => (t.format("%Y-%m-%d %H:%M:%S").to_string().into(), None),
            None => number(d.as_f64(), column),
        },
        Data::Error(e) => (
            Cow::Borrowed(""),
            Some(format!("{column} holds the spreadsheet error {e}")),
        ),
    }
}

/// A number as written: integers without a fraction, others as they are.
fn number(f: f64, column: &str) -> (Cow<'static, str>, Option<String>) {
    if f.fract() != 0.0 {
        return (f.to_string().into(), None);
    }
    let text = format!("{f:.0}");
    let problem = (f.abs() >= EXACT_BELOW).then(|| {
        format!(
            "{column} is stored in the workbook as the number {f:.14e}: a spreadsheet keeps 15 digits of a number (Excel, LibreOffice), so its last digits are lost (format the column as text where it is exported, and export it again)"
        )
    });
    (text.into(), problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_number_kept_as_a_number_has_lost_digits() {
        let (text, problem) = number(340524198001010000.0, "ID_CARD");
        // 34052419800101001X typed into a number cell: Excel kept 15 digits.
        assert_eq!(
            text, "340524198001009984",
            "what the double holds: not the number typed"
        );
        assert!(problem
            .unwrap()
            .starts_with("ID_CARD is stored in the workbook as the number 3.40524198001010"));
        assert_eq!(number(13912345678.0, "MOBIL_PHONE"), ("13912345678".into(), None));
        assert_eq!(number(999_999_999_999_999.0, "X").1, None);
        assert_eq!(number(12.5, "AGE"), ("12.5".into(), None));
    }

    #[test]
    fn a_spreadsheet_error_is_no_value() {
        let (text, problem) = cell_text(&Data::Error(calamine::CellErrorType::NA), "DEATH_DATE");
        assert_eq!(text, "");
        assert_eq!(problem.as_deref(), Some("DEATH_DATE holds the spreadsheet error #N/A"));
        assert_eq!(cell_text(&Data::Bool(true), "IF_NAMELESS"), ("1".into(), None));
    }

    #[test]
    fn workbooks_are_told_from_their_first_bytes() {
        assert_eq!(kind_of(b"PK\x03\x04....xl/workbook.xml...."), Some("xlsx"));
        let ods = b"PK\x03\x04....mimetypeapplication/vnd.oasis.opendocument.spreadsheet";
        assert_eq!(kind_of(ods), Some("ods"));
        assert_eq!(kind_of(b"PK\x03\x04....fis_dead_info.csv"), None);
        assert_eq!(
            kind_of(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Some("xls")
        );
        assert_eq!(kind_of(b"DEAD_ID,NAME\n"), None);
    }
}
