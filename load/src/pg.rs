//! PostgreSQL as a basic database (the server deployment): connecting, applying the
//! schema versions under an advisory lock (two loaders starting at once apply them once),
//! and writing staged rows with binary `COPY … FROM STDIN`, the server's bulk path.

use anyhow::{anyhow, bail, Context, Result};
use bytes::BytesMut;
use chrono::{NaiveDate, NaiveDateTime};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::{Client, NoTls};

use ledgerline_store::migrations::version_table_ddl;

use crate::tables::{Kind, Rows};
use crate::{MIGRATIONS, VERSION_TABLE};

/// Advisory lock keys (arbitrary, fixed): schema changes, and writes that read the
/// persons held before adding to them (two loads must not both insert one person).
const SCHEMA_LOCK: i64 = 0x6c65_6467_0001;
pub const WRITE_LOCK: i64 = 0x6c65_6467_0002;

/// The URL without its password, for messages.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub fn connect(url: &str) -> Result<Client> {
    Client::connect(url, NoTls).with_context(|| format!("{}: cannot connect to PostgreSQL", redacted(url)))
}

/// Creates the schema or brings it up to date, one transaction per version.
pub fn migrate(client: &mut Client, url: &str) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    tx.batch_execute(&version_table_ddl(VERSION_TABLE))?;
    let current: i32 = tx
        .query_one(&format!("SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}"), &[])?
        .get(0);
    let latest = MIGRATIONS.last().map_or(0, |m| m.version);
    if current > latest {
        bail!(
            "{}: schema version {current} is newer than this ledgerline knows ({latest})",
            redacted(url)
        );
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.batch_execute(m.sql)
            .with_context(|| format!("{}: schema version {} ({}) failed", redacted(url), m.version, m.name))?;
        tx.execute(
            &format!("INSERT INTO {VERSION_TABLE} (version, name) VALUES ($1, $2)"),
            &[&m.version, &m.name],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// `url` naming the database `name` instead of the one it names.
pub fn with_database(url: &str, name: &str) -> Result<String> {
    let start = url
        .find("://")
        .map(|i| i + 3)
        .ok_or_else(|| anyhow!("{}: not a URL", redacted(url)))?;
    let (rest, query) = match url[start..].find('?') {
        Some(q) => (&url[start..start + q], &url[start + q..]),
        None => (&url[start..], ""),
    };
    let authority = rest.split('/').next().unwrap_or("");
    Ok(format!("{}{authority}/{name}{query}", &url[..start]))
}

/// A database created for a test or a benchmark on a server it may create databases
/// on, dropped (with its connections) when this goes out of scope.
pub struct ScratchDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl ScratchDatabase {
    pub fn create(admin_url: &str, prefix: &str) -> Result<ScratchDatabase> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "{prefix}_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_micros() % 1_000_000
        );
        connect(admin_url)?
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .with_context(|| format!("{}: cannot create a scratch database", redacted(admin_url)))?;
        Ok(ScratchDatabase {
            url: with_database(admin_url, &name)?,
            admin_url: admin_url.to_string(),
            name,
        })
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut c) = connect(&self.admin_url) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// One value on its way into a binary COPY, typed from the column's [`Kind`].
#[derive(Debug)]
enum Cell<'a> {
    Text(Option<&'a str>),
    Date(Option<NaiveDate>),
    Int(Option<i32>),
    Bool(Option<bool>),
    Stamp(NaiveDateTime),
}

impl Cell<'_> {
    fn parse<'a>(value: Option<&'a str>, kind: Kind) -> Result<Cell<'a>, String> {
        let Some(v) = value else {
            return Ok(match kind {
                Kind::Text => Cell::Text(None),
                Kind::Date => Cell::Date(None),
                Kind::Int => Cell::Int(None),
                Kind::Bool => Cell::Bool(None),
            });
        };
        Ok(match kind {
            Kind::Text => Cell::Text(Some(v)),
            Kind::Date => Cell::Date(Some(
                NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| format!("{v:?} is not a YYYY-MM-DD date"))?,
            )),
            Kind::Int => Cell::Int(Some(v.parse().map_err(|_| format!("{v:?} is not a whole number"))?)),
            Kind::Bool => Cell::Bool(Some(match v {
                "true" => true,
                "false" => false,
                _ => return Err(format!("{v:?} is not true or false")),
            })),
        })
    }
}

