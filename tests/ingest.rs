//! `ledgerline ingest`: good pages in, bad pages quarantined with a reason naming the
//! file and the problem, the same image recorded once, re-runs change nothing, and two
//! processes can work on one workspace at once.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn png_bytes(w: u32, h: u32) -> Vec<u8> {
    let img = image::GrayImage::from_fn(w, h, |x, y| {
        image::Luma([if (x / 20 + y / 20) % 7 == 0 { 0 } else { 255 }])
    });
    let mut buf = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut buf), image::ImageFormat::Png)
        .unwrap();
    buf
}

/// A small valid PNG whose header claims `w`×`h`: what a decompression bomb looks like
/// before any pixel is read.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut b = png_bytes(300, 300);
    // IHDR data starts at byte 16: width, height (big-endian); CRC after 13 data bytes.
    b[16..20].copy_from_slice(&w.to_be_bytes());
    b[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32fast::hash(&b[12..29]);
    b[29..33].copy_from_slice(&crc.to_be_bytes());
    b
}

fn two_page_tiff(path: &Path) {
    use tiff::encoder::{colortype, TiffEncoder};
    let f = std::fs::File::create(path).unwrap();
    let mut enc = TiffEncoder::new(f).unwrap();
    for shade in [0u8, 60] {
        let data: Vec<u8> = (0..400 * 300).map(|i| if i % 97 < 5 { shade } else { 255 }).collect();
        enc.write_image::<colortype::Gray8>(400, 300, &data).unwrap();
    }
}

/// Where each directory of a little-endian TIFF lies, and where tag `tag`'s value lies in
/// the directory at `at`.
fn directories(tiff: &[u8]) -> Vec<usize> {
    let number = |at: usize, n: usize| tiff[at..at + n].iter().rev().fold(0, |v, &b| v << 8 | b as usize);
    let mut list = Vec::new();
    let mut at = number(4, 4);
    while at != 0 {
        list.push(at);
        at = number(at + 2 + 12 * number(at, 2), 4);
    }
    list
}

fn value_of_tag(tiff: &[u8], directory: usize, tag: u16) -> usize {
    let entries = u16::from_le_bytes([tiff[directory], tiff[directory + 1]]) as usize;
    (0..entries)
        .map(|i| directory + 2 + 12 * i)
        .find(|&e| u16::from_le_bytes([tiff[e], tiff[e + 1]]) == tag)
        .expect("the tag")
        + 8
}

#[test]
fn a_multi_page_tiffs_unreadable_frames_are_quarantined_alone() {
    // A ledger volume scanned into one file: four frames, the second stored in a way
    // nothing here reads, the chain of frames broken after the third.
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("volume/pages");
    std::fs::create_dir_all(&pages).unwrap();
    let mut tiff = std::io::Cursor::new(Vec::new());
    {
        use tiff::encoder::{colortype, TiffEncoder};
        let mut enc = TiffEncoder::new(&mut tiff).unwrap();
        for shade in [0u8, 40, 80, 120] {
            let data: Vec<u8> = (0..400 * 300).map(|i| if i % 89 < 5 { shade } else { 255 }).collect();
            enc.write_image::<colortype::Gray8>(400, 300, &data).unwrap();
        }
    }
    let mut tiff = tiff.into_inner();
    let frames = directories(&tiff);
    assert_eq!(frames.len(), 4);
    let compression = value_of_tag(&tiff, frames[1], 259);
    tiff[compression..compression + 2].copy_from_slice(&34712u16.to_le_bytes()); // JPEG 2000
    let after_third = frames[2] + 2 + 12 * u16::from_le_bytes([tiff[frames[2]], tiff[frames[2] + 1]]) as usize;
    let past_the_end = (tiff.len() as u32 + 64).to_le_bytes();
    tiff[after_third..after_third + 4].copy_from_slice(&past_the_end);
    std::fs::write(pages.join("volume.tif"), &tiff).unwrap();

    let ws = dir.path().join("ws");
    let report = run_json(&["ingest", s(&dir.path().join("volume")), "--workspace", s(&ws), "--json"]);
    assert_eq!(
        report["pages_new"], 4,
        "three frames found, and the break after them: {report}"
    );
    let q = reasons(&report);
    assert_eq!(q.len(), 2, "{q:?}");
    assert!(
        q[0].1
            .starts_with("frame 2: the TIFF image is stored in a way that cannot be read"),
        "{q:?}"
    );
    assert_eq!(
        q[1].1,
        "frame 4: the TIFF image is damaged or truncated: the directory after frame 3 lies outside the file, so no frame after it can be found"
    );
    let status = run_json(&["status", "--workspace", s(&ws), "--json"]);
    assert_eq!(status["batches"][0]["pages"], 4, "{status}");
    assert_eq!(status["batches"][0]["pages_quarantined"], 2, "{status}");
}

