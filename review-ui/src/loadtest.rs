//! The review server under load: simulated reviewers on loopback, each taking the next
//! item, looking at a crop, its history now and then and the dashboard, and saving a
//! correction. Afterwards every acknowledged save is checked against the journal: none
//! lost, none doubled.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use hyper::Method;
use serde_json::json;

use image::{Rgb, RgbImage};
use ledgerline_schemas::Record;
use ledgerline_search::access::Role;
use ledgerline_store::pages::StoredCell;
use ledgerline_store::review::{BatchFigures, ReviewPage};

use crate::client::{seg, Client};
use crate::db::ReviewDb;
use crate::sync::{take_in, Incoming};
use crate::{auth, router, AppState};

/// Latencies by route, in milliseconds.
pub type Latencies = BTreeMap<&'static str, Vec<f64>>;

#[derive(Debug, Default)]
pub struct Phase {
    pub latencies: Latencies,
    /// Acknowledged saves: record id → (reviewer, value written).
    pub saves: Vec<(String, String, String)>,
    pub server_errors: u64,
    pub conflicts: u64,
    pub items: u64,
    pub seconds: f64,
}

/// Runs `reviewers` simulated people (accounts `NAME-0` … with `password`) against the
/// server at `addr` for `duration`.
pub async fn run(
    addr: SocketAddr,
    prefix: &str,
    reviewers: usize,
    password: &str,
    duration: Duration,
) -> Result<Phase> {
    let base = format!("http://{addr}");
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..reviewers {
        let (base, user, password) = (base.clone(), format!("{prefix}-{i}"), password.to_string());
        tasks.push(tokio::spawn(async move {
            reviewer(&base, &user, &password, start + duration).await
        }));
    }
    let mut phase = Phase::default();
    for t in tasks {
        let p = t.await??;
        for (route, mut v) in p.latencies {
            phase.latencies.entry(route).or_default().append(&mut v);
        }
        phase.saves.extend(p.saves);
        phase.server_errors += p.server_errors;
        phase.conflicts += p.conflicts;
        phase.items += p.items;
    }
    phase.seconds = start.elapsed().as_secs_f64();
    Ok(phase)
}

async fn reviewer(base: &str, user: &str, password: &str, until: Instant) -> Result<Phase> {
    let mut c = Client::new(base);
    let login = c.login(user, password).await?;
    if login.status != 200 {
        bail!("{user} cannot log in: {}", login.json);
    }
    let mut p = Phase::default();
    let timed = |p: &mut Phase, route: &'static str, t: Instant, status: u16| {
        p.latencies
            .entry(route)
            .or_default()
            .push(t.elapsed().as_secs_f64() * 1000.0);
        if status >= 500 {
            p.server_errors += 1;
        }
    };
    let mut n = 0u64;
    while Instant::now() < until {
        let t = Instant::now();
        let next = c.get("/api/queue/next").await?;
        timed(&mut p, "queue/next", t, next.status);
        let record = &next.json["record"];
        let Some(id) = record["record_id"].as_str() else {
            break; // the queue is empty
        };
        let id = seg(id);
        if let Some(cell) = record["fields"]
            .as_array()
            .and_then(|f| f.iter().find_map(|x| x["cell"].as_str()))
        {
            let t = Instant::now();
            let page = seg(record["page_id"].as_str().unwrap_or(""));
            let r = c.get(&format!("/api/pages/{page}/cells/{cell}/crop")).await?;
            timed(&mut p, "cell crop", t, r.status);
        }
        if n.is_multiple_of(5) {
            let t = Instant::now();
            let r = c.get(&format!("/api/records/{id}/audit")).await?;
            timed(&mut p, "records/audit", t, r.status);
        }
        if n.is_multiple_of(10) {
            let t = Instant::now();
            let r = c.get("/api/batches").await?;
            timed(&mut p, "batches", t, r.status);
        }
        let value = format!("{user} {n}");
        let mut status = 0;
        // Accept; a record whose values fail validation cannot be accepted, and a
        // simulated reviewer cannot know the right value, so it rejects it instead.
        for action in ["accept", "reject"] {
            let t = Instant::now();
            let put = c
                .send(
                    Method::PUT,
                    &format!("/api/records/{id}"),
                    &json!({"version": record["version"], "action": action, "fields": {"death_place": value}}),
                )
                .await?;
            timed(&mut p, "records PUT", t, put.status);
            status = put.status;
            if status != 422 {
                break;
            }
        }
        match status {
            200 => p.saves.push((
                record["record_id"].as_str().unwrap_or("").to_string(),
                user.to_string(),
                value,
            )),
            409 => p.conflicts += 1,
            s => bail!("{user}: saving {id} answered {s}"),
        }
        p.items += 1;
        n += 1;
    }
    Ok(p)
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Consistency {
    pub acknowledged: usize,
    /// Acknowledged saves whose value the journal does not hold.
    pub lost: usize,
    /// Records accepted more than once.
    pub doubled: usize,
    /// Audit entries beyond one correction and one accept or reject per save.
    pub audit_mismatch: i64,
}

