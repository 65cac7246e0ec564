//! Scanned volumes delivered as OFD (GB/T 33190-2016, the national format for
//! fixed-layout documents, in which archives keep digitized files beside PDF): a ZIP
//! package of XML. `OFD.xml` names the document's root (`DocRoot`), the document lists
//! its pages (`Page BaseLoc`) and its resources (`PublicRes`, `DocumentRes`, a page's
//! `PageRes`), a page's content draws images (`ImageObject ResourceID`), and a resource
//! file's `MultiMedia` names the image file (`MediaFile`, under the resource file's
//! `BaseLoc`). Each page's scan is its largest image, decoded as stored (PNG, JPEG, TIFF,
//! or JBIG2); elements are matched by local name, whatever namespace the producer used.

use std::io::{Cursor, Read};

use image::DynamicImage;
use roxmltree::{Document, Node};
use zip::ZipArchive;

use crate::decode::{FrameCount, MAX_PIXELS};

/// Whether the bytes are a ZIP package (an OFD document is one).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// How many pages the OFD document holds.
pub fn count(bytes: &[u8]) -> Result<FrameCount, String> {
    let package = Package::open(bytes)?;
    match package.pages.len() as u32 {
        0 => Err("the OFD document has no pages".into()),
        frames => Ok(FrameCount { frames, broken: None }),
    }
}

/// The scan on page `index` (from 0). Errors name the page.
pub fn frame(bytes: &[u8], index: u32) -> Result<DynamicImage, String> {
    let mut package = Package::open(bytes)?;
    let page = package
        .pages
        .get(index as usize)
        .cloned()
        .ok_or_else(|| format!("page {}: the OFD document has no such page", index + 1))?;
    package.scan_of(&page).map_err(|e| format!("page {}: {e}", index + 1))
}

struct Package<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    /// Where each page's content lies, in the document's order, and the resource files
    /// the document names for every page.
    pages: Vec<String>,
    resources: Vec<String>,
}

/// The largest XML part read (a page's content of a scan is a few hundred bytes).
const MAX_XML: u64 = 64 << 20;

impl<'a> Package<'a> {
    fn open(bytes: &'a [u8]) -> Result<Package<'a>, String> {
        let zip = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| format!("the OFD document is damaged or truncated: its ZIP package cannot be read ({e})"))?;
        let mut package = Package {
            zip,
            pages: Vec::new(),
            resources: Vec::new(),
        };
        let root = package.text("OFD.xml").map_err(|_| {
            "the file is a ZIP archive without OFD.xml, not an OFD document (a volume of scans is read from PNG, JPEG, TIFF, PDF or OFD files)".to_string()
        })?;
        let root = parse(&root, "OFD.xml")?;
        let doc_root =
            first_text(&root.root(), "DocRoot").ok_or("the OFD document is damaged: OFD.xml names no DocRoot")?;
        let document_path = joined("", doc_root);
        let document = package.text(&document_path)?;
        let parsed = parse(&document, &document_path)?;
        let here = folder_of(&document_path);
        package.pages = elements(&parsed, "Page")
            .filter_map(|page| page.attribute("BaseLoc"))
            .map(|loc| joined(&here, loc))
            .collect();
        package.resources = ["PublicRes", "DocumentRes"]
            .iter()
            .flat_map(|name| texts(&parsed, name))
            .map(|res| joined(&here, &res))
            .collect();
        Ok(package)
    }

    fn scan_of(&mut self, page: &str) -> Result<DynamicImage, String> {
        let content = self.text(page)?;
        let parsed = parse(&content, page)?;
        let area = |node: &Node| -> f64 {
            let numbers = numbers(node.attribute("Boundary").unwrap_or(""));
            numbers.get(2).copied().unwrap_or(0.0) * numbers.get(3).copied().unwrap_or(0.0)
        };
        let images: Vec<Node> = elements(&parsed, "ImageObject").collect();
        let Some(scan) = images.iter().max_by(|a, b| area(a).total_cmp(&area(b))) else {
            return Err(
                "it holds no scanned image (a page of text or drawings, not a scan); export it as an image".into(),
            );
        };
        let parts = images.iter().filter(|i| area(i) * 4.0 >= area(scan)).count();
        if parts > 1 {
            return Err(format!(
                "its scan is made of {parts} images (strips or layers); save the OFD again with one image a page, or as TIFF"
            ));
        }
        let id = scan.attribute("ResourceID").ok_or("its image names no resource")?;
        let here = folder_of(page);
        let mut resources: Vec<String> = texts(&parsed, "PageRes").iter().map(|r| joined(&here, r)).collect();
        resources.extend(self.resources.iter().cloned());
        let media = self.media_file(&resources, id)?;
        let bytes = self.bytes(&media, MAX_PIXELS * 4)?;
        decode_media(&bytes).map_err(|e| format!("its image {media}: {e}"))
    }

