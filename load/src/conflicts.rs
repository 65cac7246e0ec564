//! The conflicts loads noted, for the DBA to settle. A load never writes over what the
//! database holds: a value a ledger gives otherwise (another death date for the same
//! person) is noted in `conflicts`. Here the DBA lists them, each with a stable id and
//! the person's value now, and settles them one by one, or a load's (a field's, a
//! person's) at once: the database's value kept, or the incoming one taken.
//!
//! Taking one changes the person's row and writes a correction (`corrections`), which
//! the next exchange package carries to the national database; every decision is kept
//! (`conflict_decisions`) with who made it, when and why. A decision taken back
//! ([`reopen`]) opens its conflict again, and is kept too.

mod reopen;

pub use reopen::{reopen, Reopened, Reopening};

use std::collections::HashSet;

use anyhow::{bail, Result};
use ledgerline_schemas::validate::{validate_fields, Severity};
use ledgerline_schemas::{Field, RecordFields};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::exchange::sql_text;
use crate::tables::{self, Kind, Rows};
use crate::{Database, UtcTime};

/// The fields a load compares with the person a record links to (so the ones a conflict
/// can be of), each with the column of `deceased` that holds it and its type: one list,
/// so that every conflict noted can be settled.
pub const COLUMNS: [(Field, &str, Kind); 5] = [
    (Field::DeceasedName, "name", Kind::Text),
    (Field::Gender, "gender", Kind::Text),
    (Field::IdNumber, "id_number", Kind::Text),
    (Field::BirthDate, "birth_date", Kind::Date),
    (Field::DeathDate, "death_date", Kind::Date),
];

/// Where the field named `field` stands in [`COLUMNS`], if a conflict can be of it.
fn column_at(field: &str) -> Option<usize> {
    COLUMNS.iter().position(|(f, _, _)| f.name() == field)
}

/// The field names a conflict can be of, for messages.
pub fn field_names() -> Vec<&'static str> {
    COLUMNS.iter().map(|(f, _, _)| f.name()).collect()
}

/// A conflict's id: `C` and the first 16 hex digits of the SHA-256 of its load, record
/// and field, which together name one conflict (a record links to one person and
/// differs from it once per field). The same on every engine, and in every listing.
/// Sixty-four bits: among ten million conflicts, two share an id with a chance of about
/// three in a million (with 48, one in six).
pub fn conflict_id(load_id: &str, record_id: &str, field: &str) -> String {
    let mut h = Sha256::new();
    for part in [load_id, record_id, field] {
        h.update(part.as_bytes());
        h.update([0xFF]);
    }
    format!("C{}", &hex::encode(h.finalize())[..16])
}

/// Which value a decision keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The value the database held: the person's row is left as it is.
    Database,
    /// The value the ledger gave: it replaces the database's.
    Incoming,
}

impl Keep {
    /// The decision as `conflict_decisions` holds it.
    pub fn decision(self) -> &'static str {
        match self {
            Keep::Database => "kept",
            Keep::Incoming => "replaced",
        }
    }
}

/// How a conflict was settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settled {
    /// `kept` (the database's value) or `replaced` (by the incoming one).
    pub decision: String,
    pub decided_by: String,
    pub note: Option<String>,
    pub decided_at: UtcTime,
}

impl Settled {
    /// A decision from a query's decision, decided_by, note and decided_at (as text), if
    /// there is one.
    fn read(v: &[Option<&str>], table: &str) -> Result<Option<Settled>> {
        let Some(decision) = v[0] else {
            return Ok(None);
        };
        Ok(Some(Settled {
            decision: decision.to_string(),
            decided_by: v[1].unwrap_or_default().to_string(),
            note: v[2].map(str::to_string),
            decided_at: UtcTime::read_sql_text(v[3].unwrap_or_default(), table)?,
        }))
    }
}

/// A conflict a load noted, as `ledgerline conflicts list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotedConflict {
    pub conflict_id: String,
    pub load_id: String,
    pub batch_id: Option<String>,
    pub person_id: String,
    pub field: String,
    pub database_value: Option<String>,
    pub incoming_value: Option<String>,
    /// What gave the incoming value: a ledgerline record's id, or a live extract's
    /// DEAD_ID and line (`SZ320981-2013-000001 line 2`).
    pub record_id: String,
    pub noted_at: UtcTime,
    /// Whether the database still holds the person.
    pub person_held: bool,
    /// The person's value of the field now (another decision, or a correction an
    /// exchange package brought, may have changed it since the conflict was noted).
    pub value_now: Option<String>,
    /// What validation finds of the person with the database's value and not with the
    /// incoming one (an ID number whose check character is wrong, a death date before
    /// the birth date, an ID number that gives another birth date or sex), and the
    /// other way round: what tells the two values apart, for the DBA's choice. Empty for
    /// a person no longer held.
    pub database_findings: Vec<String>,
    pub incoming_findings: Vec<String>,
    /// `None` while the conflict is open.
    pub settled: Option<Settled>,
    /// The decisions on it taken back (`conflicts reopen`), the earliest first; listed
    /// only (a `resolve` has no use for them).
    pub reopened: Vec<Reopening>,
}

