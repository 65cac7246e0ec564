//! The basic database's tables as ledgerline writes them: which columns a load supplies
//! per row, with their types, and which it fills once per load (origin, batch, load id,
//! time). One description drives both writers: DuckDB's `INSERT … SELECT FROM
//! read_parquet` of a staged file and PostgreSQL's binary `COPY`, so the two targets
//! cannot drift apart.

use std::borrow::Cow;

use chrono::NaiveDate;
use ledgerline_schemas::date::parse_iso;

/// A column's SQL type, as far as the writers need to know it. Rows are staged as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Date,
    Int,
    Bool,
}

impl Kind {
    pub fn sql(self) -> &'static str {
        match self {
            Kind::Text => "VARCHAR",
            Kind::Date => "DATE",
            Kind::Int => "INTEGER",
            Kind::Bool => "BOOLEAN",
        }
    }
}

/// A date column's value, `YYYY-MM-DD`: the canonical layout every stored record has is
/// read by [`parse_iso`], anything else (a one-digit month) by chrono, whose parser
/// reads its format string again for every date (it showed in the profile of a
/// million-record load's staging).
pub(crate) fn parse_date(v: &str) -> Option<NaiveDate> {
    parse_iso(v).or_else(|| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
}

/// A table and the columns a writer supplies for it.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    /// Columns given per row, in order.
    pub columns: &'static [(&'static str, Kind)],
    /// Columns given once for all rows of a write, in order (text).
    pub constants: &'static [&'static str],
    /// The column stamped with the time of the write.
    pub stamp: &'static str,
}

impl Table {
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    /// Every column a write fills, per-row ones first, then the constants, then the stamp.
    pub fn all_columns(&self) -> Vec<&'static str> {
        self.columns
            .iter()
            .map(|(c, _)| *c)
            .chain(self.constants.iter().copied())
            .chain([self.stamp])
            .collect()
    }
}

const PROVENANCE: &[&str] = &["origin", "batch_id", "load_id"];

pub const DECEASED: Table = Table {
    name: "deceased",
    columns: &[
        ("person_id", Kind::Text),
        ("name", Kind::Text),
        ("gender", Kind::Text),
        ("ethnicity", Kind::Text),
        ("id_type", Kind::Text),
        ("id_number", Kind::Text),
        ("birth_date", Kind::Date),
        ("death_date", Kind::Date),
        ("age", Kind::Int),
        ("death_cause", Kind::Text),
        ("death_place", Kind::Text),
        ("household_address", Kind::Text),
        ("household_division", Kind::Text),
        ("nameless", Kind::Bool),
        ("source_key", Kind::Text),
    ],
    constants: PROVENANCE,
    stamp: "loaded_at",
};

pub const AGENTS: Table = Table {
    name: "agents",
    columns: &[
        ("person_id", Kind::Text),
        ("name", Kind::Text),
        ("relation", Kind::Text),
        ("phone", Kind::Text),
        ("id_number", Kind::Text),
        ("address", Kind::Text),
        ("source_key", Kind::Text),
    ],
    constants: PROVENANCE,
    stamp: "loaded_at",
};

pub const CREMATIONS: Table = Table {
    name: "cremations",
    columns: &[
        ("person_id", Kind::Text),
        ("agency_name", Kind::Text),
        ("cremation_date", Kind::Date),
        ("cremation_time_imputed", Kind::Bool),
        ("cert_no", Kind::Text),
        ("ashes_disposition", Kind::Text),
        ("source_key", Kind::Text),
    ],
    constants: PROVENANCE,
    stamp: "loaded_at",
};

pub const BURIALS: Table = Table {
    name: "burials",
    columns: &[
        ("person_id", Kind::Text),
        ("cemetery_name", Kind::Text),
        ("burial_date", Kind::Date),
        ("grave_number", Kind::Text),
        ("source_key", Kind::Text),
    ],
    constants: PROVENANCE,
    stamp: "loaded_at",
};

