//! What a live import holds of the persons its extract sends again, and what a row sent
//! again does to them.
//!
//! Funeral homes send a death when it is registered and send it again when it changes:
//! the cremation done days later, an ID number mistyped and fixed (the domain notes'
//! "fix mistyped ID" action). A row whose DEAD_ID is held adds what the person held had
//! none of, a cremation or an agent, and names every column it gives otherwise than the
//! row held. It never writes over a held value: a basic database keeps what each source
//! said, as a load keeps a differing value out of a person and notes it, and a changed ID
//! number is a change a DBA makes knowingly.

use std::hash::{BuildHasher, RandomState};

use anyhow::Result;

use super::{HashMap, HashSet, SentRow};
use crate::exchange::sql_text;
use crate::tables::{self, Table};
use crate::Database;

/// The extract's column each column of a table is made from, in the table's order
/// (`None`: made here, or not from the extract). A difference is named by it, and a
/// column is compared only when the extract has it: an extract without AGE does not
/// differ from an age held.
pub(super) const DECEASED_FROM: [Option<&str>; 15] = [
    None,
    Some("NAME"),
    Some("SEX"),
    Some("FOLK"),
    Some("CARD_TYPE"),
    Some("ID_CARD"),
    Some("BIRTHDAY"),
    Some("DEATH_DATE"),
    Some("AGE"),
    Some("DEATH_CAUSE"),
    Some("DEATH_PLACE"),
    Some("POPULACE"),
    Some("POPULACE_CODE"),
    Some("IF_NAMELESS"),
    None,
];

/// The imputed flag says whether START_TIME is a time recorded, so it is named by it.
const CREMATION_FROM: [Option<&str>; 8] = [
    None,
    Some("UNIT_NAME"),
    Some("START_TIME"),
    Some("START_TIME"),
    Some("CERT_NO"),
    Some("CERT_STATUS"),
    Some("ASHES_GO"),
    None,
];

const AGENT_FROM: [Option<&str>; 7] = [
    None,
    Some("AGENT_NAME"),
    Some("RELATION"),
    Some("MOBIL_PHONE"),
    Some("AGENT_ID_CARD"),
    Some("ADDRESS"),
    None,
];

/// The live rows held of one person sent again, as a fingerprint of each value: a whole
/// extract of a million deaths sent again holds a million persons (the first version,
/// which kept their values as text beside the extract's rows, peaked at 4.9 GB on one,
/// prints at 1.7 GB, prints kept apart from their map ([`Persons`]) at 1.2 GB). Two
/// values whose 64-bit prints collide would be taken as the same.
struct Person {
    deceased: [u64; 15],
    cremation: Option<[u64; 8]>,
    agent: Option<[u64; 7]>,
}

/// What a row sent again does: the columns it differs in, and whether its cremation and
/// its agent are added to the person held.
pub(crate) struct SentAgain {
    pub differing: Vec<&'static str>,
    pub adds_cremation: bool,
    pub adds_agent: bool,
}

/// Persons by DEAD_ID, their prints in a list of their own: a map holding them grows by
/// doubling, and one of a million 270-byte entries had room for two million (570 MB).
#[derive(Default)]
struct Persons {
    at: HashMap<String, u32>,
    prints: Vec<Person>,
}

