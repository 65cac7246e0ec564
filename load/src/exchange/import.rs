//! Taking a package in: verified whole before the database is opened, then withdrawn
//! loads taken out and rows not held added, in one transaction, in the order packages
//! must arrive in (see [`super::order`]).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use duckdb::Connection;
use openssl::pkey::{PKey, Private};
use serde::Serialize;

use super::encryption::Decrypter;
use super::order::{self, Span};
use super::scratch::Scratch;
use super::signing::{self, Checked, Signature, SIGNATURE};
use super::{
    in_memory_schema, package_file_name, parquet_name, schema_columns, sha256_of, sql_text, FileEntry, Manifest,
    WithdrawnLoad, MANIFEST, STANDARD, TABLES,
};
use crate::conflicts::COLUMNS;
use crate::links::{self, HeldOtherwise, Linked, ProvinceLinks};
use crate::tables::Kind;
use crate::{Database, UtcTime, MIGRATIONS};

/// A package whose manifest and checksums [`verify`] checked: what [`import`] takes, so
/// nothing unchecked is loaded, and a package refused is refused before the database is
/// even opened (a mistyped package folder made an empty national database file).
pub struct Verified {
    dir: PathBuf,
    /// The package's files decrypted, removed with it.
    decrypted: Option<Scratch>,
    pub manifest: Manifest,
    /// The manifest as the package holds it, the bytes its signature is of.
    manifest_bytes: Vec<u8>,
    pub signature: Option<Signature>,
    /// The span of loads the manifest says the package holds.
    pub span: Span,
}

/// Checks a package: its manifest, that it holds exactly the files it names, each
/// file's checksum, and what each holds. An encrypted package is decrypted with
/// `decrypt_key` (the receiving key it was encrypted for; refused without it), its files
/// checked as decrypted.
pub fn verify(dir: &Path, decrypt_key: Option<&PKey<Private>>) -> Result<Verified> {
    let mut package = check_package(dir)?;
    let mpath = dir.join(MANIFEST);
    if let Some(encryption) = &package.manifest.encryption {
        let Some(key) = decrypt_key else {
            bail!(
                "{}: the package is encrypted for receiving key {}: give its private key, --decrypt-key",
                mpath.display(),
                encryption.recipient
            );
        };
        let decrypter = Decrypter::new(key, encryption).with_context(|| mpath.display().to_string())?;
        let decrypted = Scratch::new()?;
        for f in &package.manifest.files {
            decrypter.decrypt(
                &dir.join(&f.name),
                &decrypted.path().join(parquet_name(&f.table)),
                &f.name,
            )?;
        }
        package.decrypted = Some(decrypted);
    }
    check_contents(dir, package.files(), &package.manifest)?;
    Ok(package)
}

impl Verified {
    /// The folder the package's Parquet files are read from: the package's own, or, for
    /// an encrypted package, the one they were decrypted into.
    fn files(&self) -> &Path {
        self.decrypted.as_ref().map_or(&self.dir, |d| d.path())
    }
}

/// [`verify`] but for what the files hold: the manifest, that the package holds exactly
/// the files it names, and each file's checksum (of an encrypted package, checked
/// without its key).
pub(crate) fn check_package(dir: &Path) -> Result<Verified> {
    let mpath = dir.join(MANIFEST);
    let manifest_bytes = std::fs::read(&mpath).with_context(|| format!("{}: no manifest", mpath.display()))?;
    let text = std::str::from_utf8(&manifest_bytes).map_err(|_| anyhow::anyhow!("{}: not UTF-8", mpath.display()))?;
    let m: Manifest =
        serde_json::from_str(text).with_context(|| format!("{}: not an exchange manifest", mpath.display()))?;
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
        if !TABLES.iter().any(|(t, _)| *t == f.table) || f.name != package_file_name(&f.table, m.encryption.is_some()) {
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
        if name != MANIFEST && name != SIGNATURE && !m.files.iter().any(|f| f.name == name) {
            bail!("{}: a file the manifest does not name", dir.join(&name).display());
        }
    }
    let signature = signing::read_signature(dir)?;
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
        decrypted: None,
        manifest: m,
        manifest_bytes,
        signature,
        span,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub province: String,
    /// Nothing was written: the import was done and rolled back, to tell what it would do.
    pub dry_run: bool,
    /// The package's signature, as checked against the keys the database trusts for the
    /// province (see [`signing::check`]).
    pub signature: Checked,
    /// The receiving key the package was encrypted for, if it was (see
    /// [`super::encryption`]).
    pub encrypted_for: Option<String>,
    /// Rows added per table (rows already held are not added again).
    pub added: Vec<(String, u64)>,
    /// The rows taken out of the loads the package withdraws, per load.
    pub withdrawn: Vec<crate::backfill::Unloaded>,
    /// Persons' values changed by the corrections held (those the package brought, the
    /// latest of each person's column winning over one an older package brings late).
    pub corrected: u64,
    /// Loads the package starts after that no package imported here holds, if any (see
    /// [`order`]).
    pub gap: Option<String>,
    /// Persons the package brought linked to the death of a person the database held
    /// under the same full ID number, name and death date: one death sent by two
    /// provinces (a death in one, the burial in the home province), each person kept as
    /// sent (see [`crate::links`]).
    pub linked: Vec<Linked>,
    /// Persons the package brought whose full ID number the database held under a person
    /// of another death, not linked (their names or death dates differ): for the national
    /// DBA to link or keep apart.
    pub id_numbers_held_otherwise: Vec<HeldOtherwise>,
    /// The links and decisions of the province's own the package carried: followed, held
    /// so already, or not followed and why (see [`crate::links::follow`]).
    pub province_links: ProvinceLinks,
}

