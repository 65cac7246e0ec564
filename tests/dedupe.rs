//! `ledgerline dedupe` end to end on a workspace holding generated records whose true
//! persons are known: quality, explanations, stable person ids across reruns and new
//! batches, reviewers' decisions obeyed, and `eval` scoring the linkage.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{stored::*, *};
use ledgerline_store::records::{read_records, RecordFilter};
use ledgerline_store::{persons::decide_pair, Workspace};
use ledgerline_synth::records::generate_records;

fn person_ids(ws: &Workspace) -> HashMap<String, String> {
    ws.with_store(|c| read_records(c, &RecordFilter::default()))
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.record_id,
                r.person_id.expect("every record has a person id after dedupe"),
            )
        })
        .collect()
}

fn dedupe(ws: &Path) -> serde_json::Value {
    run_json(&["dedupe", "--workspace", s(ws), "--json"])
}

#[test]
fn links_explains_and_keeps_person_ids_stable() {
    let dir = tempfile::tempdir().unwrap();
    let ws_path = dir.path().join("ws");
    let ws = Workspace::open(&ws_path).unwrap();
    let records = generate_records(3000, 5);
    let (first, second) = records.split_at(2000);
    let mut truth = store(&ws, "B1", first);

    let run = dedupe(&ws_path);
    assert_eq!(run["records"], 2000, "{}", run["records"]);
    assert!(run["candidate_pairs"].as_u64().unwrap() > 0);
    let cluster = &run["clusters"][0];
    let explanation = &cluster["pairs"][0]["explanation"];
    assert_eq!(explanation["fields"].as_array().unwrap().len(), 7, "{cluster}");
    assert!(explanation["fields"][0]["comparison"].is_string(), "{explanation}");

    // Every exported record carries its person id.
    let out = dir.path().join("records.jsonl");
    run_ok(&[
        "export",
        "--workspace",
        s(&ws_path),
        "--format",
        "jsonl",
        "--out",
        s(&out),
    ]);
    let exported = std::fs::read_to_string(&out).unwrap();
    assert_eq!(exported.lines().count(), 2000);
    for line in exported.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["person_id"].as_str().is_some_and(|p| p.starts_with('P')), "{v}");
    }

    // Rerun: same person ids, no events.
    let before = person_ids(&ws);
    let again = dedupe(&ws_path);
    assert_eq!(
        again["person_ids"],
        serde_json::json!({"created": 0, "merged": 0, "split": 0})
    );
    assert_eq!(person_ids(&ws), before);

    // A new batch links into the existing persons; issued ids stay unless merged away.
    truth.extend(store(&ws, "B2", second));
    let third = dedupe(&ws_path);
    assert_eq!(third["records"], 3000);
    let after = person_ids(&ws);
    let merged_away: Vec<String> = ws
        .with_store(|c| {
            let mut st = c.prepare("SELECT other_person_id FROM person_events WHERE event = 'merged'")?;
            let v: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(v)
        })
        .unwrap();
    for (record, old) in &before {
        assert!(
            after[record] == *old || merged_away.contains(old),
            "{record}: {old} -> {}",
            after[record]
        );
    }

    // Scored against the truth by `eval`.
    let truth_file = dir.path().join("truth.jsonl");
    let lines: Vec<String> = truth.iter().map(|t| serde_json::to_string(t).unwrap()).collect();
    std::fs::write(&truth_file, lines.join("\n")).unwrap();
    let report = run_json(&["eval", "--workspace", s(&ws_path), "--truth", s(&truth_file), "--json"]);
    let linkage = &report["linkage"];
    assert!(linkage["precision"].as_f64().unwrap() >= 0.995, "{linkage}");
    assert!(linkage["f1"].as_f64().unwrap() >= 0.98, "{linkage}");

    // A reviewer says a linked pair is two people: the next run obeys and records a split.
    let (a, b): (String, String) = ws
        .with_store(|c| {
            Ok(c.query_row(
                "SELECT record_a, record_b FROM match_pairs WHERE decision = 'linked' ORDER BY record_a LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    assert!(ws.transaction(|c| decide_pair(c, &a, &b, false, "tester")).unwrap());
    let fourth = dedupe(&ws_path);
    let ids = person_ids(&ws);
    assert_ne!(ids[&a], ids[&b], "records marked different stay apart");
    assert!(
        fourth["person_ids"]["split"].as_u64().unwrap() >= 1,
        "{}",
        fourth["person_ids"]
    );
}

fn sql_text(v: Option<&str>) -> String {
    v.map_or("NULL".into(), |s| format!("'{}'", s.replace('\'', "''")))
}

#[test]
fn links_to_persons_already_in_the_provincial_database() {
    let dir = tempfile::tempdir().unwrap();
    let ws_path = dir.path().join("ws");
    let ws = Workspace::open(&ws_path).unwrap();
    let records = generate_records(2000, 9);
    let (live, ledger) = records.split_at(1000);

    // The province already holds the people of the first half, uploaded live.
    let db = dir.path().join("province.duckdb");
    let target = format!("duckdb:{}", db.display());
    let mut seen = std::collections::HashSet::new();
    let rows: Vec<String> = live
        .iter()
        .filter(|r| seen.insert(r.person_id.clone()))
        .map(|r| {
            let f = &r.fields;
            format!(
                "('L-{}', {}, {}, {}, CAST({} AS DATE), CAST({} AS DATE), {}, 'live', 'SZ-{}', now())",
                r.person_id,
                sql_text(f.deceased_name.as_deref()),
                sql_text(f.gender.as_deref()),
                sql_text(f.id_number.as_deref()),
                sql_text(f.birth_date.as_deref()),
                sql_text(f.death_date.as_deref()),
                sql_text(f.household_address.as_deref()),
                r.record_id
            )
        })
        .collect();
    {
        let db = ledgerline_load::Target::parse(&target)
            .unwrap()
            .open_for_writing()
            .unwrap();
        db.duckdb().unwrap().execute_batch(&format!(
            "INSERT INTO deceased (person_id, name, gender, id_number, birth_date, death_date, household_address, origin, source_key, loaded_at) VALUES {}",
            rows.join(", ")
        ))
        .unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    store(&ws, "B1", ledger);

    let run = run_json(&["dedupe", "--workspace", s(&ws_path), "--against", &target, "--json"]);
    assert_eq!(
        run["database"]["persons"].as_u64().unwrap() as usize,
        seen.len(),
        "{}",
        run["database"]
    );
    assert_eq!(std::fs::read(&db).unwrap(), before, "the database is only read");

    // Every record given a database person id is that person; most of those that could
    // be linked were.
    let ids = person_ids(&ws);
    let (mut linkable, mut linked) = (0, 0);
    for (i, r) in ledger.iter().enumerate() {
        let got = &ids[&as_record("B1", i, r).record_id];
        if let Some(db_person) = got.strip_prefix("L-") {
            assert_eq!(
                db_person, r.person_id,
                "{} linked to the wrong database person",
                r.record_id
            );
            linked += 1;
        }
        linkable += usize::from(seen.contains(&r.person_id));
    }
    assert!(linkable > 0);
    eprintln!("{linked} of {linkable} ledger records of database persons linked to them");
    assert!(linked as f64 >= 0.95 * linkable as f64, "{linked} of {linkable} linked");
    assert_eq!(run["database"]["records_linked_to_database"], linked);
}