/// Which conflicts to list, or to settle: those of a load, of a field, of a person (each
/// `None` for any), the open ones only unless `with_settled`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub load_id: Option<String>,
    pub field: Option<String>,
    pub person_id: Option<String>,
    pub with_settled: bool,
}

impl Filter {
    /// Refuses a field no conflict can be of (a mistyped one would list nothing).
    pub fn check(&self) -> Result<()> {
        match &self.field {
            Some(f) if column_at(f).is_none() => {
                bail!(
                    "no conflict is of a field {f:?}: a load compares {}",
                    field_names().join(", ")
                )
            }
            _ => Ok(()),
        }
    }

    /// The filter's load, field and person as SQL conditions on the columns of those
    /// names, each after `prefix` (a table's alias and a dot, or nothing).
    fn conditions(&self, prefix: &str) -> Vec<String> {
        [
            ("load_id", &self.load_id),
            ("field", &self.field),
            ("person_id", &self.person_id),
        ]
        .into_iter()
        .filter_map(|(column, value)| Some(format!("{prefix}{column} = {}", sql_text(value.as_deref()?))))
        .collect()
    }
}

/// The conflicts `filter` selects, in the order they were noted, each value assessed,
/// handed to `each` as they are read: a listing of a million is never held whole (built
/// whole, its JSON took 2.35 GB).
pub fn list(db: &mut Database, filter: &Filter, each: impl FnMut(NotedConflict)) -> Result<()> {
    read_each(db, (filter, None), true, each)
}

/// The conflicts `filter` selects, of those `named` (by id) if any are, not assessed (a
/// `resolve` has no use for it).
fn read(db: &mut Database, filter: &Filter, named: Option<&HashSet<&str>>) -> Result<Vec<NotedConflict>> {
    let mut found = Vec::new();
    read_each(db, (filter, named), false, |c| found.push(c))?;
    Ok(found)
}

/// The conflicts `filter` selects, of those `named` if any are, their values assessed if
/// `assess`, each handed to `each` as it is read.
fn read_each(
    db: &mut Database,
    (filter, named): (&Filter, Option<&HashSet<&str>>),
    assess: bool,
    mut each: impl FnMut(NotedConflict),
) -> Result<()> {
    filter.check()?;
    // A database of an earlier schema version (opened only to read) has no decisions.
    let decisions = if db.has_table("conflict_decisions")? {
        "conflict_decisions"
    } else {
        "(SELECT CAST(NULL AS VARCHAR) AS load_id, CAST(NULL AS VARCHAR) AS source_key,
                 CAST(NULL AS VARCHAR) AS field, CAST(NULL AS VARCHAR) AS decision,
                 CAST(NULL AS VARCHAR) AS decided_by, CAST(NULL AS VARCHAR) AS note,
                 CAST(NULL AS TIMESTAMP) AS decided_at WHERE false)"
    };
    // The person's values of every field a conflict can be of, in COLUMNS' order.
    let person: Vec<String> = COLUMNS
        .iter()
        .map(|(_, column, _)| format!("CAST(d.{column} AS VARCHAR)"))
        .collect();
    let person = person.join(", ");
    let conditions: String = filter.conditions("c.").iter().map(|c| format!(" AND {c}")).collect();
    let open_only = if filter.with_settled {
        ""
    } else {
        "AND s.decision IS NULL"
    };
    let sql = format!(
        "SELECT c.load_id, l.batch_id, c.person_id, c.field, c.database_value, c.incoming_value,
                c.source_key, CAST(c.noted_at AS VARCHAR),
                CASE WHEN d.person_id IS NULL THEN 'gone' ELSE 'held' END,
                {person},
                s.decision, s.decided_by, s.note, CAST(s.decided_at AS VARCHAR)
         FROM conflicts c
         LEFT JOIN loads l ON l.load_id = c.load_id
         LEFT JOIN deceased d ON d.person_id = c.person_id
         LEFT JOIN {decisions} s
                ON s.load_id = c.load_id AND s.source_key = c.source_key AND s.field = c.field
         WHERE true{conditions}
           {open_only}
         ORDER BY c.noted_at, c.load_id, c.source_key, c.field"
    );
    // Scanned (on PostgreSQL, by COPY): listing a million conflicts took 8.6-10.6 s read
    // as a query's rows, 7.2-8.4 s scanned. A scan takes no parameters: the values are
    // written in as SQL text.
    let mut history = if assess {
        reopen::history(db)?
    } else {
        Default::default()
    };
    let mut failed = None;
    db.scan(&sql, SETTLED_AT + 4, |v| {
        // A few conflicts named among a million are picked out by their ids alone: no
        // conflict is built, nor kept, for the others.
        let is_named = |names: &HashSet<&str>| {
            let [load, record, field] = [0, 6, 3].map(|i| v[i].unwrap_or_default());
            names.contains(conflict_id(load, record, field).as_str())
        };
        if failed.is_none() && named.is_none_or(is_named) {
            match noted(v, assess) {
                Ok(mut c) => {
                    c.reopened = history.remove(&c.conflict_id).unwrap_or_default();
                    each(c)
                }
                Err(e) => failed = Some(e),
            }
        }
    })?;
    failed.map_or(Ok(()), Err)
}

