//! Versioned schema migrations, applied in order when a workspace is opened. A migration
//! is never edited once released: a change is a new migration.

use anyhow::{bail, Context, Result};
use duckdb::Connection;

pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "batches, pages, cells, records",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "linkage: dedupe runs, match pairs, person events",
        sql: include_str!("../migrations/0002_linkage.sql"),
    },
    Migration {
        version: 3,
        name: "review journal watermark",
        sql: include_str!("../migrations/0003_review.sql"),
    },
    Migration {
        version: 4,
        name: "pages' quarter turns",
        sql: include_str!("../migrations/0004_page_turns.sql"),
    },
    Migration {
        version: 5,
        name: "records' cremation certificate status",
        sql: include_str!("../migrations/0005_cert_status.sql"),
    },
];

/// The newest schema version this build knows.
pub fn latest() -> i32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Brings the workspace database up to [`latest`]; refuses one from a newer ledgerline.
pub fn apply(conn: &Connection) -> Result<Vec<i32>> {
    apply_list(conn, MIGRATIONS, "schema_migrations", "the workspace")
}

/// The table recording which versions are applied (plain SQL: PostgreSQL takes it too).
pub fn version_table_ddl(table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (
            version INTEGER PRIMARY KEY,
            name VARCHAR NOT NULL,
            applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
}

/// Applies the `migrations` newer than what `table` records; refuses a database whose
/// recorded version is newer than the list knows. `what` names the database in errors.
pub fn apply_list(conn: &Connection, migrations: &[Migration], table: &str, what: &str) -> Result<Vec<i32>> {
    conn.execute_batch(&version_table_ddl(table))?;
    let current: i32 = conn.query_row(&format!("SELECT coalesce(max(version), 0) FROM {table}"), [], |r| {
        r.get(0)
    })?;
    let latest = migrations.last().map_or(0, |m| m.version);
    if current > latest {
        bail!("{what}'s schema is version {current} but this ledgerline knows only up to {latest}: use a newer ledgerline");
    }
    let mut applied = Vec::new();
    for m in migrations.iter().filter(|m| m.version > current) {
        // Each migration and its bookkeeping row commit together or not at all.
        conn.execute_batch("BEGIN TRANSACTION")?;
        let result = conn.execute_batch(m.sql).and_then(|_| {
            conn.execute(
                &format!("INSERT INTO {table} (version, name) VALUES (?, ?)"),
                duckdb::params![m.version, m.name],
            )
        });
        match result {
            Ok(_) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                conn.execute_batch("ROLLBACK").ok();
                return Err(e).with_context(|| format!("migration {} ({}) failed", m.version, m.name));
            }
        }
        applied.push(m.version);
    }
    Ok(applied)
}
