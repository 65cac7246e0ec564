//! The bad-input corpus, `tests/corpus/cases.tsv`: every case ends in a clear error that
//! names the file and the problem, or in quarantine or keying with its reason, and the
//! good pages beside the bad ones are read all the same. Cases are data: a line in the
//! table and, where a file cannot be small, a recipe here that makes it from a generated
//! ledger page.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

struct Case {
    name: String,
    kind: String,
    source: String,
    expected: String,
}

fn corpus() -> PathBuf {
    repo_root().join("tests/corpus")
}

fn cases(kind: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(corpus().join("cases.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "cases.tsv: {l:?} needs 4 tab-separated columns");
            Case {
                name: f[0].into(),
                kind: f[1].into(),
                source: f[2].into(),
                expected: f[3].into(),
            }
        })
        .filter(|c| c.kind == kind)
        .collect()
}

/// Two generated ledger pages and the truth of each.
struct Generated {
    first: PathBuf,
    second: PathBuf,
    truth_of_first: Vec<Value>,
    truth_of_second: Vec<Value>,
    /// The first page's skew, as the generator turned it (degrees).
    skew_of_first: f64,
}

fn generated(dir: &Path) -> Generated {
    let out = dir.join("generated");
    run_ok(&["synth", s(&out), "--pages", "2", "--seed", "12"]);
    let truth = std::fs::read_to_string(out.join("truth.jsonl")).unwrap();
    let truth_of = |page: &str| -> Vec<Value> {
        truth
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["page"] == page)
            .collect()
    };
    Generated {
        first: out.join("pages/page-0001.png"),
        second: out.join("pages/page-0002.png"),
        truth_of_first: truth_of("page-0001.png"),
        truth_of_second: truth_of("page-0002.png"),
        skew_of_first: skew_of_first(&out),
    }
}

/// The first generated page's skew, from the generator's notes on its pages.
fn skew_of_first(generated: &Path) -> f64 {
    let notes = std::fs::read_to_string(generated.join("pages.jsonl")).unwrap();
    let first: Value = serde_json::from_str(notes.lines().next().unwrap()).unwrap();
    first["degradation"]["skew_degrees"].as_f64().unwrap()
}

fn encode(img: &image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut buf = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut buf), format).unwrap();
    buf
}

/// A small PNG whose header claims `w`×`h`: a decompression bomb before any pixel is read.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut b = encode(
        &image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(300, 300, image::Luma([255]))),
        image::ImageFormat::Png,
    );
    // IHDR data starts at byte 16: width, height (big-endian); its CRC after 13 bytes.
    b[16..20].copy_from_slice(&w.to_be_bytes());
    b[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32fast::hash(&b[12..29]);
    b[29..33].copy_from_slice(&crc.to_be_bytes());
    b
}

/// An unruled page: lines of word-sized blots, as a letter filed among the ledgers.
fn letter() -> image::GrayImage {
    let mut img = image::GrayImage::from_pixel(2480, 3508, image::Luma([255]));
    for line in 0..40u32 {
        let y = 300 + line * 70;
        let mut x = 200;
        for word in 0..14u32 {
            let w = 60 + (line * 7 + word * 13) % 90;
            if x + w > 2280 {
                break;
            }
            for dy in 0..28 {
                for dx in 0..w {
                    img.put_pixel(x + dx, y + dy, image::Luma([30]));
                }
            }
            x += w + 40;
        }
    }
    img
}

/// Where the page lies within its dark frame (recipe `dark-frame`): left, top.
const FRAME_TOP_LEFT: (u32, u32) = (150, 120);

/// Which side of a photographed page was farther from the camera.
#[derive(Clone, Copy)]
enum Slant {
    Top,
    Left,
}

