//! `ledgerline synth`: pages, manifest and truth; deterministic; every truth row valid.

mod common;

use std::collections::BTreeMap;

use common::*;
use ledgerline_schemas::{validate::is_acceptable, validate_fields, BatchManifest, TruthRow};
use sha2::{Digest, Sha256};

fn digests(dir: &std::path::Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for sub in ["", "pages"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, hex::encode(Sha256::digest(std::fs::read(&p).unwrap())));
            }
        }
    }
    out
}

#[test]
fn eight_pages_with_manifest_and_valid_truth() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let summary = run_json(&["synth", s(&out), "--pages", "8", "--seed", "1", "--json"]);
    assert_eq!(summary["pages"], 8);

    let pages: Vec<_> = std::fs::read_dir(out.join("pages")).unwrap().collect();
    assert_eq!(pages.len(), 8);
    for n in 1..=8 {
        let page = out.join(format!("pages/page-{n:04}.png"));
        let (w, h) = image::image_dimensions(&page).unwrap();
        assert_eq!((w, h), (3508, 2480), "A4 landscape at 300 dpi");
    }

    let manifest = BatchManifest::read(&out.join("batch.toml")).unwrap();
    assert_eq!(manifest.scan_dpi, 300);

    let truth: Vec<TruthRow> = std::fs::read_to_string(out.join("truth.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(truth.len() as u64, summary["rows"].as_u64().unwrap());
    let mut per_page = BTreeMap::new();
    for t in &truth {
        *per_page.entry(t.page.clone()).or_insert(0) += 1;
        let findings = validate_fields(&t.fields);
        assert!(is_acceptable(&findings), "{}:{} invalid: {findings:#?}", t.page, t.row);
    }
    assert_eq!(per_page.len(), 8);
    assert!(per_page.values().all(|&n| (15..=25).contains(&n)), "{per_page:?}");
    // People recur across pages (cremation then burial, two volumes): dedupe needs that.
    assert!(summary["persons_in_several_rows"].as_u64().unwrap() > 0);
    let kinds: std::collections::HashSet<_> = truth.iter().map(|t| t.record_type).collect();
    assert_eq!(kinds.len(), 2, "both cremation and burial pages");

    // The CLI validator agrees.
    run_ok(&["validate", s(&out.join("truth.jsonl"))]);
}

#[test]
fn same_seed_same_files_other_seed_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let c = dir.path().join("c");
    run_ok(&["synth", s(&a), "--pages", "2", "--seed", "42", "--rows", "15"]);
    run_ok(&["synth", s(&b), "--pages", "2", "--seed", "42", "--rows", "15"]);
    run_ok(&["synth", s(&c), "--pages", "2", "--seed", "43", "--rows", "15"]);
    let (da, db, dc) = (digests(&a), digests(&b), digests(&c));
    assert!(da.len() >= 5, "{da:?}");
    assert_eq!(da, db);
    assert_ne!(da.get("truth.jsonl"), dc.get("truth.jsonl"));
    assert_ne!(da.get("pages/page-0001.png"), dc.get("pages/page-0001.png"));
}

#[test]
fn one_template_and_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t");
    run_ok(&[
        "synth",
        s(&out),
        "--pages",
        "1",
        "--seed",
        "3",
        "--rows",
        "15",
        "--template",
        "burial-b",
    ]);
    let m = BatchManifest::read(&out.join("batch.toml")).unwrap();
    assert_eq!(m.ledger_type, ledgerline_schemas::LedgerType::Burial);

    let bad = run_expect(&["synth", s(&out), "--pages", "1", "--template", "nope"], 2);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("nope") && err.contains("cremation-a"), "{err}");

    // A folder holding a batch is not written over (its pages would stay beside the new
    // truth) unless asked, and then the old batch goes whole.
    let before = std::fs::read(out.join("truth.jsonl")).unwrap();
    let refused = run_expect(&["synth", s(&out), "--pages", "1", "--seed", "4"], 2);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("not empty") && err.contains("--replace"), "{err}");
    assert_eq!(std::fs::read(out.join("truth.jsonl")).unwrap(), before);
    std::fs::write(out.join("pages/page-0009.png"), b"an old page").unwrap();
    run_ok(&["synth", s(&out), "--pages", "1", "--seed", "4", "--replace"]);
    let pages: Vec<_> = std::fs::read_dir(out.join("pages"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(pages, ["page-0001.png"]);
    assert_ne!(std::fs::read(out.join("truth.jsonl")).unwrap(), before);
}

#[test]
fn validate_reports_bad_rows_by_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.jsonl");
    std::fs::write(
        &f,
        "{\"deceased_name\":\"王秀英\",\"death_date\":\"2012-02-31\"}\n{\"id_number\":\"340524198001010019\"}\n\
         {\"deceased_name\":\"李四\"}\n{\"age\":\"七十\"}\nnot json\n{\"deceased_name\":\"张三\",\"gender\":\"男\"}\n",
    )
    .unwrap();
    let out = run_expect(&["validate", s(&f), "--json"], 1);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["lines"], 6);
    assert_eq!(report["invalid"], 5);
    assert_eq!(report["valid"], 1);
    assert_eq!(report["problems"][0]["line"], 1);
    assert_eq!(report["problems"][0]["findings"][0]["field"], "death_date");
    assert_eq!(report["problems"][1]["findings"][0]["code"], "id_checksum");
    // Lines that are no record are invalid lines; the lines after them are still checked.
    for (k, line) in [(2, 4), (3, 5)] {
        assert_eq!(report["problems"][k]["line"], line, "{report}");
        assert_eq!(report["problems"][k]["findings"][0]["code"], "not_a_record", "{report}");
    }
    assert_eq!(report["problems"][4]["line"], 6);
    assert_eq!(report["problems"][4]["findings"][0]["field"], "gender");
    let plain = run_expect(&["validate", s(&f)], 1);
    let plain = String::from_utf8_lossy(&plain.stdout);
    assert!(
        plain.contains(&format!("{}:5: Error: line: not a record", f.display())),
        "{plain}"
    );
}