/// Checks every acknowledged save against the journal.
pub fn check(db: &ReviewDb, saves: &[(String, String, String)]) -> Result<Consistency> {
    let conn = db.read()?;
    let mut per_record: HashMap<&str, usize> = HashMap::new();
    let mut lost = 0;
    let mut stmt =
        conn.prepare("SELECT json_extract(record, '$.death_place'), updated_by FROM records WHERE record_id = ?1")?;
    for (id, user, value) in saves {
        *per_record.entry(id).or_default() += 1;
        let (held, by): (Option<String>, Option<String>) = stmt.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if held.as_deref() != Some(value) || by.as_deref() != Some(user) {
            lost += 1;
        }
    }
    let audit: i64 = conn.query_row(
        "SELECT count(*) FROM audit WHERE action IN ('correct', 'accept', 'reject')",
        [],
        |r| r.get(0),
    )?;
    Ok(Consistency {
        acknowledged: saves.len(),
        lost,
        doubled: per_record.values().filter(|&&n| n > 1).count(),
        audit_mismatch: audit - 2 * saves.len() as i64,
    })
}

/// Rows a generated ledger page holds.
pub const ROWS_PER_PAGE: usize = 20;
const ROW_H: u32 = 60;
const COLUMNS: [(u32, u32, &str); 3] = [
    (0, 200, "deceased_name"),
    (200, 360, "id_number"),
    (560, 200, "death_date"),
];
const PASSWORD: &str = "bench passphrase";
/// Who the audit log names for the bench's accounts.
const LOADTEST: &str = "cli:bench-review";

fn ledger_image(path: &std::path::Path) -> Result<()> {
    let (w, h) = (800, ROW_H * (ROWS_PER_PAGE as u32 + 1) + 1);
    let mut img = RgbImage::from_pixel(w, h, Rgb([250, 248, 240]));
    for r in 0..=ROWS_PER_PAGE as u32 + 1 {
        for x in 0..w {
            img.put_pixel(x, (r * ROW_H).min(h - 1), Rgb([20, 20, 20]));
        }
    }
    img.save(path)?;
    Ok(())
}

/// Fills the journal with `records` (batch `BENCH`, [`ROWS_PER_PAGE`] a page, every page
/// the same ruled image in `dir`) through the intake the server's sync uses; returns the
/// intake's seconds.
pub fn fill(db: &ReviewDb, dir: &std::path::Path, records: Vec<Record>) -> Result<f64> {
    let image = dir.join("page.png");
    ledger_image(&image)?;
    let n = records.len();
    let records: Vec<(String, Record)> = records
        .into_iter()
        .enumerate()
        .map(|(i, r)| (format!("bp{:06}", i / ROWS_PER_PAGE), r))
        .collect();
    let pages_n = n.div_ceil(ROWS_PER_PAGE);
    let pages = (0..pages_n)
        .map(|p| ReviewPage {
            page_id: format!("bp{p:06}"),
            batch_id: "BENCH".into(),
            file_name: format!("BENCH-p{p:04}.png"),
            path: image.display().to_string(),
            frame: 0,
            width: Some(800),
            height: Some(ROW_H * (ROWS_PER_PAGE as u32 + 1)),
            status: "read".into(),
            reason: None,
            ledger_type: Some("cremation".into()),
            quarter_turns: 0,
        })
        .collect();
    let cells = (0..pages_n)
        .flat_map(|p| {
            (1..=ROWS_PER_PAGE as u32).flat_map(move |row| {
                COLUMNS.iter().enumerate().map(move |(col, (x, w, field))| {
                    (
                        format!("bp{p:06}"),
                        StoredCell {
                            row,
                            col: col as u32,
                            x: *x,
                            y: row * ROW_H,
                            w: *w,
                            h: ROW_H,
                            field: Some(field.to_string()),
                            text: None,
                            confidence: 0.5,
                        },
                    )
                })
            })
        })
        .collect();
    let incoming = Incoming {
        records,
        pages,
        cells,
        batches: vec![BatchFigures {
            batch_id: "BENCH".into(),
            agency_name: "bench".into(),
            ledger_type: "cremation".into(),
            pages: pages_n as i64,
            records: n as i64,
            machine: 0,
            needs_review: n as i64,
            verified: 0,
            rejected: 0,
        }],
        ..Incoming::default()
    };
    let start = Instant::now();
    take_in(db, &incoming)?;
    Ok(start.elapsed().as_secs_f64())
}

/// Serves the journal on loopback and runs one reviewer for `baseline`, then
/// `reviewers` at once for `load`.
pub fn baseline_and_load(
    db: &ReviewDb,
    reviewers: usize,
    baseline: Duration,
    load: Duration,
) -> Result<(Phase, Phase)> {
    for i in 0..reviewers.max(1) {
        auth::add_user(db, LOADTEST, &format!("r-{i}"), Role::DataEntry, PASSWORD, false)?;
    }
    auth::add_user(db, LOADTEST, "base-0", Role::DataEntry, PASSWORD, false)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = router(AppState::new(db.clone(), None, false));
        tokio::spawn(async move { axum::serve(listener, app).await });
        // As `serve` runs: checkpoints on a timer, not on the requests.
        db.manual_checkpoints()?;
        tokio::spawn(crate::checkpoint_loop(db.clone()));
        let single = run(addr, "base", 1, PASSWORD, baseline).await?;
        let many = run(addr, "r", reviewers, PASSWORD, load).await?;
        Ok((single, many))
    })
}
