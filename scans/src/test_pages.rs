//! Test pages: bilevel ones in the codings volumes store them in, made here since no
//! encoder of them is at hand: CCITT Group 4 (the `fax` crate's encoder) and JBIG2 wrapped
//! round it (a generic region coded as MMR is Group 4); and small grey files, a TIFF volume
//! and a PNG page.

use image::DynamicImage;

/// The test page: black where this says.
pub fn black(x: u32, y: u32) -> bool {
    (x / 7 + y / 5).is_multiple_of(3) || y == 100
}

/// The page, `w`×`h`, coded as CCITT Group 4.
pub fn group4(w: u32, h: u32) -> Vec<u8> {
    use fax::{encoder::Encoder, Color, VecWriter};
    let mut encoder = Encoder::new(VecWriter::new());
    for y in 0..h {
        let pels = (0..w).map(|x| if black(x, y) { Color::Black } else { Color::White });
        encoder.encode_line(pels, w as u16).unwrap();
    }
    encoder.finish().unwrap().finish()
}

/// The page as JBIG2 segments (T.88 7.2), as a PDF embeds them: page information, then
/// an immediate lossless generic region coded as MMR.
pub fn jbig2_segments(w: u32, h: u32) -> Vec<u8> {
    let segment = |number: u32, kind: u8, data: &[u8]| {
        let mut s = number.to_be_bytes().to_vec();
        s.extend([kind, 0, 1]); // type; no referred-to segments; page 1
        s.extend((data.len() as u32).to_be_bytes());
        s.extend(data);
        s
    };
    let mut page_information = [w, h, 0, 0].iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<u8>>();
    page_information.extend([0, 0, 0]);
    let mut region = [w, h, 0, 0].iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<u8>>();
    region.extend([0, 1]); // combination: or; MMR
    region.extend(group4(w, h));
    let mut data = segment(0, 48, &page_information);
    data.extend(segment(1, 39, &region));
    data
}

/// The page as a JBIG2 file (T.88 D.4, sequential organization, one page), as an OFD
/// stores a bilevel scan (`.jb2`).
pub fn jbig2_file(w: u32, h: u32) -> Vec<u8> {
    let mut file = vec![0x97, 0x4A, 0x42, 0x32, 0x0D, 0x0A, 0x1A, 0x0A, 0x01];
    file.extend(1u32.to_be_bytes());
    file.extend(jbig2_segments(w, h));
    file
}

pub fn assert_bilevel(image: &DynamicImage, what: &str) {
    let grey = image.to_luma8();
    for (x, y, p) in grey.enumerate_pixels() {
        assert_eq!(p.0[0], if black(x, y) { 0 } else { 255 }, "{what}: ({x}, {y})");
    }
}

/// A grey page of the smallest size a page may have, its frame number written in its
/// first pixel.
fn small_page(frame: u8) -> image::GrayImage {
    let mut page = image::GrayImage::from_pixel(230, 210, image::Luma([255]));
    page.put_pixel(0, 0, image::Luma([frame]));
    page
}

/// A multi-page TIFF of `frames` grey pages.
pub fn tiff_volume(frames: usize) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut encoder = tiff::encoder::TiffEncoder::new(&mut out).expect("a TIFF encoder");
    for frame in 0..frames {
        let page = small_page(frame as u8);
        encoder
            .write_image::<tiff::encoder::colortype::Gray8>(page.width(), page.height(), page.as_raw())
            .expect("a frame written");
    }
    out.into_inner()
}

/// A one-page PNG file.
pub fn png_page() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    small_page(0)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("a PNG written");
    out.into_inner()
}
