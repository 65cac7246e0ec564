//! Taking decisions back. A DBA who settled conflicts wrongly (a whole load's taken where
//! one field's was meant, a source misread) reopens them: each decision moves from
//! `conflict_decisions` to `reopened_decisions`, with who reopened it, when and why, and
//! its conflict is open again. A value a decision took is given back by a correction of
//! its own, which the next exchange package carries like any other: the national
//! database, which applies the latest correction of each person's field, gives it back
//! too. Nothing is deleted from the record of what was decided.

use std::collections::HashMap;

use anyhow::{bail, Result};
use serde::Serialize;

use super::{apply_corrections, choose, corrections_for, Selection, Settled, Way};
use crate::exchange::sql_text;
use crate::{Database, UtcTime};

/// What a `reopen` did.
#[derive(Debug, Clone, Serialize)]
pub struct Reopened {
    /// The conflicts open again, by id.
    pub reopened: Vec<String>,
    /// Persons' values given back: a value a decision took, which the person still had.
    pub given_back: u64,
    pub reopened_at: UtcTime,
}

/// A decision on a conflict taken back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reopening {
    /// The decision as it was: kept or replaced, who made it, when and why.
    pub was: Settled,
    pub reopened_by: String,
    pub reopened_at: UtcTime,
    /// Why it was taken back.
    pub note: String,
}

/// The decisions taken back, by conflict, each conflict's the earliest first. None in a
/// database of a schema version before decisions could be.
pub(super) fn history(db: &mut Database) -> Result<HashMap<String, Vec<Reopening>>> {
    let mut by_conflict: HashMap<String, Vec<Reopening>> = HashMap::new();
    if !db.has_table("reopened_decisions")? {
        return Ok(by_conflict);
    }
    let rows = db.texts(
        "SELECT conflict_id, decision, decided_by, note, CAST(decided_at AS VARCHAR),
                reopened_by, reopen_note, CAST(reopened_at AS VARCHAR)
         FROM reopened_decisions ORDER BY reopened_at, conflict_id",
        &[],
        8,
    )?;
    for row in rows.chunks(8) {
        let v: Vec<Option<&str>> = row.iter().map(Option::as_deref).collect();
        let was = Settled::read(&v[1..5], "reopened_decisions")?.expect("a decision reopened was made");
        by_conflict
            .entry(v[0].unwrap_or_default().to_string())
            .or_default()
            .push(Reopening {
                was,
                reopened_by: v[5].unwrap_or_default().to_string(),
                reopened_at: UtcTime::read_sql_text(v[7].unwrap_or_default(), "reopened_decisions")?,
                note: v[6].unwrap_or_default().to_string(),
            });
    }
    Ok(by_conflict)
}

/// Reopens the settled conflicts `selection` names, in one transaction; `by` names who
/// reopened them, `note` why. Refused, changing nothing, when a conflict named is unknown
/// or open, or when a value taken cannot be given back: the person's value changed since
/// the decision, or two decisions would give one person's field back two values.
pub fn reopen(db: &mut Database, selection: &Selection, by: &str, note: &str) -> Result<Reopened> {
    if by.trim().is_empty() {
        bail!("a reopened decision names who reopened it (--by)");
    }
    if note.trim().is_empty() {
        bail!("a reopened decision says why it was reopened (--note)");
    }
    selection.check()?;
    db.exclusively(|db, at| {
        let chosen = choose(db, selection, true)?;
        let taken = chosen
            .iter()
            .filter(|c| c.settled.as_ref().is_some_and(|s| s.decision == "replaced"));
        let back = corrections_for(taken, Way::GivingBack, |c| {
            format!("conflict {} reopened: {note}", c.conflict_id)
        })?;
        let moved = move_decisions(db, selection, by, note, at)?;
        if moved != chosen.len() as u64 {
            bail!(
                "{} decisions were to be reopened, {moved} were found: nothing was reopened",
                chosen.len()
            );
        }
        let given_back = if back.is_empty() {
            0
        } else {
            db.append(&back, &[Some(by)], at)?;
            apply_corrections(db)?
        };
        Ok(Reopened {
            reopened: chosen.into_iter().map(|c| c.conflict_id).collect(),
            given_back,
            reopened_at: at,
        })
    })
}

/// Moves the decisions `selection` names to `reopened_decisions`. Those of conflicts
/// still noted only, as [`choose`] chose them: a decision outlives the conflicts an
/// unload took out. The decisions moved.
fn move_decisions(db: &mut Database, selection: &Selection, by: &str, note: &str, at: UtcTime) -> Result<u64> {
    let which = match selection {
        Selection::Ids(ids) => {
            let ids: Vec<String> = ids.iter().map(|id| sql_text(id)).collect();
            format!("conflict_id IN ({})", ids.join(", "))
        }
        Selection::Open(filter) => {
            let mut conditions = vec!["EXISTS (SELECT 1 FROM conflicts c
                 WHERE c.load_id = conflict_decisions.load_id AND c.source_key = conflict_decisions.source_key
                   AND c.field = conflict_decisions.field)"
                .to_string()];
            conditions.extend(filter.conditions(""));
            conditions.join(" AND ")
        }
    };
    let decision = "conflict_id, load_id, person_id, field, database_value, incoming_value, source_key, \
                    decision, decided_by, note, decided_at";
    let moved = db.execute(
        &format!(
            "INSERT INTO reopened_decisions ({decision}, reopened_by, reopen_note, reopened_at)
             SELECT {decision}, $1, $2, CAST(CAST($3 AS VARCHAR) AS TIMESTAMP)
             FROM conflict_decisions WHERE {which}"
        ),
        &[by, note, &at.sql_text()],
    )?;
    db.execute(&format!("DELETE FROM conflict_decisions WHERE {which}"), &[])?;
    Ok(moved)
}
