//! Writing a package: every table's rows (those loaded after `--since`) as of one moment,
//! and the loads taken out since.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use chrono::TimeZone;
use duckdb::Connection;
use postgres::Client;
use serde::Serialize;

use super::encryption::{self, Encrypter};
use super::send_to;
use super::signing::{self, Signature};
use super::{
    check_province, in_memory_schema, package_file_name, parquet_name, schema_columns, sha256_of, sql_text, stamps_of,
    FileEntry, Manifest, WithdrawnLoad, MANIFEST, PACKAGE_SCHEMA_VERSION, STANDARD, TABLES,
};
use crate::{Database, UtcTime};

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

/// `--since` as the database compares it: `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC, the zone of
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

/// What [`export`] did: the package it wrote, or the one it found already whole in
/// `out`.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    /// The package was in `out` before this export: nothing was written. An export
    /// killed after its package was renamed into place, run again, ends here.
    pub exported_before: bool,
    #[serde(flatten)]
    pub manifest: Manifest,
    /// The package's signature (`--sign-key`), if it has one.
    pub signature: Option<Signature>,
}

/// Writes the package for `province` from `db` into `out`, a folder that must not exist
/// yet or be empty. The package is made in a folder beside it and renamed to `out` once
/// whole, so a failed or killed export leaves no package that is half one (and what a
/// killed one left beside it is removed by the next). A folder that already holds the
/// whole package asked for (this province, this `--since`) is left as it is: an export
/// run again after one that finished is not an error, and its package is not replaced
/// by another of a later moment (the one it wrote may have been sent on).
///
/// With `encrypt_for` (a receiving public key in PEM, `exchange keygen --receiver`'s),
/// or without it when `db` recorded the key its packages go encrypted for (see
/// [`send_to`]), the files are encrypted for it (see [`encryption`]); their plain form
/// is written only inside the folder being made, and gone before it becomes the package. With
/// `sign_key` (an Ed25519 private key in PEM, `exchange keygen`'s), the manifest is
/// signed and the signature written beside it (see [`signing`]).
pub fn export(
    db: &mut Database,
    province: &str,
    since: Option<&str>,
    out: &Path,
    sign_key: Option<&Path>,
    encrypt_for: Option<&Path>,
) -> Result<Exported> {
    check_province(province)?;
    let since = since.map(parse_since).transpose()?;
    let sign_key = sign_key.map(signing::read_signing_key).transpose()?;
    let recipient = match encrypt_for {
        Some(path) => Some(encryption::read_recipient(path)?),
        None => send_to::recorded(db)?,
    };
    let partial = ledgerline_store::partial_beside(out)
        .with_context(|| format!("{}: name the package's folder", out.display()))?;
    ledgerline_store::remove_stale_partials(out)
        .with_context(|| format!("{}: cannot clear what a killed export left beside it", out.display()))?;
    if out.exists() && (!out.is_dir() || std::fs::read_dir(out)?.next().is_some()) {
        return package_held(out, province, since.as_deref()).and_then(|manifest| {
            let asked = recipient.as_ref().map(signing::fingerprint).transpose()?;
            let held = manifest.encryption.as_ref().map(|e| &e.recipient);
            if held != asked.as_ref() {
                let told = |key: Option<&String>| key.map_or("not encrypted".to_string(), |k| format!("encrypted for key {k}"));
                bail!(
                    "{}: holds this package {}, and the one asked for is {}: it goes into another folder",
                    out.display(),
                    told(held),
                    told(asked.as_ref())
                );
            }
            let signature = signing::read_signature(out)?;
            if let Some(key) = &sign_key {
                let asked = signing::fingerprint(key)?;
                if signature.as_ref().map(|s| &s.key) != Some(&asked) {
                    bail!(
                        "{}: holds this package {}, not signed by key {asked}; a package signed by it goes into another folder",
                        out.display(),
                        signature.map_or("unsigned".to_string(), |s| format!("signed by key {}", s.key))
                    );
                }
            }
            Ok(Exported {
                exported_before: true,
                manifest,
                signature,
            })
        });
    }
    std::fs::create_dir_all(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    let made = write_files(db, province, since.as_deref(), &partial, recipient.as_ref()).and_then(|m| {
        std::fs::write(partial.join(MANIFEST), serde_json::to_string_pretty(&m)?)?;
        let signature = match &sign_key {
            Some(key) => Some(signing::sign_into(
                &partial,
                &std::fs::read(partial.join(MANIFEST))?,
                key,
            )?),
            None => None,
        };
        if out.exists() {
            std::fs::remove_dir(out).with_context(|| format!("cannot replace {}", out.display()))?;
        }
        std::fs::rename(&partial, out).with_context(|| format!("cannot create {}", out.display()))?;
        Ok((m, signature))
    });
    if made.is_err() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    made.map(|(manifest, signature)| Exported {
        exported_before: false,
        manifest,
        signature,
    })
}

/// Writes the package's files into `partial`, encrypted for `recipient` if given; its
/// manifest.
fn write_files(
    db: &mut Database,
    province: &str,
    since: Option<&str>,
    partial: &Path,
    recipient: Option<&openssl::pkey::PKey<openssl::pkey::Public>>,
) -> Result<Manifest> {
    let Some(recipient) = recipient else {
        return export_into(db, province, since, partial);
    };
    let encrypter = Encrypter::new(recipient)?;
    // Inside the folder being made: a killed export's plain files go with it.
    let plain = tempfile::Builder::new().prefix(".plain").tempdir_in(partial)?;
    let mut manifest = export_into(db, province, since, plain.path())?;
    manifest.encryption = Some(encrypter.encryption.clone());
    for f in &mut manifest.files {
        f.name = package_file_name(&f.table, true);
        let path = partial.join(&f.name);
        encrypter.encrypt(&plain.path().join(parquet_name(&f.table)), &path, &f.name)?;
        f.sha256 = sha256_of(&path)?;
    }
    Ok(manifest)
}

/// The manifest of the package `out` holds, if it is whole (see [`super::verify`]) and
/// the one asked for; else why `out` is no place for the package.
fn package_held(out: &Path, province: &str, since: Option<&str>) -> Result<Manifest> {
    const OWN_FOLDER: &str = "an exchange package goes into a folder of its own";
    if !out.is_dir() || !out.join(MANIFEST).exists() {
        bail!("{}: not an empty folder; {OWN_FOLDER}", out.display());
    }
    // What an encrypted package's files hold is not checked here: the exporter lacks
    // the receiving key; their checksums are.
    let whole = super::check_package(out).and_then(|held| match held.manifest.encryption {
        None => super::check_contents(out, out, &held.manifest).map(|()| held),
        Some(_) => Ok(held),
    });
    let held = match whole {
        Ok(held) => held.manifest,
        Err(e) => bail!(
            "{}: holds a package that is not whole ({e:#}); {OWN_FOLDER}",
            out.display()
        ),
    };
    if held.province != province || held.since.as_deref() != since {
        let span = |p: &str, s: Option<&str>| {
            format!(
                "province {p}'s package {}",
                s.map_or("of all loads".to_string(), |s| format!("since {s}"))
            )
        };
        bail!(
            "{}: holds {} (exported {}), not {}; {OWN_FOLDER}",
            out.display(),
            span(&held.province, held.since.as_deref()),
            held.exported_at,
            span(province, since)
        );
    }
    Ok(held)
}

fn export_into(db: &mut Database, province: &str, since: Option<&str>, out: &Path) -> Result<Manifest> {
    let as_of = match db {
        // Only one process opens an embedded database to write, and this one has it:
        // no load commits meanwhile.
        Database::DuckDb(_) => UtcTime::now(),
        Database::Postgres(client) => begin_snapshot_between_writers(client)?,
    };
    let withdrawn = withdrawn_loads(db, since)?;
    // A database of an earlier schema version lacks the later tables: it has no rows of them.
    let mut tables = Vec::with_capacity(TABLES.len());
    for (table, _) in TABLES {
        if db.has_table(table)? {
            tables.push(table);
        }
    }
    let has = |table: &str| tables.contains(&table);
    // Called once, on the one path the engine takes.
    let package = move |conn: &Connection, rows_of: &dyn Fn(&str) -> Result<Option<String>>| {
        write_package(conn, province, since, as_of, out, rows_of, withdrawn)
    };
    match db {
        Database::DuckDb(conn) => package(conn, &|table| {
            Ok(has(table).then(|| format!("SELECT * FROM {table} {}", since_filter(table, since))))
        }),
        Database::Postgres(client) => {
            // Inside the folder being made, as the plain files of an encrypted package.
            let scratch = tempfile::Builder::new().prefix(".scratch").tempdir_in(out)?;
            for table in &tables {
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
            let duck = in_memory_schema("the in-memory conversion")?;
            duck.execute_batch(&format!(
                "SET temp_directory = {}",
                sql_text(&scratch.path().join("spill").display().to_string())
            ))?;
            package(&duck, &|table| {
                has(table)
                    .then(|| typed_csv(&duck, table, &scratch.path().join(format!("{table}.csv"))))
                    .transpose()
            })
        }
    }
}

/// The loads taken out after `since` (all, without it), the earliest first. None from a
/// database of the first schema version, which kept no record of them.
fn withdrawn_loads(db: &mut Database, since: Option<&str>) -> Result<Vec<WithdrawnLoad>> {
    if !db.has_table("unloads")? {
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
            withdrawn.push(
                UtcTime::read_sql_text(v[2].unwrap_or_default(), "unloads").map(|at| WithdrawnLoad {
                    load_id: v[0].unwrap_or_default().to_string(),
                    batch_id: v[1].map(str::to_string),
                    unloaded_at: at.rfc3339(),
                }),
            )
        },
    )?;
    withdrawn.into_iter().collect()
}

/// `WHERE` the row was written after `since`, for the tables whose rows say when.
fn since_filter(table: &str, since: Option<&str>) -> String {
    let stamps = stamps_of(table);
    match since {
        Some(ts) if !stamps.is_empty() => {
            let later: Vec<String> = stamps
                .iter()
                .map(|stamp| format!("{stamp} > CAST({} AS TIMESTAMP)", sql_text(ts)))
                .collect();
            format!("WHERE {}", later.join(" OR "))
        }
        _ => String::new(),
    }
}

/// A query of the rows of a CSV file PostgreSQL wrote of `table`, each column cast to the
/// type the schema gives it (the same casts an insert into the table makes).
fn typed_csv(conn: &Connection, table: &str, csv: &Path) -> Result<String> {
    let casts: Vec<String> = schema_columns(conn, table)?
        .into_iter()
        .map(|(column, kind)| format!("CAST({column} AS {kind}) AS {column}"))
        .collect();
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
/// `rows_of(table)` queries them (`None` for a table the database lacks), in an order
/// that makes the same rows the same file; `since` is [`parse_since`]'s, `as_of` the
/// time of the state written.
fn write_package(
    conn: &Connection,
    province: &str,
    since: Option<&str>,
    as_of: UtcTime,
    out: &Path,
    rows_of: &dyn Fn(&str) -> Result<Option<String>>,
    withdrawn_loads: Vec<WithdrawnLoad>,
) -> Result<Manifest> {
    let mut files = Vec::new();
    for (table, entity) in TABLES {
        let Some(query) = rows_of(table)? else {
            continue;
        };
        let name = parquet_name(table);
        let path = out.join(&name);
        let rows = conn
            .execute(
                &format!(
                    "COPY ({query} ORDER BY {}) TO {} (FORMAT parquet)",
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
        schema_version: PACKAGE_SCHEMA_VERSION,
        exported_at: as_of.rfc3339(),
        since: since.map(str::to_string),
        files,
        withdrawn_loads,
        encryption: None,
    };
    Ok(manifest)
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
