//! A PDF page whose scan is several images, composed into one: strips laid one under
//! another (scanning software that writes a tall page in bands), and mixed raster content
//! (MRC, ISO 16485: a colour background at low resolution, and the writing over it as
//! sharp bilevel masks painted in their colour — the compression archive scanning
//! software offers for colour pages).
//!
//! Each image is put where the page's content draws it, at the resolution of the finest
//! large part or its mask (the Internet Archive's encoder keeps the colours at a third of
//! the resolution and the soft mask that cuts the writing out of them whole): an image
//! mask paints its fill colour where its samples say, an image with a stencil (`/Mask`)
//! or a soft mask (`/SMask`) only where that lets it, any other image all of its
//! rectangle. Parts are sampled to the nearest pixel: strips keep every pixel,
//! and an MRC page's writing comes from its full-resolution masks. Composing holds the
//! canvas (three bytes a pixel, checked as a page) beside one part at a time and its
//! masks, each decoded within a page's bounds.
//!
//! Only parts drawn upright are composed; a large part turned, mirrored or slanted on the
//! page leaves the page to be named as not one scan (`None`).

use image::{DynamicImage, GrayImage, RgbImage};
use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use crate::decode::{check_size, MAX_SIDE};
use crate::pdf_pages::{dictionary, resolve};

/// A matrix `[a b c d e f]` taking an image's unit square to the page (PDF's row-vector
/// convention: a point `(x, y)` goes to `(a·x + c·y + e, b·x + d·y + f)`).
pub(crate) type Matrix = [f64; 6];

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];
const BLACK: [u8; 3] = [0, 0, 0];

/// The most images a page is composed of: an MRC encoder cuts the writing into a mask per
/// ink colour and region, some hundreds at most; a file drawing thousands is damaged or
/// hostile, and each would be decoded.
const MAX_PARTS: usize = 1000;

/// An image the page's content draws: where, and in the fill colour then in effect
/// (what an image mask paints with).
pub(crate) struct Drawn<'a> {
    pub stream: &'a Stream,
    pub matrix: Matrix,
    fill: [u8; 3],
}

impl Drawn<'_> {
    /// The area the image covers on the page, in page units.
    fn page_area(&self) -> f64 {
        let [a, b, c, d, ..] = self.matrix;
        (a * d - b * c).abs()
    }

    /// Whether it covers a quarter of the page the largest part covers, or more: a part of
    /// the page's scan (a strip, a layer), not a stamp or a logo beside it. An MRC page's
    /// layers cover the same page at resolutions a sixth apart and more.
    fn is_large_beside(&self, largest: f64) -> bool {
        self.page_area() * 4.0 >= largest
    }
}

/// How many large parts (see [`Drawn::is_large_beside`]) the page draws.
pub(crate) fn large_parts(drawn: &[Drawn]) -> usize {
    let largest = drawn.iter().map(Drawn::page_area).fold(0.0, f64::max);
    drawn.iter().filter(|d| d.is_large_beside(largest)).count()
}

/// The images the page's content draws, in the order drawn, with the forms it draws
/// looked into (four deep); none when its content cannot be read.
pub(crate) fn walk_page<'a>(doc: &'a Document, page_id: ObjectId, resources: Option<&'a Dictionary>) -> Walked<'a> {
    let mut walked = Walked {
        drawn: Vec::new(),
        inline_images: 0,
        forms_left: MAX_FORMS,
    };
    if let Ok(content) = doc.get_and_decode_page_content(page_id) {
        walk(doc, &content, resources, IDENTITY, 0, &mut walked);
    }
    walked
}

/// Forms a page's content may draw, counted across every level: a damaged or hostile
/// file whose form draws itself a hundred times, four deep, would otherwise be walked a
/// hundred million times.
const MAX_FORMS: u32 = 256;

/// The most a form's content may decompress to: a page's drawing instructions are
/// kilobytes.
const MAX_FORM_BYTES: usize = 16 << 20;

/// What walking a page's content has found, and the forms it may still look into.
pub(crate) struct Walked<'a> {
    /// The image objects it draws.
    pub drawn: Vec<Drawn<'a>>,
    /// Images written into the content itself (`BI` … `EI`), which are not read here: a
    /// compressed one is not even parsed.
    pub inline_images: usize,
    forms_left: u32,
}

/// `m` applied within `ctm`: the current matrix once `m cm` is done.
fn then(m: Matrix, ctm: Matrix) -> Matrix {
    let [a, b, c, d, e, f] = m;
    let [p, q, r, s, t, u] = ctm;
    [
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    ]
}

