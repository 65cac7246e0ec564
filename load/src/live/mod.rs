//! Live-data extracts: the CSV files provincial funeral information systems export
//! (FIS_DEAD_INFO-style columns), loaded as `origin = live` so tests, demos and backfill
//! loads have the funeral homes' own data beside them. Their conventions are mapped to
//! the national code tables on the way in: sex 1/2/3 → GB/T 2261.1 1/2/0, "X" for a
//! missing value, CARD_TYPE 0 → 111 居民身份证, ethnicity without its leading zero,
//! 12-digit statistical division codes → GB/T 2260's six, cremation start times
//! fabricated from the arrival time (+30 or +20 minutes) flagged as imputed. Files come
//! in UTF-8 (with or without BOM), GBK/GB18030 or UTF-16 (after its BOM, as Excel saves
//! "Unicode text", or without one, as database tools write it), comma- or
//! tab-separated, or saved as a workbook (.xlsx, .xls, .ods: [`workbook`]).

mod captions;
mod held;
mod noted;
mod rekeyed;
mod workbook;

pub use captions::Caption;
pub use noted::import_id;
pub use rekeyed::Rekeyed;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use chrono::Datelike;
use sha2::{Digest, Sha256};

use crate::tables::{self, Rows};
use crate::{Database, UtcTime};
use ledgerline_schemas::{written, Field};
use serde::Serialize;

// Fx: the maps here and in the modules below are looked up by a DEAD_ID (or a column
// name) a row, a million of them for a million-row extract: std's SipHash was a fifth of
// the profile of such an extract sent again (9.4-10.0 s with Fx, 10.1-11.5 s without).
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// A row that could not be imported, by its line in the file.
#[derive(Debug, Clone, Serialize)]
pub struct BadRow {
    pub line: u64,
    pub problem: String,
}

/// A row sent again that differs from the row held, and the extract's columns it differs
/// in (`START_TIME` for a cremation held that the row no longer gives, `AGENT_NAME` for
/// an agent).
#[derive(Debug, Clone, Serialize)]
pub struct Differing {
    pub line: u64,
    pub dead_id: String,
    pub columns: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub encoding: &'static str,
    /// The sheet read, when the extract is a workbook.
    pub sheet: Option<String>,
    /// The header cells read by the caption a system's screen export writes (逝者姓名
    /// as NAME), not by the column's own name.
    pub captions: Vec<Caption>,
    /// The header cells that name no column an import reads, as written: what the
    /// extract holds that is not imported (a 备注, a furnace number, a caption not known).
    pub columns_not_read: Vec<String>,
    /// Read, compared and counted, then rolled back: nothing was written.
    pub dry_run: bool,
    /// When the same file (by its SHA-256) was last imported before, if it was: every
    /// row of it is then held already.
    pub imported_before: Option<UtcTime>,
    pub rows: u64,
    pub imported: u64,
    /// Rows whose DEAD_ID the database already holds, or an earlier line of the file; or
    /// that a funeral home re-keyed by the ID number it fixed (`rekeyed`).
    pub already_held: u64,
    /// Of those, rows whose DEAD_ID is an ID number fixed at the funeral home, taken as
    /// the person held under the mistyped one (see [`rekeyed`]), not as a second person.
    pub rekeyed: Vec<Rekeyed>,
    /// Of those, rows that brought a cremation or an agent the person held had none of (a
    /// death sent before its cremation, the cremation sent later): added.
    pub added_to_held: u64,
    /// Of those, rows that give a value otherwise than the row held (an ID number
    /// corrected at the funeral home, a date retyped): not written over, for the DBA.
    pub differing_from_held: Vec<Differing>,
    /// The values of those rows in a person's name, sex, ID number or dates noted as
    /// conflicts for the DBA (`ledgerline conflicts`), under `import_id`.
    pub conflicts_noted: u64,
    /// `live:` and 16 hex digits of the extract's SHA-256: the `load_id` of the conflicts
    /// it notes.
    pub import_id: String,
    pub cremation_times_imputed: u64,
    pub bad_rows: Vec<BadRow>,
    /// Persons the extract added linked to the death of a person held under the same
    /// full ID number, name and death date, or of one it added before them under a number
    /// held by no one: one death sent twice by different systems (a funeral home's and a
    /// cemetery's), each person kept as sent (see [`crate::links`]).
    pub linked: Vec<crate::links::Linked>,
    /// Recorded in `live_imports` (`live log`): every import that wrote anything, or
    /// whose bytes were not imported before (false for a dry run).
    pub logged: bool,
}

impl ImportReport {
    /// An extract imported before, sent again with nothing new: no row imported or
    /// added to, no conflict noted.
    fn changed_nothing(&self) -> bool {
        self.imported_before.is_some() && self.imported == 0 && self.added_to_held == 0 && self.conflicts_noted == 0
    }
}

/// The text of a file: UTF-16 after its byte-order mark (Excel's "Unicode text") or
/// without one ([`utf16_without_bom`]), UTF-8 if it is valid UTF-8 (its bytes kept as
/// they are, not copied: an extract can be hundreds of megabytes), else GB18030 (a
/// superset of GBK).
pub fn decode(mut bytes: Vec<u8>) -> (String, &'static str) {
    let (encoding, bom) = encoding_rs::Encoding::for_bom(&bytes)
        .or_else(|| utf16_without_bom(&bytes).map(|encoding| (encoding, 0)))
        .unwrap_or((encoding_rs::UTF_8, 0));
    if encoding != encoding_rs::UTF_8 {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        let name = if encoding == encoding_rs::UTF_16LE {
            "utf-16le"
        } else {
            "utf-16be"
        };
        return (text.into_owned(), name);
    }
    bytes.drain(..bom);
    match String::from_utf8(bytes) {
        Ok(text) => (text, "utf-8"),
        Err(e) => {
            let (text, _, _) = encoding_rs::GB18030.decode(e.as_bytes());
            (text.into_owned(), "gb18030")
        }
    }
}

