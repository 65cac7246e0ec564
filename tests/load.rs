//! `ledgerline qa`, `load` and `unload` end to end: a batch loads only after passing its
//! QA gate; records link to the live persons the database already holds; a differing
//! value is a conflict, not an overwrite; loading again changes nothing; unload removes
//! exactly what the load inserted.

mod common;

use common::*;
use ledgerline_load::Target;
use ledgerline_review::records::Editor;
use ledgerline_review::ReviewDb;
use ledgerline_schemas::{Record, RecordType};
use ledgerline_search::Role;
use ledgerline_store::records::replace_page_records;
use ledgerline_store::Workspace;
use ledgerline_synth::records::{generate_records, machine_accepted};

use common::basic::{self, Basic};

/// A load does not decide again which records of its batch are one person: records the
/// workspace's dedupe gave one person id link to the database person any of them matches,
/// even one that shares nothing with it.
#[test]
fn records_of_one_workspace_person_link_to_the_same_database_person() {
    use ledgerline_load::backfill::match_to_database;
    use ledgerline_load::DbPerson;
    use ledgerline_schemas::{RecordFields, ReviewStatus};

    let generated = generate_records(2000, 5);
    let database: Vec<DbPerson> = generated
        .iter()
        .step_by(2)
        .enumerate()
        .map(|(i, g)| DbPerson {
            person_id: format!("HELD{i}"),
            fields: g.fields.clone(),
            held: Default::default(),
        })
        .collect();
    let mut batch: Vec<Record> = generated
        .iter()
        .enumerate()
        .map(|(i, g)| g.to_record("B", i, 20, ReviewStatus::Verified))
        .collect();
    let matched = |batch: &[Record]| match_to_database(&batch.iter().collect::<Vec<_>>(), &database);
    let alone = matched(&batch);
    assert_eq!(alone[0].as_deref(), Some("HELD0"), "a record the database holds links");

    // A record of the same person that shares no blocking key with anything.
    let mut stray = batch[0].clone();
    stray.record_id = "B-stray".into();
    stray.fields = RecordFields {
        deceased_name: Some("甲乙丙".into()),
        death_date: Some("2015-01-01".into()),
        ..Default::default()
    };
    batch.push(stray);
    assert_eq!(matched(&batch).last().unwrap(), &None, "on its own it is a new person");

    batch[0].person_id = Some("W1".into());
    batch.last_mut().unwrap().person_id = Some("W1".into());
    let together = matched(&batch);
    assert_eq!(together[0].as_deref(), Some("HELD0"));
    assert_eq!(
        together.last().unwrap().as_deref(),
        Some("HELD0"),
        "tied by its person id"
    );
    assert_eq!(&together[..alone.len()], &alone[..], "the other records are unchanged");
}

/// Stores batch B1: `take` machine-accepted records (valid ones: QA inspectors accept
/// them as they are), 20 to a page.
fn store_machine_accepted(ws: &Workspace, take: usize, seed: u64) -> Vec<Record> {
    let records = machine_accepted("B1", take, seed, 20);
    store_pages(ws, &records);
    records
}

/// Stores records 20 to a page, as their pages' readings.
fn store_pages(ws: &Workspace, records: &[Record]) {
    ws.transaction(|c| {
        for page in records.chunks(20) {
            replace_page_records(c, &page[0].source.page, page)?;
        }
        Ok(())
    })
    .unwrap();
}

/// Accepts every waiting QA sample record of B1 unchanged, as a reviewer would.
fn inspect_sample(ws: &Workspace) -> usize {
    inspect_sample_of(ws, "B1")
}

fn inspect_sample_of(ws: &Workspace, batch: &str) -> usize {
    let db = ReviewDb::open(ws.root()).unwrap();
    let who = Editor {
        username: "reviewer",
        role: Role::Reviewer,
        unmasked: true,
    };
    ledgerline_review::qa::accept_waiting_sample(&db, batch, &who).unwrap()
}

/// Several batches in one command load one after another, each its own load, once every
/// one of them has passed its QA gate: one that has not stops them all before anything is
/// written.
#[test]
fn several_batches_load_once_every_one_has_passed() {
    let dir = tempfile::tempdir().unwrap();
    let ws_path = dir.path().join("ws");
    let ws = Workspace::open(&ws_path).unwrap();
    let wsa = s(&ws_path);
    store_machine_accepted(&ws, 40, 7);
    store_pages(&ws, &machine_accepted("B2", 40, 8, 20));
    for batch in ["B1", "B2"] {
        run_ok(&["qa", "start", "--workspace", wsa, "--batch", batch]);
    }
    inspect_sample(&ws);
    let province = basic::duckdb(dir.path(), "province");
    let load = [
        "load",
        "--workspace",
        wsa,
        "--batch",
        "B1",
        "--batch",
        "B2",
        "--target",
        province.t(),
    ];
    let refused = run_expect(&load, 2);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("batch B2 has not passed its QA gate"), "{said}");
    assert!(
        !dir.path().join("province.duckdb").exists(),
        "B1 loaded before B2 was checked"
    );
    let twice = run_expect(
        &[
            "load",
            "--workspace",
            wsa,
            "--batch",
            "B1",
            "--batch",
            "B1",
            "--target",
            province.t(),
        ],
        2,
    );
    assert!(String::from_utf8_lossy(&twice.stderr).contains("--batch B1 is given twice"));
    inspect_sample_of(&ws, "B2");
    // Both passed, but dedupe has not made persons of their records: two ledger rows of
    // one death would go in as two persons.
    let undeduped = run_expect(&load, 2);
    let said = String::from_utf8_lossy(&undeduped.stderr);
    assert!(
        said.contains("batch B1: 40 of its records to load are not linked into persons yet")
            && said.contains("run `ledgerline dedupe`"),
        "{said}"
    );
    assert!(!dir.path().join("province.duckdb").exists());
    run_ok(&["dedupe", "--workspace", wsa]);
    let mut json = load.to_vec();
    json.push("--json");
    let reports = run_json(&json);
    let loaded: Vec<(&str, u64)> = reports
        .as_array()
        .expect("a report per batch")
        .iter()
        .map(|r| (r["batch_id"].as_str().unwrap(), r["records"].as_u64().unwrap()))
        .collect();
    assert_eq!(loaded, [("B1", 40), ("B2", 40)]);
    assert_eq!(province.count("SELECT count(DISTINCT load_id) FROM loads"), 2);
    // Again: both loaded already, nothing changes.
    let again = run_json(&json);
    assert!(
        again.as_array().unwrap().iter().all(|r| r["already_loaded"] == true),
        "{again}"
    );
}

#[test]
fn a_batch_loads_beside_live_data_once_it_passes_qa_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    load_flow(dir.path(), &basic::duckdb(dir.path(), "province"));
}

#[test]
fn a_batch_loads_beside_live_data_once_it_passes_qa_postgres() {
    let dir = tempfile::tempdir().unwrap();
    load_flow(dir.path(), &basic::postgres("load_flow"));
}

