//! The frames of a TIFF file as page images, in the forms scanners and archives write
//! them: bilevel (CCITT Group 4 most often), 8- and 16-bit grey, RGB and RGB with alpha
//! at 8 or 16 bits (preservation masters are often 48-bit colour), CMYK, grey with
//! alpha, palette (indexed colour, see `tiff_palette`), each sample in its own plane or
//! interleaved, in strips or tiles, compressed any way the `tiff` crate reads (LZW,
//! Deflate, PackBits, JPEG, CCITT).

use std::io::Cursor;

use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, ImageBuffer, RgbImage};
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;
use tiff::{ColorType, TiffError};

use crate::decode::{check_size, FrameCount, MAX_PIXELS};
use crate::tiff_layout::Layout;
use crate::{tiff_chunks, tiff_palette};

/// How many frames a TIFF file holds: its chain of directories followed from the header
/// (the pixels are not read: a frame that cannot be decoded is found when it is).
pub fn count(bytes: &[u8]) -> Result<FrameCount, String> {
    let layout = Layout::of(bytes).ok_or(DAMAGED_HEADER)?;
    let chain = layout.chain(bytes);
    let frames = chain.directories.len() as u32;
    if frames == 0 {
        return Err("the TIFF image is damaged or truncated: its first frame's directory lies outside the file".into());
    }
    Ok(FrameCount {
        frames,
        broken: chain.broken.then(|| {
            format!(
                "frame {}: the TIFF image is damaged or truncated: the directory after frame {frames} lies outside the file, so no frame after it can be found",
                frames + 1
            )
        }),
    })
}

const DAMAGED_HEADER: &str = "the TIFF image is damaged: its header cannot be read";

/// Frame `index` (from 0) of a TIFF file, as libtiff reads it: where the `tiff` crate
/// would misread the frame's bits (stored least significant first) or might refuse its
/// LZW chunks, from a copy of the file that has them as the crate reads them (see
/// `tiff_chunks`). Errors name the frame.
pub fn frame(bytes: &[u8], index: u32) -> Result<DynamicImage, String> {
    let at = index as usize;
    let read = match tiff_chunks::Directory::of(bytes, at) {
        // A frame whose directory cannot be walked is left to the crate to name.
        None => frame_of(bytes, at),
        Some(directory) => {
            let survey = directory.survey(bytes);
            let from_copy = || directory.as_libtiff_reads(bytes).and_then(|copy| frame_of(&copy, at));
            match survey.reversed_bits || survey.group3 {
                true => from_copy(),
                false => match frame_of(bytes, at) {
                    Err(_) if survey.lzw => from_copy(),
                    read => read,
                },
            }
        }
    };
    read.map_err(|e| format!("frame {}: {e}", index + 1))
}

/// Frame `index` as the `tiff` crate reads it, turned as its Orientation tag says.
fn frame_of(bytes: &[u8], index: usize) -> Result<DynamicImage, String> {
    let mut dec = Decoder::new(Cursor::new(bytes))
        .map_err(unreadable)?
        .with_limits(limits());
    if index > 0 {
        dec.seek_to_image(index).map_err(unreadable)?;
    }
    let (w, h) = dec.dimensions().map_err(unreadable)?;
    check_size(w, h)?;
    let photometric = dec
        .find_tag_unsigned::<u16>(Tag::PhotometricInterpretation)
        .map_err(unreadable)?;
    let mut image = if photometric == Some(tiff_palette::PALETTE) {
        palette_frame(&mut dec, &mut index_decoder(bytes)?, index, (w, h))?
    } else {
        colour_frame(&mut dec, (w, h))?
    };
    image.apply_orientation(stored_orientation(&mut dec));
    Ok(image)
}

/// How the current frame's pixels are to be turned or flipped to be shown: its
/// Orientation tag, which is Exif's (a scanner that saves a page turned says so there);
/// a missing or unreadable tag is no turn.
fn stored_orientation(dec: &mut Decoder<Cursor<&[u8]>>) -> Orientation {
    dec.find_tag_unsigned::<u8>(Tag::Orientation)
        .ok()
        .flatten()
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms)
}

/// A decoder of a copy of the TIFF `bytes` whose palette frames say they are grey, so
/// that it hands over their colour indices.
fn index_decoder(bytes: &[u8]) -> Result<Decoder<Cursor<Vec<u8>>>, String> {
    let copy =
        tiff_palette::indices_as_grey(bytes).ok_or("the TIFF image is damaged: its directories cannot be walked")?;
    Ok(Decoder::new(Cursor::new(copy))
        .map_err(unreadable)?
        .with_limits(limits()))
}

