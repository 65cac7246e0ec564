//! Links between the persons of one death that two provinces sent (the death and
//! cremation in one, the burial in the home province): each province's person is kept
//! as sent, and `person_links` says they are one death (see
//! `schemas/province/0006_person_links.sql`).
//!
//! `exchange import` links a person it adds when the database holds a person under the
//! same full ID number whose name and death date agree as well (or, under a number held
//! by no one, a person of the same package agreeing on all three); the others sharing an
//! ID number are named for the national DBA, who links and takes links back by hand
//! ([`decide`]) from the list of deaths and of persons sharing an ID number ([`list`]).
//! A person unloaded or withdrawn leaves its death; the next of the death's persons
//! becomes its first ([`leave_with_load`]).

mod carried;
mod decide;
mod list;

pub(crate) use carried::follow;
pub use carried::{Followed, NotFollowed, ProvinceLinks};
pub use decide::{link, unlink, Decided};
pub use list::{list, Compared, Death, FieldCompared, LinkedMember, Links, Member, SameIdNumber, Sharing};

use anyhow::Result;
use serde::Serialize;

use crate::tables::{Rows, PERSON_LINKS};
use crate::{Database, UtcTime};

/// What agreed for a link `exchange import` makes.
pub const AGREED_AT_IMPORT: &str = "id_number,name,death_date";
/// Who makes the links an exchange import makes.
pub const IMPORT: &str = "exchange import";
/// Who makes the links a live import makes.
pub const LIVE_IMPORT: &str = "live import";
/// What `agreed` says of a link the DBA made.
pub const BY_HAND: &str = "dba";

/// A person an import linked to a death the database held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Linked {
    pub person_id: String,
    /// The first person of the death.
    pub linked_to: String,
    pub id_number: String,
}

/// A person an import added, whose full ID number the database held under a person of
/// another death, not linked to it: for the national DBA to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldOtherwise {
    pub person_id: String,
    pub id_number: String,
    pub held_person_id: String,
    /// The fields that differ from the held person's: `name`, `death_date` (also when
    /// either has none).
    pub differs: Vec<&'static str>,
    /// The DBA took back a link of this person to the held person's death before (the
    /// person was withdrawn and sent again): it is not made again.
    pub unlinked_before: bool,
    /// How the person compares with the held person, field by field (as `exchange
    /// links` compares persons of deaths sharing an ID number).
    pub compared: Vec<FieldCompared>,
}

/// A person of an import and one of the persons held under its ID number.
struct Candidate<'r> {
    person_id: &'r str,
    id_number: &'r str,
    held_person_id: &'r str,
    differs: Vec<&'static str>,
    /// The first person of the held person's death.
    death: &'r str,
    unlinked_before: bool,
    /// The two persons' rows as [`list::compared_columns`] reads them: the arriving
    /// person's, then the held one's.
    rows: [&'r [Option<String>]; 2],
}

/// Persons coming into the database, and those it held before them.
pub(crate) struct Arriving {
    /// A relation of deceased rows: the persons coming in, none of them held before.
    persons: String,
    /// A relation of the deceased rows held before them.
    held: String,
    /// Who makes the links, as they record it.
    by: &'static str,
}

impl Arriving {
    /// The persons of a package's deceased rows (`source`, not added yet) new to the
    /// database.
    pub(crate) fn package(source: &str) -> Arriving {
        Arriving {
            persons: format!(
                "(SELECT * FROM {source} s WHERE NOT EXISTS (SELECT 1 FROM deceased x WHERE x.person_id = s.person_id))"
            ),
            held: "deceased".to_string(),
            by: IMPORT,
        }
    }

    /// The persons a live import added, its rows stamped `at`.
    pub(crate) fn live(at: UtcTime) -> Arriving {
        let added = format!("origin = 'live' AND loaded_at = CAST('{}' AS TIMESTAMP)", at.sql_text());
        Arriving {
            persons: format!("(SELECT * FROM deceased WHERE {added})"),
            held: format!("(SELECT * FROM deceased WHERE NOT ({added}))"),
            by: LIVE_IMPORT,
        }
    }
}

/// Links the `arriving` persons to the death of a held person of the same full ID number,
/// name and death date, or, when none is held under the number, to the first of the
/// arriving persons sharing all three (a province's two funeral systems sent one death);
/// names those whose ID number is held but who are not linked.
pub(crate) fn link_arriving(
    db: &mut Database,
    arriving: &Arriving,
    at: UtcTime,
) -> Result<(Vec<Linked>, Vec<HeldOtherwise>)> {
    let (mut linked, held_otherwise) = link_to_held(db, arriving)?;
    linked.extend(link_among_arriving(db, arriving)?);
    let pairs: Vec<(&str, &str)> = linked
        .iter()
        .map(|l| (l.person_id.as_str(), l.linked_to.as_str()))
        .collect();
    insert(db, &pairs, AGREED_AT_IMPORT, arriving.by, None, at)?;
    Ok((linked, held_otherwise))
}

