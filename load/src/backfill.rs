//! Loading a verified batch into a basic database as `paper_backfill`, beside the live
//! data: one transaction per batch, each record matched against the persons the database
//! already holds (with the linkage model), a match linked instead of inserted, a
//! differing value noted as a conflict instead of overwritten, and a report in the
//! province's terms. A load's id is a function of the batch and its content, so loading
//! the same batch again changes nothing; `unload` removes exactly what a load inserted.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{bail, Result};
use ledgerline_dedupe::{link, Constraints, Prepared, Scope, Settings};
use ledgerline_schemas::validate::{is_acceptable, validate};
use ledgerline_schemas::{Field, Record};
use rayon::prelude::*;
// Fx: the maps here hold a million persons and records each, keyed by our own ids.
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use std::sync::{mpsc, Arc};

use crate::{chunk_position, Database, DbPerson, HeldPerson, PersonsRead, UtcTime};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rejected {
    pub record_id: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conflict {
    pub person_id: String,
    pub field: String,
    pub database_value: String,
    pub incoming_value: String,
    pub record_id: String,
}

/// A cremation certificate the ledger marks 作废 or 补发, held by the database for the
/// person the record was linked to under another status (`issued`, or none): the
/// database's row is not changed (a load never writes over a held value).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateHeldOtherwise {
    pub record_id: String,
    pub person_id: String,
    pub cert_no: String,
    pub database_status: Option<String>,
    pub ledger_status: String,
}

