//! Exchange packages between basic databases (province → nation): the entities of
//! MZ/T 141-2019 (DeadInformation, ContactInformation, InstitutionData) and the funeral
//! events, as Parquet files written by DuckDB, with a manifest naming the province, the
//! row count and SHA-256 of every file, and the schema version. Import checks the
//! manifest and every checksum before touching the database, then loads all tables in
//! one transaction, adding only rows the database does not already hold.
//!
//! DuckDB reads and writes the Parquet files in both deployments. A PostgreSQL database
//! is bridged with its own `COPY … (FORMAT csv)`: the rows a package holds are copied out
//! (filtered by `--since` on the server) into CSV files that an in-memory DuckDB turns
//! into Parquet as it reads them, typed as the schema types the tables; imported files
//! are turned into CSV by
//! DuckDB, copied into temporary tables shaped `LIKE` the real ones, and added with the
//! same "only rows not held" statements as on DuckDB.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use chrono::TimeZone;
use duckdb::Connection;
use postgres::Client;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use ledgerline_store::migrations::apply_list;

use crate::exchange_order::{self, Span};
use crate::{Database, UtcTime, MIGRATIONS, VERSION_TABLE};

pub const MANIFEST: &str = "manifest.json";
pub const STANDARD: &str = "MZ/T 141-2019";

/// The exchanged tables, each with the MZ/T 141 entity it carries.
const TABLES: [(&str, &str); 5] = [
    ("agencies", "InstitutionData"),
    ("deceased", "DeadInformation"),
    ("agents", "ContactInformation"),
    ("cremations", "CremationInformation"),
    ("burials", "BurialInformation"),
];

/// The order of a table's rows in its file: all columns, left to right. A table whose
/// first column is its key is put in the same order by that column alone (a sort on
/// every column of 2M persons took 6.4 s, on the key 4.1).
fn package_order(table: &str) -> &'static str {
    match table {
        "agencies" => "agency_id",
        "deceased" => "person_id",
        _ => "ALL",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    pub name: String,
    pub table: String,
    pub entity: String,
    pub rows: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub standard: String,
    pub province: String,
    pub schema_version: i32,
    pub exported_at: String,
    /// Only rows loaded after this time, if given.
    pub since: Option<String>,
    pub files: Vec<FileEntry>,
    /// Loads the province took out again (`ledgerline unload`) after `since` (every one,
    /// without it): an import takes their rows out too, before it adds the package's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withdrawn_loads: Vec<WithdrawnLoad>,
}

/// A load taken out of the exporting database.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WithdrawnLoad {
    pub load_id: String,
    pub batch_id: Option<String>,
    /// When, RFC 3339 in UTC.
    pub unloaded_at: String,
}