/// An image stream of a test PDF: its size, its dictionary's entries beyond the image's
/// type and size, and its stored bytes.
type PdfImage = (u32, u32, lopdf::Dictionary, Vec<u8>);

/// A page of a test PDF: the images its resources hold (`Im0`, `Im1` …), the content that
/// draws them, and its /Rotate.
struct PdfPage {
    images: Vec<PdfImage>,
    content: &'static str,
    rotate: i64,
}

/// A page that is one scan drawn over an A4 page.
fn one_scan(image: PdfImage, rotate: i64) -> PdfPage {
    PdfPage {
        images: vec![image],
        content: "q 595 0 0 842 0 0 cm /Im0 Do Q",
        rotate,
    }
}

fn scanned_pdf(pages: Vec<PdfPage>) -> Vec<u8> {
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.4");
    let tree = doc.new_object_id();
    let mut kids = Vec::new();
    for page in pages {
        let mut xobjects = lopdf::Dictionary::new();
        for (i, (w, h, entries, data)) in page.images.into_iter().enumerate() {
            let mut dict =
                dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => w as i64, "Height" => h as i64 };
            dict.extend(&entries);
            xobjects.set(format!("Im{i}"), doc.add_object(Stream::new(dict, data)));
        }
        let contents = doc.add_object(Stream::new(lopdf::Dictionary::new(), page.content.as_bytes().to_vec()));
        let page = dictionary! { "Type" => "Page", "Parent" => tree, "Contents" => contents, "Rotate" => page.rotate,
        "Resources" => dictionary! { "XObject" => xobjects },
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()] };
        kids.push(Object::Reference(doc.add_object(page)));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        tree,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => tree });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn flate(bytes: &[u8]) -> Vec<u8> {
    let mut flate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut flate, bytes).unwrap();
    flate.finish().unwrap()
}

