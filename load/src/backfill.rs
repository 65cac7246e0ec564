//! Loading a verified batch into a basic database as `paper_backfill`, beside the live
//! data: one transaction per batch, each record matched against the persons the database
//! already holds (with the linkage model), a match linked instead of inserted, a
//! differing value noted as a conflict instead of overwritten, and a report in the
//! province's terms. A load's id is a function of the batch and its content, so loading
//! the same batch again changes nothing; `unload` removes exactly what a load inserted.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{bail, Result};
use ledgerline_dedupe::{link, Constraints, Prepared, Scope, Settings};
use ledgerline_schemas::validate::{is_acceptable, validate};
use ledgerline_schemas::{Field, Record, RecordType};
use rayon::prelude::*;
// Fx: the maps here hold a million persons and records each, keyed by our own ids.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::tables::{self, text, Rows};
use crate::{read_persons, Database, DbPerson};

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
pub fn load_id(batch: &str, records: &[Record]) -> Result<String> {
    let mut digests: Vec<(&str, [u8; 32])> = records
        .par_iter()
        .map(|r| {
            let content = serde_json::to_vec(&(&r.record_id, &r.fields, r.record_type))?;
            Ok((r.record_id.as_str(), Sha256::digest(content).into()))
        })
        .collect::<Result<_>>()?;
    digests.par_sort_unstable();
    let mut h = Sha256::new();
    h.update(batch.as_bytes());
    for (_, digest) in digests {
        h.update(digest);
    }
    Ok(format!("L{}", &hex::encode(h.finalize())[..16]))
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
    if database.is_empty() || records.is_empty() {
        return vec![None; records.len()];
    }
    let n = records.len();
    let prepared: Vec<Prepared> = records
        .par_iter()
        .map(|r| Prepared::new(&r.fields))
        .chain(database.par_iter().map(|p| Prepared::new(&p.fields)))
        .collect();
    let mut first_of_person: HashMap<&str, u32> = HashMap::default();
    let same = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let first = *first_of_person.entry(r.person_id.as_deref()?).or_insert(i as u32);
            (first != i as u32).then_some((first, i as u32))
        })
        .collect();
    let constraints = Constraints {
        same,
        anchor: (0..n + database.len())
            .map(|i| i.checked_sub(n).map(|k| k as u32))
            .collect(),
        ..Constraints::default()
    };
    let ours: Vec<bool> = (0..n + database.len()).map(|i| i < n).collect();
    let linkage = link(&prepared, &Settings::default(), Scope::Across(&ours), &constraints);
    let mut person_of_cluster: HashMap<u32, &str> = HashMap::default();
    for (j, p) in database.iter().enumerate() {
        person_of_cluster.insert(linkage.cluster_of[n + j], &p.person_id);
    }
    (0..n)
        .map(|i| person_of_cluster.get(&linkage.cluster_of[i]).map(|s| s.to_string()))
        .collect()
}

