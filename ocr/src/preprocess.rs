//! Image clean-up before reading: grey, deskew (the angle is measured, not guessed) and
//! a local-mean binarization that survives uneven light and faint ink.

use image::{DynamicImage, GrayImage, Luma};
use imageproc::morphology::{grayscale_dilate, Mask};

use crate::border;
use crate::components::{self, blobs_of, Blob};
use crate::keystone::Keystone;

/// A page ready for table detection and cell reading.
pub struct CleanPage {
    /// Deskewed grey image: what cells are cut from for OCR and for the review UI.
    pub grey: GrayImage,
    /// Same geometry, ink = true: what the table is found in.
    pub ink: InkMap,
    /// On a colour scan, the ink of `grey` as well (see [`clean`]): what a cell's
    /// writing is found by. `None` on a grey scan, where it is `ink`.
    reading_ink: Option<InkMap>,
    /// The skew that was measured and removed, in degrees.
    pub skew_degrees: f32,
    /// When the table was photographed at a slant: how the page was squared (see
    /// [`crate::keystone`]).
    pub keystone: Option<Keystone>,
}

impl CleanPage {
    /// The page squared by `keystone`: its grey, and its ink maps with it.
    pub fn squared(&self, keystone: Keystone) -> CleanPage {
        CleanPage {
            grey: keystone.squared_grey(&self.grey),
            ink: keystone.squared_ink(&self.ink),
            reading_ink: self.reading_ink.as_ref().map(|ink| keystone.squared_ink(ink)),
            skew_degrees: self.skew_degrees,
            keystone: Some(keystone),
        }
    }

    /// The ink a cell's writing is found by: on a colour scan, ink of the grey image
    /// cells are read from, so a red seal or red rules are none.
    pub fn cell_ink(&self) -> &InkMap {
        self.reading_ink.as_ref().unwrap_or(&self.ink)
    }
}

/// A binary image, one byte per pixel (1 = ink), with cheap row/column access.
pub struct InkMap {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl InkMap {
    #[inline]
    pub fn at(&self, x: u32, y: u32) -> bool {
        self.data[(y * self.width + x) as usize] != 0
    }

    /// Ink pixels inside a rectangle.
    pub fn count(&self, x0: u32, y0: u32, x1: u32, y1: u32) -> u32 {
        let mut n = 0;
        for y in y0..y1.min(self.height) {
            let row = &self.data[(y * self.width) as usize..][..self.width as usize];
            n += row[x0.min(self.width) as usize..x1.min(self.width) as usize]
                .iter()
                .map(|&v| v as u32)
                .sum::<u32>();
        }
        n
    }
}

/// Window sums of a grey image from its integral image, for local means. The integral
/// wraps around `u32`: a window's sum is right however large the page, since modular
/// arithmetic gives it exactly when it fits (255 × the window's area does).
pub struct WindowSums {
    width: usize,
    height: usize,
    integral: Vec<u32>,
}

impl WindowSums {
    pub fn new(grey: &GrayImage) -> WindowSums {
        let (width, height) = (grey.width() as usize, grey.height() as usize);
        // A zero row and column in front.
        let mut integral = vec![0u32; (width + 1) * (height + 1)];
        for y in 0..height {
            let mut row_sum = 0u32;
            let src = &grey.as_raw()[y * width..][..width];
            for x in 0..width {
                row_sum = row_sum.wrapping_add(src[x] as u32);
                integral[(y + 1) * (width + 1) + x + 1] = integral[y * (width + 1) + x + 1].wrapping_add(row_sum);
            }
        }
        WindowSums {
            width,
            height,
            integral,
        }
    }

    /// Row `y` of the sums (`width + 1` of them, the first 0): the sums of the pixels
    /// above row `y`, left of each column.
    fn row(&self, y: usize) -> &[u32] {
        &self.integral[y * (self.width + 1)..][..self.width + 1]
    }

