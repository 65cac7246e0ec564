//! Pages are read at the resolution this crate was tuned on: a scan whose writing is
//! smaller or larger than on a 300-dpi page is enlarged or reduced first.
//!
//! Archives scan text at 200 dpi and up (DA/T 31-2017), older projects at 150, and keep
//! preservation masters at 400 to 600. Every measure of this crate in pixels (the
//! binarization window, dust and island sizes, the glyph bank's thresholds) was set on
//! 300-dpi pages, and Tesseract reads small, JPEG-blurred strokes poorly. Two generated
//! 12-page batches (seeds 4242 and 2718) scaled down and saved as JPEG, read as scanned:
//! 90.3 and 93.5 % of fields exact at 150 dpi (names 72.5 and 80.1 %), 97.0 and 97.8 % at
//! 200, against 98.8 and 98.9 % at 300. Enlarged here: 97.3 and 98.8 % at 150 (names 94.9
//! and 97.9 %), 98.5 and 98.7 % at 200, at about a sixth more time a page (as long as a
//! 300-dpi page takes). Four of those pages at 600 dpi read 88.1 % (names 69.2 %, against
//! 98.5 % at 300) in 2.4 times as long.
//!
//! The resolution a batch states (`scan_dpi`) is often absent or a scanner's default, so
//! the page's own writing is measured: the typical height of the writing in its body
//! cells. A page written smaller than the pages tuned on is enlarged to their typical
//! height, one written much larger reduced to their tallest; one written within their
//! range is read as it is.

use image::{DynamicImage, GrayImage, RgbImage};

use crate::grid::Grid;
use crate::preprocess::InkMap;
use crate::{ink_span, without_islands, InkLine, MIN_CELL_INK};

/// Heights in pixels of the writing in body cells on the 300-dpi pages this crate was
/// tuned on (the median of each page, on two generated 12-page batches: 28 to 41).
/// Measured on the same pages scaled to 200 and 150 dpi: 18 to 27 and 14 to 20; at 600,
/// 68 to 82.
const SMALLEST_TUNED_HEIGHT: u32 = 28;
const TYPICAL_HEIGHT: f32 = 34.0;
const TALLEST_TUNED_HEIGHT: f32 = 41.0;
/// Writing taller than this is reduced: the tallest tuned on and a sixth more, so large
/// handwriting on a 300-dpi page is read as scanned. Reduced only to the tallest tuned
/// on: measured on 4-page batches of seeds 2718 and 4242 at 400 and 600 dpi, reduced
/// to the typical height, the one 400-dpi page reduced (writing 54 pixels) cost its
/// batch 2 of 65 names; reduced to the tallest, the batches read as scanned at 400 dpi
/// (98.7 and 98.9 % of fields exact) and 98.6 and 98.9 % at 600 (as scanned, 88.1 and
/// 89.6 %).
const LARGEST_READ_AS_IS: u32 = 48;
/// Enlarged at most this much: a 100-dpi page holds too little to be made whole again,
/// and nine times its pixels would be time spent for little.
const MAX_ENLARGEMENT: f32 = 3.0;
/// Nor beyond this many pixels a side (an A2 ledger at 300 dpi is 7,016): a large page
/// written very small would otherwise take gigabytes to clean.
const MAX_ENLARGED_SIDE: f32 = 8000.0;
/// Reduced at most this much (a 1200-dpi scan).
const MIN_REDUCTION: f32 = 0.25;

/// How many times to resize a page whose table is `grid` on `ink` before reading it
/// (above 1 enlarged, below reduced), or `None` when its writing is within the heights
/// tuned on (or there is too little of it to measure).
pub(crate) fn rescaling(ink: &InkMap, grid: &Grid) -> Option<f32> {
    let height = writing_height(ink, grid)?;
    if height > LARGEST_READ_AS_IS {
        return Some((TALLEST_TUNED_HEIGHT / height as f32).max(MIN_REDUCTION));
    }
    if height >= SMALLEST_TUNED_HEIGHT {
        return None;
    }
    let fits = MAX_ENLARGED_SIDE / ink.width.max(ink.height) as f32;
    let scale = (TYPICAL_HEIGHT / height.max(1) as f32).min(MAX_ENLARGEMENT).min(fits);
    (scale > 1.05).then_some(scale)
}