/// Non-conforming records by agency and year, as provinces count them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgencyYear {
    pub agency: String,
    pub year: String,
    pub rejected: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadReport {
    pub load_id: String,
    pub batch_id: String,
    pub dry_run: bool,
    /// The same content was loaded before: nothing changed.
    pub already_loaded: bool,
    pub records: usize,
    /// New persons inserted.
    pub inserted: usize,
    /// Records that matched a person the database holds and were linked to it.
    pub linked: usize,
    /// Events (cremations, burials) the database already held for a linked person.
    pub events_already_held: usize,
    /// Events another record of the batch had already given its person (the same
    /// cremation certificate, the same grave, in a second volume): written once. (Absent
    /// from the reports of loads made before it was counted.)
    #[serde(default)]
    pub events_repeated: usize,
    /// Certificates a ledger says were voided or reissued, whose numbers the database
    /// holds for the person linked with another status: not changed, for the DBA. (Absent
    /// from the reports of loads made before they were named.)
    #[serde(default)]
    pub certificates_held_otherwise: Vec<CertificateHeldOtherwise>,
    pub conflicts: Vec<Conflict>,
    pub rejected: Vec<Rejected>,
    pub rejected_by_agency_year: Vec<AgencyYear>,
    pub seconds: f64,
    /// Where the time went.
    #[serde(default)]
    pub timings: Timings,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Timings {
    /// Hashing and validating the batch, while the persons held are read beside it.
    pub validate_seconds: f64,
    pub read_database_seconds: f64,
    pub match_seconds: f64,
    pub write_seconds: f64,
    pub commit_seconds: f64,
}

/// The load's id: the batch and the exact content loaded. Each record is hashed on its
/// own (spread over the cores), then the digests in record-id order.
pub fn load_id(batch: &str, records: &[Record]) -> String {
    let mut digests: Vec<(&str, [u8; 32])> = records
        .par_iter()
        .map_init(Vec::new, |content, r| {
            (r.record_id.as_str(), content_digest(r, content))
        })
        .collect();
    digests.par_sort_unstable();
    let mut h = Sha256::new();
    h.update(batch.as_bytes());
    for (_, digest) in digests {
        h.update(digest);
    }
    format!("L{}", &hex::encode(h.finalize())[..16])
}

/// A record's id, type and fields, hashed straight from their text: each set field as its
/// number and its text, each text ended by 0xFF, which UTF-8 never holds, so no two
/// contents hash the same input. (Serializing each record to JSON first took three
/// quarters of the time of a million-record load's validation phase.) The input is put
/// together in `content` first and hashed in one go: fed to the hasher piece by piece, a
/// few bytes at a time, the same input took three times as long.
fn content_digest(r: &Record, content: &mut Vec<u8>) -> [u8; 32] {
    content.clear();
    content.extend_from_slice(r.record_id.as_bytes());
    content.push(0xFF);
    content.extend_from_slice(r.record_type.as_str().as_bytes());
    content.push(0xFF);
    for &field in Field::ALL {
        if let Some(text) = r.fields.text(field) {
            content.push(field as u8);
            content.extend_from_slice(text.as_bytes());
            content.push(0xFF);
        }
    }
    Sha256::digest(&content[..]).into()
}

/// Why a record cannot go into the database, if it cannot.
fn rejection(r: &Record) -> Option<String> {
    if r.fields.deceased_name.is_none() {
        return Some("no name (逝者姓名缺失)".into());
    }
    if r.fields.death_date.is_none() && r.fields.cremation_date.is_none() && r.fields.burial_date.is_none() {
        return Some("no death, cremation or burial date (死亡/火化/安葬日期缺失)".into());
    }
    let findings = validate(r);
    if !is_acceptable(&findings) {
        let first = findings
            .iter()
            .find(|f| f.severity == ledgerline_schemas::validate::Severity::Error);
        return Some(first.map_or("fails validation".into(), |f| format!("{} ({})", f.message, f.code)));
    }
    None
}

/// For each record, the database person it is, if the linkage model links it to one.
///
/// Which records of the batch are one person is not decided again here: the workspace's
/// dedupe decided it (with the reviewers' pair decisions), and its person id ties them
/// together, so only pairs across the batch and the database are compared. A record one
/// of whose group links to a database person is that person too.
pub fn match_to_database(records: &[&Record], database: &[DbPerson]) -> Vec<Option<String>> {
    let mut batch = BatchSide::new(records, database.len());
    batch.finish(records);
    let database_prepared: Vec<Prepared> = database.par_iter().map(|p| Prepared::new(&p.fields)).collect();
    match_prepared(records, batch, database_prepared.into_iter())
        .into_iter()
        .map(|m| m.map(|k| database[k as usize].person_id.clone()))
        .collect()
}

/// The batch's side of matching: each record in the form linkage compares, and which
/// records the workspace made one person. It needs no database, so a load makes what it
/// can of it while the persons held are being read.
struct BatchSide {
    prepared: Vec<Prepared>,
    same: Vec<(u32, u32)>,
}

impl BatchSide {
    /// Which records are one person; none prepared yet, room for them and the `held`
    /// persons they will be matched with.
    fn new(records: &[&Record], held: usize) -> BatchSide {
        let mut first_of_person: HashMap<&str, u32> = HashMap::default();
        let same = records
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let first = *first_of_person.entry(r.person_id.as_deref()?).or_insert(i as u32);
                (first != i as u32).then_some((first, i as u32))
            })
            .collect();
        BatchSide {
            prepared: Vec::with_capacity(records.len() + held),
            same,
        }
    }

    /// Prepares records on this thread, in order, a chunk at a time, while `go_on` says so.
    fn prepare_while(&mut self, records: &[&Record], go_on: impl Fn() -> bool) {
        for chunk in records[self.prepared.len()..].chunks(4096) {
            if !go_on() {
                return;
            }
            self.prepared.extend(chunk.iter().map(|r| Prepared::new(&r.fields)));
        }
    }

    /// Prepares the records not prepared yet, over all cores.
    fn finish(&mut self, records: &[&Record]) {
        let rest = &records[self.prepared.len()..];
        self.prepared
            .par_extend(rest.par_iter().map(|r| Prepared::new(&r.fields)));
    }
}

