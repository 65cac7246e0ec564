//! Exchange packages between basic databases (province → nation): the entities of
//! MZ/T 141-2019 (DeadInformation, ContactInformation, InstitutionData) and the funeral
//! events, as Parquet files written by DuckDB, with a manifest naming the province, the
//! row count and SHA-256 of every file, and the schema version. Import checks the
//! manifest and every checksum before touching the database, then loads all tables in
//! one transaction, adding only rows the database does not already hold.
//!
//! DuckDB reads and writes the Parquet files in both deployments. A PostgreSQL database
//! is bridged with its own `COPY … (FORMAT csv)`: exported tables are mirrored into an
//! in-memory DuckDB that writes the package; imported files are turned into CSV by
//! DuckDB, copied into temporary tables shaped `LIKE` the real ones, and added with the
//! same "only rows not held" statements as on DuckDB.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use duckdb::Connection;
use postgres::Client;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use ledgerline_store::migrations::apply_list;

use crate::{Database, MIGRATIONS, VERSION_TABLE};

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

/// `--since` as the database compares it, `YYYY-MM-DD HH:MM:SS`: a date (its midnight)
/// or a date and time, with a space or a `T`.
pub fn parse_since(text: &str) -> Result<String> {
    let t = text.trim().trim_end_matches('Z').replacen('T', " ", 1);
    let at = chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%d %H:%M"))
        .or_else(|_| chrono::NaiveDate::parse_from_str(&t, "%Y-%m-%d").map(|d| d.and_time(chrono::NaiveTime::MIN)));
    match at {
        Ok(at) => Ok(at.format("%Y-%m-%d %H:%M:%S").to_string()),
        Err(_) => bail!("--since {text:?}: expected a date or a time, YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS]"),
    }
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
    match db {
        Database::DuckDb(conn) => export_duckdb(conn, province, since, out),
        Database::Postgres(client) => {
            let mirror = Connection::open_in_memory()?;
            apply_list(&mirror, MIGRATIONS, VERSION_TABLE, "the in-memory mirror")?;
            let scratch = tempfile::tempdir()?;
            for (table, _) in TABLES {
                let csv = scratch.path().join(format!("{table}.csv"));
                let mut file = std::fs::File::create(&csv)?;
                let mut reader = client.copy_out(&format!("COPY {table} TO STDOUT (FORMAT csv, HEADER)"))?;
                std::io::copy(&mut reader, &mut file).with_context(|| format!("reading {table}"))?;
                drop(reader);
                mirror
                    .execute_batch(&format!(
                        "INSERT INTO {table} SELECT * FROM read_csv({}, header = true, all_varchar = true, allow_quoted_nulls = false)",
                        sql_text(&csv.display().to_string())
                    ))
                    .with_context(|| format!("mirroring {table}"))?;
            }
            export_duckdb(&mirror, province, since, out)
        }
    }
}