fn sha256_of(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `--province`: the two digits of a province in GB/T 2260 (37 山东).
fn check_province(province: &str) -> Result<()> {
    let name = (province.len() == 2)
        .then(|| ledgerline_schemas::codes::division(&format!("{province}0000")))
        .flatten();
    if name.is_none() {
        bail!("--province {province:?}: not the two-digit GB/T 2260 code of a province (37 is 山东, 11 北京)");
    }
    Ok(())
}

/// `--since` as the database compares it: `YYYY-MM-DD HH:MM:SS` in UTC, the zone of
/// every time a basic database holds. Read: a date (its midnight) or a date and a time
/// (`HH:MM[:SS]`, after a space or a `T`) in this machine's time zone, as a DBA means
/// it (read as UTC, `--since 2026-12-01` in Beijing left out the rows loaded before 8 in
/// the morning of the first); or a time with its zone, `Z` (a manifest's `exported_at`)
/// or an offset (`+08:00`, `+0800`, `+08`).
pub fn parse_since(text: &str) -> Result<String> {
    let wrong = || {
        anyhow!(
            "--since {text:?}: expected a date or a time, YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS], \
             in this machine's time zone unless it ends with Z or an offset such as +08:00"
        )
    };
    let t = text.trim().replacen('T', " ", 1);
    let (written, offset) = split_offset(&t).ok_or_else(wrong)?;
    let at = chrono::NaiveDateTime::parse_from_str(written, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(written, "%Y-%m-%d %H:%M"))
        .or_else(|_| chrono::NaiveDate::parse_from_str(written, "%Y-%m-%d").map(|d| d.and_time(chrono::NaiveTime::MIN)))
        .map_err(|_| wrong())?;
    let utc = match offset {
        Some(offset) => at - offset,
        // A time a change of clocks makes twice: the earlier, which leaves out nothing.
        None => match chrono::Local.from_local_datetime(&at).earliest() {
            Some(local) => local.naive_utc(),
            None => bail!("--since {text:?}: this machine's time zone has no such time (its clocks were put forward)"),
        },
    };
    Ok(utc.format("%Y-%m-%d %H:%M:%S%.f").to_string())
}

/// A time as written and the offset from UTC it ends with, if any: `Z`, or `+`/`-` and
/// hours, with minutes after a colon or not. `None` for an offset that is none.
fn split_offset(t: &str) -> Option<(&str, Option<chrono::TimeDelta>)> {
    if let Some(written) = t.strip_suffix(['Z', 'z']) {
        return Some((written, Some(chrono::TimeDelta::zero())));
    }
    // A date's own dashes come within its first ten characters.
    let Some(sign_at) = t.get(10..).and_then(|rest| rest.rfind(['+', '-'])).map(|i| i + 10) else {
        return Some((t, None));
    };
    let digits = t[sign_at + 1..].replace(':', "");
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i64>().ok()?, 0),
        4 => (digits[..2].parse::<i64>().ok()?, digits[2..].parse::<i64>().ok()?),
        _ => return None,
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) || h > 14 || m > 59 {
        return None;
    }
    let minutes = if &t[sign_at..=sign_at] == "-" {
        -(h * 60 + m)
    } else {
        h * 60 + m
    };
    Some((t[..sign_at].trim_end(), Some(chrono::TimeDelta::minutes(minutes))))
}

