//! Decoding page images safely. The format comes from the file's bytes, not its name;
//! sizes are checked before pixels are allocated, so a decompression bomb is refused
//! cheaply; every failure is a sentence an archivist can act on.

use std::borrow::Cow;
use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// Largest side we accept: a 600-dpi A2 scan is ~10,000 px.
pub const MAX_SIDE: u32 = 20_000;
/// Largest area, in pixels (also bounds memory: ~1.2 GB as RGB at the most).
pub const MAX_PIXELS: u64 = 400_000_000;
/// Smallest side of a page: below this nothing is legible.
pub const MIN_SIDE: u32 = 200;
/// A page is longer than it is wide by at most this factor (a ledger spread is ~1.5).
pub const MAX_ASPECT: f64 = 8.0;

/// What kind of file the bytes say this is.
pub fn sniff(bytes: &[u8]) -> Result<ImageFormat, String> {
    match bytes {
        [] => Err("the file is empty (0 bytes)".into()),
        [0x89, b'P', b'N', b'G', ..] => Ok(ImageFormat::Png),
        [0xFF, 0xD8, 0xFF, ..] => Ok(ImageFormat::Jpeg),
        // Classic TIFF, and BigTIFF (43), which scanners write past 4 GiB.
        [b'I', b'I', 42 | 43, 0, ..] | [b'M', b'M', 0, 42 | 43, ..] => Ok(ImageFormat::Tiff),
        _ if is_pdf(bytes) => Err("the file is a PDF document, not an image".into()),
        [b'P', b'K', 3, 4, ..] => Err("the file is a ZIP package (an OFD document is one), not an image".into()),
        b if b.len() >= 16 && std::str::from_utf8(&b[..16]).is_ok() => Err("the file is text, not an image".into()),
        _ => Err("the file is not a PNG, JPEG, TIFF, PDF or OFD file (unrecognized header)".into()),
    }
}