pub const CONFLICTS: Table = Table {
    name: "conflicts",
    columns: &[
        ("person_id", Kind::Text),
        ("field", Kind::Text),
        ("database_value", Kind::Text),
        ("incoming_value", Kind::Text),
        ("source_key", Kind::Text),
    ],
    constants: &["load_id"],
    stamp: "noted_at",
};

/// Rows for one table, staged as text in one flat buffer (row after row). A value is
/// borrowed from the records being loaded where it can be: staging a million records
/// then allocates for the few values made on the way (ids, ages), not for every field.
#[derive(Debug)]
pub struct Rows<'a> {
    pub table: &'static Table,
    pub cells: Vec<Cell<'a>>,
}

/// One staged value.
pub type Cell<'a> = Option<Cow<'a, str>>;

impl<'a> Rows<'a> {
    pub fn new(table: &'static Table) -> Rows<'a> {
        Rows::with_capacity(table, 0)
    }

    /// Room for `rows` rows without growing.
    pub fn with_capacity(table: &'static Table, rows: usize) -> Rows<'a> {
        Rows {
            table,
            cells: Vec::with_capacity(rows * table.width()),
        }
    }

    pub fn push<const N: usize, S: Into<Cow<'a, str>>>(&mut self, row: [Option<S>; N]) {
        assert_eq!(
            N,
            self.table.width(),
            "a row of {} has {} columns",
            self.table.name,
            self.table.width()
        );
        self.cells.extend(row.into_iter().map(|c| c.map(Into::into)));
    }

    pub fn len(&self) -> usize {
        self.cells.len() / self.table.width()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    pub fn iter(&self) -> std::slice::Chunks<'_, Cell<'a>> {
        self.cells.chunks(self.table.width())
    }
}

/// A field staged as it is, borrowed.
pub fn text(value: &Option<String>) -> Cell<'_> {
    value.as_deref().map(Cow::Borrowed)
}

/// `'true'`/`'false'` as staged text.
pub fn flag(b: bool) -> Cell<'static> {
    Some(Cow::Borrowed(if b { "true" } else { "false" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed layout read directly gives what chrono gives, and what chrono alone reads
    /// (a month or day of one digit) still reads.
    #[test]
    fn dates_read_as_chrono_reads_them() {
        let chrono = |v: &str| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok();
        for v in [
            "2013-03-05",
            "2000-02-29",
            "1900-02-29",
            "2013-02-30",
            "2013-13-01",
            "2013-00-10",
            "0000-01-01",
            "2013-3-5",
            "2013-03-5",
            "2013/03/05",
            "2013-0a-05",
            "２013-03-05",
            "",
        ] {
            assert_eq!(parse_date(v), chrono(v), "{v:?}");
        }
        assert_eq!(parse_date("2013-3-5"), NaiveDate::from_ymd_opt(2013, 3, 5));
        assert_eq!(parse_date("2013-02-30"), None);
    }

    /// Every described column exists in the released DDL with the type described.
    #[test]
    fn descriptions_agree_with_the_ddl() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        conn.execute_batch(crate::MIGRATIONS[0].sql).unwrap();
        for t in [&DECEASED, &AGENTS, &CREMATIONS, &BURIALS, &CONFLICTS] {
            for (column, kind) in t.columns {
                let ty: String = conn
                    .query_row(
                        "SELECT data_type FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
                        [t.name, column],
                        |r| r.get(0),
                    )
                    .unwrap_or_else(|e| panic!("{}.{column}: {e}", t.name));
                assert_eq!(ty, kind.sql(), "{}.{column}", t.name);
            }
            for column in t.constants.iter().chain([&t.stamp]) {
                let n: i64 = conn
                    .query_row(
                        "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
                        [t.name, column],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(n, 1, "{}.{column}", t.name);
            }
        }
    }
}