/// Writes the package for `province` from `db` into `out`, a folder that must not exist
/// yet or be empty. The package is made in a folder beside it and renamed to `out` once
/// whole, so a failed or killed export leaves no package that is half one.
pub fn export(db: &mut Database, province: &str, since: Option<&str>, out: &Path) -> Result<Manifest> {
    check_province(province)?;
    let since = since.map(parse_since).transpose()?;
    if out.exists() && (!out.is_dir() || std::fs::read_dir(out)?.next().is_some()) {
        bail!(
            "{}: not an empty folder; an exchange package goes into a folder of its own",
            out.display()
        );
    }
    let partial = ledgerline_store::partial_beside(out)
        .with_context(|| format!("{}: name the package's folder", out.display()))?;
    std::fs::create_dir_all(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let made = export_into(db, province, since.as_deref(), &partial).and_then(|m| {
        if out.exists() {
            std::fs::remove_dir(out).with_context(|| format!("cannot replace {}", out.display()))?;
        }
        std::fs::rename(&partial, out).with_context(|| format!("cannot create {}", out.display()))?;
        Ok(m)
    });
    if made.is_err() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    made
}

fn export_into(db: &mut Database, province: &str, since: Option<&str>, out: &Path) -> Result<Manifest> {
    let as_of = match db {
        // Only one process opens an embedded database to write, and this one has it:
        // no load commits meanwhile.
        Database::DuckDb(_) => UtcTime::now(),
        Database::Postgres(client) => begin_snapshot_between_writers(client)?,
    };
    let withdrawn = withdrawn_loads(db, since)?;
    let package = |conn: &Connection, rows_of: &dyn Fn(&str) -> Result<String>| {
        write_package(conn, province, since, as_of, out, rows_of, withdrawn.clone())
    };
    match db {
        Database::DuckDb(conn) => package(conn, &|table| {
            Ok(format!("SELECT * FROM {table} {}", since_filter(table, since)))
        }),
        Database::Postgres(client) => {
            let scratch = tempfile::tempdir()?;
            for (table, _) in TABLES {
                let csv = scratch.path().join(format!("{table}.csv"));
                let mut file = std::fs::File::create(&csv)?;
                // Only the rows the package holds leave the server.
                let mut reader = client.copy_out(&format!(
                    "COPY (SELECT * FROM {table} {}) TO STDOUT (FORMAT csv, HEADER)",
                    since_filter(table, since)
                ))?;
                std::io::copy(&mut reader, &mut file).with_context(|| format!("reading {table}"))?;
            }
            client.batch_execute("COMMIT")?;
            // The CSV files are turned into Parquet as they are read, typed as the
            // schema types the tables; copied into tables of an in-memory database
            // first, 2M persons with their agents and cremations took 2.1 GB.
            let duck = Connection::open_in_memory()?;
            apply_list(&duck, MIGRATIONS, VERSION_TABLE, "the in-memory conversion")?;
            duck.execute_batch(&format!(
                "SET temp_directory = {}",
                sql_text(&scratch.path().join("spill").display().to_string())
            ))?;
            package(&duck, &|table| {
                typed_csv(&duck, table, &scratch.path().join(format!("{table}.csv")))
            })
        }
    }
}

/// The loads taken out after `since` (all, without it), the earliest first. None from a
/// database of the first schema version, which kept no record of them.
fn withdrawn_loads(db: &mut Database, since: Option<&str>) -> Result<Vec<WithdrawnLoad>> {
    let kept = db.text(
        "SELECT CAST(count(*) AS VARCHAR) FROM information_schema.tables WHERE table_name = 'unloads'",
        &[],
    )?;
    if kept.as_deref() == Some("0") {
        return Ok(Vec::new());
    }
    let filter = since.map_or(String::new(), |ts| {
        format!("WHERE unloaded_at > CAST({} AS TIMESTAMP)", sql_text(ts))
    });
    let mut withdrawn = Vec::new();
    db.each_row(
        &format!(
            "SELECT load_id, batch_id, CAST(unloaded_at AS VARCHAR) FROM unloads {filter}
             ORDER BY unloaded_at, load_id"
        ),
        &[],
        3,
        |v| {
            withdrawn.push(WithdrawnLoad {
                load_id: v[0].unwrap_or_default().to_string(),
                batch_id: v[1].map(str::to_string),
                unloaded_at: v[2]
                    .and_then(UtcTime::from_sql_text)
                    .map_or_else(|| v[2].unwrap_or_default().to_string(), UtcTime::rfc3339),
            })
        },
    )?;
    Ok(withdrawn)
}

/// `WHERE` the row was loaded after `since`, for the tables whose rows say when.
fn since_filter(table: &str, since: Option<&str>) -> String {
    match (since, table) {
        (_, "agencies") | (None, _) => String::new(),
        (Some(ts), _) => format!("WHERE loaded_at > CAST({} AS TIMESTAMP)", sql_text(ts)),
    }
}

/// A query of the rows of a CSV file PostgreSQL wrote of `table`, each column cast to the
/// type the schema gives it (the same casts an insert into the table makes).
fn typed_csv(conn: &Connection, table: &str, csv: &Path) -> Result<String> {
    let mut columns = conn.prepare(
        "SELECT column_name, data_type FROM information_schema.columns
         WHERE table_name = ? ORDER BY ordinal_position",
    )?;
    let casts: Vec<String> = columns
        .query_map([table], |r| {
            Ok(format!(
                "CAST({0} AS {1}) AS {0}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?
            ))
        })?
        .collect::<Result<_, _>>()?;
    Ok(format!(
        "SELECT {} FROM read_csv({}, header = true, all_varchar = true, allow_quoted_nulls = false)",
        casts.join(", "),
        sql_text(&csv.display().to_string())
    ))
}

/// Starts the transaction a PostgreSQL export reads every table in: one snapshot, so the
/// package's tables agree (each table copied on its own, a load committing between two
/// of them left agents whose persons the package lacked), taken while no ledgerline
/// writer is in its transaction. Returns the snapshot's time, the package's
/// `exported_at`: a writer that commits after the snapshot got the write lock after it
/// and stamps its rows later (see [`crate::clock`]), so an export `--since` that time
/// holds them.
fn begin_snapshot_between_writers(client: &mut Client) -> Result<UtcTime> {
    // Held by the session, not the transaction: the snapshot is taken by the transaction's
    // first statement, which must come after the wait for writers to finish.
    client.execute("SELECT pg_advisory_lock_shared($1)", &[&crate::pg::WRITE_LOCK])?;
    let snapshot = (|| -> Result<UtcTime> {
        client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
        UtcTime::of_server(client)
    })();
    // Writers may go on once the snapshot is taken.
    let unlocked = client.execute("SELECT pg_advisory_unlock_shared($1)", &[&crate::pg::WRITE_LOCK]);
    let as_of = snapshot?;
    unlocked?;
    Ok(as_of)
}

/// Writes the package's files into `out`, an empty folder: each table's rows as
/// `rows_of(table)` queries them, in an order that makes the same rows the same file;
/// `since` is [`parse_since`]'s, `as_of` the time of the state written.
fn write_package(
    conn: &Connection,
    province: &str,
    since: Option<&str>,
    as_of: UtcTime,
    out: &Path,
    rows_of: &dyn Fn(&str) -> Result<String>,
    withdrawn_loads: Vec<WithdrawnLoad>,
) -> Result<Manifest> {
    let mut files = Vec::new();
    for (table, entity) in TABLES {
        let name = format!("{table}.parquet");
        let path = out.join(&name);
        let rows = conn
            .execute(
                &format!(
                    "COPY ({} ORDER BY {}) TO {} (FORMAT parquet)",
                    rows_of(table)?,
                    package_order(table),
                    sql_text(&path.display().to_string())
                ),
                [],
            )
            .with_context(|| format!("writing {}", path.display()))? as u64;
        files.push(FileEntry {
            sha256: sha256_of(&path)?,
            name,
            table: table.to_string(),
            entity: entity.to_string(),
            rows,
        });
    }
    let manifest = Manifest {
        standard: STANDARD.to_string(),
        province: province.to_string(),
        schema_version: MIGRATIONS.len() as i32,
        exported_at: as_of.rfc3339(),
        since: since.map(str::to_string),
        files,
        withdrawn_loads,
    };
    std::fs::write(out.join(MANIFEST), serde_json::to_string_pretty(&manifest)?)?;
    Ok(manifest)
}

/// A package whose manifest and checksums [`verify`] checked: what [`import`] takes, so
/// nothing unchecked is loaded, and a package refused is refused before the database is
/// even opened (a mistyped package folder made an empty national database file).
pub struct Verified {
    dir: PathBuf,
    pub manifest: Manifest,
    /// The span of loads the manifest says the package holds.
    pub span: Span,
}

/// Checks a package: its manifest, that it holds exactly the files it names, and each
/// file's checksum.
pub fn verify(dir: &Path) -> Result<Verified> {
    let mpath = dir.join(MANIFEST);
    let text = std::fs::read(&mpath).with_context(|| format!("{}: no manifest", mpath.display()))?;
    let text = String::from_utf8(text).map_err(|_| anyhow::anyhow!("{}: not UTF-8", mpath.display()))?;
    let m: Manifest =
        serde_json::from_str(&text).with_context(|| format!("{}: not an exchange manifest", mpath.display()))?;
    if m.standard != STANDARD {
        bail!("{}: standard {:?}, expected {STANDARD}", mpath.display(), m.standard);
    }
    if m.schema_version > MIGRATIONS.len() as i32 {
        bail!(
            "{}: schema version {} is newer than this ledgerline knows ({})",
            mpath.display(),
            m.schema_version,
            MIGRATIONS.len()
        );
    }
    for f in &m.files {
        if !TABLES.iter().any(|(t, _)| *t == f.table) || f.name != format!("{}.parquet", f.table) {
            bail!("{}: unknown file {} for table {}", mpath.display(), f.name, f.table);
        }
        let path = dir.join(&f.name);
        if !path.is_file() {
            bail!("{}: missing (named in the manifest)", path.display());
        }
        let got = sha256_of(&path)?;
        if got != f.sha256 {
            bail!(
                "{}: checksum mismatch (manifest {}, file {got}): the package is damaged or was altered",
                path.display(),
                f.sha256
            );
        }
    }
    for w in &m.withdrawn_loads {
        if w.load_id.is_empty() || UtcTime::from_rfc3339(&w.unloaded_at).is_none() {
            bail!(
                "{}: withdrawn load {:?} unloaded at {:?}: not a load id and an RFC 3339 time",
                mpath.display(),
                w.load_id,
                w.unloaded_at
            );
        }
    }
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().to_string();
        if name != MANIFEST && !m.files.iter().any(|f| f.name == name) {
            bail!("{}: a file the manifest does not name", dir.join(&name).display());
        }
    }
    check_contents(dir, &m)?;
    let span = Span {
        exported_at: UtcTime::from_rfc3339(&m.exported_at).ok_or_else(|| {
            anyhow!(
                "{}: exported_at {:?} is not an RFC 3339 time",
                mpath.display(),
                m.exported_at
            )
        })?,
        since: match &m.since {
            None => None,
            Some(since) => Some(UtcTime::from_sql_text(since).ok_or_else(|| {
                anyhow!(
                    "{}: since {since:?} is not a time (YYYY-MM-DD HH:MM:SS)",
                    mpath.display()
                )
            })?),
        },
    };
    Ok(Verified {
        dir: dir.to_path_buf(),
        manifest: m,
        span,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub province: String,
    /// Rows added per table (rows already held are not added again).
    pub added: Vec<(String, u64)>,
    /// The rows taken out of the loads the package withdraws, per load.
    pub withdrawn: Vec<crate::backfill::Unloaded>,
}

/// A package's file, ready to be added: a Parquet file DuckDB reads in place, or the CSV
/// file a PostgreSQL import copies into a temporary table.
struct Ready<'m> {
    file: &'m FileEntry,
    path: PathBuf,
}

/// Loads a verified package in one transaction, if it arrives in order (see
/// [`exchange_order`]; `allow_gap` lets it start after the last package of its province):
/// first takes out the rows of the loads it withdraws (which a later load of the same
/// content may have brought back: the package's rows are then added again), then adds
/// the rows the database does not hold, and records the package.
pub fn import(db: &mut Database, package: Verified, allow_gap: bool) -> Result<Imported> {
    let Verified { dir, manifest: m, span } = package;
    let dir = dir.as_path();
    let scratch = tempfile::tempdir()?;
    let result = ready_files(db, dir, &m, scratch.path()).and_then(|ready| {
        let at = db.begin_exclusive()?;
        let done = exchange_order::check(db, &m.province, span, allow_gap)
            .and_then(|()| withdraw(db, &m.withdrawn_loads))
            .and_then(|withdrawn| {
                let added = add_files(db, &ready)?;
                exchange_order::record(db, &m.province, span, at)?;
                db.commit()?;
                Ok((withdrawn, added))
            });
        if done.is_err() {
            db.rollback();
        }
        done
    });
    let (withdrawn, added) = result.with_context(|| format!("importing {}", dir.display()))?;
    Ok(Imported {
        province: m.province,
        added,
        withdrawn,
    })
}

/// Every file of the package, its rows counted against the manifest and, for
/// PostgreSQL, turned into CSV in `scratch`: all before the transaction starts.
fn ready_files<'m>(db: &Database, dir: &Path, m: &'m Manifest, scratch: &Path) -> Result<Vec<Ready<'m>>> {
    let duck = Connection::open_in_memory()?;
    let mut ready = Vec::new();
    for f in &m.files {
        let parquet = dir.join(&f.name);
        let source = sql_text(&parquet.display().to_string());
        let path = match db {
            Database::DuckDb(_) => parquet,
            Database::Postgres(_) => {
                let csv = scratch.join(format!("{}.csv", f.table));
                duck.execute_batch(&format!(
                    "COPY (SELECT * FROM read_parquet({source})) TO {} (FORMAT csv, HEADER)",
                    sql_text(&csv.display().to_string())
                ))
                .with_context(|| format!("reading {}", f.name))?;
                csv
            }
        };
        ready.push(Ready { file: f, path });
    }
    Ok(ready)
}