/// `page` as mixed raster content compresses it: a background with the writing taken
/// out, at a quarter of the resolution (JPEG), and the writing (what is darker than light
/// grey) over it as full-resolution image masks, one for each half of the page, as
/// encoders cut the writing by region and ink: the upper half's painted black, the
/// lower's dark blue.
fn mixed_raster(page: &image::GrayImage) -> PdfPage {
    const WRITING: u8 = 160;
    let (w, h) = page.dimensions();
    let mut paper = page.clone();
    paper.pixels_mut().filter(|p| p.0[0] < 200).for_each(|p| p.0[0] = 240);
    let background = image::imageops::resize(&paper, w / 4, h / 4, image::imageops::FilterType::Triangle);
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageLuma8(background)
        .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    let stride = w.div_ceil(8) as usize;
    let half = h / 2;
    let mask_of = |rows: std::ops::Range<u32>| {
        let mut mask = vec![0xffu8; stride * rows.len()];
        for (i, y) in rows.clone().enumerate() {
            for x in (0..w).filter(|&x| page.get_pixel(x, y).0[0] < WRITING) {
                mask[i * stride + x as usize / 8] &= !(0x80 >> (x % 8));
            }
        }
        let entries = lopdf::dictionary! { "ImageMask" => true, "BitsPerComponent" => 1, "Filter" => "FlateDecode" };
        (w, rows.len() as u32, entries, flate(&mask))
    };
    let dct = lopdf::dictionary! { "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "DCTDecode" };
    assert_eq!(h % 2, 0, "the halves drawn 421 units high each");
    PdfPage {
        images: vec![(w / 4, h / 4, dct, jpeg), mask_of(0..half), mask_of(half..h)],
        content: "q 595 0 0 842 0 0 cm /Im0 Do Q 0 g q 595 0 0 421 0 421 cm /Im1 Do Q \
                  0 0 0.5 rg q 595 0 0 421 0 0 cm /Im2 Do Q",
        rotate: 0,
    }
}

#[test]
fn a_scanned_pdf_volume_is_read_as_its_pages_are() {
    // The sample's pages delivered as one PDF, as scanning vendors deliver a volume: the
    // first a JPEG, the second scanned upside down and stored so (Flate-compressed grey),
    // its page turned back by /Rotate 180, the third as mixed raster content.
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("volume/pages");
    std::fs::create_dir_all(&pages).unwrap();
    let sample_page = |n: u32| {
        image::open(sample_batch().join(format!("pages/page-000{n}.png")))
            .unwrap()
            .to_luma8()
    };
    let (first, second, third) = (sample_page(1), sample_page(2), sample_page(3));
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageLuma8(first.clone())
        .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .unwrap();
    let grey =
        |filter: &str| lopdf::dictionary! { "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => filter };
    let upside_down = image::imageops::rotate180(&second);
    let pdf = scanned_pdf(vec![
        one_scan((first.width(), first.height(), grey("DCTDecode"), jpeg), 0),
        one_scan(
            (
                second.width(),
                second.height(),
                grey("FlateDecode"),
                flate(upside_down.as_raw()),
            ),
            180,
        ),
        // The third compressed as mixed raster content: read from its layers composed.
        mixed_raster(&third),
    ]);
    std::fs::write(pages.join("volume.pdf"), pdf).unwrap();

    let ws = dir.path().join("ws");
    let run = run_json(&["run", s(&dir.path().join("volume")), "--workspace", s(&ws), "--json"]);
    assert_eq!(run["pages"], 3, "{run}");
    assert_eq!(run["batch"]["pages_read"], 3, "{run}");
    // The sample's truth for those pages, named as the volume's pages are.
    let truth: String = std::fs::read_to_string(sample_batch().join("truth.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|line| {
            let n = (1..=3).find(|n| line.contains(&format!("\"page\":\"page-000{n}.png\"")))?;
            Some(line.replace(&format!("page-000{n}.png"), &format!("volume.pdf#{n}")) + "\n")
        })
        .collect();
    let truth_file = dir.path().join("truth.jsonl");
    std::fs::write(&truth_file, truth).unwrap();
    let eval = run_json(&["eval", "--workspace", s(&ws), "--truth", s(&truth_file), "--json"]);
    assert_eq!(
        (eval["rows_missed"].as_u64(), eval["rows_invented"].as_u64()),
        (Some(0), Some(0)),
        "{eval}"
    );
    assert!(eval["truth_rows"].as_u64().unwrap() > 20, "{eval}");
    assert!(eval["all_fields_accuracy"].as_f64().unwrap() > 0.95, "{eval}");

    // The OCR bench's baseline, the tesseract command line, reads no PDF: the bench says
    // so before reading anything.
    let bench = run_expect(&["bench", "ocr", s(&dir.path().join("volume")), "--json"], 2);
    let said = String::from_utf8_lossy(&bench.stderr);
    assert!(
        said.contains(
            "volume.pdf: a PDF or OFD volume; bench ocr times ledgerline beside the plain tesseract command line"
        ),
        "{said}"
    );
}

fn reasons(report: &Value) -> Vec<(String, String)> {
    report["quarantined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            let file = Path::new(q["file"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (file, q["reason"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn good_and_bad_pages() {
    let dir = tempfile::tempdir().unwrap();
    let batch = dir.path().join("卷三 2012");
    let pages = batch.join("pages");
    std::fs::create_dir_all(&pages).unwrap();
    let sample = sample_batch().join("pages/page-0001.png");
    std::fs::copy(&sample, pages.join("page-0001.png")).unwrap();
    std::fs::copy(&sample, pages.join("第一页 副本.png")).unwrap();
    std::fs::copy(sample_batch().join("pages/page-0002.png"), pages.join("page-0002.png")).unwrap();
    two_page_tiff(&pages.join("scan.tif"));
    std::fs::write(pages.join("empty.png"), b"").unwrap();
    let good = std::fs::read(&sample).unwrap();
    std::fs::write(pages.join("truncated.png"), &good[..good.len() / 3]).unwrap();
    std::fs::write(pages.join("report.png"), b"%PDF-1.4\n1 0 obj << >> endobj\n").unwrap();
    std::fs::write(pages.join("notes.png"), b"this file is a plain text note\n").unwrap();
    std::fs::write(pages.join("bomb.png"), png_claiming(100_000, 100_000)).unwrap();
    std::fs::write(pages.join("sliver.png"), png_claiming(1, 100_000)).unwrap();
    std::fs::write(pages.join("blank.png"), image_blank()).unwrap();
    std::fs::write(pages.join("readme.txt"), b"not a page").unwrap();
    // A folder among the pages is not a page, and not read; the report names it.
    std::fs::create_dir(pages.join("备份")).unwrap();
    std::fs::copy(&sample, pages.join("备份/page-0001.png")).unwrap();

    let ws = dir.path().join("ws");
    let report = run_json(&["ingest", s(&batch), "--workspace", s(&ws), "--json"]);
    assert_eq!(report["manifest_inferred"], true);
    assert_eq!(report["folders_not_read"], serde_json::json!([s(&pages.join("备份"))]));
    assert_eq!(report["batch_id"], "卷三_2012");
    let q = reasons(&report);
    let reason_of = |f: &str| {
        q.iter()
            .find(|(n, _)| n == f)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{f} not quarantined: {q:?}"))
    };
    assert!(reason_of("empty.png").contains("empty"));
    assert!(reason_of("truncated.png").contains("damaged or truncated"));
    assert!(reason_of("report.png").contains("PDF"));
    assert!(reason_of("notes.png").contains("text"));
    assert!(reason_of("bomb.png").contains("decompression bomb"));
    assert!(reason_of("sliver.png").contains("1×100000"));
    assert!(reason_of("blank.png").contains("blank"));
    assert!(reason_of("readme.txt").contains("not a page image"));
    assert_eq!(q.len(), 8, "{q:?}");
    // Two sample pages + two TIFF frames are good; the copy under another name is one page.
    let dups: Vec<String> = report["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    assert_eq!(dups.len(), 1, "{dups:?}");
    assert_eq!(report["pages_new"].as_u64().unwrap(), 4 + 8);

    let again = run_json(&["ingest", s(&batch), "--workspace", s(&ws), "--json"]);
    assert_eq!(again["pages_new"], 0, "a re-run adds nothing: {again}");
    assert_eq!(
        again["pages_known"].as_u64().unwrap(),
        report["files"].as_u64().unwrap() - 1
    );

    let status = run_json(&["status", "--workspace", s(&ws), "--json"]);
    let b = &status["batches"][0];
    assert_eq!(b["pages"].as_u64().unwrap(), 12);
    assert_eq!(b["pages_quarantined"].as_u64().unwrap(), 8);

    // `run` over the ingested batch reads its good pages; its summary counts the batch's
    // quarantined pages, though this run quarantined none of them.
    let run = run_json(&["run", s(&batch), "--workspace", s(&ws), "--jobs", "1", "--json"]);
    assert_eq!(run["ingest"]["quarantined"].as_array().unwrap().len(), 0, "{run}");
    assert_eq!(run["pages"], 12, "{run}");
    assert_eq!(run["quarantined_pages"], 8, "{run}");
    // The two sample pages are read; the TIFF's frames hold no printed table, to key.
    assert_eq!(run["batch"]["pages_read"], 2, "{run}");
    assert_eq!(run["batch"]["pages_needing_keying"], 2, "{run}");
    assert_eq!(run["batch"]["pages_keyed"], 0, "none keyed yet: {run}");
    assert_eq!(run["batch"]["records"], run["records"], "{run}");
}

fn image_blank() -> Vec<u8> {
    let img = image::GrayImage::from_pixel(800, 600, image::Luma([250]));
    let mut buf = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut buf), image::ImageFormat::Png)
        .unwrap();
    buf
}

/// An archive's folder of volumes (or an empty folder) given as a batch is refused, with
/// what it holds, before a workspace or an empty batch is made of it.
#[test]
fn a_folder_without_pages_is_refused_naming_its_folders() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("全宗12");
    for (i, volume) in ["卷01", "卷02"].into_iter().enumerate() {
        std::fs::create_dir_all(archive.join(volume)).unwrap();
        std::fs::copy(
            sample_batch().join(format!("pages/page-000{}.png", i + 1)),
            archive.join(volume).join("p1.png"),
        )
        .unwrap();
    }
    let empty = dir.path().join("空");
    std::fs::create_dir(&empty).unwrap();
    let ws = dir.path().join("ws");
    for (batch, says) in [
        (
            &archive,
            "no page files in it, only folders (卷01, 卷02): a batch is one folder of pages",
        ),
        (&empty, "no page files in it (scans as png, jpg"),
    ] {
        for command in ["ingest", "run"] {
            let out = run_expect(&[command, s(batch), "--workspace", s(&ws)], 2);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(&format!("{}: {says}", batch.display())), "{err}");
            assert!(!ws.exists(), "{command} made a workspace of nothing");
        }
    }
    // Two folders of one batch id are refused, before anything is made.
    let namesake = dir.path().join("别处").join("卷01");
    std::fs::create_dir_all(&namesake).unwrap();
    std::fs::copy(sample_batch().join("pages/page-0003.png"), namesake.join("p1.png")).unwrap();
    let volumes = [archive.join("卷01"), archive.join("卷02")];
    for command in ["ingest", "run"] {
        let out = run_expect(&[command, s(&volumes[0]), s(&namesake), "--workspace", s(&ws)], 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("its batch id \"卷01\" is also that of"),
            "{command}: {err}"
        );
        assert!(!ws.exists());
    }
    // Ingested alone, several folders give a report each.
    let ingest_ws = dir.path().join("ingest-ws");
    let reports = run_json(&[
        "ingest",
        s(&volumes[0]),
        s(&volumes[1]),
        "--workspace",
        s(&ingest_ws),
        "--json",
    ]);
    let ids: Vec<&str> = reports
        .as_array()
        .expect("a report per folder")
        .iter()
        .map(|r| r["batch_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["卷01", "卷02"]);
    // The volumes as batches, in one run: each its own batch, read by one pool.
    let run = run_json(&["run", s(&volumes[0]), s(&volumes[1]), "--workspace", s(&ws), "--json"]);
    let batches = run["batches"].as_array().expect("each batch's figures");
    let ids: Vec<&str> = batches.iter().map(|b| b["batch_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["卷01", "卷02"]);
    assert_eq!(run["pages"], 2, "{run}");
    assert_eq!(run["ocr"]["pages"], 2, "{run}");
    let records: u64 = batches.iter().map(|b| b["batch"]["records"].as_u64().unwrap()).sum();
    assert!(records > 0 && run["records"] == records, "{run}");
}

#[test]
fn bad_manifest_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let batch = dir.path().join("b");
    std::fs::create_dir_all(&batch).unwrap();
    std::fs::write(batch.join("batch.toml"), "batch_id = \"b\"\nscan_dpi = \"high\"\n").unwrap();
    let out = run_expect(&["ingest", s(&batch), "--workspace", s(&dir.path().join("ws"))], 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("batch.toml") && err.contains("scan_dpi"), "{err}");
}

#[test]
fn two_processes_share_one_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    let mut batches = Vec::new();
    for name in ["vol1", "vol2"] {
        let b = dir.path().join(name);
        std::fs::create_dir_all(&b).unwrap();
        for n in 1..=3 {
            let src = sample_batch().join(format!("pages/page-000{n}.png"));
            // Bytes after IEND are ignored by decoders: distinct images per batch.
            let mut bytes = std::fs::read(src).unwrap();
            bytes.extend_from_slice(name.as_bytes());
            std::fs::write(b.join(format!("p{n}.png")), bytes).unwrap();
        }
        batches.push(b);
    }
    let children: Vec<_> = batches
        .iter()
        .map(|b| {
            std::process::Command::new(bin())
                .args(["ingest", s(b), "--workspace", s(&ws), "--json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let status = run_json(&["status", "--workspace", s(&ws), "--json"]);
    let batches = status["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 2, "{status}");
    assert!(batches.iter().all(|b| b["pages"] == 3), "{status}");
}
