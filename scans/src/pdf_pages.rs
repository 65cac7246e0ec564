//! Scanned ledgers delivered as PDF: one scanned image a page, as scanning vendors deliver
//! a volume and as DA/T 31 allows an archive to keep one. Each page is read alone, its
//! scan taken from the file as it is stored (not rendered): the page's largest image,
//! found among its resources (also inside form XObjects), decoded from whatever the
//! scanner wrote — JPEG (DCTDecode), JPEG 2000 (JPXDecode), JBIG2 (with its globals),
//! CCITT Group 3 or 4, or raw samples (grey, RGB, CMYK, ICC-based, indexed; 1 to 16
//! bits; Flate, LZW, run-length or ASCII-encoded) — and turned or flipped as the page's
//! content places it and as its /Rotate says. A scan cut into strips or layers is composed as
//! the page draws them ([`crate::pdf_layers`]); a page that is text rather than a scan is
//! named as such, not guessed at.

use image::{DynamicImage, GrayImage, RgbImage};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use crate::decode::{check_bounds, page_reader, FrameCount, MAX_PIXELS, MAX_SIDE};
use crate::tiff_palette;

/// How many pages the PDF holds.
pub fn count(doc: &Document) -> Result<FrameCount, String> {
    match doc.get_pages().len() as u32 {
        0 => Err("the PDF document has no pages".into()),
        frames => Ok(FrameCount { frames, broken: None }),
    }
}

/// The scan on page `index` (from 0). Errors name the page.
pub fn frame(doc: &Document, index: u32) -> Result<DynamicImage, String> {
    let page = doc.get_pages().into_values().nth(index as usize);
    let page = page.ok_or_else(|| format!("page {}: the PDF document has no such page", index + 1))?;
    scan_of(doc, page).map_err(|e| format!("page {}: {e}", index + 1))
}

/// The document parsed, once for all the pages read of it (see
/// [`crate::decode::PageFile`]).
pub fn load(bytes: &[u8]) -> Result<Document, String> {
    let mut doc = Document::load_mem(bytes).map_err(|e| format!("the PDF document is damaged or truncated: {e}"))?;
    // A PDF with only an owner password opens with the empty user password.
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err("the PDF document is protected by a password; save it again without one".into());
    }
    Ok(doc)
}

/// The page's scan, shown as the page turns it.
fn scan_of(doc: &Document, page_id: ObjectId) -> Result<DynamicImage, String> {
    let page = doc.get_dictionary(page_id).map_err(damaged)?;
    let resources = inherited(doc, page, b"Resources").and_then(|r| dictionary(doc, r));
    let walked = crate::pdf_layers::walk_page(doc, page_id, resources);
    let mut images = Vec::new();
    if let Some(resources) = resources {
        collect_images(doc, resources, &mut images, 0);
    }
    let area = |s: &Stream| {
        let side = |key: &[u8]| integer(&s.dict, key).unwrap_or(0).max(0);
        side(b"Width").saturating_mul(side(b"Height"))
    };
    let Some(&scan) = images.iter().max_by_key(|s| area(s)) else {
        return Err(match walked.inline_images {
            0 => "it holds no scanned image (a page of text or drawings, not a scan); export it as an image".into(),
            _ => "it holds no scanned image object, only an image written inline in its content, which is not read here; if that is the page's scan, save the PDF again with it as an image object, or as TIFF".into(),
        });
    };
    // Small images beside the scan (a logo, a stamp) are not the page; large ones are
    // parts of it: strips or layers, composed as the page draws them.
    let parts = images
        .iter()
        .filter(|i| area(i).saturating_mul(4) >= area(scan))
        .count();
    let drawn = walked.drawn;
    // Layers of mixed raster content differ in resolution, so only where the page draws
    // them tells them from a logo beside the scan.
    let parts = parts.max(crate::pdf_layers::large_parts(&drawn));
    let image = if parts > 1 {
        crate::pdf_layers::compose(doc, &drawn, |s| decode_image(doc, s))?.ok_or_else(|| {
            format!(
                "its scan is made of {parts} images (strips or layers) laid in a way not composed here (turned or slanted on the page, or not drawn by it); save the PDF again with one image a page, or as TIFF"
            )
        })?
    } else {
        placed(decode_image(doc, scan)?, placement(&drawn, scan))
    };
    let turn = inherited(doc, page, b"Rotate")
        .and_then(|r| r.as_i64().ok())
        .unwrap_or(0);
    Ok(match turn.rem_euclid(360) {
        90 => image.rotate90(),
        180 => image.rotate180(),
        270 => image.rotate270(),
        _ => image,
    })
}

/// Where the page's content draws `scan`: the matrix in effect at its `Do` (the image's
/// unit square to the page), without its move; `None` when the page does not draw it, or
/// its content cannot be read (the scan is then taken upright).
fn placement(drawn: &[crate::pdf_layers::Drawn], scan: &Stream) -> Option<[f64; 4]> {
    let d = drawn.iter().find(|d| std::ptr::eq(d.stream, scan))?;
    let [a, b, c, d, ..] = d.matrix;
    Some([a, b, c, d])
}

/// The scan as its placement shows it on the page, in whole quarter turns and flips
/// (a scanner that turns a page in its content rather than by /Rotate). The image's
/// columns run along the matrix's first row, its rows upward along the second.
fn placed(image: DynamicImage, matrix: Option<[f64; 4]>) -> DynamicImage {
    let Some([a, b, c, d]) = matrix else { return image };
    // A mirrored placement is the image read upside down, then turned: where its columns
    // run then says the turn.
    let image = if a * d - b * c < 0.0 { image.flipv() } else { image };
    match (a.abs() >= b.abs(), a >= 0.0, b >= 0.0) {
        (true, true, _) => image,
        (true, false, _) => image.rotate180(),
        // Its columns run up the page: it lies turned a quarter anticlockwise.
        (false, _, true) => image.rotate270(),
        (false, _, false) => image.rotate90(),
    }
}