impl ToSql for Cell<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Cell::Text(v) => v.to_sql(ty, out),
            Cell::Date(v) => v.to_sql(ty, out),
            Cell::Int(v) => v.to_sql(ty, out),
            Cell::Bool(v) => v.to_sql(ty, out),
            Cell::Stamp(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        [
            Type::VARCHAR,
            Type::TEXT,
            Type::DATE,
            Type::INT4,
            Type::BOOL,
            Type::TIMESTAMP,
        ]
        .contains(ty)
    }

    to_sql_checked!();
}

fn pg_type(kind: Kind) -> Type {
    match kind {
        Kind::Text => Type::VARCHAR,
        Kind::Date => Type::DATE,
        Kind::Int => Type::INT4,
        Kind::Bool => Type::BOOL,
    }
}

/// Text parameters as the driver takes them.
pub fn params<'a>(texts: &'a [&'a str]) -> Vec<&'a (dyn ToSql + Sync)> {
    texts.iter().map(|s| s as &(dyn ToSql + Sync)).collect()
}

/// Writes `rows` with one binary COPY (for [`crate::Database::append`]); `constants` fill the table's per-write columns.
pub fn copy_rows(client: &mut Client, rows: &Rows, constants: &[Option<&str>]) -> Result<u64> {
    let t = rows.table;
    let types: Vec<Type> = t
        .columns
        .iter()
        .map(|(_, k)| pg_type(*k))
        .chain(t.constants.iter().map(|_| Type::VARCHAR))
        .chain([Type::TIMESTAMP])
        .collect();
    let now = chrono::Utc::now().naive_utc();
    let sink = client.copy_in(&format!(
        "COPY {} ({}) FROM STDIN (FORMAT binary)",
        t.name,
        t.all_columns().join(", ")
    ))?;
    let mut writer = BinaryCopyInWriter::new(sink, &types);
    let mut cells: Vec<Cell> = Vec::with_capacity(types.len());
    for (i, row) in rows.iter().enumerate() {
        cells.clear();
        for (value, (column, kind)) in row.iter().zip(t.columns) {
            let cell = Cell::parse(value.as_deref(), *kind)
                .map_err(|e| anyhow!("{} row {} column {column}: {e}", t.name, i + 1))?;
            cells.push(cell);
        }
        cells.extend(constants.iter().map(|c| Cell::Text(*c)));
        cells.push(Cell::Stamp(now));
        writer.write_raw(cells.iter())?;
    }
    Ok(writer.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redacted("postgres://dba:s3cret@db.example:5432/province"),
            "postgres://dba:***@db.example:5432/province"
        );
        assert_eq!(redacted("postgres://dba@h/p"), "postgres://dba@h/p");
        assert_eq!(redacted("postgres:///p?host=/run"), "postgres:///p?host=/run");
    }

    #[test]
    fn urls_name_other_databases() {
        assert_eq!(
            with_database("postgres://u:p@127.0.0.1:5432/postgres?sslmode=disable", "x").unwrap(),
            "postgres://u:p@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(with_database("postgresql://u@h", "x").unwrap(), "postgresql://u@h/x");
    }

    #[test]
    fn cells_parse_by_kind() {
        assert!(matches!(
            Cell::parse(Some("2013-03-05"), Kind::Date),
            Ok(Cell::Date(Some(_)))
        ));
        assert!(Cell::parse(Some("2013-3-5x"), Kind::Date).is_err());
        assert!(matches!(Cell::parse(Some("81"), Kind::Int), Ok(Cell::Int(Some(81)))));
        assert!(matches!(Cell::parse(None, Kind::Bool), Ok(Cell::Bool(None))));
        assert!(Cell::parse(Some("yes"), Kind::Bool).is_err());
    }
}
