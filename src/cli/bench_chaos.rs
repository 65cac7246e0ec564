//! `ledgerline bench chaos`: crash safety, shown. Each command (`run`, `merge`, `dedupe`,
//! `index`, `load`, `exchange export`, `exchange import`, `live import`, `unload`) is run
//! uninterrupted once from a prepared state, then, per
//! trial, from a fresh copy of that state, killed with SIGKILL at a random moment of its
//! uninterrupted duration, checked (the workspace still opens; a one-transaction command
//! left the database as before or as after, never between), run again to the end, and
//! its end state compared with the uninterrupted run's: the same pages and records, the
//! same persons, the same search hits, the same database rows. Nothing lost, nothing
//! doubled. The short form runs in the tests (`tests/chaos.rs`).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use ledgerline_review::records::Editor;
use ledgerline_review::ReviewDb;
use ledgerline_search::Role;
use ledgerline_store::Workspace;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(clap::Args)]
pub struct ChaosArgs {
    /// Kill-and-rerun trials per command
    #[arg(long, default_value_t = 100)]
    pub trials: usize,
    /// Seed of the generated batch and of the kill moments
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Pages in the generated batch (20 rows each)
    #[arg(long, default_value_t = 2)]
    pub pages: usize,
    /// The commands to put through it (default: all, in pipeline order)
    #[arg(long, value_enum, value_delimiter = ',')]
    pub commands: Vec<Subject>,
    /// Keep the prepared states and trials here (default: a temporary folder)
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// Print the trials and their verdicts as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subject {
    Run,
    Merge,
    Dedupe,
    Index,
    Load,
    ExchangeExport,
    ExchangeImport,
    LiveImport,
    Unload,
}

impl Subject {
    const ALL: [Subject; 9] = [
        Subject::Run,
        Subject::Merge,
        Subject::Dedupe,
        Subject::Index,
        Subject::Load,
        Subject::ExchangeExport,
        Subject::ExchangeImport,
        Subject::LiveImport,
        Subject::Unload,
    ];

    fn name(self) -> &'static str {
        match self {
            Subject::Run => "run",
            Subject::Merge => "merge",
            Subject::Dedupe => "dedupe",
            Subject::Index => "index",
            Subject::Load => "load",
            Subject::ExchangeExport => "exchange export",
            Subject::ExchangeImport => "exchange import",
            Subject::LiveImport => "live import",
            Subject::Unload => "unload",
        }
    }

    /// The command, run in a world folder (workspace `ws`, databases beside it).
    fn args(self, world: &Path, batch_dir: &Path) -> Vec<OsString> {
        let ws = world.join("ws");
        let province = duckdb_target(&world.join(PROVINCE));
        let mut a: Vec<OsString> = match self {
            Subject::Run => vec!["run".into(), batch_dir.into(), "--jobs".into(), "2".into()],
            Subject::Merge => {
                let mut a: Vec<OsString> = vec!["merge".into()];
                a.extend(SHARDS.iter().map(|shard| world.join(shard).into_os_string()));
                a.extend(["--workspace".into(), world.join(MERGED).into()]);
                return a;
            }
            Subject::Dedupe => vec!["dedupe".into()],
            Subject::Index => vec!["index".into()],
            Subject::Load => vec![
                "load".into(),
                "--batch".into(),
                LOAD_BATCH.into(),
                "--target".into(),
                province,
            ],
            Subject::ExchangeExport => {
                return vec![
                    "exchange".into(),
                    "export".into(),
                    "--target".into(),
                    province,
                    "--province".into(),
                    "37".into(),
                    "--out".into(),
                    world.join(PACKAGE).into(),
                    "--sign-key".into(),
                    world.join(KEYS).join("province-37.key.pem").into(),
                ]
            }
            Subject::ExchangeImport => {
                return vec![
                    "exchange".into(),
                    "import".into(),
                    world.join(PACKAGE).into(),
                    "--target".into(),
                    duckdb_target(&world.join(NATION)),
                    "--decrypt-key".into(),
                    world.join(KEYS).join(RECEIVING_PRIVATE).into(),
                ]
            }
            Subject::Unload => {
                let load_id = std::fs::read_to_string(world.join(LOAD_ID)).unwrap_or_default();
                return vec![
                    "unload".into(),
                    "--load-id".into(),
                    load_id.trim().into(),
                    "--target".into(),
                    province,
                ];
            }
            Subject::LiveImport => {
                return vec![
                    "live".into(),
                    "import".into(),
                    world.join(LIVE_EXTRACT).into(),
                    "--target".into(),
                    province,
                ]
            }
        };
        a.extend(["--workspace".into(), ws.into()]);
        a
    }

    /// The command run, killed and run again: an import decrypts into the world's own
    /// temporary folder, whose leftovers the state names.
    fn command(self, exe: &Path, world: &Path, batch_dir: &Path) -> Command {
        let mut command = Command::new(exe);
        command.args(self.args(world, batch_dir)).stdin(Stdio::null());
        if self == Subject::ExchangeImport {
            command.env("TMPDIR", world.join(TEMP));
        }
        command
    }

    /// Whether the command is one transaction (or, for an export, one rename): killed,
    /// it leaves the before or the after, but for [`LEFTOVERS`].
    fn atomic(self) -> bool {
        matches!(
            self,
            Subject::Load | Subject::ExchangeExport | Subject::ExchangeImport | Subject::LiveImport | Subject::Unload
        )
    }
}