    /// The sum of the window of `radius` around (x, y), cut to the image, and its area.
    pub fn around(&self, x: usize, y: usize, radius: usize) -> (u32, u32) {
        let (y0, y1) = (y.saturating_sub(radius), (y + radius + 1).min(self.height));
        let (x0, x1) = (x.saturating_sub(radius), (x + radius + 1).min(self.width));
        let sum = between_rows(self.row(y0), self.row(y1), x0, x1);
        (sum, ((y1 - y0) * (x1 - x0)) as u32)
    }
}

/// The sum of the pixels in columns `x0..x1` between the rows of sums `top` and `bottom`
/// (see [`WindowSums::row`]).
#[inline]
fn between_rows(top: &[u32], bottom: &[u32], x0: usize, x1: usize) -> u32 {
    bottom[x1]
        .wrapping_add(top[x0])
        .wrapping_sub(top[x1])
        .wrapping_sub(bottom[x0])
}

/// Bradley–Roth local-mean threshold: ink where a pixel is `sensitivity` darker than
/// the mean of its neighbourhood. Uneven light shifts the mean with it.
///
/// [`WindowSums::around`] for every pixel, a row at a time: the window's top and bottom
/// rows of sums are found once a row, not once a pixel (a page's binarization took
/// 57 ms on one core).
pub fn binarize(grey: &GrayImage, radius: u32, sensitivity: f32) -> InkMap {
    let (w, h) = grey.dimensions();
    let (wu, hu, r) = (w as usize, h as usize, radius as usize);
    let sums = WindowSums::new(grey);
    let mut data = vec![0u8; wu * hu];
    for (y, (src, out)) in grey
        .as_raw()
        .chunks_exact(wu)
        .zip(data.chunks_exact_mut(wu))
        .enumerate()
    {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(hu));
        let (top, bottom) = (sums.row(y0), sums.row(y1));
        let rows = (y1 - y0) as u32;
        for (x, (&p, ink)) in src.iter().zip(out.iter_mut()).enumerate() {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(wu));
            let sum = between_rows(top, bottom, x0, x1);
            let area = rows * (x1 - x0) as u32;
            *ink = u8::from((p as f32) * (area as f32) < sum as f32 * (1.0 - sensitivity));
        }
    }
    InkMap {
        width: w,
        height: h,
        data,
    }
}

/// The image at half size, each pixel the mean of a 2×2 block: what the skew search
/// needs, at a fraction of a filtered resize's cost (that was 6 % of all OCR time).
pub(crate) fn half_size(grey: &GrayImage) -> GrayImage {
    let (w, h) = (grey.width() / 2, grey.height() / 2);
    let src = grey.as_raw();
    let stride = grey.width() as usize;
    GrayImage::from_fn(w, h, |x, y| {
        let (x, y) = (2 * x as usize, 2 * y as usize);
        let sum = src[y * stride + x] as u32
            + src[y * stride + x + 1] as u32
            + src[(y + 1) * stride + x] as u32
            + src[(y + 1) * stride + x + 1] as u32;
        Luma([((sum + 2) / 4) as u8])
    })
}

/// Each pixel the lightest within `reach` of it (a square), as two passes of a line:
/// the paper a page's ink lies on, when `reach` is wider than its strokes.
pub(crate) fn lightest_within(page: &GrayImage, reach: u32) -> GrayImage {
    let line =
        |w: u32, h: u32| Mask::from_image(&GrayImage::from_pixel(w, h, Luma([255])), (w / 2) as u8, (h / 2) as u8);
    let across = 2 * reach + 1;
    grayscale_dilate(&grayscale_dilate(page, &line(across, 1)), &line(1, across))
}

/// The largest skew looked for, either way, in degrees. A page fed by hand lies 4 to 6
/// degrees off as easily as 2: searched to 3 degrees, four generated pages turned 4 or 6
/// degrees all went to keying ("no ruled table"), their rules too slanted to be found.
const MAX_SKEW_DEGREES: f32 = 8.0;