/// Prepares the chunks of persons handed over, in order, while `go_on` says so: the
/// first chunks of the persons held, prepared.
fn prepare_handed_over(chunks: &mpsc::Receiver<Arc<Vec<HeldPerson>>>, go_on: impl Fn() -> bool) -> Vec<Vec<Prepared>> {
    let mut prepared = Vec::new();
    while go_on() {
        match chunks.recv_timeout(std::time::Duration::from_millis(5)) {
            Ok(chunk) => prepared.push(prepare_chunk(&chunk)),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    prepared
}

/// A chunk of the persons held, each in the form linkage compares.
fn prepare_chunk(chunk: &[HeldPerson]) -> Vec<Prepared> {
    chunk.iter().map(|p| Prepared::of(p.linkage())).collect()
}

/// Matches the batch's records (`batch`, prepared) with the persons `held` (prepared,
/// in the order ties are decided in); each record's person as its position in `held`.
fn match_prepared(
    records: &[&Record],
    batch: BatchSide,
    held: impl ExactSizeIterator<Item = Prepared>,
) -> Vec<Option<u32>> {
    let (n, m) = (records.len(), held.len());
    if n == 0 || m == 0 {
        return vec![None; n];
    }
    let BatchSide { mut prepared, same } = batch;
    assert_eq!(prepared.len(), n, "every record of the batch prepared");
    prepared.extend(held);
    let constraints = Constraints {
        same,
        anchor: (0..n + m).map(|i| i.checked_sub(n).map(|k| k as u32)).collect(),
        ..Constraints::default()
    };
    let ours: Vec<bool> = (0..n + m).map(|i| i < n).collect();
    let linkage = link(&prepared, &Settings::default(), Scope::Across(&ours), &constraints);
    drop_beside((prepared, constraints, ours));
    let mut person_of_cluster: HashMap<u32, u32> = HashMap::default();
    for j in 0..m {
        person_of_cluster.insert(linkage.cluster_of[n + j], j as u32);
    }
    let matched = (0..n)
        .map(|i| person_of_cluster.get(&linkage.cluster_of[i]).copied())
        .collect();
    drop_beside((linkage, person_of_cluster));
    matched
}

/// Frees `value` on a thread of its own. What matching leaves (1.85 million prepared
/// records of a million-record load, their strings, the links) took 0.15 s to free on
/// the thread that goes on to build the first table's rows, while the other core had
/// nothing to do until that table was staged; the persons held were freed before the
/// commit, which keeps one core busy.
fn drop_beside<T: Send + 'static>(value: T) {
    // Should no thread be had, the closure and the value in it are freed here instead.
    let _ = std::thread::Builder::new()
        .name("ledgerline-free".into())
        .spawn(move || drop(value));
}

/// The persons held, prepared (`chunks` as [`PersonsRead::chunks`] has them), taken out
/// in `order`.
fn in_order(mut chunks: Vec<Vec<Prepared>>, order: &[u32]) -> impl ExactSizeIterator<Item = Prepared> + '_ {
    order.iter().map(move |&i| {
        let (chunk, row) = chunk_position(i as usize);
        std::mem::take(&mut chunks[chunk][row])
    })
}

fn year_of(r: &Record) -> String {
    let f = &r.fields;
    f.cremation_date
        .as_deref()
        .or(f.burial_date.as_deref())
        .or(f.death_date.as_deref())
        .and_then(|d| d.get(..4))
        .unwrap_or("unknown")
        .to_string()
}

/// A batch split by validation: the records that may load, and the report's account of
/// those that may not.
struct Checked<'a> {
    good: Vec<&'a Record>,
    rejected: Vec<Rejected>,
    by_agency_year: Vec<AgencyYear>,
}

/// Validates every record (spread over the cores: no database in it).
fn check(records: &[Record]) -> Checked<'_> {
    let rejections: Vec<Option<String>> = records.par_iter().map(rejection).collect();
    let mut good = Vec::with_capacity(records.len());
    let mut rejected = Vec::new();
    let mut by_agency_year: BTreeMap<(String, String), u64> = BTreeMap::new();
    for (r, rejection) in records.iter().zip(rejections) {
        match rejection {
            Some(reason) => {
                let agency = r.fields.agency_name.clone().unwrap_or_else(|| "unknown".into());
                *by_agency_year.entry((agency, year_of(r))).or_default() += 1;
                rejected.push(Rejected {
                    record_id: r.record_id.clone(),
                    reason,
                });
            }
            None => good.push(r),
        }
    }
    Checked {
        good,
        rejected,
        by_agency_year: by_agency_year
            .into_iter()
            .map(|((agency, year), rejected)| AgencyYear { agency, year, rejected })
            .collect(),
    }
}