/// The current frame of `dec`, in any colour type but a palette.
fn colour_frame(dec: &mut Decoder<Cursor<&[u8]>>, (w, h): (u32, u32)) -> Result<DynamicImage, String> {
    let color = dec.colortype().map_err(unreadable)?;
    let planar = dec
        .find_tag_unsigned::<u16>(Tag::PlanarConfiguration)
        .map_err(unreadable)?
        == Some(2);
    let mut data = DecodingResult::U8(Vec::new());
    dec.read_image_to_buffer(&mut data).map_err(unreadable)?;
    image_of(w, h, color, data, planar)
}

/// The current frame of `dec`, a palette: its colour map from `dec`, its indices read as
/// grey by `indices` (a decoder of the file with its palettes said grey) at `index`.
fn palette_frame(
    dec: &mut Decoder<Cursor<&[u8]>>,
    indices: &mut Decoder<Cursor<Vec<u8>>>,
    index: usize,
    (w, h): (u32, u32),
) -> Result<DynamicImage, String> {
    let bits = dec
        .find_tag_unsigned::<u8>(Tag::BitsPerSample)
        .map_err(unreadable)?
        .unwrap_or(1);
    let samples = dec
        .find_tag_unsigned::<u16>(Tag::SamplesPerPixel)
        .map_err(unreadable)?
        .unwrap_or(1);
    if samples != 1 {
        return Err(format!(
            "a palette image with {samples} samples a pixel is not supported; {RESAVE}"
        ));
    }
    let map = dec
        .find_tag_unsigned_vec::<u16>(Tag::ColorMap)
        .map_err(unreadable)?
        .ok_or("the TIFF image is damaged: a palette image without its colour map")?;
    let colours = tiff_palette::ColourMap::new(bits, map).map_err(|e| format!("{e}; {RESAVE}"))?;
    indices.seek_to_image(index).map_err(unreadable)?;
    let mut data = DecodingResult::U8(Vec::new());
    indices.read_image_to_buffer(&mut data).map_err(unreadable)?;
    let DecodingResult::U8(packed) = data else {
        return Err(format!("a palette of {bits}-bit indices is not supported; {RESAVE}"));
    };
    colours.image(w, h, &packed).ok_or_else(|| too_short(w, h))
}

/// Room for a whole frame of the largest page we accept at 16 bits a sample in RGB
/// with alpha; the decoder's default (256 MiB) turned away a 600-dpi A3 master in
/// 48-bit colour (420 MB) as if it were damaged.
fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.decoding_buffer_size = (MAX_PIXELS * 8).try_into().unwrap_or(usize::MAX);
    limits
}

/// What the decoder said, as a sentence: a feature it does not read is not damage.
fn unreadable(e: TiffError) -> String {
    match e {
        TiffError::UnsupportedError(what) => {
            format!("the TIFF image is stored in a way that cannot be read ({what}); {RESAVE}")
        }
        other => format!("the TIFF image is damaged or truncated: {other}"),
    }
}

const RESAVE: &str = "save it again as bilevel, grey, RGB, CMYK or 8-bit palette";

/// A frame's samples as an image. `planar`: each sample in a plane of its own, one after
/// the other, rather than interleaved pixel by pixel.
fn image_of(w: u32, h: u32, color: ColorType, data: DecodingResult, planar: bool) -> Result<DynamicImage, String> {
    let short = || too_short(w, h);
    let samples = usize::from(color.num_samples());
    let pixels = w as usize * h as usize;
    let image = match (color, data) {
        (ColorType::Gray(1), DecodingResult::U8(bits)) => bilevel_to_grey(w, h, &bits).map(DynamicImage::ImageLuma8),
        (ColorType::Gray(8), DecodingResult::U8(v)) => GrayImage::from_raw(w, h, v).map(DynamicImage::ImageLuma8),
        (ColorType::Gray(16), DecodingResult::U16(v)) => ImageBuffer::from_raw(w, h, v).map(DynamicImage::ImageLuma16),
        (ColorType::RGB(8) | ColorType::RGBA(8) | ColorType::CMYK(8), DecodingResult::U8(v)) => {
            let v = interleaved(v, samples, pixels, planar).ok_or_else(short)?;
            match color {
                ColorType::RGB(8) => RgbImage::from_raw(w, h, v).map(DynamicImage::ImageRgb8),
                ColorType::RGBA(8) => image::RgbaImage::from_raw(w, h, v).map(DynamicImage::ImageRgba8),
                _ => RgbImage::from_raw(w, h, cmyk_to_rgb(&v)).map(DynamicImage::ImageRgb8),
            }
        }
        (ColorType::RGB(16) | ColorType::RGBA(16), DecodingResult::U16(v)) => {
            let v = interleaved(v, samples, pixels, planar).ok_or_else(short)?;
            match color {
                ColorType::RGB(16) => ImageBuffer::from_raw(w, h, v).map(DynamicImage::ImageRgb16),
                _ => ImageBuffer::from_raw(w, h, v).map(DynamicImage::ImageRgba16),
            }
        }
        // Grey with alpha (the decoder names it by its two samples): laid on white paper.
        (
            ColorType::GrayA(8)
            | ColorType::Multiband {
                bit_depth: 8,
                num_samples: 2,
            },
            DecodingResult::U8(v),
        ) => {
            let v = interleaved(v, 2, pixels, planar).ok_or_else(short)?;
            GrayImage::from_raw(w, h, grey_on_white(&v)).map(DynamicImage::ImageLuma8)
        }
        (c, _) => return Err(format!("TIFF colour type {c:?} is not supported; {RESAVE}")),
    };
    image.ok_or_else(short)
}