/// Measures the skew: the angle at which the horizontal projection of ink is sharpest
/// (ruled lines and text rows line up). Searched on a half-size image (a quarter-size one
/// cannot resolve a tenth of a degree across a row), coarse then fine.
pub fn measure_skew(grey: &GrayImage) -> f32 {
    skew_of_ink(&skew_search_ink(grey))
}

/// The ink the skew is searched on: `grey` at half size, binarized.
pub(crate) fn skew_search_ink(grey: &GrayImage) -> InkMap {
    binarize(&half_size(grey), 12, 0.2)
}

/// The angle at which the horizontal projection of `ink` is sharpest.
pub(crate) fn skew_of_ink(ink: &InkMap) -> f32 {
    let points: Vec<(f32, f32)> = (0..ink.height)
        .flat_map(|y| (0..ink.width).map(move |x| (x, y)))
        .filter(|&(x, y)| ink.at(x, y))
        .map(|(x, y)| (x as f32, y as f32))
        .collect();
    let h = ink.height as f32;
    let score = |deg: f32| -> f64 {
        let (s, c) = deg.to_radians().sin_cos();
        let margin = ink.width as f32 * 0.06;
        let bins = (h + 2.0 * margin) as usize + 1;
        let mut hist = vec![0u32; bins];
        for &(x, y) in &points {
            let yr = y * c - x * s + margin;
            if yr >= 0.0 && (yr as usize) < bins {
                hist[yr as usize] += 1;
            }
        }
        hist.iter().map(|&v| (v as f64) * (v as f64)).sum()
    };
    let best_in = |from: f32, to: f32, step: f32| -> f32 {
        let mut best = (f64::MIN, 0.0);
        let mut a = from;
        while a <= to + 1e-6 {
            let sc = score(a);
            if sc > best.0 {
                best = (sc, a);
            }
            a += step;
        }
        best.1
    };
    let coarse = best_in(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES, 0.25);
    best_in(coarse - 0.25, coarse + 0.25, 0.02)
}

/// Ink blobs up to this many pixels are dust, not writing, when nothing else is near.
pub const MAX_SPECKLE_PX: u32 = 60;

/// How far (pixels at scan resolution) a blob must be from all other ink to count as
/// dust. The dots of 氵, 灬 and 心 are small blobs too, but they sit a few pixels from
/// the rest of their character; erasing them read 梁 as 膝 and 燕 as 菩.
pub const SPECKLE_ISOLATION_PX: u32 = 8;

/// Removes specks of dust and scanner noise: small connected blobs of ink with no other
/// ink near them are erased from the ink map and whitened in the grey image, so they
/// neither widen a cell's crop nor read as punctuation. A small blob drawn out like a
/// stroke stays (see [`Blob::is_stroke`]). A rule near a speck ([`Blob::is_rule`]) does
/// not keep it: three dots along the rules of an empty 身份证号 cell were cut as its
/// writing and read as `5`, and the dust beside rules widened the crops of written cells.
pub fn despeckle(ink: &mut InkMap, grey: &mut GrayImage, max_px: u32) {
    let labels = components::label(ink.width, ink.height, &ink.data);
    let blobs = blobs_of(&labels);
    let is_rule: Vec<bool> = blobs.iter().map(Blob::is_rule).collect();
    let width = ink.width as usize;
    let isolated = |label: u32, b: &Blob| -> bool {
        let r = SPECKLE_ISOLATION_PX;
        let (x0, y0) = (b.x0.saturating_sub(r), b.y0.saturating_sub(r));
        let (x1, y1) = ((b.x1 + r).min(ink.width - 1), (b.y1 + r).min(ink.height - 1));
        (y0..=y1).all(|y| {
            let row = &labels.as_raw()[y as usize * width..][..width];
            row[x0 as usize..=x1 as usize]
                .iter()
                .all(|&l| l == 0 || l == label || is_rule[l as usize])
        })
    };
    let dust: Vec<bool> = blobs
        .iter()
        .enumerate()
        .map(|(l, b)| l != 0 && b.pixels > 0 && b.pixels <= max_px && !b.is_stroke() && isolated(l as u32, b))
        .collect();
    for (i, l) in labels.as_raw().iter().enumerate() {
        if *l != 0 && dust[*l as usize] {
            ink.data[i] = 0;
            grey.as_mut()[i] = 255;
        }
    }
}