fn load_flow(dir: &std::path::Path, province: &Basic) {
    let ws_path = dir.join("ws");
    let ws = Workspace::open(&ws_path).unwrap();
    let wsa = s(&ws_path);
    let records = store_machine_accepted(&ws, 60, 31);
    // The last cremation's certificate was voided, its ledger says (作废).
    let voided = records
        .iter()
        .rev()
        .find(|r| r.record_type == RecordType::Cremation && r.fields.cremation_cert_no.is_some())
        .map(|r| r.record_id.clone())
        .unwrap();
    ws.transaction(|c| {
        c.execute(
            "UPDATE records SET cremation_cert_status = 'voided' WHERE record_id = ?",
            [&voided],
        )?;
        Ok(())
    })
    .unwrap();
    run_ok(&["dedupe", "--workspace", wsa]);

    // The province's server keeps Beijing time: every time the database holds is UTC
    // even so (a load's own times, written with the server's now(), were 8 hours ahead
    // of its rows').
    let target = province.t().to_string();
    if target.starts_with("postgres") {
        province.execute(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(), 'Asia/Shanghai'); END $$",
            &[],
        );
    }
    // The province already holds three of these people, uploaded live; one with another
    // death date, and one with its cremation.
    for (k, r) in records
        .iter()
        .filter(|r| r.fields.id_number.is_some() && r.fields.birth_date.is_some() && r.fields.death_date.is_some())
        .take(3)
        .enumerate()
    {
        let f = &r.fields;
        let death = if k == 0 {
            "2001-01-01"
        } else {
            f.death_date.as_deref().unwrap()
        };
        province.execute(
            "INSERT INTO deceased (person_id, name, gender, id_number, birth_date, death_date, origin, source_key, loaded_at)
             VALUES ($1, $2, $3, $4, CAST(CAST($5 AS VARCHAR) AS DATE), CAST(CAST($6 AS VARCHAR) AS DATE), 'live', $7, now())",
            &[
                &format!("LIVE{k}"),
                f.deceased_name.as_deref().unwrap(),
                f.gender.as_deref().unwrap(),
                f.id_number.as_deref().unwrap(),
                f.birth_date.as_deref().unwrap(),
                death,
                &format!("DEAD-{k}"),
            ],
        );
    }
    province.execute(
        "INSERT INTO cremations (person_id, cremation_date, origin, source_key, loaded_at) VALUES ('LIVE1', DATE '2013-01-01', 'live', 'DEAD-1', now())",
        &[],
    );
    let count = |sql: &str| province.count(sql);
    let load = |extra: &[&'static str]| -> Vec<&str> {
        let mut a = vec!["load", "--workspace", wsa, "--batch", "B1", "--target", target.as_str()];
        a.extend_from_slice(extra);
        a
    };

    // No QA sample yet: refused.
    let refused = run_expect(&load(&[]), 2);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("qa start"));
    let plan = run_json(&["qa", "start", "--workspace", wsa, "--batch", "B1", "--json"]);
    assert_eq!(
        (
            plan["lot_size"].as_u64(),
            plan["sample_size"].as_u64(),
            plan["code_letter"].as_str()
        ),
        (Some(60), Some(20), Some("E"))
    );
    run_expect(&load(&[]), 2);
    // The sample drawn stays; an AQL the standard has no plan for is refused even so.
    let odd = run_expect(&["qa", "start", "--workspace", wsa, "--batch", "B1", "--aql", "7"], 2);
    assert!(String::from_utf8_lossy(&odd.stderr).contains("AQL 7 is not one of the standard's preferred values"));
    assert_eq!(inspect_sample(&ws), 20);
    assert_eq!(
        run_json(&["qa", "status", "--workspace", wsa, "--batch", "B1", "--json"])["verdict"],
        "pass"
    );

    // A dry run reports and writes nothing.
    let dry = run_json(&load(&["--dry-run", "--json"]));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        count("SELECT count(*) FROM deceased WHERE origin = 'paper_backfill'"),
        0
    );

    // One page of the batch is still being keyed (read short of rows, say), one is read;
    // another batch's page to key is not this batch's.
    ws.transaction(|c| {
        for (page, batch, status) in [
            ("p-key", "B1", "needs_keying"),
            ("p-read", "B1", "read"),
            ("p-other", "B2", "needs_keying"),
        ] {
            c.execute(
                "INSERT INTO pages (page_id, batch_id, file_name, path, sha256, frame, status)
                 VALUES (?, ?, ?, '/nowhere', 'x', 0, ?)",
                duckdb::params![page, batch, format!("{page}.png"), status],
            )?;
        }
        Ok(())
    })
    .unwrap();
    let said = run_ok(&load(&["--dry-run"]));
    // Each step of the load is said on stderr as it is done.
    let steps: Vec<String> = String::from_utf8_lossy(&said.stderr)
        .lines()
        .filter_map(|l| l.strip_prefix("load: "))
        .map(|l| l.split(" (").next().unwrap().to_string())
        .collect();
    assert_eq!(steps.len(), 3, "{steps:?}");
    let held = count("SELECT count(*) FROM deceased");
    let read = format!("{held} persons held read, {} records checked", dry["records"]);
    assert_eq!(steps[0], read);
    assert_eq!(steps[1..], ["records matched with the persons held", "rows written"]);
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.contains(
            "pages of the batch still to key by hand (the rows still to key on them are in no load): 1: p-key.png"
        ),
        "{said}"
    );
    let before = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
    let report = run_json(&load(&["--json"]));
    let after = chrono::Utc::now() + chrono::TimeDelta::seconds(1);
    assert_eq!(
        report["pages_still_to_key"],
        serde_json::json!(["p-key.png"]),
        "{report}"
    );
    let (inserted, linked) = (report["inserted"].as_i64().unwrap(), report["linked"].as_i64().unwrap());
    assert!(linked >= 3, "{report}");
    assert_eq!(report["events_already_held"], 1, "LIVE1's cremation is not doubled");
    let conflicts = report["conflicts"].as_array().unwrap();
    assert!(conflicts
        .iter()
        .any(|c| c["person_id"] == "LIVE0" && c["field"] == "death_date" && c["database_value"] == "2001-01-01"));
    assert_eq!(
        count("SELECT count(*) FROM deceased WHERE origin = 'paper_backfill'"),
        inserted
    );
    let sql_time = |t: chrono::DateTime<chrono::Utc>| format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S"));
    let during_the_load = format!("BETWEEN {} AND {}", sql_time(before), sql_time(after));
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM deceased WHERE origin = 'paper_backfill' AND loaded_at {during_the_load}"
        )),
        inserted,
        "rows stamped in UTC"
    );
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM loads WHERE started_at {during_the_load} AND finished_at {during_the_load} AND started_at <= finished_at"
        )),
        1,
        "the load's own times in UTC"
    );
    assert_eq!(
        count("SELECT count(*) FROM deceased WHERE origin = 'live' AND death_date = DATE '2001-01-01'"),
        1,
        "not overwritten"
    );
    assert_eq!(
        count("SELECT count(*) FROM (SELECT id_number FROM deceased WHERE id_number IS NOT NULL GROUP BY id_number HAVING count(*) > 1) AS twice"),
        0,
        "no person twice beside the live data"
    );
    let events = count("SELECT count(*) FROM cremations") + count("SELECT count(*) FROM burials");
    // A person's burial in two records of the batch (two volumes) is one burial.
    for (table, number) in [("cremations", "cert_no"), ("burials", "grave_number")] {
        assert_eq!(
            count(&format!(
                "SELECT count(*) FROM (SELECT person_id FROM {table} GROUP BY person_id, {number} HAVING count(*) > 1) AS twice"
            )),
            0,
            "{table}"
        );
    }
    let repeated = report["events_repeated"].as_i64().unwrap();
    assert!(repeated > 0, "{report}");
    let written = count("SELECT count(*) FROM cremations WHERE origin = 'paper_backfill'")
        + count("SELECT count(*) FROM burials WHERE origin = 'paper_backfill'");
    assert_eq!(
        written + repeated + report["events_already_held"].as_i64().unwrap(),
        dry["records"].as_i64().unwrap() - report["rejected"].as_array().unwrap().len() as i64,
        "every record loaded wrote its event, or found it written"
    );
    // A certificate stands as its ledger says; one the ledger notes nothing beside was issued.
    assert_eq!(
        province
            .text(&format!(
                "SELECT cert_status FROM cremations WHERE source_key = '{voided}'"
            ))
            .as_deref(),
        Some("voided")
    );
    assert_eq!(
        count("SELECT count(*) FROM cremations WHERE origin = 'paper_backfill' AND cert_no IS NOT NULL AND (cert_status IS NULL OR cert_status <> 'issued')"),
        1,
        "every other certificate issued"
    );

    // Again: nothing changes.
    let again = run_json(&load(&["--json"]));
    assert_eq!(
        (again["already_loaded"].as_bool(), again["load_id"].clone()),
        (Some(true), report["load_id"].clone())
    );
    assert_eq!(count("SELECT count(*) FROM deceased"), 3 + inserted);
    assert_eq!(
        count("SELECT count(*) FROM cremations") + count("SELECT count(*) FROM burials"),
        events
    );

    // Into a database that is not there yet (the laptop flow, or a mistyped path): it is
    // made, and the load says so; the next load into it says nothing of it.
    let elsewhere = format!("duckdb:{}", s(&dir.join("elsewhere.duckdb")));
    let into_new = [
        "load",
        "--workspace",
        wsa,
        "--batch",
        "B1",
        "--target",
        elsewhere.as_str(),
    ];
    let said = |out: std::process::Output| String::from_utf8_lossy(&out.stderr).contains("did not exist");
    assert!(said(run_expect(&into_new, 0)), "a new database is announced");
    assert!(!said(run_expect(&into_new, 0)), "an existing one is not");

    // The DBA finds the load later, with its counts, and its report whole.
    let listed = run_json(&["loads", "--target", &target, "--json"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let entry = &listed[0];
    assert_eq!(
        [
            &entry["load_id"],
            &entry["batch_id"],
            &entry["inserted"],
            &entry["linked"]
        ],
        [
            &report["load_id"],
            &serde_json::json!("B1"),
            &report["inserted"],
            &report["linked"]
        ]
    );
    let finished = chrono::DateTime::parse_from_rfc3339(entry["finished_at"].as_str().unwrap()).unwrap();
    assert!(before <= finished && finished <= after, "{entry}");
    assert_eq!(entry["conflicts"].as_u64(), Some(conflicts.len() as u64));
    assert_eq!(
        entry["rejected"].as_u64(),
        report["rejected"].as_array().map(|r| r.len() as u64)
    );
    let load_id = report["load_id"].as_str().unwrap();
    let stored = run_json(&["loads", "--target", &target, "--load-id", load_id, "--json"]);
    assert_eq!(
        [&stored["conflicts"], &stored["rejected"], &stored["inserted"]],
        [&report["conflicts"], &report["rejected"], &report["inserted"]]
    );
    let said = run_ok(&["loads", "--target", &target, "--load-id", load_id]);
    assert!(
        String::from_utf8_lossy(&said.stdout).contains(&format!("load {load_id} of batch B1: committed")),
        "{}",
        String::from_utf8_lossy(&said.stdout)
    );
    let unknown = run_expect(&["loads", "--target", &target, "--load-id", "L0000"], 2);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no load L0000"));

    // Unload takes out exactly the load.
    let u = run_json(&["unload", "--load-id", load_id, "--target", &target, "--json"]);
    assert_eq!(u["deceased"].as_i64(), Some(inserted));
    assert_eq!(count("SELECT count(*) FROM deceased"), 3);
    assert_eq!(count("SELECT count(*) FROM cremations"), 1);
    assert_eq!(count("SELECT count(*) FROM conflicts"), 0);
    assert_eq!(u["unloaded_before"], serde_json::Value::Null);
    // Run again (as after an unload killed once it had committed), it says so and
    // removes nothing; a load never made is still refused.
    let again = run_json(&["unload", "--load-id", load_id, "--target", &target, "--json"]);
    assert!(again["unloaded_before"].is_string(), "{again}");
    assert_eq!(
        (again["deceased"].as_i64(), again["cremations"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(count("SELECT count(*) FROM deceased"), 3);
    let said = run_ok(&["unload", "--load-id", load_id, "--target", &target]);
    assert!(
        String::from_utf8_lossy(&said.stdout).contains(&format!("{load_id}: unloaded before, at ")),
        "{said:?}"
    );
    run_expect(&["unload", "--load-id", "L0000", "--target", &target], 2);
}

#[test]
fn an_unload_leaves_no_rows_without_their_person_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    unload_order_flow(&basic::duckdb(dir.path(), "province"));
}

#[test]
fn an_unload_leaves_no_rows_without_their_person_postgres() {
    unload_order_flow(&basic::postgres("unload_order"));
}

/// A later load linked a burial record to a person an earlier load inserted (a cremation
/// ledger's person in a burial ledger): the earlier load is not unloaded before the later
/// one, which would leave the burial pointing at no one; the later one first, then both.
fn unload_order_flow(province: &Basic) {
    let t = province.t();
    two_loads_of_one_person(province);
    let refused = run_expect(&["unload", "--load-id", "LA", "--target", t], 2);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("load LB (batch burials-1): 1 row;") && said.contains("unload LB first"),
        "{said}"
    );
    assert_eq!(province.count("SELECT count(*) FROM deceased"), 2, "nothing removed");
    assert_eq!(province.count("SELECT count(*) FROM cremations"), 1, "nothing removed");

    let later = run_json(&["unload", "--load-id", "LB", "--target", t, "--json"]);
    assert_eq!(
        (later["deceased"].as_u64(), later["burials"].as_u64()),
        (Some(1), Some(2))
    );
    let earlier = run_json(&["unload", "--load-id", "LA", "--target", t, "--json"]);
    assert_eq!(
        (earlier["deceased"].as_u64(), earlier["cremations"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(province.count("SELECT count(*) FROM deceased"), 0);
}

/// Two loads as the unload tests need them: LA (batch cremations-1) inserted person PA
/// with a cremation; LB (batch burials-1), a month later, linked a burial record to PA
/// and inserted PB with a burial.
fn two_loads_of_one_person(province: &Basic) {
    for rows in [
        "loads (load_id, batch_id, origin, started_at, finished_at, report) VALUES
             ('LA', 'cremations-1', 'paper_backfill', TIMESTAMP '2026-01-05 08:00', TIMESTAMP '2026-01-05 08:01', '{}'),
             ('LB', 'burials-1', 'paper_backfill', TIMESTAMP '2026-02-05 08:00', TIMESTAMP '2026-02-05 08:01', '{}')",
        "deceased (person_id, name, origin, source_key, batch_id, load_id, loaded_at) VALUES
             ('PA', '王秀英', 'paper_backfill', 'R1', 'cremations-1', 'LA', TIMESTAMP '2026-01-05 08:00'),
             ('PB', '李建国', 'paper_backfill', 'R2', 'burials-1', 'LB', TIMESTAMP '2026-02-05 08:00')",
        "cremations (person_id, origin, source_key, batch_id, load_id, loaded_at) VALUES
             ('PA', 'paper_backfill', 'R1', 'cremations-1', 'LA', TIMESTAMP '2026-01-05 08:00')",
        "burials (person_id, origin, source_key, batch_id, load_id, loaded_at) VALUES
             ('PA', 'paper_backfill', 'R3', 'burials-1', 'LB', TIMESTAMP '2026-02-05 08:00'),
             ('PB', 'paper_backfill', 'R2', 'burials-1', 'LB', TIMESTAMP '2026-02-05 08:00')",
    ] {
        province.execute(&format!("INSERT INTO {rows}"), &[]);
    }
}

/// A load the province took out again after exchanging it is taken out of the nation's
/// database by the next package too (it stayed there for good before), in the order the
/// province took the loads out; importing that package again changes nothing.
#[test]
fn an_unload_travels_with_the_next_package_duckdb() {
    province_and_nation(None, withdrawal_flow);
}

#[test]
fn an_unload_travels_with_the_next_package_postgres() {
    province_and_nation(Some("withdrawal"), withdrawal_flow);
}

/// Runs `flow` in a scratch folder with a province's and a nation's database: DuckDB
/// files in the folder, or, given a name, the scratch databases `NAME_province` and
/// `NAME_nation` of the PostgreSQL test server.
fn province_and_nation(postgres: Option<&str>, flow: impl FnOnce(&std::path::Path, &Basic, &Basic)) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [province, nation] = ["province", "nation"].map(|which| match postgres {
        None => basic::duckdb(d, which),
        Some(name) => basic::postgres(&format!("{name}_{which}")),
    });
    flow(d, &province, &nation);
}

fn withdrawal_flow(dir: &std::path::Path, province: &Basic, nation: &Basic) {
    two_loads_of_one_person(province);
    let exported = |name: &str, since: Option<&str>| export_package(province, dir, name, since);
    let import = |name: &str| import_package(nation, dir, name);
    let first = exported("first", None);
    assert!(first.get("withdrawn_loads").is_none(), "{first}");
    import("first");
    assert_eq!(nation.count("SELECT count(*) FROM deceased"), 2);

    for load in ["LB", "LA"] {
        run_ok(&["unload", "--load-id", load, "--target", province.t()]);
    }
    let next = exported("next", first["exported_at"].as_str());
    let withdrawn: Vec<&str> = next["withdrawn_loads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["load_id"].as_str().unwrap())
        .collect();
    assert_eq!(withdrawn, ["LB", "LA"], "{next}");
    assert_eq!(next["withdrawn_loads"][0]["batch_id"], "burials-1");

    // A withdrawal whose time is none is refused before anything is taken out.
    let odd = dir.join("odd");
    std::fs::create_dir(&odd).unwrap();
    for entry in std::fs::read_dir(dir.join("next")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), odd.join(entry.file_name())).unwrap();
    }
    let manifest = std::fs::read_to_string(odd.join("manifest.json")).unwrap();
    let unloaded_at = next["withdrawn_loads"][0]["unloaded_at"].as_str().unwrap();
    let altered = manifest.replacen(
        &format!("\"unloaded_at\": \"{unloaded_at}\""),
        "\"unloaded_at\": \"yesterday\"",
        1,
    );
    assert_ne!(altered, manifest);
    std::fs::write(odd.join("manifest.json"), altered).unwrap();
    let refused = run_expect(&["exchange", "import", s(&odd), "--target", nation.t()], 2);
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("withdrawn load \"LB\" unloaded at \"yesterday\""),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(nation.count("SELECT count(*) FROM deceased"), 2);

    let imported = import("next");
    assert_eq!(imported["withdrawn"][0]["burials"], 2, "{imported}");
    assert_eq!(imported["withdrawn"][1]["deceased"], 1, "{imported}");
    let held = |nation: &Basic| {
        ["deceased", "cremations", "burials", "unloads"].map(|t| nation.count(&format!("SELECT count(*) FROM {t}")))
    };
    assert_eq!(held(nation), [0, 0, 0, 2]);
    let again = import("next");
    assert_eq!(again["withdrawn"][1]["deceased"], 0, "{again}");
    assert_eq!(held(nation), [0, 0, 0, 2], "the withdrawals kept once");

    // A package older than the last, with loads withdrawn in between, could bring their
    // rows back: refused. One starting after the last ended is taken, its gap named.
    let refused = run_expect(
        &["exchange", "import", s(&dir.join("first")), "--target", nation.t()],
        2,
    );
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("and loads were withdrawn in between"), "{said}");
    let ended = chrono::DateTime::parse_from_rfc3339(next["exported_at"].as_str().unwrap()).unwrap();
    let after_a_gap = (ended + chrono::TimeDelta::minutes(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    exported("later", Some(after_a_gap.as_str()));
    let gap = run_ok(&["exchange", "import", s(&dir.join("later")), "--target", nation.t()]);
    let warned = String::from_utf8_lossy(&gap.stderr);
    assert!(
        warned.contains("warning:") && warned.contains("rows loaded in between are in no package imported here"),
        "{warned}"
    );
    // The nation's DBA reads what arrived, the latest first; the province's next package
    // starts where the latest ended.
    let log = run_json(&["exchange", "log", "--target", nation.t(), "--province", "37", "--json"]);
    let spans: Vec<(&str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["since"].as_str().unwrap_or("all"), p["exported_at"].as_str().unwrap()))
        .collect();
    let later = exported_at(&dir.join("later"));
    let next_at = next["exported_at"].as_str().unwrap();
    let first_at = first["exported_at"].as_str().unwrap();
    assert_eq!(
        spans,
        [
            (after_a_gap.as_str(), later.as_str()),
            (first_at, next_at),
            ("all", first_at)
        ],
        "{log}"
    );
    let said = run_ok(&["exchange", "log", "--target", nation.t()]);
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.contains(&format!("province 37: its next package is exported --since {later}")),
        "{said}"
    );
}

/// A DBA settles the conflicts a load noted: lists them by id; takes the ledger's value
/// of one (the person changes, and so, with the next package, does the nation's copy of
/// them), keeps the database's of the rest; is refused, changing nothing, where a value
/// cannot be taken. Unloading the load that inserted a corrected person takes the
/// correction out too, there and in the nation.
#[test]
fn conflicts_are_settled_and_the_corrections_travel_duckdb() {
    province_and_nation(None, settling_flow);
}

#[test]
fn conflicts_are_settled_and_the_corrections_travel_postgres() {
    province_and_nation(Some("settling"), settling_flow);
}

fn settling_flow(dir: &std::path::Path, province: &Basic, nation: &Basic) {
    let t = province.t();
    // Load LB linked burial records R3 and R4 to PA, whom LA inserted: R3 gives another
    // death date and sex, R4 a third death date.
    two_loads_of_one_person(province);
    for sql in [
        "UPDATE deceased SET gender = '2', death_date = DATE '2001-01-01' WHERE person_id = 'PA'",
        "INSERT INTO conflicts (load_id, person_id, field, database_value, incoming_value, source_key, noted_at) VALUES
             ('LB', 'PA', 'death_date', '2001-01-01', '2013-04-11', 'R3', TIMESTAMP '2026-02-05 08:00'),
             ('LB', 'PA', 'gender', '2', '1', 'R3', TIMESTAMP '2026-02-05 08:00'),
             ('LB', 'PA', 'death_date', '2001-01-01', '2013-04-12', 'R4', TIMESTAMP '2026-02-05 08:00')",
    ] {
        province.execute(sql, &[]);
    }
    // Each package exported and imported twice, the second time adding nothing.
    let package = |name: &str, since: Option<&str>| {
        let m = export_package(province, dir, name, since);
        let imported = import_package(nation, dir, name);
        let again = import_package(nation, dir, name);
        assert!(again["added"].as_array().unwrap().iter().all(|a| a[1] == 0), "{again}");
        (m, imported)
    };
    let (first, _) = package("first", None);
    let death_date = |db: &Basic| db.text("SELECT CAST(death_date AS VARCHAR) FROM deceased WHERE person_id = 'PA'");
    assert_eq!(death_date(nation).as_deref(), Some("2001-01-01"));

    let listed = run_json(&["conflicts", "list", "--target", t, "--json"]);
    let id_of = |field: &str, record: &str| {
        let c = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["field"] == field && c["record_id"] == record)
            .unwrap_or_else(|| panic!("{listed}"));
        assert_eq!(
            (c["batch_id"].as_str(), c["settled"].is_null()),
            (Some("burials-1"), true)
        );
        c["conflict_id"].as_str().unwrap().to_string()
    };
    let (death, sex, other_death) = (
        id_of("death_date", "R3"),
        id_of("gender", "R3"),
        id_of("death_date", "R4"),
    );
    assert_eq!(std::collections::HashSet::from([&death, &sex, &other_death]).len(), 3);
    let said = run_ok(&["conflicts", "list", "--target", t]);
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.contains(&format!(
            "{death} load LB (batch burials-1), person PA death_date: database 2001-01-01, ledger 2013-04-11 (record R3) — open"
        )),
        "{said}"
    );
    let resolve = |args: &[&str], code: i32| {
        let mut all = vec!["conflicts", "resolve", "--target", t];
        all.extend(args);
        run_expect(&all, code)
    };
    let refused = |args: &[&str]| String::from_utf8_lossy(&resolve(args, 2).stderr).into_owned();
    let decided = || province.count("SELECT count(*) FROM conflict_decisions");

    // Refused, changing nothing: no conflicts named; one unknown; R3 and R4 offering PA
    // two death dates at once.
    assert!(refused(&["--keep", "incoming"]).contains("name the conflicts to settle"));
    assert!(
        refused(&["--conflict", "C0000000000000000", "--keep", "database"]).contains("no conflict C0000000000000000")
    );
    let two = refused(&["--load-id", "LB", "--field", "death_date", "--keep", "incoming"]);
    assert!(
        two.contains("offer person PA two values of death_date (2013-04-11 and 2013-04-12)"),
        "{two}"
    );
    assert!(refused(&["--field", "age", "--keep", "incoming"]).contains("no conflict is of a field \"age\""));
    assert_eq!((decided(), death_date(province).as_deref()), (0, Some("2001-01-01")));

    // R3's death date is taken.
    let taken = resolve(
        &[
            "--conflict",
            &death,
            "--keep",
            "incoming",
            "--by",
            "张科长",
            "--note",
            "火化证核对",
            "--json",
        ],
        0,
    );
    let taken: serde_json::Value = serde_json::from_slice(&taken.stdout).unwrap();
    assert_eq!(
        (taken["settled"][0].as_str(), taken["corrected"].as_u64()),
        (Some(death.as_str()), Some(1))
    );
    assert_eq!(death_date(province).as_deref(), Some("2013-04-11"));
    assert!(refused(&["--conflict", &death, "--keep", "database"]).contains("was settled already: replaced by 张科长"));
    // R4's would now replace a value it was not noted against.
    let stale = refused(&["--conflict", &other_death, "--keep", "incoming"]);
    assert!(
        stale.contains("PA's death_date is 2013-04-11 now, not 2001-01-01"),
        "{stale}"
    );
    // The rest of the load's are kept as the database has them.
    let kept = run_json(&[
        "conflicts",
        "resolve",
        "--target",
        t,
        "--load-id",
        "LB",
        "--keep",
        "database",
        "--json",
    ]);
    assert_eq!(
        (kept["settled"].as_array().unwrap().len(), kept["corrected"].as_u64()),
        (2, Some(0))
    );
    assert_eq!(
        province
            .text("SELECT gender FROM deceased WHERE person_id = 'PA'")
            .as_deref(),
        Some("2")
    );
    let open = run_ok(&["conflicts", "list", "--target", t]);
    assert!(String::from_utf8_lossy(&open.stdout).contains("no open conflicts"));
    let said = run_ok(&["conflicts", "list", "--target", t, "--all"]);
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.contains("3 conflicts, 0 open") && said.contains("— replaced by 张科长 "),
        "{said}"
    );
    assert!(said.contains(": 火化证核对\n"), "{said}");
    let all = run_json(&["conflicts", "list", "--target", t, "--all", "--json"]);
    let decisions: Vec<(&str, &str, &str)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = &c["settled"];
            (
                c["conflict_id"].as_str().unwrap(),
                s["decision"].as_str().unwrap(),
                s["note"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert!(decisions.contains(&(death.as_str(), "replaced", "火化证核对")), "{all}");
    assert!(decisions.contains(&(other_death.as_str(), "kept", "-")), "{all}");

    // The correction travels with the next package: PA's row went in the first, and is
    // not sent again. Imported twice, it corrects once. Made a date that is none, it is
    // refused before the nation's database is opened.
    let next = export_package(province, dir, "next", first["exported_at"].as_str());
    damaged_package(&dir.join("next"), &dir.join("undated"), "undated-correction");
    let undated = run_expect(
        &["exchange", "import", s(&dir.join("undated")), "--target", nation.t()],
        2,
    );
    let said = String::from_utf8_lossy(&undated.stderr);
    assert!(
        said.contains("a correction no import can apply: person PA's death_date to \"someday\""),
        "{said}"
    );
    let imported = import_package(nation, dir, "next");
    let again = import_package(nation, dir, "next");
    assert_eq!(again["corrected"], 0, "{again}");
    let files: Vec<(&str, u64)> = next["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["table"].as_str().unwrap(), f["rows"].as_u64().unwrap()))
        .collect();
    assert!(
        files.contains(&("corrections", 1)) && files.contains(&("deceased", 0)),
        "{next}"
    );
    assert_eq!(imported["corrected"], 1, "{imported}");
    assert_eq!(death_date(nation).as_deref(), Some("2013-04-11"));

    // R3's date was the wrong one to take: the load's death-date decisions are taken back,
    // the date given back, and R4's taken instead. Refused first, changing nothing: no
    // reason given; the date changed since the decision; a conflict still open.
    let reopen = |args: &[&str], code: i32| {
        let mut all = vec!["conflicts", "reopen", "--target", t];
        all.extend(args);
        run_expect(&all, code)
    };
    let reopen_refused = |args: &[&str]| String::from_utf8_lossy(&reopen(args, 2).stderr).into_owned();
    assert!(reopen_refused(&["--conflict", &death]).contains("--note"));
    province.execute(
        "UPDATE deceased SET death_date = DATE '2013-04-13' WHERE person_id = 'PA'",
        &[],
    );
    let changed = reopen_refused(&["--load-id", "LB", "--note", "火化证看错"]);
    assert!(
        changed.contains("PA's death_date is 2013-04-13 now, not 2013-04-11 as the decision left it"),
        "{changed}"
    );
    province.execute(
        "UPDATE deceased SET death_date = DATE '2013-04-11' WHERE person_id = 'PA'",
        &[],
    );
    let reopened = reopen(
        &[
            "--load-id",
            "LB",
            "--field",
            "death_date",
            "--note",
            "火化证看错",
            "--by",
            "张科长",
            "--json",
        ],
        0,
    );
    let reopened: serde_json::Value = serde_json::from_slice(&reopened.stdout).unwrap();
    let mut ids: Vec<&str> = reopened["reopened"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    ids.sort();
    let mut expected = [death.as_str(), other_death.as_str()];
    expected.sort();
    assert_eq!(
        (ids.as_slice(), reopened["given_back"].as_u64()),
        (&expected[..], Some(1))
    );
    assert_eq!(death_date(province).as_deref(), Some("2001-01-01"));
    assert!(
        reopen_refused(&["--conflict", &death, "--note", "again"]).contains("is open: there is no decision to reopen")
    );
    assert_eq!(
        [
            decided(),
            province.count(
                "SELECT count(*) FROM reopened_decisions WHERE reopened_by = '张科长' AND reopen_note = '火化证看错'"
            ),
            province.count("SELECT count(*) FROM corrections WHERE reason LIKE '% reopened: 火化证看错'"),
        ],
        [1, 2, 1]
    );
    let open = run_json(&["conflicts", "list", "--target", t, "--json"]);
    assert_eq!(open.as_array().unwrap().len(), 2, "{open}");
    let taken_back = open
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["conflict_id"] == death.as_str())
        .unwrap();
    let history = &taken_back["reopened"];
    assert_eq!(
        (
            history.as_array().map(Vec::len),
            &history[0]["was"]["decision"],
            &history[0]["was"]["note"],
            &history[0]["reopened_by"],
            &history[0]["note"]
        ),
        (
            Some(1),
            &serde_json::json!("replaced"),
            &serde_json::json!("火化证核对"),
            &serde_json::json!("张科长"),
            &serde_json::json!("火化证看错")
        ),
        "{taken_back}"
    );
    let said = run_ok(&["conflicts", "list", "--target", t, "--field", "death_date"]);
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.contains("(record R3) — open (replaced by 张科长 ") && said.contains(": 火化证核对 taken back by 张科长 "),
        "{said}"
    );
    resolve(&["--conflict", &other_death, "--keep", "incoming"], 0);
    assert_eq!(death_date(province).as_deref(), Some("2013-04-12"));
    // The date given back and the one taken travel: the nation ends where the province is.
    let (later, _) = package("later", next["exported_at"].as_str());
    assert_eq!(death_date(nation).as_deref(), Some("2013-04-12"));

    // Unloaded, PA goes with the corrections of them; the decisions stay, as history.
    run_ok(&["unload", "--load-id", "LB", "--target", t]);
    let unloaded = run_json(&["unload", "--load-id", "LA", "--target", t, "--json"]);
    assert_eq!(unloaded["corrections"], 3, "{unloaded}");
    assert_eq!([province.count("SELECT count(*) FROM corrections"), decided()], [0, 2]);
    package("last", later["exported_at"].as_str());
    assert_eq!(
        ["deceased", "corrections"].map(|t| nation.count(&format!("SELECT count(*) FROM {t}"))),
        [0, 0]
    );
}

/// A live extract in GBK: three good rows, one with an unknown sex code, one dated
/// 30 February.
/// The agent a person is matched on (the ledgers' 家属/承办人) is the one with a name
/// loaded first, and of agents loaded together the one first in code-point order, on both
/// engines, in whatever order the rows were written.
#[test]
fn the_agent_matched_on_is_the_first_loaded_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    first_agent_flow(&basic::duckdb(dir.path(), "province"));
}

