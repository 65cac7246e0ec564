//! The times a basic database holds (`loaded_at`, `noted_at`, a load's start and end):
//! UTC, on both engines, whatever the server's, the session's or this machine's time
//! zone, and read from the database's own clock once a writer holds the database alone.
//!
//! That last is what lets an exchange export be continued without a gap: a row is
//! stamped with a time after its writer got the write lock, and an export takes its
//! snapshot holding that lock (shared), so every row committed after a package's snapshot
//! is stamped later than the package's `exported_at`, and `--since` that time finds it.
//! (Stamped with the transaction's start, or with the loading machine's clock, a load
//! that waited for the lock, or ran on a machine whose clock is behind, could commit rows
//! older than a package made meanwhile: rows no later package would hold.)

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDateTime, Utc};

/// A moment in UTC, to the microsecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UtcTime {
    micros: i64,
}

impl UtcTime {
    pub fn from_micros(micros: i64) -> UtcTime {
        UtcTime { micros }
    }

    /// This machine's clock: the clock an embedded database reads too.
    pub fn now() -> UtcTime {
        UtcTime::from_micros(Utc::now().timestamp_micros())
    }

    /// PostgreSQL's clock, the same for every machine that writes to the server.
    pub fn of_server(client: &mut postgres::Client) -> Result<UtcTime> {
        // `clock_timestamp()`, not `now()`: `now()` is the start of the transaction,
        // which may be before a wait for a lock.
        let micros: i64 = client
            .query_one(
                "SELECT CAST(floor(extract(epoch FROM clock_timestamp()) * 1000000) AS BIGINT)",
                &[],
            )
            .context("reading the server's clock")?
            .get(0);
        Ok(UtcTime::from_micros(micros))
    }

    pub fn micros(self) -> i64 {
        self.micros
    }

    pub fn naive(self) -> NaiveDateTime {
        DateTime::from_timestamp_micros(self.micros)
            .expect("a time within chrono's range")
            .naive_utc()
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff`, what `CAST(… AS TIMESTAMP)` reads on both engines.
    pub fn sql_text(self) -> String {
        self.naive().format("%Y-%m-%d %H:%M:%S%.6f").to_string()
    }

    /// RFC 3339 to the microsecond (`2026-12-05T13:31:18.250239Z`; no fraction when it
    /// is none): a manifest's `exported_at`, which `--since` reads back exactly, and by
    /// which packages exported within one second are still told apart.
    pub fn rfc3339(self) -> String {
        self.naive().format("%Y-%m-%dT%H:%M:%S%.fZ").to_string()
    }

    /// In this machine's time zone, with its offset (`2026-12-05 21:31:18 +08:00`), for
    /// people to read.
    pub fn local_text(self) -> String {
        self.naive()
            .and_utc()
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S %:z")
            .to_string()
    }

    /// A time as [`UtcTime::rfc3339`] writes it (any RFC 3339 time, really).
    pub fn from_rfc3339(text: &str) -> Option<UtcTime> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| UtcTime::from_micros(t.timestamp_micros()))
    }

    /// A time a basic database wrote as text (`CAST(… AS VARCHAR)`, both engines alike:
    /// `2026-12-05 13:31:18.250239`).
    pub fn from_sql_text(text: &str) -> Option<UtcTime> {
        crate::tables::timestamp_micros(text).map(UtcTime::from_micros)
    }

    /// [`UtcTime::from_sql_text`], or an error naming `what` holds the time it cannot read.
    pub fn read_sql_text(text: &str, what: &str) -> anyhow::Result<UtcTime> {
        UtcTime::from_sql_text(text).ok_or_else(|| anyhow::anyhow!("{what}: cannot read the time {text:?}"))
    }
}

impl serde::Serialize for UtcTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_is_written_in_utc_to_the_microsecond() {
        let t = UtcTime::from_micros(1_764_941_478_250_239);
        assert_eq!(t.sql_text(), "2025-12-05 13:31:18.250239");
        assert_eq!(UtcTime::from_micros(-1).sql_text(), "1969-12-31 23:59:59.999999");
        assert_eq!(UtcTime::from_sql_text(&t.sql_text()), Some(t));
        assert_eq!(t.rfc3339(), "2025-12-05T13:31:18.250239Z");
        assert_eq!(UtcTime::from_rfc3339(&t.rfc3339()), Some(t));
        let second = UtcTime::from_micros(1_764_941_478_000_000);
        assert_eq!(second.rfc3339(), "2025-12-05T13:31:18Z");
        assert_eq!(UtcTime::from_rfc3339("2025-12-05T21:31:18+08:00"), Some(second));
        assert_eq!(UtcTime::from_rfc3339("2025-12-05 13:31:18"), None);
    }
}
