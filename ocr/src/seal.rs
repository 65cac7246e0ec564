//! A seal (公章) stamped over the entries of a grey scan, taken out before reading.
//!
//! On a colour scan a red seal drops out of the red channel (see
//! [`crate::preprocess::clean`]); on a grey one it is a band of mid-grey, lighter than
//! ink and darker than paper, that crosses the digits of the dates and phones under it
//! (a row of 2014-08-30 read as `6`, `0` or nothing). Writing is dark, and where the
//! seal crosses it, darker still; the seal's own ink is mid-grey. Faint writing and
//! the soft edges of strokes are mid-grey too, but thin: a band of mid-grey wider than
//! a stroke that spreads over a large area is a seal's ring, centre or legend. Those
//! areas, widened back, have their mid-grey whitened; the dark writing under them
//! stays, and so does pale writing clearly darker than the seal (see [`seal_bound`]).

use image::{GrayImage, Luma};
use imageproc::distance_transform::Norm;
use imageproc::morphology::dilate_mut;

use crate::components::{self, blobs_of, Blob, Labels};
use crate::preprocess::{half_size, lightest_within, WindowSums};

/// Neighbourhood (radius, pixels) whose mean grey is the paper a pixel is compared with.
const PAPER_RADIUS: usize = 60;
/// Mid-grey: between these shares of the local paper. Writing is darker (ink at a fifth
/// of the paper or less), soft stroke edges run through every level.
const MID_FROM: f32 = 0.35;
const MID_TO: f32 = 0.80;
/// The window (radius) and share of it mid-grey must fill for its centre to lie inside
/// a band of mid-grey: more than a stroke of body text (4–5 pixels at 300 dpi) fills.
const CORE_RADIUS: usize = 3;
const CORE_SHARE: f32 = 0.75;
/// A seal part (an arc of the ring, the centre, the legend) spans at least `MIN_SPAN`
/// pixels one way and `MIN_WIDTH` the other, and holds `MIN_PIXELS` band pixels: what
/// is left of a faint character is smaller (body text is about 40 pixels high), a
/// thick ruled line is thinner.
const MIN_SPAN: u32 = 60;
const MIN_WIDTH: u32 = 12;
/// A seal's centre is smaller but solid: at least `MIN_CENTRE_SPAN` one way and
/// `MIN_CENTRE` the other (a centre cut in half by the writing over it), filling
/// `SOLID` of its box. A character fills well under half of its own, but a bold one
/// blurred fills more, and body text is about 40 pixels high.
const MIN_CENTRE_SPAN: u32 = 48;
const MIN_CENTRE: u32 = 24;
const SOLID: f32 = 0.6;
const MIN_PIXELS: u32 = 300;
/// Share of its width (or height) one row (or column) of a band covers for it to be a
/// straight line.
const STRAIGHT: f32 = 0.9;
/// Seals are looked for on the page at 1/`SCALE` of its size.
const SCALE: u32 = 2;
/// How far around the band its soft edge reaches.
const EDGE: u8 = 4;

/// Whether a band is a straight line, or two meeting at a corner: the thick border of a
/// faintly ruled table, which the table is found by. A row (or column) of it runs
/// nearly its whole width (or height); a ring's arc curves away from every row.
fn straight(labels: &Labels, label: u32, part: &Blob) -> bool {
    let (across, down) = part.size();
    let Blob { x0, y0, x1, y1, .. } = *part;
    let mut rows = vec![0u32; down as usize];
    let mut cols = vec![0u32; across as usize];
    for y in y0..=y1 {
        for x in x0..=x1 {
            if labels.get_pixel(x, y).0[0] == label {
                rows[(y - y0) as usize] += 1;
                cols[(x - x0) as usize] += 1;
            }
        }
    }
    let longest = |counts: &[u32]| counts.iter().copied().max().unwrap_or(0);
    longest(&rows) as f32 >= STRAIGHT * across as f32 || longest(&cols) as f32 >= STRAIGHT * down as f32
}

