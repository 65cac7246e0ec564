//! The conflicts a live extract notes. A death sent again whose name, sex, ID number or
//! dates differ from the live row held (an ID number fixed at the funeral home, a date
//! retyped) does not write over it: each value it gives otherwise is noted in
//! `conflicts`, as a load notes a ledger's, under the import's id, for the DBA to settle
//! with `ledgerline conflicts` (a value taken changes the person and travels to the
//! national database as a correction).

use anyhow::Result;

use super::{HashMap, HashSet};

use super::held::{read_live, DECEASED_FROM};
use super::SentRow;
use crate::conflicts::COLUMNS;
use crate::tables::{self, Rows};
use crate::{Database, UtcTime};

/// The id a live import's conflicts carry as their `load_id`: `live:` and the first 16
/// hex digits of the extract's SHA-256, so that an extract imported again notes nothing
/// twice.
pub fn import_id(sha256: &str) -> String {
    format!("live:{}", &sha256[..16])
}

/// The values a row sent again gives otherwise than the row held, in the columns a
/// conflict can be of.
pub(crate) struct Offered {
    line: u64,
    dead_id: String,
    /// The DEAD_ID its person is held under (another when it was re-keyed).
    key: String,
    /// Each as its field's name, its place in [`COLUMNS`], and the value given.
    values: Vec<(&'static str, usize, String)>,
}

/// Each field a conflict can be of, with its place in [`COLUMNS`], its column's place in
/// `deceased` and the extract's column it is made from.
fn comparable() -> impl Iterator<Item = (&'static str, usize, usize, &'static str)> {
    COLUMNS.iter().enumerate().filter_map(|(i, (field, column, _))| {
        let at = tables::DECEASED.columns.iter().position(|(c, _)| c == column)?;
        Some((field.name(), i, at, DECEASED_FROM[at]?))
    })
}

/// What `row` offers in the extract's columns it was found to differ in (`differing`),
/// if any is one a conflict can be of and the row gives a value of it (a value the row
/// lacks is no conflict, as a load notes none for a value either side lacks).
pub(crate) fn offered(row: &SentRow, differing: &[&str]) -> Option<Offered> {
    let values: Vec<_> = comparable()
        .filter(|(_, _, _, from)| differing.contains(from))
        .filter_map(|(field, i, at, _)| Some((field, i, row.deceased[at].clone()?)))
        .collect();
    (!values.is_empty()).then(|| Offered {
        line: row.line,
        dead_id: row.dead_id.clone(),
        key: row.key.clone(),
        values,
    })
}

/// Notes a conflict for each value `offered` against the live row held of its person
/// (by the DEAD_ID held, the mistyped one for a row re-keyed; read here, after the
/// import's own rows are written, so that a DEAD_ID repeated within the file is compared
/// with its first line's row), unless the same difference (person, field, both values)
/// was noted before, open or settled: funeral homes send whole days' deaths again, and a
/// difference the DBA kept out stays out. The conflicts noted.
pub(crate) fn note(db: &mut Database, import_id: &str, offered: &[Offered], at: UtcTime) -> Result<u64> {
    if offered.is_empty() {
        return Ok(0);
    }
    // A DEAD_ID may be sent again on several lines.
    let mut lines_of: HashMap<&str, Vec<&Offered>> = HashMap::default();
    for o in offered {
        lines_of.entry(o.key.as_str()).or_default().push(o);
    }
    let wanted: HashSet<&str> = lines_of.keys().copied().collect();
    // Built as the rows held come, each compared with the lines of its DEAD_ID and
    // dropped: an extract of a million deaths sent again keeps none of them.
    let mut conflicts = Rows::new(&tables::CONFLICTS);
    let mut in_this_file = HashSet::default();
    // The person's id, then the columns of COLUMNS.
    let columns: Vec<&str> = ["person_id"]
        .into_iter()
        .chain(COLUMNS.iter().map(|(_, column, _)| *column))
        .collect();
    read_live(db, "deceased", &columns, &wanted, |key, row| {
        // The first live row of a DEAD_ID is the one held, as a row sent again is compared with.
        let (Some(lines), Some(person)) = (lines_of.remove(key), row[0]) else {
            return;
        };
        for o in lines {
            for (field, i, incoming) in &o.values {
                let Some(database) = row[i + 1] else {
                    continue;
                };
                if database == incoming || !in_this_file.insert((person.to_string(), *field, incoming.clone())) {
                    continue;
                }
                conflicts.push([
                    Some(person.to_string()),
                    Some(field.to_string()),
                    Some(database.to_string()),
                    Some(incoming.clone()),
                    Some(format!("{} line {}", o.dead_id, o.line)),
                ]);
            }
        }
    })?;
    let written = db.append(&conflicts, &[Some(import_id)], at)?;
    // Those noted before are taken out again: the engine finds them among all conflicts
    // (an extract repeats few of a province's persons, or all of them).
    let this_import = "load_id = $1 AND noted_at = CAST(CAST($2 AS VARCHAR) AS TIMESTAMP)";
    let again = db.execute(
        &format!(
            "DELETE FROM conflicts WHERE {this_import} AND EXISTS (
                 SELECT 1 FROM conflicts o
                 WHERE o.person_id = conflicts.person_id AND o.field = conflicts.field
                   AND o.database_value = conflicts.database_value
                   AND o.incoming_value = conflicts.incoming_value
                   AND NOT (o.{this_import}))"
        ),
        &[import_id, &at.sql_text()],
    )?;
    Ok(written - again)
}
