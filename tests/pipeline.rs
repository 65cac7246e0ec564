//! `ledgerline run` on the sample batch end to end: every truth row found, none
//! invented, records exported in all three formats, re-runs change nothing, and sharded
//! OCR merged equals one run; commands that read a workspace refuse a path where there is none;
//! output piped to a reader that stops ends a command quietly.

mod common;

use common::*;
use ledgerline_schemas::{Record, TruthRow};
use std::path::{Path, PathBuf};

fn truth_rows() -> usize {
    std::fs::read_to_string(sample_batch().join("truth.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .count()
}

#[test]
fn sample_batch_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let summary = run_json(&["run", s(&sample_batch()), "--workspace", s(&ws), "--json"]);
    assert_eq!(summary["pages"], 3, "{summary}");
    assert_eq!(summary["ocr"]["pages"], 3, "{summary}");
    let records = summary["records"].as_u64().unwrap() as usize;
    assert_eq!(records, truth_rows(), "one record per written row: {summary}");

    // Scored against ground truth: rows all found, none invented; ID numbers, which
    // carry their own checksum, mostly right: a floor against regressions (measured
    // 0.76 on this sample; the accuracy bars are measured with `ledgerline eval`).
    let truth_file = s(&sample_batch().join("truth.jsonl")).to_string();
    let report = run_json(&["eval", "--workspace", s(&ws), "--truth", &truth_file, "--json"]);
    assert_eq!(report["rows_missed"], 0, "{report}");
    assert_eq!(report["rows_invented"], 0, "{report}");
    assert!(
        report["fields"]["id_number"]["accuracy"].as_f64().unwrap() >= 0.6,
        "{report}"
    );
    assert!(
        report["fields"]["cremation_date"]["scored"].as_u64().unwrap() > 0,
        "headers mapped: {report}"
    );

    boxes_lie_on_their_cells(&ws);

    // Re-running reads nothing again and stores nothing twice.
    let again = run_json(&["run", s(&sample_batch()), "--workspace", s(&ws), "--json"]);
    assert_eq!(again["ocr"]["pages"], 0, "{again}");
    let status = run_json(&["status", "--workspace", s(&ws), "--json"]);
    assert_eq!(status["batches"][0]["records"].as_u64().unwrap() as usize, records);
    // Read, the records a load would take are in no person until dedupe runs.
    let b = &status["batches"][0];
    let loadable = b["records"].as_u64().unwrap() - b["records_needing_review"].as_u64().unwrap();
    assert!(loadable > 0, "{status}");
    // The run's count is of the records as stored, once the batch is settled.
    assert_eq!(
        summary["records_needing_review"], b["records_needing_review"],
        "{summary} {status}"
    );
    assert_eq!(b["records_not_in_persons"].as_u64(), Some(loadable), "{status}");
    run_ok(&["dedupe", "--workspace", s(&ws)]);
    let deduped = run_json(&["status", "--workspace", s(&ws), "--json"]);
    assert_eq!(deduped["batches"][0]["records_not_in_persons"], 0, "{deduped}");

    // Export: the same records in every format, provenance included.
    let jsonl = dir.path().join("r.jsonl");
    run_ok(&["export", "--workspace", s(&ws), "--format", "jsonl", "--out", s(&jsonl)]);
    let exported: Vec<Record> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(exported.len(), records);
    let truth: Vec<TruthRow> = std::fs::read_to_string(sample_batch().join("truth.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for r in &exported {
        assert!(
            truth.iter().any(|t| t.page == r.source.page && t.row == r.source.row),
            "{:?}",
            r.source
        );
        assert!(!r.confidence.is_empty(), "every record carries field confidences");
    }
    // Into a folder not made yet: it is made.
    let csv = dir.path().join("for-excel").join("r.csv");
    run_ok(&["export", "--workspace", s(&ws), "--format", "csv", "--out", s(&csv)]);
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert!(csv_text.starts_with('\u{feff}'), "CSV starts with a BOM for Excel");
    assert_eq!(csv_text.lines().count(), records + 1);
    let parquet = dir.path().join("r.parquet");
    let out = run_json(&[
        "export",
        "--workspace",
        s(&ws),
        "--format",
        "parquet",
        "--out",
        s(&parquet),
        "--json",
    ]);
    assert_eq!(out["records"].as_u64().unwrap() as usize, records);
    assert_eq!(&std::fs::read(&parquet).unwrap()[..4], b"PAR1");

    // The workbook holds every record, its ID numbers as text cells (Excel reads a CSV's
    // as numbers and loses their last digits), and no half-written file is left behind.
    let xlsx = dir.path().join("r.xlsx");
    run_ok(&["export", "--workspace", s(&ws), "--format", "xlsx", "--out", s(&xlsx)]);
    let (sheet, strings) = workbook_parts(&xlsx);
    assert_eq!(sheet.matches("<row ").count(), records + 1);
    let id_column = 2 + ledgerline_schemas::Field::ALL
        .iter()
        .position(|f| *f == ledgerline_schemas::Field::IdNumber)
        .unwrap();
    let letter = char::from(b'A' + id_column as u8);
    let with_ids: Vec<(usize, &String)> = exported
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.fields.id_number.as_ref().map(|id| (i + 2, id)))
        .collect();
    assert!(!with_ids.is_empty());
    for (line, id) in with_ids {
        assert!(
            sheet.contains(&format!("<c r=\"{letter}{line}\" t=\"s\"")),
            "{id} is no text cell"
        );
        assert!(strings.contains(&format!("<t>{id}</t>")), "{id}");
    }
    let refused = run_expect(
        &[
            "export",
            "--workspace",
            s(&ws),
            "--format",
            "xlsx",
            "--out",
            s(dir.path()),
        ],
        2,
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is a folder"));
    let partial = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains(".partial-"))
        .count();
    assert_eq!(partial, 0);

    // A mistyped batch id is an error naming the batches there are, not an empty export,
    // an OCR run of nothing, or a load or QA gate that finds no sample.
    let batch = status["batches"][0]["batch_id"].as_str().unwrap().to_string();
    let mistyped = format!("{batch}-2");
    let target = format!("duckdb:{}", dir.path().join("province.duckdb").display());
    let m = mistyped.as_str();
    let commands: [&[&str]; 7] = [
        &["export", "--batch", m, "--format", "jsonl", "--out", s(&jsonl)],
        &["ocr", "--batch", m],
        &["dedupe", "--batch", m],
        &["eval", "--batch", m, "--truth", &truth_file],
        &["qa", "start", "--batch", m],
        &["qa", "status", "--batch", m],
        &["load", "--batch", m, "--target", &target],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.extend(["--workspace", s(&ws)]);
        let refused = run_expect(&args, 2);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains(&format!("no batch \"{mistyped}\"")) && stderr.contains(&format!("its batches: {batch}")),
            "{command:?}: {stderr}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&jsonl).unwrap().lines().count(),
        records,
        "the export was left alone"
    );
}

/// The first worksheet's XML and the shared strings of an .xlsx workbook.
/// The cell boxes stored (what the review app crops beside each field) lie inside their
/// cells on the page as scanned, skewed as it is (the sample's pages by up to 1.6
/// degrees): a box straddling a rule shows part of the next row or column. Inside a box
/// (8 px in from its edges) no line of pixels is mostly dark, as a ruled line is
/// across it; a stroke of writing runs at most most of its height. Boxes kept on the
/// straightened page straddled rules in about half of the cells of generated pages.
fn boxes_lie_on_their_cells(ws: &Path) {
    let db = duckdb::Connection::open_with_flags(
        ws.join("ledgerline.duckdb"),
        duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)
            .unwrap(),
    )
    .unwrap();
    let mut stmt = db
        .prepare("SELECT p.path, c.x, c.y, c.w, c.h FROM cells c JOIN pages p USING (page_id) WHERE c.row_no > 0")
        .unwrap();
    let boxes: Vec<(String, u32, u32, u32, u32)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut pages = std::collections::HashMap::new();
    let straddling = boxes
        .iter()
        .filter(|(path, x, y, w, h)| {
            let page = pages
                .entry(path.clone())
                .or_insert_with(|| image::open(path).unwrap().to_luma8());
            let mut levels: Vec<u8> = page.pixels().step_by(97).map(|p| p.0[0]).collect();
            levels.sort_unstable();
            let dark = (levels[levels.len() / 2] as f32 * 0.7) as u8;
            let inside = |n: u32| 8..n.saturating_sub(8);
            let dark_share = |pixels: &mut dyn Iterator<Item = (u32, u32)>, n: u32| {
                pixels
                    .filter(|&(px, py)| page.get_pixel(x + px, y + py).0[0] < dark)
                    .count() as f32
                    / n as f32
            };
            let inner = (w.saturating_sub(16), h.saturating_sub(16));
            inside(*h).any(|py| dark_share(&mut inside(*w).map(|px| (px, py)), inner.0) > 0.6)
                || inside(*w).any(|px| dark_share(&mut inside(*h).map(|py| (px, py)), inner.1) > 0.95)
        })
        .count();
    assert!(
        straddling * 100 <= boxes.len(),
        "{straddling} of {} cell boxes straddle a rule on the scan",
        boxes.len()
    );
}

