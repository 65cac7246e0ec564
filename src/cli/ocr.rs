//! `ledgerline ocr`: read every ingested page in parallel and extract records.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result};
use ledgerline_ocr::{
    confirmed_across_pages, contradicted_across_pages, extract, grave_zones, headers::ColumnRole, id_across_pages,
    repeats, spread::read_tables, EngineConfig, PageContext, ReadMode, REVIEW_THRESHOLD,
};
use ledgerline_scans::decode::guarded;
use ledgerline_scans::open_files::OpenFiles;
use ledgerline_schemas::{manifest::Years, Record, RecordType, ReviewStatus, Severity};
use ledgerline_store::pages::{self, PageToRead, Shard, StoredCell, Unread};
use ledgerline_store::records::{read_records_with_pages, replace_records, RecordFilter};
use ledgerline_store::Workspace;
use rayon::prelude::*;
use serde::Serialize;

use super::progress::Progress;
use super::WorkspaceArg;

#[derive(clap::Args, Clone)]
pub struct OcrOptions {
    /// Worker threads, one Tesseract engine each (default: all cores)
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
    /// Tesseract model folder for every read (default: TESSDATA_PREFIX or the system's,
    /// plus the fuller chi_sim model from scripts/fetch-models.sh where it reads better)
    #[arg(long)]
    pub tessdata: Option<PathBuf>,
    /// Read only shard I of N (1-based): a deterministic share of the pages, for N
    /// machines under a scheduler; combine results with `ledgerline merge`
    #[arg(long, value_parser = Shard::parse)]
    pub shard: Option<Shard>,
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub ws: WorkspaceArg,
    /// Only this batch (default: every batch with unread pages)
    #[arg(long)]
    pub batch: Option<String>,
    /// Read pages again even if already read: what the machine made of them is replaced;
    /// records a person verified, corrected, keyed or rejected are kept as they are
    #[arg(long)]
    pub again: bool,
    #[command(flatten)]
    pub ocr: OcrOptions,
    /// Print a JSON summary on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct OcrSummary {
    pub pages: usize,
    pub rows: usize,
    pub records: usize,
    pub records_needing_review: usize,
    pub fields_needing_review: usize,
    /// Pages to key by hand: no table read on them, or rows of it not found (its rows
    /// read are counted in `rows` and `records` too).
    pub pages_needing_keying: usize,
    pub quarantined_pages: usize,
    /// Records whose cemetery or place of death, written once in the batch, was taken as
    /// the word one character off that the batch's other pages write more often.
    pub words_settled_across_pages: usize,
    /// Records in review whose ID number, failing its checksum with no one repair on its
    /// row, was taken as the repair another page of the batch reads for the same name.
    pub ids_repaired_across_pages: usize,
    /// Fields read unsure (names, addresses, dates …) that the row with the same ID
    /// number on another page of the batch reads the same: made sure (their records leave
    /// review when nothing else keeps them there).
    pub fields_confirmed_across_pages: usize,
    /// Names and dates of death read sure that the row with the same ID number on
    /// another page of the batch reads otherwise, sure: both rows sent to review.
    pub fields_contradicted_across_pages: usize,
    /// Records sent to review for a grave number in a zone no other grave number of the
    /// batch is in.
    pub grave_zones_doubted: usize,
    pub seconds: f64,
    pub pages_per_second: f64,
}

/// The first and last year of a batch's `years` as stored; `None` when it names none (a
/// folder without a manifest).
fn volume_years(stored: &str) -> Option<(i32, i32)> {
    let (first, last) = Years::from_stored(stored).span().ok()?;
    Some((first.into(), last.into()))
}

fn context(p: &PageToRead, config: &EngineConfig) -> PageContext {
    PageContext {
        batch_id: p.batch_id.clone(),
        page_id: p.page_id.clone(),
        page_file: p.file_name.clone(),
        record_type: match p.ledger_type.as_deref() {
            Some("cremation") => Some(RecordType::Cremation),
            Some("burial") => Some(RecordType::Burial),
            _ => None,
        },
        agency_name: Some(p.agency_name.clone()),
        years: volume_years(&p.years),
        rows_before: 0,
        address_characters: config.first_model_characters(ReadMode::ChineseLine),
    }
}