/// A camera over the page on a desk, the top of the page farther away: its top edge
/// inset 2 % of the width each side; or its left side farther away, its left edge inset
/// 2 % of the height at each end (a dark wedge of desk above and below it).
fn photographed(page: &image::DynamicImage, slant: Slant) -> Vec<u8> {
    use imageproc::geometric_transformations::{warp, Interpolation, Projection};
    let (w, h, m) = (page.width() as f32, page.height() as f32, 120.0);
    let mut desk = image::GrayImage::from_pixel(page.width() + 240, page.height() + 240, image::Luma([90]));
    image::imageops::replace(&mut desk, &page.to_luma8(), m as i64, m as i64);
    let square = [(m, m), (m + w, m), (m + w, m + h), (m, m + h)];
    let slanted = match slant {
        Slant::Top => {
            let inset = 0.02 * w;
            [(m + inset, m), (m + w - inset, m), (m + w, m + h), (m, m + h)]
        }
        Slant::Left => {
            let inset = 0.02 * h;
            [(m, m + inset), (m + w, m), (m + w, m + h), (m, m + h - inset)]
        }
    };
    let slant = Projection::from_control_points(square, slanted).unwrap();
    let photo = warp(&desk, &slant, Interpolation::Bilinear, image::Luma([90]));
    encode(&image::DynamicImage::ImageLuma8(photo), image::ImageFormat::Png)
}

