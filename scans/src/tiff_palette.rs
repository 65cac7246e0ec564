//! Palette (indexed-colour) TIFF frames. Archive scanners save colour-reduced pages this
//! way: one 1-, 2-, 4- or 8-bit index a pixel and a colour map of 16-bit RGB. The `tiff`
//! crate decodes the strips of such a frame but refuses its photometric interpretation,
//! so the indices are read from a copy of the file whose palette frames say "grey"
//! instead, then looked up in the frame's colour map.

use image::{DynamicImage, GrayImage, RgbImage};

use crate::tiff_layout::{Layout, PHOTOMETRIC};

/// The photometric interpretations this module reads and writes.
pub(crate) const PALETTE: u16 = 3;
const BLACK_IS_ZERO: u16 = 1;

/// A frame's colour map, as the TIFF stores it: all reds, then all greens, then all
/// blues, 16 bits each, one entry for every index `bits` can hold.
pub(crate) struct ColourMap {
    bits: u8,
    map: Vec<u16>,
}

impl ColourMap {
    pub fn new(bits: u8, map: Vec<u16>) -> Result<ColourMap, String> {
        if !matches!(bits, 1 | 2 | 4 | 8) {
            return Err(format!("a palette of {bits}-bit indices is not supported"));
        }
        let needed = 3 << bits;
        if map.len() != needed {
            let held = map.len();
            return Err(format!(
                "the colour map holds {held} values, not the {needed} a {bits}-bit palette needs"
            ));
        }
        Ok(ColourMap { bits, map })
    }

    fn entries(&self) -> usize {
        1 << self.bits
    }

    /// The 8-bit colour of `index`.
    fn rgb(&self, index: usize) -> [u8; 3] {
        let n = self.entries();
        [0, 1, 2].map(|channel| (self.map[channel * n + index] >> 8) as u8)
    }

    /// The frame whose packed indices (rows padded to whole bytes) are `packed`; `None`
    /// when there are fewer of them than `w`×`h`. A map of greys gives a grey page, so a
    /// grey scan saved with a palette reads like any grey scan.
    pub fn image(&self, w: u32, h: u32, packed: &[u8]) -> Option<DynamicImage> {
        let mut indices = unpack(w, h, self.bits, packed)?;
        let colours: Vec<[u8; 3]> = (0..self.entries()).map(|i| self.rgb(i)).collect();
        if colours.iter().all(|[r, g, b]| r == g && g == b) {
            for pixel in indices.iter_mut() {
                *pixel = colours[usize::from(*pixel)][0];
            }
            Some(DynamicImage::ImageLuma8(indices))
        } else {
            Some(DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
                image::Rgb(colours[usize::from(indices.get_pixel(x, y).0[0])])
            })))
        }
    }
}

/// Samples of `bits` (1, 2, 4 or 8) packed into rows padded to whole bytes, most
/// significant bits first, one a byte; `None` when there are fewer than `w`×`h`.
pub(crate) fn unpack(w: u32, h: u32, bits: u8, packed: &[u8]) -> Option<GrayImage> {
    let bits = usize::from(bits);
    let stride = (w as usize * bits).div_ceil(8);
    if packed.len() < stride * h as usize {
        return None;
    }
    let mask = (1u16 << bits) - 1;
    Some(GrayImage::from_fn(w, h, |x, y| {
        let bit = x as usize * bits;
        let byte = packed[y as usize * stride + bit / 8];
        image::Luma([((u16::from(byte) >> (8 - bits - bit % 8)) & mask) as u8])
    }))
}

/// A copy of the TIFF `bytes` in which every palette frame's photometric interpretation
/// says black-is-zero grey, so that the decoder hands over its indices unchanged. Frames
/// that are not palettes are left as they are. `None` when the file's directories cannot
/// be walked (the decoder has read them already, so this is damage it will name).
pub(crate) fn indices_as_grey(bytes: &[u8]) -> Option<Vec<u8>> {
    let layout = Layout::of(bytes)?;
    let mut copy = bytes.to_vec();
    for directory in layout.chain(bytes).directories {
        let entries = layout.entries(bytes, directory)?;
        let Some(photometric) = entries.iter().find(|e| e.tag == PHOTOMETRIC) else {
            continue;
        };
        if layout.values(bytes, photometric)?.first() == Some(&u64::from(PALETTE)) {
            layout.put(&mut copy, photometric, 0, u64::from(BLACK_IS_ZERO))?;
        }
    }
    Some(copy)
}