/// The links of [`link_arriving`] to held persons' deaths, and the persons named.
fn link_to_held(db: &mut Database, arriving: &Arriving) -> Result<(Vec<Linked>, Vec<HeldOtherwise>)> {
    let Arriving { persons, held, .. } = arriving;
    let taken_back = taken_back("p.person_id", "COALESCE(k.linked_to, d.person_id)");
    let rows = db.texts(
        &format!(
            "SELECT p.person_id, p.id_number, p.name, CAST(p.death_date AS VARCHAR),
                    d.person_id, d.name, CAST(d.death_date AS VARCHAR), COALESCE(k.linked_to, d.person_id),
                    CASE WHEN {taken_back} THEN 'yes' END, {}, {}
             FROM {persons} p
             JOIN {held} d ON d.id_number = p.id_number AND d.person_id <> p.person_id
             LEFT JOIN person_links k ON k.person_id = d.person_id AND k.unlinked_at IS NULL
             WHERE length(p.id_number) = 18
             ORDER BY p.person_id, d.person_id",
            list::compared_columns("p"),
            list::compared_columns("d")
        ),
        &[],
        CANDIDATE_WIDTH,
    )?;
    let candidates: Vec<Candidate> = rows.chunks(CANDIDATE_WIDTH).map(candidate).collect();
    let mut linked = Vec::new();
    let mut held_otherwise = Vec::new();
    for of_person in candidates.chunk_by(|a, b| a.person_id == b.person_id) {
        let agreeing = of_person.iter().find(|c| c.differs.is_empty() && !c.unlinked_before);
        match agreeing {
            Some(c) => linked.push(Linked {
                person_id: c.person_id.to_string(),
                linked_to: c.death.to_string(),
                id_number: c.id_number.to_string(),
            }),
            None => {
                let c = &of_person[0];
                held_otherwise.push(HeldOtherwise {
                    person_id: c.person_id.to_string(),
                    id_number: c.id_number.to_string(),
                    held_person_id: c.held_person_id.to_string(),
                    differs: c.differs.clone(),
                    unlinked_before: c.unlinked_before,
                    compared: list::field_levels(&list::prepared(c.rows[0]), &list::prepared(c.rows[1])),
                });
            }
        }
    }
    Ok((linked, held_otherwise))
}

/// The links of [`link_arriving`] among the arriving persons of a full ID number the
/// database held no one under: each to the first (by person id) of those sharing its ID
/// number, name and death date, unless the DBA took that link back before.
fn link_among_arriving(db: &mut Database, arriving: &Arriving) -> Result<Vec<Linked>> {
    let Arriving { persons, held, .. } = arriving;
    let taken_back = taken_back("w.person_id", "w.first");
    let rows = db.texts(
        &format!(
            "SELECT w.person_id, w.id_number, w.first FROM (
                 SELECT p.person_id, p.id_number, min(q.person_id) AS first FROM {persons} p
                 JOIN {persons} q ON q.id_number = p.id_number AND q.name = p.name
                                AND q.death_date = p.death_date AND q.person_id < p.person_id
                 WHERE length(p.id_number) = 18
                   AND NOT EXISTS (SELECT 1 FROM {held} d WHERE d.id_number = p.id_number)
                 GROUP BY p.person_id, p.id_number) w
             WHERE NOT {taken_back}
             ORDER BY w.person_id"
        ),
        &[],
        3,
    )?;
    Ok(rows
        .chunks(3)
        .map(|v| {
            let [person_id, id_number, linked_to] = [0, 1, 2].map(|i| v[i].clone().unwrap_or_default());
            Linked {
                person_id,
                linked_to,
                id_number,
            }
        })
        .collect())
}

/// The columns of [`link_to_held`]'s query: nine, and the two persons' compared columns.
const CANDIDATE_WIDTH: usize = 9 + 2 * list::COMPARED_WIDTH;

/// A row of [`link_to_held`]'s query as a candidate.
fn candidate(v: &[Option<String>]) -> Candidate<'_> {
    let text = |i: usize| v[i].as_deref();
    let mut differs = Vec::new();
    if text(2) != text(5) {
        differs.push("name");
    }
    if text(3).is_none() || text(3) != text(6) {
        differs.push("death_date");
    }
    Candidate {
        person_id: text(0).unwrap_or_default(),
        id_number: text(1).unwrap_or_default(),
        held_person_id: text(4).unwrap_or_default(),
        differs,
        death: text(7).unwrap_or_default(),
        unlinked_before: text(8).is_some(),
        rows: [&v[9..9 + list::COMPARED_WIDTH], &v[9 + list::COMPARED_WIDTH..]],
    }
}

/// Adds links of each `(person, first person of the death)`, through the engine's bulk
/// path: 150,000 links an import made took 54 s as `INSERT … VALUES` statements of 500.
fn insert(
    db: &mut Database,
    pairs: &[(&str, &str)],
    agreed: &str,
    by: &str,
    note: Option<&str>,
    at: UtcTime,
) -> Result<()> {
    let mut rows = Rows::with_capacity(&PERSON_LINKS, pairs.len());
    for (person, death) in pairs {
        rows.push([Some(*person), Some(*death)]);
    }
    db.append(&rows, &[Some(agreed), Some(by), note], at)?;
    Ok(())
}