    /// The image file resource `id` names, looked for in `resources` in turn.
    fn media_file(&mut self, resources: &[String], id: &str) -> Result<String, String> {
        for res in resources {
            let Ok(text) = self.text(res) else { continue };
            let parsed = parse(&text, res)?;
            let base = parsed.root_element().attribute("BaseLoc").unwrap_or("");
            let folder = joined(&folder_of(res), base);
            let found = elements(&parsed, "MultiMedia")
                .find(|m| m.attribute("ID") == Some(id))
                .and_then(|m| first_text(&m, "MediaFile"));
            if let Some(file) = found {
                return Ok(joined(&folder, file));
            }
        }
        Err(format!(
            "its image's resource {id} is in none of the document's resource files"
        ))
    }

    fn text(&mut self, path: &str) -> Result<String, String> {
        String::from_utf8(self.bytes(path, MAX_XML)?).map_err(|_| format!("the OFD document's {path} is not UTF-8"))
    }

    /// A part of the package, no larger than `limit` unpacked.
    fn bytes(&mut self, path: &str, limit: u64) -> Result<Vec<u8>, String> {
        let mut file = self
            .zip
            .by_name(path)
            .map_err(|_| format!("the OFD document is damaged: it has no {path}"))?;
        if file.size() > limit {
            return Err(format!(
                "the OFD document's {path} is {} bytes unpacked, beyond what a page can be",
                file.size()
            ));
        }
        let mut out = Vec::with_capacity(file.size() as usize);
        file.by_ref()
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("the OFD document is damaged: {path} cannot be unpacked ({e})"))?;
        // The size a ZIP entry declares is the packer's word; what unpacks is counted.
        if out.len() as u64 > limit {
            return Err(format!(
                "the OFD document's {path} unpacks to more than {limit} bytes, beyond what a page can be"
            ));
        }
        Ok(out)
    }
}

/// An image file of the package: PNG, JPEG or TIFF as any page is, else JBIG2 (OFD's
/// bilevel images, `.jb2`).
fn decode_media(bytes: &[u8]) -> Result<DynamicImage, String> {
    if crate::decode::sniff(bytes).is_ok() {
        return crate::decode::decode_frame(bytes, 0);
    }
    let settings = hayro_jbig2::DecodeSettings::default();
    let file = hayro_jbig2::File::new(bytes, &settings).map_err(|_| {
        "it is not a PNG, JPEG, TIFF or JBIG2 image; save the OFD again with JPEG or TIFF images".to_string()
    })?;
    let page = file.page(0).ok_or("its JBIG2 file has no page")?;
    crate::decode::check_size(page.width(), page.height())?;
    DynamicImage::from_decoder(page).map_err(|e| format!("its JBIG2 image is damaged: {e}"))
}

fn parse<'x>(text: &'x str, path: &str) -> Result<Document<'x>, String> {
    Document::parse(text).map_err(|e| format!("the OFD document is damaged: {path} is not well-formed XML ({e})"))
}

/// Elements named `name` (in any namespace), in document order.
fn elements<'x, 'i>(doc: &'x Document<'i>, name: &'static str) -> impl Iterator<Item = Node<'x, 'i>> {
    doc.descendants()
        .filter(move |n| n.is_element() && n.tag_name().name() == name)
}

fn texts(doc: &Document, name: &'static str) -> Vec<String> {
    elements(doc, name)
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .filter(|t| !t.is_empty())
        .collect()
}

fn first_text<'x>(node: &Node<'x, '_>, name: &str) -> Option<&'x str> {
    node.descendants()
        .find(|n| n.is_element() && n.tag_name().name() == name)
        .and_then(|n| n.text())
        .map(str::trim)
}

