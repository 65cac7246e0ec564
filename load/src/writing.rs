//! Writing a load's rows once its records are matched: which person each record is,
//! what differs from the database (conflicts), which events the database holds already;
//! then the tables, each staged on a thread of its own while the database inserts the
//! one before (building and staging the rows had taken 1.5 s of a million-record load
//! with the database idle).

use std::borrow::Cow;
use std::sync::mpsc;

use anyhow::{anyhow, Result};
use ledgerline_schemas::{Record, RecordFields, RecordType};
use rustc_hash::FxHashSet as HashSet;
use sha2::{Digest, Sha256};

use crate::backfill::{CertificateHeldOtherwise, Conflict, LoadReport};
use crate::conflicts::COLUMNS;
use crate::staging::Staged;
use crate::tables::{self, text, Rows};
use crate::{Database, HeldPerson, PersonsRead, UtcTime};

/// The `origin` of every row a backfill load writes, the `loads` row's included.
pub(crate) const ORIGIN: &str = "paper_backfill";

/// The person id a new backfilled person gets when the workspace gave its record none
/// (the workspace's is stable across dedupe runs and is taken first).
fn derived_person_id(r: &Record) -> String {
    format!("B{}", &hex::encode(Sha256::digest(r.record_id.as_bytes()))[..16])
}

/// The counts and conflicts the rows add to the load's report.
#[derive(Default)]
struct Tally {
    inserted: usize,
    linked: usize,
    events_already_held: usize,
    events_repeated: usize,
    certificates_held_otherwise: Vec<CertificateHeldOtherwise>,
    conflicts: Vec<Conflict>,
}

/// Writes the rows of `good` (matched to database persons by `matched`) and adds their
/// account to `report`. The caller's transaction holds it all.
pub(crate) fn write(
    db: &mut Database,
    good: &[&Record],
    matched: &[Option<u32>],
    database: &PersonsRead,
    report: &mut LoadReport,
    at: UtcTime,
) -> Result<()> {
    let (id, batch) = (report.load_id.clone(), report.batch_id.clone());
    let stager = db.stager(at)?;
    let provenance = [Some(ORIGIN), Some(batch.as_str()), Some(id.as_str())];
    let (stager, provenance, id) = (&stager, &provenance, id.as_str());
    let tally = std::thread::scope(|s| {
        // Declared in here, so that an early return drops it and the stager's thread,
        // waiting on it, ends too.
        let (staged_tx, staged_rx) = mpsc::sync_channel::<Result<Staged>>(1);
        let staging = s.spawn(move || {
            let send = |rows: &Rows, constants: &[Option<&str>]| match stager.stage(rows, constants) {
                Ok(None) => true,
                Ok(Some(staged)) => staged_tx.send(Ok(staged)).is_ok(),
                Err(e) => {
                    let _ = staged_tx.send(Err(e));
                    false
                }
            };
            stage_rows(good, matched, database, send, provenance, id)
        });
        for staged in staged_rx {
            db.insert(staged?)?;
        }
        staging
            .join()
            .map_err(|_| anyhow!("staging the load's rows panicked"))?
            .ok_or_else(|| anyhow!("staging the load's rows stopped"))
    })?;
    report.inserted += tally.inserted;
    report.linked += tally.linked;
    report.events_already_held += tally.events_already_held;
    report.events_repeated += tally.events_repeated;
    report
        .certificates_held_otherwise
        .extend(tally.certificates_held_otherwise);
    report.conflicts.extend(tally.conflicts);
    Ok(())
}