/// About how many persons the database holds, to make room for them before they are
/// read: DuckDB counts them from its metadata; PostgreSQL's count would be a scan of the
/// table, so its planner's estimate is taken (none if the table was never analysed).
fn persons_held(db: &mut Database) -> Result<usize> {
    let sql = if db.duckdb().is_some() {
        "SELECT CAST(count(*) AS VARCHAR) FROM deceased"
    } else {
        "SELECT CAST(GREATEST(reltuples, 0)::bigint AS VARCHAR) FROM pg_class WHERE oid = 'deceased'::regclass"
    };
    let count = db.text(sql, &[])?;
    Ok(count.as_deref().unwrap_or("0").parse()?)
}

/// Runs `work` on all cores but one, which is left to a thread working beside it.
///
/// Reading the persons held is one thread's work (the engine produces the rows on the
/// calling thread), and it ran at half speed while validation's threads took turns with
/// it on every core.
fn beside_one_thread<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    let threads = rayon::current_num_threads().saturating_sub(1).max(1);
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(work),
        // No thread to spare: the work still gets done, only not beside.
        Err(_) => work(),
    }
}

/// How far a load is, for whoever watches a long one: a million records matched with a
/// million persons held take ten seconds or so, most of it before anything is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadStep {
    /// The persons the database holds are read and the batch's records checked.
    Read { persons: usize, records: usize },
    /// The records are matched with the persons held.
    Matched,
    /// The rows are written (a commit follows, unless it is a dry run).
    Written,
}

impl std::fmt::Display for LoadStep {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            LoadStep::Read { persons, records } => {
                write!(f, "{persons} persons held read, {records} records checked")
            }
            LoadStep::Matched => f.write_str("records matched with the persons held"),
            LoadStep::Written => f.write_str("rows written"),
        }
    }
}