/// Each table's count of the page's rows before it: a spread's right-hand table numbers
/// its rows on after the left-hand one's.
fn rows_before_each(tables: &[ledgerline_ocr::PageReading]) -> Vec<usize> {
    tables
        .iter()
        .scan(0, |rows, table| {
            let before = *rows;
            *rows += table.grid.body_rows();
            Some(before)
        })
        .collect()
}

/// What the run says of a page read resized (see `ledgerline_ocr::PageReading::scale`).
fn resized(scale: f32) -> Option<String> {
    if scale > 1.0 {
        Some(format!("low-resolution scan; read enlarged {scale:.1} times"))
    } else if scale < 1.0 {
        Some(format!("high-resolution scan; read reduced to {scale:.2} of its size"))
    } else {
        None
    }
}

/// What reading one page produced, before it is stored.
enum Outcome {
    Read {
        /// Quarter turns clockwise the scan was read turned by (0: upright).
        quarter_turns: u8,
        /// Times the scan was resized to be read (1: as scanned).
        scale: f32,
        /// A two-page spread: two tables read.
        spread: bool,
        /// Photographed at a slant: a table read squared.
        squared: bool,
        /// A small form on a larger scan: its table read cut from it.
        within_scan: bool,
        /// A table's rules run on past the columns found (its records go to review).
        columns_missed: bool,
        /// The table goes on below the rows read: why the page goes to keying for the
        /// rows after them (see [`ledgerline_ocr::PageReading::rest_to_key`]).
        rest_to_key: Option<String>,
        rows: usize,
        records: Vec<ledgerline_schemas::Record>,
        cells: Vec<StoredCell>,
    },
    Unread(Unread, String),
}

/// What storing a page's outcome writes.
enum ToStore {
    Read {
        quarter_turns: u8,
        cells: Vec<StoredCell>,
        records: Vec<Record>,
        rest_to_key: Option<String>,
    },
    Unread(Unread, String),
}

/// Pages read and not yet stored, stored a few at a time in one transaction. Every unit
/// of work on the workspace opens and closes its database (measured on a 12-page batch:
/// 50 ms to open and 30 ms to close in this build, where DuckDB's C++ is unoptimized,
/// beside 50 ms of writing a page): stored one by one, that was a twentieth of the OCR
/// time. A killed run loses only the pages waiting here; the re-run reads them again.
///
/// Once every page has been started, a worker that finishes one has nothing else to do:
/// it stores at once, so that the run does not end on a long store after its last page.
struct StoreQueue<'a> {
    ws: &'a Workspace,
    /// Pages a transaction stores: at least four, and at least one per worker, so that
    /// many workers do not queue up for the workspace one page each.
    pages_at_once: usize,
    pages: usize,
    started: AtomicUsize,
    waiting: Mutex<Vec<(&'a PageToRead, ToStore)>>,
}