impl Persons {
    fn contains(&self, key: &str) -> bool {
        self.at.contains_key(key)
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Person> {
        let &i = self.at.get(key)?;
        Some(&mut self.prints[i as usize])
    }

    /// The person under `key`, the first one given: a later one is not made.
    fn insert_first(&mut self, key: &str, person: impl FnOnce() -> Person) {
        if !self.at.contains_key(key) {
            let i = u32::try_from(self.prints.len()).expect("fewer than 2^32 persons held");
            self.at.insert(key.to_string(), i);
            self.prints.push(person());
        }
    }
}

/// The persons held whose DEAD_ID a row of the extract sends again: from the database, and
/// from earlier lines of the file as they are taken in.
pub(crate) struct Held {
    persons: Persons,
    /// DEAD_IDs on more than one line of the file and not in the database: their first
    /// row is kept when it is taken in, for the later ones to be compared with.
    repeated_in_file: HashSet<String>,
    /// One hasher for every value of an import, so that equal values have equal prints.
    hasher: RandomState,
}

impl Held {
    /// Reads the live rows the database holds of the persons `keys` (the DEAD_IDs the
    /// extract's rows are held under, in order) names; `in_database` are the DEAD_IDs it
    /// holds ([`live_keys`]). Only when there are any: an extract of new deaths reads
    /// nothing more.
    pub fn read<'k>(
        db: &mut Database,
        in_database: &HashSet<String>,
        keys: impl IntoIterator<Item = &'k str>,
    ) -> Result<Held> {
        let mut seen = HashSet::default();
        let mut wanted = HashSet::default();
        let mut repeated_in_file = HashSet::default();
        for key in keys {
            if in_database.contains(key) {
                wanted.insert(key);
            } else if !seen.insert(key) {
                repeated_in_file.insert(key.to_string());
            }
        }
        let hasher = RandomState::new();
        let mut persons = Persons::default();
        if !wanted.is_empty() {
            read_rows(db, &tables::DECEASED, &wanted, |key, row| {
                persons.insert_first(key, || Person {
                    deceased: prints(&hasher, row),
                    cremation: None,
                    agent: None,
                });
            })?;
            read_rows(db, &tables::CREMATIONS, &wanted, |key, row| {
                if let Some(p) = persons.get_mut(key) {
                    p.cremation.get_or_insert_with(|| prints(&hasher, row));
                }
            })?;
            read_rows(db, &tables::AGENTS, &wanted, |key, row| {
                if let Some(p) = persons.get_mut(key) {
                    p.agent.get_or_insert_with(|| prints(&hasher, row));
                }
            })?;
        }
        Ok(Held {
            persons,
            repeated_in_file,
            hasher,
        })
    }

    /// How many of the deaths the extract sends the database held, once read (before any
    /// row is taken in).
    pub fn deaths_in_database(&self) -> u64 {
        self.persons.prints.len() as u64
    }

    /// The row's person is held: in the database, or on an earlier line.
    pub fn holds(&self, row: &SentRow) -> bool {
        self.persons.contains(&row.key)
    }

    /// A row not held, taken in: kept if a later line sends it again.
    pub fn take_in(&mut self, row: &SentRow) {
        if self.repeated_in_file.contains(&row.key) {
            let h = &self.hasher;
            let person = Person {
                deceased: prints(h, &row.deceased),
                cremation: row.cremation.as_ref().map(|r| prints(h, r)),
                agent: row.agent.as_ref().map(|r| prints(h, r)),
            };
            self.persons.insert_first(&row.key, || person);
        }
    }

    /// A row whose person is held ([`Held::holds`]), compared with what is held of it in
    /// the columns the extract has (`header`). What it adds is held from then on.
    pub fn sent_again(&mut self, row: &SentRow, header: &HashMap<&'static str, usize>) -> SentAgain {
        let h = &self.hasher;
        let person = self.persons.get_mut(&row.key).expect("sent_again of a person held");
        let given = |column: &&str| header.contains_key(*column);
        let mut differing = Vec::new();
        differ(
            &person.deceased,
            &prints(h, &row.deceased),
            &DECEASED_FROM,
            given,
            &mut differing,
        );
        let adds_cremation = added(
            (&mut person.cremation, row.cremation.as_ref().map(|r| prints(h, r))),
            (&CREMATION_FROM, "START_TIME"),
            given,
            &mut differing,
        );
        let adds_agent = added(
            (&mut person.agent, row.agent.as_ref().map(|r| prints(h, r))),
            (&AGENT_FROM, "AGENT_NAME"),
            given,
            &mut differing,
        );
        SentAgain {
            differing,
            adds_cremation,
            adds_agent,
        }
    }
}

/// The DEAD_IDs of the live persons a database holds.
pub(super) fn live_keys(db: &mut Database) -> Result<HashSet<String>> {
    Ok(db
        .texts("SELECT source_key FROM deceased WHERE origin = 'live'", &[], 1)?
        .into_iter()
        .flatten()
        .collect())
}

/// The fingerprint of each value of a row, a missing one apart from an empty one.
fn prints<const N: usize, S: AsRef<str>>(hasher: &RandomState, row: &[Option<S>; N]) -> [u64; N] {
    std::array::from_fn(|i| hasher.hash_one(row[i].as_ref().map(AsRef::as_ref)))
}

