//! A province's own links and decisions on its deaths, carried by its exchange package
//! (`person_links.parquet`) and followed by the database importing it: a death the
//! province's DBA made one of two persons whose names differ by a variant character is
//! one death in the nation too, not two counted and named again for the national DBA; a
//! link the province took back is not made again by the nation's own rule.
//!
//! The rows are followed in the order the province made them. Most are links the nation
//! made itself by the same rule, found so in one query; the rest, one by one:
//! - a link: the two persons' deaths become one (the smaller joining the larger, the
//!   province's first staying on a tie), unless the two deaths were kept apart here;
//! - a link taken back, or two deaths kept apart: the persons' deaths, if one here, are
//!   parted (the link that made them one taken back), unless the national DBA linked
//!   them by hand; and kept apart, so that no later import links them again.
//!
//! What is not followed is named with why, for the national DBA.

use anyhow::Result;
use serde::Serialize;

use super::{death_of, insert, keep_apart, missing_person, of_death, repoint, take_back, BY_HAND};
use crate::{Database, UtcTime};

/// What an import did with the links and decisions a province's package carried.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProvinceLinks {
    /// Links and decisions the package carried.
    pub carried: u64,
    /// Those the database held so already: the persons one death here, or their deaths
    /// kept apart.
    pub held_so: u64,
    pub followed: Vec<Followed>,
    pub not_followed: Vec<NotFollowed>,
}

/// A province's link or decision the import followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Followed {
    pub person_id: String,
    /// The person the province linked it to or kept it apart from.
    pub linked_to: String,
    /// `linked` (their deaths made one), `unlinked` (a link here taken back) or
    /// `kept_apart`.
    pub decision: &'static str,
    /// The first person of the death it joined, left or was kept apart from, here.
    pub death: String,
    /// Who decided, in the province.
    pub by: String,
}

/// A province's link or decision the import did not follow, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotFollowed {
    pub person_id: String,
    pub linked_to: String,
    /// `linked` or `kept_apart`: what the province holds of the two.
    pub province_holds: &'static str,
    pub why: String,
}

/// One row the package carried: `person` linked to (or kept apart from) `to`'s death.
struct Carried {
    person: String,
    to: String,
    agreed: String,
    by: String,
    note: Option<String>,
    /// Who took the link back, and why, if it was.
    apart: Option<(String, Option<String>)>,
}

/// Follows the links and decisions of province `province`'s package, `source` (a
/// relation shaped as `person_links`), once its persons are added.
pub(crate) fn follow(db: &mut Database, source: &str, province: &str, at: UtcTime) -> Result<ProvinceLinks> {
    let carried = db
        .text(&format!("SELECT CAST(count(*) AS VARCHAR) FROM {source}"), &[])?
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    // A link whose persons are one death here already is held so: most links a
    // province made, its import rule's, the nation's import made too.
    let rows = db.texts(
        &format!(
            "SELECT c.person_id, c.linked_to, c.agreed, c.linked_by, c.note, c.unlinked_by, c.unlink_note,
                    CASE WHEN c.unlinked_at IS NOT NULL THEN 'apart' END
             FROM {source} c
             LEFT JOIN person_links kp ON kp.person_id = c.person_id AND kp.unlinked_at IS NULL
             LEFT JOIN person_links kf ON kf.person_id = c.linked_to AND kf.unlinked_at IS NULL
             WHERE c.unlinked_at IS NOT NULL
                OR COALESCE(kp.linked_to, c.person_id) <> COALESCE(kf.linked_to, c.linked_to)
             ORDER BY COALESCE(c.unlinked_at, c.linked_at), c.person_id, c.linked_to"
        ),
        &[],
        8,
    )?;
    let mut done = ProvinceLinks {
        carried,
        held_so: carried - (rows.len() / 8) as u64,
        ..ProvinceLinks::default()
    };
    let province_by = |by: &str| format!("province {province}: {by}");
    for v in rows.chunks(8) {
        let text = |i: usize| v[i].clone().unwrap_or_default();
        let row = Carried {
            person: text(0),
            to: text(1),
            agreed: text(2),
            by: province_by(&text(3)),
            note: v[4].clone(),
            apart: v[7].is_some().then(|| (province_by(&text(5)), v[6].clone())),
        };
        let outcome = match &row.apart {
            None => follow_link(db, &row, province, at)?,
            Some(_) => follow_apart(db, &row, at)?,
        };
        let province_holds = if row.apart.is_some() { "kept_apart" } else { "linked" };
        match outcome {
            Outcome::HeldSo => done.held_so += 1,
            Outcome::Done { decision, death } => done.followed.push(Followed {
                person_id: row.person,
                linked_to: row.to,
                decision,
                death,
                by: row.apart.map_or(row.by, |(by, _)| by),
            }),
            Outcome::Not(why) => done.not_followed.push(NotFollowed {
                person_id: row.person,
                linked_to: row.to,
                province_holds,
                why,
            }),
        }
    }
    Ok(done)
}