/// On a database whose `DateStyle` writes dates day first (`05/03/1940`) too: the dates
/// and times a load reads are ISO all the same.
#[test]
fn the_agent_matched_on_is_the_first_loaded_postgres() {
    let province = basic::postgres("first_agent");
    let name = province.t().rsplit('/').next().unwrap().to_string();
    province.execute(&format!("ALTER DATABASE \"{name}\" SET DateStyle = 'SQL, DMY'"), &[]);
    first_agent_flow(&province);
}

fn first_agent_flow(province: &Basic) {
    use ledgerline_load::{read_persons, Target};
    let mut db = Target::parse(province.t()).unwrap().open_for_writing().unwrap();
    for (person, name) in [("P1", "王秀英"), ("P2", "张德明"), ("P3", "赵桂兰")] {
        db.execute(
            "INSERT INTO deceased (person_id, name, birth_date, origin, source_key, loaded_at)
             VALUES ($1, $2, DATE '1940-03-05', 'live', $1, TIMESTAMP '2019-01-01 08:00:00')",
            &[person, name],
        )
        .unwrap();
    }
    let agents = [
        ("P1", "周强", "2021-06-01 09:00:00"),
        ("P1", "钱芳", "2019-05-01 10:00:00"),
        ("P1", "赵军", "2019-05-01 10:00:00"),
        ("P2", "孙丽", "2020-02-02 12:30:00.5"),
        ("P2", "李明", "2020-02-02 12:30:00.75"),
    ];
    for (person, name, at) in agents {
        db.execute(
            &format!(
                "INSERT INTO agents (person_id, name, origin, source_key, loaded_at)
                 VALUES ($1, $2, 'live', $1, TIMESTAMP '{at}')"
            ),
            &[person, name],
        )
        .unwrap();
    }
    // An agent whose name was not recorded says nothing to match on, however early.
    db.execute(
        "INSERT INTO agents (person_id, name, origin, source_key, loaded_at)
         VALUES ('P2', NULL, 'live', 'P2', TIMESTAMP '2018-01-01 00:00:00')",
        &[],
    )
    .unwrap();
    let persons = read_persons(&mut db).unwrap();
    let agent_of: Vec<(&str, Option<&str>)> = persons
        .iter()
        .map(|p| (p.person_id.as_str(), p.fields.family_name.as_deref()))
        .collect();
    assert_eq!(
        agent_of,
        [("P1", Some("赵军")), ("P2", Some("孙丽")), ("P3", None)],
        "赵 (U+8D75) before 钱 (U+94B1), loaded together; half a second before three quarters"
    );
    assert!(
        persons
            .iter()
            .all(|p| p.fields.birth_date.as_deref() == Some("1940-03-05")),
        "{persons:?}"
    );
}

#[test]
fn scans_read_every_row_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    scan_flow(&basic::duckdb(dir.path(), "province"));
}

#[test]
fn scans_read_every_row_postgres() {
    scan_flow(&basic::postgres("scan"));
}

/// A scan hands over every row once, in order, nulls as `None` and empty texts as empty,
/// Chinese text whole, and text holding a tab, a newline, a backslash or the two
/// characters `\N` as written (PostgreSQL's COPY escapes them), whether the result is
/// empty, one row, or a few thousand.
fn scan_flow(province: &Basic) {
    use ledgerline_load::Target;
    let mut db = Target::parse(province.t()).unwrap().open_for_writing().unwrap();
    db.begin_snapshot().unwrap();
    for rows in [0u64, 1, 8191, 8192, 8193, 50_000] {
        let mut seen = 0u64;
        db.scan(
            &format!(
                "SELECT CAST(t.g AS VARCHAR) AS n, CASE WHEN t.g % 3 = 0 THEN NULL ELSE 'x' END,
                        CASE WHEN t.g % 5 = 0 THEN '' ELSE '济南市历城区王舍人街道' END,
                        CASE WHEN t.g % 7 = 0 THEN '路' || chr(9) || '2号' || chr(92) || 'N' || chr(10) || chr(92) ELSE 'y' END
                 FROM generate_series(1, {rows}) AS t(g) ORDER BY t.g"
            ),
            4,
            |v| {
                seen += 1;
                assert_eq!(v[0], Some(seen.to_string().as_str()));
                assert_eq!(v[1].is_none(), seen.is_multiple_of(3), "row {seen}");
                let place = if seen.is_multiple_of(5) {
                    ""
                } else {
                    "济南市历城区王舍人街道"
                };
                assert_eq!(v[2], Some(place), "row {seen}");
                let written = if seen.is_multiple_of(7) { "路\t2号\\N\n\\" } else { "y" };
                assert_eq!(v[3], Some(written), "row {seen}");
            },
        )
        .unwrap();
        assert_eq!(seen, rows);
    }
    db.rollback();
}

fn live_extract(dir: &std::path::Path) -> std::path::PathBuf {
    let csv = "DEAD_ID,NAME,SEX,CARD_TYPE,ID_CARD,BIRTHDAY,FOLK,POPULACE,POPULACE_CODE,DEATH_DATE,RECEIVE_TIME,START_TIME,AGENT_NAME,MOBIL_PHONE\n\
SZ320981-2013-000001,王秀英,2,0,34052419800101001X,1980-01-01,1,济南市历城区,370112001001,2013-03-05,2013-03-06 08:00:00,2013-03-06 08:30:00,李建国,13912341234\n\
SZ320981-2013-000002,张德明,1,0,X,19410309,X,X,X,2013-04-15,2013-04-16 09:00:00,2013-04-16 10:17:00,X,X\n\
SZ320981-2013-000003,赵桂兰,3,0,X,X,1,X,X,2013-05-01,X,X,X,X\n\
SZ320981-2013-000004,钱某,M,0,X,X,1,X,X,2013-05-02,X,X,X,X\n\
SZ320981-2013-000005,孙某,1,0,X,X,1,X,X,2013-02-30,X,X,X,X\n";
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(csv);
    assert!(!unmappable);
    let file = dir.join("fis_dead_info.csv");
    std::fs::write(&file, &gbk).unwrap();
    file
}

#[test]
fn live_extracts_in_gbk_map_to_the_national_codes_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    live_flow(dir.path(), &basic::duckdb(dir.path(), "province"));
}

#[test]
fn live_extracts_in_gbk_map_to_the_national_codes_postgres() {
    let dir = tempfile::tempdir().unwrap();
    live_flow(dir.path(), &basic::postgres("live_flow"));
}