impl<'a> StoreQueue<'a> {
    fn new(ws: &'a Workspace, workers: usize, pages: usize) -> StoreQueue<'a> {
        StoreQueue {
            ws,
            pages_at_once: workers.max(4),
            pages,
            started: AtomicUsize::new(0),
            waiting: Mutex::new(Vec::new()),
        }
    }

    /// Notes that a worker starts reading a page.
    fn start(&self) {
        self.started.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds a page's outcome; stores the waiting pages once there are enough of them, or
    /// once no page is left to start.
    fn push(&self, page: &'a PageToRead, outcome: ToStore) -> Result<()> {
        let last_ones = self.started.load(Ordering::Relaxed) >= self.pages;
        let full = {
            let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
            waiting.push((page, outcome));
            (last_ones || waiting.len() >= self.pages_at_once).then(|| std::mem::take(&mut *waiting))
        };
        full.map_or(Ok(()), |pages| self.store(&pages))
    }

    /// Stores whatever is waiting.
    fn flush(&self) -> Result<()> {
        let pages = std::mem::take(&mut *self.waiting.lock().unwrap_or_else(|e| e.into_inner()));
        self.store(&pages)
    }

    fn store(&self, pages: &[(&PageToRead, ToStore)]) -> Result<()> {
        if pages.is_empty() {
            return Ok(());
        }
        self.ws.transaction(|c| {
            for (p, outcome) in pages {
                match outcome {
                    ToStore::Read {
                        quarter_turns,
                        cells,
                        records,
                        rest_to_key,
                    } => pages::save_reading(
                        c,
                        &p.page_id,
                        &pages::Reading {
                            quarter_turns: *quarter_turns,
                            cells,
                            records,
                            rest_to_key: rest_to_key.as_deref(),
                        },
                    )?,
                    ToStore::Unread(what, reason) => pages::mark_unread(c, &p.page_id, *what, reason)?,
                }
            }
            Ok(())
        })
    }
}

fn read_one(p: &PageToRead, config: &EngineConfig, files: &OpenFiles) -> Result<Outcome> {
    let image = match files.decode_frame(Path::new(&p.path), p.frame) {
        Ok(image) => image,
        Err(e) => return Ok(Outcome::Unread(Unread::Quarantined, format!("{}: {e}", p.path))),
    };
    // A bug the reading meets (a panic) costs this page, not the batch: the page is
    // quarantined with the panic's message and the other workers go on. Tesseract's
    // engines are left as they were: a panic unwinds only Rust code.
    let read = guarded(|| -> Result<_> {
        let tables = read_tables(&image, config, p.dpi).with_context(|| format!("reading {}", p.path))?;
        Ok(tables.map(|tables| {
            let offsets = rows_before_each(&tables);
            let records = tables
                .iter()
                .zip(&offsets)
                .flat_map(|(table, &rows_before)| {
                    extract(
                        table,
                        &PageContext {
                            rows_before,
                            ..context(p, config)
                        },
                    )
                })
                .collect();
            (tables, offsets, records)
        }))
    });
    let (tables, offsets, records) = match read {
        Ok(read) => match read? {
            Ok(read) => read,
            Err(problem) => return Ok(Outcome::Unread(Unread::NeedsKeying, problem.to_string())),
        },
        Err(bug) => {
            return Ok(Outcome::Unread(
                Unread::Quarantined,
                format!(
                    "{}: ledgerline failed on this page ({bug}); the batch went on without it",
                    p.path
                ),
            ))
        }
    };
    let mut cells = Vec::new();
    for (i, (table, &rows_before)) in tables.iter().zip(&offsets).enumerate() {
        // One header row is kept per page: a later table's would take the same cells.
        let kept = table.cells.iter().filter(|c| i == 0 || c.row > 0);
        cells.extend(kept.map(|c| StoredCell {
            row: (c.row + if c.row > 0 { rows_before } else { 0 }) as u32,
            col: c.col as u32,
            x: c.bbox.x,
            y: c.bbox.y,
            w: c.bbox.w,
            h: c.bbox.h,
            field: match table.roles.get(c.col) {
                Some(ColumnRole::Field(f)) => Some(f.name().to_string()),
                Some(ColumnRole::Serial) => Some("serial".into()),
                _ => None,
            },
            text: c.text.clone(),
            confidence: c.confidence,
        }));
    }
    let first = &tables[0];
    Ok(Outcome::Read {
        quarter_turns: first.quarter_turns,
        scale: first.scale,
        spread: tables.len() > 1,
        squared: tables.iter().any(|t| t.squared),
        within_scan: tables.iter().any(|t| t.within_scan),
        columns_missed: tables.iter().any(|t| t.columns_missed),
        // Only a scan of one table is read short of rows (see `read_tables`).
        rest_to_key: first.rest_to_key(),
        rows: tables.iter().map(|t| t.grid.body_rows()).sum(),
        records,
        cells,
    })
}

/// Reads the pages and stores them a few at a time as they are read (see [`StoreQueue`]),
/// so a killed run keeps every page stored and a re-run does the rest.
pub fn ocr_pages(
    ws: &Workspace,
    batches: Option<&[&str]>,
    again: bool,
    opts: &OcrOptions,
    quiet: bool,
) -> Result<OcrSummary> {
    let start = Instant::now();
    // Several batches' pages read by one pool: no core idles at a batch's last page.
    let mut todo = ws.with_store(|c| match batches {
        None => pages::pages_to_read(c, None, again),
        Some(batches) => batches.iter().try_fold(Vec::new(), |mut all, b| {
            all.extend(pages::pages_to_read(c, Some(b), again)?);
            Ok(all)
        }),
    })?;
    if let Some(shard) = opts.shard {
        todo.retain(|p| shard.contains(&p.page_id));
    }
    let config = EngineConfig::discover(opts.tessdata.clone());
    let jobs = opts
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let progress = Progress::new("ocr", "pages", todo.len() as u64, quiet);
    let (rows, records, review, fields_review, keying, quarantined) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let store = StoreQueue::new(ws, jobs, todo.len());
    // A volume each worker reads, and one a worker may move on to beside them.
    let files = OpenFiles::new(jobs + 1);
    let read = pool.install(|| {
        todo.par_iter().try_for_each(|p| -> Result<()> {
            store.start();
            match read_one(p, &config, &files)? {
                Outcome::Read {
                    quarter_turns,
                    scale,
                    spread,
                    squared,
                    within_scan,
                    columns_missed,
                    rest_to_key,
                    rows: n,
                    records: recs,
                    cells,
                } => {
                    let turned = match quarter_turns {
                        1 => Some("scanned sideways; read turned a quarter round clockwise"),
                        2 => Some("scanned upside down; read turned half round"),
                        3 => Some("scanned sideways; read turned a quarter round counter-clockwise"),
                        _ => None,
                    };
                    if let Some(how) = turned.filter(|_| !quiet) {
                        eprintln!("{}: {how}", p.file_name);
                    }
                    if let Some(how) = resized(scale).filter(|_| !quiet) {
                        eprintln!("{}: {how}", p.file_name);
                    }
                    if squared && !quiet {
                        eprintln!("{}: photographed at a slant; read squared", p.file_name);
                    }
                    if within_scan && !quiet {
                        eprintln!("{}: a small form on a larger scan; read where its table lies", p.file_name);
                    }
                    if columns_missed && !quiet {
                        eprintln!(
                            "{}: the table's rules run on past the columns found; its records go to review",
                            p.file_name
                        );
                    }
                    if let Some(rest) = &rest_to_key {
                        keying.fetch_add(1, Ordering::Relaxed);
                        if !quiet {
                            eprintln!("{}: {rest}", p.file_name);
                        }
                    }
                    if spread && !quiet {
                        eprintln!(
                            "{}: two pages in one scan; read both tables, the right-hand rows numbered after the left-hand ones",
                            p.file_name
                        );
                    }
                    rows.fetch_add(n, Ordering::Relaxed);
                    records.fetch_add(recs.len(), Ordering::Relaxed);
                    for r in &recs {
                        let (in_review, fields) = to_review(r);
                        review.fetch_add(in_review as usize, Ordering::Relaxed);
                        fields_review.fetch_add(fields, Ordering::Relaxed);
                    }
                    let read = ToStore::Read {
                        quarter_turns,
                        cells,
                        records: recs,
                        rest_to_key,
                    };
                    store.push(p, read)?;
                }
                Outcome::Unread(what, reason) => {
                    match what {
                        Unread::NeedsKeying => keying.fetch_add(1, Ordering::Relaxed),
                        Unread::Quarantined => quarantined.fetch_add(1, Ordering::Relaxed),
                    };
                    if !quiet {
                        eprintln!("{}: {reason}", p.file_name);
                    }
                    store.push(p, ToStore::Unread(what, reason))?;
                }
            }
            progress.inc();
            Ok(())
        })
    });
    // Each worker's Tesseract engines end here, while the process is whole (see
    // `end_thread_engines`).
    pool.broadcast(|_| ledgerline_ocr::engine::end_thread_engines());
    // What was read before a failure is kept too.
    let stored = store.flush();
    read?;
    stored?;
    progress.finish();
    let mut settled = Settled::default();
    let read_now =
        |by_page: &BTreeMap<String, isize>| -> isize { todo.iter().filter_map(|p| by_page.get(&p.page_id)).sum() };
    // A shard sees part of its batch: `merge` settles the batch over all of it instead,
    // so that the merged records are those one run over the whole batch makes.
    if opts.shard.is_none() {
        let mut settle: std::collections::BTreeSet<&str> = todo.iter().map(|p| p.batch_id.as_str()).collect();
        settle.extend(batches.into_iter().flatten().copied());
        for b in settle {
            settled += settle_batch(ws, Some(b))?;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(OcrSummary {
        pages: todo.len(),
        rows: rows.into_inner(),
        records: records.into_inner(),
        // What settling the batches took out of review or sent to it, on the pages read
        // now (a resumed run settles the pages read before too), counts as it stands.
        records_needing_review: review
            .into_inner()
            .saturating_add_signed(read_now(&settled.records_into_review)),
        fields_needing_review: fields_review
            .into_inner()
            .saturating_add_signed(read_now(&settled.fields_into_review)),
        pages_needing_keying: keying.into_inner(),
        quarantined_pages: quarantined.into_inner(),
        words_settled_across_pages: settled.words,
        ids_repaired_across_pages: settled.ids,
        fields_confirmed_across_pages: settled.confirmed,
        fields_contradicted_across_pages: settled.contradicted,
        grave_zones_doubted: settled.zones,
        seconds,
        pages_per_second: if seconds > 0.0 {
            todo.len() as f64 / seconds
        } else {
            0.0
        },
    })
}

/// Whether a record is in review, and how many of its fields are to review: those below
/// the threshold, or, if more, the validation errors.
fn to_review(r: &Record) -> (bool, usize) {
    let low = r.confidence.values().filter(|&&c| c < REVIEW_THRESHOLD).count();
    let invalid = r
        .review
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    (r.review.status == ReviewStatus::NeedsReview, low.max(invalid))
}

/// What settling a batch over all its pages changed: records by each rule.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Settled {
    /// A word written once taken as the one its batch's other pages write
    /// ([`repeats::settle_across_pages`]).
    pub words: usize,
    /// An ID number taken as the repair another page reads for the same name
    /// ([`id_across_pages::settle_ids_across_pages`]).
    pub ids: usize,
    /// Fields confirmed by the row with the same ID number on another page
    /// ([`confirmed_across_pages::confirm_across_pages`]).
    pub confirmed: usize,
    /// Fields read sure that the row with the same ID number on another page reads
    /// otherwise ([`contradicted_across_pages::contradict_across_pages`]).
    pub contradicted: usize,
    /// Grave numbers in a zone the batch's other grave numbers are not in
    /// ([`grave_zones::doubt_lone_zones`]).
    pub zones: usize,
    /// By page id, how many more records, and fields, are to review than before (fewer
    /// when negative).
    pub records_into_review: BTreeMap<String, isize>,
    pub fields_into_review: BTreeMap<String, isize>,
}

impl std::ops::AddAssign for Settled {
    fn add_assign(&mut self, o: Settled) {
        self.words += o.words;
        self.ids += o.ids;
        self.confirmed += o.confirmed;
        self.contradicted += o.contradicted;
        self.zones += o.zones;
        for (mine, theirs) in [
            (&mut self.records_into_review, o.records_into_review),
            (&mut self.fields_into_review, o.fields_into_review),
        ] {
            for (page, n) in theirs {
                *mine.entry(page).or_default() += n;
            }
        }
    }
}

impl Settled {
    /// One line per rule that changed records, for the terminal.
    pub fn lines(&self) -> Vec<String> {
        let rules = [
            (self.words, "records: a cemetery or place of death written once in its batch taken as the word one character off that the batch's other pages write (finding batch_word)"),
            (self.ids, "records: an ID number failing its checksum taken as the one repair of it that another page of the batch reads for the same name, for review (finding id_from_batch)"),
            (self.confirmed, "fields read unsure confirmed by the row with the same ID number on another page of the batch (finding confirmed_across_pages)"),
            (self.contradicted, "names or dates of death read sure but read otherwise by the row with the same ID number on another page of the batch, both rows to review (finding contradicted_across_pages)"),
            (self.zones, "grave numbers in a zone no other grave number of the batch is in, to review (finding lone_grave_zone)"),
        ];
        rules
            .into_iter()
            .filter(|&(n, _)| n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect()
    }
}

/// Settles what needs a batch's pages together, once they are read: by `ocr`, and by
/// `merge` over the shards' pages. One transaction.
pub fn settle_batch(ws: &Workspace, batch: Option<&str>) -> Result<Settled> {
    ws.transaction(|c| {
        let mut rows = read_records_with_pages(c, &RecordFilter::batch(batch.map(str::to_string)))?;
        let before: Vec<(bool, usize)> = rows.iter().map(|(_, r)| to_review(r)).collect();
        let (words, ids, confirmed, contradicted, zones) = {
            let mut records: Vec<&mut Record> = rows.iter_mut().map(|(_, r)| r).collect();
            let words = repeats::settle_across_pages(&mut records);
            // IDs first: a number taken from another page confirms nothing on its row.
            let ids = id_across_pages::settle_ids_across_pages(&mut records);
            let confirmed = confirmed_across_pages::confirm_across_pages(&mut records);
            let contradicted = contradicted_across_pages::contradict_across_pages(&mut records);
            (
                words,
                ids,
                confirmed,
                contradicted,
                grave_zones::doubt_lone_zones(&mut records),
            )
        };
        let mut changed: Vec<usize> = [&words, &ids, &confirmed.records, &contradicted.records, &zones]
            .into_iter()
            .flatten()
            .copied()
            .collect();
        changed.sort_unstable();
        changed.dedup();
        let mut settled = Settled {
            words: words.len(),
            ids: ids.len(),
            confirmed: confirmed.fields,
            contradicted: contradicted.fields,
            zones: zones.len(),
            ..Settled::default()
        };
        for &i in &changed {
            let ((was_in_review, fields_before), (in_review, fields)) = (before[i], to_review(&rows[i].1));
            let page = &rows[i].0;
            *settled.records_into_review.entry(page.clone()).or_default() +=
                in_review as isize - was_in_review as isize;
            *settled.fields_into_review.entry(page.clone()).or_default() += fields as isize - fields_before as isize;
        }
        let changed_rows: Vec<(String, Record)> = changed.iter().map(|&i| rows[i].clone()).collect();
        replace_records(c, &changed_rows)?;
        Ok(settled)
    })
}

pub fn print_summary(s: &OcrSummary) {
    println!(
        "read {} pages in {:.1}s ({:.2} pages/s): {} records, {} need review ({} fields); {} pages need keying, {} quarantined",
        s.pages, s.seconds, s.pages_per_second, s.records, s.records_needing_review, s.fields_needing_review, s.pages_needing_keying, s.quarantined_pages
    );
    let settled = Settled {
        words: s.words_settled_across_pages,
        ids: s.ids_repaired_across_pages,
        confirmed: s.fields_confirmed_across_pages,
        contradicted: s.fields_contradicted_across_pages,
        zones: s.grave_zones_doubted,
        ..Settled::default()
    };
    for line in settled.lines() {
        println!("{line}");
    }
}

pub fn run(a: Args) -> Result<ExitCode> {
    let ws = a.ws.open_existing()?;
    if let Some(batch) = &a.batch {
        ws.require_batch(batch)?;
    }
    let batch = a.batch.as_deref();
    let summary = ocr_pages(&ws, batch.as_ref().map(std::slice::from_ref), a.again, &a.ocr, a.json)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_volume_s_years_as_stored() {
        assert_eq!(volume_years("2012-2014"), Some((2012, 2014)));
        assert_eq!(volume_years("2013"), Some((2013, 2013)));
        assert_eq!(volume_years("2013,2012"), Some((2012, 2013)));
        assert_eq!(volume_years(""), None);
    }
}