/// UTF-16 written without a byte-order mark, as database tools' "Unicode" exports are
/// (SQL Server's `bcp -w`). No UTF-8 or GB18030 text holds a 0 byte; UTF-16 holds one in
/// every ASCII character (a letter, a delimiter, a line break), the high byte, second in
/// little-endian, first in big-endian. Its header's first characters may all be Chinese
/// (逝者编号), so the file's start is looked at, not its first character: the side
/// most of its 0 bytes are on gives the byte order.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    if bytes.starts_with(&[0, 0]) {
        return None;
    }
    let start = &bytes[..bytes.len().min(UTF16_LOOKED_AT)];
    let zeros_at = |parity: usize| start.iter().skip(parity).step_by(2).filter(|&&b| b == 0).count();
    let (first, second) = (zeros_at(0), zeros_at(1));
    match second.cmp(&first) {
        std::cmp::Ordering::Greater => Some(encoding_rs::UTF_16LE),
        std::cmp::Ordering::Less => Some(encoding_rs::UTF_16BE),
        std::cmp::Ordering::Equal => None,
    }
}

/// How much of a file's start [`utf16_without_bom`] looks at: a header row, and more.
const UTF16_LOOKED_AT: usize = 4096;

/// Tab when the header line is tab-separated (database tools' text exports, Excel's
/// "Unicode text"), else comma.
fn delimiter_of(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    if header.contains('\t') && !header.contains(',') {
        b'\t'
    } else {
        b','
    }
}

/// "X", "x", "" and "NULL" are how exporters say "nothing here".
fn value(v: Option<&str>) -> Option<String> {
    let v = v?.trim();
    match v {
        "" | "X" | "x" | "NULL" | "null" => None,
        v => Some(joined_lines_if_broken(v).into_owned()),
    }
}

/// The value as it is, or [`joined_lines`] when it has a line break.
fn joined_lines_if_broken(v: &str) -> Cow<'_, str> {
    if v.contains(['\n', '\r']) {
        Cow::Owned(joined_lines(v))
    } else {
        Cow::Borrowed(v)
    }
}

/// A value typed over several lines (an address with a line break in it) as one line,
/// as the database and the exchange keep it: Chinese is written without spaces, so its
/// lines are joined as they are; a space stays where the break falls between two words
/// of letters or digits.
fn joined_lines(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for line in v.split(['\n', '\r']).map(str::trim).filter(|l| !l.is_empty()) {
        let word = |c: char| c.is_ascii_alphanumeric();
        if out.ends_with(word) && line.starts_with(word) {
            out.push(' ');
        }
        out.push_str(line);
    }
    out
}

/// Live sex codes 1 男, 2 女, 3 unknown → GB/T 2261.1; some exporters write the words
/// (男, 女性, 未知的性别: as a person writes them, `schemas::written`).
pub fn sex_code(v: &str) -> Result<&'static str, String> {
    match v {
        "1" => Ok("1"),
        "2" => Ok("2"),
        "3" | "0" => Ok("0"),
        "9" => Ok("9"),
        words => {
            // The written form's code, as the code table has it (a `&'static str`).
            let code = written::standard_form(Field::Gender, words);
            (ledgerline_schemas::codes::GENDERS.iter())
                .map(|(c, _)| *c)
                .find(|c| *c == code)
                .ok_or_else(|| format!("SEX {words:?} is not 1, 2 or 3 (nor 男, 女 or 未知)"))
        }
    }
}

/// CARD_TYPE: "0" is the resident ID card in live exports; a screen export writes the
/// type's name (居民身份证, 身份证, 护照). A value of neither kind is kept as sent.
fn card_type(v: &str) -> String {
    match v {
        "0" | "1" => "111".to_string(),
        other => written::standard_form(Field::IdType, other).into_owned(),
    }
}

/// A cremation certificate's state as sent (签发, 补发, 作废, or its code), or `issued`
/// for a number sent without one, as a load takes a ledger's number noted without one.
fn certificate_status(sent: Option<String>, numbered: bool) -> Result<Option<&'static str>, String> {
    match sent {
        Some(s) => ledgerline_schemas::codes::written_cert_status(&s)
            .map(Some)
            .ok_or_else(|| format!("CERT_STATUS {s:?} is not 签发, 补发 or 作废 (issued, reissued, voided)")),
        None => Ok(numbered.then_some("issued")),
    }
}

/// IF_NAMELESS: 1, or 是 (or Y) in a screen export.
fn is_nameless(v: &str) -> bool {
    matches!(v, "1" | "是" | "Y" | "y")
}

/// AGE as a number, or as a screen export writes it (`81岁`); `None` for anything else.
fn age(v: &str) -> Option<i32> {
    v.parse()
        .ok()
        .or_else(|| written::standard_form(Field::Age, v).parse().ok())
}