/// The page with its ink lifted to the paper around it: each pixel the lightest within
/// `INK_REACH` of it (half size), wider than a stroke or the ring of a seal. A mean of
/// the page itself put the paper under a seal 5–10 % darker than it is (its ring and the
/// writing around pull the mean down), and pale writing there, taken as a share of that
/// paper, looked as light as the seal's ink and was whitened with it.
fn without_ink(small: &GrayImage) -> GrayImage {
    lightest_within(small, INK_REACH)
}

/// See [`without_ink`].
const INK_REACH: u32 = 4;

/// Whitens the mid-grey of seals on the page (see the module comment). Returns how
/// many pixels were whitened. Seals are found on the page at half size (a seal is large,
/// and the search over the whole page at full size cost half a second a page), and
/// whitened at full size.
///
/// Greys are shares of the paper around them. On a page written in pale or mid-grey ink
/// the paper is the page without its ink (see [`without_ink`]); on one written darker it
/// is the mean grey around, ink and all, the darker of the two near ink. Against the clear paper, on
/// a dark-written page, the darkest grain of a ring (where it crosses dust, a rule or a
/// stroke's edge) fell below mid-grey: the ring was found in pieces and left marks beside
/// the digits, and three burial dates of one such page went unread.
pub fn drop_grey_seal(grey: &mut GrayImage) -> usize {
    let small = half_size(grey);
    let clear = Paper::new(&without_ink(&small));
    let Some(seal) = Seal::find(&small, &clear) else {
        return 0;
    };
    if let Some(bound) = pale_writing_bound(&small, &seal, &clear) {
        return whiten(grey, &seal, |at, p| {
            let share = clear.share(at, p);
            share > bound && share < MID_TO
        });
    }
    let mean = Paper::new(&small);
    match Seal::find(&small, &mean) {
        Some(seal) => whiten(grey, &seal, |at, p| {
            let share = mean.share(at, p);
            share > MID_FROM && share < MID_TO
        }),
        None => 0,
    }
}

/// The paper's grey around each pixel of the half-size page: the mean within
/// `PAPER_RADIUS` (at full size) of a page.
struct Paper(WindowSums);

impl Paper {
    fn new(page: &GrayImage) -> Paper {
        Paper(WindowSums::new(page))
    }

    /// Grey `p` at `(x, y)` (half size) as a share of the paper's grey there.
    fn share(&self, (x, y): (u32, u32), p: u8) -> f32 {
        let (sum, area) = self.0.around(x as usize, y as usize, PAPER_RADIUS / SCALE as usize);
        p as f32 / (sum as f32 / area as f32)
    }
}

/// The seals found on the half-size page: its bands of mid-grey labelled, which of the
/// labels are parts of a seal, and the area they cover widened by their soft edge.
struct Seal {
    labels: Labels,
    is_seal: Vec<bool>,
    area: GrayImage,
}

impl Seal {
    fn find(small: &GrayImage, paper: &Paper) -> Option<Seal> {
        let (w, h) = small.dimensions();
        let mid = GrayImage::from_fn(w, h, |x, y| {
            let share = paper.share((x, y), small.get_pixel(x, y).0[0]);
            Luma([if share > MID_FROM && share < MID_TO { 255 } else { 0 }])
        });
        // Where mid-grey fills most of a small window: inside a band, not along a thin
        // stroke or a soft edge. (Thinning by erosion lost the ring altogether where its
        // scan left pinholes.)
        let mid_sums = WindowSums::new(&mid);
        let cores = GrayImage::from_fn(w, h, |x, y| {
            let (sum, area) = mid_sums.around(x as usize, y as usize, CORE_RADIUS / SCALE as usize);
            Luma([if sum as f32 >= 255.0 * CORE_SHARE * area as f32 {
                255
            } else {
                0
            }])
        });
        let labels = components::label(w, h, cores.as_raw());
        let is_seal: Vec<bool> = blobs_of(&labels)
            .iter()
            .enumerate()
            .map(|(label, part)| {
                let (across, down) = part.size();
                let (across, down) = (across * SCALE, down * SCALE);
                let n = part.pixels * SCALE * SCALE;
                let arc = across.max(down) >= MIN_SPAN && across.min(down) >= MIN_WIDTH;
                // The centre: a solid disc or star, denser than any character.
                let centre = across.max(down) >= MIN_CENTRE_SPAN
                    && across.min(down) >= MIN_CENTRE
                    && n as f32 >= SOLID * (across * down) as f32;
                n >= MIN_PIXELS && (centre || (arc && !straight(&labels, label as u32, part)))
            })
            .collect();
        if !is_seal.contains(&true) {
            return None;
        }
        let mut area = GrayImage::from_fn(w, h, |x, y| {
            Luma([if is_seal[labels.get_pixel(x, y).0[0] as usize] {
                255
            } else {
                0
            }])
        });
        dilate_mut(&mut area, Norm::LInf, EDGE / SCALE as u8);
        Some(Seal { labels, is_seal, area })
    }

