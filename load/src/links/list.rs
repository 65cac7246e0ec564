//! What `ledgerline exchange links` shows: the deaths of more than one person, and the
//! full ID numbers that persons of different deaths share (not kept apart by the DBA).

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use serde::Serialize;

use ledgerline_dedupe::compare::{compare, level_name, CompareField};
use ledgerline_dedupe::{LinkageFields, Prepared};

use super::require_persons;
use crate::{Database, UtcTime};

/// A person as the lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub person_id: String,
    pub name: String,
    pub id_number: Option<String>,
    pub death_date: Option<String>,
}

impl Member {
    /// A member from a query's person_id, name, id_number and death_date.
    fn read(v: &[Option<String>]) -> Member {
        Member {
            person_id: v[0].clone().unwrap_or_default(),
            name: v[1].clone().unwrap_or_default(),
            id_number: v[2].clone(),
            death_date: v[3].clone(),
        }
    }
}

/// A person linked to a death, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkedMember {
    #[serde(flatten)]
    pub person: Member,
    /// The fields that agreed (`id_number,name,death_date`), or `dba`.
    pub agreed: String,
    pub linked_by: String,
    pub note: Option<String>,
    pub linked_at: UtcTime,
}

/// A death of more than one person: its first, and the persons linked to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Death {
    pub first: Member,
    pub linked: Vec<LinkedMember>,
}

/// A person sharing an ID number, and the first person of its death.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sharing {
    #[serde(flatten)]
    pub person: Member,
    pub death: String,
}

/// A full ID number persons of different deaths share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SameIdNumber {
    pub id_number: String,
    /// Each person, with the first person of its death.
    pub persons: Vec<Sharing>,
    /// The DBA kept each two of the deaths apart (`exchange unlink --from`).
    pub kept_apart: bool,
    /// How each two of its deaths compare, by their first persons (of the first
    /// [`COMPARED_DEATHS`] deaths), for the DBA to judge.
    pub compared: Vec<Compared>,
}

/// The deaths of one shared ID number whose persons are compared, each with each.
pub const COMPARED_DEATHS: usize = 10;

/// Two persons of different deaths under one ID number, compared field by field as the
/// linkage model compares records (the levels, not weights: a basic database fits no
/// model of its own). The ID number, the same, and the family, which these rows do not
/// hold, are left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Compared {
    pub persons: [String; 2],
    pub fields: Vec<FieldCompared>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldCompared {
    pub field: &'static str,
    /// `exact`, `same pinyin, look-alike or placeholder`, `day/month swapped or one digit
    /// off`, `unknown` (either side has none) ...
    pub comparison: &'static str,
}