fn numbers(text: &str) -> Vec<f64> {
    text.split_whitespace().filter_map(|n| n.parse().ok()).collect()
}

/// The folder a part lies in, with its trailing slash ("" at the package's root).
fn folder_of(path: &str) -> String {
    path.rfind('/').map_or(String::new(), |at| path[..=at].to_string())
}

/// `path` as named from `folder`: from the package's root when it starts with "/", and
/// with "." and ".." steps taken.
fn joined(folder: &str, path: &str) -> String {
    let start = if path.starts_with('/') { "" } else { folder };
    let mut parts: Vec<&str> = Vec::new();
    for part in start.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode_frame, frame_count};

    fn blocks(shift: u32) -> impl Fn(u32, u32) -> bool {
        move |x, y| (x / 25 + y / 40 + shift).is_multiple_of(3)
    }

    fn assert_blocks(image: &DynamicImage, black: impl Fn(u32, u32) -> bool, what: &str) {
        let grey = image.to_luma8();
        assert_eq!(grey.dimensions(), (200, 200), "{what}");
        for (x, y, p) in grey.enumerate_pixels() {
            assert_eq!(p.0[0] < 128, black(x, y), "{what}: ({x}, {y})");
        }
    }

    #[test]
    fn an_ofd_made_by_another_producer_is_read_page_by_page() {
        // Written by easyofd (PyPI) from two 200×200 scans, in its own namespace.
        let bytes = include_bytes!("../tests/fixtures/two-scans-easyofd.ofd");
        let count = frame_count(bytes).expect("counted");
        assert_eq!((count.frames, count.broken), (2, None));
        for page in 0..2 {
            let image = decode_frame(bytes, page).expect("decoded");
            assert_blocks(&image, blocks(page), &format!("page {}", page + 1));
        }
    }

    /// An OFD package of `parts` (path, content).
    fn package(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (path, content) in parts {
            zip.start_file(*path, zip::write::SimpleFileOptions::default()).unwrap();
            std::io::Write::write_all(&mut zip, content).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    const NS: &str = r#"xmlns:ofd="http://www.ofdspec.org/2016""#;

    #[test]
    fn pages_resources_and_images_are_found_where_their_paths_say() {
        // The standard namespace; an absolute DocRoot; a page's own resource file, found
        // from the page's folder by "..", holding a TIFF scan; a page of text only.
        let scan = image::GrayImage::from_fn(200, 200, |x, y| image::Luma([if blocks(2)(x, y) { 0 } else { 255 }]));
        let mut tiff = Cursor::new(Vec::new());
        image::DynamicImage::ImageLuma8(scan)
            .write_to(&mut tiff, image::ImageFormat::Tiff)
            .unwrap();
        let xml = |body: String| format!(r#"<?xml version="1.0" encoding="UTF-8"?>{body}"#).into_bytes();
        let bytes = package(&[
            (
                "OFD.xml",
                xml(format!(
                    r#"<ofd:OFD {NS} Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocRoot>/Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#
                )),
            ),
            (
                "Doc_0/Document.xml",
                xml(format!(
                    r#"<ofd:Document {NS}><ofd:CommonData><ofd:MaxUnitID>9</ofd:MaxUnitID><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>
                <ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/><ofd:Page ID="2" BaseLoc="Pages/Page_1/Content.xml"/></ofd:Pages></ofd:Document>"#
                )),
            ),
            (
                "Doc_0/PublicRes.xml",
                xml(format!(r#"<ofd:Res {NS} BaseLoc="Res"><ofd:Fonts/></ofd:Res>"#)),
            ),
            (
                "Doc_0/Pages/Page_0/Content.xml",
                xml(format!(
                    r#"<ofd:Page {NS}><ofd:PageRes>../PageRes.xml</ofd:PageRes><ofd:Content><ofd:Layer ID="2">
                <ofd:ImageObject ID="3" Boundary="0 0 210 297" CTM="210 0 0 297 0 0" ResourceID="7"/>
                <ofd:ImageObject ID="4" Boundary="10 10 30 20" CTM="30 0 0 20 0 0" ResourceID="8"/></ofd:Layer></ofd:Content></ofd:Page>"#
                )),
            ),
            (
                "Doc_0/Pages/PageRes.xml",
                xml(format!(
                    r#"<ofd:Res {NS} BaseLoc="/Doc_0/Scans"><ofd:MultiMedias>
                <ofd:MultiMedia ID="7" Type="Image" Format="TIFF"><ofd:MediaFile>scan-1.tif</ofd:MediaFile></ofd:MultiMedia>
                <ofd:MultiMedia ID="8" Type="Image"><ofd:MediaFile>seal.png</ofd:MediaFile></ofd:MultiMedia></ofd:MultiMedias></ofd:Res>"#
                )),
            ),
            ("Doc_0/Scans/scan-1.tif", tiff.into_inner()),
            (
                "Doc_0/Pages/Page_1/Content.xml",
                xml(format!(
                    r#"<ofd:Page {NS}><ofd:Content><ofd:Layer ID="5"><ofd:TextObject ID="6" Boundary="0 0 100 10" Font="1" Size="5"><ofd:TextCode X="0" Y="5">附记</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"#
                )),
            ),
        ]);
        assert_eq!(frame_count(&bytes).expect("counted").frames, 2);
        assert_blocks(
            &decode_frame(&bytes, 0).expect("decoded"),
            blocks(2),
            "page 1: the seal beside the scan is not the page",
        );
        assert_eq!(
            decode_frame(&bytes, 1).unwrap_err(),
            "page 2: it holds no scanned image (a page of text or drawings, not a scan); export it as an image"
        );
        assert_eq!(
            decode_frame(&bytes, 2).unwrap_err(),
            "page 3: the OFD document has no such page"
        );
    }

    #[test]
    fn a_bilevel_scan_stored_as_jbig2_is_read() {
        let xml = |body: &str| format!(r#"<?xml version="1.0" encoding="UTF-8"?>{body}"#).into_bytes();
        let bytes = package(&[
            (
                "OFD.xml",
                xml(&format!(
                    r#"<ofd:OFD {NS}><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#
                )),
            ),
            (
                "Doc_0/Document.xml",
                xml(&format!(
                    r#"<ofd:Document {NS}><ofd:CommonData><ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes></ofd:CommonData>
                <ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>"#
                )),
            ),
            (
                "Doc_0/DocumentRes.xml",
                xml(&format!(
                    r#"<ofd:Res {NS} BaseLoc="Res"><ofd:MultiMedias>
                <ofd:MultiMedia ID="4" Type="Image" Format="JB2"><ofd:MediaFile>scan.jb2</ofd:MediaFile></ofd:MultiMedia></ofd:MultiMedias></ofd:Res>"#
                )),
            ),
            (
                "Doc_0/Pages/Page_0/Content.xml",
                xml(&format!(
                    r#"<ofd:Page {NS}><ofd:Content><ofd:Layer ID="2">
                <ofd:ImageObject ID="3" Boundary="0 0 210 297" CTM="210 0 0 297 0 0" ResourceID="4"/></ofd:Layer></ofd:Content></ofd:Page>"#
                )),
            ),
            ("Doc_0/Res/scan.jb2", crate::test_pages::jbig2_file(233, 211)),
        ]);
        let page = decode_frame(&bytes, 0).expect("decoded");
        crate::test_pages::assert_bilevel(&page, "JBIG2 in an OFD");
    }

    #[test]
    fn a_zip_that_is_no_ofd_and_a_truncated_package_are_named() {
        let not_ofd = package(&[("word/document.xml", b"<w:document/>".to_vec())]);
        assert!(frame_count(&not_ofd)
            .unwrap_err()
            .starts_with("the file is a ZIP archive without OFD.xml, not an OFD document"));
        let bytes = include_bytes!("../tests/fixtures/two-scans-easyofd.ofd");
        let e = frame_count(&bytes[..bytes.len() / 2]).unwrap_err();
        assert!(e.starts_with("the OFD document is damaged or truncated"), "{e}");
        assert_eq!(joined("Doc_0/Pages/Page_0/", "../../Res/a.jpg"), "Doc_0/Res/a.jpg");
        assert_eq!(joined("Doc_0/", "/Res/./a.jpg"), "Res/a.jpg");
    }
}
