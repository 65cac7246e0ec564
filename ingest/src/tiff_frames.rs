//! The frames of a TIFF file as page images, in the forms scanners and archives write
//! them: bilevel (CCITT Group 4 most often), 8- and 16-bit grey, RGB and RGB with alpha
//! at 8 or 16 bits (preservation masters are often 48-bit colour), CMYK, grey with
//! alpha, each sample in its own plane or interleaved, in strips or tiles, compressed
//! any way the `tiff` crate reads (LZW, Deflate, PackBits, JPEG, CCITT).

use std::io::Cursor;

use image::{DynamicImage, GrayImage, ImageBuffer, RgbImage};
use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;
use tiff::{ColorType, TiffError};

use crate::decode::{check_size, Frame, MAX_PIXELS};

/// Every frame of a TIFF file.
pub fn frames(bytes: &[u8]) -> Result<Vec<Frame>, String> {
    let mut dec = Decoder::new(Cursor::new(bytes))
        .map_err(unreadable)?
        .with_limits(limits());
    let mut frames = Vec::new();
    loop {
        let frame = frames.len() + 1;
        let (w, h) = dec.dimensions().map_err(unreadable)?;
        check_size(w, h).map_err(|e| format!("frame {frame}: {e}"))?;
        let color = dec.colortype().map_err(unreadable)?;
        let planar = dec
            .find_tag_unsigned::<u16>(Tag::PlanarConfiguration)
            .map_err(unreadable)?
            == Some(2);
        let mut data = DecodingResult::U8(Vec::new());
        dec.read_image_to_buffer(&mut data).map_err(unreadable)?;
        let image = image_of(w, h, color, data, planar).map_err(|e| format!("frame {frame}: {e}"))?;
        frames.push(Frame {
            index: frames.len() as u32,
            image,
        });
        if !dec.more_images() {
            break;
        }
        dec.next_image().map_err(unreadable)?;
    }
    Ok(frames)
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

const RESAVE: &str = "save it again as bilevel, grey, RGB or CMYK";

/// A frame's samples as an image. `planar`: each sample in a plane of its own, one after
/// the other, rather than interleaved pixel by pixel.
fn image_of(w: u32, h: u32, color: ColorType, data: DecodingResult, planar: bool) -> Result<DynamicImage, String> {
    let short = || format!("pixel data is shorter than {w}×{h}");
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

/// A bilevel image, its rows of bits padded to whole bytes and 1 white (the decoder has
/// turned a white-is-zero page round already), as black and white grey.
fn bilevel_to_grey(w: u32, h: u32, bits: &[u8]) -> Option<GrayImage> {
    let stride = (w as usize).div_ceil(8);
    if bits.len() < stride * h as usize {
        return None;
    }
    Some(GrayImage::from_fn(w, h, |x, y| {
        let byte = bits[y as usize * stride + x as usize / 8];
        image::Luma([if byte >> (7 - x % 8) & 1 == 1 { 255 } else { 0 }])
    }))
}

/// CMYK ink coverage as the RGB light it leaves (no colour profile: a page's greys
/// and its red seal are what reading needs).
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
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
        let page = decode(&white_is_zero).expect("decoded")[0].image.to_luma8();
        assert_eq!(page.dimensions(), (243, 210));
        for (x, y, p) in page.enumerate_pixels() {
            assert_eq!(p.0[0], if black(x, y) { 0 } else { 255 }, "({x}, {y})");
        }
        // The same bits said black-is-zero: the negative.
        let mut black_is_zero = white_is_zero;
        let at = photometric_value_at(&black_is_zero);
        assert_eq!(black_is_zero[at], 0);
        black_is_zero[at] = 1;
        let page = decode(&black_is_zero).expect("decoded")[0].image.to_luma8();
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
        let page = decode(&bytes).expect("decoded")[0].image.to_rgb8();
        assert_eq!(page.get_pixel(50, 40).0, [0xF0, 0x20, 0x20]);
        assert_eq!(page.get_pixel(151, 100).0, [0x1F, 0x1F, 0x1F]);
        assert_eq!(page.get_pixel(10, 10).0, [0xF0, 0xF0, 0xF0]);
        assert!(
            limits().decoding_buffer_size >= 7016 * 9921 * 6,
            "an A3 master at 600 dpi"
        );
    }

    #[test]
    fn a_cmyk_page_is_the_light_its_inks_leave() {
        let bytes = tiff_of::<tiff::encoder::colortype::CMYK8>(230, 210, |x, _, c| match (x < 100, c) {
            (true, 3) => 255,      // black ink
            (false, 1 | 2) => 200, // magenta and yellow: red
            _ => 0,
        });
        let page = decode(&bytes).expect("decoded")[0].image.to_rgb8();
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

    #[test]
    fn what_cannot_be_read_is_told_from_damage() {
        let float = DecodingResult::F32(vec![0.5; 4]);
        let e = image_of(2, 2, ColorType::Gray(32), float, false).unwrap_err();
        assert!(e.contains("Gray(32) is not supported; save it again as"), "{e}");
        let unsupported = TiffError::UnsupportedError(tiff::TiffUnsupportedError::UnknownInterpretation);
        assert!(unreadable(unsupported).contains("stored in a way that cannot be read"));
    }
}