/// Rows added per table.
type RowsAdded = Vec<(String, u64)>;

/// What the import did of deaths: the persons added linked to a death held under their
/// ID number, those not linked, and the province's own links followed.
type OfDeaths = (Vec<Linked>, Vec<HeldOtherwise>, ProvinceLinks);

/// A package's file, ready to be added: a Parquet file DuckDB reads in place, or the CSV
/// file a PostgreSQL import copies into a temporary table.
struct Ready<'m> {
    file: &'m FileEntry,
    path: PathBuf,
}

/// Loads a verified package in one transaction, unless it arrives too late (see
/// [`order`]): first takes out the rows of the loads it withdraws (which a later load of
/// the same content may have brought back: the package's rows are then added again),
/// then adds the rows the database does not hold, gives each person the values of the
/// latest corrections held, and records the package. With `dry_run`, all of it is done
/// and rolled back: the report tells what the import would do.
pub fn import(db: &mut Database, package: Verified, dry_run: bool) -> Result<Imported> {
    let files = package.files().to_path_buf();
    let Verified {
        dir,
        decrypted,
        manifest: m,
        manifest_bytes,
        signature,
        span,
    } = package;
    let dir = dir.as_path();
    let scratch = Scratch::new()?;
    let result = ready_files(db, &files, &m, scratch.path()).and_then(|ready| {
        db.exclusively_unless_dry(dry_run, |db, at| {
            let signed = signing::check(db, &m.province, &manifest_bytes, signature.as_ref())?;
            super::encryption::check(db, &m.province, m.encryption.as_ref())?;
            let gap = order::check(db, &m.province, span, !m.withdrawn_loads.is_empty())?;
            let withdrawn = withdraw(db, &m.withdrawn_loads)?;
            let (added, deaths) = add_files(db, &ready, &m.province, at)?;
            let corrected = crate::conflicts::apply_corrections(db)?;
            order::record(db, &m.province, span, at)?;
            Ok((signed, withdrawn, added, corrected, gap, deaths))
        })
    });
    let (signature, withdrawn, added, corrected, gap, (linked, id_numbers_held_otherwise, province_links)) =
        result.with_context(|| format!("importing {}", dir.display()))?;
    drop(decrypted);
    Ok(Imported {
        province: m.province,
        dry_run,
        signature,
        encrypted_for: m.encryption.map(|e| e.recipient),
        added,
        withdrawn,
        corrected,
        gap,
        linked,
        id_numbers_held_otherwise,
        province_links,
    })
}