/// Takes out the rows of each withdrawn load, and keeps the withdrawal as the exporting
/// database did (once, however often the package is imported).
fn withdraw(db: &mut Database, loads: &[WithdrawnLoad]) -> Result<Vec<crate::backfill::Unloaded>> {
    let mut withdrawn = Vec::new();
    for w in loads {
        let at = UtcTime::from_rfc3339(&w.unloaded_at)
            .ok_or_else(|| {
                anyhow!(
                    "withdrawn load {}: unloaded_at {:?} is no time",
                    w.load_id,
                    w.unloaded_at
                )
            })?
            .sql_text();
        let batch = w.batch_id.as_deref().unwrap_or_default();
        withdrawn.push(
            crate::backfill::delete_rows_of(db, &w.load_id)
                .with_context(|| format!("withdrawing load {}", w.load_id))?,
        );
        db.execute(
            "INSERT INTO unloads (load_id, batch_id, unloaded_at)
             SELECT CAST($1 AS VARCHAR), NULLIF(CAST($2 AS VARCHAR), ''), CAST(CAST($3 AS VARCHAR) AS TIMESTAMP)
             WHERE NOT EXISTS (SELECT 1 FROM unloads
                               WHERE load_id = CAST($1 AS VARCHAR)
                                 AND unloaded_at = CAST(CAST($3 AS VARCHAR) AS TIMESTAMP))",
            &[&w.load_id, batch, &at],
        )?;
    }
    Ok(withdrawn)
}