/// Builds and stages every table's rows, handing each to `send` as soon as it is staged:
/// persons and conflicts first, then the events (and their agents). `None` when `send`
/// found the other side gone.
fn stage_rows(
    good: &[&Record],
    matched: &[Option<u32>],
    database: &PersonsRead,
    send: impl Fn(&Rows, &[Option<&str>]) -> bool,
    provenance: &[Option<&str>; 3],
    load_id: &str,
) -> Option<Tally> {
    // Ids made for records the workspace gave none, so that every row can borrow its id.
    let derived: Vec<Option<String>> = good
        .iter()
        .map(|r| r.person_id.is_none().then(|| derived_person_id(r)))
        .collect();
    let n = good.len();
    let mut tally = Tally::default();
    let mut persons: Vec<&str> = Vec::with_capacity(n);
    let mut deceased = Rows::with_capacity(&tables::DECEASED, n);
    let mut new_persons: HashSet<&str> = HashSet::default();
    for ((r, m), derived) in good.iter().zip(matched).zip(&derived) {
        let f = &r.fields;
        let person: &str = match m {
            Some(k) => {
                tally.linked += 1;
                database.person(*k as usize).person_id.as_str()
            }
            None => {
                let p = r.person_id.as_deref().or(derived.as_deref()).expect("an id made above");
                if new_persons.insert(p) {
                    tally.inserted += 1;
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
                        Some(Cow::Borrowed(r.record_id.as_str())),
                    ]);
                }
                p
            }
        };
        persons.push(person);
    }
    // The new persons go first, and alone: the database waits for them, and their
    // table is the slowest to insert.
    if !send(&deceased, provenance) {
        return None;
    }
    drop(deceased);
    let mut conflicts = Rows::new(&tables::CONFLICTS);
    for (r, m) in good.iter().zip(matched) {
        let Some(k) = m else { continue };
        let person_held = database.person(*k as usize);
        for c in differences(person_held, r) {
            conflicts.push([
                Some(c.person_id.clone()),
                Some(c.field.clone()),
                Some(c.database_value.clone()),
                Some(c.incoming_value.clone()),
                Some(c.record_id.clone()),
            ]);
            tally.conflicts.push(c);
        }
    }
    if !send(&conflicts, &[Some(load_id)]) {
        return None;
    }
    let mut cremations = Rows::with_capacity(&tables::CREMATIONS, n);
    let mut burials = Rows::with_capacity(&tables::BURIALS, n);
    let mut agents = Rows::with_capacity(&tables::AGENTS, n);
    // The events written, by person and certificate or grave number: a second record of
    // one cremation (another volume's copy) is written once, while a cremation under
    // another certificate number (a voided certificate's replacement, a reissue) is a
    // certificate of its own.
    let mut written: HashSet<(RecordType, &str, Option<&str>)> = HashSet::default();
    for ((r, m), &person) in good.iter().zip(matched).zip(&persons) {
        let f = &r.fields;
        let source = Some(Cow::Borrowed(r.record_id.as_str()));
        // An event a linked person already has in the database is not added again; a
        // certificate the ledger says replaced or voided is one of its own, unless the
        // database holds its number.
        let held = m.is_some_and(|k| match r.record_type {
            RecordType::Cremation => {
                database.held(k as usize).cremation && !another_certificate(database, k as usize, f)
            }
            RecordType::Burial => database.held(k as usize).burial,
        });
        if held {
            tally.events_already_held += 1;
            if let Some(k) = m {
                tally
                    .certificates_held_otherwise
                    .extend(certificate_held_otherwise(database, *k as usize, r));
            }
            continue;
        }
        let number = match r.record_type {
            RecordType::Cremation => f.cremation_cert_no.as_deref(),
            RecordType::Burial => f.grave_number.as_deref(),
        };
        if !written.insert((r.record_type, person, number)) {
            tally.events_repeated += 1;
            continue;
        }
        match r.record_type {
            RecordType::Cremation => cremations.push([
                Some(Cow::Borrowed(person)),
                text(&f.agency_name),
                text(&f.cremation_date),
                tables::flag(false),
                text(&f.cremation_cert_no),
                cert_status(f),
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
    for rows in [&cremations, &burials, &agents] {
        if !send(rows, provenance) {
            return None;
        }
    }
    Some(tally)
}

/// Whether the record's cremation certificate is one the ledger says was reissued or
/// voided, under a number the database does not hold for the person read `k`th.
fn another_certificate(database: &PersonsRead, k: usize, f: &RecordFields) -> bool {
    replacing_certificate(f).is_some_and(|(_, number)| !database.holds_certificate(k, number))
}

/// The status and number of the record's certificate when its ledger says it was
/// reissued or voided.
fn replacing_certificate(f: &RecordFields) -> Option<(&str, &str)> {
    let said = f
        .cremation_cert_status
        .as_deref()
        .filter(|s| matches!(*s, "reissued" | "voided"))?;
    Some((said, f.cremation_cert_no.as_deref()?))
}

/// The record's certificate, when its ledger marks it voided or reissued and the database
/// holds its number for the person read `k`th under another status.
fn certificate_held_otherwise(database: &PersonsRead, k: usize, r: &Record) -> Option<CertificateHeldOtherwise> {
    let (said, number) = replacing_certificate(&r.fields)?;
    let held = database.certificate_status(k, number)?;
    (held != Some(said)).then(|| CertificateHeldOtherwise {
        record_id: r.record_id.clone(),
        person_id: database.person(k).person_id.to_string(),
        cert_no: number.to_string(),
        database_status: held.map(str::to_string),
        ledger_status: said.to_string(),
    })
}

/// The `cert_status` of a record's cremation: what its ledger says (作废, 补发), or, for
/// a certificate number the ledger notes nothing beside, `issued`.
fn cert_status(f: &RecordFields) -> Option<Cow<'_, str>> {
    match (&f.cremation_cert_status, &f.cremation_cert_no) {
        (Some(status), _) => Some(Cow::Borrowed(status)),
        (None, Some(_)) => Some(Cow::Borrowed("issued")),
        (None, None) => None,
    }
}

/// Where record `r` says otherwise than the database row of the person `held` it was
/// linked to (a value either side lacks is no conflict).
fn differences<'a>(held: &'a HeldPerson, r: &'a Record) -> impl Iterator<Item = Conflict> + 'a {
    COLUMNS.iter().filter_map(move |&(field, _, _)| {
        let (database, incoming) = (held.text(field)?, r.fields.text(field)?);
        (database != incoming).then(|| Conflict {
            person_id: held.person_id.to_string(),
            field: field.name().to_string(),
            database_value: database.to_string(),
            incoming_value: incoming.into_owned(),
            record_id: r.record_id.clone(),
        })
    })
}
