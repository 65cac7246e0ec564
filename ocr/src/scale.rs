//! Pages scanned at a low resolution are enlarged before they are read.
//!
//! Archives scan text at 200 dpi and up (DA/T 31-2017), and older projects at 150. Every
//! measure of this crate in pixels (the binarization window, dust and island sizes, the
//! glyph bank's thresholds) was set on 300-dpi pages, and Tesseract reads small,
//! JPEG-blurred strokes poorly. Two generated 12-page batches (seeds 4242 and 2718)
//! scaled down and saved as JPEG, read as scanned: 90.3 and 93.5 % of fields exact at
//! 150 dpi (names 72.5 and 80.1 %), 97.0 and 97.8 % at 200, against 98.8 and 98.9 % at
//! 300. Enlarged here: 97.3 and 98.8 % at 150 (names 94.9 and 97.9 %), 98.5 and 98.7 %
//! at 200, at about a sixth more time a page (as long as a 300-dpi page takes).
//!
//! The resolution a batch states (`scan_dpi`) is often absent or a scanner's default, so
//! the page's own writing is measured: the typical height of the writing in its body
//! cells. A page whose writing is smaller than a 300-dpi page's is enlarged until it is
//! as tall; a page written larger is read as it is.

use image::{DynamicImage, GrayImage, RgbImage};

use crate::grid::Grid;
use crate::preprocess::InkMap;
use crate::{ink_span, without_islands, InkLine, MIN_CELL_INK};

/// Heights in pixels of the writing in body cells on the 300-dpi pages this crate was
/// tuned on (the median of each page, on two generated 12-page batches: 28 to 41).
/// Writing at least as tall as the smallest is read as it is; smaller writing is enlarged
/// to the typical height. Measured on the same pages scaled to 200 and 150 dpi: 18 to 27
/// and 14 to 20.
const SMALLEST_TUNED_HEIGHT: u32 = 28;
const TYPICAL_HEIGHT: f32 = 34.0;
/// Enlarged at most this much: a 100-dpi page holds too little to be made whole again,
/// and nine times its pixels would be time spent for little.
const MAX_ENLARGEMENT: f32 = 3.0;
/// Nor beyond this many pixels a side (an A2 ledger at 300 dpi is 7,016): a large page
/// written very small would otherwise take gigabytes to clean.
const MAX_ENLARGED_SIDE: f32 = 8000.0;

/// How much to enlarge a page whose table is `grid` on `ink` before reading it, or
/// `None` when its writing is tall enough (or there is too little of it to measure).
pub(crate) fn enlargement(ink: &InkMap, grid: &Grid) -> Option<f32> {
    let height = writing_height(ink, grid)?;
    if height >= SMALLEST_TUNED_HEIGHT {
        return None;
    }
    let fits = MAX_ENLARGED_SIDE / ink.width.max(ink.height) as f32;
    let scale = (TYPICAL_HEIGHT / height.max(1) as f32).min(MAX_ENLARGEMENT).min(fits);
    (scale > 1.05).then_some(scale)
}

/// The page enlarged `scale` times, bilinear: the grey edges of strokes stay smooth,
/// where the nearest pixel would make stairs that binarize into specks (bicubic read
/// no better: 98.5 % of fields at 150 dpi against bilinear's 98.8 %). In fixed point on
/// the bytes: `image`'s resize took 0.3 to 0.66 s a page, a sixth of reading it.
pub(crate) fn enlarged(image: &DynamicImage, scale: f32) -> DynamicImage {
    let size = |side: u32| ((side as f32 * scale).round() as u32).max(1);
    let (w, h) = (image.width(), image.height());
    let (nw, nh) = (size(w), size(h));
    match image {
        DynamicImage::ImageLuma8(grey) => {
            let out = bilinear(grey.as_raw(), (w, h), 1, (nw, nh));
            DynamicImage::ImageLuma8(GrayImage::from_raw(nw, nh, out).expect("sized above"))
        }
        // Colour is kept: a red seal is told from black writing by it.
        _ if image.color().has_color() => {
            let rgb = image.to_rgb8();
            let out = bilinear(rgb.as_raw(), (w, h), 3, (nw, nh));
            DynamicImage::ImageRgb8(RgbImage::from_raw(nw, nh, out).expect("sized above"))
        }
        _ => enlarged(&DynamicImage::ImageLuma8(image.to_luma8()), scale),
    }
}