/// Ethnicity as its GB/T 3304 code: with its leading zero restored ("1" → "01"), or
/// from its name or letters ("汉族", "汉", "HA" → "01"), as some exporters write it; a
/// value of neither kind is kept as sent.
fn ethnicity(v: &str) -> String {
    // Codes, what nearly every row sends, are not looked up.
    match v.len() {
        1 if v.as_bytes()[0].is_ascii_digit() => format!("0{v}"),
        2 if v.bytes().all(|b| b.is_ascii_digit()) => v.to_string(),
        _ => ledgerline_schemas::codes::ethnicity_code(v).map_or_else(|| v.to_string(), str::to_string),
    }
}

/// A 12-digit statistical division code carries GB/T 2260's six in front.
fn division(v: &str) -> Option<String> {
    (v.len() >= 6 && v.chars().all(|c| c.is_ascii_digit())).then(|| v[..6].to_string())
}

/// `YYYY-MM-DD[ HH:MM[:SS]]` or `YYYYMMDD` → the date part. (The common layouts are
/// read without chrono's format parser, which reads its format again for every value:
/// staging a million rows took 5.6 s with it, 2.7 s without.)
fn date(v: &str) -> Result<String, String> {
    let d = v.split([' ', 'T']).next().unwrap_or("");
    let d = if d.len() == 8 && d.chars().all(|c| c.is_ascii_digit()) {
        format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..])
    } else if !d.is_ascii() {
        // A screen export's `2013年3月5日`. The common layouts are ASCII: a million of
        // them do not pay for this look.
        written::date_with_full_year(d).ok_or_else(|| format!("{v:?} is not a date"))?
    } else {
        d.replace('/', "-")
    };
    tables::parse_date(&d)
        .map(|x| format!("{:04}-{:02}-{:02}", x.year(), x.month(), x.day()))
        .ok_or_else(|| format!("{v:?} is not a date"))
}

/// Minutes since 1970 of `YYYY-MM-DD HH:MM[:SS]`.
fn minutes(v: &str) -> Option<i64> {
    if let Some(micros) = tables::timestamp_micros(v) {
        return Some(micros / 1_000_000 / 60);
    }
    let t = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M"))
        .ok()?;
    Some(t.and_utc().timestamp() / 60)
}

struct Row<'a> {
    cols: &'a HashMap<&'static str, usize>,
    rec: &'a csv::StringRecord,
}

impl Row<'_> {
    fn get(&self, name: &str) -> Option<String> {
        value(self.cols.get(name).and_then(|&i| self.rec.get(i)))
    }
}

/// A live extract read, decoded and its header checked: read before the target database
/// is opened, so that a wrong file is refused without making or touching a database.
pub struct Extract {
    file: PathBuf,
    /// Of the file's bytes: an extract sent again is known by it.
    sha256: String,
    text: String,
    encoding: &'static str,
    sheet: Option<String>,
    /// Comma, or tab for a tab-separated export.
    delimiter: u8,
    width: usize,
    header: captions::Header,
    /// Rows of a workbook holding a value that cannot be trusted (by line), and why.
    damaged: BTreeMap<u64, String>,
}

impl Extract {
    pub fn read(file: &Path) -> Result<Extract> {
        let bytes = std::fs::read(file).with_context(|| format!("{}: cannot read the live extract", file.display()))?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let (text, encoding, damaged, sheet) = match workbook::kind_of(&bytes) {
            Some(kind) => {
                let sheet = workbook::read(bytes, kind, file)?;
                (sheet.text, sheet.kind, sheet.damaged, Some(sheet.name))
            }
            None if workbook::is_zip(&bytes) => bail!(
                "{}: a ZIP archive holding no workbook: unzip it and import the extract inside",
                file.display()
            ),
            None => {
                let (text, encoding) = decode(bytes);
                (text, encoding, BTreeMap::new(), None)
            }
        };
        let delimiter = delimiter_of(&text);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .with_context(|| format!("{}: no header row", file.display()))?;
        let header = captions::Header::read(headers).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        for needed in ["DEAD_ID", "NAME"] {
            if !header.has(needed) {
                bail!(
                    "{}: not a live extract: no {needed} column, nor one captioned {} (columns: {})",
                    file.display(),
                    captions::captions_of(needed).join(", "),
                    headers.iter().collect::<Vec<_>>().join(", ")
                );
            }
        }
        let width = headers.len();
        Ok(Extract {
            file: file.to_path_buf(),
            sha256,
            text,
            encoding,
            sheet,
            delimiter,
            width,
            header,
            damaged,
        })
    }

    /// The rows after the header (checked when the extract was read), each with the line
    /// it starts on.
    fn numbered_rows(&self) -> impl Iterator<Item = (u64, csv::Result<csv::StringRecord>)> + '_ {
        numbered_rows(&self.text, self.delimiter)
    }

    /// The row on `line` if it is whole, else why not: a value of the workbook that
    /// cannot be trusted, a row the CSV reader could not read, or one with more or fewer
    /// fields than the header (cut, or run together).
    fn whole_row(&self, line: u64, rec: csv::Result<csv::StringRecord>) -> Result<csv::StringRecord, String> {
        if let Some(problem) = self.damaged.get(&line) {
            return Err(problem.clone());
        }
        let rec = rec.map_err(|e| e.to_string())?;
        if rec.len() != self.width {
            return Err(format!("{} fields, the header has {}", rec.len(), self.width));
        }
        Ok(rec)
    }
}

