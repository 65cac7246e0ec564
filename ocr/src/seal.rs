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
use crate::preprocess::{half_size, WindowSums};

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

/// Whitens the mid-grey of seals on the page (see the module comment). Returns how
/// many pixels were whitened. Seals are found on the page at half size (a seal is large,
/// and the search over the whole page at full size cost half a second a page), and
/// whitened at full size.
pub fn drop_grey_seal(grey: &mut GrayImage) -> usize {
    let small = half_size(grey);
    let (w, h) = small.dimensions();
    let sums = WindowSums::new(&small);
    let paper_at = |x: u32, y: u32| {
        let (sum, area) = sums.around(x as usize, y as usize, PAPER_RADIUS / SCALE as usize);
        sum as f32 / area as f32
    };
    let is_mid = |p: u8, paper: f32| (p as f32) > paper * MID_FROM && (p as f32) < paper * MID_TO;
    let mid = GrayImage::from_fn(w, h, |x, y| {
        Luma([if is_mid(small.get_pixel(x, y).0[0], paper_at(x, y)) {
            255
        } else {
            0
        }])
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
        return 0;
    }
    let mut area = GrayImage::from_fn(w, h, |x, y| {
        Luma([if is_seal[labels.get_pixel(x, y).0[0] as usize] {
            255
        } else {
            0
        }])
    });
    dilate_mut(&mut area, Norm::LInf, EDGE / SCALE as u8);
    let (fw, fh) = grey.dimensions();
    let small_at = |x: u32, y: u32| ((x / SCALE).min(w - 1), (y / SCALE).min(h - 1));
    let share_of_paper = |(x, y): (u32, u32), p: u8| p as f32 / paper_at(x, y);
    let writing = shares(grey.enumerate_pixels().filter_map(|(x, y, p)| {
        let at = small_at(x, y);
        let share = share_of_paper(at, p.0[0]);
        (area.get_pixel(at.0, at.1).0[0] == 0 && share < MID_TO).then_some(share)
    }));
    let in_seal = |x: u32, y: u32| is_seal[labels.get_pixel(x, y).0[0] as usize];
    let seal = shares(
        small
            .enumerate_pixels()
            .filter(|&(x, y, _)| in_seal(x, y))
            .map(|(x, y, p)| share_of_paper((x, y), p.0[0])),
    );
    let lightest_writing = seal_bound(&seal, &writing);
    let mut whitened = 0;
    for y in 0..fh {
        for x in 0..fw {
            let at = small_at(x, y);
            let p = grey.get_pixel_mut(x, y);
            let share = share_of_paper(at, p.0[0]);
            if area.get_pixel(at.0, at.1).0[0] == 255 && share > lightest_writing && share < MID_TO {
                p.0[0] = 255;
                whitened += 1;
            }
        }
    }
    whitened
}

/// The share of the paper's grey above which, around a seal, grey is the seal's and not
/// writing. Mid-grey, as a rule: writing is darker. But a page written in pale ink has
/// its writing in mid-grey too (120 against a seal's 146 on paper of 248), and all of
/// it next to a ring or centre was whitened with the seal: digits the ring crossed were
/// cut in two (an ID under a seal read as `3717261963133501`, its `60` gone). When the
/// page's writing (the darkest tenth of its ink away from the seal) is that pale and
/// still clearly darker than the seal's own ink (the middle of its bands), the bound is
/// halfway between the two. Writing as pale as the seal cannot be told from it by its
/// grey, and is whitened with it as before (on one such page, keeping it lost more
/// readings than it saved).
fn seal_bound(seal: &[u32; SHARES], writing: &[u32; SHARES]) -> f32 {
    let (seal_ink, writing_ink) = (share_at(seal, 0.5), share_at(writing, 0.1));
    if writing_ink <= MID_FROM || seal_ink - writing_ink < DISTINCT_INK {
        return MID_FROM;
    }
    (seal_ink + writing_ink) / 2.0
}

/// How much darker than a seal's ink (as a share of the paper's grey) pale writing must
/// be to be told from it.
const DISTINCT_INK: f32 = 0.08;

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
    fn only_pale_writing_clearly_darker_than_the_seal_raises_the_bound() {
        let seal = shares([0.60; 50].into_iter());
        let writing = |share: f32| shares([share; 50].into_iter());
        assert_eq!(
            seal_bound(&seal, &writing(0.10)),
            MID_FROM,
            "dark writing: mid-grey goes"
        );
        assert!(
            (seal_bound(&seal, &writing(0.48)) - 0.54).abs() < 0.01,
            "pale writing: halfway"
        );
        assert_eq!(
            seal_bound(&seal, &writing(0.56)),
            MID_FROM,
            "as pale as the seal: no telling"
        );
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