fn live_flow(dir: &std::path::Path, province: &Basic) {
    let file = live_extract(dir);
    let target = province.t();
    // A file that is no live extract, and an unload from a database that is not a basic
    // one yet, are refused before the target is opened for writing: it is left as it was,
    // not made a basic database (an embedded one not made at all).
    let not_live = dir.join("wrong.csv");
    std::fs::write(&not_live, "a,b\n1,2\n").unwrap();
    let refused = run_expect(&["live", "import", s(&not_live), "--target", target], 2);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("wrong.csv: not a live extract"), "{stderr}");
    run_expect(&["unload", "--load-id", "L0123456789abcdef", "--target", target], 2);
    assert!(!province.is_basic_database());
    let r = run_json(&["live", "import", s(&file), "--target", target, "--json"]);
    assert_eq!(
        (&r["encoding"], &r["sheet"]),
        (&serde_json::json!("gb18030"), &serde_json::Value::Null)
    );
    assert_eq!((r["rows"].as_u64(), r["imported"].as_u64()), (Some(5), Some(3)));
    let bad: Vec<u64> = r["bad_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["line"].as_u64().unwrap())
        .collect();
    assert_eq!(bad, [5, 6], "the row with SEX M and the one dated 30 February: {r}");
    assert_eq!(
        r["cremation_times_imputed"], 1,
        "08:00 arrival, 08:30 start: fabricated"
    );
    // Not on a terminal, progress is logged on stderr: each step, then the rows staged.
    let readable = run_ok(&["live", "import", s(&file), "--target", target, "--dry-run"]);
    let stderr = String::from_utf8_lossy(&readable.stderr);
    let steps: Vec<&str> = stderr.lines().map(|l| l.split(" (").next().unwrap()).collect();
    assert_eq!(
        steps,
        [
            "import: rows counted: 5",
            "import: deaths held read: 3 of those it sends",
            "import: 5/5"
        ],
        "{stderr}"
    );
    assert_eq!(
        province.text(
            "SELECT name || '|' || gender || '|' || ethnicity || '|' || household_division || '|' || id_type
             FROM deceased WHERE source_key = 'SZ320981-2013-000001'"
        ),
        Some("王秀英|2|01|370112|111".into())
    );
    assert_eq!(
        province.text("SELECT gender FROM deceased WHERE source_key = 'SZ320981-2013-000003'"),
        Some("0".into()),
        "live 3 is GB/T 2261.1's 0"
    );
    assert_eq!(
        province.text("SELECT id_number FROM deceased WHERE source_key = 'SZ320981-2013-000002'"),
        None,
        "X is a missing value"
    );
    assert_eq!(
        province.count("SELECT count(*) FROM cremations WHERE cremation_time_imputed"),
        1
    );
    // Named from its folder, the extract is recorded where it is, for a DBA reading the
    // log anywhere else.
    let name = file.file_name().unwrap().to_str().unwrap();
    let again = std::process::Command::new(bin())
        .current_dir(dir)
        .args(["live", "import", name, "--target", target, "--json"])
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let again: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(
        (again["imported"].as_u64(), again["already_held"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(again["file"].as_str(), file.to_str(), "{again}");
    assert_eq!(province.count("SELECT count(*) FROM deceased"), 3);
    // It brought nothing new: the log keeps the first import of those bytes alone.
    assert_eq!(again["logged"], false, "{again}");
    let log = run_json(&["live", "log", "--target", target, "--json"]);
    assert_eq!(log.as_array().map(Vec::len), Some(1), "{log}");
    assert_eq!(log[0]["file"].as_str(), file.to_str(), "{log}");
}

#[test]
fn live_rows_sent_again_add_what_is_new_and_name_what_differs_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    resent_flow(dir.path(), &basic::duckdb(dir.path(), "province"));
}

#[test]
fn live_rows_sent_again_add_what_is_new_and_name_what_differs_postgres() {
    let dir = tempfile::tempdir().unwrap();
    resent_flow(dir.path(), &basic::postgres("live_resent"));
}

/// A funeral home sends its deaths again: one with its ID number fixed and its death
/// date retyped, one no longer giving the cremation held, one now cremated and with an
/// agent, and a new death twice, the second time with another date; a dry run of it first.
fn resent_flow(dir: &std::path::Path, province: &Basic) {
    let target = province.t();
    let first = run_json(&["live", "import", s(&live_extract(dir)), "--target", target, "--json"]);
    assert_eq!(first["imported_before"], serde_json::Value::Null);
    let again = run_json(&["live", "import", s(&live_extract(dir)), "--target", target, "--json"]);
    assert_eq!(
        (again["already_held"].as_u64(), again["added_to_held"].as_u64()),
        (Some(3), Some(0))
    );
    assert!(
        again["imported_before"].as_str().is_some_and(|at| at.ends_with('Z')),
        "the same bytes were imported before: {again}"
    );
    assert_eq!(
        again["differing_from_held"],
        serde_json::json!([]),
        "the rows as sent before differ in nothing, dates, codes and flags read back as staged"
    );
    let resent = dir.join("fis_dead_info_resent.csv");
    std::fs::write(
        &resent,
        "DEAD_ID,NAME,SEX,CARD_TYPE,ID_CARD,BIRTHDAY,FOLK,POPULACE,POPULACE_CODE,DEATH_DATE,RECEIVE_TIME,START_TIME,AGENT_NAME,MOBIL_PHONE\n\
SZ320981-2013-000001,王秀英,2,0,340524198001010028,1980-01-01,1,济南市历城区,370112001001,2013-03-04,2013-03-06 08:00:00,2013-03-06 08:30:00,李建国,13912341234\n\
SZ320981-2013-000002,张德明,1,0,X,19410309,X,X,X,2013-04-15,2013-04-16 09:00:00,X,X,X\n\
SZ320981-2013-000003,赵桂兰,3,0,X,X,1,X,X,2013-05-01,2013-05-03 08:00:00,2013-05-03 09:40:00,赵强,X\n\
SZ320981-2013-000006,周玉兰,2,0,X,X,1,X,X,2013-06-01,X,X,X,X\n\
SZ320981-2013-000006,周玉兰,2,0,X,X,1,X,X,2013-06-02,X,X,X,X\n",
    )
    .unwrap();
    let differing = |r: &serde_json::Value| -> Vec<(u64, String)> {
        r["differing_from_held"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["line"].as_u64().unwrap(),
                    d["columns"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| c.as_str().unwrap())
                        .collect::<Vec<_>>()
                        .join(","),
                )
            })
            .collect()
    };
    let expected = vec![
        (2, "ID_CARD,DEATH_DATE".to_string()),
        (3, "START_TIME".to_string()),
        (6, "DEATH_DATE".to_string()),
    ];
    // A dry run reports what the import will do, and writes nothing.
    let tables = || {
        (
            province.count("SELECT count(*) FROM deceased"),
            province.count("SELECT count(*) FROM cremations"),
            province.count("SELECT count(*) FROM agents"),
        )
    };
    let dry = run_json(&["live", "import", s(&resent), "--target", target, "--dry-run", "--json"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(tables(), (3, 2, 1), "the dry run wrote nothing");
    let r = run_json(&["live", "import", s(&resent), "--target", target, "--json"]);
    assert_eq!(r["dry_run"], false);
    for same in [
        "rows",
        "imported",
        "already_held",
        "added_to_held",
        "differing_from_held",
        "conflicts_noted",
    ] {
        assert_eq!(dry[same], r[same], "{same}: the dry run told what the import did");
    }
    assert_eq!(
        (r["rows"].as_u64(), r["imported"].as_u64(), r["already_held"].as_u64()),
        (Some(5), Some(1), Some(4))
    );
    assert_eq!(r["added_to_held"], 1, "赵桂兰's cremation and agent: {r}");
    assert_eq!(differing(&r), expected, "{r}");
    assert_eq!(
        province.text(
            "SELECT id_number || '|' || CAST(death_date AS VARCHAR) FROM deceased
             WHERE source_key = 'SZ320981-2013-000001'"
        ),
        Some("34052419800101001X|2013-03-05".into()),
        "a held value is not written over"
    );
    assert_eq!(
        province.text(
            "SELECT CAST(c.cremation_date AS VARCHAR) || '|' || CAST(c.cremation_time_imputed AS VARCHAR) || '|' || a.name
             FROM cremations c JOIN agents a ON a.person_id = c.person_id
             WHERE c.source_key = 'SZ320981-2013-000003' AND c.origin = 'live'"
        ),
        Some("2013-05-03|false|赵强".into())
    );
    assert_eq!(
        province.count("SELECT count(*) FROM cremations WHERE source_key = 'SZ320981-2013-000002'"),
        1,
        "the cremation held is kept"
    );
    assert_eq!(
        province.text("SELECT CAST(death_date AS VARCHAR) FROM deceased WHERE source_key = 'SZ320981-2013-000006'"),
        Some("2013-06-01".into()),
        "of two lines, the first is taken"
    );
    // Sent a third time: nothing more is added, the same differences are named.
    let third = run_json(&["live", "import", s(&resent), "--target", target, "--json"]);
    assert_eq!(
        (
            third["imported"].as_u64(),
            third["already_held"].as_u64(),
            third["added_to_held"].as_u64()
        ),
        (Some(0), Some(5), Some(0))
    );
    assert_eq!(differing(&third), expected);
    assert_eq!(tables(), (4, 3, 2));
    // The names, sexes, ID numbers and dates sent otherwise were noted as conflicts, once:
    // the same bytes sent again note none.
    assert_eq!(
        (r["conflicts_noted"].as_u64(), third["conflicts_noted"].as_u64()),
        (Some(3), Some(0))
    );
    let import_id = r["import_id"].as_str().unwrap();
    assert_eq!(import_id, third["import_id"].as_str().unwrap());
    let noted = run_json(&[
        "conflicts",
        "list",
        "--target",
        target,
        "--load-id",
        import_id,
        "--json",
    ]);
    // What tells the two ID numbers apart: the one held gives a man, the person is a
    // woman; the one the funeral home fixed agrees with her.
    let id_conflict = noted
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "id_number")
        .unwrap();
    assert_eq!(
        (&id_conflict["database_findings"], &id_conflict["incoming_findings"]),
        (
            &serde_json::json!(["gender: 2 (女) disagrees with the ID number's sequence digit, which says 男"]),
            &serde_json::json!([])
        ),
        "{id_conflict}"
    );
    let said = run_ok(&["conflicts", "list", "--target", target, "--field", "id_number"]);
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.contains("(record SZ320981-2013-000001 line 2); with the database's value: gender: 2 (女) disagrees"),
        "{said}"
    );
    let noted: Vec<[&str; 4]> = noted
        .as_array()
        .unwrap()
        .iter()
        .map(|c| ["record_id", "field", "database_value", "incoming_value"].map(|k| c[k].as_str().unwrap()))
        .collect();
    assert_eq!(
        noted,
        [
            ["SZ320981-2013-000001 line 2", "death_date", "2013-03-05", "2013-03-04"],
            [
                "SZ320981-2013-000001 line 2",
                "id_number",
                "34052419800101001X",
                "340524198001010028"
            ],
            ["SZ320981-2013-000006 line 6", "death_date", "2013-06-01", "2013-06-02"],
        ]
    );
    // The DBA takes the ID number the funeral home fixed.
    let fixed = run_json(&[
        "conflicts",
        "resolve",
        "--target",
        target,
        "--load-id",
        import_id,
        "--field",
        "id_number",
        "--keep",
        "incoming",
        "--json",
    ]);
    assert_eq!(fixed["corrected"], 1, "{fixed}");
    assert_eq!(
        province.text("SELECT id_number FROM deceased WHERE source_key = 'SZ320981-2013-000001'"),
        Some("340524198001010028".into())
    );
    // Every import but the dry run, and but the same bytes sent again with nothing new,
    // is recorded, with the time its rows were stamped.
    assert_eq!(province.count("SELECT count(*) FROM live_imports"), 2);
    let brought_by = province.text(
        "SELECT i.file FROM live_imports i JOIN deceased d ON d.loaded_at = i.imported_at
         WHERE d.source_key = 'SZ320981-2013-000006'",
    );
    assert!(
        brought_by
            .as_deref()
            .is_some_and(|f| f.ends_with("fis_dead_info_resent.csv")),
        "the extract that brought a row: {brought_by:?}"
    );
    // Another extract (another day's, other bytes) sends the same differences again:
    // noted once, they are not noted again; nor is the ID number taken.
    let next_day = dir.join("fis_dead_info_next_day.csv");
    let resent_text = std::fs::read_to_string(&resent).unwrap();
    std::fs::write(
        &next_day,
        format!("{resent_text}SZ320981-2013-000009,钱进,1,0,X,X,1,X,X,2013-07-01,X,X,X,X\n"),
    )
    .unwrap();
    let next = run_json(&["live", "import", s(&next_day), "--target", target, "--json"]);
    assert_eq!(
        (
            next["imported"].as_u64(),
            differing(&next).len(),
            next["conflicts_noted"].as_u64()
        ),
        (Some(1), 3, Some(0)),
        "{next}"
    );
    assert_ne!(next["import_id"], r["import_id"]);
    assert_eq!(province.count("SELECT count(*) FROM conflicts"), 3);
    // The ID number taken, line 2 differs in its death date alone.
    let readable = run_ok(&["live", "import", s(&resent), "--target", target]);
    let said = String::from_utf8_lossy(&readable.stdout);
    assert!(
        said.contains("line 2 (SZ320981-2013-000001): differs from the row held in DEATH_DATE\n"),
        "{said}"
    );
    // The imports listed, the latest first.
    let log = run_json(&["live", "log", "--target", target, "--json"]);
    let listed: Vec<(String, u64, u64)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let file = i["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
            (
                file,
                i["imported"].as_u64().unwrap(),
                i["differing_from_held"].as_u64().unwrap(),
            )
        })
        .collect();
    let (first, resent) = ("fis_dead_info.csv".to_string(), "fis_dead_info_resent.csv".to_string());
    // The same bytes sent again with nothing new are not listed again.
    assert_eq!(
        listed,
        [
            ("fis_dead_info_next_day.csv".to_string(), 1, 3),
            (resent, 1, 3),
            (first, 3, 0)
        ]
    );
    let noted: Vec<u64> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["conflicts_noted"].as_u64().unwrap())
        .collect();
    assert_eq!(noted, [0, 3, 0]);
}

#[test]
fn a_death_re_keyed_by_its_fixed_id_number_stays_one_person_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    rekeyed_flow(dir.path(), &basic::duckdb(dir.path(), "province"));
}

#[test]
fn a_death_re_keyed_by_its_fixed_id_number_stays_one_person_postgres() {
    let dir = tempfile::tempdir().unwrap();
    rekeyed_flow(dir.path(), &basic::postgres("live_rekeyed"));
}

/// A funeral home that keys its deaths by the ID number fixes four mistyped ones and
/// sends them again under the fixed numbers. 王秀英 (one character wrong) is the person
/// held; 张秀兰 (two characters swapped) is not, her death date differs; 赵桂兰's old key
/// is sent too, so the system holds both; 周玉兰's fix is one keystroke from two persons
/// held, and which one it fixes cannot be told; nor can which of two fixes one keystroke
/// from 孙丽's held is hers.
fn rekeyed_flow(dir: &std::path::Path, province: &Basic) {
    let target = province.t();
    let extract = |name: &str, rows: &[(&str, &str, &str, &str)]| {
        let rows: String = rows
            .iter()
            .map(|(id, name, died, start)| format!("{id},{name},2,0,{id},{died},{start}\n"))
            .collect();
        let file = dir.join(name);
        std::fs::write(
            &file,
            format!("DEAD_ID,NAME,SEX,CARD_TYPE,ID_CARD,DEATH_DATE,START_TIME\n{rows}"),
        )
        .unwrap();
        file
    };
    let first = extract(
        "keyed_by_id.csv",
        &[
            ("340524198001010018", "王秀英", "2013-03-05", "X"),
            ("11010519491213002X", "张秀兰", "2013-04-15", "X"),
            ("32098119550612008X", "赵桂兰", "2013-05-01", "X"),
            ("320981196002030048", "周玉兰", "2013-06-01", "X"),
            ("320981196002030034", "周玉兰", "2013-06-01", "X"),
            ("110108197003150045", "孙丽", "2013-07-01", "X"),
        ],
    );
    run_json(&["live", "import", s(&first), "--target", target, "--json"]);
    let fixed = extract(
        "keyed_by_id_fixed.csv",
        &[
            ("340524198001010028", "王秀英", "2013-03-05", "2013-03-06 09:40:00"),
            ("11010519491231002X", "张秀兰", "2013-04-16", "X"),
            ("32098119550612008X", "赵桂兰", "2013-05-01", "X"),
            ("32098119550612003X", "赵桂兰", "2013-05-01", "X"),
            ("320981196002030043", "周玉兰", "2013-06-01", "X"),
            ("110108197003150025", "孙丽", "2013-07-01", "X"),
            ("110108197003150041", "孙丽", "2013-07-01", "X"),
        ],
    );
    let r = run_json(&["live", "import", s(&fixed), "--target", target, "--json"]);
    assert_eq!(
        (
            r["imported"].as_u64(),
            r["already_held"].as_u64(),
            r["added_to_held"].as_u64()
        ),
        (Some(5), Some(2), Some(1)),
        "{r}"
    );
    assert_eq!(
        r["rekeyed"],
        serde_json::json!([{
            "line": 2,
            "dead_id": "340524198001010028",
            "held_dead_id": "340524198001010018",
            "person_id": "LIVE-340524198001010018",
            "fix": "character 17: 1 → 2",
            "agreeing": ["NAME", "DEATH_DATE", "SEX"],
        }])
    );
    assert_eq!(province.count("SELECT count(*) FROM deceased WHERE name = '王秀英'"), 1);
    assert_eq!(
        province.text("SELECT person_id || '|' || source_key FROM cremations"),
        Some("LIVE-340524198001010018|340524198001010018".into()),
        "the cremation the fixed row brought is the person's"
    );
    let noted = run_json(&[
        "conflicts",
        "list",
        "--target",
        target,
        "--load-id",
        r["import_id"].as_str().unwrap(),
        "--json",
    ]);
    let noted: Vec<[&str; 4]> = noted
        .as_array()
        .unwrap()
        .iter()
        .map(|c| ["person_id", "record_id", "database_value", "incoming_value"].map(|k| c[k].as_str().unwrap()))
        .collect();
    assert_eq!(
        noted,
        [[
            "LIVE-340524198001010018",
            "340524198001010028 line 2",
            "340524198001010018",
            "340524198001010028"
        ]]
    );
    let said = run_ok(&["live", "import", s(&fixed), "--target", target, "--dry-run"]);
    let said = String::from_utf8_lossy(&said.stdout);
    assert!(
        said.contains(
            "line 2 (340524198001010028): the person held as 340524198001010018 (LIVE-340524198001010018): \
             character 17: 1 → 2; the same NAME, DEATH_DATE, SEX"
        ),
        "{said}"
    );
    // The DBA takes the fixed number; the death sent again under it is still that person,
    // and nothing more is noted.
    run_ok(&[
        "conflicts",
        "resolve",
        "--target",
        target,
        "--load-id",
        r["import_id"].as_str().unwrap(),
        "--keep",
        "incoming",
    ]);
    let again = run_json(&["live", "import", s(&fixed), "--target", target, "--json"]);
    assert_eq!(
        (
            again["imported"].as_u64(),
            again["rekeyed"].as_array().map(Vec::len),
            again["conflicts_noted"].as_u64(),
            again["differing_from_held"].as_array().map(Vec::len)
        ),
        (Some(0), Some(1), Some(0), Some(0)),
        "{again}"
    );
    assert_eq!(province.count("SELECT count(*) FROM deceased"), 11);
    assert_eq!(
        province.text("SELECT id_number FROM deceased WHERE name = '王秀英'"),
        Some("340524198001010028".into())
    );
    let log = run_json(&["live", "log", "--target", target, "--json"]);
    assert_eq!(log[0]["rekeyed"], 1, "{log}");
}

/// An extract whose every row differs from the rows held: the readable report lists the
/// first twenty and says how many more; the JSON lists every one.
#[test]
fn a_long_list_of_differing_rows_is_cut_short_where_people_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let province = basic::duckdb(dir.path(), "province");
    let extract = |day: u32| {
        let file = dir.path().join(format!("deaths-{day}.csv"));
        let rows: String = (1..=25)
            .map(|i| format!("SZ320981-2014-{i:06},王秀英,2,2014-03-{day:02}\n"))
            .collect();
        std::fs::write(&file, format!("DEAD_ID,NAME,SEX,DEATH_DATE\n{rows}")).unwrap();
        file
    };
    run_ok(&["live", "import", s(&extract(5)), "--target", province.t()]);
    let again = extract(6);
    let json = run_json(&["live", "import", s(&again), "--target", province.t(), "--json"]);
    assert_eq!(json["differing_from_held"].as_array().map(Vec::len), Some(25));
    let out = run_ok(&["live", "import", s(&again), "--target", province.t()]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        said.matches("differs from the row held in DEATH_DATE").count(),
        20,
        "{said}"
    );
    assert!(said.contains("… and 5 more (--json lists every one)"), "{said}");
    // So are the conflicts they noted, read one by one and not kept; the JSON has them all.
    let listed = run_ok(&["conflicts", "list", "--target", province.t()]);
    let said = String::from_utf8_lossy(&listed.stdout);
    assert!(said.starts_with("25 conflicts, 25 open\n"), "{said}");
    assert_eq!(
        said.matches(" death_date: database 2014-03-05, ledger 2014-03-06 ")
            .count(),
        20,
        "{said}"
    );
    assert!(said.ends_with("  … and 5 more (--json lists every one)\n"), "{said}");
    let json = run_json(&["conflicts", "list", "--target", province.t(), "--json"]);
    let lines: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["record_id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (1..=25)
        .map(|i| format!("SZ320981-2014-{i:06} line {}", i + 1))
        .collect();
    assert_eq!(lines, expected);
}

#[test]
fn exchange_packages_are_verified_then_loaded_once_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    exchange_flow(
        d,
        &basic::duckdb(d, "province"),
        &basic::duckdb(d, "nation"),
        &basic::duckdb(d, "fresh"),
    );
}

#[test]
fn exchange_packages_are_verified_then_loaded_once_postgres() {
    let dir = tempfile::tempdir().unwrap();
    exchange_flow(
        dir.path(),
        &basic::postgres("exchange_province"),
        &basic::postgres("exchange_nation"),
        &basic::postgres("exchange_fresh"),
    );
}

/// A province exports while a load is in its transaction: the package waits for it or
/// leaves it out, and then the next package, exported `--since` this one's
/// `exported_at`, holds it. (Each table read on its own, and stamped with the time a
/// load began, a load committing while an export ran was in neither package.)
#[test]
fn packages_exported_beside_a_load_leave_nothing_out_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let province = basic::postgres("gap_province");
    let nation = basic::duckdb(d, "nation");
    run_ok(&["live", "import", s(&live_extract(d)), "--target", province.t()]);

    // A writer as ledgerline's are: the write lock first, then rows stamped as it says.
    let mut writer = ledgerline_load::Target::parse(province.t())
        .unwrap()
        .open_for_writing()
        .unwrap();
    let at = writer.begin_exclusive().unwrap();
    writer
        .execute(
            "INSERT INTO deceased (person_id, name, origin, source_key, loaded_at)
             VALUES ('GAP1', '周玉兰', 'live', 'GAP-1', CAST(CAST($1 AS VARCHAR) AS TIMESTAMP))",
            &[at.sql_text().as_str()],
        )
        .unwrap();
    // A load writes for a while between stamping its rows and committing them.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let first = d.join("first");
    let mut export = export_command(&province, &first)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Until the export waits for the writer, or has finished without waiting.
    let waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while province.count(waiting) == 0 && export.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    writer.commit().unwrap();
    let first_manifest = export.wait_with_output().unwrap();
    assert!(first_manifest.status.success());
    let first_manifest: serde_json::Value = serde_json::from_slice(&first_manifest.stdout).unwrap();
    let since = first_manifest["exported_at"].as_str().unwrap();
    let next = d.join("next");
    let made = export_command(&province, &next)
        .args(["--since", since])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    for package in [&first, &next] {
        run_ok(&["exchange", "import", s(package), "--target", nation.t()]);
    }
    assert_eq!(
        nation.count("SELECT count(*) FROM deceased WHERE source_key = 'GAP-1'"),
        1,
        "in one of the packages: {first_manifest}"
    );
    assert_eq!(nation.count("SELECT count(*) FROM deceased"), 4);
}

/// The `exported_at` of the package in `dir`.
fn exported_at(dir: &std::path::Path) -> String {
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    m["exported_at"].as_str().unwrap().to_string()
}