/// The page's value for `key`, or the nearest page-tree ancestor's (Resources and
/// Rotate are inherited).
fn inherited<'a>(doc: &'a Document, page: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    let mut node = page;
    for _ in 0..64 {
        if let Ok(value) = node.get(key) {
            return Some(resolve(doc, value));
        }
        node = node.get(b"Parent").ok().and_then(|p| dictionary(doc, p))?;
    }
    None
}

pub(crate) fn resolve<'a>(doc: &'a Document, object: &'a Object) -> &'a Object {
    match object {
        Object::Reference(id) => doc.get_object(*id).unwrap_or(object),
        other => other,
    }
}

pub(crate) fn dictionary<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Dictionary> {
    match resolve(doc, object) {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

/// The images a page's resources draw, each once, looking into form XObjects too.
fn collect_images<'a>(doc: &'a Document, resources: &'a Dictionary, out: &mut Vec<&'a Stream>, depth: u32) {
    let Some(xobjects) = resources.get(b"XObject").ok().and_then(|x| dictionary(doc, x)) else {
        return;
    };
    for (_, object) in xobjects.iter() {
        let Object::Stream(stream) = resolve(doc, object) else {
            continue;
        };
        match stream.dict.get(b"Subtype").and_then(Object::as_name) {
            Ok(b"Image") if !out.iter().any(|s| std::ptr::eq(*s, stream)) => out.push(stream),
            Ok(b"Form") if depth < 4 => {
                if let Some(inner) = stream.dict.get(b"Resources").ok().and_then(|r| dictionary(doc, r)) {
                    collect_images(doc, inner, out, depth + 1);
                }
            }
            _ => {}
        }
    }
}

fn integer(dict: &Dictionary, key: &[u8]) -> Option<i64> {
    dict.get(key).ok()?.as_i64().ok()
}

fn damaged(e: lopdf::Error) -> String {
    format!("the PDF document is damaged: {e}")
}

/// The codecs that make an image of their own; any other filter is a transport
/// encoding undone before them.
const IMAGE_CODECS: [&[u8]; 4] = [b"DCTDecode", b"JPXDecode", b"JBIG2Decode", b"CCITTFaxDecode"];

fn decode_image(doc: &Document, stream: &Stream) -> Result<DynamicImage, String> {
    let dict = &stream.dict;
    let side = |key: &[u8]| integer(dict, key).and_then(|v| u32::try_from(v).ok()).unwrap_or(0);
    let (w, h) = (side(b"Width"), side(b"Height"));
    check_bounds(w, h)?;
    let mut filters: Vec<Vec<u8>> = match dict.get(b"Filter").map(|f| resolve(doc, f)) {
        Ok(Object::Name(name)) => vec![full_filter_name(name)],
        Ok(Object::Array(names)) => names
            .iter()
            .filter_map(|n| n.as_name().ok())
            .map(full_filter_name)
            .collect(),
        _ => Vec::new(),
    };
    let mut params: Vec<Option<&Dictionary>> = match dict.get(b"DecodeParms").map(|p| resolve(doc, p)) {
        Ok(Object::Array(list)) => list.iter().map(|p| dictionary(doc, p)).collect(),
        Ok(other) => vec![dictionary(doc, other)],
        Err(_) => Vec::new(),
    };
    params.resize(filters.len(), None);
    let codec = match filters.last() {
        Some(last) if IMAGE_CODECS.contains(&last.as_slice()) => filters.pop(),
        _ => None,
    };
    let codec_params = params.get(filters.len()).copied().flatten();
    let data = undo_transport(stream, &filters, &params[..filters.len()])?;
    let image = match codec.as_deref() {
        Some(b"DCTDecode") => jpeg(&data)?,
        Some(b"JPXDecode") => {
            let jpx = hayro_jpeg2000::Image::new(&data, &hayro_jpeg2000::DecodeSettings::default())
                .map_err(|e| format!("its JPEG 2000 image is damaged: {e:?}"))?;
            // The codestream's own size is what gets allocated, whatever the PDF says.
            check_bounds(jpx.width(), jpx.height())?;
            DynamicImage::from_decoder(jpx).map_err(|e| format!("its JPEG 2000 image is damaged: {e}"))?
        }
        Some(b"JBIG2Decode") => jbig2(doc, &data, codec_params)?,
        Some(b"CCITTFaxDecode") => ccitt(&data, w, h, codec_params)?,
        _ => return raw(doc, dict, &data, w, h),
    };
    Ok(with_decode_array(dict, image))
}

/// A filter's name as streams must spell it (inline images' abbreviations are seen in
/// streams too).
fn full_filter_name(name: &[u8]) -> Vec<u8> {
    let full: &[u8] = match name {
        b"AHx" => b"ASCIIHexDecode",
        b"A85" => b"ASCII85Decode",
        b"LZW" => b"LZWDecode",
        b"Fl" => b"FlateDecode",
        b"RL" => b"RunLengthDecode",
        b"CCF" => b"CCITTFaxDecode",
        b"DCT" => b"DCTDecode",
        other => other,
    };
    full.to_vec()
}

/// The stream's data with its transport filters (those before the image codec) undone,
/// no larger than a page can be.
fn undo_transport(stream: &Stream, filters: &[Vec<u8>], params: &[Option<&Dictionary>]) -> Result<Vec<u8>, String> {
    if filters.is_empty() {
        return Ok(stream.content.clone());
    }
    let mut transport = Stream::new(Dictionary::new(), stream.content.clone());
    let names = filters.iter().map(|f| Object::Name(f.clone())).collect();
    transport.dict.set("Filter", Object::Array(names));
    let params = params
        .iter()
        .map(|p| p.map_or(Object::Null, |d| Object::Dictionary(d.clone())))
        .collect();
    transport.dict.set("DecodeParms", Object::Array(params));
    let limit = (MAX_PIXELS * 8) as usize;
    transport
        .decompressed_content_with_limit(limit)
        .map_err(|e| format!("its image data cannot be decoded ({e})"))
}

fn jpeg(data: &[u8]) -> Result<DynamicImage, String> {
    let damaged = |e: image::ImageError| format!("its JPEG image is damaged or truncated: {e}");
    page_reader(data, image::ImageFormat::Jpeg, damaged)?
        .decode()
        .map_err(damaged)
}

fn jbig2(doc: &Document, data: &[u8], params: Option<&Dictionary>) -> Result<DynamicImage, String> {
    let settings = hayro_jbig2::DecodeSettings::default();
    let globals_stream = params
        .and_then(|p| p.get(b"JBIG2Globals").ok())
        .map(|g| resolve(doc, g))
        .and_then(|g| g.as_stream().ok());
    let globals = match globals_stream {
        Some(stream) => {
            let bytes = stream.decompressed_content().unwrap_or_else(|_| stream.content.clone());
            Some(
                hayro_jbig2::Globals::new(&bytes, &settings)
                    .map_err(|e| format!("its JBIG2 globals are damaged: {e:?}"))?,
            )
        }
        None => None,
    };
    let page = hayro_jbig2::Page::new_embedded(data, globals.as_ref(), &settings)
        .map_err(|e| format!("its JBIG2 image is damaged: {e:?}"))?;
    let (w, h) = (page.width(), page.height());
    check_bounds(w, h)?;
    DynamicImage::from_decoder(page).map_err(|e| format!("its JBIG2 image is damaged: {e}"))
}

/// A CCITT fax image. The decoder's black runs are samples of 0 unless `BlackIs1`, as the
/// PDF filter defines them; the image's Decode array is applied after.
fn ccitt(data: &[u8], w: u32, h: u32, params: Option<&Dictionary>) -> Result<DynamicImage, String> {
    let param = |key: &[u8]| params.and_then(|p| p.get(key).ok());
    let flag = |key: &[u8], default: bool| param(key).and_then(|v| v.as_bool().ok()).unwrap_or(default);
    let k = param(b"K").and_then(|v| v.as_i64().ok()).unwrap_or(0);
    let columns = param(b"Columns").and_then(|v| v.as_i64().ok()).unwrap_or(1728);
    let rows = param(b"Rows").and_then(|v| v.as_i64().ok()).unwrap_or(i64::from(h));
    let columns = u32::try_from(columns)
        .ok()
        .filter(|&c| c <= MAX_SIDE)
        .ok_or_else(|| format!("its fax image has {columns} columns"))?;
    let rows = u32::try_from(rows).unwrap_or(h).min(h);
    let settings = hayro_ccitt::DecodeSettings {
        columns,
        rows,
        end_of_block: flag(b"EndOfBlock", true),
        end_of_line: flag(b"EndOfLine", false),
        rows_are_byte_aligned: flag(b"EncodedByteAlign", false),
        encoding: match k {
            k if k < 0 => hayro_ccitt::EncodingMode::Group4,
            0 => hayro_ccitt::EncodingMode::Group3_1D,
            _ => hayro_ccitt::EncodingMode::Group3_2D,
        },
        strict: false,
    };
    let (black, white) = if flag(b"BlackIs1", false) { (255, 0) } else { (0, 255) };
    let width = w.min(columns);
    let mut grey = GrayImage::from_pixel(width, rows, image::Luma([white]));
    let stride = width as usize;
    crate::fax::decode(data, settings, |y, changes| {
        crate::fax::paint(&mut grey.as_mut()[y * stride..(y + 1) * stride], changes, black)
    })
    .map_err(|e| format!("its fax image is damaged: {e}"))?;
    Ok(DynamicImage::ImageLuma8(grey))
}

/// Raw samples in the image's colour space.
fn raw(doc: &Document, dict: &Dictionary, data: &[u8], w: u32, h: u32) -> Result<DynamicImage, String> {
    let mask = dict.get(b"ImageMask").and_then(Object::as_bool).unwrap_or(false);
    let bits = if mask {
        1
    } else {
        integer(dict, b"BitsPerComponent").unwrap_or(8)
    };
    let space = if mask {
        ColourSpace::Grey
    } else {
        let object = dict
            .get(b"ColorSpace")
            .map(|c| resolve(doc, c))
            .unwrap_or(&Object::Null);
        ColourSpace::of(doc, object)?
    };
    let samples = space.components();
    let stride = (w as usize * samples * bits as usize).div_ceil(8);
    if data.len() < stride * h as usize {
        return Err(format!("its image data is shorter than {w}×{h}"));
    }
    let image = match (space, bits) {
        (ColourSpace::Indexed { base, colours }, 1 | 2 | 4 | 8) => {
            let indices = tiff_palette::unpack(w, h, bits as u8, data).expect("length checked");
            let n = base.components();
            let colour = |i: u8| -> [u8; 3] {
                let at = usize::from(i) * n;
                let c = |k: usize| colours.get(at + k).copied().unwrap_or(0);
                match n {
                    1 => [c(0); 3],
                    4 => crate::tiff_frames::cmyk_to_rgb(&[c(0), c(1), c(2), c(3)])
                        .try_into()
                        .unwrap_or([0; 3]),
                    _ => [c(0), c(1), c(2)],
                }
            };
            DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
                image::Rgb(colour(indices.get_pixel(x, y).0[0]))
            }))
        }
        (ColourSpace::Grey, 1 | 2 | 4) => {
            let mut grey = tiff_palette::unpack(w, h, bits as u8, data).expect("length checked");
            let top = (1u16 << bits) - 1;
            grey.iter_mut().for_each(|v| *v = (u16::from(*v) * 255 / top) as u8);
            with_decode_array(dict, DynamicImage::ImageLuma8(grey))
        }
        (space, 8 | 16) => {
            // Sixteen-bit samples are big-endian: their first byte is the top eight bits.
            let step = (bits / 8) as usize;
            let rows = (0..h as usize).flat_map(|y| {
                data[y * stride..y * stride + w as usize * samples * step]
                    .iter()
                    .step_by(step)
            });
            let eight: Vec<u8> = rows.copied().collect();
            match space {
                ColourSpace::Grey => with_decode_array(dict, DynamicImage::ImageLuma8(grey_of(w, h, eight))),
                ColourSpace::Rgb => DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, eight).expect("length checked")),
                _ => DynamicImage::ImageRgb8(
                    RgbImage::from_raw(w, h, crate::tiff_frames::cmyk_to_rgb(&eight)).expect("length checked"),
                ),
            }
        }
        (space, bits) => {
            return Err(format!(
                "its {bits}-bit {} samples are not read here; {RESAVE}",
                space.name()
            ))
        }
    };
    Ok(image)
}