/// A cell's ink and paper levels: its darkest percent and its median.
pub fn ink_and_paper(cell: &GrayImage) -> (u8, u8) {
    let mut histogram = [0u32; 256];
    for p in cell.as_raw() {
        histogram[*p as usize] += 1;
    }
    (level_at(&histogram, 0.01), level_at(&histogram, 0.5))
}

/// The grey level at or below which `share` of the pixels counted in `histogram` lie
/// (255 when none were counted).
pub(crate) fn level_at(histogram: &[u32; 256], share: f64) -> u8 {
    let total: u64 = histogram.iter().map(|&n| n as u64).sum();
    let wanted = ((share * total as f64).ceil() as u64).max(1);
    let mut seen = 0u64;
    histogram
        .iter()
        .position(|&n| {
            seen += n as u64;
            seen >= wanted
        })
        .unwrap_or(255) as u8
}

/// Stretches a cell's grey levels so its paper is white and its darkest ink black.
/// Faded ink on yellowed paper reaches Tesseract as a few grey levels otherwise, and the
/// white margin around the cut differs from the paper. Paper is the median (a cell cut
/// tight around its text is still mostly paper), ink the darkest percent. Measured with
/// the OCR harness on 8 generated pages: all fields 70.8 % → 73.9 % exact, dates +6–12
/// points. A cell with no contrast to speak of is left alone.
pub fn stretch_contrast(cell: GrayImage) -> GrayImage {
    let (ink, paper) = ink_and_paper(&cell);
    stretch_between(cell, ink, paper)
}

/// Stretches grey levels so `paper` is white and `ink` black (see [`stretch_contrast`]).
pub fn stretch_between(mut cell: GrayImage, ink: u8, paper: u8) -> GrayImage {
    if paper.saturating_sub(ink) <= 10 {
        return cell;
    }
    let mut map = [0u8; 256];
    for (level, out) in map.iter_mut().enumerate() {
        let t = (level as f32 - ink as f32) / (paper - ink) as f32;
        *out = (t * 255.0).clamp(0.0, 255.0) as u8;
    }
    for p in cell.iter_mut() {
        *p = map[*p as usize];
    }
    cell
}

/// Grey, deskewed, binarized and despeckled.
///
/// How much darker than its neighbourhood a pixel is ink (see [`binarize`]).
pub(crate) const INK_SENSITIVITY: f32 = 0.18;
/// ... when looking again for the rules of a table not found whole (see
/// [`faint_rules_ink`]).
const FAINT_RULE_SENSITIVITY: f32 = 0.10;

/// Skews under this many degrees are left as scanned.
const LEAST_SKEW: f32 = 0.02;

/// The sine and cosine of the turn [`straightened`] gives a page skewed `skew` degrees;
/// `None` for a skew it leaves.
pub(crate) fn straightening(skew: f32) -> Option<(f64, f64)> {
    (skew.abs() >= LEAST_SKEW).then(|| ((-skew).to_radians() as f64).sin_cos())
}

/// `img`, which lies rotated by `skew` degrees, turned back straight.
pub(crate) fn straightened(img: GrayImage, skew: f32) -> GrayImage {
    if straightening(skew).is_some() {
        rotate_bilinear(&img, (-skew).to_radians(), 255)
    } else {
        img
    }
}