/// Loads `records` of `batch` in one transaction (or only reports, with `dry_run`), telling
/// `step` of each [`LoadStep`] done.
pub fn load_batch(
    db: &mut Database,
    batch: &str,
    records: &[Record],
    dry_run: bool,
    step: &dyn Fn(LoadStep),
) -> Result<LoadReport> {
    let start = Instant::now();
    // Everything from the check for an earlier identical load to the last row happens in
    // one transaction that no other writer runs beside. The persons held are read in it
    // (mostly the database's work) while this process hashes and validates the batch.
    let at = db.begin_exclusive()?;
    let held_count = match persons_held(db) {
        Ok(n) => n,
        Err(e) => {
            db.rollback();
            return Err(e);
        }
    };
    let read_done = AtomicBool::new(false);
    let (handed_over, taken) = mpsc::channel();
    let (persons, id, (checked, batch_side, database_prepared)) = std::thread::scope(|s| {
        let reading = s.spawn(|| {
            let t = Instant::now();
            // The thread beside may have stopped taking chunks: they are kept here anyway.
            let hand_over = move |chunk: &Arc<Vec<HeldPerson>>| drop(handed_over.send(Arc::clone(chunk)));
            let persons = PersonsRead::read(db, hand_over).map(|p| (p, t.elapsed().as_secs_f64()));
            read_done.store(true, Ordering::Release);
            persons
        });
        let (id, checked, validated, batch_side, database_prepared) = beside_one_thread(|| {
            let id = load_id(batch, records);
            let checked = check(records);
            let validated = start.elapsed().as_secs_f64();
            // As much of matching's share as the reading leaves time for: the batch's
            // records, then the persons already read.
            let reading = || !read_done.load(Ordering::Acquire);
            let mut batch_side = BatchSide::new(&checked.good, held_count);
            batch_side.prepare_while(&checked.good, reading);
            let database_prepared = prepare_handed_over(&taken, reading);
            drop(taken);
            (id, checked, validated, batch_side, database_prepared)
        });
        let persons = reading.join().expect("reading the persons held does not panic");
        (persons, (id, validated), (checked, batch_side, database_prepared))
    });
    let ((persons, read_seconds), (id, validate_seconds)) = match persons.map(|p| (p, id)) {
        Ok(x) => x,
        Err(e) => {
            db.rollback();
            return Err(e);
        }
    };
    let mut report = LoadReport {
        load_id: id.clone(),
        batch_id: batch.to_string(),
        dry_run,
        already_loaded: false,
        records: records.len(),
        inserted: 0,
        linked: 0,
        events_already_held: 0,
        events_repeated: 0,
        certificates_held_otherwise: Vec::new(),
        conflicts: Vec::new(),
        rejected: checked.rejected,
        rejected_by_agency_year: checked.by_agency_year,
        seconds: 0.0,
        timings: Timings {
            validate_seconds,
            read_database_seconds: read_seconds,
            ..Timings::default()
        },
    };
    step(LoadStep::Read {
        persons: persons.len(),
        records: records.len(),
    });
    let database = (persons, database_prepared);
    match load_in_transaction(db, &checked.good, batch_side, database, &mut report, step, at) {
        Ok(true) if !dry_run => {
            let t = Instant::now();
            report.seconds = start.elapsed().as_secs_f64();
            let json = serde_json::to_string(&report)?;
            // The load's row is written once, with its report (updating the row written
            // at the start cost a million-record load 0.3-0.45 s): started when its rows
            // are stamped, finished now.
            let finished = db
                .clock()
                .and_then(|now| {
                    db.execute(
                        "INSERT INTO loads (load_id, batch_id, origin, started_at, finished_at, report)
                         VALUES ($1, $2, $3, CAST(CAST($4 AS VARCHAR) AS TIMESTAMP),
                                 CAST(CAST($5 AS VARCHAR) AS TIMESTAMP), $6)",
                        &[
                            &id,
                            batch,
                            crate::writing::ORIGIN,
                            &at.sql_text(),
                            &now.sql_text(),
                            &json,
                        ],
                    )
                })
                .and_then(|_| db.commit());
            if let Err(e) = finished {
                db.rollback();
                return Err(e);
            }
            report.timings.commit_seconds = t.elapsed().as_secs_f64();
        }
        Ok(_) => db.rollback(),
        Err(e) => {
            db.rollback();
            return Err(e);
        }
    }
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

/// The load's work inside its transaction; `false` when the same content was loaded
/// before (the report is then that load's, but for its time, which the caller sets).
fn load_in_transaction(
    db: &mut Database,
    good: &[&Record],
    mut batch_side: BatchSide,
    (persons, mut database_prepared): (PersonsRead, Vec<Vec<Prepared>>),
    report: &mut LoadReport,
    step: &dyn Fn(LoadStep),
    at: UtcTime,
) -> Result<bool> {
    if let Some(previous) = crate::history::report(db, &report.load_id)? {
        let dry_run = report.dry_run;
        *report = previous;
        report.already_loaded = true;
        report.dry_run = dry_run;
        return Ok(false);
    }
    let t = Instant::now();
    batch_side.finish(good);
    let rest = &persons.chunks()[database_prepared.len()..];
    database_prepared.par_extend(rest.par_iter().map(|chunk| prepare_chunk(chunk)));
    let order = persons.order_by_person_id();
    let matched: Vec<Option<u32>> = match_prepared(good, batch_side, in_order(database_prepared, &order))
        .into_iter()
        .map(|m| m.map(|rank| order[rank as usize]))
        .collect();
    report.timings.match_seconds = t.elapsed().as_secs_f64();
    step(LoadStep::Matched);
    let t = Instant::now();
    crate::writing::write(db, good, &matched, &persons, report, at)?;
    report.timings.write_seconds = t.elapsed().as_secs_f64();
    step(LoadStep::Written);
    // A million persons held, and their addresses, are freed beside the commit.
    drop_beside(persons);
    Ok(true)
}

#[derive(Debug, Clone, Serialize)]
pub struct Unloaded {
    pub load_id: String,
    pub deceased: u64,
    pub agents: u64,
    pub cremations: u64,
    pub burials: u64,
    pub conflicts: u64,
    /// Corrections of the persons it inserted: gone with them, so that a person the same
    /// content brings back is as the ledger gave it, here and where packages take it.
    pub corrections: u64,
    /// When the load was unloaded, for an unload run again (the first one killed once its
    /// work was committed): nothing was left to remove, and nothing was.
    pub unloaded_before: Option<crate::UtcTime>,
}

impl std::fmt::Display for Unloaded {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "{}: {} persons, {} cremations, {} burials, {} agents, {} conflicts, {} corrections removed",
            self.load_id, self.deceased, self.cremations, self.burials, self.agents, self.conflicts, self.corrections
        )
    }
}