/// Every file of the package (its Parquet files in `files`), for PostgreSQL turned into
/// CSV in `scratch`: all before the transaction starts.
fn ready_files<'m>(db: &Database, files: &Path, m: &'m Manifest, scratch: &Path) -> Result<Vec<Ready<'m>>> {
    let duck = Connection::open_in_memory()?;
    let mut ready = Vec::new();
    for f in &m.files {
        let parquet = files.join(parquet_name(&f.table));
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

/// Adds each file's rows the database does not hold (the province's links are followed,
/// not added as rows); the rows added per table, and what was done of deaths.
fn add_files(db: &mut Database, ready: &[Ready], province: &str, at: UtcTime) -> Result<(RowsAdded, OfDeaths)> {
    let mut added = Vec::new();
    let mut deaths = (Vec::new(), Vec::new(), ProvinceLinks::default());
    for Ready { file: f, path } in ready {
        let source = match db {
            Database::DuckDb(_) => format!("read_parquet({})", sql_text(&path.display().to_string())),
            Database::Postgres(_) => stage_file(db, f, path)?,
        };
        if f.table == "person_links" {
            deaths.2 = links::follow(db, &source, province, at)?;
            continue;
        }
        if f.table == "deceased" {
            (deaths.0, deaths.1) = links::link_arriving(db, &links::Arriving::package(&source), at)?;
        }
        let columns = columns_of(db, &f.table)?;
        let n = db.execute(&add_not_held(&f.table, &source, &columns), &[])?;
        added.push((f.table.clone(), n));
    }
    Ok((added, deaths))
}

/// Copies a package's file (as CSV) into a temporary table shaped like its table, on
/// PostgreSQL; the table's name.
fn stage_file(db: &mut Database, f: &FileEntry, path: &Path) -> Result<String> {
    let Database::Postgres(client) = db else {
        bail!("staging {} is for PostgreSQL", f.name);
    };
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
    Ok(stage)
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

/// Each file of the package `package` (its Parquet form in `files`) holds the rows the
/// manifest counts, in the columns, of the types, its table has here: a package another
/// exporter (or version) made differently is refused naming the file and the columns,
/// before the database is opened.
pub(crate) fn check_contents(package: &Path, files: &Path, m: &Manifest) -> Result<()> {
    let duck = in_memory_schema("the in-memory schema")?;
    let named = |(column, kind): (String, String)| format!("{column} {kind}");
    for f in &m.files {
        let parquet = files.join(parquet_name(&f.table));
        let path = package.join(&f.name);
        let source = format!("read_parquet({})", sql_text(&parquet.display().to_string()));
        let held: Vec<String> = (|| -> Result<Vec<String>> {
            let mut stmt = duck.prepare(&format!(
                "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {source})"
            ))?;
            let columns = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(columns.map(|c| c.map(named)).collect::<Result<_, _>>()?)
        })()
        .with_context(|| format!("{}: not a Parquet file DuckDB reads", path.display()))?;
        let wanted: Vec<String> = schema_columns(&duck, &f.table)?.into_iter().map(named).collect();
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
        if f.table == "corrections" {
            check_corrections(&duck, &source).with_context(|| path.display().to_string())?;
        }
        if f.table == "person_links" {
            check_links(&duck, &source).with_context(|| path.display().to_string())?;
        }
    }
    Ok(())
}

/// Each link of `source` (a package's file of them) names two persons and who linked
/// them when, as `person_links` requires.
fn check_links(duck: &Connection, source: &str) -> Result<()> {
    let found = duck.query_row(
        &format!(
            "SELECT person_id, linked_to FROM {source}
             WHERE person_id IS NULL OR linked_to IS NULL OR person_id = linked_to
                OR agreed IS NULL OR linked_by IS NULL OR linked_at IS NULL
             LIMIT 1"
        ),
        [],
        |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, Option<String>>(1)?)),
    );
    match found {
        Err(duckdb::Error::QueryReturnedNoRows) => Ok(()),
        Err(e) => Err(e.into()),
        Ok((person, to)) => bail!(
            "a link no import can follow: {} to {} (a link names two persons, what agreed, who linked them and when)",
            person.unwrap_or_else(|| "no person".into()),
            to.unwrap_or_else(|| "no person".into())
        ),
    }
}

/// Each correction of `source` (a package's file of them) is one an import can apply:
/// of a column a correction may change, its value of the column's type.
fn check_corrections(duck: &Connection, source: &str) -> Result<()> {
    let columns: Vec<String> = COLUMNS.iter().map(|(_, c, _)| sql_text(c)).collect();
    let mistyped: Vec<String> = COLUMNS
        .iter()
        .filter(|(_, _, kind)| *kind != Kind::Text)
        .map(|(_, c, kind)| {
            format!(
                "(column_name = {} AND value IS NOT NULL AND TRY_CAST(value AS {}) IS NULL)",
                sql_text(c),
                kind.sql()
            )
        })
        .collect();
    let found = duck.query_row(
        &format!(
            "SELECT person_id, column_name, value FROM {source}
             WHERE column_name NOT IN ({}) OR {} LIMIT 1",
            columns.join(", "),
            mistyped.join(" OR ")
        ),
        [],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        },
    );
    match found {
        Err(duckdb::Error::QueryReturnedNoRows) => Ok(()),
        Err(e) => Err(e.into()),
        Ok((person, column, value)) => bail!(
            "a correction no import can apply: person {person}'s {column} to {} (a correction \
             changes one of {}, to a value of its type)",
            value.map_or("nothing".to_string(), |v| format!("{v:?}")),
            COLUMNS.map(|(_, c, _)| c).join(", ")
        ),
    }
}