/// Samples interleaved pixel by pixel, from planes one after the other when `planar`;
/// `None` when there are fewer than `pixels` of them.
fn interleaved<T: Copy>(v: Vec<T>, samples: usize, pixels: usize, planar: bool) -> Option<Vec<T>> {
    if v.len() < samples * pixels {
        return None;
    }
    if !planar || samples == 1 {
        return Some(v);
    }
    let planes: Vec<&[T]> = v.chunks_exact(pixels).take(samples).collect();
    Some(
        (0..pixels)
            .flat_map(|i| planes.iter().map(move |plane| plane[i]))
            .collect(),
    )
}

fn too_short(w: u32, h: u32) -> String {
    format!("pixel data is shorter than {w}×{h}")
}

/// A bilevel image, its rows of bits padded to whole bytes and 1 white (the decoder has
/// turned a white-is-zero page round already), as black and white grey.
fn bilevel_to_grey(w: u32, h: u32, bits: &[u8]) -> Option<GrayImage> {
    let mut grey = tiff_palette::unpack(w, h, 1, bits)?;
    for pixel in grey.iter_mut() {
        *pixel *= 255;
    }
    Some(grey)
}

/// CMYK ink coverage as the RGB light it leaves (no colour profile: a page's greys
/// and its red seal are what reading needs).
pub(crate) fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    let left = |ink: u8, black: u8| ((255 - u16::from(ink)) * (255 - u16::from(black)) / 255) as u8;
    cmyk.chunks_exact(4)
        .flat_map(|p| [left(p[0], p[3]), left(p[1], p[3]), left(p[2], p[3])])
        .collect()
}