/// The first kilobyte of a file (all of a shorter one): as much as [`sniff`] and
/// [`is_document`] look at, read without reading a volume of hundreds of megabytes whole.
pub fn head_of(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(HEAD);
    std::fs::File::open(path)?.take(HEAD as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Where [`is_pdf`] looks for a PDF's header.
const HEAD: usize = 1024;

/// Whether the bytes (or the first kilobyte of them) are a volume of pages as a document,
/// PDF or OFD, rather than an image file.
pub fn is_document(bytes: &[u8]) -> bool {
    matches!(kind(bytes), Ok(Kind::Pdf | Kind::Ofd))
}

/// Whether the bytes are a PDF document: its header within the first kilobyte, where
/// readers look for it.
fn is_pdf(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(HEAD)].windows(5).any(|w| w == b"%PDF-")
}

/// A page's size: within the bounds of [`check_bounds`], and the shape of a page.
pub(crate) fn check_size(w: u32, h: u32) -> Result<(), String> {
    check_bounds(w, h)?;
    if w < MIN_SIDE || h < MIN_SIDE {
        return Err(format!(
            "{w}×{h} pixels is too small to be a scanned page (under {MIN_SIDE} pixels)"
        ));
    }
    let aspect = f64::from(w.max(h)) / f64::from(w.min(h));
    if aspect > MAX_ASPECT {
        return Err(format!(
            "{w}×{h} pixels is not the shape of a page (aspect ratio {aspect:.0}:1)"
        ));
    }
    Ok(())
}

/// An image no larger than a page can be, checked before its pixels are allocated: what
/// a part of a page (a strip, a layer of a PDF's scan) must pass, and a page too.
pub(crate) fn check_bounds(w: u32, h: u32) -> Result<(), String> {
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(format!(
            "{w}×{h} pixels is beyond the {MAX_SIDE}-pixel / {}-megapixel limit (a decompression bomb or a mis-set scanner)",
            MAX_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_PIXELS * 4);
    l
}

/// How many pages a file holds: the frames of a TIFF, the pages of a PDF or OFD, one for any
/// other image.
#[derive(Debug)]
pub struct FrameCount {
    pub frames: u32,
    /// Why no frame after the last counted can be found, when a multi-page TIFF's chain
    /// of frames breaks: the frames before it are pages all the same.
    pub broken: Option<String>,
}

/// How many pages the file holds (see [`FrameCount`]); an error when it holds none that
/// can be found, or is no image this reads.
pub fn frame_count(bytes: &[u8]) -> Result<FrameCount, String> {
    PageFile::open(bytes)?.frame_count()
}

/// Page `index` (from 0) of a file: a frame of a multi-page TIFF or a page of a PDF or OFD,
/// decoded alone, so a volume scanned into one file of hundreds of pages costs one page's
/// memory and time. To read several pages of one file, open it once ([`PageFile`]).
pub fn decode_frame(bytes: &[u8], index: u32) -> Result<DynamicImage, String> {
    PageFile::open(bytes)?.decode_frame(index)
}

/// A page file opened to read its pages: a PDF parsed once, whatever else its bytes.
///
/// Each page of a PDF volume was read from a parse of the whole document: ingest of a
/// 500-page, 400 MB volume took 26 s (52 ms a page, growing with the volume), and OCR
/// held a parse of the volume per worker beside its bytes, for every page it read.
pub struct PageFile<'a>(Opened<'a>);

enum Opened<'a> {
    /// The document owns its streams: the bytes it was parsed from are let go.
    Pdf(Box<lopdf::Document>),
    Ofd(Cow<'a, [u8]>),
    Tiff(Cow<'a, [u8]>),
    /// A PNG or JPEG file: one page.
    Single(Cow<'a, [u8]>, ImageFormat),
}

impl<'a> PageFile<'a> {
    /// The file, its kind known from its bytes; a PDF is parsed here. An error names a file
    /// that is no page file this reads, or a PDF that cannot be parsed.
    pub fn open(bytes: impl Into<Cow<'a, [u8]>>) -> Result<PageFile<'a>, String> {
        let bytes = bytes.into();
        reading(|| {
            Ok(PageFile(match kind(&bytes)? {
                Kind::Pdf => Opened::Pdf(Box::new(crate::pdf_pages::load(&bytes)?)),
                Kind::Ofd => Opened::Ofd(bytes),
                Kind::Image(ImageFormat::Tiff) => Opened::Tiff(bytes),
                Kind::Image(format) => Opened::Single(bytes, format),
            }))
        })
    }

    /// How many pages the file holds (see [`FrameCount`]).
    pub fn frame_count(&self) -> Result<FrameCount, String> {
        reading(|| match &self.0 {
            Opened::Pdf(doc) => crate::pdf_pages::count(doc),
            Opened::Ofd(bytes) => crate::ofd_pages::count(bytes),
            Opened::Tiff(bytes) => crate::tiff_frames::count(bytes),
            Opened::Single(..) => Ok(FrameCount {
                frames: 1,
                broken: None,
            }),
        })
    }

    /// Page `index` (from 0), checked as a page.
    pub fn decode_frame(&self, index: u32) -> Result<DynamicImage, String> {
        reading(|| match &self.0 {
            Opened::Pdf(doc) => crate::pdf_pages::frame(doc, index),
            Opened::Ofd(bytes) => crate::ofd_pages::frame(bytes, index),
            Opened::Tiff(bytes) => crate::tiff_frames::frame(bytes, index),
            Opened::Single(_, format) if index > 0 => Err(format!(
                "the {format:?} image holds one page, not a frame {}",
                index + 1
            )),
            Opened::Single(bytes, format) => decode_single(bytes, *format),
        })
        .and_then(page_sized)
    }

    /// Whether the file holds pages as a document (PDF, OFD) or may hold several frames
    /// (TIFF): worth keeping open while its pages are read.
    pub fn is_volume(&self) -> bool {
        !matches!(self.0, Opened::Single(..))
    }
}

/// A page as a reader made it is checked again as a page: the size a codec decodes to
/// can differ from the one its container declared and was checked for (a PDF's fax image
/// of fewer columns than the image's width).
fn page_sized(page: DynamicImage) -> Result<DynamicImage, String> {
    check_size(page.width(), page.height())?;
    Ok(page)
}

/// Runs `work` so that a bug it meets (a panic) is returned as its message instead of
/// unwinding further. A damaged file can take a format's reader, ours or a codec crate's
/// under it, down a path nobody foresaw; that must cost the file, quarantined, and not
/// the batch, which would otherwise stop on it again at every re-run.
pub fn guarded<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

/// The reason a file is quarantined when its reader failed on it unforeseen.
fn unforeseen(panic: &str) -> String {
    format!("the file is damaged in a way its reader did not foresee: {panic}")
}

/// A reader's work on a file, [`guarded`]: a panic is one more reason the file is refused.
fn reading<T>(work: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    guarded(work).unwrap_or_else(|panic| Err(unforeseen(&panic)))
}

/// What a page file is: an image, or a volume of pages as a document.
enum Kind {
    Image(ImageFormat),
    Pdf,
    Ofd,
}

/// An image's own signature decides first: a PDF header or a ZIP's is looked for only
/// in a file that is no image.
fn kind(bytes: &[u8]) -> Result<Kind, String> {
    match sniff(bytes) {
        Ok(format) => Ok(Kind::Image(format)),
        Err(_) if is_pdf(bytes) => Ok(Kind::Pdf),
        Err(_) if crate::ofd_pages::is_zip(bytes) => Ok(Kind::Ofd),
        Err(e) => Err(e),
    }
}

/// Every page a file holds; the first that cannot be read fails the whole. The tests'
/// way to see a file whole: ingest, OCR and the review app decode a page at a time.
#[cfg(test)]
pub(crate) fn decode(bytes: &[u8]) -> Result<Vec<DynamicImage>, String> {
    let count = frame_count(bytes)?;
    let frames = (0..count.frames)
        .map(|index| decode_frame(bytes, index))
        .collect::<Result<Vec<_>, _>>()?;
    match count.broken {
        Some(reason) => Err(reason),
        None => Ok(frames),
    }
}

/// An `image` reader of `bytes`, once the size its header gives is within a page's
/// bounds, limited to what a page may allocate; `unreadable` says why a header cannot be read.
/// The dimensions come first, without limits, so an oversized image gets our message,
/// not the decoder's generic "limits exceeded"; and the image's own size is the one
/// checked, whatever a container round it (a PDF) declared.
pub(crate) fn page_reader(
    bytes: &[u8],
    format: ImageFormat,
    unreadable: impl FnOnce(image::ImageError) -> String,
) -> Result<ImageReader<Cursor<&[u8]>>, String> {
    let (w, h) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(unreadable)?;
    // Within bounds: a PDF's JPEG may be a strip of its page. The page it makes is
    // checked as a page (`page_sized`).
    check_bounds(w, h)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    Ok(reader)
}

/// A PNG or JPEG file's one page, as the file says to show it.
fn decode_single(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, String> {
    let reader = page_reader(bytes, format, |e| format!("cannot read the {format:?} header: {e}"))?;
    // JPEG decoders fill a cut-off scan with grey and report success: half a ledger page
    // would be read as if whole. A complete JPEG ends with its end-of-image marker.
    if format == ImageFormat::Jpeg && !ends_with_jpeg_eoi(bytes) {
        return Err("the Jpeg image is damaged or truncated: it stops before its end-of-image marker".into());
    }
    let damaged = |e: image::ImageError| format!("the {format:?} image is damaged or truncated: {e}");
    let mut decoder = reader.into_decoder().map_err(damaged)?;
    let orientation = stored_orientation(&mut decoder);
    let mut image = DynamicImage::from_decoder(decoder).map_err(damaged)?;
    // As the file says to show it (a camera's or phone's photo of a page, most often):
    // as every browser shows it, so the review app's boxes lie on what it shows.
    image.apply_orientation(orientation);
    Ok(image)
}

/// How the file's metadata (Exif orientation, in a JPEG or PNG) says its pixels are to be
/// turned or flipped to be shown; unreadable metadata is no turn.
fn stored_orientation(decoder: &mut impl ImageDecoder) -> Orientation {
    decoder.orientation().unwrap_or(Orientation::NoTransforms)
}

/// Whether a JPEG or PNG file's pixels are stored otherwise than shown (see
/// [`decode_frame`]): such a file cannot be given to a browser as it is, beside boxes in the
/// pixels as shown, by a browser that ignores the turn.
pub fn stored_turned(bytes: &[u8]) -> bool {
    let Ok(format) = sniff(bytes) else { return false };
    if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
        return false;
    }
    ImageReader::with_format(Cursor::new(bytes), format)
        .into_decoder()
        .is_ok_and(|mut decoder| stored_orientation(&mut decoder) != Orientation::NoTransforms)
}

/// Whether the bytes end with FF D9 (scanners sometimes pad the file after it).
fn ends_with_jpeg_eoi(bytes: &[u8]) -> bool {
    let end = bytes
        .iter()
        .rposition(|&b| b != 0x00 && b != 0xFF && !b.is_ascii_whitespace());
    // The marker's D9 is the last byte that is not padding.
    end.is_some_and(|i| bytes[i] == 0xD9 && i >= 1 && bytes[i - 1] == 0xFF)
}

/// Whether a page carries anything at all: a blank sheet or a black frame is not a page.
pub fn blank_reason(image: &DynamicImage) -> Option<String> {
    let grey = image.to_luma8();
    let (w, h) = grey.dimensions();
    // Sample a grid rather than every pixel: blankness is a whole-page property.
    let step = ((w.min(h) / 200).max(1)) as usize;
    let mut n = 0u64;
    let mut dark = 0u64;
    for y in (0..h).step_by(step) {
        for x in (0..w).step_by(step) {
            n += 1;
            if grey.get_pixel(x, y)[0] < 128 {
                dark += 1;
            }
        }
    }
    let share = dark as f64 / n.max(1) as f64;
    if share < 0.002 {
        Some("the page is blank (no ink found)".into())
    } else if share > 0.9 {
        Some("the page is almost entirely dark (lens cap, or an inverted scan)".into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JPEG of `image` whose Exif says to show it turned (orientation `tag`: 6 is a
    /// quarter turn clockwise).
    fn jpeg_oriented(image: &DynamicImage, tag: u16) -> Vec<u8> {
        use image::ImageEncoder;
        // A little-endian Exif block: one directory of one entry, the orientation.
        let mut exif = vec![b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0];
        exif.extend_from_slice(&tag.to_le_bytes());
        exif.extend_from_slice(&[0; 6]);
        let mut bytes = Vec::new();
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 95);
        encoder.set_exif_metadata(exif).unwrap();
        let grey = image.to_luma8();
        encoder
            .write_image(grey.as_raw(), grey.width(), grey.height(), image::ExtendedColorType::L8)
            .unwrap();
        bytes
    }

    #[test]
    fn a_photo_stored_turned_is_decoded_as_it_is_to_be_shown() {
        // 300 wide, 220 high, a dark block at its top left.
        let stored = DynamicImage::ImageLuma8(image::GrayImage::from_fn(300, 220, |x, y| {
            image::Luma([if x < 60 && y < 40 { 20 } else { 240 }])
        }));
        let turned = jpeg_oriented(&stored, 6);
        assert!(stored_turned(&turned));
        let page = decode(&turned).expect("decoded")[0].to_luma8();
        // Turned a quarter clockwise: 220 wide, 300 high, the block at the top right.
        assert_eq!(page.dimensions(), (220, 300));
        assert!(page.get_pixel(200, 20).0[0] < 80, "the block, turned");
        assert!(page.get_pixel(20, 20).0[0] > 200);
        let upright = jpeg_oriented(&stored, 1);
        assert!(!stored_turned(&upright));
        assert_eq!(decode(&upright).expect("decoded")[0].width(), 300);
    }

    #[test]
    fn a_reader_that_panics_is_an_error_naming_the_panic() {
        let got: Result<u32, String> = guarded(|| {
            let cells: Vec<u32> = Vec::new();
            cells[3]
        });
        assert!(got.unwrap_err().contains("index out of bounds"));
        assert_eq!(guarded(|| 7), Ok(7));
    }

    #[test]
    fn sniff_names_the_problem() {
        assert!(sniff(b"").unwrap_err().contains("empty"));
        assert!(sniff(b"%PDF-1.7 rest of it").unwrap_err().contains("PDF"));
        assert!(sniff(b"this is a plain text file").unwrap_err().contains("text"));
        assert_eq!(sniff(&[0x89, b'P', b'N', b'G', 0, 0]).unwrap(), ImageFormat::Png);
    }

    #[test]
    fn an_image_signature_decides_before_a_volume_header_further_in() {
        // A PNG whose metadata happens to quote a PDF header is a PNG.
        let png = [&[0x89, b'P', b'N', b'G', 13, 10, 26, 10][..], b"tEXt note %PDF-1.7"].concat();
        assert!(matches!(kind(&png), Ok(Kind::Image(ImageFormat::Png))));
        assert!(!is_document(&png));
        assert!(matches!(kind(b"junk first\n%PDF-1.7\n"), Ok(Kind::Pdf)));
        assert!(matches!(kind(b"PK\x03\x04rest"), Ok(Kind::Ofd)));
        assert!(is_document(b"PK\x03\x04rest"));
    }

    #[test]
    fn absurd_shapes_are_refused() {
        assert!(check_size(1, 100_000).is_err());
        assert!(check_size(100_000, 100_000).unwrap_err().contains("decompression bomb"));
        assert!(check_size(3508, 2480).is_ok());
        assert!(check_size(300, 5000).unwrap_err().contains("aspect"));
    }

    #[test]
    fn a_jpeg_is_whole_when_it_ends_with_its_marker() {
        assert!(ends_with_jpeg_eoi(&[0xFF, 0xD8, 0x01, 0xFF, 0xD9]));
        assert!(ends_with_jpeg_eoi(&[0xFF, 0xD8, 0x01, 0xFF, 0xD9, 0, 0, b'\n']));
        assert!(!ends_with_jpeg_eoi(&[0xFF, 0xD8, 0x01, 0x02, 0x03]));
        assert!(!ends_with_jpeg_eoi(&[0xD9]));
    }
}