fn workbook_parts(xlsx: &Path) -> (String, String) {
    let mut book = zip::ZipArchive::new(std::fs::File::open(xlsx).unwrap()).unwrap();
    let mut part = |name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut book.by_name(name).unwrap(), &mut text).unwrap();
        text
    };
    (part("xl/worksheets/sheet1.xml"), part("xl/sharedStrings.xml"))
}

/// A one-page batch folder `name` whose page-0001.png is the sample's page `page`, with
/// that page's truth rows, renamed to page-0001.png like the page.
fn one_page_batch(into: &Path, name: &str, page: &str) -> PathBuf {
    let batch = into.join(name);
    std::fs::create_dir_all(batch.join("pages")).unwrap();
    std::fs::copy(
        sample_batch().join("pages").join(page),
        batch.join("pages/page-0001.png"),
    )
    .unwrap();
    let manifest = std::fs::read_to_string(sample_batch().join("batch.toml")).unwrap();
    let manifest: String = manifest
        .lines()
        .map(|l| {
            if l.starts_with("batch_id") {
                format!("batch_id = \"{name}\"")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(batch.join("batch.toml"), manifest).unwrap();
    let truth: Vec<String> = std::fs::read_to_string(sample_batch().join("truth.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut row: serde_json::Value = serde_json::from_str(l).ok()?;
            (row["page"] == page).then(|| {
                row["page"] = "page-0001.png".into();
                row.to_string()
            })
        })
        .collect();
    std::fs::write(batch.join("truth.jsonl"), truth.join("\n")).unwrap();
    batch
}

/// Truth rows name a page and a row, and every batch has a page-0001.png: a batch's
/// truth scores its own batch, and rows several batches share are refused, not matched
/// to whichever batch's record came last (that scored one ledger against another).
#[test]
fn eval_scores_the_batch_its_truth_belongs_to() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let first = one_page_batch(dir.path(), "first", "page-0001.png");
    let second = one_page_batch(dir.path(), "second", "page-0002.png");
    for batch in [&first, &second] {
        run_ok(&["run", s(batch), "--workspace", s(&ws), "--jobs", "1"]);
    }
    let scored = |truth: &Path, extra: &[&str]| {
        let mut args = vec!["eval", "--workspace", s(&ws), "--truth", s(truth), "--json"];
        args.extend(extra);
        run_json(&args)
    };
    for batch in [&first, &second] {
        let beside = scored(&batch.join("truth.jsonl"), &[]);
        let named = batch.file_name().unwrap().to_str().unwrap();
        assert_eq!(beside, scored(&batch.join("truth.jsonl"), &["--batch", named]));
        assert_eq!(beside["rows_missed"], 0, "{beside}");
        assert_eq!(beside["rows_invented"], 0, "{beside}");
        assert!(
            beside["fields"]["id_number"]["accuracy"].as_f64().unwrap() >= 0.6,
            "{beside}"
        );
    }

    // Moved out of its batch folder, the truth cannot tell the two page-0001.png apart.
    let loose = dir.path().join("truth.jsonl");
    std::fs::copy(first.join("truth.jsonl"), &loose).unwrap();
    let refused = run_expect(&["eval", "--workspace", s(&ws), "--truth", s(&loose)], 2);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("page-0001.png row 1") && stderr.contains("--batch"),
        "{stderr}"
    );

    // The same truth naming its pages otherwise (the scans saved again as TIFF) matches
    // no record: refused, naming both sides, not scored as every row missed.
    let renamed = dir.path().join("renamed.jsonl");
    let text = std::fs::read_to_string(first.join("truth.jsonl")).unwrap();
    std::fs::write(&renamed, text.replace("page-0001.png", "page-0001.tif")).unwrap();
    let refused = run_expect(
        &[
            "eval",
            "--workspace",
            s(&ws),
            "--truth",
            s(&renamed),
            "--batch",
            "first",
        ],
        2,
    );
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("none of its pages (page-0001.tif) holds a record")
            && stderr.contains("the records are on page-0001.png"),
        "{stderr}"
    );

    // The truth of a batch the workspace does not hold is refused, naming the batch.
    let third = one_page_batch(dir.path(), "third", "page-0003.png");
    let refused = run_expect(
        &["eval", "--workspace", s(&ws), "--truth", s(&third.join("truth.jsonl"))],
        2,
    );
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("truth of batch \"third\"") && stderr.contains("its batches: first, second"),
        "{stderr}"
    );
}