/// Imports a live extract into a basic database in one transaction; rows that cannot
/// be read are reported with their line and skipped. A row whose DEAD_ID is held (in the
/// database, or on an earlier line) is sent again: what it adds, a cremation or an
/// agent the person held had none of, is added; a value it gives otherwise than the row
/// held is reported, not written over (see [`held`]). A `dry_run` reports the same and
/// rolls back. `step` is told of each [`ImportStep`] as it is done.
pub fn import(db: &mut Database, extract: &Extract, dry_run: bool, step: &dyn Fn(ImportStep)) -> Result<ImportReport> {
    import_in_parts(db, extract, dry_run, step, ROWS_PER_WRITE)
}

/// How far an import has gone: a million-row extract sent again spends seconds reading
/// the deaths held before its first row is staged, so each step is told as it is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStep {
    /// The extract's rows are counted (a first pass over the file).
    Counted { rows: u64 },
    /// The deaths the database holds of those the extract sends are read.
    HeldRead { deaths: u64 },
    /// `done` of the extract's `rows` are staged, and written whenever a part is full.
    Staged { done: u64, rows: u64 },
}

impl std::fmt::Display for ImportStep {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            ImportStep::Counted { rows } => write!(f, "rows counted: {rows}"),
            ImportStep::HeldRead { deaths } => write!(f, "deaths held read: {deaths} of those it sends"),
            ImportStep::Staged { done, rows } => write!(f, "{done}/{rows} rows"),
        }
    }
}

/// [`import`], writing the rows staged whenever a table has `rows_per_write` of them.
fn import_in_parts(
    db: &mut Database,
    extract: &Extract,
    dry_run: bool,
    step: &dyn Fn(ImportStep),
    rows_per_write: usize,
) -> Result<ImportReport> {
    let Extract {
        file,
        sha256,
        encoding,
        sheet,
        header,
        ..
    } = extract;
    let mut report = ImportReport {
        // Where the file was, wherever the import was run from: the record says so.
        file: std::path::absolute(file)
            .unwrap_or_else(|_| file.clone())
            .display()
            .to_string(),
        encoding,
        sheet: sheet.clone(),
        captions: header.captions.clone(),
        columns_not_read: header.not_read.clone(),
        dry_run,
        imported_before: None,
        rows: 0,
        imported: 0,
        already_held: 0,
        rekeyed: Vec::new(),
        added_to_held: 0,
        differing_from_held: Vec::new(),
        conflicts_noted: 0,
        import_id: import_id(sha256),
        cremation_times_imputed: 0,
        bad_rows: Vec::new(),
        linked: Vec::new(),
        logged: false,
    };
    let at = db.begin_exclusive()?;
    let result = (|| -> Result<()> {
        report.imported_before = db
            .text(
                "SELECT CAST(max(imported_at) AS VARCHAR) FROM live_imports WHERE sha256 = $1",
                &[sha256],
            )?
            .map(|at| UtcTime::read_sql_text(&at, "live_imports"))
            .transpose()?;
        let in_database = held::live_keys(db)?;
        let mistyped = rekeyed::Mistyped::among(&in_database);
        let FirstPass {
            rows,
            dead_ids,
            may_be_rekeyed,
        } = first_pass(extract, &in_database, &mistyped);
        step(ImportStep::Counted { rows });
        let sent_keys = dead_ids.iter().map(String::as_str).collect();
        let rekeys = rekeyed::find(db, &mistyped, &may_be_rekeyed, &sent_keys)?;
        let keys = dead_ids
            .iter()
            .map(|k| rekeys.get(k).map_or(k.as_str(), |link| link.held_dead_id.as_str()));
        let held = held::Held::read(db, &in_database, keys)?;
        step(ImportStep::HeldRead {
            deaths: held.deaths_in_database(),
        });
        drop(in_database);
        let offered = stage_rows(extract, held, &rekeys, &mut report, |staged, done, last| {
            if last || staged.has(rows_per_write) {
                for rows in [&staged.deceased, &staged.cremations, &staged.agents] {
                    db.append(rows, &[Some("live"), None, None], at)?;
                }
                staged.clear();
            }
            if last || done.is_multiple_of(PROGRESS_EVERY) {
                step(ImportStep::Staged { done, rows });
            }
            Ok(())
        })?;
        report.conflicts_noted = noted::note(db, &report.import_id, &offered, at)?;
        if report.imported > 0 {
            report.linked = crate::links::link_arriving(db, &crate::links::Arriving::live(at), at)?.0;
        }
        if dry_run {
            db.rollback();
            return Ok(());
        }
        // The same bytes imported again, which changed nothing, are not logged again: an
        // import killed after its commit, and run again, leaves one import, not two.
        report.logged = !report.changed_nothing();
        if !report.logged {
            return db.commit();
        }
        db.execute(
            "INSERT INTO live_imports (file, sha256, imported_at, report)
             VALUES ($1, $2, CAST(CAST($3 AS VARCHAR) AS TIMESTAMP), $4)",
            &[&report.file, sha256, &at.sql_text(), &serde_json::to_string(&report)?],
        )?;
        db.commit()
    })();
    if let Err(e) = result {
        db.rollback();
        return Err(e.context(format!("{}: importing", file.display())));
    }
    Ok(report)
}

/// One live import as recorded (see [`import`]): its file, when its rows were stamped,
/// and what it did.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub file: String,
    pub sha256: String,
    pub imported_at: UtcTime,
    pub rows: u64,
    pub imported: u64,
    pub already_held: u64,
    pub rekeyed: u64,
    pub added_to_held: u64,
    pub differing_from_held: u64,
    pub conflicts_noted: u64,
    pub bad_rows: u64,
}