/// Removes exactly the rows a load inserted, in one transaction; refused while rows of
/// another load, or of none, belong to persons it inserted (see [`refer_to_its_persons`]).
pub fn unload(db: &mut Database, load_id: &str) -> Result<Unloaded> {
    db.exclusively(|db, at| {
        if db
            .text("SELECT load_id FROM loads WHERE load_id = $1", &[load_id])?
            .is_none()
        {
            let unloaded = db.text(
                "SELECT CAST(max(unloaded_at) AS VARCHAR) FROM unloads WHERE load_id = $1",
                &[load_id],
            )?;
            let Some(at) = unloaded else {
                bail!("no load {load_id} in this database");
            };
            return Ok(Unloaded::nothing(
                load_id,
                Some(crate::UtcTime::read_sql_text(&at, "unloads")?),
            ));
        }
        let out = delete_rows_of(db, load_id)?;
        // Kept, for the exchange packages that carry it to where the rows went.
        db.execute(
            "INSERT INTO unloads (load_id, batch_id, unloaded_at)
             SELECT load_id, batch_id, CAST(CAST($2 AS VARCHAR) AS TIMESTAMP) FROM loads WHERE load_id = $1",
            &[load_id, &at.sql_text()],
        )?;
        db.execute("DELETE FROM loads WHERE load_id = $1", &[load_id])?;
        Ok(out)
    })
}

/// Deletes the rows load `load_id` inserted, in the caller's transaction; refused,
/// naming them, while rows of another load, or of none, belong to persons it inserted
/// (see [`refer_to_its_persons`]).
pub(crate) fn delete_rows_of(db: &mut Database, load_id: &str) -> Result<Unloaded> {
    let others = refer_to_its_persons(db, load_id)?;
    if !others.is_empty() {
        let named: Vec<String> = others
            .iter()
            .map(|later| {
                let n = later.rows;
                let rows = format!("{n} row{}", if n == 1 { "" } else { "s" });
                match (&later.load_id, &later.batch_id) {
                    (Some(l), Some(b)) => format!("load {l} (batch {b}): {rows}"),
                    (Some(l), None) => format!("load {l}: {rows}"),
                    (None, _) => format!("rows of no load (live or exchanged): {rows}"),
                }
            })
            .collect();
        let loads: Vec<&str> = others.iter().filter_map(|l| l.load_id.as_deref()).collect();
        let then = if loads.is_empty() {
            "rows of no load are not unloaded: they stay, and so must the persons".to_string()
        } else {
            format!("unload {} first", loads.join(", then "))
        };
        bail!(
            "load {load_id} cannot be unloaded alone: persons it inserted have rows added since \
             (a later load linked records to them): {}; {then}",
            named.join("; ")
        );
    }
    crate::links::leave_with_load(db, load_id)?;
    let corrections = db.execute(
        "DELETE FROM corrections WHERE person_id IN (SELECT person_id FROM deceased WHERE load_id = $1)",
        &[load_id],
    )?;
    let mut del = |table: &str| db.execute(&format!("DELETE FROM {table} WHERE load_id = $1"), &[load_id]);
    Ok(Unloaded {
        corrections,
        agents: del("agents")?,
        cremations: del("cremations")?,
        burials: del("burials")?,
        conflicts: del("conflicts")?,
        deceased: del("deceased")?,
        ..Unloaded::nothing(load_id, None)
    })
}

impl Unloaded {
    fn nothing(load_id: &str, unloaded_before: Option<crate::UtcTime>) -> Unloaded {
        Unloaded {
            load_id: load_id.to_string(),
            deceased: 0,
            agents: 0,
            cremations: 0,
            burials: 0,
            conflicts: 0,
            corrections: 0,
            unloaded_before,
        }
    }
}