/// A page's names and addresses are read by whichever worker is free (a one-page
/// batch's second worker reads them beside the first reading the page's other cells in
/// order): the records are those one worker reading every cell in turn makes.
#[test]
fn a_page_read_by_two_workers_makes_the_records_one_makes() {
    let dir = tempfile::tempdir().unwrap();
    let batch = one_page_batch(dir.path(), "one", "page-0002.png");
    let exports: Vec<Vec<String>> = ["1", "2"]
        .into_iter()
        .map(|jobs| {
            let ws = dir.path().join(format!("jobs{jobs}"));
            run_ok(&["run", s(&batch), "--workspace", s(&ws), "--jobs", jobs]);
            sorted_export(&ws)
        })
        .collect();
    assert!(exports[0].len() > 10, "{:?}", exports[0]);
    assert_eq!(exports[0], exports[1]);
}

#[test]
fn sharded_ocr_merges_to_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut shards = Vec::new();
    for i in 1..=2 {
        let ws = dir.path().join(format!("shard{i}"));
        run_ok(&["ingest", s(&sample_batch()), "--workspace", s(&ws)]);
        let shard = format!("{i}/2");
        run_ok(&["ocr", "--workspace", s(&ws), "--shard", &shard, "--jobs", "1"]);
        shards.push(ws);
    }
    let merged = dir.path().join("merged");
    // A mistyped shard stops the merge before anything is merged, the target included.
    let mistyped = dir.path().join("shard3");
    let refused = run_expect(&["merge", s(&shards[0]), s(&mistyped), "--workspace", s(&merged)], 2);
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains(&format!("{}: no ledgerline workspace", mistyped.display())),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!merged.exists() && !mistyped.exists());
    run_ok(&["merge", s(&shards[0]), s(&shards[1]), "--workspace", s(&merged)]);
    let status = run_json(&["status", "--workspace", s(&merged), "--json"]);
    let b = &status["batches"][0];
    assert_eq!(b["pages"], 3, "{status}");
    assert_eq!(b["pages_read"], 3, "{status}");
    assert_eq!(b["records"].as_u64().unwrap() as usize, truth_rows(), "{status}");
    // The same records as one run over the whole batch: words settled across its pages
    // (a shard sees only some of them) included.
    let whole = dir.path().join("whole");
    run_ok(&["ingest", s(&sample_batch()), "--workspace", s(&whole)]);
    run_ok(&["ocr", "--workspace", s(&whole), "--jobs", "1"]);
    assert_eq!(sorted_export(&merged), sorted_export(&whole));
    let bad = run_expect(&["ocr", "--workspace", s(&merged), "--shard", "3/2"], 2);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--shard"));
}