/// An operand's number, integer or real (`as_float` takes both).
fn number(o: &Object) -> Option<f64> {
    o.as_float().ok().map(f64::from)
}

/// A colour component of 0..1 as a byte.
fn byte(v: f64) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// A fill colour given by `g`, `rg`, `k` or `sc`/`scn`, by how many components it has.
fn colour(components: &[f64]) -> Option<[u8; 3]> {
    match *components {
        [grey] => Some([byte(grey); 3]),
        [r, g, b] => Some([byte(r), byte(g), byte(b)]),
        [c, m, y, k] => {
            let rgb = |v: f64| byte((1.0 - v) * (1.0 - k));
            Some([rgb(c), rgb(m), rgb(y)])
        }
        _ => None,
    }
}

fn walk<'a>(
    doc: &'a Document,
    content: &Content,
    resources: Option<&'a Dictionary>,
    start: Matrix,
    depth: u32,
    out: &mut Walked<'a>,
) {
    let xobjects = resources
        .and_then(|r| r.get(b"XObject").ok())
        .and_then(|x| dictionary(doc, x));
    let (mut matrix, mut fill) = (start, BLACK);
    let mut saved = Vec::new();
    for op in &content.operations {
        // Only the operators that take numbers collect them: a page's text layer is
        // thousands of operations.
        let numbers = || op.operands.iter().filter_map(number).collect::<Vec<f64>>();
        match op.operator.as_str() {
            "q" => saved.push((matrix, fill)),
            "Q" => (matrix, fill) = saved.pop().unwrap_or((start, BLACK)),
            "cm" => {
                if let Ok(m) = <[f64; 6]>::try_from(numbers().as_slice()) {
                    matrix = then(m, matrix);
                }
            }
            "g" | "rg" | "k" | "sc" | "scn" => {
                let numbers = numbers();
                // A pattern (`/P0 scn`) is no colour a mask paints with here: left as it was.
                if numbers.len() == op.operands.len() {
                    fill = colour(&numbers).unwrap_or(fill);
                }
            }
            // A new colour space starts at its initial colour: black, for those scans use.
            "cs" => fill = BLACK,
            "BI" => out.inline_images += 1,
            "Do" => {
                let named = op.operands.first().and_then(|n| n.as_name().ok());
                let Some(object) = named.and_then(|n| xobjects?.get(n).ok()) else {
                    continue;
                };
                let Object::Stream(stream) = resolve(doc, object) else {
                    continue;
                };
                match stream.dict.get(b"Subtype").and_then(Object::as_name) {
                    // One past the most composed, for compose to refuse.
                    Ok(b"Image") if out.drawn.len() <= MAX_PARTS => out.drawn.push(Drawn { stream, matrix, fill }),
                    Ok(b"Form") if depth < 4 && out.forms_left > 0 => {
                        out.forms_left -= 1;
                        let form_matrix = stream
                            .dict
                            .get(b"Matrix")
                            .and_then(Object::as_array)
                            .ok()
                            .and_then(|m| <[f64; 6]>::try_from(m.iter().filter_map(number).collect::<Vec<_>>()).ok())
                            .unwrap_or(IDENTITY);
                        let inner = stream
                            .dict
                            .get(b"Resources")
                            .ok()
                            .and_then(|r| dictionary(doc, r))
                            .or(resources);
                        // A form stored uncompressed has no filter to undo.
                        let bytes = match stream.dict.get(b"Filter") {
                            Ok(_) => stream.decompressed_content_with_limit(MAX_FORM_BYTES).ok(),
                            Err(_) => Some(stream.content.clone()),
                        };
                        if let Some(content) = bytes.and_then(|b| Content::decode(&b).ok()) {
                            walk(doc, &content, inner, then(form_matrix, matrix), depth + 1, out);
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// Where an upright part lies on the page: its rectangle in page units (y upward), and
/// its size in pixels: its image's, or its mask's where that is finer (an MRC encoder
/// keeps the colours coarse and the soft mask that cuts the writing out of them sharp).
struct Upright<'d, 'a> {
    drawn: &'d Drawn<'a>,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    pixels: (u32, u32),
}

impl<'d, 'a> Upright<'d, 'a> {
    /// The part, when it is drawn upright: no turn, slant or mirror, and a size.
    fn of(doc: &Document, drawn: &'d Drawn<'a>) -> Option<Self> {
        let [a, b, c, d, e, f] = drawn.matrix;
        let upright = a > 0.0 && d > 0.0 && b.abs() <= a * 1e-6 && c.abs() <= d * 1e-6;
        let size = |dict: &Dictionary| {
            let side = |key: &[u8]| {
                let v = dict.get(key).ok()?.as_i64().ok()?;
                u32::try_from(v).ok().filter(|&v| v > 0)
            };
            Some((side(b"Width")?, side(b"Height")?))
        };
        let masks = [&b"SMask"[..], b"Mask"].map(|key| size(&mask_stream(doc, &drawn.stream.dict, key)?.dict));
        let own = size(&drawn.stream.dict)?;
        let pixels = masks
            .into_iter()
            .flatten()
            .fold(own, |(w, h), (mw, mh)| (w.max(mw), h.max(mh)));
        upright.then_some(Upright {
            drawn,
            x0: e,
            y0: f,
            x1: e + a,
            y1: f + d,
            pixels,
        })
    }

    /// Pixels per page unit across and down.
    fn resolution(&self) -> (f64, f64) {
        (
            f64::from(self.pixels.0) / (self.x1 - self.x0),
            f64::from(self.pixels.1) / (self.y1 - self.y0),
        )
    }
}

/// The page's scan composed of the images it draws (see the module comment); `None` when
/// it draws no large part, or one not upright. `decode` makes an image of a stream (its
/// size checked against a page's bounds); the canvas is checked as a page.
pub(crate) fn compose(
    doc: &Document,
    drawn: &[Drawn],
    decode: impl Fn(&Stream) -> Result<DynamicImage, String>,
) -> Result<Option<DynamicImage>, String> {
    let largest = drawn.iter().map(Drawn::page_area).fold(0.0, f64::max);
    let mut parts = Vec::new();
    for d in drawn {
        let is_large = d.is_large_beside(largest);
        match Upright::of(doc, d) {
            Some(part) => parts.push((part, is_large)),
            // A large part that is not upright: nothing here composes it.
            None if is_large => return Ok(None),
            None => {}
        }
    }
    let large: Vec<&Upright> = parts.iter().filter(|(_, l)| *l).map(|(p, _)| p).collect();
    if large.is_empty() {
        return Ok(None);
    }
    if parts.len() > MAX_PARTS {
        return Err(format!(
            "its scan is made of {} images, more than the {MAX_PARTS} a page's layers come in",
            parts.len()
        ));
    }
    let bound = |side: fn(&Upright) -> f64, fold: fn(f64, f64) -> f64, start: f64| {
        large.iter().map(|p| side(p)).fold(start, fold)
    };
    let (x0, y0) = (
        bound(|p| p.x0, f64::min, f64::INFINITY),
        bound(|p| p.y0, f64::min, f64::INFINITY),
    );
    let (x1, y1) = (
        bound(|p| p.x1, f64::max, f64::NEG_INFINITY),
        bound(|p| p.y1, f64::max, f64::NEG_INFINITY),
    );
    // Each axis at its finest part's resolution: a part keeps its own pixels (a scanner's
    // 200×100 dpi fax mode too), and one large part alone is itself.
    let across = bound(|p| p.resolution().0, f64::max, 0.0);
    let down = bound(|p| p.resolution().1, f64::max, 0.0);
    let width = ((x1 - x0) * across).round();
    let height = ((y1 - y0) * down).round();
    if !(1.0..=f64::from(u32::MAX)).contains(&width) || !(1.0..=f64::from(u32::MAX)).contains(&height) {
        return Ok(None);
    }
    let (width, height) = (width as u32, height as u32);
    check_size(width, height).map_err(|e| format!("its scan composed of {} images: {e}", parts.len()))?;
    let mut canvas = RgbImage::from_pixel(width, height, image::Rgb([255; 3]));
    let mut in_colour = false;
    for (part, _) in &parts {
        // The part's rectangle in canvas pixels, rows downward.
        // Far outside the canvas is as good as a page's side away: the sums below stay
        // small whatever a damaged file places a small part at.
        let pixel = |v: f64| v.round().clamp(-f64::from(MAX_SIDE), 2.0 * f64::from(MAX_SIDE)) as i64;
        let left = pixel((part.x0 - x0) * across);
        let right = pixel((part.x1 - x0) * across);
        let top = pixel((y1 - part.y1) * down);
        let bottom = pixel((y1 - part.y0) * down);
        let target = Target {
            left,
            top,
            width: right - left,
            height: bottom - top,
        };
        if target.width <= 0 || target.height <= 0 {
            continue;
        }
        in_colour |= paint(doc, &mut canvas, part.drawn, &target, &decode)?;
    }
    Ok(Some(if in_colour {
        DynamicImage::ImageRgb8(canvas)
    } else {
        DynamicImage::ImageLuma8(DynamicImage::ImageRgb8(canvas).into_luma8())
    }))
}

/// Where a part goes on the canvas, in pixels; it may run past the canvas's edges.
struct Target {
    left: i64,
    top: i64,
    width: i64,
    height: i64,
}

impl Target {
    /// The pixel of an image of `size` drawn over the target that canvas pixel `(x, y)`
    /// takes: the nearest, sampled at pixel centres.
    fn sample(&self, x: i64, y: i64, size: (u32, u32)) -> (u32, u32) {
        let (sw, sh) = (i64::from(size.0), i64::from(size.1));
        let sx = ((2 * (x - self.left) + 1) * sw / (2 * self.width)).clamp(0, sw - 1);
        let sy = ((2 * (y - self.top) + 1) * sh / (2 * self.height)).clamp(0, sh - 1);
        (sx as u32, sy as u32)
    }

    /// Each canvas pixel the part covers, within the canvas.
    fn each(&self, canvas: (u32, u32), mut at: impl FnMut(i64, i64)) {
        let (cw, ch) = (i64::from(canvas.0), i64::from(canvas.1));
        for y in self.top.max(0)..(self.top + self.height).min(ch) {
            for x in self.left.max(0)..(self.left + self.width).min(cw) {
                at(x, y);
            }
        }
    }
}

/// Paints one part onto the canvas; whether it put colour there.
fn paint(
    doc: &Document,
    canvas: &mut RgbImage,
    part: &Drawn,
    target: &Target,
    decode: &impl Fn(&Stream) -> Result<DynamicImage, String>,
) -> Result<bool, String> {
    let dict = &part.stream.dict;
    let size = canvas.dimensions();
    let is_mask = dict.get(b"ImageMask").and_then(Object::as_bool).unwrap_or(false);
    if is_mask {
        // Decoded black where it paints (its Decode array applied).
        let mask = decode(part.stream)?.into_luma8();
        target.each(size, |x, y| {
            let (sx, sy) = target.sample(x, y, mask.dimensions());
            if mask.get_pixel(sx, sy).0[0] < 128 {
                canvas.put_pixel(x as u32, y as u32, image::Rgb(part.fill));
            }
        });
        return Ok(part.fill.iter().any(|&c| c != part.fill[0]));
    }
    let image = decode(part.stream)?;
    let in_colour = image.color().channel_count() >= 3;
    let image = image.into_rgb8();
    let soft = mask_of(doc, dict, b"SMask", decode)?;
    let stencil = mask_of(doc, dict, b"Mask", decode)?;
    // Each mask sampled at its own resolution, which may be finer than the image's (a
    // stencil cut at the writing's resolution over a coarse colour image).
    let masked = |m: &GrayImage, x: i64, y: i64| {
        let (mx, my) = target.sample(x, y, m.dimensions());
        m.get_pixel(mx, my).0[0]
    };
    target.each(size, |x, y| {
        if stencil.as_ref().is_some_and(|m| masked(m, x, y) >= 128) {
            return;
        }
        let (sx, sy) = target.sample(x, y, image.dimensions());
        let colour = image.get_pixel(sx, sy).0;
        let alpha = soft.as_ref().map_or(255, |m| masked(m, x, y));
        let (x, y) = (x as u32, y as u32);
        let below = canvas.get_pixel(x, y).0;
        let mixed = std::array::from_fn(|i| {
            ((u32::from(colour[i]) * u32::from(alpha) + u32::from(below[i]) * u32::from(255 - alpha) + 127) / 255) as u8
        });
        canvas.put_pixel(x, y, image::Rgb(mixed));
    });
    Ok(in_colour)
}

/// An image's `/SMask` or `/Mask` (`key`) when it is an image of its own; `None` without
/// one, or for a mask given as colour ranges (`/Mask [..]`), which scans do not use: the
/// image is painted whole.
fn mask_stream<'d>(doc: &'d Document, dict: &'d Dictionary, key: &[u8]) -> Option<&'d Stream> {
    match resolve(doc, dict.get(key).ok()?) {
        Object::Stream(stream) => Some(stream),
        _ => None,
    }
}

/// An image's `/SMask` or `/Mask` (`key`, see [`mask_stream`]) as grey samples: a soft
/// mask's are its opacity, a stencil's are black where the image is painted.
fn mask_of(
    doc: &Document,
    dict: &Dictionary,
    key: &[u8],
    decode: &impl Fn(&Stream) -> Result<DynamicImage, String>,
) -> Result<Option<GrayImage>, String> {
    mask_stream(doc, dict, key)
        .map(|stream| Ok(decode(stream)?.into_luma8()))
        .transpose()
}