/// The live imports a database recorded, the latest first. None in a database of a
/// schema version before they were recorded.
pub fn recorded(db: &mut Database) -> Result<Vec<Recorded>> {
    if !db.has_table("live_imports")? {
        return Ok(Vec::new());
    }
    let rows = db.texts(
        "SELECT file, sha256, CAST(imported_at AS VARCHAR), report FROM live_imports
         ORDER BY imported_at DESC, file",
        &[],
        4,
    )?;
    rows.chunks(4)
        .map(|row| {
            let text = |i: usize| row[i].clone().unwrap_or_default();
            let report: serde_json::Value =
                serde_json::from_str(&text(3)).context("live_imports: a report that is no JSON")?;
            let count = |key: &str| match &report[key] {
                serde_json::Value::Array(items) => items.len() as u64,
                value => value.as_u64().unwrap_or(0),
            };
            Ok(Recorded {
                file: text(0),
                sha256: text(1),
                imported_at: UtcTime::read_sql_text(&text(2), "live_imports")?,
                rows: count("rows"),
                imported: count("imported"),
                already_held: count("already_held"),
                rekeyed: count("rekeyed"),
                added_to_held: count("added_to_held"),
                differing_from_held: count("differing_from_held"),
                conflicts_noted: count("conflicts_noted"),
                bad_rows: count("bad_rows"),
            })
        })
        .collect()
}

/// A person's row, and the cremation and agent rows it makes, as they are stored: in the
/// columns of [`tables::DECEASED`], [`tables::CREMATIONS`] and [`tables::AGENTS`].
type Deceased = [Option<String>; 15];
type Cremation = [Option<String>; 8];
type Agent = [Option<String>; 7];

/// One readable row of the extract, mapped to the national codes.
pub(crate) struct SentRow {
    line: u64,
    dead_id: String,
    /// The DEAD_ID its person is held under: its own, unless it was re-keyed.
    key: String,
    deceased: Deceased,
    cremation: Option<Cremation>,
    /// The cremation's start time was made up from the arrival time.
    imputed: bool,
    agent: Option<Agent>,
}

/// The rows an import adds, per table, as far as they are staged.
struct Staged {
    deceased: Rows<'static>,
    cremations: Rows<'static>,
    agents: Rows<'static>,
    /// What rows sent again give otherwise than the rows held, to be noted as conflicts.
    offered: Vec<noted::Offered>,
}

/// Rows are written in parts, when a table has this many staged, not all at the end: a
/// row staged holds its values as owned text, so a million-row extract staged whole
/// peaked at 2.2 GB, in parts at 1.0 GB (0.3 GB of it the extract's text).
/// It is DuckDB's row group size: parts of 50,000 rows made that import 30 % slower,
/// parts of a row group took the time one write took.
const ROWS_PER_WRITE: usize = 122_880;

/// Progress is told of every this many rows staged (a million rows stage in ~10 s).
const PROGRESS_EVERY: u64 = 4096;

impl Staged {
    fn has(&self, rows_per_write: usize) -> bool {
        [&self.deceased, &self.cremations, &self.agents]
            .iter()
            .any(|rows| rows.len() >= rows_per_write)
    }

    fn clear(&mut self) {
        for rows in [&mut self.deceased, &mut self.cremations, &mut self.agents] {
            rows.clear();
        }
    }
}

/// What [`rekeyed::find`] and [`held::Held::read`] need to know before the rows are
/// staged one by one.
struct FirstPass {
    /// The rows of the file, read or not.
    rows: u64,
    /// The DEAD_ID of every row of the file that has its header's width, in order.
    dead_ids: Vec<String>,
    /// The rows keyed by their ID number, not held, that may fix a mistyped DEAD_ID held.
    may_be_rekeyed: Vec<rekeyed::Sent>,
}

/// The file read once, for its [`FirstPass`]; `in_database` are the DEAD_IDs held, of
/// which those `mistyped`.
fn first_pass(extract: &Extract, in_database: &HashSet<String>, mistyped: &rekeyed::Mistyped) -> FirstPass {
    let mut rows = 0;
    let mut dead_ids = Vec::new();
    let mut may_be_rekeyed = Vec::new();
    let whole = extract
        .numbered_rows()
        .inspect(|_| rows += 1)
        .filter_map(|(line, rec)| extract.whole_row(line, rec).ok());
    for rec in whole {
        let row = Row {
            cols: &extract.header.columns,
            rec: &rec,
        };
        let Some(dead_id) = row.get("DEAD_ID") else {
            continue;
        };
        // A nameless death's placeholder name tells nothing of whom it is.
        let named = || row.get("IF_NAMELESS").is_none_or(|v| !is_nameless(&v));
        if mistyped.may_fix(&dead_id)
            && !in_database.contains(&dead_id)
            && named()
            && rekeyed::Sent::keyed_by_id(&dead_id, row.get("ID_CARD").as_deref())
        {
            // A row whose values cannot be read is reported when it is staged.
            if let Ok(SentRow { deceased, .. }) = map_row(&row, 0) {
                let [_, Some(name), sex, _, _, _, _, death, ..] = deceased else {
                    unreachable!("a row mapped has a name")
                };
                may_be_rekeyed.push(rekeyed::Sent {
                    dead_id: dead_id.clone(),
                    name,
                    sex,
                    death,
                });
            }
        }
        dead_ids.push(dead_id);
    }
    FirstPass {
        rows,
        dead_ids,
        may_be_rekeyed,
    }
}