/// `exchange export` of province 37 into `dir/name`, of the rows after `since` if given:
/// its manifest.
fn export_package(province: &Basic, dir: &std::path::Path, name: &str, since: Option<&str>) -> serde_json::Value {
    let mut export = export_command(province, &dir.join(name));
    export.args(since.map(|s| ["--since", s]).into_iter().flatten());
    let out = export.output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `exchange import` of the package in `dir/name` into `nation`: its report.
fn import_package(nation: &Basic, dir: &std::path::Path, name: &str) -> serde_json::Value {
    run_json(&[
        "exchange",
        "import",
        s(&dir.join(name)),
        "--target",
        nation.t(),
        "--json",
    ])
}

/// `ledgerline exchange export` of province 37 into `out`, with `--json`, to be run.
fn export_command(province: &Basic, out: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(bin());
    command
        .args([
            "exchange",
            "export",
            "--target",
            province.t(),
            "--province",
            "37",
            "--json",
        ])
        .args(["--out", s(out)]);
    command
}

fn exchange_flow(dir: &std::path::Path, province: &Basic, nation: &Basic, fresh: &Basic) {
    run_ok(&["live", "import", s(&live_extract(dir)), "--target", province.t()]);
    let out = dir.join("pkg");
    // A province that is none, or a time that is none, is refused before anything is
    // written; so is a folder that holds something.
    let export = |args: &[&str]| {
        let mut all = vec!["exchange", "export", "--target", province.t(), "--out", s(&out)];
        all.extend(args);
        String::from_utf8_lossy(&run_expect(&all, 2).stderr).into_owned()
    };
    assert!(export(&["--province", "99"]).contains("\"99\": not the two-digit GB/T 2260 code"));
    let refused = export(&["--province", "37", "--since", "yesterday"]);
    assert!(refused.contains("--since \"yesterday\": expected a date"), "{refused}");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    assert!(export(&["--province", "37"]).contains("not an empty folder"));
    std::fs::remove_dir_all(&out).unwrap();
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert!(
        !left.iter().any(|n| n.to_string_lossy().contains(".partial-")),
        "{left:?}"
    );
    let exported = |into: &std::path::Path, args: &[&str]| {
        let mut all = vec!["exchange", "export", "--target", province.t(), "--province", "37"];
        all.extend(args);
        all.extend(["--out", s(into), "--json"]);
        run_json(&all)
    };
    // What an export killed half way left beside its folder (its process long gone) is
    // cleared by the next export there.
    let stale = dir.join(".dated.partial-4194305");
    std::fs::create_dir_all(stale.join("deceased")).unwrap();
    let dated = exported(&dir.join("dated"), &["--since", "2000-01-01"]);
    assert_eq!(dated["since"], "2000-01-01 00:00:00");
    assert!(!stale.exists(), "a killed export's half-made package stays beside it");
    // A DBA in Beijing gives a time in Beijing time: an hour ago, the rows just imported
    // were loaded after it (read as UTC, it was seven hours ahead of them). A manifest's
    // time is UTC, and says so.
    let hour_ago = chrono::Utc::now() - chrono::TimeDelta::hours(1);
    let in_beijing = hour_ago.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    // Into a folder whose own folder is not made yet, too.
    let beijing = export_command(province, &dir.join("zones").join("beijing"))
        .env("TZ", "CST-8")
        .args(["--since", &in_beijing.format("%Y-%m-%d %H:%M:%S").to_string()])
        .output()
        .unwrap();
    assert!(beijing.status.success(), "{}", String::from_utf8_lossy(&beijing.stderr));
    let beijing: serde_json::Value = serde_json::from_slice(&beijing.stdout).unwrap();
    assert_eq!(
        beijing["since"],
        hour_ago.format("%Y-%m-%d %H:%M:%S").to_string(),
        "{beijing}"
    );
    assert_eq!(beijing["files"][1]["rows"], 3, "{beijing}");
    assert!(beijing["exported_at"].as_str().unwrap().ends_with('Z'), "{beijing}");
    let m = exported(&out, &[]);
    assert_eq!(m["standard"], "MZ/T 141-2019");
    assert_eq!(m["exported_before"], false);
    // Run again (as after a kill that came once the package was in place): the package
    // held is the answer, not an error, and it is not replaced by one of a later moment.
    let again = exported(&out, &[]);
    assert_eq!(again["exported_before"], true, "{again}");
    assert_eq!(again["exported_at"], m["exported_at"]);
    assert_eq!(exported_at(&out), m["exported_at"].as_str().unwrap());
    // Another span than the one held is refused, and says what the folder holds.
    let other = export(&["--province", "37", "--since", "2000-01-01"]);
    assert!(
        other.contains("holds province 37's package of all loads") && other.contains("since 2000-01-01 00:00:00"),
        "{other}"
    );
    let deceased = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["entity"] == "DeadInformation")
        .unwrap();
    assert_eq!(deceased["rows"], 3);

    let r = run_json(&["exchange", "import", s(&out), "--target", nation.t(), "--json"]);
    assert_eq!(r["province"], "37");
    assert_eq!(
        (
            nation.count("SELECT count(*) FROM deceased"),
            nation.count("SELECT count(*) FROM cremations")
        ),
        (3, 2)
    );
    // Every value arrives as it left.
    let person = "SELECT name || '|' || gender || '|' || CAST(birth_date AS VARCHAR) || '|' || source_key || '|' || CAST(nameless AS VARCHAR)
                  FROM deceased WHERE source_key = 'SZ320981-2013-000001'";
    assert_eq!(nation.text(person), province.text(person));
    assert_eq!(
        nation.count("SELECT count(*) FROM cremations WHERE cremation_time_imputed"),
        1
    );
    // Again: nothing added; nor by the package made before it, which holds nothing
    // withdrawn since.
    let again = run_json(&["exchange", "import", s(&out), "--target", nation.t(), "--json"]);
    assert!(again["added"].as_array().unwrap().iter().all(|a| a[1] == 0), "{again}");
    let older = run_json(&[
        "exchange",
        "import",
        s(&dir.join("dated")),
        "--target",
        nation.t(),
        "--json",
    ]);
    assert!(older["added"].as_array().unwrap().iter().all(|a| a[1] == 0), "{older}");
    assert_eq!(nation.count("SELECT count(*) FROM deceased"), 3);
    assert_eq!(nation.count("SELECT count(*) FROM agents"), 1);

    // A damaged, an incomplete and a padded package are refused before anything loads,
    // before the database is opened even (opened, it gets the schema; an embedded one is
    // made).
    for (how, says) in [
        ("wrong-checksum", "checksum mismatch"),
        ("missing-file", "missing"),
        ("extra-file", "does not name"),
    ] {
        let pkg = dir.join(how);
        damaged_package(&out, &pkg, how);
        let out = run_expect(&["exchange", "import", s(&pkg), "--target", fresh.t()], 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{err}");
        assert!(!fresh.is_basic_database(), "{how}: the target was opened");
        // Nor is a damaged package taken for the one an export would write there.
        let over = export_command(province, &pkg).output().unwrap();
        assert_eq!(over.status.code(), Some(2));
        let err = String::from_utf8_lossy(&over.stderr);
        assert!(
            err.contains("holds a package that is not whole") && err.contains(says),
            "{err}"
        );
    }
}

/// One death sent by two provinces (the death in one, the burial in the home province):
/// the nation keeps each person as sent, links the one whose name and death date agree
/// with the person held under its ID number, and names the one that differs, for the
/// DBA to link or keep apart; in JSON whole and on the terminal masked.
#[test]
fn a_death_two_provinces_send_is_linked_at_import_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [shandong, anhui, nation, other_nation] =
        ["shandong", "anhui", "nation", "other_nation"].map(|name| basic::duckdb(d, name));
    two_provinces_flow(d, &shandong, &anhui, &nation, &other_nation);
}

#[test]
fn a_death_two_provinces_send_is_linked_at_import_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let [shandong, anhui, nation, other_nation] =
        ["shandong", "anhui", "nation", "other_nation"].map(|name| basic::postgres(&format!("two_{name}")));
    two_provinces_flow(dir.path(), &shandong, &anhui, &nation, &other_nation);
}

fn two_provinces_flow(dir: &std::path::Path, shandong: &Basic, anhui: &Basic, nation: &Basic, other_nation: &Basic) {
    // 王秀英, 34052419800101001X, cremated in Shandong (SZ320981-2013-000001) ...
    run_ok(&["live", "import", s(&live_extract(dir)), "--target", shandong.t()]);
    // ... and buried in Anhui, whose funeral system gave her an id of its own; and a
    // row of Anhui's under her ID number with another death date.
    let extract = dir.join("anhui.csv");
    std::fs::write(
        &extract,
        "DEAD_ID,NAME,SEX,CARD_TYPE,ID_CARD,DEATH_DATE\n\
         AH340100-2013-000777,王秀英,2,0,34052419800101001X,2013-03-05\n\
         AH340100-2013-000778,周德明,1,0,X,2013-03-07\n\
         AH340100-2013-000779,王秀英,2,0,34052419800101001X,2013-05-03\n",
    )
    .unwrap();
    run_ok(&["live", "import", s(&extract), "--target", anhui.t()]);
    let export = |province: &Basic, code: &str, name: &str| {
        run_ok(&[
            "exchange",
            "export",
            "--target",
            province.t(),
            "--province",
            code,
            "--out",
            s(&dir.join(name)),
        ]);
    };
    export(shandong, "37", "pkg-37");
    export(anhui, "34", "pkg-34");
    let first = import_package(nation, dir, "pkg-37");
    assert_eq!(first["linked"], serde_json::json!([]), "{first}");
    assert_eq!(first["id_numbers_held_otherwise"], serde_json::json!([]), "{first}");
    // Rehearsed first: the same report, nothing written, not even the package's record.
    let rehearsed = run_json(&[
        "exchange",
        "import",
        s(&dir.join("pkg-34")),
        "--target",
        nation.t(),
        "--dry-run",
        "--json",
    ]);
    assert_eq!(rehearsed["dry_run"], true);
    let before = nation.count("SELECT count(*) FROM deceased");
    assert_eq!(
        nation.count("SELECT count(*) FROM exchange_imports"),
        1,
        "the first package only"
    );
    let second = import_package(nation, dir, "pkg-34");
    assert!(
        nation.count("SELECT count(*) FROM deceased") > before,
        "the dry run added nothing the import then added"
    );
    for key in ["added", "linked", "id_numbers_held_otherwise", "province_links"] {
        assert_eq!(rehearsed[key], second[key], "{key}");
    }
    assert_eq!(
        second["linked"],
        serde_json::json!([{
            "person_id": "LIVE-AH340100-2013-000777",
            "linked_to": "LIVE-SZ320981-2013-000001",
            "id_number": "34052419800101001X",
        }]),
        "{second}"
    );
    assert_eq!(
        second["id_numbers_held_otherwise"],
        serde_json::json!([{
            "person_id": "LIVE-AH340100-2013-000779",
            "id_number": "34052419800101001X",
            "held_person_id": "LIVE-SZ320981-2013-000001",
            "differs": ["death_date"],
            "unlinked_before": false,
            "compared": [
                {"field": "deceased_name", "comparison": "exact"},
                {"field": "birth_date", "comparison": "unknown"},
                {"field": "death_date", "comparison": "day/month swapped or one digit off"},
                {"field": "gender", "comparison": "same"},
                {"field": "household_address", "comparison": "unknown"},
            ],
        }]),
        "{second}"
    );
    assert_eq!(
        nation.count("SELECT count(*) FROM deceased WHERE id_number = '34052419800101001X'"),
        3,
        "each person kept as sent"
    );
    // Imported again, the package adds no one, and links or names no one.
    let again = import_package(nation, dir, "pkg-34");
    assert_eq!(
        (&again["linked"], &again["id_numbers_held_otherwise"]),
        (&serde_json::json!([]), &serde_json::json!([])),
        "{again}"
    );
    dba_settles_a_shared_id_number(nation);
    run_ok(&[
        "exchange",
        "import",
        s(&dir.join("pkg-37")),
        "--target",
        other_nation.t(),
    ]);
    let out = run_ok(&[
        "exchange",
        "import",
        s(&dir.join("pkg-34")),
        "--target",
        other_nation.t(),
    ]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(
            "1 persons added linked to the death of a person held under the same ID number, name and death date"
        ) && said.contains("LIVE-AH340100-2013-000777 ID 340524********001X linked to LIVE-SZ320981-2013-000001")
            && said.contains("1 persons added whose ID number the database held under another death, not linked")
            && said.contains(
                "LIVE-AH340100-2013-000779 ID 340524********001X held as LIVE-SZ320981-2013-000001 \
                 (death_date differs: day/month swapped or one digit off)"
            ),
        "{said}"
    );
}

/// A province signs its packages; a nation that trusts the province's key takes only
/// packages signed by it and unaltered since, and none once the key is revoked; one
/// that trusts no key of the province takes them, saying they were not checked.
#[test]
fn a_signed_package_is_taken_only_unaltered_from_a_trusted_key_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    let [province, nation, checking] = ["province", "nation", "checking"].map(|name| basic::duckdb(dir.path(), name));
    signed_packages_flow(dir.path(), &province, &nation, &checking);
}

#[test]
fn a_signed_package_is_taken_only_unaltered_from_a_trusted_key_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let [province, nation, checking] = ["signed_province", "signed_nation", "signed_checking"].map(basic::postgres);
    signed_packages_flow(dir.path(), &province, &nation, &checking);
}