/// What following one row came to.
enum Outcome {
    HeldSo,
    Done { decision: &'static str, death: String },
    Not(String),
}

/// Makes the deaths of a link's two persons one.
fn follow_link(db: &mut Database, row: &Carried, province: &str, at: UtcTime) -> Result<Outcome> {
    if let Some(missing) = not_held(db, row)? {
        return Ok(missing);
    }
    let (a, b) = (death_of(db, &row.person)?, death_of(db, &row.to)?);
    if a == b {
        return Ok(Outcome::HeldSo);
    }
    // A decision of this province's own, arriving in an earlier package, is one it has
    // since gone back on.
    // Either way round, by a person of one death against (a person now of) the other.
    let apart = db.text(
        &format!(
            "SELECT u.unlinked_by FROM person_links u
             WHERE u.unlinked_at IS NOT NULL AND u.unlinked_by NOT LIKE $3
               AND (({} AND {}) OR ({} AND {}))
             LIMIT 1",
            of_death("u.person_id", "$1"),
            of_death("u.linked_to", "$2"),
            of_death("u.person_id", "$2"),
            of_death("u.linked_to", "$1"),
        ),
        &[&a, &b, &format!("province {province}: %")],
    )?;
    if let Some(by) = apart {
        return Ok(Outcome::Not(format!(
            "the deaths of {a} and {b} are kept apart here (by {by})"
        )));
    }
    let (from, into) = if persons_of(db, &a)? > persons_of(db, &b)? {
        (b, a)
    } else {
        (a, b)
    };
    repoint(db, &from, &into)?;
    insert(db, &[(&from, &into)], &row.agreed, &row.by, row.note.as_deref(), at)?;
    Ok(Outcome::Done {
        decision: "linked",
        death: into,
    })
}

/// Parts the deaths of two persons the province kept apart, and keeps them apart.
fn follow_apart(db: &mut Database, row: &Carried, at: UtcTime) -> Result<Outcome> {
    if let Some(missing) = not_held(db, row)? {
        return Ok(missing);
    }
    let (by, note) = row.apart.clone().unwrap_or_default();
    let note = note.as_deref().unwrap_or_default();
    let (a, b) = (death_of(db, &row.person)?, death_of(db, &row.to)?);
    if a != b {
        let kept_before = db.text(
            &format!("SELECT 'yes' WHERE {}", super::taken_back("$1", "$2")),
            &[&row.person, &b],
        )?;
        if kept_before.is_some() {
            return Ok(Outcome::HeldSo);
        }
        keep_apart(db, &row.person, &b, &by, note, at)?;
        return Ok(Outcome::Done {
            decision: "kept_apart",
            death: b,
        });
    }
    // One death here: the one of the two linked to it leaves it (the person, unless it
    // is the death's first).
    let leaving = if a == row.person { &row.to } else { &row.person };
    let link = db.texts(
        "SELECT agreed, linked_by FROM person_links WHERE person_id = $1 AND unlinked_at IS NULL",
        &[leaving],
        2,
    )?;
    let held = |i: usize| link.get(i).cloned().flatten().unwrap_or_default();
    let (agreed, linked_by) = (held(0), held(1));
    if agreed == BY_HAND && !linked_by.starts_with("province ") {
        return Ok(Outcome::Not(format!(
            "{leaving} was linked to the death of {a} here by hand (by {linked_by})"
        )));
    }
    take_back(db, leaving, &by, note, at)?;
    Ok(Outcome::Done {
        decision: "unlinked",
        death: a,
    })
}

/// Why a row cannot be followed, when either of its persons is not held here.
fn not_held(db: &mut Database, row: &Carried) -> Result<Option<Outcome>> {
    Ok(missing_person(db, &[&row.person, &row.to])?.map(Outcome::Not))
}

/// How many persons the death of first person `first` has.
fn persons_of(db: &mut Database, first: &str) -> Result<u64> {
    Ok(db
        .text(
            "SELECT CAST(count(*) + 1 AS VARCHAR) FROM person_links WHERE unlinked_at IS NULL AND linked_to = $1",
            &[first],
        )?
        .and_then(|n| n.parse().ok())
        .unwrap_or(1))
}