/// Adds each file's rows the database does not hold; the rows added per table.
fn add_files(db: &mut Database, ready: &[Ready]) -> Result<Vec<(String, u64)>> {
    let mut added = Vec::new();
    for Ready { file: f, path } in ready {
        let columns = columns_of(db, &f.table)?;
        let n = match db {
            Database::DuckDb(conn) => {
                let source = format!("read_parquet({})", sql_text(&path.display().to_string()));
                conn.execute(&add_not_held(&f.table, &source, &columns), [])? as u64
            }
            Database::Postgres(client) => {
                let stage = format!("exchange_{}", f.table);
                client.batch_execute(&format!(
                    "CREATE TEMP TABLE {stage} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP",
                    f.table
                ))?;
                let mut sink = client.copy_in(&format!("COPY {stage} FROM STDIN (FORMAT csv, HEADER)"))?;
                std::io::copy(&mut std::fs::File::open(path)?, &mut sink)?;
                sink.finish().with_context(|| format!("copying {}", f.name))?;
                // Its size known, the server looks the rows up by person where few.
                client.batch_execute(&format!("ANALYZE {stage}"))?;
                client.execute(&add_not_held(&f.table, &stage, &columns), &[])?
            }
        };
        added.push((f.table.clone(), n));
    }
    Ok(added)
}