fn signed_packages_flow(dir: &std::path::Path, province: &Basic, nation: &Basic, checking: &Basic) {
    run_ok(&["live", "import", s(&live_extract(dir)), "--target", province.t()]);
    let keygen = |folder: &str| {
        run_json(&[
            "exchange",
            "keygen",
            "--province",
            "37",
            "--out",
            s(&dir.join(folder)),
            "--json",
        ])
    };
    let key = keygen("keys");
    let (private, public, fingerprint) = (
        key["private_key"].as_str().unwrap(),
        key["public_key"].as_str().unwrap(),
        key["fingerprint"].as_str().unwrap(),
    );
    let export = |name: &str, sign_key: Option<&str>| {
        let mut command = export_command(province, &dir.join(name));
        command.args(sign_key.map(|k| ["--sign-key", k]).into_iter().flatten());
        let out = command.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(export("signed", Some(private))["signature"]["key"], fingerprint);
    assert_eq!(
        export("signed", Some(private))["exported_before"],
        true,
        "run again, the same package"
    );
    export("unsigned", None);
    let asked_signed = run_expect(
        &[
            "exchange",
            "export",
            "--target",
            province.t(),
            "--province",
            "37",
            "--out",
            s(&dir.join("unsigned")),
            "--sign-key",
            private,
        ],
        2,
    );
    let said = String::from_utf8_lossy(&asked_signed.stderr);
    assert!(
        said.contains("holds this package unsigned, not signed by key"),
        "{said}"
    );
    damaged_package(&dir.join("signed"), &dir.join("renamed"), "renamed");
    let other = keygen("other-keys");
    export("by-another-key", Some(other["private_key"].as_str().unwrap()));

    // A nation trusting no key of the province takes the package, saying so; and, ready
    // to decrypt it, that it came unencrypted.
    let receiving = run_json(&[
        "exchange",
        "keygen",
        "--receiver",
        "nation",
        "--out",
        s(&dir.join("nation-keys")),
        "--json",
    ]);
    let out = run_ok(&[
        "exchange",
        "import",
        s(&dir.join("signed")),
        "--target",
        nation.t(),
        "--decrypt-key",
        receiving["private_key"].as_str().unwrap(),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["signature"],
        serde_json::json!({"status": "unverified", "key": fingerprint})
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("not checked: this database trusts no key of province 37"),
        "{said}"
    );
    assert!(said.contains("province 37's package came unencrypted"), "{said}");

    let trusted = run_json(&[
        "exchange",
        "trust",
        public,
        "--province",
        "37",
        "--target",
        checking.t(),
        "--note",
        "received by hand",
        "--json",
    ]);
    assert_eq!(trusted["fingerprint"], fingerprint);
    let refused = |name: &str| {
        let out = run_expect(&["exchange", "import", s(&dir.join(name)), "--target", checking.t()], 2);
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    for (name, says) in [
        (
            "unsigned",
            "the package of province 37 is not signed, and this database takes only signed packages of province 37"
                .to_string(),
        ),
        (
            "renamed",
            format!("does not match its signature by key {fingerprint}: it was altered after it was signed"),
        ),
        (
            "by-another-key",
            format!(
                "is signed by key {}, which this database does not trust",
                other["fingerprint"].as_str().unwrap()
            ),
        ),
    ] {
        let said = refused(name);
        assert!(said.contains(&says), "{name}: {said}");
    }
    assert_eq!(
        checking.count("SELECT count(*) FROM deceased"),
        0,
        "nothing of a refused package is added"
    );
    let imported = import_package(checking, dir, "signed");
    assert_eq!(
        imported["signature"],
        serde_json::json!({"status": "verified", "key": fingerprint})
    );
    assert!(checking.count("SELECT count(*) FROM deceased WHERE name = '改名'") == 0);

    run_ok(&[
        "exchange",
        "distrust",
        fingerprint,
        "--target",
        checking.t(),
        "--note",
        "the laptop was lost",
    ]);
    assert!(refused("signed").contains("which this database does not trust"));
    assert!(
        refused("unsigned").contains("is not signed"),
        "its key revoked, the province is still checked"
    );
    let keys = run_json(&["exchange", "keys", "--target", checking.t(), "--json"]);
    assert_eq!(
        (&keys[0]["fingerprint"], &keys[0]["note"], &keys[0]["revoke_note"]),
        (
            &fingerprint.into(),
            &"received by hand".into(),
            &"the laptop was lost".into()
        ),
        "{keys}"
    );
}

#[test]
fn an_encrypted_package_is_read_only_with_its_receiving_key_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    let [province, nation] = ["province", "nation"].map(|name| basic::duckdb(dir.path(), name));
    encrypted_packages_flow(dir.path(), &province, &nation);
}

#[test]
fn an_encrypted_package_is_read_only_with_its_receiving_key_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let [province, nation] = ["encrypted_province", "encrypted_nation"].map(basic::postgres);
    encrypted_packages_flow(dir.path(), &province, &nation);
}

/// The nation makes a receiving key; the province exports a package encrypted for it
/// (and signed): no ID number or name is in its files, only the nation's private key
/// imports it, a file altered or put in another's place (checksums made to match) is
/// refused, and the files decrypted leave nothing behind.
fn encrypted_packages_flow(dir: &std::path::Path, province: &Basic, nation: &Basic) {
    run_ok(&["live", "import", s(&live_extract(dir)), "--target", province.t()]);
    let keygen = |whose: &str, name: &str, folder: &str| keygen_json(dir, whose, name, folder);
    let receiving = keygen("--receiver", "nation", "nation-keys");
    let [public, private, fingerprint] =
        ["public_key", "private_key", "fingerprint"].map(|k| receiving[k].as_str().unwrap().to_string());
    let signing = keygen("--province", "37", "province-keys");
    let export = |name: &str, extra: &[&str]| exported_json(province, &dir.join(name), extra);
    let signing_key = signing["private_key"].as_str().unwrap();
    let (code, m, said) = export("enc", &["--encrypt-for", &public, "--sign-key", signing_key]);
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(m["encryption"]["recipient"], fingerprint.as_str());
    let (_, plain, _) = export("plain", &[]);
    assert!(plain.get("encryption").is_none(), "{plain}");
    let mut held: Vec<String> = std::fs::read_dir(dir.join("enc"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    held.sort();
    let mut named: Vec<String> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .chain(["manifest.json".to_string(), "signature.json".to_string()])
        .collect();
    named.sort();
    assert_eq!(held, named, "no plain file is left in the package");
    assert!(named.contains(&"deceased.parquet.enc".to_string()), "{named:?}");
    // The plain package holds the ID number and the agent's phone as written; the
    // encrypted one, nowhere.
    let holds = |package: &str, text: &str| {
        std::fs::read_dir(dir.join(package)).unwrap().any(|e| {
            std::fs::read(e.unwrap().path())
                .unwrap()
                .windows(text.len())
                .any(|w| w == text.as_bytes())
        })
    };
    for text in ["34052419800101001X", "13912341234"] {
        assert!(holds("plain", text), "{text} in the plain package");
        assert!(!holds("enc", text), "{text} in the encrypted package");
    }
    let (code, again, _) = export("enc", &["--encrypt-for", &public]);
    assert_eq!((code, &again["exported_before"]), (Some(0), &true.into()));
    let (code, _, said) = export("enc", &[]);
    assert_eq!(code, Some(2));
    assert!(
        said.contains(&format!(
            "holds this package encrypted for key {fingerprint}, and the one asked for is not encrypted"
        )),
        "{said}"
    );
    let (code, _, said) = export(
        "signing-key",
        &["--encrypt-for", signing["public_key"].as_str().unwrap()],
    );
    assert_eq!(code, Some(2));
    assert!(said.contains("not a receiving key"), "{said}");

    // The import decrypts into a temporary folder of its own: a run's, and one a killed
    // import left (its process gone), are both gone after it.
    let temp = dir.join("tmp");
    let left = temp.join(".ledgerline-import.partial-999999999/packageX");
    std::fs::create_dir_all(&left).unwrap();
    std::fs::write(left.join("deceased.parquet"), "what a killed import decrypted").unwrap();
    let import = |package: &str, key: Option<&str>| {
        let out = std::process::Command::new(bin())
            .args([
                "exchange",
                "import",
                s(&dir.join(package)),
                "--target",
                nation.t(),
                "--json",
            ])
            .args(key.map(|k| ["--decrypt-key", k]).into_iter().flatten())
            .env("TMPDIR", &temp)
            .output()
            .unwrap();
        (
            out.status.code(),
            serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_default(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let other = keygen("--receiver", "nation", "other-keys");
    for package in ["altered-encrypted", "swapped-encrypted"] {
        damaged_package(&dir.join("enc"), &dir.join(package), package);
    }
    let (code, _, said) = export("for-another", &["--encrypt-for", other["public_key"].as_str().unwrap()]);
    assert_eq!(code, Some(0), "{said}");
    // The nation receives with its key: it takes only packages encrypted for it.
    let received = run_json(&[
        "exchange",
        "receive",
        &public,
        "--target",
        nation.t(),
        "--note",
        "private half on the DBA's token",
        "--json",
    ]);
    assert_eq!(received["fingerprint"], fingerprint.as_str());
    for (package, key, says) in [
        (
            "enc",
            None,
            format!("the package is encrypted for receiving key {fingerprint}: give its private key, --decrypt-key"),
        ),
        (
            "enc",
            other["private_key"].as_str(),
            "only the key it was exported --encrypt-for opens it".to_string(),
        ),
        ("enc", Some(signing_key), "not a receiving key".to_string()),
        (
            "altered-encrypted",
            Some(&private),
            "deceased.parquet.enc: does not decrypt with the package's key: it was altered".to_string(),
        ),
        (
            "swapped-encrypted",
            Some(&private),
            "or put in another file's place".to_string(),
        ),
        (
            "plain",
            None,
            "the package of province 37 is not encrypted, and this database takes only packages encrypted".to_string(),
        ),
        (
            "for-another",
            other["private_key"].as_str(),
            format!(
                "is encrypted for key {}, which this database does not receive with",
                other["fingerprint"].as_str().unwrap()
            ),
        ),
    ] {
        let (code, _, said) = import(package, key);
        assert_eq!(code, Some(2), "{package}: {said}");
        assert!(said.contains(&says), "{package}: {said}");
    }
    let (code, report, said) = import("enc", Some(&private));
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(report["encrypted_for"], fingerprint.as_str());
    let deceased = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["table"] == "deceased")
        .unwrap();
    let added = report["added"].as_array().unwrap().iter().find(|a| a[0] == "deceased");
    assert_eq!(added.map(|a| &a[1]), Some(&deceased["rows"]), "{report}");
    assert_eq!(
        nation.count("SELECT count(*) FROM deceased WHERE id_number = '34052419800101001X'"),
        1
    );
    let left: Vec<_> = std::fs::read_dir(&temp).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(left.is_empty(), "{left:?}");

    // Its private half lost, the key is retired: packages encrypted for it are refused.
    run_ok(&[
        "exchange",
        "distrust",
        &fingerprint,
        "--target",
        nation.t(),
        "--note",
        "the token was lost",
    ]);
    let (code, _, said) = import("enc", Some(&private));
    assert_eq!(code, Some(2));
    assert!(said.contains("which this database does not receive with"), "{said}");
    let keys = run_json(&["exchange", "keys", "--receiving", "--target", nation.t(), "--json"]);
    assert_eq!(
        (&keys[0]["fingerprint"], &keys[0]["retire_note"]),
        (&fingerprint.as_str().into(), &"the token was lost".into()),
        "{keys}"
    );
}

/// `exchange keygen WHOSE NAME --out DIR/FOLDER --json`'s answer.
fn keygen_json(dir: &std::path::Path, whose: &str, name: &str, folder: &str) -> serde_json::Value {
    run_json(&[
        "exchange",
        "keygen",
        whose,
        name,
        "--out",
        s(&dir.join(folder)),
        "--json",
    ])
}

/// An export of province 37 into `out` (with `extra` arguments): its exit code, its
/// JSON answer (null if none) and what it said on stderr.
fn exported_json(province: &Basic, out: &std::path::Path, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let out = export_command(province, out).args(extra).output().unwrap();
    (
        out.status.code(),
        serde_json::from_slice(&out.stdout).unwrap_or_default(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_province_records_the_key_its_packages_go_encrypted_for_duckdb() {
    province_and_nation(None, send_to_flow);
}

#[test]
fn a_province_records_the_key_its_packages_go_encrypted_for_postgres() {
    province_and_nation(Some("send_to"), send_to_flow);
}

/// Before any key is recorded, a package goes in the plain, warned of. The province
/// records the nation's receiving key once: its exports, told nothing, go encrypted for
/// it, and the nation reads them with the key's private half. The nation's new key
/// replaces it. With the key retired and none recorded since, an export is refused
/// rather than sent in the plain, unless --encrypt-for names a key.
fn send_to_flow(dir: &std::path::Path, province: &Basic, nation: &Basic) {
    run_ok(&["live", "import", s(&live_extract(dir)), "--target", province.t()]);
    let export = |name: &str, extra: &[&str]| exported_json(province, &dir.join(name), extra);
    let (code, m, said) = export("plain", &[]);
    assert_eq!(code, Some(0), "{said}");
    assert!(m.get("encryption").is_none(), "{m}");
    assert!(
        said.contains("warning: the package's files are not encrypted"),
        "{said}"
    );

    let [first, second] = ["first-keys", "second-keys"].map(|folder| keygen_json(dir, "--receiver", "nation", folder));
    let key = |k: &serde_json::Value, what: &str| k[what].as_str().unwrap().to_string();
    let send_to = |k: &serde_json::Value| {
        run_json(&[
            "exchange",
            "send-to",
            &key(k, "public_key"),
            "--target",
            province.t(),
            "--note",
            "sent by the nation's DBA",
            "--json",
        ])
    };
    let recorded = send_to(&first);
    assert_eq!(
        (&recorded["fingerprint"], &recorded["replaced"]),
        (&first["fingerprint"], &serde_json::Value::Null),
        "{recorded}"
    );
    let signing = keygen_json(dir, "--province", "37", "signing");
    for (k, says) in [
        (&first, "this database's packages are encrypted for key"),
        (&signing, "not a receiving key"),
    ] {
        let refused = run_expect(
            &["exchange", "send-to", &key(k, "public_key"), "--target", province.t()],
            2,
        );
        let said = String::from_utf8_lossy(&refused.stderr);
        assert!(said.contains(says), "{said}");
    }

    let (code, m, said) = export("first", &[]);
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(m["encryption"]["recipient"], first["fingerprint"], "{m}");
    assert!(!said.contains("warning"), "{said}");
    run_ok(&[
        "exchange",
        "receive",
        &key(&first, "public_key"),
        "--target",
        nation.t(),
    ]);
    let imported = run_json(&[
        "exchange",
        "import",
        s(&dir.join("first")),
        "--target",
        nation.t(),
        "--decrypt-key",
        &key(&first, "private_key"),
        "--json",
    ]);
    assert_eq!(imported["encrypted_for"], first["fingerprint"], "{imported}");
    assert_eq!(
        nation.count("SELECT count(*) FROM deceased WHERE id_number = '34052419800101001X'"),
        1
    );

    // The nation changed its key: the new one replaces the first.
    let recorded = send_to(&second);
    assert_eq!(recorded["replaced"], first["fingerprint"], "{recorded}");
    let (code, m, said) = export("second", &[]);
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(m["encryption"]["recipient"], second["fingerprint"], "{m}");

    run_ok(&[
        "exchange",
        "distrust",
        &key(&second, "fingerprint"),
        "--target",
        province.t(),
        "--note",
        "the nation lost its private half",
    ]);
    let (code, _, said) = export("none", &[]);
    assert_eq!(code, Some(2), "{said}");
    assert!(
        said.contains(&format!(
            "key {} they were encrypted for was retired (the nation lost its private half)",
            key(&second, "fingerprint")
        )),
        "{said}"
    );
    assert!(!dir.join("none").exists());
    let (code, m, said) = export("named", &["--encrypt-for", &key(&first, "public_key")]);
    assert_eq!(code, Some(0), "{said}");
    assert_eq!(m["encryption"]["recipient"], first["fingerprint"], "{m}");

    let keys = run_json(&["exchange", "keys", "--send-to", "--target", province.t(), "--json"]);
    let listed: Vec<_> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["fingerprint"].clone(), k["retire_note"].clone()))
        .collect();
    assert_eq!(
        listed,
        [
            (
                first["fingerprint"].clone(),
                format!("replaced by key {}", key(&second, "fingerprint")).into()
            ),
            (second["fingerprint"].clone(), "the nation lost its private half".into()),
        ],
        "{keys}"
    );
}

/// One death a province's funeral home and cemetery both send, each under its own id:
/// the live import keeps both persons and links the later one to the death, as the
/// national import does; a row that differs in its death date is not linked. The
/// province's DBA links it by hand, later takes another link back, and its packages
/// carry both decisions to the nation.
#[test]
fn a_death_two_systems_send_is_linked_at_live_import_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    let [province, nation] = ["province", "nation"].map(|name| basic::duckdb(dir.path(), name));
    two_systems_flow(dir.path(), &province, &nation);
}

#[test]
fn a_death_two_systems_send_is_linked_at_live_import_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let [province, nation] = ["two_systems", "two_systems_nation"].map(basic::postgres);
    two_systems_flow(dir.path(), &province, &nation);
}

fn two_systems_flow(dir: &std::path::Path, province: &Basic, nation: &Basic) {
    run_ok(&["live", "import", s(&live_extract(dir)), "--target", province.t()]);
    let cemetery = dir.join("cemetery.csv");
    std::fs::write(
        &cemetery,
        "DEAD_ID,NAME,SEX,CARD_TYPE,ID_CARD,DEATH_DATE\n\
         CM-2013-0001,王秀英,2,0,34052419800101001X,2013-03-05\n\
         CM-2013-0002,王秀英,2,0,34052419800101001X,2013-03-06\n\
         CM-2013-0003,李四,1,0,370112195001010011,2014-01-02\n\
         CM-2013-0004,李四,1,0,370112195001010011,2014-01-02\n",
    )
    .unwrap();
    let report = run_json(&["live", "import", s(&cemetery), "--target", province.t(), "--json"]);
    assert_eq!(
        report["linked"],
        serde_json::json!([
            {"person_id": "LIVE-CM-2013-0001", "linked_to": "LIVE-SZ320981-2013-000001", "id_number": "34052419800101001X"},
            {"person_id": "LIVE-CM-2013-0004", "linked_to": "LIVE-CM-2013-0003", "id_number": "370112195001010011"},
        ]),
        "{report}"
    );
    let links = run_json(&["exchange", "links", "--target", province.t(), "--json"]);
    assert_eq!(links["deaths"].as_array().map(Vec::len), Some(2), "{links}");
    assert_eq!(links["deaths"][1]["linked"][0]["linked_by"], "live import", "{links}");
    let shared: Vec<&str> = links["same_id_number"][0]["persons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["person_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        shared,
        ["LIVE-CM-2013-0002", "LIVE-CM-2013-0001", "LIVE-SZ320981-2013-000001"],
        "{links}"
    );
    provinces_decisions_travel(dir, province, nation);
}

/// The province's DBA links the person whose death date differs (misread), exports, later
/// takes a link its rule made back and exports again: the nation, which links by the same
/// rule, follows both decisions.
fn provinces_decisions_travel(dir: &std::path::Path, province: &Basic, nation: &Basic) {
    const MISREAD: &str = "LIVE-CM-2013-0002";
    run_ok(&[
        "exchange",
        "link",
        MISREAD,
        "--to",
        "LIVE-SZ320981-2013-000001",
        "--target",
        province.t(),
        "--by",
        "王审核",
        "--note",
        "death date misread",
    ]);
    let first = export_package(province, dir, "links-1", None);
    let files: Vec<&str> = first["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(files.contains(&"person_links.parquet"), "{first}");
    let imported = import_package(nation, dir, "links-1");
    let carried = &imported["province_links"];
    assert_eq!(
        (&carried["carried"], &carried["held_so"]),
        (&3.into(), &2.into()),
        "{imported}"
    );
    // The nation's rule made the first of the death by person id: CM-2013-0001.
    assert_eq!(
        carried["followed"],
        serde_json::json!([{
            "person_id": MISREAD, "linked_to": "LIVE-SZ320981-2013-000001", "decision": "linked",
            "death": "LIVE-CM-2013-0001", "by": "province 37: 王审核",
        }]),
        "{imported}"
    );
    let deaths = |db: &Basic| {
        let links = run_json(&["exchange", "links", "--target", db.t(), "--json"]);
        let mut deaths: Vec<Vec<String>> = links["deaths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                let mut persons: Vec<String> = std::iter::once(&d["first"])
                    .chain(d["linked"].as_array().unwrap())
                    .map(|p| p["person_id"].as_str().unwrap().to_string())
                    .collect();
                persons.sort();
                persons
            })
            .collect();
        deaths.sort();
        deaths
    };
    assert_eq!(deaths(nation), deaths(province));
    assert_eq!(deaths(nation).len(), 2);

    run_ok(&[
        "exchange",
        "unlink",
        "LIVE-CM-2013-0004",
        "--target",
        province.t(),
        "--note",
        "two men of one name",
    ]);
    let next = export_package(province, dir, "links-2", first["exported_at"].as_str());
    damaged_package(&dir.join("links-2"), &dir.join("self-linked"), "self-link");
    let refused = run_expect(
        &[
            "exchange",
            "import",
            s(&dir.join("self-linked")),
            "--target",
            nation.t(),
        ],
        2,
    );
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("person_links.parquet: a link no import can follow: LIVE-CM-2013-0004 to LIVE-CM-2013-0004"),
        "{said}"
    );
    let links_file = next["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["table"] == "person_links");
    assert_eq!(
        links_file.map(|f| &f["rows"]),
        Some(&1.into()),
        "only the decision made since: {next}"
    );
    let out = run_ok(&["exchange", "import", s(&dir.join("links-2")), "--target", nation.t()]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("the province's links and decisions: 1 carried, 0 held so already, 1 followed, 0 not followed")
            && said
                .contains("LIVE-CM-2013-0004 and LIVE-CM-2013-0003: unlinked here from the death of LIVE-CM-2013-0003"),
        "{said}"
    );
    assert_eq!(deaths(nation), deaths(province));
    assert_eq!(deaths(nation).len(), 1);
}

/// A server behind a firewall that drops what it refuses, or something at the port that
/// never answers: the connection attempt gives up when the URL's connect_timeout says
/// (and a little more for the answer), naming the wait and how to wait longer.
#[test]
fn a_server_that_never_answers_is_given_up_on() {
    // A listener whose queue is full: the system drops further attempts unanswered.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    while let Ok(stream) = std::net::TcpStream::connect_timeout(&address, std::time::Duration::from_millis(300)) {
        queued.push(stream);
        assert!(queued.len() < 100_000, "the listener's queue never filled");
    }
    let target = format!("postgres://loader@{address}/province?connect_timeout=1");
    let started = std::time::Instant::now();
    let out = run_expect(&["loads", "--target", &target], 2);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("cannot connect to PostgreSQL")
            && said.contains("timed out after 1 s")
            && said.contains("connect_timeout=SECONDS in the URL waits longer"),
        "{said}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );

    // Something at the port that takes the connection and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap();
    let kept = std::thread::spawn(move || silent.accept().map(|(stream, _)| stream));
    let target = format!("postgres://loader@{address}/province?connect_timeout=1&sslmode=disable");
    let out = run_expect(&["loads", "--target", &target], 2);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("no answer within 3 s of connecting"), "{said}");
    drop(kept.join());
}

/// The DBA finds the ID number two deaths share, keeps them apart, and links another
/// person by hand.
fn dba_settles_a_shared_id_number(nation: &Basic) {
    const SD: &str = "LIVE-SZ320981-2013-000001";
    const AH_SAME: &str = "LIVE-AH340100-2013-000777";
    const AH_OTHER: &str = "LIVE-AH340100-2013-000779";
    let links = |all: bool| {
        let mut args = vec!["exchange", "links", "--target", nation.t(), "--json"];
        args.extend(all.then_some("--all"));
        run_json(&args)
    };
    let listed = links(false);
    assert_eq!(listed["deaths"][0]["first"]["person_id"], SD, "{listed}");
    assert_eq!(listed["deaths"][0]["linked"][0]["person_id"], AH_SAME, "{listed}");
    assert_eq!(
        listed["deaths"][0]["linked"][0]["agreed"], "id_number,name,death_date",
        "{listed}"
    );
    let shared = &listed["same_id_number"];
    assert_eq!(shared[0]["id_number"], "34052419800101001X", "{listed}");
    let deaths: Vec<&str> = shared[0]["persons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["death"].as_str().unwrap())
        .collect();
    assert_eq!(deaths, [AH_OTHER, SD, SD], "{listed}");
    let on_terminal = run_ok(&["exchange", "links", "--target", nation.t()]);
    let said = String::from_utf8_lossy(&on_terminal.stdout);
    assert!(
        said.contains("1 ID numbers shared by persons of different deaths")
            && said.contains("ID 340524********001X (3 persons):")
            && said.contains(
                "LIVE-AH340100-2013-000779 ~ LIVE-SZ320981-2013-000001: deceased_name exact; birth_date unknown; \
                 death_date day/month swapped or one digit off; gender same; household_address unknown"
            )
            && !said.contains("19800101"),
        "{said}"
    );

    let apart = run_json(&[
        "exchange",
        "unlink",
        AH_OTHER,
        "--from",
        AH_SAME,
        "--target",
        nation.t(),
        "--by",
        "王审核",
        "--note",
        "another woman: death certificate 2013-05-03",
        "--json",
    ]);
    assert_eq!(
        (apart["decision"].as_str(), apart["death"].as_str()),
        (Some("kept_apart"), Some(SD)),
        "{apart}"
    );
    assert_eq!(links(false)["same_id_number"], serde_json::json!([]));
    assert_eq!(links(true)["same_id_number"][0]["kept_apart"], true);

    // Linked by hand after all (the certificate was misread), then taken back.
    let linked = run_json(&[
        "exchange",
        "link",
        AH_OTHER,
        "--to",
        AH_SAME,
        "--target",
        nation.t(),
        "--json",
    ]);
    assert_eq!(
        (linked["decision"].as_str(), linked["death"].as_str()),
        (Some("linked"), Some(SD)),
        "{linked}"
    );
    assert_eq!(links(false)["deaths"][0]["linked"][1]["agreed"], "dba");
    let refused = run_expect(&["exchange", "unlink", SD, "--target", nation.t(), "--note", "x"], 2);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("the first person of its death"), "{stderr}");
    run_ok(&[
        "exchange",
        "unlink",
        AH_OTHER,
        "--target",
        nation.t(),
        "--note",
        "misread after all",
    ]);
    assert_eq!(links(false)["deaths"][0]["linked"].as_array().map(Vec::len), Some(1));
}

#[test]
fn a_killed_load_leaves_the_database_as_it_was_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let mut n = 0;
    killed_loads(dir.path(), move || {
        n += 1;
        basic::duckdb(&d, &format!("province{n}"))
    });
}

#[test]
fn a_killed_load_leaves_the_database_as_it_was_postgres() {
    let dir = tempfile::tempdir().unwrap();
    killed_loads(dir.path(), || basic::postgres("killed_load"));
}

/// What a load leaves: rows per table, and distinct sources (a row loaded twice shows).
fn state(db: &Basic) -> Vec<i64> {
    [
        "SELECT count(*) FROM deceased",
        "SELECT count(DISTINCT source_key) FROM deceased",
        "SELECT count(*) FROM cremations",
        "SELECT count(*) FROM burials",
        "SELECT count(*) FROM agents",
        "SELECT count(*) FROM conflicts",
        "SELECT count(*) FROM loads",
    ]
    .iter()
    .map(|q| db.count(q))
    .collect()
}

/// `ledgerline load` killed with SIGKILL at moments spread over an uninterrupted load's
/// duration: the database is found either as before the load or fully loaded, never in
/// between; the re-run completes, and the end state is the uninterrupted run's.
fn killed_loads(dir: &std::path::Path, mut fresh: impl FnMut() -> Basic) {
    let ws_path = dir.join("ws");
    let ws = Workspace::open(&ws_path).unwrap();
    let wsa = s(&ws_path);
    store_machine_accepted(&ws, 1500, 77);
    run_ok(&["dedupe", "--workspace", wsa]);
    run_ok(&["qa", "start", "--workspace", wsa, "--batch", "B1"]);
    inspect_sample(&ws);
    let extract = live_extract(dir);
    let prepared = |db: &Basic| {
        run_ok(&["live", "import", s(&extract), "--target", db.t()]);
        state(db)
    };
    let load_args = |db: &Basic| -> Vec<String> {
        ["load", "--workspace", wsa, "--batch", "B1", "--target", db.t()]
            .map(String::from)
            .to_vec()
    };

    let reference = fresh();
    let before = prepared(&reference);
    let started = std::time::Instant::now();
    run_ok(&load_args(&reference).iter().map(String::as_str).collect::<Vec<_>>());
    let duration = started.elapsed();
    let loaded = state(&reference);
    assert!(
        loaded[0] > before[0] + 500,
        "the load adds persons: {before:?} → {loaded:?}"
    );

    let mut found_before = 0;
    for fraction in [0.25, 0.5, 0.75, 0.9] {
        let db = fresh();
        assert_eq!(prepared(&db), before);
        let mut child = std::process::Command::new(bin())
            .args(load_args(&db))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(duration.mul_f64(fraction));
        child.kill().ok(); // SIGKILL; it may have finished already
        child.wait().unwrap();
        let after_kill = state(&db);
        assert!(
            after_kill == before || after_kill == loaded,
            "killed at {fraction} of the load: {after_kill:?}, neither {before:?} nor {loaded:?}"
        );
        found_before += usize::from(after_kill == before);
        run_ok(&load_args(&db).iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(state(&db), loaded, "re-run after the kill at {fraction}");
    }
    assert!(found_before > 0, "no kill landed before the commit");
    assert_eq!(
        staging_files(dir),
        Vec::<String>::new(),
        "the re-runs removed what the killed loads staged"
    );
}

/// Staging files (`ledgerline-*.parquet`) anywhere under `dir`.
fn staging_files(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            found.extend(staging_files(&path));
        } else if name.starts_with("ledgerline-") && name.ends_with(".parquet") {
            found.push(path.display().to_string());
        }
    }
    found
}