/// The page resized `scale` times, colour kept (a red seal is told from black writing by
/// it). In fixed point on the bytes: `image`'s resize took 0.3 to 0.66 s a page, a sixth
/// of reading it; these take 19 ms.
pub(crate) fn resized(image: &DynamicImage, scale: f32) -> DynamicImage {
    let size = |side: u32| ((side as f32 * scale).round() as u32).max(1);
    let (w, h) = (image.width(), image.height());
    let (nw, nh) = (size(w), size(h));
    let resample = |pixels: &[u8], channels: usize| match scale > 1.0 {
        true => bilinear(pixels, (w, h), channels, (nw, nh)),
        false => area_average(pixels, (w, h), channels, (nw, nh)),
    };
    match image {
        DynamicImage::ImageLuma8(grey) => {
            DynamicImage::ImageLuma8(GrayImage::from_raw(nw, nh, resample(grey.as_raw(), 1)).expect("sized above"))
        }
        _ if image.color().has_color() => {
            let rgb = image.to_rgb8();
            DynamicImage::ImageRgb8(RgbImage::from_raw(nw, nh, resample(rgb.as_raw(), 3)).expect("sized above"))
        }
        _ => resized(&DynamicImage::ImageLuma8(image.to_luma8()), scale),
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

/// `pixels` (`size`, `channels` bytes a pixel, rows packed) enlarged to `to`, bilinear:
/// the grey edges of strokes stay smooth, where the nearest pixel would make stairs that
/// binarize into specks (bicubic read no better: 98.5 % of fields at 150 dpi against
/// bilinear's 98.8 %).
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

/// Fixed-point bits of a source pixel's share of a reduced one.
const SHARE_BITS: u32 = 12;

/// The source pixels output pixel `at` of `to` covers on a line of `from` (`to` < `from`):
/// the first, and each one's share of its area in 1/2^[`SHARE_BITS`], summing to 1.
fn covered(at: u32, from: u32, to: u32) -> (usize, Vec<u32>) {
    let ratio = from as f64 / to as f64;
    let (start, end) = (at as f64 * ratio, ((at + 1) as f64 * ratio).min(from as f64));
    let first = start.floor() as usize;
    let last = (end.ceil() as usize).clamp(first + 1, from as usize);
    // Each share is the difference of where its pixel's edges fall in the output pixel,
    // rounded: the shares sum to exactly 1, each within a unit of its area.
    let edge = |x: f64| (((x - start) / (end - start)).clamp(0.0, 1.0) * (1 << SHARE_BITS) as f64).round() as u32;
    let shares = (first..last)
        .map(|j| edge(end.min(j as f64 + 1.0)) - edge(start.max(j as f64)))
        .collect();
    (first, shares)
}

/// `pixels` (`size`, `channels` bytes a pixel, rows packed) reduced to `to`, each output
/// pixel the mean of the area it covers (sampling instead would drop a hairline that
/// falls between samples). Rows are summed first into one accumulator row, then across.
fn area_average(pixels: &[u8], (w, h): (u32, u32), channels: usize, (nw, nh): (u32, u32)) -> Vec<u8> {
    let stride = w as usize * channels;
    let columns: Vec<(usize, Vec<u32>)> = (0..nw).map(|x| covered(x, w, nw)).collect();
    let rows: Vec<(usize, Vec<u32>)> = (0..nh).map(|y| covered(y, h, nh)).collect();
    let mut sums = vec![0u32; stride];
    let mut out = vec![0u8; nw as usize * nh as usize * channels];
    for (out_row, (first_row, row_shares)) in out.chunks_exact_mut(nw as usize * channels).zip(&rows) {
        sums.fill(0);
        for (i, &share) in row_shares.iter().enumerate() {
            let row = &pixels[(*first_row + i) * stride..][..stride];
            for (sum, &v) in sums.iter_mut().zip(row) {
                *sum += v as u32 * share;
            }
        }
        for (out_pixel, (first, shares)) in out_row.chunks_exact_mut(channels).zip(&columns) {
            for (c, out) in out_pixel.iter_mut().enumerate() {
                // Each sum is at most 255 << SHARE_BITS; taken down to the value in
                // 16ths (12 bits), a weighted sum of them fits 32.
                let total: u32 = shares
                    .iter()
                    .enumerate()
                    .map(|(i, &share)| (sums[(first + i) * channels + c] >> (SHARE_BITS - 4)) * share)
                    .sum();
                *out = ((total + (1 << (SHARE_BITS + 3))) >> (SHARE_BITS + 4)) as u8;
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

    /// A ruled table of `rows` body rows (60 pixels, or twice the writing) and 4 columns
    /// of 200, each body cell written with a block of ink `writing` pixels high.
    fn written_table(rows: usize, writing: u32) -> (InkMap, Grid) {
        let pitch = (2 * writing).max(60);
        let grid = Grid {
            rows: (0..=rows as u32 + 1).map(|r| 10 + r * pitch).collect(),
            cols: (0..=4).map(|c| 10 + c * 200).collect(),
        };
        let (width, height) = (830, 10 + (rows as u32 + 1) * pitch + 20);
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
        assert_eq!(rescaling(&ink, &grid), None);
    }

    #[test]
    fn small_writing_is_enlarged_to_the_typical_height_and_no_further_than_the_most() {
        let (ink, grid) = written_table(6, 17);
        assert_eq!(writing_height(&ink, &grid), Some(17));
        assert_eq!(rescaling(&ink, &grid), Some(2.0));
        let (ink, grid) = written_table(6, 8);
        assert_eq!(rescaling(&ink, &grid), Some(MAX_ENLARGEMENT));
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
        assert_eq!(rescaling(&widened(ink, 6000), &grid), Some(8000.0 / 6000.0));
        // 8,000 pixels for 7,800 is no enlargement worth the time.
        let (ink, grid) = written_table(6, 8);
        assert_eq!(rescaling(&widened(ink, 7800), &grid), None);
    }

    #[test]
    fn large_writing_is_reduced_to_the_tallest_tuned_on_and_large_handwriting_read_as_it_is() {
        let (ink, grid) = written_table(6, 82);
        assert_eq!(writing_height(&ink, &grid), Some(82));
        assert_eq!(rescaling(&ink, &grid), Some(0.5));
        let (ink, grid) = written_table(6, 45);
        assert_eq!(rescaling(&ink, &grid), None);
    }

    #[test]
    fn a_reduced_pixel_covers_its_share_of_each_source_pixel() {
        // 10 pixels to 4: each output pixel covers 2.5 of them.
        assert_eq!(covered(0, 10, 4), (0, vec![1638, 1639, 819]));
        assert_eq!(covered(1, 10, 4), (2, vec![819, 1639, 1638]));
        for at in 0..7 {
            let (first, shares) = covered(at, 1000, 7);
            assert_eq!(shares.iter().sum::<u32>(), 1 << SHARE_BITS, "{at}");
            assert!(first + shares.len() <= 1000);
        }
    }

    #[test]
    fn reducing_keeps_a_hairline_that_sampling_would_drop() {
        // A one-pixel rule on every odd column: halved, each falls in one output pixel.
        let page = GrayImage::from_fn(20, 6, |x, _| image::Luma([if x % 4 == 1 { 0 } else { 255 }]));
        let small = resized(&DynamicImage::ImageLuma8(page), 0.5).to_luma8();
        assert_eq!(small.dimensions(), (10, 3));
        let row: Vec<u8> = small.rows().next().unwrap().map(|p| p.0[0]).collect();
        assert_eq!(row, [128, 255, 128, 255, 128, 255, 128, 255, 128, 255]);
        let flat = GrayImage::from_pixel(33, 17, image::Luma([97]));
        let small = resized(&DynamicImage::ImageLuma8(flat), 0.3).to_luma8();
        assert!(small.pixels().all(|p| p.0[0] == 97));
    }

    #[test]
    fn a_page_with_too_little_writing_is_not_measured() {
        let (ink, grid) = written_table(1, 10);
        assert_eq!(writing_height(&ink, &grid), None, "four cells");
        assert_eq!(rescaling(&ink, &grid), None);
    }

    #[test]
    fn enlarging_keeps_flat_paper_flat_and_turns_an_edge_into_a_ramp() {
        // Left half ink (40), right half paper (220).
        let page = GrayImage::from_fn(10, 4, |x, _| image::Luma([if x < 5 { 40 } else { 220 }]));
        let big = resized(&DynamicImage::ImageLuma8(page), 2.0).to_luma8();
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
        let same = resized(&DynamicImage::ImageRgb8(page.clone()), 1.0);
        assert_eq!(same.as_rgb8(), Some(&page));
        let big = resized(&DynamicImage::ImageRgb8(page), 1.5);
        assert_eq!((big.width(), big.height()), (11, 8));
        assert!(big.as_rgb8().is_some());
    }
}
