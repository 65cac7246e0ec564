//! A small workspace for review tests: one read page (ruled table image, cells, four
//! records: two needing review, one machine-accepted, one duplicate candidate of it), one
//! page to key by hand, and an account per role. Built directly in the store, so the
//! tests run without OCR.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;

use chrono::NaiveDate;
use image::{Rgb, RgbImage};
use ledgerline_review::{auth, router, sync, AppState, ReviewDb};
use ledgerline_schemas::validate::{Finding, Severity};
use ledgerline_schemas::{
    id_number, Field, FindingCode, Record, RecordFields, RecordType, Review, ReviewStatus, Source,
};
use ledgerline_search::Role;
use ledgerline_store::{pages::StoredCell, Workspace};

pub const PASSWORD: &str = "correct horse 9";
/// Who the audit log names for the fixture's accounts.
pub const SETUP: &str = "cli:fixture";
pub const BATCH: &str = "B1";
pub const PAGE: &str = "p1";
pub const KEY_PAGE: &str = "p2";
/// Columns of the fixture's ledger: x, width, field.
pub const COLUMNS: [(u32, u32, &str); 5] = [
    (0, 200, "deceased_name"),
    (200, 100, "gender"),
    (300, 300, "id_number"),
    (600, 200, "death_date"),
    (800, 300, "household_address"),
];
pub const ROW_HEIGHT: u32 = 80;

pub fn rid(row: u32) -> String {
    format!("{PAGE}-r{row:02}")
}

pub fn id_of(birth: (i32, u32, u32), seq: u16) -> String {
    id_number::compose(
        "370112",
        NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).unwrap(),
        seq,
    )
}

/// `id` as OCR misreads it: its birth year's 9 taken for a g (a repair reads it back).
pub fn id_misread(id: &str) -> String {
    format!("{}g{}", &id[..7], &id[8..])
}

fn record(row: u32, status: ReviewStatus, f: RecordFields, conf: f32) -> Record {
    let confidence = ledgerline_schemas::Field::ALL
        .iter()
        .filter(|x| f.get(**x).is_some())
        .map(|x| (x.name().to_string(), conf))
        .collect();
    Record {
        record_id: rid(row),
        record_type: RecordType::Cremation,
        fields: f,
        person_id: None,
        source: Source {
            batch: BATCH.into(),
            page: "vol1-p001.png".into(),
            row,
        },
        confidence,
        review: Review {
            status,
            ..Review::default()
        },
        extra_fields: Default::default(),
    }
}

fn fields(name: &str, gender: &str, id: &str, birth: &str, death: &str, address: &str) -> RecordFields {
    RecordFields {
        deceased_name: Some(name.into()),
        gender: Some(gender.into()),
        id_number: Some(id.into()),
        birth_date: Some(birth.into()),
        death_date: Some(death.into()),
        household_address: Some(address.into()),
        ..RecordFields::default()
    }
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub ws: Workspace,
    pub db: ReviewDb,
}

impl Fixture {
    /// Stores the page to key as OCR stores a page whose table went on below the `rows`
    /// rows it read: their cells and machine-accepted records, and the rest to key (the
    /// note names the last row read); then syncs the review app.
    pub fn key_page_read_short(&self, rows: u32) {
        let cells: Vec<StoredCell> = (1..=rows)
            .map(|row| StoredCell {
                row,
                col: 0,
                x: 0,
                y: row * ROW_HEIGHT,
                w: 200,
                h: ROW_HEIGHT,
                field: Some("deceased_name".into()),
                text: Some("李桂英".into()),
                confidence: 0.97,
            })
            .collect();
        let records: Vec<Record> = (1..=rows)
            .map(|row| {
                let mut r = record(
                    row,
                    ReviewStatus::Machine,
                    RecordFields {
                        deceased_name: Some("李桂英".into()),
                        death_date: Some("2013-05-0".to_string() + &row.to_string()),
                        ..RecordFields::default()
                    },
                    0.97,
                );
                r.record_id = format!("{KEY_PAGE}-r{row:02}");
                r.source.page = format!("vol1-{KEY_PAGE}.png");
                r
            })
            .collect();
        let rest = format!("the table goes on below the {rows} rows read: key the rows after row {rows} by hand");
        self.ws
            .transaction(|c| {
                let reading = ledgerline_store::pages::Reading {
                    quarter_turns: 0,
                    cells: &cells,
                    records: &records,
                    rest_to_key: Some(&rest),
                };
                ledgerline_store::pages::save_reading(c, KEY_PAGE, &reading)
            })
            .unwrap();
        sync::sync(&self.ws, &self.db).unwrap();
    }