/// The ink of `image` straightened as [`clean`] found it (`skew_degrees`), taken more
/// finely: the faint rules of a yellowed page scanned at 150 dpi as JPEG, 30 grey levels
/// darker than the paper, fall apart into pieces at [`clean`]'s sensitivity, and the
/// table was found with one body row where there were 23. Only rules are looked for in
/// it: the writing is cut from the ordinary ink map.
pub fn faint_rules_ink(image: &DynamicImage, skew_degrees: f32) -> InkMap {
    binarize(
        &straightened(unframed_grey(image).0, skew_degrees),
        20,
        FAINT_RULE_SENSITIVITY,
    )
}

/// The scan in grey, a dark frame round it painted white (see [`border`]), and the frame.
fn unframed_grey(image: &DynamicImage) -> (GrayImage, [u32; 4]) {
    let mut grey = image.to_luma8();
    let frame = border::frame_of(&grey);
    border::whiten(&mut grey, frame);
    border::whiten_wedges(&mut grey, frame);
    (grey, frame)
}

/// On a colour scan, the image cells are read from is the red channel: black and blue
/// ink are dark in it, and a red seal (公章) stamped over the entries is lighter there
/// (see [`reading_channel`]), so it no longer hides the digits under it. The ink map the
/// table is found in stays on the ordinary grey, since many printed ledger forms are
/// ruled in red; a cell's writing is found in the ink of both (`CleanPage::cell_ink`):
/// in the grey's alone, the seal's ring was writing, a blank cell under it was read
/// (`8匕` for a cemetery) and a date's cut took in the arc beside it.
/// On a grey scan, a seal is taken out of the page: its ring and centre by their shape
/// ([`crate::ring`]), whatever is left of it by its grey ([`crate::seal`]).
pub fn clean(image: &DynamicImage) -> CleanPage {
    let (grey, frame) = unframed_grey(image);
    let skew = measure_skew(&grey);
    let mut grey = straightened(grey, skew);
    if !image.color().has_color() {
        drop_seal(&mut grey);
    }
    let mut ink = binarize(&grey, 20, INK_SENSITIVITY);
    let (mut reading, reading_ink) = match reading_channel(image) {
        Some(mut red) => {
            border::whiten(&mut red, frame);
            border::whiten_wedges(&mut red, frame);
            let mut red = straightened(red, skew);
            drop_seal(&mut red);
            let red_ink = binarize(&red, 20, INK_SENSITIVITY);
            (red, Some(red_ink))
        }
        None => (grey, None),
    };
    despeckle(&mut ink, &mut reading, MAX_SPECKLE_PX);
    // Ink in both, so what despeckling took out of the one is out of the other too.
    let reading_ink = reading_ink.map(|mut red_ink| {
        for (r, i) in red_ink.data.iter_mut().zip(&ink.data) {
            *r &= *i;
        }
        red_ink
    });
    CleanPage {
        grey: reading,
        ink,
        reading_ink,
        skew_degrees: skew,
        keystone: None,
    }
}