    /// Whether a pixel of the half-size page is on a seal's band (not its soft edge).
    fn covers(&self, x: u32, y: u32) -> bool {
        self.is_seal[self.labels.get_pixel(x, y).0[0] as usize]
    }

    /// Whether a pixel of the half-size page is on a seal or its soft edge.
    fn reaches(&self, x: u32, y: u32) -> bool {
        self.area.get_pixel(x, y).0[0] == 255
    }
}

/// Whitens the pixels of the full-size page in reach of the seal for which `goes` holds
/// (given the pixel's place on the half-size page and its grey). Returns how many.
fn whiten(grey: &mut GrayImage, seal: &Seal, goes: impl Fn((u32, u32), u8) -> bool) -> usize {
    let (w, h) = seal.area.dimensions();
    let mut whitened = 0;
    for (x, y, p) in grey.enumerate_pixels_mut() {
        let at = ((x / SCALE).min(w - 1), (y / SCALE).min(h - 1));
        if seal.reaches(at.0, at.1) && goes(at, p.0[0]) {
            p.0[0] = 255;
            whitened += 1;
        }
    }
    whitened
}

/// On a page written in pale or mid-grey ink, the share of the paper's grey (without its
/// ink) at or below which grey around the seal is writing (see [`seal_bound`]); `None` on
/// a page written darker, where all mid-grey around a seal goes with it. Against the plain mean
/// grey around, the paper beside a ring was 5–10 % darker than it is (the ring and the
/// writing pull the mean down), and pale writing there looked as light as the seal.
fn pale_writing_bound(small: &GrayImage, seal: &Seal, paper: &Paper) -> Option<f32> {
    let writing = writing_ink(small, &seal.area, |x, y| {
        paper.share((x, y), small.get_pixel(x, y).0[0])
    });
    let ink = shares(
        small
            .enumerate_pixels()
            .filter(|&(x, y, _)| seal.covers(x, y))
            .map(|(x, y, p)| paper.share((x, y), p.0[0])),
    );
    seal_bound(share_at(&ink, 0.5), writing)
}

/// The share of the paper's grey above which, around a seal, grey is the seal's and not
/// writing, or `None` for all mid-grey. Mid-grey, as a rule: writing is darker. But a page
/// written in pale ink has its writing in mid-grey too (120 against a seal's 146 on paper
/// of 248), and all of it next to a ring or centre was whitened with the seal: digits the
/// ring crossed were cut in two (an ID under a seal read as `3717261963133501`, its `60`
/// gone). So were the cores of strokes a blurred scan had made mid-grey (0.3 of the
/// paper). When the page's writing (see [`writing_ink`]) is clearly darker than the
/// seal's own ink (the middle of its bands), and halfway between the two is clearly
/// above mid-grey's start, the bound is halfway. Writing as pale as the seal cannot be
/// told from it by its grey, and is whitened with it as before (on one such page,
/// keeping it lost more readings than it saved).
fn seal_bound(seal_ink: f32, writing_ink: f32) -> Option<f32> {
    let halfway = (seal_ink + writing_ink) / 2.0;
    (halfway >= MID_FROM + DISTINCT_INK && seal_ink - writing_ink >= DISTINCT_INK).then_some(halfway)
}