const BATCH: &str = "chaos";
/// A batch of generated machine-accepted records beside the OCR'd one, for `load`: a
/// two-page OCR batch has few records the machine accepts, and loads need many.
const LOAD_BATCH: &str = "chaos-load";
const LOAD_RECORDS: usize = 600;
/// A live extract of this many deaths, imported into the province the load wrote: long
/// enough an import for kills to land in it.
const LIVE_EXTRACT: &str = "live.csv";
const LIVE_DEATHS: usize = 30_000;
/// The basic databases of the world: the province loads and live imports write, and the
/// nation its packages go to.
const PROVINCE: &str = "province.duckdb";
const NATION: &str = "nation.duckdb";
/// The file beside the province that names the load `unload` takes out.
const LOAD_ID: &str = "load_id";
/// The workspaces of `ocr --shard 1/2` and `2/2` of the batch, and the one `merge` folds
/// them into: beside the pipeline's own workspace, and gone once merge is through.
const SHARDS: [&str; 2] = ["shard-1", "shard-2"];
const MERGED: &str = "merged";
/// The folder `exchange export` writes the province's package to.
const PACKAGE: &str = "package";
/// The province's signing keys (`exchange keygen`), which the nation trusts, and the
/// nation's receiving keys (`exchange keygen --receiver`), which packages are encrypted
/// for.
const KEYS: &str = "keys";
const RECEIVING_PUBLIC: &str = "receiver-nation.pub.pem";
const RECEIVING_PRIVATE: &str = "receiver-nation.key.pem";
/// The temporary folder of `exchange import`, where it decrypts the package.
const TEMP: &str = "tmp";
/// The part of a state that names what a killed writer left (its half-made package, the
/// files it decrypted): there after a kill, as may be, and gone after the re-run.
const LEFTOVERS: &str = "left by a killed run";

fn duckdb_target(path: &Path) -> OsString {
    let mut t = OsString::from("duckdb:");
    t.push(path);
    t
}

/// What a command leaves, reduced to something to compare: named parts and their text.
type State = BTreeMap<String, String>;

#[derive(Debug, Serialize)]
struct Trial {
    kill_after_ms: u64,
    /// The process was still running when killed (else it had finished first).
    killed_while_running: bool,
    /// After the kill, before the re-run: matched neither the start nor the end state
    /// (only checked for one-transaction commands).
    half_done: bool,
    /// The re-run ended where the uninterrupted run did.
    rerun_matches: bool,
    differences: Vec<String>,
    /// How long the process ran when it finished before its kill.
    #[serde(skip)]
    finished_after: Option<Duration>,
}

#[derive(Debug, Serialize)]
struct CommandReport {
    command: Subject,
    uninterrupted_seconds: f64,
    trials: usize,
    killed_while_running: usize,
    half_done: usize,
    rerun_mismatches: usize,
    failures: Vec<Trial>,
}