    /// Marks the fixture's page as read turned `quarter_turns` quarters clockwise, as OCR
    /// stores a page scanned upside down or sideways.
    pub fn page_read_turned(&self, quarter_turns: u8) {
        self.db
            .transaction(|tx| {
                tx.execute(
                    "UPDATE pages SET quarter_turns = ?1 WHERE page_id = ?2",
                    rusqlite::params![quarter_turns, PAGE],
                )?;
                Ok(())
            })
            .unwrap();
    }
}

/// The ledger page: ruled lines and each record's values written in its cells, so crops
/// and screenshots show what a reviewer would see.
fn draw_page(path: &Path, rows: u32, records: &[Record]) {
    let (w, h) = (1100, ROW_HEIGHT * (rows + 1) + 1);
    let mut img = RgbImage::from_pixel(w, h, Rgb([250, 248, 240]));
    for r in 0..=rows + 1 {
        for x in 0..w {
            img.put_pixel(x, (r * ROW_HEIGHT).min(h - 1), Rgb([20, 20, 20]));
        }
    }
    for (x, _, _) in COLUMNS {
        for y in 0..h {
            img.put_pixel(x, y, Rgb([20, 20, 20]));
        }
    }
    let fonts = ledgerline_synth::fonts::Fonts::load().unwrap();
    let font = &fonts.faces[0];
    for r in records {
        for (x, _, field) in COLUMNS {
            let f = ledgerline_schemas::Field::from_name(field).unwrap();
            if let Some(text) = r.fields.get(f) {
                let y = r.source.row * ROW_HEIGHT + ROW_HEIGHT / 4;
                imageproc::drawing::draw_text_mut(
                    &mut img,
                    Rgb([30, 30, 60]),
                    x as i32 + 10,
                    y as i32,
                    ab_glyph::PxScale::from(30.0),
                    font,
                    &text,
                );
            }
        }
    }
    img.save(path).unwrap();
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace::open(&dir.path().join("ws")).unwrap();
    let image = dir.path().join("vol1-p001.png");
    let (id1, id3) = (id_of((1936, 5, 2), 22), id_of((1941, 3, 9), 31));
    let mut bad_id = id_of((1950, 7, 1), 45);
    // One digit off: the checksum catches it.
    let last = if bad_id.ends_with('1') { '2' } else { '1' };
    bad_id.replace_range(17.., &last.to_string());
    let records = vec![
        // A look-alike misreading, with low confidence: needs review.
        record(
            1,
            ReviewStatus::NeedsReview,
            fields(
                "王秀荚",
                "2",
                &id1,
                "1936-05-02",
                "2013-04-11",
                "济南市历城区山大路12号",
            ),
            0.42,
        ),
        // A wrong ID digit: validation fails, needs review.
        record(
            2,
            ReviewStatus::NeedsReview,
            fields(
                "李建国",
                "1",
                &bad_id,
                "1950-07-01",
                "2013-04-12",
                "济南市历城区洪家楼3号",
            ),
            0.9,
        ),
        // Machine-accepted; row 4 is the same man in another hand.
        record(
            3,
            ReviewStatus::Machine,
            fields("张德明", "1", &id3, "1941-03-09", "2013-04-15", "济南市历城区花园路8号"),
            0.95,
        ),
        record(
            4,
            ReviewStatus::NeedsReview,
            fields("张德名", "1", &id3, "1941-03-09", "2013-04-16", "历城区花园路8号"),
            0.7,
        ),
    ];
    // What the machine found reading row 1: repairs on two fields, and columns it missed.
    let mut records = records;
    let id_misread = id_misread(&id1);
    records[0].review.findings = vec![
        Finding::new(
            Field::HouseholdAddress,
            Severity::Info,
            FindingCode::DivisionRepaired,
            "read 济甫市历城区山大路12号, taken as 济南市历城区山大路12号: a division's name".into(),
        )
        .read_as(Some("济甫市历城区山大路12号")),
        Finding::new(
            Field::IdNumber,
            Severity::Info,
            FindingCode::IdRepaired,
            format!("read {id_misread}, repaired to {id1}: the only OCR confusion that passes the checksum"),
        )
        .read_as(Some(&id_misread)),
        Finding::about(
            "record",
            Severity::Error,
            FindingCode::ColumnsMissed,
            "the table's rules run on past the columns read".into(),
        ),
    ];
    draw_page(&image, 4, &records);
    let cells: Vec<StoredCell> = (1..=4u32)
        .flat_map(|row| {
            COLUMNS.iter().enumerate().map(move |(col, (x, w, field))| StoredCell {
                row,
                col: col as u32,
                x: *x,
                y: row * ROW_HEIGHT,
                w: *w,
                h: ROW_HEIGHT,
                field: Some(field.to_string()),
                text: None,
                confidence: 0.5,
            })
        })
        .collect();
    let img = image.to_str().unwrap().to_string();
    ws.transaction(|c| {
        c.execute(
            "INSERT INTO batches (batch_id, agency_name, ledger_type, volume, years, scan_dpi, source_dir, manifest_inferred)
             VALUES (?, '历城区殡仪馆', 'cremation', '1', '2013', 300, ?, false)",
            duckdb::params![BATCH, dir.path().to_str().unwrap()],
        )?;
        for (page, status) in [(PAGE, "ingested"), (KEY_PAGE, "needs_keying")] {
            c.execute(
                "INSERT INTO pages (page_id, batch_id, file_name, path, sha256, frame, width, height, dpi, status, ledger_type)
                 VALUES (?, ?, ?, ?, 'x', 0, 1100, 401, 300, ?, 'cremation')",
                duckdb::params![page, BATCH, format!("vol1-{page}.png"), img, status],
            )?;
        }
        let reading = ledgerline_store::pages::Reading {
            quarter_turns: 0,
            cells: &cells,
            records: &records,
            rest_to_key: None,
        };
        ledgerline_store::pages::save_reading(c, PAGE, &reading)?;
        // As dedupe stores it (`Linkage::explain`): the prior, every field, the total.
        let explanation = serde_json::json!({
            "prior_weight": -15.0,
            "fields": [
                {"field": "deceased_name", "comparison": "same pinyin, look-alike or placeholder", "weight": 3.1},
                {"field": "id_number", "comparison": "exact", "weight": 14.2},
                {"field": "birth_date", "comparison": "exact", "weight": 5.0},
                {"field": "death_date", "comparison": "day/month swapped or one digit off", "weight": 2.0},
                {"field": "gender", "comparison": "same", "weight": 0.4},
                {"field": "household_address", "comparison": "different", "weight": -3.2},
                {"field": "family_name", "comparison": "unknown", "weight": 0.0}
            ],
            "match_weight": 6.5,
            "match_probability": 0.989
        });
        c.execute(
            "INSERT INTO match_pairs (record_a, record_b, run_id, decision, match_weight, match_probability, explanation)
             VALUES (?, ?, 'run1', 'review', 6.5, 0.989, ?)",
            duckdb::params![rid(3), rid(4), explanation.to_string()],
        )?;
        Ok(())
    })
    .unwrap();
    let db = ReviewDb::open(ws.root()).unwrap();
    for role in Role::ALL {
        auth::add_user(&db, SETUP, role.name(), role, PASSWORD, false).unwrap();
    }
    auth::add_user(&db, SETUP, "data_entry2", Role::DataEntry, PASSWORD, false).unwrap();
    auth::add_user(&db, SETUP, "reviewer2", Role::Reviewer, PASSWORD, false).unwrap();
    sync::sync(&ws, &db).unwrap();
    Fixture { dir, ws, db }
}

/// Serves the fixture on a loopback port in the current tokio runtime.
pub async fn serve(f: &Fixture) -> String {
    serve_state(AppState::new(f.db.clone(), Some(f.ws.clone()), false)).await
}

/// [`serve`] with the server's state set up by `configure` (sessions that end sooner,
/// passwords that age).
#[allow(dead_code)] // one test binary uses it
pub async fn serve_with(f: &Fixture, configure: impl FnOnce(AppState) -> AppState) -> String {
    serve_state(configure(AppState::new(f.db.clone(), Some(f.ws.clone()), false))).await
}

async fn serve_state(state: AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(state)).await.unwrap() });
    format!("http://{addr}")
}

/// Builds the fixture workspace's search index (as `ledgerline index` would).
pub fn index_fixture(f: &Fixture) {
    let records =
        f.ws.with_store(|c| ledgerline_store::records::read_records(c, &Default::default()))
            .unwrap();
    let index_dir = ledgerline_search::index_dir(f.ws.root());
    let (mut index, _) = ledgerline_search::SearchIndex::open_for_update(&index_dir).unwrap();
    index.update(&records, true, &|_| {}).unwrap();
}