/// `img` turned clockwise by `theta` radians about its centre, bilinear, the corners
/// filled with `fill`: imageproc's `rotate_about_center` to within a grey level (OCR
/// results moved a point either way on some fields when the blend was rounded instead
/// of truncated), but with each row's source position stepped along the row in fixed
/// point and the blend in integers, instead of a projection, two floors and float
/// blends per pixel (those were 6 % of all OCR time, on one core, for every page).
pub fn rotate_bilinear(img: &GrayImage, theta: f32, fill: u8) -> GrayImage {
    // 32.32 fixed point: a step's rounding, summed over a row of thousands of pixels,
    // stays far under a pixel's 1/65536th (in 16.16 it moved edges by a hundredth of a
    // pixel at a row's end, two grey levels on a rule's edge).
    const ONE: f64 = 4_294_967_296.0;
    let (w, h) = img.dimensions();
    let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
    let (sin, cos) = (theta as f64).sin_cos();
    let (step_x, step_y) = ((cos * ONE).round() as i64, (-sin * ONE).round() as i64);
    let src = img.as_raw();
    let (stride, rows) = (w as usize, h as usize);
    let mut out = vec![fill; stride * rows];
    for (y, row) in out.chunks_mut(stride).enumerate() {
        // The output pixel (x, y) comes from the input turned back: the source moves by
        // (cos, -sin) for each step along the row.
        let dy = y as f64 - cy;
        let mut sx = ((sin * dy - cos * cx + cx) * ONE).round() as i64;
        let mut sy = ((cos * dy + sin * cx + cy) * ONE).round() as i64;
        for px in row.iter_mut() {
            let (left, top) = ((sx >> 32) as usize, (sy >> 32) as usize);
            if sx >= 0 && sy >= 0 && left + 1 < stride && top + 1 < rows {
                // Weights in 1/65536ths; each blend truncated, as imageproc's are.
                let (right_w, bottom_w) = (((sx >> 16) & 0xFFFF) as u32, ((sy >> 16) & 0xFFFF) as u32);
                let blend = |a: u8, b: u8, t: u32| ((a as u32 * (65536 - t) + b as u32 * t) >> 16) as u8;
                let at = top * stride + left;
                let upper = blend(src[at], src[at + 1], right_w);
                let lower = blend(src[at + stride], src[at + stride + 1], right_w);
                *px = blend(upper, lower, bottom_w);
            }
            sx += step_x;
            sy += step_y;
        }
    }
    GrayImage::from_raw(w, h, out).expect("same size")
}

/// A seal taken out of a grey page: its ring and centre by their shape ([`crate::ring`]),
/// whatever is left of it by its grey ([`crate::seal`]).
fn drop_seal(grey: &mut GrayImage) {
    crate::ring::drop_rings(grey);
    crate::seal::drop_grey_seal(grey);
}

/// The grey a colour image's cells are read from; `None` for a grey image. It is the
/// red channel, where red ink is light, with what is plainly red (red well above green)
/// made the page's paper: a red seal, even a pure one, stamps the paper's red darker
/// (189 against 219 on a yellowed page), and JPEG's halved colour leaves its edges
/// darker still (113-128). Writing under the seal stays: black ink is dark in every
/// channel, blue ink darker in red than in green; yellowed or browned paper has red
/// and green within 30 or so.
fn reading_channel(image: &DynamicImage) -> Option<GrayImage> {
    if !image.color().has_color() {
        return None;
    }
    let rgb = image.to_rgb8();
    let (w, h) = rgb.dimensions();
    let paper = median_red(&rgb);
    let grey = rgb
        .pixels()
        .map(|&image::Rgb([r, g, _])| {
            if i16::from(r) - i16::from(g) > PLAINLY_RED {
                paper
            } else {
                r
            }
        })
        .collect();
    Some(GrayImage::from_raw(w, h, grey).expect("one byte per pixel"))
}

/// How much more red than green a pixel is for it to be red ink, not paper or writing.
const PLAINLY_RED: i16 = 80;