/// How dark a page's writing is away from its seals, as a share of the paper's grey:
/// the darkest point of its typical character. Each blob of ink the size of a character
/// counts once, whatever its size, and lines do not count at all: the darkest pixels of
/// the page are its black rules and printed headings, and measured by pixels they made
/// a page written in pale ink look dark (its darkest tenth 0.17 of the paper, its
/// characters' 0.58), so the pale writing beside a seal was whitened with it. `share`
/// gives a pixel of `small` as a share of its paper.
fn writing_ink(small: &GrayImage, seal_area: &GrayImage, share: impl Fn(u32, u32) -> f32) -> f32 {
    let (w, h) = small.dimensions();
    let ink = GrayImage::from_fn(w, h, |x, y| {
        let writing = seal_area.get_pixel(x, y).0[0] == 0 && share(x, y) < MID_TO;
        Luma([if writing { 255 } else { 0 }])
    });
    let labels = components::label(w, h, ink.as_raw());
    let blobs = blobs_of(&labels);
    let mut darkest = vec![f32::MAX; blobs.len()];
    for (x, y, l) in labels.enumerate_pixels() {
        let l = l.0[0] as usize;
        if l != 0 {
            darkest[l] = darkest[l].min(share(x, y));
        }
    }
    let mut characters: Vec<f32> = blobs
        .iter()
        .zip(&darkest)
        .filter(|(b, _)| {
            let (across, down) = b.size();
            b.pixels * SCALE * SCALE >= MIN_CHARACTER_PIXELS && across.max(down) * SCALE <= MAX_CHARACTER_SPAN
        })
        .map(|(_, &d)| d)
        .collect();
    if characters.is_empty() {
        return 0.0;
    }
    let middle = characters.len() / 2;
    *characters.select_nth_unstable_by(middle, f32::total_cmp).1
}

/// A blob of ink counted as (part of) a character: at least this many pixels (less is
/// dust), at most this long either way (more is a rule, or writing run into one).
const MIN_CHARACTER_PIXELS: u32 = 40;
const MAX_CHARACTER_SPAN: u32 = 150;

/// How much darker than a seal's ink (as a share of the paper's grey) pale writing must
/// be to be told from it. Measured against the clear paper, one page's characters were at
/// 0.58 and its seal at 0.64: told apart, it lost no reading and no longer trusted a
/// wrong date (at 0.08 it lost four dates); writing at 0.52 beside a seal at 0.53, or
/// lighter than its seal, is not told apart.
const DISTINCT_INK: f32 = 0.05;

/// Shares of the paper's grey are counted in this many steps.
const SHARES: usize = 256;

/// How many pixels there are at each share of the paper's grey.
fn shares(pixels: impl Iterator<Item = f32>) -> [u32; SHARES] {
    let mut counts = [0u32; SHARES];
    for share in pixels {
        counts[((share * SHARES as f32) as usize).min(SHARES - 1)] += 1;
    }
    counts
}

