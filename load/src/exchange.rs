//! Exchange packages between basic databases (province → nation): the entities of
//! MZ/T 141-2019 (DeadInformation, ContactInformation, InstitutionData) and the funeral
//! events, as Parquet files written by DuckDB, with a manifest naming the province, the
//! row count and SHA-256 of every file, and the schema version. Import checks the
//! manifest and every checksum before touching the database, then loads all tables in
//! one transaction, adding only rows the database does not already hold.

use std::path::Path;

use anyhow::{bail, Context, Result};
use duckdb::Connection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::MIGRATIONS;

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

/// Writes the package for `province` into `out` (created; must be empty).
pub fn export(conn: &Connection, province: &str, since: Option<&str>, out: &Path) -> Result<Manifest> {
    if !(province.len() == 2 && province.chars().all(|c| c.is_ascii_digit())) {
        bail!("--province {province:?}: expected a two-digit GB/T 2260 province code, e.g. 37");
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    if std::fs::read_dir(out)?.next().is_some() {
        bail!(
            "{}: not empty; an exchange package goes into a folder of its own",
            out.display()
        );
    }
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

/// Checks a package: its manifest, that it holds exactly the files it names, and each
/// file's checksum. Returns the manifest.
pub fn verify(dir: &Path) -> Result<Manifest> {
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
    Ok(m)
}

#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub province: String,
    /// Rows added per table (rows already held are not added again).
    pub added: Vec<(String, u64)>,
}

/// Verifies, then loads the package in one transaction.
pub fn import(conn: &Connection, dir: &Path) -> Result<Imported> {
    let m = verify(dir)?;
    conn.execute_batch("BEGIN TRANSACTION")?;
    let run = || -> Result<Vec<(String, u64)>> {
        let mut added = Vec::new();
        for f in &m.files {
            let path = sql_text(&dir.join(&f.name).display().to_string());
            let rows: i64 = conn.query_row(&format!("SELECT count(*) FROM read_parquet({path})"), [], |r| r.get(0))?;
            if rows as u64 != f.rows {
                bail!("{}: holds {rows} rows, the manifest says {}", f.name, f.rows);
            }
            // A person or agency already held keeps its row (a differing one is not
            // overwritten); event rows are added unless an identical one is there.
            let sql = match f.table.as_str() {
                "deceased" => format!(
                    "INSERT INTO deceased SELECT * FROM read_parquet({path}) p
                     WHERE NOT EXISTS (SELECT 1 FROM deceased d WHERE d.person_id = p.person_id)"
                ),
                "agencies" => format!(
                    "INSERT INTO agencies SELECT * FROM read_parquet({path}) p
                     WHERE NOT EXISTS (SELECT 1 FROM agencies a WHERE a.agency_id = p.agency_id OR a.name = p.name)"
                ),
                t => format!("INSERT INTO {t} SELECT * FROM read_parquet({path}) EXCEPT SELECT * FROM {t}"),
            };
            let n = conn.execute(&sql, [])?;
            added.push((f.table.clone(), n as u64));
        }
        Ok(added)
    };
    match run() {
        Ok(added) => {
            conn.execute_batch("COMMIT")?;
            Ok(Imported {
                province: m.province,
                added,
            })
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK").ok();
            Err(e.context(format!("importing {}", dir.display())))
        }
    }
}
