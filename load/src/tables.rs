//! The basic database's tables as ledgerline writes them: which columns a load supplies
//! per row, with their types, and which it fills once per load (origin, batch, load id,
//! time). One description drives both writers: DuckDB's `INSERT … SELECT FROM
//! read_parquet` of a staged file and PostgreSQL's binary `COPY`, so the two targets
//! cannot drift apart.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};
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

/// Microseconds since 1970-01-01 00:00 of a time as PostgreSQL writes it as text in
/// `DateStyle` ISO: `YYYY-MM-DD HH:MM:SS`, and a fraction of a second of up to 6 digits
/// (up to 9 read, beyond the sixth cut, for a time written finer elsewhere).
pub(crate) fn timestamp_micros(text: &str) -> Option<i64> {
    let digits = |part: &str| -> Option<i64> {
        (!part.is_empty() && part.bytes().all(|c| c.is_ascii_digit())).then(|| part.parse().ok())?
    };
    let (date, time) = (text.get(..10)?, text.get(11..)?);
    let (hms, fraction) = match time.split_once('.') {
        Some((hms, fraction)) => (hms, Some(fraction)),
        None => (time, None),
    };
    let b = hms.as_bytes();
    if text.as_bytes()[10] != b' ' || b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, m, s) = (digits(&hms[..2])?, digits(&hms[3..5])?, digits(&hms[6..])?);
    let micros = match fraction {
        None => 0,
        // As nanoseconds, then cut to microseconds.
        Some(f) if f.len() <= 9 => digits(f)? * 10i64.pow(9 - f.len() as u32) / 1000,
        Some(_) => return None,
    };
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let days = i64::from(parse_iso(date)?.num_days_from_ce() - EPOCH_DAYS_FROM_CE);
    Some((((days * 24 + h) * 60 + m) * 60 + s) * 1_000_000 + micros)
}

/// 1970-01-01 counted from 0001-01-01 (chrono's `num_days_from_ce` of the Unix epoch).
pub(crate) const EPOCH_DAYS_FROM_CE: i32 = 719_163;

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
        ("cert_status", Kind::Text),
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

/// A conflict settled (`ledgerline conflicts resolve`); one decision, by one person, for
/// all rows of a write.
pub const CONFLICT_DECISIONS: Table = Table {
    name: "conflict_decisions",
    columns: &[
        ("conflict_id", Kind::Text),
        ("load_id", Kind::Text),
        ("person_id", Kind::Text),
        ("field", Kind::Text),
        ("database_value", Kind::Text),
        ("incoming_value", Kind::Text),
        ("source_key", Kind::Text),
    ],
    constants: &["decision", "decided_by", "note"],
    stamp: "decided_at",
};

/// A person's value changed after it was loaded, by a decision of the DBA's.
pub const CORRECTIONS: Table = Table {
    name: "corrections",
    columns: &[
        ("person_id", Kind::Text),
        ("column_name", Kind::Text),
        ("previous_value", Kind::Text),
        ("value", Kind::Text),
        ("reason", Kind::Text),
    ],
    constants: &["corrected_by"],
    stamp: "corrected_at",
};

/// A person linked to the first person of its death (see `links`).
pub const PERSON_LINKS: Table = Table {
    name: "person_links",
    columns: &[("person_id", Kind::Text), ("linked_to", Kind::Text)],
    constants: &["agreed", "linked_by", "note"],
    stamp: "linked_at",
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

    /// No rows; the room they took is kept for the next.
    pub fn clear(&mut self) {
        self.cells.clear();
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

    /// Times as PostgreSQL writes them count as chrono counts them, to the microsecond;
    /// anything else is no time.
    #[test]
    fn times_read_as_postgresql_writes_them() {
        let chrono = |v: &str| {
            chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S%.f")
                .unwrap()
                .and_utc()
                .timestamp_micros()
        };
        for (written, meant) in [
            ("2026-12-05 08:32:41", "2026-12-05 08:32:41"),
            ("2026-12-05 08:32:41.5", "2026-12-05 08:32:41.500000"),
            ("2026-12-05 08:32:41.000250", "2026-12-05 08:32:41.000250"),
            ("2026-12-05 08:32:41.123456789", "2026-12-05 08:32:41.123456"),
            ("1969-12-31 23:59:59.999999", "1969-12-31 23:59:59.999999"),
            ("2000-02-29 00:00:00", "2000-02-29 00:00:00"),
        ] {
            assert_eq!(timestamp_micros(written), Some(chrono(meant)), "{written}");
        }
        assert_eq!(timestamp_micros("1970-01-01 00:00:00.000001"), Some(1));
        for not_a_time in [
            "",
            "2026-12-05",
            "2026-12-05 08:32",
            "2026-12-05 08:32:41.",
            "2026-12-05 08:32:41.1234567890",
            "2026-12-05 08:32:41 BC",
            "2026-12-05 08:32:41+08",
            "2026-12-05x08:32:41",
            "2026-12-05T08:32:41",
            "2026-12-05 24:00:00",
            "2026-12-05 08:60:00",
            "2026-02-30 08:00:00",
            "2026-12-05 08:3a:41",
            "2026-12-05 08:32:41.-5",
            "05.12.2026 08:32:41",
        ] {
            assert_eq!(timestamp_micros(not_a_time), None, "{not_a_time:?}");
        }
    }

    /// Every described column exists in the released DDL with the type described.
    #[test]
    fn descriptions_agree_with_the_ddl() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        for m in crate::MIGRATIONS {
            conn.execute_batch(m.sql).unwrap();
        }
        for t in [
            &DECEASED,
            &AGENTS,
            &CREMATIONS,
            &BURIALS,
            &CONFLICTS,
            &CONFLICT_DECISIONS,
            &CORRECTIONS,
        ] {
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