/// Fixed-point bits of a sample's position between two source pixels.
const FRACTION_BITS: u32 = 8;
const ONE: u32 = 1 << FRACTION_BITS;

/// Where output pixel `at` of `to` samples a line of `from` pixels: the source pixel
/// before it and how far towards the next, in [`ONE`]s (pixel centres aligned).
fn sample(at: u32, from: u32, to: u32) -> (usize, u32) {
    let position = ((at as f64 + 0.5) * from as f64 / to as f64 - 0.5).max(0.0);
    let before = position.floor() as u32;
    if before + 1 >= from {
        return (from as usize - 1, 0);
    }
    (
        before as usize,
        ((position - before as f64) * ONE as f64).round() as u32,
    )
}

/// `pixels` (`size`, `channels` bytes a pixel, rows packed) resampled to `to`.
fn bilinear(pixels: &[u8], (w, h): (u32, u32), channels: usize, (nw, nh): (u32, u32)) -> Vec<u8> {
    let stride = w as usize * channels;
    let columns: Vec<(usize, u32)> = (0..nw).map(|x| sample(x, w, nw)).collect();
    let mut out = vec![0u8; nw as usize * nh as usize * channels];
    for (y, out_row) in out.chunks_exact_mut(nw as usize * channels).enumerate() {
        let (above, down) = sample(y as u32, h, nh);
        let below = (above + 1).min(h as usize - 1);
        let (top, bottom) = (&pixels[above * stride..][..stride], &pixels[below * stride..][..stride]);
        for (out_pixel, &(left, across)) in out_row.chunks_exact_mut(channels).zip(&columns) {
            let right = (left + 1).min(w as usize - 1);
            for (c, out) in out_pixel.iter_mut().enumerate() {
                let blend = |row: &[u8]| {
                    row[left * channels + c] as u32 * (ONE - across) + row[right * channels + c] as u32 * across
                };
                let value = blend(top) * (ONE - down) + blend(bottom) * down;
                *out = ((value + ONE * ONE / 2) >> (2 * FRACTION_BITS)) as u8;
            }
        }
    }
    out
}

/// Fewest written cells to measure a page by.
const MIN_MEASURED_CELLS: usize = 5;