/// The share below which `part` of the counted pixels lie.
fn share_at(counts: &[u32; SHARES], part: f32) -> f32 {
    let total: u32 = counts.iter().sum();
    let mut seen = 0;
    let step = counts
        .iter()
        .position(|&n| {
            seen += n;
            seen as f32 >= part * total as f32
        })
        .unwrap_or(0);
    step as f32 / SHARES as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use imageproc::drawing::{draw_filled_circle_mut, draw_filled_rect_mut, draw_hollow_circle_mut};
    use imageproc::rect::Rect;

    #[test]
    fn a_grey_ring_goes_and_the_dark_writing_under_it_stays() {
        let mut page = GrayImage::from_pixel(600, 400, Luma([240]));
        // Writing: dark strokes 4 pixels wide, one faint.
        draw_filled_rect_mut(&mut page, Rect::at(100, 190).of_size(400, 4), Luma([30]));
        draw_filled_rect_mut(&mut page, Rect::at(100, 300).of_size(200, 4), Luma([150]));
        // A seal: a mid-grey ring 10 pixels wide and a dot, over the dark stroke.
        for r in 150..160 {
            draw_hollow_circle_mut(&mut page, (300, 200), r, Luma([140]));
        }
        draw_filled_circle_mut(&mut page, (300, 200), 26, Luma([140]));
        draw_filled_rect_mut(&mut page, Rect::at(100, 190).of_size(400, 4), Luma([20]));
        assert!(drop_grey_seal(&mut page) > 0);
        assert_eq!(page.get_pixel(300, 45).0[0], 255, "the ring is gone");
        assert_eq!(page.get_pixel(300, 210).0[0], 255, "the dot is gone");
        assert_eq!(page.get_pixel(300, 191).0[0], 20, "the writing under it stays");
        assert_eq!(page.get_pixel(150, 301).0[0], 150, "faint writing is no seal");
    }

    #[test]
    fn pale_writing_beside_the_ring_stays() {
        // A page written in light ink (120), nearly as pale as the seal (146).
        let mut page = GrayImage::from_pixel(600, 400, Luma([248]));
        for r in 150..158 {
            draw_hollow_circle_mut(&mut page, (300, 200), r, Luma([146]));
        }
        // A stroke running into the ring, and one crossing it (darker where both are).
        draw_filled_rect_mut(&mut page, Rect::at(300, 200).of_size(150, 4), Luma([120]));
        draw_filled_rect_mut(&mut page, Rect::at(300, 44).of_size(4, 8), Luma([70]));
        assert!(drop_grey_seal(&mut page) > 0);
        assert_eq!(page.get_pixel(310, 46).0[0], 255, "the ring is gone");
        assert_eq!(page.get_pixel(447, 201).0[0], 120, "the writing beside it stays");
        assert_eq!(page.get_pixel(301, 46).0[0], 70, "the writing under it stays");
    }

    #[test]
    fn pale_writing_is_told_by_its_characters_not_by_black_rules_and_headings() {
        let mut page = GrayImage::from_pixel(600, 400, Luma([248]));
        // Black rules round the table and a printed heading: most of the page's ink.
        for y in [10, 386] {
            draw_filled_rect_mut(&mut page, Rect::at(0, y).of_size(600, 4), Luma([20]));
        }
        for x in [4, 592] {
            draw_filled_rect_mut(&mut page, Rect::at(x, 0).of_size(4, 400), Luma([20]));
        }
        for x in [30, 60, 90] {
            draw_filled_rect_mut(&mut page, Rect::at(x, 20).of_size(20, 20), Luma([20]));
        }
        for r in 150..158 {
            draw_hollow_circle_mut(&mut page, (300, 200), r, Luma([146]));
        }
        // The entries, in pale ink: short strokes away from the seal, and one running
        // into the ring.
        for x in (480..580).step_by(12) {
            draw_filled_rect_mut(&mut page, Rect::at(x, 60).of_size(4, 30), Luma([120]));
            draw_filled_rect_mut(&mut page, Rect::at(x, 300).of_size(4, 30), Luma([120]));
        }
        draw_filled_rect_mut(&mut page, Rect::at(300, 200).of_size(150, 4), Luma([120]));
        assert!(drop_grey_seal(&mut page) > 0);
        assert_eq!(page.get_pixel(310, 46).0[0], 255, "the ring is gone");
        assert_eq!(page.get_pixel(447, 201).0[0], 120, "the writing beside it stays");
    }

    #[test]
    fn only_pale_writing_clearly_darker_than_the_seal_raises_the_bound() {
        assert_eq!(seal_bound(0.60, 0.10), None, "dark writing: mid-grey goes");
        assert!(
            seal_bound(0.60, 0.48).is_some_and(|b| (b - 0.54).abs() < 0.01),
            "pale writing: halfway"
        );
        assert_eq!(seal_bound(0.60, 0.56), None, "as pale as the seal: no telling");
        assert_eq!(seal_bound(0.70, 0.30), Some(0.5), "blurred dark ink: halfway");
    }

    #[test]
    fn a_page_without_a_seal_is_left_alone() {
        let mut page = GrayImage::from_pixel(300, 200, Luma([235]));
        draw_filled_rect_mut(&mut page, Rect::at(20, 50).of_size(250, 4), Luma([150]));
        draw_filled_rect_mut(&mut page, Rect::at(20, 100).of_size(3, 90), Luma([120]));
        // The thick border of a faintly ruled table, at its corner.
        draw_filled_rect_mut(&mut page, Rect::at(200, 100).of_size(90, 8), Luma([150]));
        draw_filled_rect_mut(&mut page, Rect::at(200, 100).of_size(8, 90), Luma([150]));
        let before = page.clone();
        assert_eq!(drop_grey_seal(&mut page), 0);
        assert_eq!(page, before);
    }
}