fn make(recipe: &str, g: &Generated) -> Vec<u8> {
    let png = std::fs::read(&g.first).unwrap();
    let page = image::load_from_memory(&png).unwrap();
    match recipe {
        "truncated-png" => png[..png.len() / 3].to_vec(),
        "truncated-jpeg" => {
            let jpeg = encode(
                &image::DynamicImage::ImageLuma8(page.to_luma8()),
                image::ImageFormat::Jpeg,
            );
            jpeg[..jpeg.len() / 2].to_vec()
        }
        "corrupted-png" => {
            let mut b = png.clone();
            let mid = b.len() / 2;
            b[mid..mid + 64].iter_mut().for_each(|x| *x ^= 0x5a);
            b
        }
        "corrupted-tiff" => {
            let small = image::DynamicImage::ImageLuma8(page.to_luma8()).thumbnail(400, 600);
            let mut b = encode(&small, image::ImageFormat::Tiff);
            // The first directory's offset points past the end of the file.
            let past = (b.len() as u32 + 4096).to_le_bytes();
            b[4..8].copy_from_slice(&past);
            b
        }
        "bomb-png" => png_claiming(100_000, 100_000),
        "sliver-png" => png_claiming(1, 100_000),
        "blank" => encode(
            &image::DynamicImage::ImageLuma8(image::GrayImage::from_pixel(800, 600, image::Luma([250]))),
            image::ImageFormat::Png,
        ),
        "no-table" => encode(&image::DynamicImage::ImageLuma8(letter()), image::ImageFormat::Png),
        "upside-down" => encode(&page.rotate180(), image::ImageFormat::Png),
        "sideways-left" => encode(&page.rotate270(), image::ImageFormat::Png),
        "sideways-right" => encode(&page.rotate90(), image::ImageFormat::Png),
        // Scanned at 150 dpi and saved as JPEG, as older digitization projects did.
        "half-resolution-jpeg" => {
            let half = page.resize_exact(
                page.width() / 2,
                page.height() / 2,
                image::imageops::FilterType::Triangle,
            );
            encode(
                &image::DynamicImage::ImageLuma8(half.to_luma8()),
                image::ImageFormat::Jpeg,
            )
        }
        // A 600-dpi preservation master.
        "double-resolution" => {
            let double = page.resize_exact(
                page.width() * 2,
                page.height() * 2,
                image::imageops::FilterType::CatmullRom,
            );
            encode(
                &image::DynamicImage::ImageLuma8(double.to_luma8()),
                image::ImageFormat::Png,
            )
        }
        // A bound ledger scanned open: both pages in one image, a gutter between.
        "spread" | "half-resolution-spread" => {
            let second = image::open(&g.second).unwrap().to_luma8();
            let gutter = 120;
            let mut spread = image::GrayImage::from_pixel(
                page.width() + gutter + second.width(),
                page.height().max(second.height()),
                image::Luma([255]),
            );
            image::imageops::replace(&mut spread, &page.to_luma8(), 0, 0);
            image::imageops::replace(&mut spread, &second, (page.width() + gutter) as i64, 0);
            let spread = image::DynamicImage::ImageLuma8(spread);
            if recipe == "spread" {
                return encode(&spread, image::ImageFormat::Png);
            }
            // At 150 dpi as JPEG, its thin rules faint.
            let (w, h) = (spread.width() / 2, spread.height() / 2);
            let half = spread.resize_exact(w, h, image::imageops::FilterType::Triangle);
            encode(&half, image::ImageFormat::Jpeg)
        }
        // A scanner's dark frame round the page (read as scanned, a frame this wide lost
        // every name of this page, narrower ones half its confidence).
        "dark-frame" => {
            let (left, top) = FRAME_TOP_LEFT;
            let mut framed =
                image::GrayImage::from_pixel(page.width() + 2 * left, page.height() + 2 * top, image::Luma([22]));
            image::imageops::replace(&mut framed, &page.to_luma8(), left as i64, top as i64);
            encode(&image::DynamicImage::ImageLuma8(framed), image::ImageFormat::Png)
        }
        // A small ledger form scanned on a large bed, on black: its rules cross a third of
        // the scan's width (read as a page, none was found), and a frame this deep in
        // from every side would be whitened over the table.
        "on-a-large-bed" => {
            let mut bed =
                image::GrayImage::from_pixel(page.width() * 13 / 5, page.height() * 12 / 5, image::Luma([22]));
            image::imageops::replace(&mut bed, &page.to_luma8(), 900, 700);
            encode(&image::DynamicImage::ImageLuma8(bed), image::ImageFormat::Png)
        }
        // A document scanner's bilevel page: CCITT Group 4, white-is-zero. Its threshold
        // keeps the generated page's pale rules (grey 156 on paper near 237).
        "group4-tiff" => {
            use fax::{encoder::Encoder, Color, VecWriter};
            let grey = page.to_luma8();
            let (w, h) = (grey.width() as u16, grey.height() as u16);
            let mut encoder = Encoder::new(VecWriter::new());
            for row in grey.rows() {
                let pels = row.map(|p| if p.0[0] < 185 { Color::Black } else { Color::White });
                encoder.encode_line(pels, w).unwrap();
            }
            fax::tiff::wrap(&encoder.finish().unwrap().finish(), w.into(), h.into())
        }
        // A preservation master: 48-bit colour, LZW with the horizontal predictor.
        "rgb16-tiff" => {
            use tiff::encoder::{colortype::RGB16, Compression, Predictor, TiffEncoder};
            let rgb = page.to_rgb16();
            let mut out = std::io::Cursor::new(Vec::new());
            TiffEncoder::new(&mut out)
                .unwrap()
                .with_compression(Compression::Lzw)
                .with_predictor(Predictor::Horizontal)
                .write_image::<RGB16>(rgb.width(), rgb.height(), rgb.as_raw())
                .unwrap();
            out.into_inner()
        }
        "photographed" => photographed(&page, Slant::Top),
        "photographed-side" => photographed(&page, Slant::Left),
        // A generated page ruled in broken lines (seed 4242's fourth: dashes 40 to 400
        // pixels long, breaks of 6 to 30) so photographed: its borders are followed over
        // their breaks to square it.
        "photographed-broken-rules" => {
            let out = g
                .first
                .parent()
                .unwrap()
                .parent()
                .unwrap()
                .with_file_name("generated-4242");
            run_ok(&["synth", s(&out), "--pages", "4", "--seed", "4242"]);
            let page = image::open(out.join("pages/page-0004.png")).unwrap();
            photographed(&page, Slant::Top)
        }
        // A ledger whose right-hand columns were ruled too faintly to scan: the vertical
        // rules of its last three columns (and its right border) gone, the row rules
        // running on to the table's right edge; or all but those four gone, a table of
        // three columns left to find. The generated rules are pale (grey 156 on paper
        // near 237) and lean with the page's skew: a rule is a line of that lean mostly
        // darker than 200.
        "right-columns-unruled" => unruled(g, Rules::Columns, |starts| starts.len() - 4..starts.len()),
        "most-columns-unruled" => unruled(g, Rules::Columns, |starts| 0..starts.len() - 4),
        // The table's last four row rules (its bottom border among them): its column rules
        // run on below the rows found, past four rows.
        "bottom-rows-unruled" => unruled(g, Rules::Rows, |starts| starts.len() - 4..starts.len()),
        "renamed" => std::fs::read(&g.second).unwrap(),
        other => panic!("cases.tsv: no recipe {other:?}"),
    }
}