/// Grey with alpha laid on white paper.
fn grey_on_white(grey_alpha: &[u8]) -> Vec<u8> {
    grey_alpha
        .chunks_exact(2)
        .map(|p| {
            let (grey, alpha) = (u16::from(p[0]), u16::from(p[1]));
            ((grey * alpha + 255 * (255 - alpha)) / 255) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::decode;

    /// A bilevel page as document scanners save one: CCITT Group 4 in a TIFF whose
    /// photometric tag says white is zero. Black where `black(x, y)`.
    fn group4_tiff(w: u16, h: u16, black: impl Fn(u32, u32) -> bool) -> Vec<u8> {
        use fax::{encoder::Encoder, Color, VecWriter};
        let mut encoder = Encoder::new(VecWriter::new());
        for y in 0..u32::from(h) {
            let pels = (0..u32::from(w)).map(|x| if black(x, y) { Color::Black } else { Color::White });
            encoder.encode_line(pels, w).unwrap();
        }
        let data = encoder.finish().unwrap().finish();
        fax::tiff::wrap(&data, w.into(), h.into())
    }

    /// Where the photometric interpretation's value lies in a little-endian TIFF with
    /// its first directory at byte 8.
    fn photometric_value_at(tiff: &[u8]) -> usize {
        let entries = u16::from_le_bytes([tiff[8], tiff[9]]) as usize;
        (0..entries)
            .map(|i| 10 + 12 * i)
            .find(|&at| u16::from_le_bytes([tiff[at], tiff[at + 1]]) == 262)
            .expect("a photometric tag")
            + 8
    }

    #[test]
    fn a_group4_bilevel_tiff_is_a_black_and_white_page() {
        let black = |x: u32, y: u32| (x < 100 && y < 60) || x == 150 || x == 242 || (y == 180 && x > 20);
        // 243 pixels: rows padded to whole bytes.
        let white_is_zero = group4_tiff(243, 210, black);
        let page = decode(&white_is_zero).expect("decoded")[0].to_luma8();
        assert_eq!(page.dimensions(), (243, 210));
        for (x, y, p) in page.enumerate_pixels() {
            assert_eq!(p.0[0], if black(x, y) { 0 } else { 255 }, "({x}, {y})");
        }
        // The same bits said black-is-zero: the negative.
        let mut black_is_zero = white_is_zero;
        let at = photometric_value_at(&black_is_zero);
        assert_eq!(black_is_zero[at], 0);
        black_is_zero[at] = 1;
        let page = decode(&black_is_zero).expect("decoded")[0].to_luma8();
        for (x, y, p) in page.enumerate_pixels() {
            assert_eq!(p.0[0], if black(x, y) { 255 } else { 0 }, "({x}, {y})");
        }
    }

    /// A one-frame TIFF of `C` samples made by `sample(x, y, channel)`, LZW-compressed.
    fn tiff_of<C: tiff::encoder::colortype::ColorType>(
        w: u32,
        h: u32,
        sample: impl Fn(u32, u32, usize) -> C::Inner,
    ) -> Vec<u8>
    where
        [C::Inner]: tiff::encoder::TiffValue,
    {
        let channels = C::BITS_PER_SAMPLE.len();
        let data: Vec<C::Inner> = (0..h)
            .flat_map(|y| (0..w).flat_map(move |x| (0..channels).map(move |c| (x, y, c))))
            .map(|(x, y, c)| sample(x, y, c))
            .collect();
        let mut out = Cursor::new(Vec::new());
        tiff::encoder::TiffEncoder::new(&mut out)
            .unwrap()
            .with_compression(tiff::encoder::Compression::Lzw)
            .write_image::<C>(w, h, &data)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn a_48_bit_colour_master_is_read_to_its_top_eight_bits() {
        // A 600-dpi A3 master in 48-bit colour is 420 MB decoded: over the decoder's
        // default limit. Here, a page with a red mark and a dark stroke.
        let red = |x: u32, y: u32| (40..80).contains(&x) && (30..60).contains(&y);
        let dark = |x: u32, _: u32| (150..154).contains(&x);
        let bytes = tiff_of::<tiff::encoder::colortype::RGB16>(240, 220, |x, y, c| match c {
            _ if dark(x, y) => 0x1F00,
            0 => 0xF0F0,
            _ if red(x, y) => 0x2020,
            _ => 0xF0F0,
        });
        let page = decode(&bytes).expect("decoded")[0].to_rgb8();
        assert_eq!(page.get_pixel(50, 40).0, [0xF0, 0x20, 0x20]);
        assert_eq!(page.get_pixel(151, 100).0, [0x1F, 0x1F, 0x1F]);
        assert_eq!(page.get_pixel(10, 10).0, [0xF0, 0xF0, 0xF0]);
        assert!(
            limits().decoding_buffer_size >= 7016 * 9921 * 6,
            "an A3 master at 600 dpi"
        );
    }

    #[test]
    fn a_bigtiff_volume_is_read_a_frame_at_a_time() {
        // BigTIFF, as scanners write files past 4 GiB: two pages, the second stored
        // turned a quarter, its Orientation tag saying to turn it back (8: 270°).
        let shown = [grey_page(230, 210), grey_page(210, 230)];
        let stored = [(shown[0].clone(), 1u16), (image::imageops::rotate90(&shown[1]), 8)];
        let mut out = Cursor::new(Vec::new());
        let mut encoder = tiff::encoder::TiffEncoder::new_big(&mut out)
            .unwrap()
            .with_compression(tiff::encoder::Compression::Lzw);
        for (pixels, orientation) in &stored {
            let mut frame = encoder
                .new_image::<tiff::encoder::colortype::Gray8>(pixels.width(), pixels.height())
                .unwrap();
            frame.encoder().write_tag(Tag::Orientation, *orientation).unwrap();
            frame.write_data(pixels.as_raw()).unwrap();
        }
        let bytes = out.into_inner();
        assert_eq!(&bytes[..4], b"II\x2b\0");
        let count = crate::decode::frame_count(&bytes).expect("counted");
        assert_eq!((count.frames, count.broken), (2, None));
        for (index, page) in shown.iter().enumerate() {
            let read = crate::decode::decode_frame(&bytes, index as u32).expect("decoded");
            assert_eq!(read.as_luma8(), Some(page), "frame {}", index + 1);
        }
    }

    #[test]
    fn a_cmyk_page_is_the_light_its_inks_leave() {
        let bytes = tiff_of::<tiff::encoder::colortype::CMYK8>(230, 210, |x, _, c| match (x < 100, c) {
            (true, 3) => 255,      // black ink
            (false, 1 | 2) => 200, // magenta and yellow: red
            _ => 0,
        });
        let page = decode(&bytes).expect("decoded")[0].to_rgb8();
        assert_eq!(page.get_pixel(50, 50).0, [0, 0, 0]);
        assert_eq!(page.get_pixel(150, 50).0, [255, 55, 55]);
    }

    #[test]
    fn planes_are_interleaved_and_grey_with_alpha_lies_on_white() {
        // Two pixels of RGB as three planes: R R, G G, B B.
        let planes = DecodingResult::U8(vec![10, 11, 20, 21, 30, 31]);
        let rgb = image_of(2, 1, ColorType::RGB(8), planes, true).unwrap().to_rgb8();
        assert_eq!(rgb.as_raw(), &[10, 20, 30, 11, 21, 31]);
        // Short planes are named, not read past.
        let short = DecodingResult::U8(vec![10, 11, 20, 21]);
        assert!(image_of(2, 1, ColorType::RGB(8), short, true)
            .unwrap_err()
            .contains("shorter"));
        // Black fully opaque, black fully transparent, mid-grey half transparent.
        let grey_alpha = DecodingResult::U8(vec![0, 255, 0, 0, 100, 128]);
        let color = ColorType::Multiband {
            bit_depth: 8,
            num_samples: 2,
        };
        let grey = image_of(3, 1, color, grey_alpha, false).unwrap().to_luma8();
        assert_eq!(grey.as_raw(), &[0, 255, 177]);
    }

    /// One frame of a hand-made TIFF: uncompressed in one strip, unless `stored` says
    /// otherwise.
    #[derive(Default)]
    struct RawFrame {
        w: u32,
        h: u32,
        photometric: u16,
        bits: u16,
        /// Rows padded to whole bytes.
        data: Vec<u8>,
        colour_map: Option<Vec<u16>>,
        stored: Option<Stored>,
        /// Further tags of one short value: fill order, orientation, predictor…
        tags: Vec<(u16, u16)>,
    }

    /// A frame's chunks as the file holds them.
    struct Stored {
        compression: u16,
        chunks: Vec<Vec<u8>>,
        /// Tiles of this size, or else strips of `rows_per_strip`.
        tile: Option<(u32, u32)>,
        rows_per_strip: u32,
    }

    /// A TIFF of `frames`, in the byte order asked for: the `tiff` crate writes no
    /// palette, no tiles, no fill order and no orientation.
    fn raw_tiff(frames: &[RawFrame], little_endian: bool) -> Vec<u8> {
        let short = |v: u16| {
            if little_endian {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let long = |v: u32| {
            if little_endian {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let short_value = |v: u16| -> [u8; 4] { [short(v), [0, 0]].concat().try_into().unwrap() };
        let mut out: Vec<u8> = if little_endian { b"II".to_vec() } else { b"MM".to_vec() };
        out.extend(short(42));
        let mut pointer_at = out.len();
        out.extend(long(0));
        for f in frames {
            let plain = Stored {
                compression: 1,
                chunks: vec![f.data.clone()],
                tile: None,
                rows_per_strip: f.h,
            };
            let stored = f.stored.as_ref().unwrap_or(&plain);
            let mut offsets = Vec::new();
            for chunk in &stored.chunks {
                offsets.push(out.len() as u32);
                out.extend(chunk);
            }
            // A list of longs: in its entry when it is one, else written out here.
            let mut longs = |values: Vec<u32>| -> (u32, [u8; 4]) {
                if values.len() == 1 {
                    return (1, long(values[0]));
                }
                let at = out.len() as u32;
                values.iter().for_each(|&v| out.extend(long(v)));
                (values.len() as u32, long(at))
            };
            let (n, offsets) = longs(offsets);
            let (_, lengths) = longs(stored.chunks.iter().map(|c| c.len() as u32).collect());
            let map_at = out.len() as u32;
            for &v in f.colour_map.iter().flatten() {
                out.extend(short(v));
            }
            let mut entries: Vec<(u16, u16, u32, [u8; 4])> = vec![
                (256, 4, 1, long(f.w)),
                (257, 4, 1, long(f.h)),
                (258, 3, 1, short_value(f.bits)),
                (259, 3, 1, short_value(stored.compression)),
                (262, 3, 1, short_value(f.photometric)),
                (277, 3, 1, short_value(1)),
            ];
            match stored.tile {
                Some((tw, tl)) => entries.extend([
                    (322, 4, 1, long(tw)),
                    (323, 4, 1, long(tl)),
                    (324, 4, n, offsets),
                    (325, 4, n, lengths),
                ]),
                None => entries.extend([
                    (273, 4, n, offsets),
                    (278, 4, 1, long(stored.rows_per_strip)),
                    (279, 4, n, lengths),
                ]),
            }
            if let Some(map) = &f.colour_map {
                entries.push((320, 3, map.len() as u32, long(map_at)));
            }
            entries.extend(f.tags.iter().map(|&(tag, v)| (tag, 3, 1, short_value(v))));
            entries.sort_by_key(|e| e.0);
            if out.len() % 2 == 1 {
                out.push(0);
            }
            let directory = out.len() as u32;
            out[pointer_at..pointer_at + 4].copy_from_slice(&long(directory));
            out.extend(short(entries.len() as u16));
            for (tag, kind, count, value) in entries {
                out.extend(short(tag));
                out.extend(short(kind));
                out.extend(long(count));
                out.extend(value);
            }
            pointer_at = out.len();
            out.extend(long(0));
        }
        out
    }

    /// `w`×`h` indices of `bits` each, packed into rows of whole bytes.
    fn packed(w: u32, h: u32, bits: u32, index: impl Fn(u32, u32) -> u8) -> Vec<u8> {
        let stride = (w * bits).div_ceil(8) as usize;
        let mut data = vec![0u8; stride * h as usize];
        for y in 0..h {
            for x in 0..w {
                let bit = (x * bits) as usize;
                data[y as usize * stride + bit / 8] |= index(x, y) << (8 - bits as usize - bit % 8);
            }
        }
        data
    }

    /// A colour map of `bits` from (r, g, b) entries at 8 bits, the rest black.
    fn colour_map(bits: u32, colours: &[[u8; 3]]) -> Vec<u16> {
        let n = 1usize << bits;
        let mut map = vec![0u16; 3 * n];
        for (i, rgb) in colours.iter().enumerate() {
            for c in 0..3 {
                map[c * n + i] = u16::from(rgb[c]) * 257;
            }
        }
        map
    }

    #[test]
    fn palette_frames_are_looked_up_in_their_colour_maps() {
        let seal = |x: u32, y: u32| (20..40).contains(&x) && (10..30).contains(&y);
        let stroke = |x: u32, _: u32| (50..53).contains(&x);
        let colour = RawFrame {
            w: 261,
            h: 240,
            photometric: 3,
            bits: 8,
            data: packed(
                261,
                240,
                8,
                |x, y| if stroke(x, y) { 1 } else { u8::from(seal(x, y)) * 2 },
            ),
            colour_map: Some(colour_map(8, &[[250, 248, 240], [10, 10, 10], [200, 30, 40]])),
            ..Default::default()
        };
        let grey = RawFrame {
            w: 230,
            h: 220,
            photometric: 1,
            bits: 8,
            data: packed(230, 220, 8, |x, _| (x % 32) as u8 * 8),
            colour_map: None,
            ..Default::default()
        };
        // Sixteen greys, darkest last, at 4 bits: odd widths pad their rows.
        let greys: Vec<[u8; 3]> = (0..16u8).map(|i| [255 - i * 17; 3]).collect();
        let four_bit = RawFrame {
            w: 233,
            h: 212,
            photometric: 3,
            bits: 4,
            data: packed(233, 212, 4, |x, y| ((x + y) % 16) as u8),
            colour_map: Some(colour_map(4, &greys)),
            ..Default::default()
        };
        let three = [colour, grey, four_bit];
        for little_endian in [true, false] {
            let bytes = raw_tiff(&three, little_endian);
            let frames = decode(&bytes).expect("decoded");
            assert_eq!(frames.len(), 3);
            let page = frames[0].as_rgb8().expect("a colour map of colours gives colour");
            assert_eq!(page.get_pixel(25, 15).0, [200, 30, 40]);
            assert_eq!(page.get_pixel(51, 35).0, [10, 10, 10]);
            assert_eq!(page.get_pixel(5, 5).0, [250, 248, 240]);
            assert_eq!(frames[1].as_luma8().expect("grey stays grey").get_pixel(35, 7).0, [24]);
            let page = frames[2].as_luma8().expect("a colour map of greys gives grey");
            assert_eq!(page.dimensions(), (233, 212));
            for (x, y, p) in page.enumerate_pixels() {
                assert_eq!(p.0[0], 255 - ((x + y) % 16) as u8 * 17, "({x}, {y})");
            }
        }
    }

    #[test]
    fn a_bilevel_palette_is_a_page_of_two_colours() {
        let black = |x: u32, y: u32| x.is_multiple_of(9) || y == 3;
        let bytes = raw_tiff(
            &[RawFrame {
                w: 221,
                h: 209,
                photometric: 3,
                bits: 1,
                data: packed(221, 209, 1, |x, y| u8::from(black(x, y))),
                colour_map: Some(colour_map(1, &[[255; 3], [0; 3]])),
                ..Default::default()
            }],
            false,
        );
        let page = decode(&bytes).expect("decoded")[0].to_luma8();
        for (x, y, p) in page.enumerate_pixels() {
            assert_eq!(p.0[0], if black(x, y) { 0 } else { 255 }, "({x}, {y})");
        }
    }

    #[test]
    fn a_palette_without_its_colour_map_is_named_damaged() {
        let frame = |colour_map| RawFrame {
            w: 200,
            h: 200,
            photometric: 3,
            bits: 8,
            data: vec![0; 200 * 200],
            colour_map,
            ..Default::default()
        };
        let e = decode(&raw_tiff(&[frame(None)], true)).expect_err("refused");
        assert_eq!(
            e,
            "frame 1: the TIFF image is damaged: a palette image without its colour map"
        );
        let e = decode(&raw_tiff(&[frame(Some(vec![0; 30]))], true)).expect_err("refused");
        assert!(
            e.starts_with("frame 1: the colour map holds 30 values, not the 768"),
            "{e}"
        );
    }

    /// `data` LZW-compressed as TIFF writes it.
    fn lzw(data: &[u8]) -> Vec<u8> {
        weezl::encode::Encoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .encode(data)
            .unwrap()
    }

    fn grey_page(w: u32, h: u32) -> GrayImage {
        GrayImage::from_fn(w, h, |x, y| image::Luma([((x * 7 + y * 3) % 251) as u8]))
    }

    /// A grey frame of `page` in LZW tiles `size` pixels square (the edge tiles padded).
    fn lzw_tiled(page: &GrayImage, size: u32) -> RawFrame {
        let (across, down) = (page.width().div_ceil(size), page.height().div_ceil(size));
        let tile = |tx: u32, ty: u32| -> Vec<u8> {
            let at = |i: u32| (tx * size + i % size, ty * size + i / size);
            let sample = |(x, y)| page.get_pixel_checked(x, y).map_or(0, |p| p.0[0]);
            lzw(&(0..size * size).map(|i| sample(at(i))).collect::<Vec<u8>>())
        };
        RawFrame {
            w: page.width(),
            h: page.height(),
            photometric: 1,
            bits: 8,
            stored: Some(Stored {
                compression: 5,
                chunks: (0..down)
                    .flat_map(|ty| (0..across).map(move |tx| tile(tx, ty)))
                    .collect(),
                tile: Some((size, size)),
                rows_per_strip: 0,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn tiled_lzw_pages_are_read_whole() {
        // The `tiff` crate refused these tile sizes ("no lzw end code found"): every grey
        // page `tiffcp -t` tiles, among others.
        let page = grey_page(229, 210);
        for size in [16, 64, 256] {
            for little_endian in [true, false] {
                let bytes = raw_tiff(&[lzw_tiled(&page, size)], little_endian);
                let read = decode(&bytes).unwrap_or_else(|e| panic!("{size}-pixel tiles: {e}"));
                assert_eq!(read[0].as_luma8(), Some(&page), "{size}-pixel tiles");
            }
        }
    }

    #[test]
    fn an_lzw_chunk_cut_short_is_damage_named_with_its_place() {
        let mut frame = lzw_tiled(&grey_page(229, 210), 64);
        let sixth = &mut frame.stored.as_mut().unwrap().chunks[5];
        sixth.truncate(sixth.len() / 2);
        let e = decode(&raw_tiff(&[frame], true)).expect_err("refused");
        assert!(
            e.starts_with("frame 1: tile 6: the TIFF image is damaged or truncated: its LZW data ends"),
            "{e}"
        );
    }

    #[test]
    fn bits_stored_least_significant_first_are_read_in_order() {
        let (w, h) = (221u32, 209u32);
        let black = |x: u32, y: u32| (x + 2 * y).is_multiple_of(11) || x < 9;
        // Black is zero: a set bit is white.
        let bits = packed(w, h, 1, |x, y| u8::from(!black(x, y)));
        let reversed = |b: &[u8]| -> Vec<u8> { b.iter().map(|b| b.reverse_bits()).collect() };
        let stride = w.div_ceil(8) as usize;
        let group4 = {
            use fax::{encoder::Encoder, Color, VecWriter};
            let mut encoder = Encoder::new(VecWriter::new());
            for y in 0..h {
                let pels = (0..w).map(|x| if black(x, y) { Color::Black } else { Color::White });
                encoder.encode_line(pels, w as u16).unwrap();
            }
            encoder.finish().unwrap().finish()
        };
        let stored = |compression, photometric, chunks: Vec<Vec<u8>>, rows_per_strip| RawFrame {
            w,
            h,
            photometric,
            bits: 1,
            stored: Some(Stored {
                compression,
                chunks,
                tile: None,
                rows_per_strip,
            }),
            tags: vec![(266, 2)],
            ..Default::default()
        };
        let cases = [
            ("uncompressed", stored(1, 1, vec![reversed(&bits)], h)),
            (
                "LZW in strips of 50 rows",
                stored(1, 1, bits.chunks(50 * stride).map(|s| reversed(&lzw(s))).collect(), 50),
            ),
            ("Group 4", stored(4, 0, vec![reversed(&group4)], h)),
        ];
        for (what, mut frame) in cases {
            if what.starts_with("LZW") {
                frame.stored.as_mut().unwrap().compression = 5;
            }
            let page = decode(&raw_tiff(&[frame], true)).unwrap_or_else(|e| panic!("{what}: {e}"))[0].to_luma8();
            for (x, y, p) in page.enumerate_pixels() {
                assert_eq!(p.0[0], if black(x, y) { 0 } else { 255 }, "{what}: ({x}, {y})");
            }
        }
    }

    #[test]
    fn group_3_fax_pages_are_read_one_and_two_dimensional() {
        // Written by libtiff's tiffcp in strips of 64 rows: one-dimensional; and
        // two-dimensional with its lines padded to bytes and its bits least significant
        // first, as fax servers store them.
        let black = |x: u32, y: u32| (x / 25 + y / 40).is_multiple_of(3) || y == 100 || x == 3;
        let files: [(&str, &[u8]); 2] = [
            ("1D", include_bytes!("../tests/fixtures/bilevel-page-g3.tif")),
            ("2D", include_bytes!("../tests/fixtures/bilevel-page-g3-2d.tif")),
        ];
        for (what, bytes) in files {
            let page = decode(bytes).unwrap_or_else(|e| panic!("{what}: {e}"))[0].to_luma8();
            assert_eq!(page.dimensions(), (200, 200));
            for (x, y, p) in page.enumerate_pixels() {
                assert_eq!(p.0[0], if black(x, y) { 0 } else { 255 }, "{what}: ({x}, {y})");
            }
        }
    }

    #[test]
    fn a_frame_is_turned_as_its_orientation_tag_says() {
        let page = grey_page(230, 210);
        let shown = [
            (1, page.clone()),
            (3, image::imageops::rotate180(&page)),
            (6, image::imageops::rotate90(&page)),
            (8, image::imageops::rotate270(&page)),
        ];
        for (orientation, shown) in shown {
            let frame = RawFrame {
                w: 230,
                h: 210,
                photometric: 1,
                bits: 8,
                data: page.as_raw().clone(),
                tags: vec![(274, orientation)],
                ..Default::default()
            };
            let read = decode(&raw_tiff(&[frame], false)).expect("decoded");
            assert_eq!(read[0].as_luma8(), Some(&shown), "orientation {orientation}");
        }
    }

    #[test]
    fn what_cannot_be_read_is_told_from_damage() {
        let float = DecodingResult::F32(vec![0.5; 4]);
        let e = image_of(2, 2, ColorType::Gray(32), float, false).unwrap_err();
        assert!(e.contains("Gray(32) is not supported; save it again as"), "{e}");
        let unsupported = TiffError::UnsupportedError(tiff::TiffUnsupportedError::UnknownInterpretation);
        assert!(unreadable(unsupported).contains("stored in a way that cannot be read"));
    }
}
