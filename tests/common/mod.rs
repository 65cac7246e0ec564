//! Helpers for the end-to-end tests: run the real `ledgerline` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ledgerline"))
}

/// Runs ledgerline with `args`; panics with its output if the exit status is not `code`.
pub fn run_expect(args: &[&str], code: i32) -> Output {
    let out = Command::new(bin()).args(args).output().expect("ledgerline runs");
    assert_eq!(
        out.status.code(),
        Some(code),
        "ledgerline {args:?}\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Adds a review account to the workspace `ws` (made if missing), its password given on
/// standard input as a script would.
pub fn add_user(ws: &str, name: &str, role: &str, password: &str) {
    add_user_with(ws, name, role, password, &[]);
}

/// [`add_user`] with more options of `users add` (`--temporary`).
pub fn add_user_with(ws: &str, name: &str, role: &str, password: &str, options: &[&str]) {
    use std::io::Write;
    let mut add = Command::new(bin())
        .args([
            "users",
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            "--workspace",
            ws,
        ])
        .args(options)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("ledgerline runs");
    writeln!(add.stdin.take().expect("a pipe"), "{password}").expect("the password written");
    assert!(add.wait().expect("ledgerline ran").success(), "users add {name} failed");
}

pub fn run_ok(args: &[&str]) -> Output {
    run_expect(args, 0)
}

/// Runs ledgerline and parses its `--json` stdout.
pub fn run_json(args: &[&str]) -> serde_json::Value {
    let out = run_ok(args);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "ledgerline {args:?} printed no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample_batch() -> PathBuf {
    repo_root().join("batches/sample")
}

/// A workspace's records exported as JSON lines, sorted: two workspaces hold the same
/// records when these are equal.
pub fn sorted_export(ws: &Path) -> Vec<String> {
    let out = ws.with_extension("jsonl");
    run_ok(&["export", "--workspace", s(ws), "--format", "jsonl", "--out", s(&out)]);
    let mut lines: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines.sort();
    lines
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Generated records stored as a workspace batch, 20 rows a page, and their truth rows.
pub mod stored {
    use ledgerline_schemas::{Record, ReviewStatus, TruthRow};
    use ledgerline_store::{records::replace_page_records, Workspace};
    use ledgerline_synth::records::SyntheticRecord;

    pub const ROWS_PER_PAGE: usize = 20;

    pub fn as_record(batch: &str, i: usize, r: &SyntheticRecord) -> Record {
        r.to_record(batch, i, ROWS_PER_PAGE, ReviewStatus::Machine)
    }

    /// Stores `records` as batch `batch` (status `machine`).
    pub fn store(ws: &Workspace, batch: &str, records: &[SyntheticRecord]) -> Vec<TruthRow> {
        let recs: Vec<Record> = records
            .iter()
            .enumerate()
            .map(|(i, r)| as_record(batch, i, r))
            .collect();
        ws.transaction(|c| {
            for page in recs.chunks(ROWS_PER_PAGE) {
                replace_page_records(c, &page[0].source.page, page)?;
            }
            Ok(())
        })
        .unwrap();
        recs.iter()
            .zip(records)
            .map(|(r, s)| TruthRow {
                page: r.source.page.clone(),
                row: r.source.row,
                record_type: r.record_type,
                person_id: s.person_id.clone(),
                fields: s.fields.clone(),
            })
            .collect()
    }
}

/// A copy of the exchange package `good` in `into`, damaged as `how` says:
/// `wrong-checksum` (a byte of a file changed), `missing-file` (a file removed),
/// `extra-file` (a file the manifest does not name, added), `other-columns` (the
/// persons' file written without a column, its checksum in the manifest made to match,
/// as another exporter would make it), `undated-correction` (every correction's value
/// made `someday`, the checksum matched), `self-link` (every link made one of a person
/// to itself, the checksum matched) or `renamed` (every person's name changed, the
/// checksum matched: only a signature tells).
pub fn damaged_package(good: &Path, into: &Path, how: &str) {
    std::fs::create_dir_all(into).unwrap();
    for e in std::fs::read_dir(good).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), into.join(e.file_name())).unwrap();
    }
    match how {
        "wrong-checksum" => flip_a_bit(&into.join("deceased.parquet")),
        "missing-file" => std::fs::remove_file(into.join("agents.parquet")).unwrap(),
        "extra-file" => std::fs::write(into.join("readme.txt"), "added later").unwrap(),
        "other-columns" => rewrite_package_file(into, "deceased", "* EXCLUDE (nameless)"),
        "undated-correction" => rewrite_package_file(into, "corrections", "* REPLACE ('someday' AS value)"),
        "self-link" => rewrite_package_file(into, "person_links", "* REPLACE (person_id AS linked_to)"),
        "renamed" => rewrite_package_file(into, "deceased", "* REPLACE ('改名' AS name)"),
        // An encrypted package altered by someone without its key, who makes its
        // checksums match: a byte changed, or two files put in each other's place.
        "altered-encrypted" => {
            flip_a_bit(&into.join("deceased.parquet.enc"));
            recompute_checksum(into, "deceased");
        }
        "swapped-encrypted" => {
            let [a, b] = ["deceased", "agents"].map(|t| into.join(format!("{t}.parquet.enc")));
            let (bytes_a, bytes_b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
            std::fs::write(&a, bytes_b).unwrap();
            std::fs::write(&b, bytes_a).unwrap();
            recompute_checksum(into, "deceased");
            recompute_checksum(into, "agents");
        }
        other => panic!("no way to damage a package called {other:?}"),
    }
}

/// Flips a bit in the middle of the file at `path`.
fn flip_a_bit(path: &Path) {
    let mut b = std::fs::read(path).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 1;
    std::fs::write(path, b).unwrap();
}

/// Rewrites the package's file of `table` as `SELECT {select}` of it, and its checksum in
/// the manifest to match, as a maker of packages that are not ours might.
fn rewrite_package_file(package: &Path, table: &str, select: &str) {
    let f = package.join(format!("{table}.parquet"));
    let written = package.join("written.parquet");
    duckdb::Connection::open_in_memory()
        .unwrap()
        .execute_batch(&format!(
            "COPY (SELECT {select} FROM read_parquet('{}')) TO '{}' (FORMAT parquet)",
            f.display(),
            written.display()
        ))
        .unwrap();
    std::fs::rename(&written, &f).unwrap();
    recompute_checksum(package, table);
}

/// Sets the checksum the package's manifest names for the file of `table` to the file's.
fn recompute_checksum(package: &Path, table: &str) {
    use sha2::Digest;
    let manifest = package.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    for file in m["files"].as_array_mut().unwrap() {
        if file["table"] == table {
            let f = package.join(file["name"].as_str().unwrap());
            file["sha256"] = hex::encode(sha2::Sha256::digest(std::fs::read(&f).unwrap())).into();
        }
    }
    std::fs::write(&manifest, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}

/// Basic funeral databases for the load tests: an embedded DuckDB file, or a scratch
/// database on the test PostgreSQL server (`LEDGERLINE_TEST_POSTGRES`, else the one
/// `scripts/pg-test-server.sh` starts on loopback).
pub mod basic {
    use std::path::Path;
    use std::process::Command;
    use std::sync::OnceLock;

    use ledgerline_load::pg::ScratchDatabase;
    use ledgerline_load::Target;

    pub struct Basic {
        pub target: String,
        _scratch: Option<ScratchDatabase>,
    }

    pub fn duckdb(dir: &Path, name: &str) -> Basic {
        Basic {
            target: format!("duckdb:{}", dir.join(format!("{name}.duckdb")).display()),
            _scratch: None,
        }
    }

    pub fn admin_url() -> &'static str {
        static URL: OnceLock<String> = OnceLock::new();
        URL.get_or_init(|| {
            if let Ok(url) = std::env::var("LEDGERLINE_TEST_POSTGRES") {
                return url;
            }
            let script = super::repo_root().join("scripts/pg-test-server.sh");
            let out = Command::new(&script).output().expect("scripts/pg-test-server.sh runs");
            assert!(
                out.status.success(),
                "the PostgreSQL tests need a server: set LEDGERLINE_TEST_POSTGRES or install postgresql\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        })
    }

    pub fn postgres(prefix: &str) -> Basic {
        let scratch = ScratchDatabase::create(admin_url(), prefix).expect("a scratch PostgreSQL database");
        Basic {
            target: scratch.url.clone(),
            _scratch: Some(scratch),
        }
    }

    impl Basic {
        pub fn t(&self) -> &str {
            &self.target
        }

        /// Runs statements with text parameters (`$1`…) against the database.
        pub fn execute(&self, sql: &str, params: &[&str]) {
            let mut db = Target::parse(&self.target).unwrap().open_for_writing().unwrap();
            db.execute(sql, params).unwrap_or_else(|e| panic!("{sql}: {e:#}"));
        }

        /// Whether the target is a basic funeral database: one that ledgerline has opened
        /// for writing (which makes an embedded one and applies the schema).
        pub fn is_basic_database(&self) -> bool {
            Target::parse(&self.target).unwrap().open_for_reading().is_ok()
        }

        /// The first column of the first row of `sql`, as text.
        pub fn text(&self, sql: &str) -> Option<String> {
            let mut db = Target::parse(&self.target).unwrap().open_for_reading().unwrap();
            db.text(&format!("SELECT CAST(({sql}) AS VARCHAR)"), &[])
                .unwrap_or_else(|e| panic!("{sql}: {e:#}"))
        }

        pub fn count(&self, sql: &str) -> i64 {
            self.text(sql).expect("a count").parse().unwrap()
        }
    }
}