/// Every row of the file staged, or reported with its line and the problem; after each
/// row, and once more after the last (`true`), what is staged is handed to `after`, with
/// the count of rows done, to be written when there is enough. What the rows sent again
/// give otherwise than the rows held.
fn stage_rows(
    extract: &Extract,
    mut held: held::Held,
    rekeys: &HashMap<String, rekeyed::Link>,
    report: &mut ImportReport,
    mut after: impl FnMut(&mut Staged, u64, bool) -> Result<()>,
) -> Result<Vec<noted::Offered>> {
    let mut staged = Staged {
        deceased: Rows::new(&tables::DECEASED),
        cremations: Rows::new(&tables::CREMATIONS),
        agents: Rows::new(&tables::AGENTS),
        offered: Vec::new(),
    };
    let cols = &extract.header.columns;
    for (line, rec) in extract.numbered_rows() {
        report.rows += 1;
        let row = extract
            .whole_row(line, rec)
            .and_then(|rec| map_row(&Row { cols, rec: &rec }, line));
        match row {
            Ok(mut row) => {
                if let Some(link) = rekeys.get(&row.dead_id) {
                    report.rekeyed.push(link.report(line, &row.dead_id));
                    row.held_as(link);
                }
                stage(row, &mut held, cols, &mut staged, report);
            }
            Err(problem) => report.bad_rows.push(BadRow { line, problem }),
        }
        after(&mut staged, report.rows, false)?;
    }
    after(&mut staged, report.rows, true)?;
    Ok(staged.offered)
}

/// The rows of `text` after its header, each with the line it starts on.
fn numbered_rows(text: &str, delimiter: u8) -> impl Iterator<Item = (u64, csv::Result<csv::StringRecord>)> + '_ {
    let reader = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut lines = LineNumbers::of(text);
    reader.into_records().enumerate().map(move |(i, rec)| {
        let line = match &rec {
            Ok(rec) => rec.position(),
            Err(e) => e.position(),
        }
        .map_or(i as u64 + 2, |at| lines.of_row_at(at.byte()));
        (line, rec)
    })
}

/// The line a row starts on, as an editor numbers it: counted from the header instead,
/// every row after a value quoted across lines (an address typed with a line break) or a
/// blank line was reported a line or more too early. The CSV reader's own line number
/// is no help: a row after a CRLF ending is placed on the line before it.
struct LineNumbers<'a> {
    text: &'a [u8],
    /// Newlines before `counted_to`, plus one.
    line: u64,
    counted_to: usize,
}