/// Where [`read`]'s query has the person's values (then the decision's four columns).
const PERSON_AT: usize = 9;
const SETTLED_AT: usize = PERSON_AT + COLUMNS.len();

/// One row of [`read`]'s query.
fn noted(v: &[Option<&str>], assess: bool) -> Result<NotedConflict> {
    let owned = |i: usize| v[i].map(str::to_string);
    let [load_id, person_id, field, record_id] = [0, 2, 3, 6].map(|i| v[i].unwrap_or_default().to_string());
    let settled = Settled::read(&v[SETTLED_AT..SETTLED_AT + 4], "conflict_decisions")?;
    let person_held = v[8] == Some("held");
    let at = column_at(&field);
    let (database_value, incoming_value) = (owned(4), owned(5));
    let (database_findings, incoming_findings) = match at {
        Some(at) if assess && person_held => {
            let person = &v[PERSON_AT..SETTLED_AT];
            telling_apart(person, at, database_value.as_deref(), incoming_value.as_deref())
        }
        _ => Default::default(),
    };
    Ok(NotedConflict {
        conflict_id: conflict_id(&load_id, &record_id, &field),
        noted_at: UtcTime::read_sql_text(v[7].unwrap_or_default(), "conflicts")?,
        batch_id: owned(1),
        database_value,
        incoming_value,
        person_held,
        value_now: at.and_then(|at| owned(PERSON_AT + at)),
        database_findings,
        incoming_findings,
        load_id,
        person_id,
        field,
        record_id,
        settled,
        reopened: Vec::new(),
    })
}

/// What validation finds of a person (`person`: their values in [`COLUMNS`]' order)
/// given the database's value of the field at `at`, and not given the incoming one; and
/// the other way round. Warnings and errors, by their messages.
fn telling_apart(
    person: &[Option<&str>],
    at: usize,
    database: Option<&str>,
    incoming: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    let findings = |value: Option<&str>| -> Vec<String> {
        let mut fields = RecordFields::default();
        for (i, (field, _, _)) in COLUMNS.iter().enumerate() {
            // A value the schema cannot hold (none can: these are its own) is left out.
            let _ = fields.set(*field, if i == at { value } else { person[i] });
        }
        validate_fields(&fields)
            .into_iter()
            .filter(|f| f.severity >= Severity::Warning)
            .map(|f| f.message)
            .collect()
    };
    let (with_database, with_incoming) = (findings(database), findings(incoming));
    let only = |these: &[String], not: &[String]| -> Vec<String> {
        these.iter().filter(|m| !not.contains(m)).cloned().collect()
    };
    (
        only(&with_database, &with_incoming),
        only(&with_incoming, &with_database),
    )
}

/// The conflicts a `resolve` settles: named by their ids, or the open ones a filter
/// selects.
#[derive(Debug, Clone)]
pub enum Selection {
    Ids(Vec<String>),
    Open(Filter),
}

impl Selection {
    /// Refuses a filter of a field no conflict can be of ([`Filter::check`]).
    fn check(&self) -> Result<()> {
        match self {
            Selection::Open(filter) => filter.check(),
            Selection::Ids(_) => Ok(()),
        }
    }
}