/// The statement adding the rows of `source` (a relation with the table's columns,
/// `columns`) that the database does not hold. A person or agency already held keeps its
/// row (a differing one is not overwritten); event and agent rows are added unless an
/// identical one is there, looked for among the person's rows only (an `EXCEPT` against
/// the whole table read every row a national database holds, for each package).
fn add_not_held(table: &str, source: &str, columns: &[String]) -> String {
    match table {
        "deceased" => format!(
            "INSERT INTO deceased SELECT * FROM {source} p
             WHERE NOT EXISTS (SELECT 1 FROM deceased d WHERE d.person_id = p.person_id)"
        ),
        "agencies" => format!(
            "INSERT INTO agencies SELECT * FROM {source} p
             WHERE NOT EXISTS (SELECT 1 FROM agencies a WHERE a.agency_id = p.agency_id OR a.name = p.name)"
        ),
        t => {
            let same: Vec<String> = columns
                .iter()
                .filter(|c| *c != "person_id")
                .map(|c| format!("h.{c} IS NOT DISTINCT FROM p.{c}"))
                .collect();
            format!(
                "INSERT INTO {t} SELECT DISTINCT * FROM {source} p
                 WHERE NOT EXISTS (SELECT 1 FROM {t} h WHERE h.person_id = p.person_id AND {})",
                same.join(" AND ")
            )
        }
    }
}

