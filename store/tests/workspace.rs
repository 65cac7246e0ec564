//! The workspace store: migrations on open, records round-trip, and many writers at once.

use std::sync::Arc;

use ledgerline_schemas::{Field, Record, RecordFields, RecordType, Review, ReviewStatus, Source};
use ledgerline_store::{migrations, records, Workspace};

fn record(page: &str, row: u32) -> Record {
    let mut fields = RecordFields::default();
    fields.set(Field::DeceasedName, Some("王秀英")).unwrap();
    fields.set(Field::Age, Some("81")).unwrap();
    fields.set(Field::DeathDate, Some("2012-03-05")).unwrap();
    Record {
        record_id: format!("{page}-{row}"),
        record_type: RecordType::Cremation,
        fields,
        person_id: None,
        source: Source {
            batch: "b1".into(),
            page: page.into(),
            row,
        },
        confidence: [("deceased_name".to_string(), 0.9)].into(),
        review: Review {
            status: ReviewStatus::NeedsReview,
            ..Default::default()
        },
        extra_fields: [("备注".to_string(), "无".to_string())].into(),
    }
}

#[test]
fn open_applies_migrations_once() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    assert_eq!(ws.schema_version().unwrap(), migrations::latest());
    let again = Workspace::open(dir.path()).unwrap();
    let n: i64 = again
        .with_store(|c| Ok(c.query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(n, migrations::MIGRATIONS.len() as i64);
}

#[test]
fn records_table_has_a_column_per_field() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    let cols: Vec<String> = ws
        .with_store(|c| {
            let mut s = c.prepare(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'records' ORDER BY ordinal_position",
            )?;
            let v = s.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
            Ok(v)
        })
        .unwrap();
    for f in Field::ALL {
        assert!(
            cols.iter().any(|c| c == f.name()),
            "records lacks a {} column",
            f.name()
        );
    }
    // The appender writes by position: the table's order must be the code's.
    assert_eq!(cols, records::record_columns());
}

#[test]
fn records_round_trip_and_page_rewrite_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    let recs: Vec<Record> = (1..=3).map(|r| record("page-0001.png", r)).collect();
    for _ in 0..2 {
        ws.transaction(|c| records::replace_page_records(c, "pg1", &recs))
            .unwrap();
    }
    let back = ws
        .with_store(|c| records::read_records(c, &Default::default()))
        .unwrap();
    assert_eq!(back, recs);
}

#[test]
fn newer_workspace_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    ws.with_store(|c| {
        Ok(c.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (999, 'future')",
            [],
        )?)
    })
    .unwrap();
    let err = format!("{:#}", Workspace::open(dir.path()).unwrap_err());
    assert!(err.contains("999") && err.contains("newer ledgerline"), "{err}");
}

#[test]
fn concurrent_writers_serialize_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Arc::new(Workspace::open(dir.path()).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let ws = Arc::clone(&ws);
            std::thread::spawn(move || {
                for p in 0..5 {
                    let page = format!("page-{t}-{p}.png");
                    let recs: Vec<Record> = (1..=2).map(|r| record(&page, r)).collect();
                    ws.transaction(|c| records::replace_page_records(c, &page, &recs))
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let n = ws
        .with_store(|c| records::read_records(c, &Default::default()))
        .unwrap()
        .len();
    assert_eq!(n, 4 * 5 * 2);
}

/// `ocr --again` reads pages a person has worked on: their verified, corrected, keyed or
/// rejected records stay as they are, while what only the machine made is read anew;
/// and a page that now reads as nothing keeps their rows all the same.
#[test]
fn a_page_read_again_keeps_what_people_did_with_it() {
    use ledgerline_store::pages::{mark_unread, save_reading, Reading, Unread};
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(dir.path()).unwrap();
    let read = |name: &str| -> Vec<Record> {
        (1..=3)
            .map(|row| {
                let mut r = record("page-0001.png", row);
                r.fields.set(Field::DeceasedName, Some(name)).unwrap();
                r
            })
            .collect()
    };
    let store = |records: &[Record]| {
        let reading = Reading {
            quarter_turns: 0,
            cells: &[],
            records,
            rest_to_key: None,
        };
        ws.transaction(|c| save_reading(c, "pg1", &reading)).unwrap();
    };
    let names = || -> Vec<(String, String, ReviewStatus)> {
        let back = ws
            .with_store(|c| records::read_records(c, &Default::default()))
            .unwrap();
        let mut v: Vec<_> = back
            .into_iter()
            .map(|r| (r.record_id, r.fields.deceased_name.unwrap_or_default(), r.review.status))
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    store(&read("王秀荚"));
    // A reviewer corrects row 1, rejects row 2 (as the review app's sync stores them).
    let mut worked = read("王秀英");
    worked[0].review.status = ReviewStatus::Verified;
    worked[1].review.status = ReviewStatus::Rejected;
    let worked: Vec<(String, Record)> = worked[..2].iter().map(|r| ("pg1".to_string(), r.clone())).collect();
    ws.transaction(|c| records::replace_records(c, &worked)).unwrap();
    // Read again, differently.
    store(&read("王秀芙"));
    let id = |row: u32| format!("page-0001.png-{row}");
    assert_eq!(
        names(),
        [
            (id(1), "王秀英".to_string(), ReviewStatus::Verified),
            (id(2), "王秀英".to_string(), ReviewStatus::Rejected),
            (id(3), "王秀芙".to_string(), ReviewStatus::NeedsReview),
        ]
    );
    // Now unreadable: the machine's row goes, the people's stay.
    ws.transaction(|c| mark_unread(c, "pg1", Unread::NeedsKeying, "no ruled table"))
        .unwrap();
    assert_eq!(
        names(),
        [
            (id(1), "王秀英".to_string(), ReviewStatus::Verified),
            (id(2), "王秀英".to_string(), ReviewStatus::Rejected),
        ]
    );
}