/// What a `resolve` did.
#[derive(Debug, Clone, Serialize)]
pub struct Resolved {
    /// `kept` or `replaced`.
    pub decision: String,
    /// The conflicts settled, by id.
    pub settled: Vec<String>,
    /// Persons' values changed (a replacement whose value the person already had, by
    /// another conflict of the same value settled, changes nothing).
    pub corrected: u64,
    pub decided_at: UtcTime,
}

/// Settles the conflicts `selection` names, in one transaction, keeping `keep`'s value;
/// `by` names who decided, `note` why. Refused, changing nothing, when a conflict named
/// is unknown or settled already, or when an incoming value cannot be taken: the person
/// is gone, their value changed since the conflict was noted, or two conflicts offer the
/// same person's field two values.
pub fn resolve(db: &mut Database, selection: &Selection, keep: Keep, by: &str, note: Option<&str>) -> Result<Resolved> {
    if by.trim().is_empty() {
        bail!("a decision names who made it (--by)");
    }
    selection.check()?;
    db.exclusively(|db, at| {
        let chosen = choose(db, selection, false)?;
        let mut decisions = Rows::with_capacity(&tables::CONFLICT_DECISIONS, chosen.len());
        for c in &chosen {
            decisions.push([
                Some(c.conflict_id.as_str()),
                Some(c.load_id.as_str()),
                Some(c.person_id.as_str()),
                Some(c.field.as_str()),
                c.database_value.as_deref(),
                c.incoming_value.as_deref(),
                Some(c.record_id.as_str()),
            ]);
        }
        db.append(&decisions, &[Some(keep.decision()), Some(by), note], at)?;
        let corrected = match keep {
            Keep::Database => 0,
            Keep::Incoming => {
                let corrections = corrections_for(&chosen, Way::Taking, |c| {
                    format!(
                        "conflict {} of load {} (record {})",
                        c.conflict_id, c.load_id, c.record_id
                    )
                })?;
                if corrections.is_empty() {
                    0
                } else {
                    db.append(&corrections, &[Some(by)], at)?;
                    apply_corrections(db)?
                }
            }
        };
        Ok(Resolved {
            decision: keep.decision().to_string(),
            settled: chosen.into_iter().map(|c| c.conflict_id).collect(),
            corrected,
            decided_at: at,
        })
    })
}

/// The conflicts `selection` names, each settled if `settled` (to reopen), else open (to
/// settle).
fn choose(db: &mut Database, selection: &Selection, settled: bool) -> Result<Vec<NotedConflict>> {
    let state = if settled { "settled" } else { "open" };
    match selection {
        Selection::Open(filter) => {
            let chosen: Vec<NotedConflict> = read(
                db,
                &Filter {
                    with_settled: settled,
                    ..filter.clone()
                },
                None,
            )?
            .into_iter()
            .filter(|c| c.settled.is_some() == settled)
            .collect();
            if chosen.is_empty() {
                bail!("no {state} conflict {}", described(filter));
            }
            Ok(chosen)
        }
        Selection::Ids(ids) => {
            let named: HashSet<&str> = ids.iter().map(String::as_str).collect();
            let mut all = read(
                db,
                &Filter {
                    with_settled: true,
                    ..Filter::default()
                },
                Some(&named),
            )?;
            let mut chosen = Vec::with_capacity(ids.len());
            for id in ids {
                let Some(at) = all.iter().position(|c| &c.conflict_id == id) else {
                    if chosen.iter().any(|c: &NotedConflict| &c.conflict_id == id) {
                        continue;
                    }
                    bail!("no conflict {id} in this database (`ledgerline conflicts list` names them)");
                };
                let c = all.swap_remove(at);
                match (&c.settled, settled) {
                    (Some(s), false) => bail!(
                        "conflict {id} was settled already: {} by {} at {} (`conflicts reopen` takes a decision back)",
                        s.decision,
                        s.decided_by,
                        s.decided_at.rfc3339()
                    ),
                    (None, true) => bail!("conflict {id} is open: there is no decision to reopen"),
                    _ => chosen.push(c),
                }
            }
            Ok(chosen)
        }
    }
}

/// A filter in words, for a message.
fn described(f: &Filter) -> String {
    let mut parts = Vec::new();
    if let Some(l) = &f.load_id {
        parts.push(format!("of load {l}"));
    }
    if let Some(p) = &f.person_id {
        parts.push(format!("of person {p}"));
    }
    if let Some(field) = &f.field {
        parts.push(format!("in {field}"));
    }
    parts.join(" ")
}

/// Which way a correction goes: to the incoming value from the database's (a decision
/// taking it), or back (that decision reopened).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Taking,
    GivingBack,
}