pub fn run(a: ChaosArgs) -> Result<ExitCode> {
    let temp = tempfile::tempdir()?;
    let root = a.keep.clone().unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&root)?;
    let exe = std::env::current_exe()?;
    let batch_dir = root.join("batch");
    if !batch_dir.exists() {
        ledgerline(
            &exe,
            &[
                "synth".into(),
                batch_dir.clone().into(),
                "--pages".into(),
                a.pages.to_string().into(),
                "--seed".into(),
                a.seed.to_string().into(),
            ],
        )?;
        // The generated batch under the name the later commands use.
        let manifest = batch_dir.join("batch.toml");
        let text = std::fs::read_to_string(&manifest)?;
        let renamed: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with("batch_id") {
                    format!("batch_id = \"{BATCH}\"")
                } else {
                    l.to_string()
                }
            })
            .collect();
        std::fs::write(&manifest, renamed.join("\n") + "\n")?;
    }
    let chosen: Vec<Subject> = if a.commands.is_empty() {
        Subject::ALL.to_vec()
    } else {
        a.commands.clone()
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(a.seed);
    let mut reports = Vec::new();
    // Each command starts from the state the commands before it in the pipeline leave.
    let mut before = root.join("state-0");
    reset(&before)?;
    std::fs::create_dir_all(before.join("ws"))?;
    for (k, subject) in Subject::ALL.into_iter().enumerate() {
        let after = root.join(format!("state-{}", k + 1));
        reset(&after)?;
        copy_dir(&before, &after)?;
        let t = Instant::now();
        ledgerline(&exe, &subject.args(&after, &batch_dir))?;
        let mut duration = t.elapsed();
        // Only a one-transaction command's start state is compared with.
        let start_state = if subject.atomic() {
            state(&exe, subject, &before)?
        } else {
            State::new()
        };
        let end_state = state(&exe, subject, &after)?;
        if chosen.contains(&subject) {
            if !a.json {
                eprintln!(
                    "chaos: {}: uninterrupted {:.1}s; {} trials…",
                    subject.name(),
                    duration.as_secs_f64(),
                    a.trials
                );
            }
            let mut report = CommandReport {
                command: subject,
                uninterrupted_seconds: duration.as_secs_f64(),
                trials: a.trials,
                killed_while_running: 0,
                half_done: 0,
                rerun_mismatches: 0,
                failures: Vec::new(),
            };
            let progress = super::progress::Progress::new("chaos", "trials", a.trials as u64, a.json);
            for i in 0..a.trials {
                let world = root.join(format!("trial-{}-{i}", k + 1));
                reset(&world)?;
                copy_dir(&before, &world)?;
                let kill_after = duration.mul_f64(rng.random_range(0.02..0.9));
                let trial = trial(&exe, subject, &world, &batch_dir, kill_after, &start_state, &end_state)?;
                // A command that finished before its kill ran faster than the uninterrupted
                // run had (a busy moment on a 2-core machine made one 1.2 s dedupe the
                // yardstick for runs of 0.4 s, and 7 of 10 kills came too late): later
                // kills are timed by the fastest run seen.
                if let Some(finished) = trial.finished_after {
                    duration = duration.min(finished);
                }
                report.killed_while_running += usize::from(trial.killed_while_running);
                report.half_done += usize::from(trial.half_done);
                report.rerun_mismatches += usize::from(!trial.rerun_matches);
                if trial.half_done || !trial.rerun_matches {
                    report.failures.push(trial);
                }
                if a.keep.is_none() {
                    std::fs::remove_dir_all(&world).ok();
                }
                progress.inc();
            }
            progress.finish();
            reports.push(report);
        }
        // What the next command needs beyond this one's end state.
        match subject {
            Subject::Run => prepare_shards(&exe, &after, &batch_dir)?,
            Subject::Merge => {
                for folder in SHARDS.iter().chain([&MERGED]) {
                    std::fs::remove_dir_all(after.join(folder))?;
                }
            }
            Subject::Index => prepare_load_batch(&exe, &after.join("ws"), a.seed)?,
            Subject::Load => {
                decide_in_the_province(&exe, &after)?;
                let keys: OsString = after.join(KEYS).into();
                ledgerline(
                    &exe,
                    &[
                        "exchange".into(),
                        "keygen".into(),
                        "--province".into(),
                        "37".into(),
                        "--out".into(),
                        keys.clone(),
                    ],
                )?;
                ledgerline(
                    &exe,
                    &[
                        "exchange".into(),
                        "keygen".into(),
                        "--receiver".into(),
                        "nation".into(),
                        "--out".into(),
                        keys,
                    ],
                )?;
                // The export encrypts for the key the province recorded, unasked.
                ledgerline(
                    &exe,
                    &[
                        "exchange".into(),
                        "send-to".into(),
                        after.join(KEYS).join(RECEIVING_PUBLIC).into(),
                        "--target".into(),
                        duckdb_target(&after.join(PROVINCE)),
                    ],
                )?;
            }
            Subject::ExchangeExport => {
                send_from_another_province(&exe, &after)?;
                ledgerline(
                    &exe,
                    &[
                        "exchange".into(),
                        "trust".into(),
                        after.join(KEYS).join("province-37.pub.pem").into(),
                        "--province".into(),
                        "37".into(),
                        "--target".into(),
                        duckdb_target(&after.join(NATION)),
                    ],
                )?;
                ledgerline(
                    &exe,
                    &[
                        "exchange".into(),
                        "receive".into(),
                        after.join(KEYS).join(RECEIVING_PUBLIC).into(),
                        "--target".into(),
                        duckdb_target(&after.join(NATION)),
                    ],
                )?;
            }
            Subject::ExchangeImport => {
                super::bench_load::write_live_extract(&after.join(LIVE_EXTRACT), Vec::new(), LIVE_DEATHS, a.seed)?;
            }
            Subject::LiveImport => {
                let province = ledgerline_load::Target::DuckDb(after.join(PROVINCE));
                let load_id = province
                    .open_for_reading()?
                    .text("SELECT max(load_id) FROM loads", &[])?
                    .context("the province holds no load to unload")?;
                std::fs::write(after.join(LOAD_ID), load_id)?;
            }
            _ => {}
        }
        before = after;
        if chosen.iter().all(|c| Subject::ALL[..=k].contains(c)) {
            break;
        }
    }
    let failed = reports.iter().any(|r| r.half_done + r.rerun_mismatches > 0);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            println!(
                "{:<16} {} trials, {} killed while running (uninterrupted {:.1}s): {} left half done, {} re-runs ended elsewhere",
                r.command.name(),
                r.trials,
                r.killed_while_running,
                r.uninterrupted_seconds,
                r.half_done,
                r.rerun_mismatches
            );
            for f in &r.failures {
                println!("  killed after {} ms: {}", f.kill_after_ms, f.differences.join("; "));
            }
        }
    }
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn trial(
    exe: &Path,
    subject: Subject,
    world: &Path,
    batch_dir: &Path,
    kill_after: Duration,
    start_state: &State,
    end_state: &State,
) -> Result<Trial> {
    let mut child = subject
        .command(exe, world, batch_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let started = Instant::now();
    let deadline = started + kill_after;
    let mut killed_while_running = false;
    let mut finished_after = None;
    loop {
        if child.try_wait()?.is_some() {
            finished_after = Some(started.elapsed());
            break;
        }
        if Instant::now() >= deadline {
            child.kill().ok();
            child.wait()?;
            killed_while_running = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // Whatever the kill left must still be readable.
    let killed = state(exe, subject, world).context("reading the state a killed run left")?;
    let half_done =
        subject.atomic() && !same_but_leftovers(&killed, start_state) && !same_but_leftovers(&killed, end_state);
    let mut differences = Vec::new();
    if half_done {
        differences.push(format!("after the kill: {}", diff(&killed, end_state).join(", ")));
    }
    checked(&mut subject.command(exe, world, batch_dir)).context("the re-run after a kill")?;
    let rerun = state(exe, subject, world)?;
    let rerun_matches = rerun == *end_state;
    if !rerun_matches {
        differences.push(format!("after the re-run: {}", diff(&rerun, end_state).join(", ")));
    }
    Ok(Trial {
        kill_after_ms: kill_after.as_millis() as u64,
        killed_while_running,
        half_done,
        rerun_matches,
        differences,
        finished_after,
    })
}

/// Whether two states are the same but for what a killed writer left beside its output.
fn same_but_leftovers(a: &State, b: &State) -> bool {
    let judged = |s: &State| {
        let mut s = s.clone();
        s.remove(LEFTOVERS);
        s
    };
    judged(a) == judged(b)
}

/// The names of the parts that differ.
fn diff(a: &State, b: &State) -> Vec<String> {
    a.keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| k.to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The state a command is judged by, read through ledgerline's own commands where they
/// exist (what a user would see), and through the database for the basic databases.
fn state(exe: &Path, subject: Subject, world: &Path) -> Result<State> {
    let ws = world.join("ws");
    let mut s = State::new();
    match subject {
        Subject::Run | Subject::Merge | Subject::Dedupe => {
            let ws = match subject {
                Subject::Merge => world.join(MERGED),
                _ => ws,
            };
            let status = ledgerline(
                exe,
                &[
                    "status".into(),
                    "--json".into(),
                    "--workspace".into(),
                    ws.clone().into(),
                ],
            );
            // A first run killed before its workspace database was made whole leaves
            // none (it is made aside and renamed into place): a state of its own, with
            // nothing stored, not a failure to read one.
            let mut status: serde_json::Value = match status {
                Ok(out) => serde_json::from_slice(&out)?,
                Err(e) if e.to_string().contains("no ledgerline workspace there") => {
                    s.insert("workspace".into(), "none".into());
                    return Ok(s);
                }
                Err(e) => return Err(e),
            };
            status.as_object_mut().map(|o| o.remove("workspace"));
            s.insert("status".into(), status.to_string());
            let out = world.join("export.jsonl");
            ledgerline(
                exe,
                &[
                    "export".into(),
                    "--format".into(),
                    "jsonl".into(),
                    "--out".into(),
                    out.clone().into(),
                    "--workspace".into(),
                    ws.into(),
                ],
            )?;
            let text = std::fs::read_to_string(&out)?;
            std::fs::remove_file(&out)?;
            let mut lines: Vec<&str> = text.lines().collect();
            lines.sort_unstable();
            s.insert("records".into(), digest(&lines.join("\n")));
        }
        Subject::Index => {
            for (query, status) in SEARCHES {
                let found = ledgerline(
                    exe,
                    &[
                        "search".into(),
                        query.into(),
                        "--status".into(),
                        status.into(),
                        "--limit".into(),
                        "50".into(),
                        "--json".into(),
                        "--workspace".into(),
                        ws.clone().into(),
                    ],
                );
                // A first build killed before its first commit leaves no index: a state
                // of its own, not a failure to read one.
                let hits: serde_json::Value = match found {
                    Ok(out) => serde_json::from_slice(&out)?,
                    Err(e) if e.to_string().contains("no search index yet") => {
                        s.insert("index".into(), "none".into());
                        break;
                    }
                    Err(e) => return Err(e),
                };
                let mut ids: Vec<String> = hits["hits"]
                    .as_array()
                    .map(|h| h.iter().map(|x| x["record_id"].to_string()).collect())
                    .unwrap_or_default();
                ids.sort();
                s.insert(format!("search {query} {status}"), ids.join(","));
            }
        }
        Subject::Load | Subject::LiveImport | Subject::Unload => s.extend(database_state(&world.join(PROVINCE))?),
        Subject::ExchangeExport => s.extend(package_state(world)?),
        Subject::ExchangeImport => {
            s.extend(database_state(&world.join(NATION))?);
            s.insert(LEFTOVERS.to_string(), names_in(&world.join(TEMP))?.join(", "));
        }
    }
    Ok(s)
}

/// Queries whose hits the index is judged by: common surnames, places and years, so
/// every generated batch has hits.
const SEARCHES: [(&str, &str); 6] = [
    ("王", "machine"),
    ("李", "needs_review"),
    ("张", "machine"),
    ("济南市", "needs_review"),
    ("2013", "machine"),
    ("区", "needs_review"),
];

/// Every row of every table of a basic database, without the times of the run that
/// wrote them; a missing database file is one with empty tables.
fn database_state(path: &Path) -> Result<State> {
    const TABLES: [(&str, &str); 14] = [
        ("agencies", ""),
        ("deceased", "EXCLUDE (loaded_at)"),
        ("agents", "EXCLUDE (loaded_at)"),
        ("cremations", "EXCLUDE (loaded_at)"),
        ("burials", "EXCLUDE (loaded_at)"),
        ("conflicts", "EXCLUDE (noted_at)"),
        ("loads", "EXCLUDE (started_at, finished_at, report)"),
        ("unloads", "EXCLUDE (unloaded_at)"),
        ("exchange_imports", "EXCLUDE (imported_at)"),
        ("conflict_decisions", "EXCLUDE (decided_at)"),
        ("corrections", "EXCLUDE (corrected_at)"),
        ("reopened_decisions", "EXCLUDE (decided_at, reopened_at)"),
        ("person_links", "EXCLUDE (linked_at, unlinked_at)"),
        // The report names the file where each trial's copy of it lies.
        ("live_imports", "EXCLUDE (imported_at, file, report)"),
    ];
    let mut s = State::new();
    let mut db = match path.exists() {
        true => Some(ledgerline_load::Target::DuckDb(path.to_path_buf()).open_for_reading()),
        false => None,
    };
    for (table, exclude) in TABLES {
        // A database killed between two schema versions lacks the later tables.
        let missing = match &mut db {
            Some(Ok(db)) => !db.has_table(table)?,
            _ => false,
        };
        let rows = match &mut db {
            Some(Ok(_)) if missing => String::new(),
            Some(Ok(db)) => db
                .text(
                    &format!(
                        "SELECT coalesce(string_agg(CAST(t AS VARCHAR), chr(10) ORDER BY CAST(t AS VARCHAR)), '')
                         FROM (SELECT * {exclude} FROM {table}) t"
                    ),
                    &[],
                )?
                .unwrap_or_default(),
            // A database killed before its first schema version committed has no tables:
            // empty, like one never created.
            Some(Err(e)) if e.to_string().contains("not a basic funeral database") => String::new(),
            Some(Err(e)) => bail!("{}: {e:#}", path.display()),
            None => String::new(),
        };
        s.insert(format!("{table} ({} rows)", rows.lines().count()), digest(&rows));
    }
    Ok(s)
}

/// The package in the world's [`PACKAGE`] folder: none, whole (decrypted with the
/// nation's key; its manifest but for the moment of the export and what encrypting it
/// made anew — the package's own key, the files' checksums), or not whole and why; and
/// what is left beside it.
fn package_state(world: &Path) -> Result<State> {
    let out = world.join(PACKAGE);
    let package = if out.exists() {
        let key = ledgerline_load::exchange::encryption::read_decrypt_key(&world.join(KEYS).join(RECEIVING_PRIVATE))?;
        match ledgerline_load::exchange::verify(&out, Some(&key)) {
            Ok(held) => {
                let mut manifest = serde_json::to_value(&held.manifest)?;
                manifest.as_object_mut().map(|m| m.remove("exported_at"));
                manifest["encryption"]
                    .as_object_mut()
                    .map(|e| e.remove("ephemeral_key"));
                for file in manifest["files"].as_array_mut().into_iter().flatten() {
                    file.as_object_mut().map(|f| f.remove("sha256"));
                }
                let signed = held
                    .signature
                    .map_or("unsigned".to_string(), |s| format!("signed by {}", s.key));
                format!("{} {signed}", digest(&manifest.to_string()))
            }
            Err(e) => format!("not whole: {e:#}"),
        }
    } else {
        "none".to_string()
    };
    let beside = format!(".{PACKAGE}.");
    let mut left = names_in(world)?;
    left.retain(|name| name.starts_with(&beside));
    Ok(State::from([
        ("package".to_string(), package),
        (LEFTOVERS.to_string(), left.join(", ")),
    ]))
}

fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Gives the nation, before the province's package arrives, the province's deaths of a
/// full ID number as another province's funeral homes sent them (their own ids, the same
/// ID number, name and death date), so that the import kills land among the links it
/// makes.
fn send_from_another_province(exe: &Path, world: &Path) -> Result<()> {
    let rows = ledgerline_load::Target::DuckDb(world.join(PROVINCE))
        .open_for_reading()?
        .texts(
            "SELECT source_key, name, gender, id_number, CAST(death_date AS VARCHAR) FROM deceased
             WHERE length(id_number) = 18 AND death_date IS NOT NULL ORDER BY person_id",
            &[],
            5,
        )?;
    let mut csv = String::from("DEAD_ID,NAME,SEX,CARD_TYPE,ID_CARD,DEATH_DATE\n");
    for v in rows.chunks(5) {
        let [key, name, sex, id, died] = [0, 1, 2, 3, 4].map(|i| v[i].as_deref().unwrap_or("X"));
        csv.push_str(&format!("AH-{key},{name},{sex},0,{id},{died}\n"));
    }
    let extract = world.join("elsewhere.csv");
    std::fs::write(&extract, csv)?;
    ledgerline(
        exe,
        &[
            "live".into(),
            "import".into(),
            extract.into(),
            "--target".into(),
            duckdb_target(&world.join(NATION)),
        ],
    )?;
    Ok(())
}

/// Has the province's DBA link the deaths of its second and first persons, link its fourth
/// to its third's and take that back, so that the package carries a link and a decision
/// for the nation's import to follow (merging two deaths, keeping two apart) while kills
/// land among them.
fn decide_in_the_province(exe: &Path, world: &Path) -> Result<()> {
    let persons = ledgerline_load::Target::DuckDb(world.join(PROVINCE))
        .open_for_reading()?
        .texts(
            "SELECT person_id FROM deceased WHERE length(id_number) = 18 AND death_date IS NOT NULL
             ORDER BY person_id LIMIT 4",
            &[],
            1,
        )?;
    let [first, second, third, fourth] = [0, 1, 2, 3].map(|i| persons.get(i).cloned().flatten());
    let (Some(first), Some(second), Some(third), Some(fourth)) = (first, second, third, fourth) else {
        bail!("the province holds fewer than four persons to decide on");
    };
    let target = duckdb_target(&world.join(PROVINCE));
    let decide = |args: &[&str]| {
        let mut all: Vec<OsString> = vec!["exchange".into()];
        all.extend(args.iter().map(OsString::from));
        all.extend(["--target".into(), target.clone(), "--note".into(), "chaos".into()]);
        ledgerline(exe, &all)
    };
    decide(&["link", &second, "--to", &first])?;
    decide(&["link", &fourth, "--to", &third])?;
    decide(&["unlink", &fourth])?;
    Ok(())
}

/// Reads the batch in two shard workspaces (`ingest`, then `ocr --shard I/2`), as two
/// machines of a job array would, for `merge` to fold together.
fn prepare_shards(exe: &Path, world: &Path, batch_dir: &Path) -> Result<()> {
    for (i, shard) in SHARDS.iter().enumerate() {
        let ws: OsString = world.join(shard).into();
        ledgerline(
            exe,
            &["ingest".into(), batch_dir.into(), "--workspace".into(), ws.clone()],
        )?;
        ledgerline(
            exe,
            &[
                "ocr".into(),
                "--shard".into(),
                format!("{}/{}", i + 1, SHARDS.len()).into(),
                "--jobs".into(),
                "1".into(),
                "--workspace".into(),
                ws,
            ],
        )?;
    }
    Ok(())
}

/// Stores the load batch and passes its QA gate, so `load` may run.
fn prepare_load_batch(exe: &Path, ws_path: &Path, seed: u64) -> Result<()> {
    let ws = Workspace::open(ws_path)?;
    let records = ledgerline_synth::records::machine_accepted(LOAD_BATCH, LOAD_RECORDS, seed, 20);
    ws.transaction(|c| {
        for page in records.chunks(20) {
            ledgerline_store::records::replace_page_records(c, &page[0].source.page, page)?;
        }
        Ok(())
    })?;
    // Made persons of, as a batch must be before it loads.
    ledgerline(
        exe,
        &[
            "dedupe".into(),
            "--workspace".into(),
            ws_path.into(),
            "--batch".into(),
            LOAD_BATCH.into(),
        ],
    )?;
    let db = ReviewDb::open(ws.root())?;
    ledgerline_review::qa::start(&ws, &db, LOAD_BATCH, ledgerline_load::sampling::DEFAULT_AQL, "chaos")?;
    let who = Editor {
        username: "chaos",
        role: Role::Reviewer,
        unmasked: true,
    };
    ledgerline_review::qa::accept_waiting_sample(&db, LOAD_BATCH, &who)?;
    Ok(())
}

/// Runs ledgerline to the end; its stdout, or an error with its stderr.
pub(super) fn ledgerline(exe: &Path, args: &[OsString]) -> Result<Vec<u8>> {
    checked(Command::new(exe).args(args).stdin(Stdio::null()))
}

/// Runs `command` to the end; its stdout, or an error with its stderr.
fn checked(command: &mut Command) -> Result<Vec<u8>> {
    let out = command.output()?;
    if !out.status.success() {
        bail!(
            "ledgerline {} failed: {}",
            command
                .get_args()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}

/// The names in the folder `dir` (none if there is no such folder), in order.
fn names_in(dir: &Path) -> Result<Vec<String>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

fn reset(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}