/// A command that reads a workspace, given a path where there is none (a typo, the wrong
/// folder, LEDGERLINE_WORKSPACE unset), says so and makes nothing there: it used to make
/// a new, empty workspace and report that it held nothing.
#[test]
fn a_mistyped_workspace_is_named_not_made() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("ledgerline-wss");
    let m = s(&missing);
    let truth = sample_batch().join("truth.jsonl");
    let out = dir.path().join("out.jsonl");
    let reads: [&[&str]; 12] = [
        &["status"],
        &["ocr"],
        &["export", "--format", "jsonl", "--out", s(&out)],
        &["eval", "--truth", s(&truth)],
        &["dedupe"],
        &["index"],
        &["search", "王"],
        &["qa", "status", "--batch", "sample"],
        &[
            "load",
            "--batch",
            "sample",
            "--target",
            "duckdb:province.duckdb",
            "--dry-run",
        ],
        &["serve"],
        &["users", "list"],
        &["audit", "verify"],
    ];
    for command in reads {
        let mut args = command.to_vec();
        args.extend(["--workspace", m]);
        let refused = run_expect(&args, 2);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains(&format!("{m}: no ledgerline workspace there")),
            "{command:?}: {stderr}"
        );
        assert!(!missing.exists(), "{command:?} made {m}");
    }
    // Nor do the commands that make a workspace, when what they would put in it is not
    // there.
    let no_batch = dir.path().join("no-batch");
    for command in ["run", "ingest"] {
        let refused = run_expect(&[command, s(&no_batch), "--workspace", m], 2);
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains(&format!("{}: not a folder", no_batch.display())),
            "{command}: {stderr}"
        );
        assert!(!missing.exists(), "{command} made {m}");
    }
    // The commands that put something in a workspace still make it: accounts may be set
    // up before the first batch comes in.
    add_user(m, "lead", "admin", "a long passphrase");
    let users = run_json(&["users", "list", "--json", "--workspace", m]);
    assert_eq!(users[0]["username"], "lead", "{users}");
}