impl Way {
    /// The value a person's field has before, and after.
    fn values(self, c: &NotedConflict) -> (&Option<String>, &Option<String>) {
        match self {
            Way::Taking => (&c.database_value, &c.incoming_value),
            Way::GivingBack => (&c.incoming_value, &c.database_value),
        }
    }
}

/// The corrections that change each person's field of `chosen` the `way` it goes, each
/// given its `reason`: one per person and field whose value is not that one already.
/// Refused when a person is gone (nothing is given back to one), a value changed since
/// (the conflict was noted, the decision took it), or two conflicts would give one
/// person's field two values.
fn corrections_for<'c>(
    chosen: impl IntoIterator<Item = &'c NotedConflict>,
    way: Way,
    reason: impl Fn(&NotedConflict) -> String,
) -> Result<Rows<'static>> {
    let mut offered: std::collections::BTreeMap<(&str, &str), &NotedConflict> = Default::default();
    for c in chosen {
        if !c.person_held {
            if way == Way::GivingBack {
                continue;
            }
            bail!(
                "conflict {}: person {} is no longer in the database",
                c.conflict_id,
                c.person_id
            );
        }
        let (before, after) = way.values(c);
        if &c.value_now != before && &c.value_now != after {
            let since = match way {
                Way::Taking => "as when the conflict was noted",
                Way::GivingBack => "as the decision left it",
            };
            bail!(
                "conflict {}: person {}'s {} is {} now, not {} {since}; list the conflicts again",
                c.conflict_id,
                c.person_id,
                c.field,
                shown(&c.value_now),
                shown(before)
            );
        }
        if let Some(other) = offered.insert((&c.person_id, &c.field), c) {
            if way.values(other).1 != after {
                let (offer, one_at_a_time) = match way {
                    Way::Taking => ("offer", "settle"),
                    Way::GivingBack => ("would give back to", "reopen"),
                };
                bail!(
                    "conflicts {} and {} {offer} person {} two values of {} ({} and {}): {one_at_a_time} them \
                     one at a time",
                    other.conflict_id,
                    c.conflict_id,
                    c.person_id,
                    c.field,
                    shown(way.values(other).1),
                    shown(after)
                );
            }
        }
    }
    let mut rows = Rows::new(&tables::CORRECTIONS);
    for c in offered.into_values() {
        let after = way.values(c).1;
        if &c.value_now == after {
            continue;
        }
        let (_, column, _) = COLUMNS[column_at(&c.field).expect("a conflict's field is one a load compares")];
        rows.push([
            Some(c.person_id.clone()),
            Some(column.to_string()),
            c.value_now.clone(),
            after.clone(),
            Some(reason(c)),
        ]);
    }
    Ok(rows)
}

fn shown(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("(none)")
}

/// Gives each person's column the value of the latest correction held of it, where it
/// has another: after a decision here, and after an exchange package brought
/// corrections (packages may come in any order; the latest correction wins). The rows
/// changed.
pub(crate) fn apply_corrections(db: &mut Database) -> Result<u64> {
    let mut changed = 0;
    for (_, column, kind) in COLUMNS {
        let kind = kind.sql();
        changed += db.execute(
            &format!(
                "UPDATE deceased SET {column} = CAST(c.value AS {kind})
                 FROM (SELECT person_id, value,
                              row_number() OVER (PARTITION BY person_id ORDER BY corrected_at DESC) AS n
                       FROM corrections WHERE column_name = '{column}') AS c
                 WHERE c.n = 1 AND c.person_id = deceased.person_id
                   AND deceased.{column} IS DISTINCT FROM CAST(c.value AS {kind})"
            ),
            &[],
        )?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A correction casts its value to the type the column has.
    #[test]
    fn each_column_is_of_its_declared_type() {
        for (_, column, kind) in COLUMNS {
            let (_, declared) = tables::DECEASED
                .columns
                .iter()
                .find(|(c, _)| *c == column)
                .unwrap_or_else(|| panic!("deceased has no column {column}"));
            assert_eq!(*declared, kind, "{column}");
        }
    }

    #[test]
    fn a_conflict_id_names_its_load_record_and_field() {
        let id = conflict_id("L1", "R1", "death_date");
        assert_eq!(id.len(), 17);
        assert!(id.starts_with('C'));
        assert_eq!(id, conflict_id("L1", "R1", "death_date"));
        for other in [
            conflict_id("L2", "R1", "death_date"),
            conflict_id("L1", "R2", "death_date"),
            conflict_id("L1", "R1", "birth_date"),
            // The parts are kept apart: moving a character from one to the next is another id.
            conflict_id("L1R", "1", "death_date"),
        ] {
            assert_ne!(id, other);
        }
    }
}