/// The red channel's median: the paper's, on a page that is mostly paper.
fn median_red(rgb: &image::RgbImage) -> u8 {
    let mut histogram = [0u32; 256];
    for p in rgb.pixels() {
        histogram[usize::from(p.0[0])] += 1;
    }
    level_at(&histogram, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use imageproc::drawing::draw_filled_rect_mut;
    use imageproc::geometric_transformations::{rotate_about_center, Interpolation};
    use imageproc::rect::Rect;

    fn ruled(angle: f32) -> GrayImage {
        let mut img = GrayImage::from_pixel(1600, 1200, Luma([245]));
        for i in 0..12 {
            draw_filled_rect_mut(&mut img, Rect::at(100, 150 + i * 80).of_size(1400, 3), Luma([20]));
            for j in 0..20 {
                draw_filled_rect_mut(
                    &mut img,
                    Rect::at(130 + j * 60, 175 + i * 80).of_size(30, 30),
                    Luma([40]),
                );
            }
        }
        rotate_about_center(&img, angle.to_radians(), Interpolation::Bilinear, Luma([245]))
    }

    #[test]
    fn binarization_is_the_local_mean_threshold_at_every_pixel() {
        // Noise, a gradient and a dark block, so that windows cut at every edge differ.
        let mut state = 7u32;
        let grey = GrayImage::from_fn(97, 61, |x, y| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let dark = if (30..50).contains(&x) && (20..40).contains(&y) {
                120
            } else {
                0
            };
            Luma([(((state >> 24) % 40) + x * 2).saturating_sub(dark) as u8])
        });
        let sums = WindowSums::new(&grey);
        for (radius, sensitivity) in [(20, 0.18), (12, 0.2), (3, 0.1)] {
            let ink = binarize(&grey, radius, sensitivity);
            for (x, y, p) in grey.enumerate_pixels() {
                let (sum, area) = sums.around(x as usize, y as usize, radius as usize);
                let expected = (p.0[0] as f32) * (area as f32) < sum as f32 * (1.0 - sensitivity);
                assert_eq!(ink.at(x, y), expected, "({x}, {y}) radius {radius}");
            }
        }
    }

    /// A page with a long rule at y = 100, and blobs of ink drawn as given rectangles.
    fn despeckled(blobs: &[(i32, i32, u32, u32)]) -> InkMap {
        let mut grey = GrayImage::from_pixel(600, 200, Luma([245]));
        draw_filled_rect_mut(&mut grey, Rect::at(20, 100).of_size(560, 3), Luma([20]));
        for &(x, y, w, h) in blobs {
            draw_filled_rect_mut(&mut grey, Rect::at(x, y).of_size(w, h), Luma([20]));
        }
        let mut ink = InkMap {
            width: 600,
            height: 200,
            data: grey.pixels().map(|p| u8::from(p.0[0] < 128)).collect(),
        };
        despeckle(&mut ink, &mut grey, MAX_SPECKLE_PX);
        ink
    }

    #[test]
    fn a_speck_beside_a_rule_is_dust() {
        let ink = despeckled(&[(300, 106, 5, 5), (200, 30, 5, 5)]);
        assert!(!ink.at(302, 108), "the speck 3 px under the rule is erased");
        assert!(!ink.at(202, 32), "the speck in the open is erased");
        assert!(ink.at(300, 101), "the rule stays");
    }

    #[test]
    fn a_dot_beside_writing_stays_beside_a_rule_too() {
        // A dot 4 px above a character's stroke (the dot of 永), both under the rule.
        let ink = despeckled(&[(300, 107, 5, 5), (290, 116, 30, 30)]);
        assert!(ink.at(302, 109), "the dot near its character stays");
        assert!(ink.at(300, 130), "the character stays");
    }

    #[test]
    fn rotation_matches_imageprocs() {
        let page = ruled(0.0);
        for degrees in [-1.7f32, 0.4, 2.0] {
            let theirs = rotate_about_center(&page, degrees.to_radians(), Interpolation::Bilinear, Luma([255]));
            let ours = rotate_bilinear(&page, degrees.to_radians(), 255);
            // Pixels on the edge of the turned page are paper in one and the fill in the
            // other, as the float and the fixed-point positions fall either side of it.
            let differ: Vec<i16> = theirs
                .as_raw()
                .iter()
                .zip(ours.as_raw())
                .filter(|(a, b)| **a != 255 && **b != 255)
                .map(|(a, b)| *a as i16 - *b as i16)
                .filter(|d| *d != 0)
                .collect();
            // A level apart where a float blend of two equal greys comes out a hair under
            // and truncates down (2 % of this page).
            assert!(differ.iter().all(|d| d.abs() <= 1), "{degrees}°: pixels far apart");
            assert!(
                differ.len() * 20 < theirs.as_raw().len(),
                "{degrees}°: {} pixels differ",
                differ.len()
            );
        }
    }

    #[test]
    fn skew_is_measured_within_a_tenth_of_a_degree() {
        // A page fed by hand lies several degrees off (searched to 3, 4 and 6 were not).
        for angle in [-6.0f32, -1.7, -0.4, 0.0, 0.9, 2.0, 4.3, 7.5] {
            let got = measure_skew(&ruled(angle));
            assert!((got - angle).abs() < 0.1, "rotated {angle}, measured {got}");
        }
    }

    #[test]
    fn stretching_makes_paper_white_and_ink_black() {
        let mut cell = GrayImage::from_pixel(60, 30, Luma([210]));
        draw_filled_rect_mut(&mut cell, Rect::at(10, 10).of_size(30, 4), Luma([140]));
        let out = stretch_contrast(cell);
        assert_eq!(out.get_pixel(0, 0).0[0], 255, "paper");
        assert_eq!(out.get_pixel(20, 11).0[0], 0, "ink");
        let flat = stretch_contrast(GrayImage::from_pixel(20, 20, Luma([200])));
        assert_eq!(flat.get_pixel(5, 5).0[0], 200, "a blank cell is left alone");
    }

    #[test]
    fn a_red_seal_drops_out_of_the_reading_image_and_red_rules_stay_in_the_ink() {
        let mut page = image::RgbImage::from_pixel(400, 200, image::Rgb([250, 250, 248]));
        draw_filled_rect_mut(&mut page, Rect::at(0, 100).of_size(400, 3), image::Rgb([200, 40, 40]));
        draw_filled_rect_mut(&mut page, Rect::at(50, 20).of_size(40, 40), image::Rgb([205, 120, 120]));
        draw_filled_rect_mut(&mut page, Rect::at(200, 20).of_size(40, 40), image::Rgb([30, 30, 120]));
        let clean = clean(&DynamicImage::ImageRgb8(page));
        assert!(
            clean.grey.get_pixel(70, 40).0[0] > 200,
            "the seal is paper to the reader"
        );
        assert!(clean.grey.get_pixel(220, 40).0[0] < 60, "blue ink stays dark");
        assert!(clean.ink.at(300, 101), "the red rule is still ink for the grid");
    }

    #[test]
    fn a_seal_in_full_red_is_paper_to_the_reader_and_no_writing_in_a_cell() {
        // Yellowed paper, a band of a seal's ring stamped in full red (the paper's red
        // 219 darkened to 189), a line of black ink across it (long: it keeps the page
        // level).
        let mut page = image::RgbImage::from_pixel(400, 200, image::Rgb([219, 210, 182]));
        draw_filled_rect_mut(&mut page, Rect::at(50, 20).of_size(14, 100), image::Rgb([189, 33, 28]));
        draw_filled_rect_mut(&mut page, Rect::at(20, 60).of_size(360, 5), image::Rgb([25, 20, 18]));
        let clean = clean(&DynamicImage::ImageRgb8(page));
        let (seal, writing) = ((57, 30), (57, 62));
        assert_eq!(
            clean.grey.get_pixel(seal.0, seal.1).0[0],
            219,
            "the seal is the paper's grey"
        );
        assert!(
            clean.grey.get_pixel(writing.0, writing.1).0[0] < 60,
            "the writing under it stays"
        );
        assert!(
            clean.ink.at(seal.0, seal.1),
            "the seal is ink where the table is looked for"
        );
        assert!(!clean.cell_ink().at(seal.0, seal.1), "but no writing in a cell");
        assert!(clean.cell_ink().at(writing.0, writing.1));
        assert!(clean.cell_ink().at(200, 62), "nor is the writing beside it lost");
    }

    #[test]
    fn binarize_finds_faint_ink_under_uneven_light() {
        let mut img = GrayImage::from_fn(400, 100, |x, _| Luma([(250 - x / 4) as u8]));
        draw_filled_rect_mut(&mut img, Rect::at(300, 40).of_size(40, 4), Luma([120]));
        let ink = binarize(&img, 20, 0.18);
        assert!(ink.at(310, 41));
        assert_eq!(ink.count(0, 0, 250, 100), 0, "the light gradient is not ink");
    }
}