/// `ledgerline validate big.jsonl | head -1`: the reader stops, and the command ends as
/// a Unix tool ends, status 141 and nothing on stderr, not with a panic message.
#[test]
fn output_piped_to_a_reader_that_stops_ends_the_command_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lines.jsonl");
    std::fs::write(&file, "not a record\n".repeat(20_000)).unwrap();
    let mut child = std::process::Command::new(bin())
        .args(["validate", file.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes before anything is read: every line is written to a closed pipe.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(141),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The completion script a shell loads completes the commands and their options, as
/// `--help` names them (bash here; zsh, fish, elvish and PowerShell from the same
/// definitions).
#[test]
fn the_shell_completes_commands_and_options() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("ledgerline.bash");
    std::fs::write(&script, run_ok(&["completions", "bash"]).stdout).unwrap();
    // What bash offers for the words typed so far, the last one being completed.
    let offered = |words: &[&str]| {
        let program = format!(
            "source {}; COMP_WORDS=({}); COMP_CWORD={}; _ledgerline ledgerline {} {}; echo \"${{COMPREPLY[@]}}\"",
            s(&script),
            words.join(" "),
            words.len() - 1,
            words[words.len() - 1],
            words[words.len() - 2],
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &program])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(offered(&["ledgerline", "exc"]), "exchange");
    assert_eq!(offered(&["ledgerline", "serve", "--tls"]), "--tls-cert --tls-key");
    assert_eq!(offered(&["ledgerline", "exchange", "im"]), "import");
}