/// Which rules of the generated page a recipe erases.
#[derive(Clone, Copy, PartialEq)]
enum Rules {
    Columns,
    Rows,
}

/// The first generated page with the rules `which` picks erased (painted the paper's
/// grey): `which` gets where each rule starts among the lines found dark along most of
/// the page, in order, and returns the range of rules to erase.
fn unruled(g: &Generated, rules: Rules, which: impl Fn(&[usize]) -> std::ops::Range<usize>) -> Vec<u8> {
    let mut grey = image::open(&g.first).unwrap().to_luma8();
    let (w, h) = grey.dimensions();
    // Across a rule and along it: a column rule runs down the page, a row rule across.
    let (across, along) = match rules {
        Rules::Columns => (w, h),
        Rules::Rows => (h, w),
    };
    let pixel = |a: u32, b: u32| match rules {
        Rules::Columns => (a, b),
        Rules::Rows => (b, a),
    };
    let lean = g.skew_of_first.to_radians().tan();
    let at = |a0: u32, b: u32, slope: f64| a0 as f64 + slope * (b as f64 - along as f64 / 2.0);
    let dark_along = |a0: u32, slope: f64| {
        (0..along)
            .filter(|&b| {
                let a = at(a0, b, slope).round();
                let (x, y) = pixel(a as u32, b);
                a >= 0.0 && a < across as f64 && grey.get_pixel(x, y).0[0] < 200
            })
            .count() as u32
    };
    let ruled_at = |slope: f64| {
        (0..across)
            .filter(|&a| dark_along(a, slope) > along / 3)
            .collect::<Vec<u32>>()
    };
    // Which way the page was turned, the rules say.
    let (slope, ruled) = [lean, -lean]
        .map(|s| (s, ruled_at(s)))
        .into_iter()
        .max_by_key(|(_, r)| r.len())
        .unwrap();
    // Each rule a run of neighbouring lines.
    let starts: Vec<usize> = (0..ruled.len())
        .filter(|&i| i == 0 || ruled[i] > ruled[i - 1] + 3)
        .collect();
    assert!(starts.len() > 8, "the generated page has {} rules", starts.len());
    let picked = which(&starts);
    let from = starts[picked.start];
    let to = starts.get(picked.end).copied().unwrap_or(ruled.len());
    for &a0 in &ruled[from..to] {
        for b in 0..along {
            let a = at(a0, b, slope).round() as i64;
            for a in (a - 2).max(0)..(a + 3).min(across as i64) {
                let (x, y) = pixel(a as u32, b);
                grey.put_pixel(x, y, image::Luma([236]));
            }
        }
    }
    encode(&image::DynamicImage::ImageLuma8(grey), image::ImageFormat::Png)
}

fn source_bytes(case: &Case, g: &Generated) -> Vec<u8> {
    match case.source.strip_prefix("make:") {
        Some(recipe) => make(recipe, g),
        None => std::fs::read(corpus().join(&case.source)).unwrap_or_else(|e| panic!("{}: {e}", case.source)),
    }
}

fn expectation<'a>(case: &'a Case, label: &str) -> Option<&'a str> {
    case.expected.strip_prefix(label).map(str::trim)
}