const RESAVE: &str = "save the PDF again with 8-bit grey or colour, or JPEG, images";

fn grey_of(w: u32, h: u32, samples: Vec<u8>) -> GrayImage {
    GrayImage::from_raw(w, h, samples).expect("length checked")
}

/// A one-component image whose Decode array is [1 0] is its own negative.
fn with_decode_array(dict: &Dictionary, mut image: DynamicImage) -> DynamicImage {
    let inverted = match dict.get(b"Decode").and_then(Object::as_array) {
        Ok(range) => range
            .first()
            .and_then(|v| v.as_float().ok())
            .is_some_and(|first| first > 0.5),
        Err(_) => false,
    };
    if inverted && image.color().channel_count() == 1 {
        image.invert();
    }
    image
}

/// The colour spaces a scan's raw samples come in.
enum ColourSpace {
    Grey,
    Rgb,
    Cmyk,
    Indexed { base: Box<ColourSpace>, colours: Vec<u8> },
}

impl ColourSpace {
    fn of(doc: &Document, object: &Object) -> Result<ColourSpace, String> {
        let unread = |name: &[u8]| {
            format!(
                "its colour space {} is not read here; {RESAVE}",
                String::from_utf8_lossy(name)
            )
        };
        match object {
            Object::Name(name) => match name.as_slice() {
                b"DeviceGray" | b"CalGray" | b"G" => Ok(ColourSpace::Grey),
                b"DeviceRGB" | b"CalRGB" | b"RGB" => Ok(ColourSpace::Rgb),
                b"DeviceCMYK" | b"CMYK" => Ok(ColourSpace::Cmyk),
                other => Err(unread(other)),
            },
            Object::Array(parts) => {
                let family = parts.first().and_then(|f| f.as_name().ok()).unwrap_or(b"");
                match family {
                    b"ICCBased" => {
                        let profile = parts.get(1).map(|p| resolve(doc, p)).and_then(|p| p.as_stream().ok());
                        match profile.and_then(|p| integer(&p.dict, b"N")) {
                            Some(1) => Ok(ColourSpace::Grey),
                            Some(4) => Ok(ColourSpace::Cmyk),
                            _ => Ok(ColourSpace::Rgb),
                        }
                    }
                    b"Indexed" | b"I" => {
                        let base = parts.get(1).map(|b| resolve(doc, b)).unwrap_or(&Object::Null);
                        let base = ColourSpace::of(doc, base)?;
                        let colours = match parts.get(3).map(|l| resolve(doc, l)) {
                            Some(Object::String(bytes, _)) => bytes.clone(),
                            Some(Object::Stream(s)) => s.decompressed_content().unwrap_or_else(|_| s.content.clone()),
                            _ => return Err("its indexed colour space has no colour table".into()),
                        };
                        Ok(ColourSpace::Indexed {
                            base: Box::new(base),
                            colours,
                        })
                    }
                    b"CalGray" => Ok(ColourSpace::Grey),
                    b"CalRGB" => Ok(ColourSpace::Rgb),
                    other => Err(unread(other)),
                }
            }
            Object::Null => Err("its image has no colour space".into()),
            _ => Err("its image's colour space cannot be read".into()),
        }
    }