/// The person id a new backfilled person gets when the workspace gave its record none
/// (the workspace's is stable across dedupe runs and is taken first).
fn derived_person_id(r: &Record) -> String {
    format!("B{}", &hex::encode(Sha256::digest(r.record_id.as_bytes()))[..16])
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

/// Loads `records` of `batch` in one transaction (or only reports, with `dry_run`).
pub fn load_batch(db: &mut Database, batch: &str, records: &[Record], dry_run: bool) -> Result<LoadReport> {
    let start = Instant::now();
    // Everything from the check for an earlier identical load to the last row happens in
    // one transaction that no other writer runs beside. The persons held are read in it
    // (mostly the database's work) while this process hashes and validates the batch.
    db.begin_exclusive()?;
    let (persons, id, checked) = std::thread::scope(|s| {
        let reading = s.spawn(|| {
            let t = Instant::now();
            read_persons(db).map(|p| (p, t.elapsed().as_secs_f64()))
        });
        let id = load_id(batch, records);
        let checked = check(records);
        let validated = start.elapsed().as_secs_f64();
        let persons = reading.join().expect("reading the persons held does not panic");
        (persons, id.map(|id| (id, validated)), checked)
    });
    let outcome = persons.and_then(|persons| Ok((persons, id?)));
    let ((persons, read_seconds), (id, validate_seconds)) = match outcome {
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
    match load_in_transaction(db, &checked.good, &persons, &mut report, start) {
        Ok(true) if !dry_run => {
            let t = Instant::now();
            report.seconds = start.elapsed().as_secs_f64();
            let json = serde_json::to_string(&report)?;
            let finished = db
                .execute(
                    "UPDATE loads SET finished_at = now(), report = $1 WHERE load_id = $2",
                    &[&json, &id],
                )
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
/// before (the report is then that load's).
fn load_in_transaction(
    db: &mut Database,
    good: &[&Record],
    database: &[DbPerson],
    report: &mut LoadReport,
    start: Instant,
) -> Result<bool> {
    let done = db.text(
        "SELECT report FROM loads WHERE load_id = $1 AND finished_at IS NOT NULL",
        &[&report.load_id],
    )?;
    if let Some(previous) = done {
        let dry_run = report.dry_run;
        *report = serde_json::from_str(&previous)?;
        report.already_loaded = true;
        report.dry_run = dry_run;
        report.seconds = start.elapsed().as_secs_f64();
        return Ok(false);
    }
    let t = Instant::now();
    let matched = match_to_database(good, database);
    report.timings.match_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let db_by_id: HashMap<&str, &DbPerson> = database.iter().map(|p| (p.person_id.as_str(), p)).collect();
    write(db, good, &matched, &db_by_id, report)?;
    report.timings.write_seconds = t.elapsed().as_secs_f64();
    Ok(true)
}

/// The fields a linked person's database row is compared on.
const COMPARED: [Field; 5] = [
    Field::DeceasedName,
    Field::Gender,
    Field::IdNumber,
    Field::BirthDate,
    Field::DeathDate,
];

/// Person ids that already have a cremation (or a burial) in the database.
fn persons_with(db: &mut Database, table: &str) -> Result<HashSet<String>> {
    let ids = db.texts(&format!("SELECT DISTINCT person_id FROM {table}"), &[], 1)?;
    Ok(ids.into_iter().flatten().collect())
}

fn write(
    db: &mut Database,
    good: &[&Record],
    matched: &[Option<String>],
    db_by_id: &HashMap<&str, &DbPerson>,
    report: &mut LoadReport,
) -> Result<()> {
    let (id, batch) = (report.load_id.clone(), report.batch_id.clone());
    db.execute(
        "INSERT INTO loads (load_id, batch_id, origin, started_at) VALUES ($1, $2, 'paper_backfill', now())",
        &[&id, &batch],
    )?;
    let (cremated, buried) = (persons_with(db, "cremations")?, persons_with(db, "burials")?);
    // Ids made for records the workspace gave none, so that every row can borrow its id.
    let derived: Vec<Option<String>> = good
        .iter()
        .map(|r| r.person_id.is_none().then(|| derived_person_id(r)))
        .collect();
    let n = good.len();
    let mut deceased = Rows::with_capacity(&tables::DECEASED, n);
    let mut cremations = Rows::with_capacity(&tables::CREMATIONS, n);
    let mut burials = Rows::with_capacity(&tables::BURIALS, n);
    let mut agents = Rows::with_capacity(&tables::AGENTS, n);
    let mut conflicts = Rows::new(&tables::CONFLICTS);
    let mut new_persons: HashSet<&str> = HashSet::default();
    for ((r, m), derived) in good.iter().zip(matched).zip(&derived) {
        let f = &r.fields;
        let source = Some(Cow::Borrowed(r.record_id.as_str()));
        let person: &str = match m {
            Some(p) => {
                report.linked += 1;
                let held = db_by_id.get(p.as_str()).map(|d| &d.fields);
                for field in COMPARED {
                    if let (Some(db), Some(new)) = (held.and_then(|h| h.get(field)), f.get(field)) {
                        if db != new {
                            conflicts.push([
                                Some(p.clone()),
                                Some(field.name().to_string()),
                                Some(db.clone()),
                                Some(new.clone()),
                                Some(r.record_id.clone()),
                            ]);
                            report.conflicts.push(Conflict {
                                person_id: p.clone(),
                                field: field.name().to_string(),
                                database_value: db,
                                incoming_value: new,
                                record_id: r.record_id.clone(),
                            });
                        }
                    }
                }
                p
            }
            None => {
                let p = r.person_id.as_deref().or(derived.as_deref()).expect("an id made above");
                if new_persons.insert(p) {
                    report.inserted += 1;
                    deceased.push([
                        Some(Cow::Borrowed(p)),
                        text(&f.deceased_name),
                        text(&f.gender),
                        text(&f.ethnicity),
                        text(&f.id_type),
                        text(&f.id_number),
                        text(&f.birth_date),
                        text(&f.death_date),
                        f.age.map(|a| Cow::Owned(a.to_string())),
                        text(&f.death_cause),
                        text(&f.death_place),
                        text(&f.household_address),
                        text(&f.household_division),
                        tables::flag(false),
                        source.clone(),
                    ]);
                }
                p
            }
        };
        // An event a linked person already has in the database is not added again.
        let held = match r.record_type {
            RecordType::Cremation => cremated.contains(person),
            RecordType::Burial => buried.contains(person),
        };
        if m.is_some() && held {
            report.events_already_held += 1;
            continue;
        }
        match r.record_type {
            RecordType::Cremation => cremations.push([
                Some(Cow::Borrowed(person)),
                text(&f.agency_name),
                text(&f.cremation_date),
                tables::flag(false),
                text(&f.cremation_cert_no),
                text(&f.ashes_disposition),
                source.clone(),
            ]),
            RecordType::Burial => burials.push([
                Some(Cow::Borrowed(person)),
                text(&f.cemetery_name),
                text(&f.burial_date),
                text(&f.grave_number),
                source.clone(),
            ]),
        }
        if f.family_name.is_some() || f.family_phone.is_some() {
            agents.push([
                Some(Cow::Borrowed(person)),
                text(&f.family_name),
                text(&f.family_relation),
                text(&f.family_phone),
                None,
                None,
                source,
            ]);
        }
    }
    let provenance = [Some("paper_backfill"), Some(batch.as_str()), Some(id.as_str())];
    for rows in [&deceased, &cremations, &burials, &agents] {
        db.append(rows, &provenance)?;
    }
    db.append(&conflicts, &[Some(id.as_str())])?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Unloaded {
    pub load_id: String,
    pub deceased: u64,
    pub agents: u64,
    pub cremations: u64,
    pub burials: u64,
    pub conflicts: u64,
}

/// Removes exactly the rows a load inserted, in one transaction.
pub fn unload(db: &mut Database, load_id: &str) -> Result<Unloaded> {
    db.begin_exclusive()?;
    let run = |db: &mut Database| -> Result<Unloaded> {
        if db
            .text("SELECT load_id FROM loads WHERE load_id = $1", &[load_id])?
            .is_none()
        {
            bail!("no load {load_id} in this database");
        }
        let mut del = |table: &str| db.execute(&format!("DELETE FROM {table} WHERE load_id = $1"), &[load_id]);
        let out = Unloaded {
            load_id: load_id.to_string(),
            agents: del("agents")?,
            cremations: del("cremations")?,
            burials: del("burials")?,
            conflicts: del("conflicts")?,
            deceased: del("deceased")?,
        };
        db.execute("DELETE FROM loads WHERE load_id = $1", &[load_id])?;
        Ok(out)
    };
    match run(db) {
        Ok(u) => {
            db.commit()?;
            Ok(u)
        }
        Err(e) => {
            db.rollback();
            Err(e)
        }
    }
}
