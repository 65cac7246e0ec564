//! Loading a verified batch into a basic database as `paper_backfill`, beside the live
//! data: one transaction per batch, each record matched against the persons the database
//! already holds (with the linkage model), a match linked instead of inserted, a
//! differing value noted as a conflict instead of overwritten, and a report in the
//! province's terms. A load's id is a function of the batch and its content, so loading
//! the same batch again changes nothing; `unload` removes exactly what a load inserted.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use anyhow::{bail, Result};
use duckdb::{params, Connection, OptionalExt};
use ledgerline_dedupe::{link, Constraints, Prepared, Scope, Settings};
use ledgerline_schemas::validate::{is_acceptable, validate};
use ledgerline_schemas::{Field, Record, RecordType};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{read_persons, DbPerson};

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
}

/// The load's id: the batch and the exact content loaded.
pub fn load_id(batch: &str, records: &[Record]) -> Result<String> {
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by(|a, b| a.record_id.cmp(&b.record_id));
    let mut h = Sha256::new();
    h.update(batch.as_bytes());
    for r in sorted {
        h.update(serde_json::to_vec(&(&r.record_id, &r.fields, r.record_type))?);
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
pub fn match_to_database(records: &[&Record], database: &[DbPerson]) -> Vec<Option<String>> {
    if database.is_empty() || records.is_empty() {
        return vec![None; records.len()];
    }
    let n = records.len();
    let prepared: Vec<Prepared> = records
        .iter()
        .map(|r| Prepared::new(&r.fields))
        .chain(database.iter().map(|p| Prepared::new(&p.fields)))
        .collect();
    let constraints = Constraints {
        anchor: (0..n + database.len())
            .map(|i| i.checked_sub(n).map(|k| k as u32))
            .collect(),
        ..Constraints::default()
    };
    let ours: Vec<bool> = (0..n + database.len()).map(|i| i < n).collect();
    let linkage = link(&prepared, &Settings::default(), Scope::Touching(&ours), &constraints);
    let mut person_of_cluster: HashMap<u32, &str> = HashMap::new();
    for (j, p) in database.iter().enumerate() {
        person_of_cluster.insert(linkage.cluster_of[n + j], &p.person_id);
    }
    (0..n)
        .map(|i| person_of_cluster.get(&linkage.cluster_of[i]).map(|s| s.to_string()))
        .collect()
}

/// The person id a new backfilled person gets: the workspace's (stable across dedupe
/// runs), else one derived from the record.
fn new_person_id(r: &Record) -> String {
    r.person_id
        .clone()
        .unwrap_or_else(|| format!("B{}", &hex::encode(Sha256::digest(r.record_id.as_bytes()))[..16]))
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

/// Loads `records` of `batch` in one transaction (or only reports, with `dry_run`).
pub fn load_batch(conn: &Connection, batch: &str, records: &[Record], dry_run: bool) -> Result<LoadReport> {
    let start = Instant::now();
    let id = load_id(batch, records)?;
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
        rejected: Vec::new(),
        rejected_by_agency_year: Vec::new(),
        seconds: 0.0,
    };
    let done: Option<String> = conn
        .query_row(
            "SELECT report FROM loads WHERE load_id = ? AND finished_at IS NOT NULL",
            [&id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(previous) = done {
        let mut before: LoadReport = serde_json::from_str(&previous)?;
        before.already_loaded = true;
        before.dry_run = dry_run;
        before.seconds = start.elapsed().as_secs_f64();
        return Ok(before);
    }
    let mut good: Vec<&Record> = Vec::new();
    let mut by_agency_year: BTreeMap<(String, String), u64> = BTreeMap::new();
    for r in records {
        match rejection(r) {
            Some(reason) => {
                let agency = r.fields.agency_name.clone().unwrap_or_else(|| "unknown".into());
                *by_agency_year.entry((agency, year_of(r))).or_default() += 1;
                report.rejected.push(Rejected {
                    record_id: r.record_id.clone(),
                    reason,
                });
            }
            None => good.push(r),
        }
    }
    report.rejected_by_agency_year = by_agency_year
        .into_iter()
        .map(|((agency, year), rejected)| AgencyYear { agency, year, rejected })
        .collect();
    let database = read_persons(conn)?;
    let matched = match_to_database(&good, &database);
    let db_by_id: HashMap<&str, &DbPerson> = database.iter().map(|p| (p.person_id.as_str(), p)).collect();

    conn.execute_batch("BEGIN TRANSACTION")?;
    let result = write(conn, &id, batch, &good, &matched, &db_by_id, &mut report);
    match result {
        Ok(()) if dry_run => conn.execute_batch("ROLLBACK")?,
        Ok(()) => {
            report.seconds = start.elapsed().as_secs_f64();
            conn.execute(
                "UPDATE loads SET finished_at = now(), report = ? WHERE load_id = ?",
                params![serde_json::to_string(&report)?, id],
            )?;
            conn.execute_batch("COMMIT")?
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK").ok();
            return Err(e);
        }
    }
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

/// The fields a linked person's database row is compared on.
const COMPARED: [Field; 5] = [
    Field::DeceasedName,
    Field::Gender,
    Field::IdNumber,
    Field::BirthDate,
    Field::DeathDate,
];

fn write(
    conn: &Connection,
    id: &str,
    batch: &str,
    good: &[&Record],
    matched: &[Option<String>],
    db_by_id: &HashMap<&str, &DbPerson>,
    report: &mut LoadReport,
) -> Result<()> {
    conn.execute(
        "INSERT INTO loads (load_id, batch_id, origin, started_at) VALUES (?, ?, 'paper_backfill', now())",
        params![id, batch],
    )?;
    let mut inserted_persons: HashMap<String, ()> = HashMap::new();
    for (r, m) in good.iter().zip(matched) {
        let f = &r.fields;
        let person = match m {
            Some(p) => {
                report.linked += 1;
                let held = db_by_id.get(p.as_str()).map(|d| &d.fields);
                for field in COMPARED {
                    if let (Some(db), Some(new)) = (held.and_then(|h| h.get(field)), f.get(field)) {
                        if db != new {
                            conn.execute(
                                "INSERT INTO conflicts VALUES (?, ?, ?, ?, ?, ?, now())",
                                params![id, p, field.name(), db, new, r.record_id],
                            )?;
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
                p.clone()
            }
            None => {
                let p = new_person_id(r);
                if inserted_persons.insert(p.clone(), ()).is_none() {
                    report.inserted += 1;
                    conn.execute(
                        "INSERT INTO deceased (person_id, name, gender, ethnicity, id_type, id_number, birth_date, death_date, age,
                             death_cause, death_place, household_address, household_division, origin, source_key, batch_id, load_id, loaded_at)
                         VALUES (?, ?, ?, ?, ?, ?, CAST(? AS DATE), CAST(? AS DATE), ?, ?, ?, ?, ?, 'paper_backfill', ?, ?, ?, now())",
                        params![
                            p,
                            f.deceased_name,
                            f.gender,
                            f.ethnicity,
                            f.id_type,
                            f.id_number,
                            f.birth_date,
                            f.death_date,
                            f.age,
                            f.death_cause,
                            f.death_place,
                            f.household_address,
                            f.household_division,
                            r.record_id,
                            batch,
                            id
                        ],
                    )?;
                }
                p
            }
        };
        write_events(conn, id, batch, r, &person, m.is_some(), report)?;
    }
    Ok(())
}

/// The record's funeral event and agent, unless a linked person already has that event.
fn write_events(
    conn: &Connection,
    id: &str,
    batch: &str,
    r: &Record,
    person: &str,
    linked: bool,
    report: &mut LoadReport,
) -> Result<()> {
    let f = &r.fields;
    let (table, held_sql) = match r.record_type {
        RecordType::Cremation => ("cremations", "SELECT count(*) FROM cremations WHERE person_id = ?"),
        RecordType::Burial => ("burials", "SELECT count(*) FROM burials WHERE person_id = ?"),
    };
    if linked {
        let held: i64 = conn.query_row(held_sql, [person], |row| row.get(0))?;
        if held > 0 {
            report.events_already_held += 1;
            return Ok(());
        }
    }
    if table == "cremations" {
        conn.execute(
            "INSERT INTO cremations (person_id, agency_name, cremation_date, cert_no, ashes_disposition, origin, source_key, batch_id, load_id, loaded_at)
             VALUES (?, ?, CAST(? AS DATE), ?, ?, 'paper_backfill', ?, ?, ?, now())",
            params![person, f.agency_name, f.cremation_date, f.cremation_cert_no, f.ashes_disposition, r.record_id, batch, id],
        )?;
    } else {
        conn.execute(
            "INSERT INTO burials (person_id, cemetery_name, burial_date, grave_number, origin, source_key, batch_id, load_id, loaded_at)
             VALUES (?, ?, CAST(? AS DATE), ?, 'paper_backfill', ?, ?, ?, now())",
            params![person, f.cemetery_name, f.burial_date, f.grave_number, r.record_id, batch, id],
        )?;
    }
    if f.family_name.is_some() || f.family_phone.is_some() {
        conn.execute(
            "INSERT INTO agents (person_id, name, relation, phone, origin, source_key, batch_id, load_id, loaded_at)
             VALUES (?, ?, ?, ?, 'paper_backfill', ?, ?, ?, now())",
            params![
                person,
                f.family_name,
                f.family_relation,
                f.family_phone,
                r.record_id,
                batch,
                id
            ],
        )?;
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct Unloaded {
    pub load_id: String,
    pub deceased: usize,
    pub agents: usize,
    pub cremations: usize,
    pub burials: usize,
    pub conflicts: usize,
}

/// Removes exactly the rows a load inserted, in one transaction.
pub fn unload(conn: &Connection, load_id: &str) -> Result<Unloaded> {
    let known: Option<String> = conn
        .query_row("SELECT load_id FROM loads WHERE load_id = ?", [load_id], |r| r.get(0))
        .optional()?;
    if known.is_none() {
        bail!("no load {load_id} in this database");
    }
    conn.execute_batch("BEGIN TRANSACTION")?;
    let run = || -> Result<Unloaded> {
        let del = |table: &str| conn.execute(&format!("DELETE FROM {table} WHERE load_id = ?"), [load_id]);
        let out = Unloaded {
            load_id: load_id.to_string(),
            agents: del("agents")?,
            cremations: del("cremations")?,
            burials: del("burials")?,
            conflicts: del("conflicts")?,
            deceased: del("deceased")?,
        };
        conn.execute("DELETE FROM loads WHERE load_id = ?", [load_id])?;
        Ok(out)
    };
    match run() {
        Ok(u) => {
            conn.execute_batch("COMMIT")?;
            Ok(u)
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK").ok();
            Err(e)
        }
    }
}