/// A table's columns, in order.
fn columns_of(db: &mut Database, table: &str) -> Result<Vec<String>> {
    Ok(db
        .texts(
            "SELECT column_name FROM information_schema.columns
             WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position",
            &[table],
            1,
        )?
        .into_iter()
        .flatten()
        .collect())
}

/// Each file holds the rows the manifest counts, in the columns, of the types, its table
/// has here: a package another exporter (or version) made differently is refused naming
/// the file and the columns, before the database is opened.
fn check_contents(dir: &Path, m: &Manifest) -> Result<()> {
    let duck = Connection::open_in_memory()?;
    apply_list(&duck, MIGRATIONS, VERSION_TABLE, "the in-memory schema")?;
    for f in &m.files {
        let path = dir.join(&f.name);
        let source = format!("read_parquet({})", sql_text(&path.display().to_string()));
        let columns = |sql: &str| -> Result<Vec<String>> {
            let mut stmt = duck.prepare(sql)?;
            let names = stmt.query_map([], |r| {
                Ok(format!("{} {}", r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            Ok(names.collect::<Result<_, _>>()?)
        };
        let held = columns(&format!(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})"
        ))
        .with_context(|| format!("{}: not a Parquet file DuckDB reads", path.display()))?;
        let wanted = columns(&format!(
            "SELECT column_name, data_type FROM information_schema.columns
             WHERE table_name = {} ORDER BY ordinal_position",
            sql_text(&f.table)
        ))?;
        if held != wanted {
            let missing: Vec<&str> = wanted
                .iter()
                .filter(|c| !held.contains(c))
                .map(String::as_str)
                .collect();
            let unexpected: Vec<&str> = held
                .iter()
                .filter(|c| !wanted.contains(c))
                .map(String::as_str)
                .collect();
            bail!(
                "{}: its columns are not those of table {} (schema version {}): missing [{}], not in the table [{}]{}",
                path.display(),
                f.table,
                MIGRATIONS.len(),
                missing.join(", "),
                unexpected.join(", "),
                if missing.is_empty() && unexpected.is_empty() {
                    ", in another order"
                } else {
                    ""
                }
            );
        }
        let rows: i64 = duck.query_row(&format!("SELECT count(*) FROM {source}"), [], |r| r.get(0))?;
        if rows as u64 != f.rows {
            bail!("{}: holds {rows} rows, the manifest says {}", f.name, f.rows);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_since;

    #[test]
    fn since_with_a_zone_is_read_in_that_zone() {
        for (written, utc) in [
            ("2026-12-05T13:31:18Z", "2026-12-05 13:31:18"),
            ("2026-12-05 21:31+08:00", "2026-12-05 13:31:00"),
            ("2026-12-05 21:31:18 +0800", "2026-12-05 13:31:18"),
            ("2026-12-05T08:00:00-05", "2026-12-05 13:00:00"),
            ("2026-12-01 02:00+08:00", "2026-11-30 18:00:00"),
            ("2026-12-05T13:31:18.250239Z", "2026-12-05 13:31:18.250239"),
            ("2026-12-05 13:31:18.5+00:00", "2026-12-05 13:31:18.500"),
        ] {
            assert_eq!(parse_since(written).unwrap(), utc, "{written}");
        }
        for wrong in [
            "yesterday",
            "2026-12-05 21:31+8",
            "2026-12-05 21:31+08:0x",
            "2026-12-05 25:00Z",
            "2026-12-05 21:31+15:00",
            "2026-12-05 21:31 UTC",
        ] {
            let e = parse_since(wrong).unwrap_err().to_string();
            assert!(e.starts_with(&format!("--since {wrong:?}: expected")), "{e}");
        }
    }
}