/// The fields [`Compared`] shows.
const COMPARED_FIELDS: [CompareField; 5] = [
    CompareField::Name,
    CompareField::BirthDate,
    CompareField::DeathDate,
    CompareField::Gender,
    CompareField::Address,
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Links {
    pub deaths: Vec<Death>,
    pub same_id_number: Vec<SameIdNumber>,
    /// Shared ID numbers whose deaths the DBA kept apart, left out of `same_id_number`
    /// (listed with `all`).
    pub kept_apart_not_listed: usize,
}

/// The deaths of more than one person and the ID numbers shared by deaths (those kept
/// apart too if `all`); only those of `person`, if given (refused when the database
/// holds no such person).
pub fn list(db: &mut Database, person: Option<&str>, all: bool) -> Result<Links> {
    require_persons(db, person.as_slice())?;
    let mut same_id_number = shared_id_numbers(db)?;
    let mut deaths = deaths(db)?;
    if let Some(p) = person {
        deaths.retain(|d| d.first.person_id == p || d.linked.iter().any(|l| l.person.person_id == p));
        same_id_number.retain(|s| s.persons.iter().any(|m| m.person.person_id == p));
    }
    let listed = same_id_number.len();
    if !all {
        same_id_number.retain(|s| !s.kept_apart);
    }
    Ok(Links {
        kept_apart_not_listed: listed - same_id_number.len(),
        deaths,
        same_id_number,
    })
}

fn deaths(db: &mut Database) -> Result<Vec<Death>> {
    let rows = db.texts(
        "SELECT r.person_id, r.name, r.id_number, CAST(r.death_date AS VARCHAR),
                p.person_id, p.name, p.id_number, CAST(p.death_date AS VARCHAR),
                l.agreed, l.linked_by, l.note, CAST(l.linked_at AS VARCHAR)
         FROM person_links l
         JOIN deceased r ON r.person_id = l.linked_to
         JOIN deceased p ON p.person_id = l.person_id
         WHERE l.unlinked_at IS NULL
         ORDER BY r.person_id, l.linked_at, p.person_id",
        &[],
        12,
    )?;
    let mut deaths: Vec<Death> = Vec::new();
    for v in rows.chunks(12) {
        let linked = LinkedMember {
            person: Member::read(&v[4..8]),
            agreed: v[8].clone().unwrap_or_default(),
            linked_by: v[9].clone().unwrap_or_default(),
            note: v[10].clone(),
            linked_at: UtcTime::read_sql_text(v[11].as_deref().unwrap_or_default(), "person_links")?,
        };
        match deaths.last_mut() {
            Some(d) if Some(&d.first.person_id) == v[0].as_ref() => d.linked.push(linked),
            _ => deaths.push(Death {
                first: Member::read(&v[0..4]),
                linked: vec![linked],
            }),
        }
    }
    Ok(deaths)
}

/// The full ID numbers persons of more than one death share, each marked kept apart when
/// the DBA kept every two of its deaths apart.
fn shared_id_numbers(db: &mut Database) -> Result<Vec<SameIdNumber>> {
    // The person, its compared columns, its death.
    const WIDTH: usize = 2 + COMPARED_WIDTH;
    let rows = db.texts(
        &format!(
            "SELECT d.person_id, {}, COALESCE(k.linked_to, d.person_id)
         FROM deceased d LEFT JOIN person_links k ON k.person_id = d.person_id AND k.unlinked_at IS NULL
         WHERE d.id_number IN (
             SELECT s.id_number FROM deceased s
             LEFT JOIN person_links j ON j.person_id = s.person_id AND j.unlinked_at IS NULL
             WHERE length(s.id_number) = 18
             GROUP BY s.id_number HAVING count(DISTINCT COALESCE(j.linked_to, s.person_id)) > 1)
         ORDER BY d.id_number, {WIDTH}, d.person_id",
            compared_columns("d")
        ),
        &[],
        WIDTH,
    )?;
    let apart = apart_pairs(db)?;
    let persons: Vec<(Sharing, &[Option<String>])> = rows
        .chunks(WIDTH)
        .map(|v| {
            let sharing = Sharing {
                person: Member::read(&v[..4]),
                death: v[WIDTH - 1].clone().unwrap_or_default(),
            };
            (sharing, v)
        })
        .collect();
    Ok(persons
        .chunk_by(|a, b| a.0.person.id_number == b.0.person.id_number)
        .map(|rows| {
            let compared = compare_deaths(rows);
            let group: Vec<Sharing> = rows.iter().map(|(s, _)| s.clone()).collect();
            let death_of: HashMap<&str, &str> = group
                .iter()
                .map(|s| (s.person.person_id.as_str(), s.death.as_str()))
                .collect();
            let kept: HashSet<(&str, &str)> = apart
                .iter()
                .filter_map(|(p, q)| Some((*death_of.get(p.as_str())?, *death_of.get(q.as_str())?)))
                .flat_map(|(a, b)| [(a, b), (b, a)])
                .collect();
            let deaths: Vec<&str> = group
                .iter()
                .map(|s| s.death.as_str())
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let kept_apart = deaths
                .iter()
                .enumerate()
                .all(|(i, a)| deaths[i + 1..].iter().all(|b| kept.contains(&(*a, *b))));
            SameIdNumber {
                id_number: group[0].person.id_number.clone().unwrap_or_default(),
                persons: group.clone(),
                kept_apart,
                compared,
            }
        })
        .collect())
}

/// Each two of the first [`COMPARED_DEATHS`] deaths of `rows` (persons sharing an ID
/// number, in death order, with their rows as [`shared_id_numbers`] reads them), compared
/// by the first person of each (or, when that person holds another ID number, the first
/// listed of the death).
fn compare_deaths(rows: &[(Sharing, &[Option<String>])]) -> Vec<Compared> {
    let firsts: Vec<(&str, Prepared)> = rows
        .chunk_by(|a, b| a.0.death == b.0.death)
        .take(COMPARED_DEATHS)
        .map(|death| {
            let (sharing, v) = death
                .iter()
                .find(|(s, _)| s.person.person_id == s.death)
                .unwrap_or(&death[0]);
            (sharing.person.person_id.as_str(), prepared(&v[1..1 + COMPARED_WIDTH]))
        })
        .collect();
    let mut compared = Vec::new();
    for (i, (a, pa)) in firsts.iter().enumerate() {
        for (b, pb) in &firsts[i + 1..] {
            compared.push(Compared {
                persons: [a.to_string(), b.to_string()],
                fields: field_levels(pa, pb),
            });
        }
    }
    compared
}

/// How many columns [`compared_columns`] gives.
pub(super) const COMPARED_WIDTH: usize = 7;

/// The columns of a `deceased` row (aliased `alias`) a person is compared by, in the
/// order [`prepared`] reads them: name, ID number, death date (then sex, birth date,
/// address, division).
pub(super) fn compared_columns(alias: &str) -> String {
    format!(
        "{alias}.name, {alias}.id_number, CAST({alias}.death_date AS VARCHAR), {alias}.gender, \
         CAST({alias}.birth_date AS VARCHAR), {alias}.household_address, {alias}.household_division"
    )
}

/// A person as linkage compares it, from the [`compared_columns`] of its row.
pub(super) fn prepared(v: &[Option<String>]) -> Prepared {
    let text = |i: usize| v[i].as_deref();
    Prepared::of(LinkageFields {
        deceased_name: text(0),
        id_number: text(1),
        death_date: text(2),
        gender: text(3),
        birth_date: text(4),
        household_address: text(5),
        household_division: text(6),
        family_name: None,
    })
}

/// How two persons compare, field by field (see [`Compared`]).
pub(super) fn field_levels(a: &Prepared, b: &Prepared) -> Vec<FieldCompared> {
    let pattern = compare(a, b);
    COMPARED_FIELDS
        .iter()
        .map(|&f| FieldCompared {
            field: f.name(),
            comparison: level_name(pattern, f),
        })
        .collect()
}

/// The persons the DBA unlinked or kept apart, each with the person it was linked to.
fn apart_pairs(db: &mut Database) -> Result<Vec<(String, String)>> {
    let rows = db.texts(
        "SELECT person_id, linked_to FROM person_links WHERE unlinked_at IS NOT NULL",
        &[],
        2,
    )?;
    Ok(rows
        .chunks(2)
        .map(|v| (v[0].clone().unwrap_or_default(), v[1].clone().unwrap_or_default()))
        .collect())
}