/// `bench load` on a small batch, on both engines: the two engines load the same batch to
/// the same account, every run of it too, and the native path writes exactly the rows
/// ledgerline's load inserted; the figures it reports hang together (medians of the runs,
/// the native commit a part of the native time, the phases within the load).
#[test]
fn bench_load_compares_like_with_like_on_both_engines() {
    let report = run_json(&[
        "bench",
        "load",
        "--records",
        "2000",
        "--runs",
        "2",
        "--postgres",
        basic::admin_url(),
        "--json",
    ]);
    let engines = report.as_array().expect("one result per engine");
    assert_eq!(engines.len(), 2, "{report}");
    let f = |e: &serde_json::Value, k: &str| e[k].as_f64().unwrap_or_else(|| panic!("{k} in {e}"));
    let account = |e: &serde_json::Value| {
        ["inserted", "linked", "conflicts", "rejected", "native_rows"].map(|k| e[k].as_u64().unwrap())
    };
    let (duck, pg) = (&engines[0], &engines[1]);
    assert_eq!(
        (duck["engine"].as_str(), pg["engine"].as_str()),
        (Some("duckdb"), Some("postgres"))
    );
    assert_eq!(
        account(duck),
        account(pg),
        "the same batch, the same account:\n{report}"
    );
    let [inserted, linked, _, rejected, native_rows] = account(duck);
    assert!(inserted > 0 && linked > 0 && rejected > 0, "{duck}");
    assert!(inserted + linked + rejected <= 2000, "{duck}");
    assert!(native_rows > inserted, "persons and their events: {duck}");
    for e in engines {
        let each = |k: &str| -> Vec<f64> { e[k].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect() };
        let (ours, native) = (each("ledgerline_seconds_each"), each("native_seconds_each"));
        assert_eq!((ours.len(), native.len(), e["runs"].as_u64()), (2, 2, Some(2)), "{e}");
        assert!(
            (f(e, "ledgerline_seconds") - (ours[0] + ours[1]) / 2.0).abs() < 1e-9,
            "{e}"
        );
        assert!(
            (f(e, "native_seconds") - (native[0] + native[1]) / 2.0).abs() < 1e-9,
            "{e}"
        );
        let share = f(e, "native_seconds") / f(e, "ledgerline_seconds");
        assert!((f(e, "share_of_native_speed") - share).abs() < 1e-9, "{e}");
        let commit = f(e, "native_commit_seconds");
        assert!(
            commit > 0.0 && commit < native.iter().cloned().fold(0.0, f64::max),
            "{e}"
        );
        // Validation runs beside the read; from the read on, the phases follow one another.
        let phase = |k: &str| e["timings"][k].as_f64().unwrap();
        let after_validation: f64 = [
            "read_database_seconds",
            "match_seconds",
            "write_seconds",
            "commit_seconds",
        ]
        .iter()
        .map(|k| phase(k))
        .sum();
        let slowest = ours.iter().cloned().fold(0.0, f64::max);
        assert!(
            phase("validate_seconds") > 0.0 && after_validation <= slowest,
            "phases within a load: {e}"
        );
    }
}

/// A PostgreSQL password in a target is for the connection alone: no command prints it,
/// and the workspace's note of a linkage run against the database names the database
/// without it (`dedupe --against` had printed the URL as typed and stored it so).
#[test]
fn a_postgres_password_is_neither_printed_nor_stored() {
    let dir = tempfile::tempdir().unwrap();
    let province = basic::postgres("password");
    // The test server trusts its loopback user, so any password connects.
    let target = province.t().replacen("://ledgerline@", "://ledgerline:s3cret@", 1);
    assert!(target.contains("s3cret"), "{target}");
    let ws_path = dir.path().join("ws");
    let ws = Workspace::open(&ws_path).unwrap();
    store_machine_accepted(&ws, 20, 7);
    let wsa = s(&ws_path);
    let extract = live_extract(dir.path());
    let commands: [&[&str]; 4] = [
        &["live", "import", s(&extract), "--target", &target],
        &["live", "import", s(&extract), "--target", &target, "--json"],
        &["dedupe", "--workspace", wsa, "--against", &target],
        &["dedupe", "--workspace", wsa, "--against", &target, "--json"],
    ];
    for command in commands {
        let out = run_ok(command);
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!printed.contains("s3cret"), "{command:?}: {printed}");
    }
    let scopes: Vec<String> = ws
        .with_store(|c| {
            let mut st = c.prepare("SELECT scope FROM dedupe_runs")?;
            let v = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(v)
        })
        .unwrap();
    assert!(scopes.iter().any(|s| s.contains("***@")), "{scopes:?}");
    assert!(scopes.iter().all(|s| !s.contains("s3cret")), "{scopes:?}");
}

/// A load's report is written on the connection that loads: a long one (a million-record
/// load's lists 215,000 conflicts and rejections) is stored compressed with lz4, which
/// the test server has, not PostgreSQL's slower default.
/// A connection to a PostgreSQL server is secured as its URL's libpq options say: TLS by
/// default where the server offers it, none with `sslmode=disable`, the server's
/// certificate checked against `sslrootcert` (`verify-ca`) and for the host named
/// (`verify-full`), and a client certificate for a role that logs in by one. The test
/// server (`scripts/pg-test-server.sh`) has TLS on, a certificate for `localhost` only,
/// and a role `ledgerline_cert` that only a client certificate lets in.
#[test]
fn postgres_connections_are_secured_as_their_urls_say_postgres() {
    let province = basic::postgres("tls");
    // (Opened for writing, the scratch database is made a basic one.)
    province.execute(
        "DO $$ BEGIN CREATE ROLE ledgerline_cert LOGIN SUPERUSER; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        &[],
    );
    assert_eq!(
        province.text("current_setting('ssl')").as_deref(),
        Some("on"),
        "the test server has TLS off; scripts/pg-test-server.sh starts one with it on"
    );
    let tls = std::path::PathBuf::from(province.text("current_setting('ssl_cert_file')").unwrap());
    let tls = tls.parent().unwrap();
    let file = |name: &str| tls.join(name).display().to_string();
    let url = province.t().to_string();
    let on_localhost = url.replacen("@127.0.0.1:", "@localhost:", 1);
    assert_ne!(on_localhost, url);
    // How the connection to `url` is: encrypted or not, and as whom.
    let connection = |url: &str| -> Result<String, String> {
        let mut db = Target::parse(url)
            .and_then(|t| t.open_for_reading())
            .map_err(|e| format!("{e:#}"))?;
        let sql = "SELECT CAST(ssl AS VARCHAR) || ' ' || current_user FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
        Ok(db.text(sql, &[]).unwrap().unwrap())
    };
    let authority = format!("sslrootcert={}", file("ca.crt"));
    assert_eq!(
        connection(&url).unwrap(),
        "true ledgerline",
        "TLS where the server offers it"
    );
    assert_eq!(
        connection(&format!("{url}?sslmode=disable")).unwrap(),
        "false ledgerline"
    );
    assert_eq!(
        connection(&format!("{url}?sslmode=require")).unwrap(),
        "true ledgerline"
    );
    // The certificate names localhost, not 127.0.0.1: verify-ca takes it there, verify-full
    // only on localhost.
    assert_eq!(
        connection(&format!("{url}?sslmode=verify-ca&{authority}")).unwrap(),
        "true ledgerline"
    );
    let refused = connection(&format!("{url}?sslmode=verify-full&{authority}")).unwrap_err();
    assert!(
        refused.contains("the server's certificate was refused (IP address mismatch)"),
        "{refused}"
    );
    let full = format!("{on_localhost}?sslmode=verify-full&{authority}");
    assert_eq!(connection(&full).unwrap(), "true ledgerline");
    // An authority that did not sign it: refused, on every check that looks.
    let stranger = format!("sslrootcert={}", file("client.crt"));
    for mode in ["require", "verify-ca", "verify-full"] {
        let refused = connection(&format!("{on_localhost}?sslmode={mode}&{stranger}")).unwrap_err();
        assert!(
            refused.contains("the server's certificate was refused"),
            "{mode}: {refused}"
        );
    }
    // Checking needs an authority to check with.
    let unchecked = connection(&format!("{url}?sslmode=verify-full")).unwrap_err();
    assert!(unchecked.contains("give sslrootcert=FILE"), "{unchecked}");
    // A role that logs in by its certificate.
    let by_certificate = on_localhost.replacen("://ledgerline@", "://ledgerline_cert@", 1);
    let refused = connection(&format!("{by_certificate}?sslmode=require")).unwrap_err();
    assert!(refused.contains("requires a valid client certificate"), "{refused}");
    let client = format!("sslcert={}&sslkey={}", file("client.crt"), file("client.key"));
    assert_eq!(
        connection(&format!("{by_certificate}?sslmode=verify-full&{authority}&{client}")).unwrap(),
        "true ledgerline_cert"
    );
    // The command line hands the options on as given.
    let loads = run_json(&["loads", "--target", &full, "--json"]);
    assert!(loads.is_array(), "{loads}");
    let out = run_expect(
        &["loads", "--target", &format!("{url}?sslmode=verify-full&{authority}")],
        2,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("IP address mismatch"), "{err}");
}