impl<'a> LineNumbers<'a> {
    fn of(text: &'a str) -> LineNumbers<'a> {
        LineNumbers {
            text: text.as_bytes(),
            line: 1,
            counted_to: 0,
        }
    }

    /// The line of the row the reader found at byte `at`, past the line endings and
    /// blank lines it starts on. Rows are asked for in order, so each byte is looked at
    /// once.
    fn of_row_at(&mut self, at: u64) -> u64 {
        let at = usize::try_from(at)
            .unwrap_or(usize::MAX)
            .clamp(self.counted_to, self.text.len());
        let blank = self.text[at..]
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        let start = at + blank;
        let newlines = self.text[self.counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line += newlines as u64;
        self.counted_to = start;
        self.line
    }
}

/// A person not held, with its cremation and agent; or what a row sent again adds to
/// the person held, the columns it differs in reported.
fn stage(
    row: SentRow,
    held: &mut held::Held,
    header: &HashMap<&'static str, usize>,
    staged: &mut Staged,
    report: &mut ImportReport,
) {
    let (cremation, agent) = if held.holds(&row) {
        report.already_held += 1;
        let sent_again = held.sent_again(&row, header);
        if !sent_again.differing.is_empty() {
            staged.offered.extend(noted::offered(&row, &sent_again.differing));
            report.differing_from_held.push(Differing {
                line: row.line,
                dead_id: row.dead_id.clone(),
                columns: sent_again.differing,
            });
        }
        let adds = (sent_again.adds_cremation, sent_again.adds_agent);
        report.added_to_held += u64::from(adds.0 || adds.1);
        (row.cremation.filter(|_| adds.0), row.agent.filter(|_| adds.1))
    } else {
        held.take_in(&row);
        report.imported += 1;
        staged.deceased.push(row.deceased);
        (row.cremation, row.agent)
    };
    if let Some(cremation) = cremation {
        report.cremation_times_imputed += u64::from(row.imputed);
        staged.cremations.push(cremation);
    }
    if let Some(agent) = agent {
        staged.agents.push(agent);
    }
}

/// One row mapped to the national codes; an `Err` says what is wrong with it (the row
/// is skipped).
fn map_row(row: &Row, line: u64) -> Result<SentRow, String> {
    let dead_id = row.get("DEAD_ID").ok_or("no DEAD_ID")?;
    let name = row.get("NAME");
    let nameless = row.get("IF_NAMELESS").is_some_and(|v| is_nameless(&v));
    if name.is_none() && !nameless {
        return Err(format!("{dead_id}: no NAME and not marked nameless"));
    }
    let sex = row.get("SEX").map(|s| sex_code(&s)).transpose()?;
    let birth = row
        .get("BIRTHDAY")
        .map(|d| date(&d))
        .transpose()
        .map_err(|e| format!("BIRTHDAY {e}"))?;
    let death = row
        .get("DEATH_DATE")
        .map(|d| date(&d))
        .transpose()
        .map_err(|e| format!("DEATH_DATE {e}"))?;
    // Exporters fill a missing cremation start with the arrival time plus 30 or 20
    // minutes: such a time is not a record of anything.
    let start = row.get("START_TIME");
    let cremation_day = start
        .as_deref()
        .map(date)
        .transpose()
        .map_err(|e| format!("START_TIME {e}"))?;
    let imputed = match (
        start.as_deref().and_then(minutes),
        row.get("RECEIVE_TIME").as_deref().and_then(minutes),
    ) {
        (Some(s), Some(r)) => s - r == 30 || s - r == 20,
        _ => false,
    };
    let age = row.get("AGE").and_then(|a| age(&a));
    let person_id = format!("LIVE-{dead_id}");
    let flag = |b: bool| tables::flag(b).map(String::from);
    let deceased = [
        Some(person_id.clone()),
        Some(name.unwrap_or_else(|| "无名氏".into())),
        sex.map(str::to_string),
        row.get("FOLK").map(|v| ethnicity(&v)),
        row.get("CARD_TYPE").map(|v| card_type(&v)),
        row.get("ID_CARD"),
        birth,
        death,
        age.map(|a| a.to_string()),
        row.get("DEATH_CAUSE"),
        row.get("DEATH_PLACE"),
        row.get("POPULACE"),
        row.get("POPULACE_CODE").and_then(|v| division(&v)),
        flag(nameless),
        Some(dead_id.clone()),
    ];
    let cert_no = row.get("CERT_NO");
    let cert_status = certificate_status(row.get("CERT_STATUS"), cert_no.is_some())?;
    // A certificate is a cremation's, when the row gives it without a cremation time.
    let cremation = (cremation_day.is_some() || cert_no.is_some()).then(|| {
        [
            Some(person_id.clone()),
            row.get("UNIT_NAME"),
            cremation_day,
            flag(imputed),
            cert_no,
            cert_status.map(str::to_string),
            row.get("ASHES_GO"),
            Some(dead_id.clone()),
        ]
    });
    let agent = row.get("AGENT_NAME").map(|agent| {
        [
            Some(person_id),
            Some(agent),
            row.get("RELATION"),
            row.get("MOBIL_PHONE"),
            row.get("AGENT_ID_CARD"),
            row.get("ADDRESS"),
            Some(dead_id.clone()),
        ]
    });
    Ok(SentRow {
        line,
        key: dead_id.clone(),
        dead_id,
        deceased,
        cremation,
        imputed,
        agent,
    })
}

impl SentRow {
    /// The row taken as the person `link` names: its rows are theirs, under their DEAD_ID.
    fn held_as(&mut self, link: &rekeyed::Link) {
        self.key.clone_from(&link.held_dead_id);
        let person = Some(link.person_id.clone());
        let key = Some(link.held_dead_id.clone());
        (self.deceased[0], self.deceased[14]) = (person.clone(), key.clone());
        // Each row's first column is its person, its last the key it was sent under.
        let rows = (self.cremation.iter_mut().map(|r| &mut r[..])).chain(self.agent.iter_mut().map(|r| &mut r[..]));
        for row in rows {
            let last = row.len() - 1;
            (row[0], row[last]) = (person.clone(), key.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An extract written a part at a time stores what it stores written whole: a person
    /// sent again in a later part is still held (its agent added, its other death date
    /// noted), and no part is written twice or left out.
    #[test]
    fn an_extract_written_in_parts_stores_what_it_stores_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("live.csv");
        std::fs::write(
            &file,
            "DEAD_ID,NAME,SEX,DEATH_DATE,START_TIME,AGENT_NAME\n\
             D1,王秀英,2,2014-03-05,2014-03-07 09:00,\n\
             D2,李建国,1,2014-04-01,,李明\n\
             D3,张桂兰,2,2014-05-02,,\n\
             D1,王秀英,2,2014-03-05,2014-03-07 09:00,王强\n\
             D4,刘志强,M,2014-06-03,,\n\
             D5,陈玉兰,2,2014-07-04,2014-07-06 10:00,陈华\n\
             D2,李建国,1,2014-04-02,,李明\n\
             D6,杨淑珍,2,2014-08-05,,\n",
        )
        .unwrap();
        let extract = Extract::read(&file).unwrap();
        let stored = |rows_per_write: usize| {
            let target = crate::Target::DuckDb(dir.path().join(format!("parts-{rows_per_write}.duckdb")));
            let mut db = target.open_for_writing().unwrap();
            let told = std::cell::RefCell::new(Vec::new());
            let step = |step| told.borrow_mut().push(step);
            let report = import_in_parts(&mut db, &extract, false, &step, rows_per_write).unwrap();
            assert_eq!(
                told.take(),
                [
                    ImportStep::Counted { rows: 8 },
                    ImportStep::HeldRead { deaths: 0 },
                    ImportStep::Staged { done: 8, rows: 8 }
                ],
                "the steps, in order"
            );
            let tables = [
                "SELECT person_id FROM deceased ORDER BY 1",
                "SELECT person_id || ' ' || cremation_date FROM cremations ORDER BY 1",
                "SELECT person_id || ' ' || name FROM agents ORDER BY 1",
                "SELECT person_id || ' ' || field || ' ' || incoming_value FROM conflicts ORDER BY 1",
            ]
            .map(|sql| db.texts(sql, &[], 1).unwrap());
            let counts = (report.rows, report.imported, report.already_held, report.added_to_held);
            (counts, report.bad_rows.len(), tables)
        };
        let whole = stored(ROWS_PER_WRITE);
        let live = |ids: &[&str]| ids.iter().map(|id| Some(format!("LIVE-{id}"))).collect::<Vec<_>>();
        assert_eq!(whole.0, (8, 5, 2, 1));
        assert_eq!(whole.1, 1, "D4's sex M");
        assert_eq!(whole.2[0], live(&["D1", "D2", "D3", "D5", "D6"]));
        assert_eq!(whole.2[1], live(&["D1 2014-03-07", "D5 2014-07-06"]));
        assert_eq!(whole.2[2], live(&["D1 王强", "D2 李明", "D5 陈华"]));
        assert_eq!(whole.2[3], live(&["D2 death_date 2014-04-02"]));
        for rows_per_write in [1, 2, 3] {
            assert_eq!(stored(rows_per_write), whole, "written every {rows_per_write} rows");
        }
    }

    #[test]
    fn rows_are_numbered_by_the_line_they_start_on() {
        for ending in ["\n", "\r\n"] {
            let text = ["H,A", "1,\"two", "lines\"", "", "2,x", "3,y", ""].join(ending);
            let got: Vec<u64> = numbered_rows(&text, b',').map(|(line, _)| line).collect();
            assert_eq!(got, [2, 5, 6], "ending {ending:?}");
        }
    }

    #[test]
    fn conventions() {
        assert_eq!(sex_code("3"), Ok("0"));
        assert!(sex_code("M").is_err());
        assert_eq!(value(Some(" X ")), None);
        assert_eq!(
            value(Some("江苏省苏州市\r\n 姑苏区\r\n\r\nRoom 5\nBlock 2\r")).as_deref(),
            Some("江苏省苏州市姑苏区Room 5 Block 2")
        );
        assert_eq!(ethnicity("1"), "01");
        assert_eq!(
            (ethnicity("汉族"), ethnicity("回"), ethnicity("HA")),
            ("01".into(), "03".into(), "01".into())
        );
        assert_eq!(ethnicity("火星族"), "火星族");
        assert_eq!(
            (sex_code("男"), sex_code("女"), sex_code("未知")),
            (Ok("1"), Ok("2"), Ok("0"))
        );
        assert_eq!(
            (sex_code("男性"), sex_code(" 女性"), sex_code("未说明的性别")),
            (Ok("1"), Ok("2"), Ok("9"))
        );
        assert!(sex_code("M").is_err() && sex_code("男女").is_err());
        assert_eq!(division("370112001001").as_deref(), Some("370112"));
        assert_eq!(date("20130405").unwrap(), "2013-04-05");
        assert_eq!(date("2013/4/5 10:00").unwrap(), "2013-04-05");
        assert!(date("2013-02-30").is_err());
        assert_eq!(date("2013-4-5").unwrap(), "2013-04-05");
        // As a system's screen export writes them.
        assert_eq!(date("2013年4月5日").unwrap(), "2013-04-05");
        assert_eq!(date("2013年4月5日 10:00").unwrap(), "2013-04-05");
        assert!(date("2013年2月30日").is_err());
        assert_eq!((age("81"), age("81岁"), age("八十")), (Some(81), Some(81), None));
        assert_eq!(
            (
                card_type("0"),
                card_type("居民身份证"),
                card_type("护照"),
                card_type("军官证")
            ),
            ("111".into(), "111".into(), "414".into(), "军官证".into())
        );
        assert!(is_nameless("1") && is_nameless("是") && !is_nameless("否") && !is_nameless("0"));
        assert_eq!(
            minutes("2013-03-06 08:30:00"),
            Some(minutes("2013-03-06 08:00").unwrap() + 30)
        );
        assert_eq!(minutes("2013-3-6 8:30:00"), minutes("2013-03-06 08:30:00"));
        let (text, enc) = decode(encoding_rs::GBK.encode("王秀英").0.into_owned());
        assert_eq!((text.as_str(), enc), ("王秀英", "gb18030"));
        assert_eq!(decode("\u{feff}王".as_bytes().to_vec()).0, "王");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("王\t1".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(utf16.clone()), ("王\t1".to_string(), "utf-16le"));
        let header = "DEAD_ID\t姓\r\n";
        let le: Vec<u8> = header.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = header.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(le), (header.to_string(), "utf-16le"));
        assert_eq!(decode(be), (header.to_string(), "utf-16be"));
        assert_eq!(
            decode(utf16[2..].to_vec()),
            ("王\t1".to_string(), "utf-16le"),
            "a first character not ASCII hides nothing"
        );
        let captions = "逝者编号,逝者姓名\r\n一,王\r\n";
        let le: Vec<u8> = captions.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = captions.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(le[..2], [0x1D, 0x90], "逝: no 0 byte at the start");
        assert_eq!(le[22..24], [0x00, 0x4E], "一: a 0 byte on the other side");
        assert_eq!(decode(le), (captions.to_string(), "utf-16le"));
        assert_eq!(decode(be), (captions.to_string(), "utf-16be"));
        assert_eq!(delimiter_of("\nDEAD_ID\tNAME\n1,2\t3"), b'\t');
        assert_eq!(delimiter_of("DEAD_ID,NAME,ADDRESS\n"), b',');
    }
}