/// The median height of the writing in the body cells that hold some, in pixels: each
/// cell's rows of ink as a cut for reading takes them (without rule remains or dust
/// islands), so one tall or flat character (一) moves it little.
fn writing_height(ink: &InkMap, grid: &Grid) -> Option<u32> {
    let mut heights = Vec::new();
    for row in 1..=grid.body_rows() {
        for col in 0..grid.columns() {
            let b = grid.cell(row, col);
            if ink.count(b.x, b.y, b.x + b.w, b.y + b.h) < MIN_CELL_INK {
                continue;
            }
            let mut rows = vec![InkLine::default(); b.h as usize];
            for (y, line) in rows.iter_mut().enumerate() {
                for x in 0..b.w {
                    if ink.at(b.x + x, b.y + y as u32) {
                        line.add(x);
                    }
                }
            }
            if let Some(span) = ink_span(&rows, b.w) {
                let (first, last) = without_islands(&rows, span);
                heights.push(last - first + 1);
            }
        }
    }
    if heights.len() < MIN_MEASURED_CELLS {
        return None;
    }
    let middle = heights.len() / 2;
    Some(*heights.select_nth_unstable(middle).1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ruled table of `rows` body rows of 60 pixels and 4 columns of 200, each body cell
    /// written with a block of ink `writing` pixels high.
    fn written_table(rows: usize, writing: u32) -> (InkMap, Grid) {
        let grid = Grid {
            rows: (0..=rows as u32 + 1).map(|r| 10 + r * 60).collect(),
            cols: (0..=4).map(|c| 10 + c * 200).collect(),
        };
        let (width, height) = (830, 10 + (rows as u32 + 1) * 60 + 20);
        let mut ink = InkMap {
            width,
            height,
            data: vec![0; (width * height) as usize],
        };
        for row in 1..=grid.body_rows() {
            for col in 0..grid.columns() {
                let b = grid.cell(row, col);
                let top = b.y + (b.h - writing) / 2;
                for y in top..top + writing {
                    for x in b.x + 20..b.x + 120 {
                        ink.data[(y * width + x) as usize] = 1;
                    }
                }
            }
        }
        (ink, grid)
    }

    #[test]
    fn writing_as_tall_as_on_the_pages_tuned_on_is_read_as_it_is() {
        let (ink, grid) = written_table(6, 30);
        assert_eq!(writing_height(&ink, &grid), Some(30));
        assert_eq!(enlargement(&ink, &grid), None);
    }

    #[test]
    fn small_writing_is_enlarged_to_the_typical_height_and_no_further_than_the_most() {
        let (ink, grid) = written_table(6, 17);
        assert_eq!(writing_height(&ink, &grid), Some(17));
        assert_eq!(enlargement(&ink, &grid), Some(2.0));
        let (ink, grid) = written_table(6, 8);
        assert_eq!(enlargement(&ink, &grid), Some(MAX_ENLARGEMENT));
    }

    /// `ink` on a page `width` pixels wide, the added paper blank.
    fn widened(ink: InkMap, width: u32) -> InkMap {
        let mut data = vec![0u8; (width * ink.height) as usize];
        for (to, from) in data
            .chunks_exact_mut(width as usize)
            .zip(ink.data.chunks_exact(ink.width as usize))
        {
            to[..from.len()].copy_from_slice(from);
        }
        InkMap { width, data, ..ink }
    }

    #[test]
    fn a_page_is_not_enlarged_beyond_the_largest_side() {
        let (ink, grid) = written_table(6, 8);
        assert_eq!(enlargement(&widened(ink, 6000), &grid), Some(8000.0 / 6000.0));
        // 8,000 pixels for 7,800 is no enlargement worth the time.
        let (ink, grid) = written_table(6, 8);
        assert_eq!(enlargement(&widened(ink, 7800), &grid), None);
    }

    #[test]
    fn a_page_with_too_little_writing_is_not_measured() {
        let (ink, grid) = written_table(1, 10);
        assert_eq!(writing_height(&ink, &grid), None, "four cells");
        assert_eq!(enlargement(&ink, &grid), None);
    }

    #[test]
    fn enlarging_keeps_flat_paper_flat_and_turns_an_edge_into_a_ramp() {
        // Left half ink (40), right half paper (220).
        let page = GrayImage::from_fn(10, 4, |x, _| image::Luma([if x < 5 { 40 } else { 220 }]));
        let big = enlarged(&DynamicImage::ImageLuma8(page), 2.0).to_luma8();
        assert_eq!(big.dimensions(), (20, 8));
        for row in big.rows() {
            let values: Vec<u8> = row.map(|p| p.0[0]).collect();
            assert!(values[..9].iter().all(|&v| v == 40), "{values:?}");
            assert!(values[11..].iter().all(|&v| v == 220), "{values:?}");
            assert!(values.windows(2).all(|w| w[0] <= w[1]), "{values:?}");
            assert!(values[9] > 40 && values[10] < 220, "{values:?}");
        }
    }

    #[test]
    fn enlarging_once_over_changes_nothing_and_colour_stays_colour() {
        let page = RgbImage::from_fn(7, 5, |x, y| image::Rgb([(x * 30) as u8, (y * 40) as u8, 200]));
        let same = enlarged(&DynamicImage::ImageRgb8(page.clone()), 1.0);
        assert_eq!(same.as_rgb8(), Some(&page));
        let big = enlarged(&DynamicImage::ImageRgb8(page), 1.5);
        assert_eq!((big.width(), big.height()), (11, 8));
        assert!(big.as_rgb8().is_some());
    }
}