    fn components(&self) -> usize {
        match self {
            ColourSpace::Grey | ColourSpace::Indexed { .. } => 1,
            ColourSpace::Rgb => 3,
            ColourSpace::Cmyk => 4,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            ColourSpace::Grey => "grey",
            ColourSpace::Rgb => "RGB",
            ColourSpace::Cmyk => "CMYK",
            ColourSpace::Indexed { .. } => "indexed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pages::{assert_bilevel, group4};
    use lopdf::dictionary;
    use std::io::Cursor;

    /// One page of a test PDF: the images its resources hold (drawn or not), perhaps
    /// inside a form XObject, and its own /Rotate.
    #[derive(Default)]
    struct PageSpec {
        images: Vec<Stream>,
        in_form: bool,
        rotate: Option<i64>,
        /// The page's content, if not the scan drawn upright over the page.
        content: Option<&'static str>,
        /// Masks of its images: (the image's index, `Mask` or `SMask`, the mask).
        masks: Vec<(usize, &'static str, Stream)>,
    }

    /// A PDF of `pages`; `rotate_all`: a /Rotate its page tree's root gives every page.
    fn pdf(pages: Vec<PageSpec>, rotate_all: Option<i64>) -> Vec<u8> {
        let mut doc = Document::with_version("1.5");
        let tree = doc.new_object_id();
        let mut kids = Vec::new();
        for spec in pages {
            let mut xobjects = Dictionary::new();
            let mut masks = spec.masks;
            for (i, mut image) in spec.images.into_iter().enumerate() {
                for (_, key, mask) in masks.extract_if(.., |(of, ..)| *of == i) {
                    image.dict.set(key, doc.add_object(mask));
                }
                xobjects.set(format!("Im{i}"), doc.add_object(image));
            }
            if spec.in_form {
                let form = Stream::new(
                    dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 1.into(), 1.into()],
                    "Resources" => dictionary! { "XObject" => xobjects } },
                    b"/Im0 Do".to_vec(),
                );
                xobjects = dictionary! { "Fm0" => doc.add_object(form) };
            }
            let drawn = spec.content.unwrap_or("q 595 0 0 842 0 0 cm /Im0 Do Q");
            let contents = doc.add_object(Stream::new(Dictionary::new(), drawn.as_bytes().to_vec()));
            let mut page = dictionary! { "Type" => "Page", "Parent" => tree, "Contents" => contents,
            "Resources" => dictionary! { "XObject" => xobjects },
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()] };
            if let Some(turn) = spec.rotate {
                page.set("Rotate", turn);
            }
            kids.push(Object::Reference(doc.add_object(page)));
        }
        let mut root = dictionary! { "Type" => "Pages", "Count" => kids.len() as i64, "Kids" => kids };
        if let Some(turn) = rotate_all {
            root.set("Rotate", turn);
        }
        doc.objects.insert(tree, Object::Dictionary(root));
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => tree });
        doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    fn image_stream(w: u32, h: u32, extra: Dictionary, data: Vec<u8>) -> Stream {
        let mut dict =
            dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => w as i64, "Height" => h as i64 };
        dict.extend(&extra);
        Stream::new(dict, data)
    }

    fn page(w: u32, h: u32) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| image::Luma([((x * 5 + y * 11) % 256) as u8]))
    }

    fn flate_grey(page: &GrayImage) -> Stream {
        let grey = dictionary! { "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8 };
        let mut stream = image_stream(page.width(), page.height(), grey, page.as_raw().clone());
        stream.compress().unwrap();
        assert!(stream.dict.get(b"Filter").is_ok());
        stream
    }

    fn pages_of(bytes: &[u8]) -> Vec<Result<DynamicImage, String>> {
        let count = crate::decode::frame_count(bytes).expect("counted");
        assert_eq!(count.broken, None);
        (0..count.frames)
            .map(|i| crate::decode::decode_frame(bytes, i))
            .collect()
    }

    #[test]
    fn jpeg_and_flate_scans_are_read_a_page_at_a_time_turned_as_the_page_says() {
        let (first, second) = (page(240, 230), page(230, 250));
        let mut jpeg = Vec::new();
        DynamicImage::ImageLuma8(first.clone())
            .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        let dct = image_stream(
            240,
            230,
            dictionary! { "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "DCTDecode" },
            jpeg,
        );
        let bytes = pdf(
            vec![
                PageSpec {
                    images: vec![dct],
                    ..Default::default()
                },
                PageSpec {
                    images: vec![flate_grey(&second)],
                    rotate: Some(-90),
                    ..Default::default()
                },
            ],
            None,
        );
        let read = pages_of(&bytes);
        assert_eq!(read.len(), 2);
        let jpeg_page = read[0].as_ref().unwrap().to_luma8();
        assert_eq!(jpeg_page.dimensions(), (240, 230));
        let off = jpeg_page
            .pixels()
            .zip(first.pixels())
            .map(|(a, b)| a.0[0].abs_diff(b.0[0]) as u64)
            .sum::<u64>();
        assert!(off / (240 * 230) < 4, "JPEG within its loss: {off}");
        // -90 is 270: turned clockwise three quarters to be shown.
        assert_eq!(
            read[1].as_ref().unwrap().as_luma8(),
            Some(&image::imageops::rotate270(&second))
        );
        // A page the document does not have is named.
        let e = crate::decode::decode_frame(&bytes, 2).unwrap_err();
        assert_eq!(e, "page 3: the PDF document has no such page");
    }

    #[test]
    fn a_rotation_and_a_scan_in_a_form_are_found_where_the_page_tree_puts_them() {
        let scan = page(220, 240);
        let bytes = pdf(
            vec![PageSpec {
                images: vec![flate_grey(&scan)],
                in_form: true,
                ..Default::default()
            }],
            Some(90),
        );
        assert_eq!(
            pages_of(&bytes)[0].as_ref().unwrap().as_luma8(),
            Some(&image::imageops::rotate90(&scan))
        );
    }

    #[test]
    fn a_scan_turned_or_flipped_where_the_page_draws_it_is_shown_as_drawn() {
        let scan = page(230, 210);
        let cases: [(&str, image::GrayImage); 4] = [
            // Its columns up the page, its rows leftward: a quarter turn anticlockwise.
            ("q 0 595 -842 0 842 0 cm /Im0 Do Q", image::imageops::rotate270(&scan)),
            ("q 0 -595 842 0 0 595 cm /Im0 Do Q", image::imageops::rotate90(&scan)),
            // A page drawn upside down, then its image placed upside down: upright.
            ("1 0 0 -1 0 842 cm q 595 0 0 -842 0 842 cm /Im0 Do Q", scan.clone()),
            (
                "q -595 0 0 842 595 0 cm /Im0 Do Q",
                image::imageops::flip_horizontal(&scan),
            ),
        ];
        for (content, shown) in cases {
            let spec = PageSpec {
                images: vec![flate_grey(&scan)],
                content: Some(content),
                ..Default::default()
            };
            let read = pages_of(&pdf(vec![spec], None));
            assert_eq!(read[0].as_ref().unwrap().as_luma8(), Some(&shown), "{content}");
        }
    }

    #[test]
    fn fax_and_jbig2_scans_are_black_on_white_whichever_way_their_bits_say() {
        let (w, h) = (233u32, 211u32);
        let fax = |black_is_1: bool, decode: Option<Vec<Object>>| {
            let mut dict = dictionary! { "ColorSpace" => "DeviceGray", "BitsPerComponent" => 1, "Filter" => "CCITTFaxDecode",
            "DecodeParms" => dictionary! { "K" => -1, "Columns" => w as i64, "Rows" => h as i64, "BlackIs1" => black_is_1 } };
            if let Some(range) = decode {
                dict.set("Decode", range);
            }
            image_stream(w, h, dict, group4(w, h))
        };
        let jbig2 = image_stream(
            w,
            h,
            dictionary! { "ColorSpace" => "DeviceGray", "BitsPerComponent" => 1, "Filter" => "JBIG2Decode" },
            crate::test_pages::jbig2_segments(w, h),
        );
        let one = |image| PageSpec {
            images: vec![image],
            ..Default::default()
        };
        let inverted = Some(vec![1.into(), 0.into()]);
        let bytes = pdf(vec![one(fax(false, None)), one(fax(true, inverted)), one(jbig2)], None);
        let read = pages_of(&bytes);
        for (page, what) in read.iter().zip(["Group 4", "Group 4, BlackIs1, Decode [1 0]", "JBIG2"]) {
            assert_bilevel(page.as_ref().unwrap_or_else(|e| panic!("{what}: {e}")), what);
        }
    }

    #[test]
    fn a_scan_is_checked_at_the_size_its_codec_decodes_to_not_the_size_declared() {
        // Found by fuzz/fuzz_targets/page_file.rs: a fax image of 120 columns in an image
        // declared 233 wide was a page 120 pixels wide, under the smallest page's side.
        let (w, h) = (233u32, 211u32);
        let fax = |columns: i64| {
            let dict = dictionary! { "ColorSpace" => "DeviceGray", "BitsPerComponent" => 1, "Filter" => "CCITTFaxDecode",
            "DecodeParms" => dictionary! { "K" => -1, "Columns" => columns, "Rows" => h as i64 } };
            image_stream(w, h, dict, group4(w, h))
        };
        let mut narrow_jpeg = Vec::new();
        DynamicImage::ImageLuma8(page(120, h))
            .write_to(&mut Cursor::new(&mut narrow_jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        let dct = image_stream(
            w,
            h,
            dictionary! { "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8, "Filter" => "DCTDecode" },
            narrow_jpeg,
        );
        let one = |image| PageSpec {
            images: vec![image],
            ..Default::default()
        };
        let read = pages_of(&pdf(
            vec![one(fax(120)), one(fax(1_000_000)), one(dct), one(fax(w.into()))],
            None,
        ));
        let refused = |i: usize| {
            read[i]
                .as_ref()
                .err()
                .cloned()
                .unwrap_or_else(|| format!("page {i} was read"))
        };
        assert!(refused(0).contains("120×211 pixels is too small"), "{}", refused(0));
        assert!(refused(1).contains("1000000 columns"), "{}", refused(1));
        assert!(refused(2).contains("120×211 pixels is too small"), "{}", refused(2));
        assert_bilevel(read[3].as_ref().expect("the fax as declared"), "Group 4");
    }

    #[test]
    fn a_jpeg_2000_scan_is_read() {
        // Made with Pillow (OpenJPEG), lossless: blocks 25 wide and 40 high, black every third.
        let jp2 = include_bytes!("../tests/fixtures/bilevel-page.jp2").to_vec();
        let stream = image_stream(200, 200, dictionary! { "Filter" => "JPXDecode" }, jp2);
        let read = pages_of(&pdf(
            vec![PageSpec {
                images: vec![stream],
                ..Default::default()
            }],
            None,
        ));
        let grey = read[0].as_ref().unwrap().to_luma8();
        assert_eq!(grey.dimensions(), (200, 200));
        for (x, y, p) in grey.enumerate_pixels() {
            let black = (x / 25 + y / 40).is_multiple_of(3);
            assert_eq!(p.0[0], if black { 0 } else { 255 }, "({x}, {y})");
        }
    }

    #[test]
    fn an_indexed_scan_is_looked_up_in_its_colour_table() {
        let (w, h) = (231u32, 205u32);
        let index = |x: u32, y: u32| ((x / 10 + y / 10) % 3) as u8;
        let stride = w.div_ceil(2) as usize;
        let mut packed = vec![0u8; stride * h as usize];
        for y in 0..h {
            for x in 0..w {
                packed[y as usize * stride + x as usize / 2] |= index(x, y) << if x % 2 == 0 { 4 } else { 0 };
            }
        }
        let table = lopdf::Object::String(
            vec![250, 248, 240, 20, 20, 20, 200, 30, 40],
            lopdf::StringFormat::Hexadecimal,
        );
        let space = vec![
            Object::Name(b"Indexed".to_vec()),
            Object::Name(b"DeviceRGB".to_vec()),
            2.into(),
            table,
        ];
        let stream = image_stream(
            w,
            h,
            dictionary! { "ColorSpace" => space, "BitsPerComponent" => 4 },
            packed,
        );
        let read = pages_of(&pdf(
            vec![PageSpec {
                images: vec![stream],
                ..Default::default()
            }],
            None,
        ));
        let colours = [[250, 248, 240], [20, 20, 20], [200, 30, 40]];
        let rgb = read[0].as_ref().unwrap().to_rgb8();
        for (x, y, p) in rgb.enumerate_pixels() {
            assert_eq!(p.0, colours[index(x, y) as usize], "({x}, {y})");
        }
    }

    #[test]
    fn what_is_not_one_scan_is_named() {
        let text = PageSpec::default();
        let logo = flate_grey(&page(240, 30));
        let with_logo = PageSpec {
            images: vec![flate_grey(&page(400, 300)), logo],
            ..Default::default()
        };
        // Two strips, one drawn turned a quarter: not composed.
        let strips = PageSpec {
            images: vec![flate_grey(&page(400, 300)), flate_grey(&page(400, 280))],
            content: Some("q 0 400 -300 0 300 280 cm /Im0 Do Q q 400 0 0 280 0 0 cm /Im1 Do Q"),
            ..Default::default()
        };
        // A scan written into the content as an inline image (compressed: lopdf skips it).
        let inline = PageSpec {
            content: Some("q 300 0 0 300 0 0 cm BI /W 2 /H 2 /BPC 8 /CS /G /F /AHx ID 00ff00ff> EI Q"),
            ..Default::default()
        };
        let bytes = pdf(vec![text, with_logo, strips, inline], None);
        let read = pages_of(&bytes);
        assert_eq!(
            read[0].as_ref().unwrap_err(),
            "page 1: it holds no scanned image (a page of text or drawings, not a scan); export it as an image"
        );
        assert_eq!(
            (read[1].as_ref().unwrap().width(), read[1].as_ref().unwrap().height()),
            (400, 300),
            "a logo beside the scan is not the page"
        );
        assert!(
            read[2]
                .as_ref()
                .unwrap_err()
                .starts_with("page 3: its scan is made of 2 images (strips or layers) laid in a way not composed"),
            "{:?}",
            read[2]
        );
        assert!(
            read[3]
                .as_ref()
                .unwrap_err()
                .starts_with("page 4: it holds no scanned image object, only an image written inline"),
            "{:?}",
            read[3]
        );
        let e = crate::decode::frame_count(&bytes[..bytes.len() / 3]).expect_err("refused");
        assert!(e.starts_with("the PDF document is damaged or truncated"), "{e}");
    }

    /// An image mask `w`×`h` (1 bit, a sample of 0 paints), painting where `paints` says.
    fn image_mask(w: u32, h: u32, paints: impl Fn(u32, u32) -> bool) -> Stream {
        let stride = w.div_ceil(8) as usize;
        let mut bits = vec![0xffu8; stride * h as usize];
        for y in 0..h {
            for x in (0..w).filter(|&x| paints(x, y)) {
                bits[y as usize * stride + x as usize / 8] &= !(0x80 >> (x % 8));
            }
        }
        image_stream(w, h, dictionary! { "ImageMask" => true, "BitsPerComponent" => 1 }, bits)
    }

    #[test]
    fn a_scan_in_strips_is_composed_as_the_page_lays_them() {
        // Four strips of 150 rows (each under a page's smallest side), drawn one under
        // another at a pixel a unit: the page whole, every pixel where it was.
        let scan = page(400, 600);
        let strip = |i: u32| flate_grey(&image::imageops::crop_imm(&scan, 0, i * 150, 400, 150).to_image());
        // A small image a damaged file places far off the page is left out.
        let stray = flate_grey(&page(20, 20));
        let spec = PageSpec {
            images: (0..4).map(strip).chain([stray]).collect(),
            content: Some(
                "q 400 0 0 150 0 450 cm /Im0 Do Q q 400 0 0 150 0 300 cm /Im1 Do Q \
                 q 400 0 0 150 0 150 cm /Im2 Do Q q 400 0 0 150 0 0 cm /Im3 Do Q \
                 q 20 0 0 20 -99999999999 99999999999 cm /Im4 Do Q",
            ),
            ..Default::default()
        };
        let read = pages_of(&pdf(vec![spec], Some(90)));
        assert_eq!(
            read[0].as_ref().unwrap().as_luma8(),
            Some(&image::imageops::rotate90(&scan)),
            "composed, then turned as the page says"
        );
    }

    #[test]
    fn a_mixed_raster_page_is_its_background_with_its_writing_painted_over() {
        // MRC as compressors write it: a background at a quarter of the resolution, the
        // writing as a full-resolution JBIG2 mask painted in its ink's colour, and a
        // colour image shown only through its stencil.
        let (w, h) = (400u32, 600u32);
        let paper = GrayImage::from_fn(w / 4, h / 4, |_, y| image::Luma([if y < h / 8 { 230 } else { 200 }]));
        let writing = image_stream(
            w,
            h,
            dictionary! { "ImageMask" => true, "BitsPerComponent" => 1, "Filter" => "JBIG2Decode" },
            crate::test_pages::jbig2_segments(w, h),
        );
        let seal_red = image_stream(
            w / 4,
            h / 4,
            dictionary! { "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8 },
            [200u8, 30, 40].repeat((w / 4 * h / 4) as usize),
        );
        let seal = |x: u32, y: u32| (i64::from(x) - 300).pow(2) + (i64::from(y) - 100).pow(2) < 40 * 40;
        let spec = PageSpec {
            images: vec![flate_grey(&paper), writing, seal_red],
            content: Some(
                "q 400 0 0 600 0 0 cm /Im0 Do Q 0.1 0.1 0.5 rg q 400 0 0 600 0 0 cm /Im1 Do Q \
                 q 400 0 0 600 0 0 cm /Im2 Do Q",
            ),
            masks: vec![(2, "Mask", image_mask(w, h, |x, y| x >= 250 && seal(x, y)))],
            ..Default::default()
        };
        let composed = pages_of(&pdf(vec![spec], None))[0].as_ref().unwrap().to_rgb8();
        assert_eq!(composed.dimensions(), (w, h), "at the writing's resolution");
        let ink = [26, 26, 128];
        for (x, y, p) in composed.enumerate_pixels() {
            let expected = if x >= 250 && seal(x, y) {
                [200, 30, 40]
            } else if crate::test_pages::black(x, y) {
                ink
            } else if y < h / 2 {
                [230; 3]
            } else {
                [200; 3]
            };
            assert_eq!(p.0, expected, "({x}, {y})");
        }
    }

    #[test]
    fn a_soft_mask_blends_its_image_over_the_page() {
        let (w, h) = (300u32, 300u32);
        let white = flate_grey(&GrayImage::from_pixel(w, h, image::Luma([255])));
        let black = flate_grey(&GrayImage::from_pixel(w, h, image::Luma([0])));
        let opacity = flate_grey(&GrayImage::from_fn(w, h, |x, _| {
            image::Luma([if x < 150 { 255 } else { 64 }])
        }));
        let spec = PageSpec {
            images: vec![white, black],
            content: Some("q 300 0 0 300 0 0 cm /Im0 Do Q q 300 0 0 300 0 0 cm /Im1 Do Q"),
            masks: vec![(1, "SMask", opacity)],
            ..Default::default()
        };
        let composed = pages_of(&pdf(vec![spec], None))[0].as_ref().unwrap().to_luma8();
        assert_eq!(composed.get_pixel(10, 10).0, [0], "opaque");
        assert_eq!(composed.get_pixel(200, 10).0, [191], "a quarter opaque over white");
    }

    #[test]
    fn a_form_that_draws_itself_is_walked_a_bounded_number_of_times() {
        // Damaged or hostile: a form drawing itself a hundred times, and the scan once on
        // each level, would be a hundred million walks four levels deep.
        let scan = page(220, 240);
        let mut doc = Document::with_version("1.5");
        let tree = doc.new_object_id();
        let form = doc.new_object_id();
        let image = doc.add_object(flate_grey(&scan));
        let content = format!("q 220 0 0 240 0 0 cm /Im0 Do Q {}", "/Fm0 Do ".repeat(100));
        let resources = dictionary! { "XObject" => dictionary! { "Fm0" => form, "Im0" => image } };
        let form_dict = dictionary! { "Type" => "XObject", "Subtype" => "Form", "Resources" => resources.clone(),
        "BBox" => vec![0.into(), 0.into(), 220.into(), 240.into()] };
        doc.objects
            .insert(form, Object::Stream(Stream::new(form_dict, content.into_bytes())));
        let contents = doc.add_object(Stream::new(Dictionary::new(), b"/Fm0 Do".to_vec()));
        let page_id = doc.add_object(
            dictionary! { "Type" => "Page", "Parent" => tree, "Contents" => contents,
            "Resources" => resources, "MediaBox" => vec![0.into(), 0.into(), 220.into(), 240.into()] },
        );
        let root = dictionary! { "Type" => "Pages", "Count" => 1, "Kids" => vec![Object::Reference(page_id)] };
        doc.objects.insert(tree, Object::Dictionary(root));
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => tree });
        doc.trailer.set("Root", catalog);
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        let read = pages_of(&bytes);
        assert_eq!(
            read[0].as_ref().unwrap().to_luma8(),
            scan,
            "the scan, drawn where it is each time"
        );
    }

    #[test]
    fn a_page_from_a_real_mrc_encoder_is_composed_at_its_mask_resolution() {
        // Made by the Internet Archive's archive-pdf-tools 1.5.7 (`recode_pdf
        // --mask-compression ccitt --mrc-image-format jpeg -J pillow --bg-downsample 3
        // --fg-downsample 3`) from the sample batch's first page, cut to (300, 500) and
        // 400×250: a JPEG background and a JPEG foreground of 133×83, the foreground cut
        // out by a 1-bit soft mask of 400×250.
        let bytes = include_bytes!("../tests/fixtures/mrc-archive-pdf-tools.pdf");
        let page = pages_of(bytes)[0].as_ref().unwrap().to_luma8();
        assert_eq!(page.dimensions(), (400, 250), "at the mask's resolution");
        // Included, not opened by a path made at build time: a build cache shared between
        // clones kept the path of the clone that built the test first.
        let sample = include_bytes!("../../batches/sample/pages/page-0001.png");
        let original = image::load_from_memory(sample).unwrap().to_luma8();
        let original = image::imageops::crop_imm(&original, 300, 500, 400, 250).to_image();
        let (mut ink, mut ink_kept, mut paper, mut paper_kept) = (0u32, 0u32, 0u32, 0u32);
        for (o, p) in original.pixels().zip(page.pixels()) {
            if o.0[0] < 100 {
                ink += 1;
                ink_kept += u32::from(p.0[0] < 128);
            } else if o.0[0] > 200 {
                paper += 1;
                paper_kept += u32::from(p.0[0] > 160);
            }
        }
        assert!(
            ink > 1000 && ink_kept * 100 >= ink * 90,
            "the writing: {ink_kept} of {ink}"
        );
        assert!(paper_kept * 100 >= paper * 98, "the paper: {paper_kept} of {paper}");
    }
}