/// A PostgreSQL password need not be in `--target` (where `ps` shows it to every user of
/// the machine): as for `psql`, it is taken from `PGPASSWORD`, else from the password
/// file (`PGPASSFILE`, else `~/.pgpass`), whose first matching line wins, and which is
/// not used while others may read it. The test server's role `ledgerline_pw` logs in by
/// password only.
#[test]
fn a_postgres_password_comes_from_where_psql_finds_it_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let province = basic::postgres("pgpass");
    province.execute(
        "DO $$ BEGIN CREATE ROLE ledgerline_pw LOGIN SUPERUSER; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        &[],
    );
    province.execute("ALTER ROLE ledgerline_pw PASSWORD 'pw:for\\tests'", &[]);
    let url = province.t().replacen("://ledgerline@", "://ledgerline_pw@", 1);
    let database = url.rsplit('/').next().unwrap().to_string();
    let loads = |password: Option<&str>, file: &std::path::Path| {
        let mut command = std::process::Command::new(bin());
        command
            .args(["loads", "--target", &url, "--json"])
            .env_remove("PGPASSWORD")
            .env("PGPASSFILE", file);
        if let Some(p) = password {
            command.env("PGPASSWORD", p);
        }
        command.output().unwrap()
    };
    let file = dir.path().join("pgpass");
    let refused = loads(None, &file);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("cannot connect to PostgreSQL"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(loads(Some("pw:for\\tests"), &file).status.success());
    // The first line for this host, port, database and user; the password's own colon
    // and backslash escaped.
    std::fs::write(
        &file,
        format!(
            "# the province\n127.0.0.1:54329:other_db:ledgerline_pw:wrong\n\
             127.0.0.1:*:{database}:ledgerline_pw:pw\\:for\\\\tests\n*:*:*:*:wrong-too\n"
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let from_file = loads(None, &file);
    assert!(
        from_file.status.success(),
        "{}",
        String::from_utf8_lossy(&from_file.stderr)
    );
    // PGPASSWORD comes first.
    assert!(!loads(Some("wrong"), &file).status.success());
    // A file others may read is not used, and the warning says why.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let open = loads(None, &file);
    assert!(!open.status.success());
    let said = String::from_utf8_lossy(&open.stderr);
    assert!(
        said.contains("not used, since others may read it") && said.contains("chmod 0600"),
        "{said}"
    );
}

#[test]
fn a_long_report_is_stored_compressed_with_lz4_postgres() {
    use ledgerline_load::Target;
    let province = basic::postgres("lz4");
    let mut db = Target::parse(province.t()).unwrap().open_for_writing().unwrap();
    let rejected: Vec<String> = (0..2000)
        .map(|i| {
            format!(
                r#"{{"record_id":"r{i:08}","reason":"id_number: check digit {}"}}"#,
                i % 11
            )
        })
        .collect();
    let report = format!(r#"{{"rejected":[{}]}}"#, rejected.join(","));
    db.execute(
        "INSERT INTO loads (load_id, origin, started_at, report) VALUES ('L1', 'paper_backfill', now(), $1)",
        &[&report],
    )
    .unwrap();
    drop(db);
    assert_eq!(
        province.text("SELECT pg_column_compression(report) FROM loads WHERE load_id = 'L1'"),
        Some("lz4".to_string())
    );
    assert_eq!(
        province.text("SELECT report FROM loads"),
        Some(report),
        "read back whole"
    );
}

/// A live extract opened in Excel and saved as a workbook, as DBAs are often handed one:
/// a notes sheet first, a title above the header, dates and times as Excel dates, codes
/// and a phone as numbers, an address typed over two lines, an empty row.
fn live_workbook(dir: &std::path::Path) -> std::path::PathBuf {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    book.add_worksheet()
        .set_name("说明")
        .unwrap()
        .write_string(0, 0, "火化登记导出")
        .unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("FIS_DEAD_INFO").unwrap();
    sheet.write_string(0, 0, "2013年火化登记").unwrap();
    let header = "DEAD_ID,NAME,SEX,CARD_TYPE,ID_CARD,BIRTHDAY,FOLK,POPULACE,DEATH_DATE,RECEIVE_TIME,START_TIME,AGENT_NAME,MOBIL_PHONE";
    for (c, h) in header.split(',').enumerate() {
        sheet.write_string(1, c as u16, h).unwrap();
    }
    let (day, minute) = (
        Format::new().set_num_format("yyyy-mm-dd"),
        Format::new().set_num_format("yyyy-mm-dd hh:mm"),
    );
    let date = |s: &str| ExcelDateTime::parse_from_str(s).unwrap();
    // Sheet rows 3, 5 (after an empty row 4) and 6: only ID_CARD and SEX differ in kind.
    for (row, dead_id, name, sex, id_card) in [
        (2, "SZ-2013-000001", "王秀英", 2.0, None),
        (4, "SZ-2013-000002", "张德明", 1.0, Some(340524194103090000.0)),
        (5, "SZ-2013-000003", "赵桂兰", 2.0, None),
    ] {
        sheet.write_string(row, 0, dead_id).unwrap();
        sheet.write_string(row, 1, name).unwrap();
        sheet.write_number(row, 2, sex).unwrap();
        sheet.write_number(row, 3, 0.0).unwrap();
        match id_card {
            Some(n) => sheet.write_number(row, 4, n).unwrap(),
            None => sheet.write_string(row, 4, "34052419800101001X").unwrap(),
        };
        sheet
            .write_datetime_with_format(row, 5, date("1980-01-01"), &day)
            .unwrap();
        sheet.write_number(row, 6, 1.0).unwrap();
        sheet.write_string(row, 7, "济南市\r\n历城区").unwrap();
        sheet
            .write_datetime_with_format(row, 8, date("2013-03-05"), &day)
            .unwrap();
        sheet
            .write_datetime_with_format(row, 9, date("2013-03-06 08:00:00"), &minute)
            .unwrap();
        sheet
            .write_datetime_with_format(row, 10, date("2013-03-06 08:30:00"), &minute)
            .unwrap();
        sheet.write_string(row, 11, "李建国").unwrap();
        sheet.write_number(row, 12, 13912341234.0).unwrap();
    }
    sheet.write_string(6, 0, "SZ-2013-000004").unwrap();
    sheet.write_string(6, 1, "钱某").unwrap();
    sheet.write_string(6, 2, "M").unwrap();
    let file = dir.join("fis_dead_info.xlsx");
    book.save(&file).unwrap();
    file
}

#[test]
fn live_extracts_saved_as_workbooks_are_read_by_their_sheet_rows() {
    let dir = tempfile::tempdir().unwrap();
    let province = basic::duckdb(dir.path(), "province");
    let file = live_workbook(dir.path());
    let r = run_json(&["live", "import", s(&file), "--target", province.t(), "--json"]);
    assert_eq!(
        (r["encoding"].as_str(), r["sheet"].as_str()),
        (Some("xlsx"), Some("FIS_DEAD_INFO")),
        "{r}"
    );
    assert_eq!((r["rows"].as_u64(), r["imported"].as_u64()), (Some(4), Some(2)), "{r}");
    let bad: Vec<(u64, &str)> = r["bad_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["line"].as_u64().unwrap(), b["problem"].as_str().unwrap()))
        .collect();
    assert_eq!(bad.len(), 2, "{r}");
    assert_eq!(bad[0].0, 5, "the ID number kept as a number, on sheet row 5: {r}");
    assert!(
        bad[0].1.starts_with("ID_CARD is stored in the workbook as the number"),
        "{r}"
    );
    assert_eq!(bad[1].0, 7, "SEX M, on sheet row 7: {r}");
    assert_eq!(
        province.text(
            "SELECT name || '|' || gender || '|' || ethnicity || '|' || id_type || '|' || id_number || '|'
                    || birth_date || '|' || death_date || '|' || household_address
             FROM deceased WHERE source_key = 'SZ-2013-000001'"
        ),
        Some("王秀英|2|01|111|34052419800101001X|1980-01-01|2013-03-05|济南市历城区".into())
    );
    assert_eq!(
        province.count("SELECT count(*) FROM cremations WHERE cremation_time_imputed"),
        2,
        "08:00 arrival, 08:30 start, as Excel times: fabricated"
    );
    assert_eq!(
        province.count("SELECT count(*) FROM agents WHERE phone = '13912341234'"),
        2,
        "the phone kept as a number, read back as its digits"
    );
    let notes = dir.path().join("notes.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().write_string(0, 0, "DEAD").unwrap();
    book.save(&notes).unwrap();
    let refused = run_expect(&["live", "import", s(&notes), "--target", province.t()], 2);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("notes.xlsx: not a live extract: no sheet of the workbook has a DEAD_ID column"),
        "{stderr}"
    );
}

/// The same three deaths as a database export writes them (FIS column names, codes) and
/// as the system's own screen export does ("导出Excel" saved as Unicode text, without its
/// byte-order mark): captions, a row number first and a 备注 last, values in words.
const LIVE_BY_COLUMN_NAMES: &str = "\
DEAD_ID,NAME,SEX,CARD_TYPE,ID_CARD,BIRTHDAY,AGE,FOLK,POPULACE,POPULACE_CODE,DEATH_DATE,IF_NAMELESS,RECEIVE_TIME,START_TIME,AGENT_NAME,RELATION,MOBIL_PHONE,AGENT_ID_CARD,ADDRESS,CERT_NO,CERT_STATUS
SZ-2013-000001,王秀英,2,0,34052419800101001X,1980-01-01,33,01,济南市历城区,370112001001,2013-03-05,0,2013-03-06 08:00:00,2013-03-06 08:30:00,李建国,儿子,13912341234,370112197001010012,济南市历城区山大路1号,2013-00123,X
SZ-2013-000002,无名氏,1,X,X,X,X,X,X,X,2013-04-15,1,X,2013-04-16 10:17:00,X,X,X,X,X,2013-00456,reissued
SZ-2013-000003,赵桂兰,3,414,E12345678,1941-03-09,72,03,X,X,2013-05-01,0,X,X,X,X,X,X,X,2013-00789,voided
";
const LIVE_BY_CAPTIONS: &str = "\
序号\t逝者编号\t逝者姓名\t性别\t证件类型\t证件号码\t出生日期\t年龄\t民族\t户口所在地\t户籍地区划代码\t死亡日期\t是否无名尸\t接运时间\t火化时间\t承办人姓名\t与逝者关系\t联系电话\t承办人身份证号\t承办人地址\t火化证号\t证明状态\t备注
1\tSZ-2013-000001\t王秀英\t女\t居民身份证\t34052419800101001X\t1980年1月1日\t33岁\t汉族\t济南市历城区\t370112001001\t2013年3月5日\t否\t2013-03-06 08:00:00\t2013-03-06 08:30:00\t李建国\t儿子\t13912341234\t370112197001010012\t济南市历城区山大路1号\t2013-00123\t\t
2\tSZ-2013-000002\t无名氏\t男\t\t\t\t\t\t\t\t2013年4月15日\t是\t\t2013-04-16 10:17:00\t\t\t\t\t\t2013-00456\t补发\t无名尸
3\tSZ-2013-000003\t赵桂兰\t未知\t护照\tE12345678\t1941年3月9日\t72岁\t回族\t\t\t2013年5月1日\t否\t\t\t\t\t\t\t\t2013-00789\t作废\t
";

/// Every live row a database holds, the columns an extract gives, one line a row.
fn live_rows_held(db: &Basic) -> String {
    let all = |table: &str, columns: &str| {
        // A missing value keeps its place in the line.
        let values: Vec<String> = columns
            .split(',')
            .map(|c| format!("coalesce(CAST({} AS VARCHAR), '')", c.trim()))
            .collect();
        db.text(&format!(
            "SELECT string_agg(concat_ws('|', {}), chr(10) ORDER BY source_key) FROM {table}",
            values.join(", ")
        ))
        .unwrap_or_default()
    };
    [
        all(
            "deceased",
            "source_key, name, gender, ethnicity, id_type, id_number, birth_date, death_date, age, \
             household_address, household_division, nameless",
        ),
        all(
            "cremations",
            "source_key, cremation_date, cremation_time_imputed, cert_no, cert_status",
        ),
        all("agents", "source_key, name, relation, phone, id_number, address"),
    ]
    .join("\n")
}

#[test]
fn live_extracts_by_the_systems_own_captions_import_as_by_column_names() {
    let dir = tempfile::tempdir().unwrap();
    let by_names = dir.path().join("fis_dead_info.csv");
    std::fs::write(&by_names, LIVE_BY_COLUMN_NAMES).unwrap();
    let by_captions = dir.path().join("逝者信息导出.txt");
    let utf16: Vec<u8> = LIVE_BY_CAPTIONS.encode_utf16().flat_map(u16::to_le_bytes).collect();
    std::fs::write(&by_captions, utf16).unwrap();
    let (names_db, captions_db) = (
        basic::duckdb(dir.path(), "by_names"),
        basic::duckdb(dir.path(), "by_captions"),
    );
    // Each import takes the extract's three deaths, none of them a bad row.
    let import_all = |extract: &std::path::Path, db: &Basic| {
        let r = run_json(&["live", "import", s(extract), "--target", db.t(), "--json"]);
        assert_eq!(
            (r["imported"].as_u64(), r["bad_rows"].as_array().map(Vec::len)),
            (Some(3), Some(0)),
            "{r}"
        );
        r
    };
    let r = import_all(&by_names, &names_db);
    assert_eq!(
        (r["captions"].as_array().map(Vec::len), &r["columns_not_read"]),
        (Some(0), &serde_json::json!([]))
    );
    let r = import_all(&by_captions, &captions_db);
    assert_eq!(
        r["encoding"], "utf-16le",
        "no byte-order mark, and a Chinese first character"
    );
    assert_eq!(
        r["captions"][0],
        serde_json::json!({"caption": "逝者编号", "column": "DEAD_ID"})
    );
    assert_eq!(r["captions"].as_array().map(Vec::len), Some(21), "{r}");
    assert_eq!(r["columns_not_read"], serde_json::json!(["序号", "备注"]));
    let held = live_rows_held(&names_db);
    assert!(
        held.starts_with(
            "SZ-2013-000001|王秀英|2|01|111|34052419800101001X|1980-01-01|2013-03-05|33|济南市历城区|370112|false"
        ),
        "{held}"
    );
    assert!(
        held.contains("\nSZ-2013-000002|无名氏|1|||||2013-04-15||||true\n"),
        "{held}"
    );
    assert!(
        held.contains("\nSZ-2013-000003|赵桂兰|0|03|414|E12345678|1941-03-09|2013-05-01|72|||false\n"),
        "{held}"
    );
    // Certificates: a number sent without its state is issued; one without a cremation
    // time is still its cremation's.
    assert!(
        held.contains("\nSZ-2013-000001|2013-03-06|true|2013-00123|issued\n"),
        "{held}"
    );
    assert!(
        held.contains("\nSZ-2013-000002|2013-04-16|false|2013-00456|reissued\n"),
        "{held}"
    );
    assert!(held.contains("\nSZ-2013-000003||false|2013-00789|voided\n"), "{held}");
    assert_eq!(
        live_rows_held(&captions_db),
        held,
        "the screen export holds what the database export does"
    );
    // What is read of the header is said on the terminal too.
    let said = run_ok(&[
        "live",
        "import",
        s(&by_captions),
        "--target",
        captions_db.t(),
        "--dry-run",
    ]);
    let stdout = String::from_utf8_lossy(&said.stdout);
    assert!(
        stdout.contains("  columns read by their captions: 逝者编号 → DEAD_ID, 逝者姓名 → NAME, 性别 → SEX"),
        "{stdout}"
    );
    assert!(stdout.contains("  columns not read: 序号, 备注"), "{stdout}");
    // A certificate sent again under another number, or in another state, is named, not
    // written over.
    let again = dir.path().join("again.csv");
    std::fs::write(
        &again,
        "逝者编号,逝者姓名,接运时间,火化时间,火化证号,证明状态\n\
         SZ-2013-000001,王秀英,2013-03-06 08:00:00,2013-03-06 08:30:00,2013-00999,\n\
         SZ-2013-000002,无名氏,,2013-04-16 10:17:00,2013-00456,作废\n",
    )
    .unwrap();
    let r = run_json(&["live", "import", s(&again), "--target", captions_db.t(), "--json"]);
    let differing: Vec<(u64, Vec<&str>)> = r["differing_from_held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let columns = d["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap());
            (d["line"].as_u64().unwrap(), columns.collect())
        })
        .collect();
    assert_eq!(differing, [(2, vec!["CERT_NO"]), (3, vec!["CERT_STATUS"])], "{r}");
    assert_eq!(live_rows_held(&captions_db), held, "nothing written over");
    // A workbook's sheet is found by its captioned header too, below its title.
    let workbook = dir.path().join("逝者信息导出.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "2013年逝者信息").unwrap();
    for (c, caption) in ["逝者编号", "逝者姓名", "性别", "联系电话", "承办人姓名"]
        .into_iter()
        .enumerate()
    {
        sheet.write_string(1, c as u16, caption).unwrap();
    }
    for (c, value) in ["SZ-2013-000004", "钱某", "男"].into_iter().enumerate() {
        sheet.write_string(2, c as u16, value).unwrap();
    }
    sheet.write_number(2, 3, 13912345678.0).unwrap();
    sheet.write_string(2, 4, "钱大").unwrap();
    book.save(&workbook).unwrap();
    let r = run_json(&["live", "import", s(&workbook), "--target", captions_db.t(), "--json"]);
    assert_eq!(
        (r["imported"].as_u64(), r["sheet"].as_str()),
        (Some(1), Some("Sheet1")),
        "{r}"
    );
    assert_eq!(
        captions_db.text("SELECT name || '|' || phone FROM agents WHERE source_key = 'SZ-2013-000004'"),
        Some("钱大|13912345678".into())
    );
    // A header that names a column twice, or captions no DEAD_ID, is refused, naming why.
    for (header, why) in [
        (
            "逝者编号,姓名,逝者姓名\n1,王,王\n",
            "the columns \"姓名\" and \"逝者姓名\" both give NAME",
        ),
        (
            "序号,姓名\n1,王\n",
            "not a live extract: no DEAD_ID column, nor one captioned 逝者编号, 死者编号",
        ),
    ] {
        let file = dir.path().join("header.csv");
        std::fs::write(&file, header).unwrap();
        let refused = run_expect(&["live", "import", s(&file), "--target", names_db.t()], 2);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(&format!("header.csv: {why}")), "{stderr}");
    }
}
