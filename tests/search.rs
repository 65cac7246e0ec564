//! `ledgerline index` and `ledgerline search` end to end on a workspace: incremental
//! indexing, the query kinds, role rules, and a clear error before the first index.

mod common;

use common::{stored::store, *};
use ledgerline_store::Workspace;
use ledgerline_synth::records::generate_records;

#[test]
fn index_then_search() {
    let dir = tempfile::tempdir().unwrap();
    let ws_path = dir.path().join("ws");
    let ws = Workspace::open(&ws_path).unwrap();
    let records = generate_records(500, 17);
    store(&ws, "B1", &records);
    let w = s(&ws_path);

    let err = run_expect(&["search", "-w", w, "王"], 2);
    assert!(
        String::from_utf8_lossy(&err.stderr).contains("ledgerline index"),
        "names the fix"
    );

    let first = run_json(&["index", "-w", w, "--json"]);
    assert_eq!(first["added"], 500, "{first}");
    let again = run_json(&["index", "-w", w, "--json"]);
    assert_eq!(
        (again["added"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(500)),
        "{again}"
    );

    // The stored records are machine-accepted, not verified: hidden unless asked for.
    let target = records.iter().find(|r| r.fields.id_number.is_some()).unwrap();
    let id = target.fields.id_number.as_deref().unwrap();
    let hidden = run_json(&["search", "-w", w, id, "--json"]);
    assert_eq!(hidden["total"], 0, "{hidden}");
    let found = run_json(&["search", "-w", w, id, "--status", "machine", "--json"]);
    // The same number may stand on several records of one person: all rank first.
    let want = format!("B1-{}", target.record_id);
    assert!(
        found["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["record_id"] == want.as_str()),
        "{found}"
    );
    assert_eq!(found["hits"][0]["id_number"], id);
    assert!(
        found["hits"][0]["matched"][0].as_str().unwrap().contains("id_number"),
        "{found}"
    );

    // A data-entry clerk sees the number masked; a DBA may not search unverified records.
    let clerk = run_json(&[
        "search",
        "-w",
        w,
        id,
        "--status",
        "machine",
        "--role",
        "data_entry",
        "--json",
    ]);
    assert_ne!(clerk["hits"][0]["id_number"], id);
    let dba = run_expect(&["search", "-w", w, id, "--status", "machine", "--role", "dba"], 2);
    assert!(String::from_utf8_lossy(&dba.stderr).contains("verified records only"));

    // Pinyin initials with the type filter: every hit is a burial whose name has them.
    let name = target.fields.deceased_name.as_deref().unwrap();
    let pinyin = ledgerline_dedupe::normalize::name_pinyin(name);
    let initials: String = pinyin.split(' ').map(|p| &p[..1]).collect();
    let by_initials = run_json(&[
        "search", "-w", w, &initials, "--status", "machine", "--type", "burial", "--json",
    ]);
    for h in by_initials["hits"].as_array().unwrap() {
        assert_eq!(h["record_type"], "burial");
    }
}