#[test]
fn bad_pages_are_quarantined_or_keyed_and_the_good_ones_read() {
    let dir = tempfile::tempdir().unwrap();
    let g = generated(dir.path());
    let batch = dir.path().join("batch");
    let pages = batch.join("pages");
    std::fs::create_dir_all(&pages).unwrap();
    std::fs::copy(&g.first, pages.join("page-0001.png")).unwrap();
    let cases = cases("page");
    for c in &cases {
        std::fs::write(pages.join(&c.name), source_bytes(c, &g)).unwrap();
    }
    let ws = dir.path().join("ws");
    let ingest = run_json(&["ingest", s(&batch), "--workspace", s(&ws), "--json"]);
    let quarantined: HashMap<String, String> = ingest["quarantined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            let file = Path::new(q["file"].as_str().unwrap());
            (
                file.file_name().unwrap().to_string_lossy().into_owned(),
                q["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let ocr = run_ok(&["ocr", "--workspace", s(&ws)]);
    let said = String::from_utf8_lossy(&ocr.stderr).into_owned();
    let out = dir.path().join("records.jsonl");
    run_ok(&["export", "--workspace", s(&ws), "--format", "jsonl", "--out", s(&out)]);
    let mut records: HashMap<String, Vec<Value>> = HashMap::new();
    for line in std::fs::read_to_string(&out).unwrap().lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        records
            .entry(r["source"]["page"].as_str().unwrap().to_string())
            .or_default()
            .push(r);
    }
    let read = |name: &str| records.get(name).map_or(0, Vec::len);
    assert_eq!(
        read("page-0001.png"),
        g.truth_of_first.len(),
        "the good page beside the bad ones"
    );

    for c in &cases {
        let n = &c.name;
        if let Some(reason) = expectation(c, "quarantined:") {
            let got = quarantined
                .get(n)
                .unwrap_or_else(|| panic!("{n}: not quarantined ({quarantined:?})"));
            assert!(
                got.contains(reason),
                "{n}: quarantined for {got:?}, expected {reason:?}"
            );
        } else if let Some(reason) = expectation(c, "keying:") {
            assert!(
                said.lines().any(|l| l.starts_with(n.as_str()) && l.contains(reason)),
                "{n}: no keying note {reason:?} in:\n{said}"
            );
            assert_eq!(read(n), 0, "{n}: no records from a page to key");
        } else {
            assert!(!quarantined.contains_key(n), "{n}: quarantined: {:?}", quarantined[n]);
            if c.expected == "read-spread" {
                // Every row of both pages, the right-hand page's numbered on.
                let both = g.truth_of_first.len() + g.truth_of_second.len();
                assert_eq!(read(n), both, "{n}: records read");
                // The right-hand page's ID numbers in its rows, numbered on.
                let first = g.truth_of_first.len();
                let with_ids: Vec<(usize, &Value)> = g
                    .truth_of_second
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t["id_number"].is_string())
                    .collect();
                let right = with_ids
                    .iter()
                    .filter(|(i, t)| {
                        records[n.as_str()]
                            .iter()
                            .any(|r| r["source"]["row"] == (first + i + 1) as u64 && r["id_number"] == t["id_number"])
                    })
                    .count();
                assert!(
                    right + 1 >= with_ids.len(),
                    "{n}: {right} of {} ID numbers right",
                    with_ids.len()
                );
                assert!(
                    said.contains(&format!("{n}: two pages in one scan")),
                    "{n}: not said:\n{said}"
                );
            }
            if c.expected == "read-rest-to-key" {
                // The four rows whose rules were erased, and only they, are left to key.
                assert_eq!(read(n) + 4, g.truth_of_first.len(), "{n}: records read");
            } else {
                assert!(read(n) >= 15, "{n}: {} records read", read(n));
            }
            // A table that goes on below the rows found: those rows are kept, numbered
            // from 1, and the page goes to keying for the rest, saying after which row.
            let short_of_rows = format!("{n}: the table goes on below the {} rows read", read(n));
            assert_eq!(
                said.contains(&short_of_rows),
                c.expected == "read-rest-to-key",
                "{n}: expected {} ({short_of_rows:?}):\n{said}",
                c.expected
            );
            if c.expected == "read-rest-to-key" {
                let mut rows: Vec<u64> = records[n.as_str()]
                    .iter()
                    .map(|r| r["source"]["row"].as_u64().unwrap())
                    .collect();
                rows.sort_unstable();
                assert_eq!(rows, (1..=read(n) as u64).collect::<Vec<_>>(), "{n}");
            }
            let short = c.expected == "read-columns-missed";
            assert_eq!(
                said.contains(&format!("{n}: the table's rules run on past the columns found")),
                short,
                "{n}: expected {}:\n{said}",
                c.expected
            );
            if short {
                // Rows that look complete are not: every one goes to review, saying why.
                for r in &records[n.as_str()] {
                    assert_eq!(r["review"]["status"], "needs_review", "{n}: {r}");
                    let findings = r["review"]["findings"].as_array().unwrap();
                    assert!(findings.iter().any(|f| f["code"] == "columns_missed"), "{n}: {r}");
                }
            }
            assert_eq!(
                said.contains(&format!(
                    "{n}: a small form on a larger scan; read where its table lies"
                )),
                c.expected == "read-within",
                "{n}: expected {}:\n{said}",
                c.expected
            );
            assert_eq!(
                said.contains(&format!("{n}: photographed at a slant; read squared")),
                c.expected == "read-squared",
                "{n}: expected {}:\n{said}",
                c.expected
            );
            let turned =
                said.contains(&format!("{n}: scanned upside down")) || said.contains(&format!("{n}: scanned sideways"));
            assert_eq!(
                turned,
                c.expected == "read-turned",
                "{n}: expected {}:\n{said}",
                c.expected
            );
            // (A spread may be resized too, or not.)
            for (resized, expected) in [
                ("low-resolution scan; read enlarged", "read-enlarged"),
                ("high-resolution scan; read reduced", "read-reduced"),
            ] {
                if c.expected != "read-spread" {
                    assert_eq!(
                        said.contains(&format!("{n}: {resized}")),
                        c.expected == expected,
                        "{n}: expected {}:\n{said}",
                        c.expected
                    );
                }
            }
        }
    }

    // The page read turned half or a quarter round, or enlarged, is read as well as the
    // same page upright at 300 dpi.
    let right = |page: &str, field: &str| {
        records[page]
            .iter()
            .filter(|r| {
                let row = r["source"]["row"].as_u64().unwrap();
                let truth = g.truth_of_first.iter().find(|t| t["row"].as_u64() == Some(row));
                truth.is_some_and(|t| t[field].is_string() && t[field] == r[field])
            })
            .count()
    };
    let right_ids = |page: &str| right(page, "id_number");
    let upright = right_ids("page-0001.png");
    assert!(upright >= 10, "ID numbers of the upright page: {upright}");
    // Stored with how it was turned to be read, which the review app turns its cell
    // crops by: a clockwise quarter for the page turned counter-clockwise (rotate270).
    let store = ledgerline_store::Workspace::open_existing(&ws).unwrap();
    for (turned, quarter_turns) in [
        ("upside-down.png", 2),
        ("sideways-left.png", 1),
        ("sideways-right.png", 3),
    ] {
        assert!(
            right_ids(turned) + 1 >= upright,
            "{turned}: {} vs upright {upright}",
            right_ids(turned)
        );
        let stored: i32 = store
            .with_store(|c| {
                Ok(
                    c.query_row("SELECT quarter_turns FROM pages WHERE file_name = ?", [turned], |r| {
                        r.get(0)
                    })?,
                )
            })
            .unwrap();
        assert_eq!(stored, quarter_turns, "{turned}");
    }
    let boxes = |file: &str| -> Vec<[i32; 6]> {
        store
            .with_store(|c| {
                let mut q = c.prepare(
                    "SELECT c.row_no, c.col_no, c.x, c.y, c.w, c.h FROM cells c JOIN pages p USING (page_id)
                     WHERE p.file_name = ? ORDER BY c.row_no, c.col_no",
                )?;
                let rows = q.query_map([file], |r| {
                    Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?])
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .unwrap()
    };
    // Read as scanned, names were 80 % right at 150 dpi and 69 % at 600.
    // The page resized (read as scanned, names were 80 % right at 150 dpi and 69 % at
    // 600), or framed in black by the scanner (33.8 % of fields right on four pages):
    // read as well, its cells boxed in its own pixels (the review app cuts them from the
    // file), where the 300-dpi page's are, resized and moved (to within the rules'
    // inset, which is in the pixels of the page as read).
    for (file, size, (dx, dy)) in [
        ("low-resolution.jpg", 0.5, (0, 0)),
        ("high-resolution.png", 2.0, (0, 0)),
        ("dark-frame.png", 1.0, FRAME_TOP_LEFT),
    ] {
        for field in ["id_number", "deceased_name", "death_date"] {
            let (read, full) = (right(file, field), right("page-0001.png", field));
            assert!(read + 1 >= full, "{file}: {field}: {read} right, {full} at 300 dpi");
        }
        let (moved, full) = (boxes(file), boxes("page-0001.png"));
        assert_eq!(moved.len(), full.len(), "{file}: the same table");
        for (r, f) in moved.iter().zip(&full) {
            assert_eq!(r[..2], f[..2]);
            for i in 2..6 {
                let shift = [0, 0, dx, dy, 0, 0][i] as f64;
                let expected = f[i] as f64 * size + shift;
                assert!(
                    (r[i] as f64 - expected).abs() <= 8.0 * size.max(1.0),
                    "{file}: cell {:?}: {r:?} against {f:?} times {size}, moved {:?}",
                    &r[..2],
                    (dx, dy)
                );
            }
        }
    }
}

#[test]
fn bad_manifests_are_clear_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let g = generated(dir.path());
    for c in cases("manifest") {
        let batch = dir.path().join(&c.name).with_extension("");
        std::fs::create_dir_all(&batch).unwrap();
        std::fs::copy(&g.first, batch.join("page-0001.png")).unwrap();
        std::fs::write(batch.join("batch.toml"), source_bytes(&c, &g)).unwrap();
        let out = run_expect(&["ingest", s(&batch), "--workspace", s(&dir.path().join("ws"))], 2);
        let err = String::from_utf8_lossy(&out.stderr);
        for needle in expectation(&c, "error:").expect("error: …").split('|') {
            assert!(err.contains(needle), "{}: {needle:?} not in {err}", c.name);
        }
    }
}

/// `bad-lines: 3,4; imported: 2` → ([3, 4], 2)
fn bad_lines_and_imported(expected: &str) -> (Vec<u64>, u64) {
    let (lines, imported) = expected
        .strip_prefix("bad-lines:")
        .and_then(|r| r.split_once("; imported:"))
        .expect("bad-lines: N,N…; imported: N");
    (
        lines.split(',').map(|n| n.trim().parse().unwrap()).collect(),
        imported.trim().parse().unwrap(),
    )
}

#[test]
fn broken_live_rows_are_reported_by_line_and_the_rest_imported() {
    let dir = tempfile::tempdir().unwrap();
    let g = generated(dir.path());
    for c in cases("live") {
        let file = dir.path().join(&c.name);
        std::fs::write(&file, source_bytes(&c, &g)).unwrap();
        let target = format!("duckdb:{}", dir.path().join(format!("{}.duckdb", c.name)).display());
        let r = run_json(&["live", "import", s(&file), "--target", &target, "--json"]);
        let (lines, imported) = bad_lines_and_imported(&c.expected);
        let got: Vec<u64> = r["bad_rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["line"].as_u64().unwrap())
            .collect();
        assert_eq!(got, lines, "{}: {r}", c.name);
        assert_eq!(r["imported"].as_u64(), Some(imported), "{}: {r}", c.name);
        assert!(r["bad_rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| !b["problem"].as_str().unwrap().is_empty()));
    }
}

#[test]
fn damaged_exchange_packages_are_refused_with_nothing_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let province = format!("duckdb:{}", dir.path().join("province.duckdb").display());
    let extract = corpus().join("files/live-gbk-broken-rows.csv");
    run_ok(&["live", "import", s(&extract), "--target", &province]);
    let good = dir.path().join("package");
    run_ok(&[
        "exchange",
        "export",
        "--target",
        &province,
        "--province",
        "37",
        "--out",
        s(&good),
    ]);
    for c in cases("package") {
        let pkg = dir.path().join(&c.name);
        let how = c.source.strip_prefix("make:").expect("a package is made: make:RECIPE");
        damaged_package(&good, &pkg, how);
        let nation_path = dir.path().join(format!("{}.duckdb", c.name));
        let nation = format!("duckdb:{}", nation_path.display());
        let out = run_expect(&["exchange", "import", s(&pkg), "--target", &nation], 2);
        let err = String::from_utf8_lossy(&out.stderr);
        let needle = expectation(&c, "error:").expect("error: …");
        assert!(err.contains(needle), "{}: {needle:?} not in {err}", c.name);
        assert!(err.contains(s(&pkg)), "{}: the error names the package: {err}", c.name);
        // Refused on verification, before the database was opened: none is made.
        assert!(!nation_path.exists(), "{}: the database was opened", c.name);
    }
}
