//! The national DBA's decisions on deaths: a person linked to another's death by hand,
//! a link taken back, or two deaths kept apart that share an ID number. Each decision is
//! one transaction, under the database's exclusive lock, and kept with who made it,
//! when and why.

use anyhow::{bail, Result};
use serde::Serialize;

use super::{death_of, insert, keep_apart, repoint, require_persons, take_back, taken_back, BY_HAND};
use crate::{Database, UtcTime};

/// A decision made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decided {
    /// `linked`, `unlinked` or `kept_apart`.
    pub decision: &'static str,
    pub person_id: String,
    /// The first person of the death the person joined, left or was kept apart from.
    pub death: String,
    /// The persons linked to `person_id` that joined the death with it.
    pub moved: Vec<String>,
    pub by: String,
    pub note: Option<String>,
    pub at: UtcTime,
}

/// Links `person` (and the persons linked to it) to the death of `to`. Refused when
/// either is not in the database, they are one death already, or `person` is linked to
/// another death (it is unlinked first).
pub fn link(db: &mut Database, person: &str, to: &str, by: &str, note: Option<&str>) -> Result<Decided> {
    db.exclusively(|db, at| {
        require_persons(db, &[person, to])?;
        if person == to {
            bail!("{person} cannot be linked to itself");
        }
        let death = death_of(db, to)?;
        let own = death_of(db, person)?;
        if own == death {
            bail!("{person} and {to} are one death already (its first person is {death})");
        }
        if own != person {
            bail!("{person} is linked to the death of {own}: unlink it first (ledgerline exchange unlink {person})");
        }
        let moved = linked_to(db, person)?;
        repoint(db, person, &death)?;
        insert(db, &[(person, &death)], BY_HAND, by, note, at)?;
        Ok(Decided {
            decision: "linked",
            person_id: person.to_string(),
            death,
            moved,
            by: by.to_string(),
            note: note.map(str::to_string),
            at,
        })
    })
}

/// Takes back `person`'s link to its death (`from`, if given, must be of that death), or,
/// when `person` is linked to none, keeps its death apart from `from`'s: an import does
/// not link them again, and `exchange links` no longer lists their ID number as shared
/// by deaths to look at. The link's row stays, with who took it back, when and why.
pub fn unlink(db: &mut Database, person: &str, from: Option<&str>, by: &str, note: &str) -> Result<Decided> {
    db.exclusively(|db, at| {
        require_persons(db, &[Some(person), from].into_iter().flatten().collect::<Vec<_>>())?;
        if from == Some(person) {
            bail!("{person} cannot be kept apart from itself");
        }
        let own = death_of(db, person)?;
        let from_death = from.map(|f| death_of(db, f)).transpose()?;
        let decided = |decision, death: String| Decided {
            decision,
            person_id: person.to_string(),
            death,
            moved: Vec::new(),
            by: by.to_string(),
            note: Some(note.to_string()),
            at,
        };
        if own != person {
            if let (Some(f), Some(d)) = (from, &from_death) {
                if *d != own {
                    bail!("{person} is linked to the death of {own}, not to {f}'s");
                }
            }
            take_back(db, person, by, note, at)?;
            return Ok(decided("unlinked", own));
        }
        let linked = linked_to(db, person)?;
        match (from, from_death) {
            (Some(f), Some(death)) if death == person => {
                bail!("{f} is linked to {person}'s death: unlink {f} instead")
            }
            (Some(_), Some(death)) => {
                let apart_before = db.text(
                    &format!("SELECT 'yes' WHERE {}", taken_back("$1", "$2")),
                    &[person, &death],
                )?;
                if apart_before.is_some() {
                    bail!("{person} is kept apart from the death of {death} already");
                }
                keep_apart(db, person, &death, by, note, at)?;
                Ok(decided("kept_apart", death))
            }
            _ if !linked.is_empty() => bail!(
                "{person} is the first person of its death: unlink the persons linked to it instead ({})",
                linked.join(", ")
            ),
            _ => bail!("{person} is linked to no death; to keep it apart from another's, give --from PERSON"),
        }
    })
}

/// The persons linked to `first`.
fn linked_to(db: &mut Database, first: &str) -> Result<Vec<String>> {
    Ok(db
        .texts(
            "SELECT person_id FROM person_links WHERE unlinked_at IS NULL AND linked_to = $1 ORDER BY person_id",
            &[first],
            1,
        )?
        .into_iter()
        .flatten()
        .collect())
}