/// Writes the package's files into `out`, an empty folder; `since` is [`parse_since`]'s.
fn export_duckdb(conn: &Connection, province: &str, since: Option<&str>, out: &Path) -> Result<Manifest> {
    let mut files = Vec::new();
    for (table, entity) in TABLES {
        let name = format!("{table}.parquet");
        let path = out.join(&name);
        let filter = match (since, table) {
            (_, "agencies") | (None, _) => String::new(),
            (Some(ts), _) => format!("WHERE loaded_at > CAST({} AS TIMESTAMP)", sql_text(ts)),
        };
        let rows: u64 = conn.query_row(&format!("SELECT count(*) FROM {table} {filter}"), [], |r| {
            r.get::<_, i64>(0)
        })? as u64;
        conn.execute_batch(&format!(
            "COPY (SELECT * FROM {table} {filter} ORDER BY ALL) TO {} (FORMAT parquet)",
            sql_text(&path.display().to_string())
        ))
        .with_context(|| format!("writing {}", path.display()))?;
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
        exported_at: chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        since: since.map(str::to_string),
        files,
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
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().to_string();
        if name != MANIFEST && !m.files.iter().any(|f| f.name == name) {
            bail!("{}: a file the manifest does not name", dir.join(&name).display());
        }
    }
    Ok(Verified {
        dir: dir.to_path_buf(),
        manifest: m,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub province: String,
    /// Rows added per table (rows already held are not added again).
    pub added: Vec<(String, u64)>,
}

/// Loads a verified package in one transaction.
pub fn import(db: &mut Database, package: Verified) -> Result<Imported> {
    let Verified { dir, manifest: m } = package;
    let dir = dir.as_path();
    let result = match db {
        Database::DuckDb(conn) => import_duckdb(conn, dir, &m),
        Database::Postgres(client) => import_postgres(client, dir, &m),
    };
    let added = result.with_context(|| format!("importing {}", dir.display()))?;
    Ok(Imported {
        province: m.province,
        added,
    })
}

/// The statement adding the rows of `source` (a relation with the table's columns) that
/// the database does not hold. A person or agency already held keeps its row (a
/// differing one is not overwritten); event rows are added unless an identical one is there.
fn add_not_held(table: &str, source: &str) -> String {
    match table {
        "deceased" => format!(
            "INSERT INTO deceased SELECT * FROM {source} p
             WHERE NOT EXISTS (SELECT 1 FROM deceased d WHERE d.person_id = p.person_id)"
        ),
        "agencies" => format!(
            "INSERT INTO agencies SELECT * FROM {source} p
             WHERE NOT EXISTS (SELECT 1 FROM agencies a WHERE a.agency_id = p.agency_id OR a.name = p.name)"
        ),
        t => format!("INSERT INTO {t} SELECT * FROM {source} EXCEPT SELECT * FROM {t}"),
    }
}

fn check_rows(conn: &Connection, path: &str, f: &FileEntry) -> Result<()> {
    let rows: i64 = conn.query_row(&format!("SELECT count(*) FROM read_parquet({path})"), [], |r| r.get(0))?;
    if rows as u64 != f.rows {
        bail!("{}: holds {rows} rows, the manifest says {}", f.name, f.rows);
    }
    Ok(())
}

fn import_duckdb(conn: &Connection, dir: &Path, m: &Manifest) -> Result<Vec<(String, u64)>> {
    conn.execute_batch("BEGIN TRANSACTION")?;
    let run = || -> Result<Vec<(String, u64)>> {
        let mut added = Vec::new();
        for f in &m.files {
            let path = sql_text(&dir.join(&f.name).display().to_string());
            check_rows(conn, &path, f)?;
            let n = conn.execute(&add_not_held(&f.table, &format!("read_parquet({path})")), [])?;
            added.push((f.table.clone(), n as u64));
        }
        Ok(added)
    };
    match run() {
        Ok(added) => {
            conn.execute_batch("COMMIT")?;
            Ok(added)
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK").ok();
            Err(e)
        }
    }
}

fn import_postgres(client: &mut Client, dir: &Path, m: &Manifest) -> Result<Vec<(String, u64)>> {
    // Every file is read and converted before the transaction starts.
    let duck = Connection::open_in_memory()?;
    let scratch = tempfile::tempdir()?;
    let mut csvs = Vec::new();
    for f in &m.files {
        let path = sql_text(&dir.join(&f.name).display().to_string());
        check_rows(&duck, &path, f)?;
        let csv = scratch.path().join(format!("{}.csv", f.table));
        duck.execute_batch(&format!(
            "COPY (SELECT * FROM read_parquet({path})) TO {} (FORMAT csv, HEADER)",
            sql_text(&csv.display().to_string())
        ))
        .with_context(|| format!("reading {}", f.name))?;
        csvs.push((f, csv));
    }
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&crate::pg::WRITE_LOCK])?;
    let mut added = Vec::new();
    for (f, csv) in csvs {
        let stage = format!("exchange_{}", f.table);
        tx.batch_execute(&format!(
            "CREATE TEMP TABLE {stage} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP",
            f.table
        ))?;
        let mut sink = tx.copy_in(&format!("COPY {stage} FROM STDIN (FORMAT csv, HEADER)"))?;
        std::io::copy(&mut std::fs::File::open(&csv)?, &mut sink)?;
        sink.finish().with_context(|| format!("copying {}", f.name))?;
        let n = tx.execute(&add_not_held(&f.table, &stage), &[])?;
        added.push((f.table.clone(), n));
    }
    tx.commit()?;
    Ok(added)
}