/// Rows of one load, or of none, that belong to persons another load inserted.
struct LaterRows {
    /// `None` for rows of no load (live, or arrived in an exchange package).
    load_id: Option<String>,
    batch_id: Option<String>,
    rows: u64,
}

/// The loads (with their batches; `None` for rows of no load, live or exchanged) whose
/// agents, events or conflicts belong to persons `load_id` inserted, with their rows,
/// the latest first (the order to unload them in).
/// Unloading it would leave those rows pointing at no one: a person one load inserted is
/// a person held to the next, which links its records of them (a cremation ledger's
/// person in a burial ledger) instead of inserting them again.
fn refer_to_its_persons(db: &mut Database, load_id: &str) -> Result<Vec<LaterRows>> {
    let mut found = Vec::new();
    db.each_row(
        "SELECT t.load_id, max(l.batch_id), CAST(count(*) AS VARCHAR) FROM (
             SELECT person_id, load_id FROM agents
             UNION ALL SELECT person_id, load_id FROM cremations
             UNION ALL SELECT person_id, load_id FROM burials
             UNION ALL SELECT person_id, load_id FROM conflicts
         ) AS t LEFT JOIN loads AS l ON l.load_id = t.load_id
         WHERE t.person_id IN (SELECT person_id FROM deceased WHERE load_id = $1)
           AND (t.load_id IS NULL OR t.load_id <> $1)
         GROUP BY t.load_id ORDER BY max(l.finished_at) DESC NULLS LAST, t.load_id",
        &[load_id],
        3,
        |v| {
            found.push(LaterRows {
                load_id: v[0].map(str::to_string),
                batch_id: v[1].map(str::to_string),
                rows: v[2].and_then(|n| n.parse().ok()).unwrap_or(0),
            })
        },
    )?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Target;
    use chrono::NaiveDate;
    use ledgerline_schemas::{id_number, RecordFields, RecordType, Review, Source};

    fn record(id: &str, fields: RecordFields) -> Record {
        Record {
            record_id: id.into(),
            record_type: RecordType::Cremation,
            fields,
            person_id: None,
            source: Source {
                batch: "B1".into(),
                page: "p1.png".into(),
                row: 1,
            },
            confidence: Default::default(),
            review: Review::default(),
            extra_fields: Default::default(),
        }
    }

    /// The id follows the content exactly: the same records in any order give the same
    /// id; the same text in another field, a value split differently between two fields,
    /// another record type, or another batch give another.
    #[test]
    fn the_load_id_is_the_content() {
        let fields = |death: &str, cremation: Option<&str>, name: &str, age: Option<u32>| RecordFields {
            deceased_name: Some(name.into()),
            death_date: Some(death.into()),
            cremation_date: cremation.map(Into::into),
            age,
            ..Default::default()
        };
        let a = record("R1", fields("2013-03-05", None, "王秀英", Some(81)));
        let b = record("R2", fields("2014-01-02", Some("2014-01-04"), "李建国", None));
        let id = load_id("B1", &[a.clone(), b.clone()]);
        // Databases keep load ids: the same content keeps its id from version to version
        // (the value is SHA-256 of the input described at `content_digest`, computed
        // apart from this code).
        assert_eq!(id, "Ld34b84908f021212");
        assert_eq!(
            id,
            load_id("B1", &[b.clone(), a.clone()]),
            "record order does not count"
        );
        assert_ne!(id, load_id("B2", &[a.clone(), b.clone()]), "the batch counts");

        let mut moved = a.clone();
        moved.fields.death_date = None;
        moved.fields.cremation_date = Some("2013-03-05".into());
        let mut split = a.clone();
        split.fields.deceased_name = Some("王秀".into());
        split.fields.death_place = Some("英".into());
        let mut aged = a.clone();
        aged.fields.age = Some(18);
        let mut buried = a.clone();
        buried.record_type = RecordType::Burial;
        for changed in [moved, split, aged, buried] {
            assert_ne!(id, load_id("B1", &[changed.clone(), b.clone()]), "{:?}", changed.fields);
        }
    }

    const SURNAMES: [&str; 8] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"];
    const GIVEN: [&str; 6] = ["秀英", "建国", "德明", "桂兰", "志强", "玉珍"];

    /// The `k`th of the persons the database holds, as a ledger writes them.
    fn person(k: u32) -> RecordFields {
        let birth = NaiveDate::from_ymd_opt(1930 + k as i32, 1 + k % 12, 1 + k % 28).unwrap();
        let death = format!("2013-{:02}-{:02}", 1 + k % 12, 1 + (k * 7) % 28);
        RecordFields {
            deceased_name: Some(format!("{}{}", SURNAMES[k as usize % 8], GIVEN[k as usize % 6])),
            gender: Some(["1", "2"][k as usize % 2].into()),
            // An odd sequence is a man's.
            id_number: Some(id_number::compose("370112", birth, (2 * k + 1 - k % 2) as u16)),
            birth_date: Some(ledgerline_schemas::date::format_iso(birth)),
            death_date: Some(death.clone()),
            cremation_date: Some(death),
            ..Default::default()
        }
    }

    /// A person the database holds cremated under one certificate: a reissue under
    /// another number is a certificate row of its own, beside it; a record of the
    /// number held, or one the ledger says nothing of, is the cremation held.
    #[test]
    fn a_reissued_certificate_of_a_cremation_held_is_added_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::parse(&format!("duckdb:{}", dir.path().join("p.duckdb").display())).unwrap();
        let mut db = target.open_for_writing().unwrap();
        let held = 40;
        for k in 0..held {
            let f = person(k);
            let sql = format!(
                "INSERT INTO deceased (person_id, name, gender, id_number, birth_date, death_date, origin, source_key, loaded_at)
                 VALUES ('P{k}', '{}', '{}', '{}', DATE '{}', DATE '{}', 'paper_backfill', 'R{k}', now());
                 INSERT INTO cremations (person_id, cremation_date, cert_no, cert_status, origin, source_key, loaded_at)
                 VALUES ('P{k}', DATE '{}', '2013-{k:05}', 'issued', 'paper_backfill', 'R{k}', now());",
                f.deceased_name.unwrap(),
                f.gender.unwrap(),
                f.id_number.unwrap(),
                f.birth_date.unwrap(),
                f.death_date.as_deref().unwrap(),
                f.death_date.as_deref().unwrap(),
            );
            db.duckdb().unwrap().execute_batch(&sql).unwrap();
        }
        let certificate = |id: &str, number: &str, status: Option<&str>| {
            let mut f = person(1);
            f.cremation_cert_no = Some(number.into());
            f.cremation_cert_status = status.map(Into::into);
            record(id, f)
        };
        let mut records = vec![
            certificate("C1", "2013-99999", Some("reissued")),
            certificate("C2", "2013-00001", Some("voided")),
            certificate("C3", "2013-99998", None),
        ];
        // The rest of the batch: the other persons held, as their ledger has them.
        records.extend((2..held).map(|k| record(&format!("X{k}"), person(k))));
        let report = load_batch(&mut db, "B1", &records, false, &|_| {}).unwrap();
        assert_eq!((report.inserted, report.linked), (0, records.len()), "{report:?}");
        assert_eq!(report.events_already_held, records.len() - 1, "{report:?}");
        let mut rows: Vec<String> = Vec::new();
        db.scan(
            "SELECT cert_no || ' ' || cert_status FROM cremations WHERE person_id = 'P1' ORDER BY cert_no",
            1,
            |v| rows.push(v[0].unwrap_or_default().to_string()),
        )
        .unwrap();
        assert_eq!(rows, ["2013-00001 issued", "2013-99999 reissued"]);
        // The voided certificate the database holds as issued is named, not changed.
        assert_eq!(
            report.certificates_held_otherwise,
            [CertificateHeldOtherwise {
                record_id: "C2".into(),
                person_id: "P1".into(),
                cert_no: "2013-00001".into(),
                database_status: Some("issued".into()),
                ledger_status: "voided".into(),
            }]
        );
    }
}