/// Adds to `out` the extract's columns, among those `given`, in which `sent` differs from
/// `held`, each once.
fn differ(
    held: &[u64],
    sent: &[u64],
    from: &[Option<&'static str>],
    given: impl Fn(&&str) -> bool,
    out: &mut Vec<&'static str>,
) {
    for ((held, sent), column) in held.iter().zip(sent).zip(from) {
        if let Some(column) = column.filter(&given) {
            if held != sent && !out.contains(&column) {
                out.push(column);
            }
        }
    }
}

/// A cremation or agent row sent for a person held: added when none is held (true), else
/// compared; one held that the row no longer gives differs in the column it is `made_by`
/// (START_TIME, AGENT_NAME).
fn added<const N: usize>(
    (held, sent): (&mut Option<[u64; N]>, Option<[u64; N]>),
    (from, made_by): (&[Option<&'static str>; N], &'static str),
    given: impl Fn(&&str) -> bool,
    out: &mut Vec<&'static str>,
) -> bool {
    match (held.as_ref(), sent) {
        (None, Some(sent)) => {
            *held = Some(sent);
            true
        }
        (Some(held), Some(sent)) => {
            differ(held, &sent, from, given, out);
            false
        }
        (Some(_), None) => {
            if given(&made_by) && !out.contains(&made_by) {
                out.push(made_by);
            }
            false
        }
        (None, None) => false,
    }
}

/// Up to this many DEAD_IDs are written into the query; more are looked for among every
/// live row as it comes.
const FEW_KEYS: usize = 1000;

/// Each live row of `table` whose DEAD_ID is `wanted`, its columns as text in the
/// table's order (dates `YYYY-MM-DD`, flags `true`/`false`, as a row is staged).
fn read_rows<const N: usize>(
    db: &mut Database,
    table: &Table,
    wanted: &HashSet<&str>,
    mut each: impl FnMut(&str, &[Option<&str>; N]),
) -> Result<()> {
    assert_eq!(N, table.width(), "{} has {} columns", table.name, table.width());
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    read_live(db, table.name, &columns, wanted, |key, row| {
        each(key, row.try_into().expect("N columns"))
    })
}

/// `columns` of each live row of `table` whose DEAD_ID is `wanted`, as text.
pub(super) fn read_live(
    db: &mut Database,
    table: &str,
    columns: &[&str],
    wanted: &HashSet<&str>,
    mut each: impl FnMut(&str, &[Option<&str>]),
) -> Result<()> {
    let selected: Vec<String> = columns
        .iter()
        .chain([&"source_key"])
        .map(|c| format!("CAST({c} AS VARCHAR)"))
        .collect();
    // A few persons sent again are picked out by the engine: an extract re-sending a
    // hundred deaths to a province holding a million read every live row of three tables.
    let few = (wanted.len() <= FEW_KEYS).then(|| {
        let keys: Vec<String> = wanted.iter().map(|k| sql_text(k)).collect();
        format!(" AND source_key IN ({})", keys.join(", "))
    });
    let sql = format!(
        "SELECT {} FROM {table} WHERE origin = 'live'{}",
        selected.join(", "),
        few.unwrap_or_default()
    );
    let width = columns.len();
    db.scan(&sql, width + 1, |row| {
        if let Some(key) = row[width].filter(|k| wanted.contains(k)) {
            each(key, &row[..width]);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_is_named_in_its_tables_order() {
        for (table, from) in [
            (&tables::DECEASED, &DECEASED_FROM[..]),
            (&tables::CREMATIONS, &CREMATION_FROM[..]),
            (&tables::AGENTS, &AGENT_FROM[..]),
        ] {
            assert_eq!(from.len(), table.width(), "{}", table.name);
            let made_here: Vec<&str> = table
                .columns
                .iter()
                .zip(from)
                .filter(|(_, f)| f.is_none())
                .map(|((c, _), _)| *c)
                .collect();
            assert!(
                made_here.contains(&"person_id") && made_here.contains(&"source_key"),
                "{made_here:?}"
            );
        }
        assert_eq!(DECEASED_FROM[5], Some("ID_CARD"));
        assert_eq!(tables::DECEASED.columns[5].0, "id_number");
    }
}