/// Takes `person`'s link to its death back: the row stays, with who took it back, when
/// and why, and an import does not make the link again.
fn take_back(db: &mut Database, person: &str, by: &str, note: &str, at: UtcTime) -> Result<()> {
    db.execute(
        "UPDATE person_links SET unlinked_by = $1, unlink_note = $2,
                unlinked_at = CAST(CAST($3 AS VARCHAR) AS TIMESTAMP)
         WHERE person_id = $4 AND unlinked_at IS NULL",
        &[by, note, &at.sql_text(), person],
    )?;
    Ok(())
}

/// Keeps `person` apart from the death of first person `death`: a link taken back the
/// moment it is made, which an import does not make again.
fn keep_apart(db: &mut Database, person: &str, death: &str, by: &str, note: &str, at: UtcTime) -> Result<()> {
    insert(db, &[(person, death)], BY_HAND, by, None, at)?;
    db.execute(
        "UPDATE person_links SET unlinked_by = $1, unlink_note = $2, unlinked_at = linked_at
         WHERE person_id = $3 AND linked_to = $4 AND unlinked_at IS NULL",
        &[by, note, person, death],
    )?;
    Ok(())
}

/// Takes the persons load `load_id` inserted out of their deaths, before their rows are
/// deleted: their links end (links taken back stay, as decisions), and a death whose
/// first person leaves has the next linked of its persons for its first.
pub(crate) fn leave_with_load(db: &mut Database, load_id: &str) -> Result<()> {
    if db
        .text(
            "SELECT person_id FROM person_links WHERE unlinked_at IS NULL LIMIT 1",
            &[],
        )?
        .is_none()
    {
        return Ok(());
    }
    db.execute(
        "DELETE FROM person_links WHERE unlinked_at IS NULL
           AND person_id IN (SELECT person_id FROM deceased WHERE load_id = $1)",
        &[load_id],
    )?;
    let staying = db.texts(
        "SELECT linked_to, person_id FROM person_links WHERE unlinked_at IS NULL
           AND linked_to IN (SELECT person_id FROM deceased WHERE load_id = $1)
         ORDER BY linked_to, linked_at, person_id",
        &[load_id],
        2,
    )?;
    let rows: Vec<[&str; 2]> = staying
        .chunks(2)
        .map(|v| [v[0].as_deref().unwrap_or_default(), v[1].as_deref().unwrap_or_default()])
        .collect();
    for death in rows.chunk_by(|a, b| a[0] == b[0]) {
        let [leaving, first] = death[0];
        db.execute(
            "DELETE FROM person_links WHERE unlinked_at IS NULL AND person_id = $1",
            &[first],
        )?;
        repoint(db, leaving, first)?;
    }
    Ok(())
}

/// The condition (SQL) that the DBA took back a link of `person` to the death of `death`
/// (or kept the two apart): each an SQL expression. An import does not make it again.
/// The decision named the death's first person then: one that has since joined `death`
/// (its first person linked to `death`'s) is of `death` now, and the decision holds.
fn taken_back(person: &str, death: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM person_links u WHERE u.person_id = {person} AND u.unlinked_at IS NOT NULL \
         AND {})",
        of_death("u.linked_to", death)
    )
}

/// The condition (SQL) that `person` is of the death of first person `first` now: it is
/// that first person, or linked to it. What a decision named is read through this, so
/// the decision holds once the death it named has joined another.
fn of_death(person: &str, first: &str) -> String {
    format!(
        "({person} = {first} OR EXISTS (SELECT 1 FROM person_links j WHERE j.person_id = {person} \
         AND j.linked_to = {first} AND j.unlinked_at IS NULL))"
    )
}

/// Moves the persons linked to `from` to the death of `to` (a death's first person
/// leaving it, or joining another death with its own).
fn repoint(db: &mut Database, from: &str, to: &str) -> Result<()> {
    db.execute(
        "UPDATE person_links SET linked_to = $1 WHERE unlinked_at IS NULL AND linked_to = $2",
        &[to, from],
    )?;
    Ok(())
}

/// Refuses persons the database does not hold, naming them.
fn require_persons(db: &mut Database, persons: &[&str]) -> Result<()> {
    match missing_person(db, persons)? {
        Some(missing) => Err(anyhow::anyhow!(missing)),
        None => Ok(()),
    }
}

/// The first of `persons` the database does not hold, said so, if any.
fn missing_person(db: &mut Database, persons: &[&str]) -> Result<Option<String>> {
    for p in persons {
        if db
            .text("SELECT person_id FROM deceased WHERE person_id = $1", &[p])?
            .is_none()
        {
            return Ok(Some(format!("the database holds no person {p}")));
        }
    }
    Ok(None)
}

/// The first person of `person`'s death: the one it is linked to, or itself.
fn death_of(db: &mut Database, person: &str) -> Result<String> {
    Ok(db
        .text(
            "SELECT linked_to FROM person_links WHERE person_id = $1 AND unlinked_at IS NULL",
            &[person],
        )?
        .unwrap_or_else(|| person.to_string()))
}

#[cfg(test)]
mod tests;
