//! A round seal's ring (and the solid dot at its centre) found by its shape, and taken
//! out of a grey scan before reading.
//!
//! [`crate::seal`] tells a seal from the writing by its grey: a band of mid-grey, lighter
//! than the writing. On a page written in pale ink the two are the same grey, and the
//! ring stayed, crossing the digits of the dates under it (`2013-12-03` read as
//! `20.1203`). A ring is known by its shape instead: a circle of ink, a few pixels wide,
//! larger than any character, with paper inside and outside most of the way round.
//! Circles are found by their edges voting for their centres (a Hough transform, on the
//! page at an eighth of its size, then near each likely centre at a quarter); a centre
//! is kept when ink lies on one circle round it nearly all the way round, which no text
//! and no table of rules does. The ring is then placed to the pixel on the page itself.
//!
//! Seal ink darkens what it is stamped on, paper or writing, by the same share; that
//! share is divided out on the ring and its dot (see [`whiten`]): the paper comes back,
//! and the writing under the seal at its own grey.

use image::{GrayImage, Luma};
use imageproc::gradients::{horizontal_sobel, vertical_sobel};

use crate::preprocess::{half_size, level_at, lightest_within};

/// Rings are checked for on the page at 1/`SCALE` of its size, and their centres voted
/// for at 1/(2 `SCALE`), where a ring is still a line of ink and the voting (most of the
/// search's time) an eighth of the work.
const SCALE: u32 = 4;
/// Radii of the rings looked for, in pixels of the page at 300 dpi: round seals are
/// 20 to 45 mm across (about 120 to 530 pixels), their rings wider than any character.
const MIN_RADIUS: u32 = 110;
const MAX_RADIUS: u32 = 300;
/// Edges weaker than this (Sobel, on the reduced page) do not vote.
const MIN_EDGE: i32 = 120;
/// Share of a circle's length that must be ink for it to be a ring. A circle drawn
/// through a ledger's writing and rules meets ink a third of the way round at most.
const RING_COVERAGE: f32 = 0.8;
/// Points a circle is sampled at.
const SAMPLES: usize = 360;
/// How far (full-size pixels) round a pixel of the quarter-size page its paper is
/// looked for.
const PAPER_REACH: u32 = 64;
/// Ink, on the quarter-size page: darker than this share of the paper around.
const INK_SHARE: f32 = 0.85;
/// How far beyond its measured edges (full-size pixels) the ring's soft edge reaches.
const SOFT_EDGE: f32 = 2.0;
/// Points a circle is sampled at on the full-size page (about one a pixel round the
/// largest ring).
const CIRCLE_POINTS: usize = 1024;
/// Most places a ring is looked for on one page (the most voted for).
const MAX_RINGS: usize = 4;

/// A ring found on the page, in full-size pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ring {
    pub cx: f32,
    pub cy: f32,
    pub inner: f32,
    pub outer: f32,
    /// Radius of the solid dot at its centre, if it has one.
    pub dot: Option<f32>,
}

/// Finds the rings on the page and takes them off (see the module comment). Returns how
/// many pixels were changed.
pub fn drop_rings(grey: &mut GrayImage) -> usize {
    find(grey).iter().map(|ring| whiten(grey, ring)).sum()
}

/// The rings on a page.
pub fn find(grey: &GrayImage) -> Vec<Ring> {
    let small = half_size(&half_size(grey));
    if small.width() < 2 * MAX_RADIUS / SCALE || small.height() < 2 * MAX_RADIUS / SCALE {
        return Vec::new();
    }
    let ink = Ink::of(&small);
    let smaller = half_size(&small);
    let (w, h) = smaller.dimensions();
    let mut votes = Votes::cast(
        &Edges::of(&smaller, (0, 0, w, h)),
        (0, 0, w - 1, h - 1),
        2 * SCALE,
        false,
    );
    let mut rings = Vec::new();
    for _ in 0..MAX_RINGS {
        let Some((x, y)) = votes.strongest() else { break };
        // Whatever this centre is, its neighbourhood has been looked at.
        votes.clear_around((x, y), MIN_RADIUS / SCALE / 2);
        // The centre voted for again at a quarter of the page's size, nearby only and by
        // radius: at an eighth, summed, a line of writing beside a ring pulled its peak
        // several pixels away.
        let (qx, qy) = (2 * x, 2 * y);
        let near = (qx.saturating_sub(NEAR), qy.saturating_sub(NEAR), qx + NEAR, qy + NEAR);
        let reach = NEAR + MAX_RADIUS / SCALE + 1;
        let around = (
            qx.saturating_sub(reach),
            qy.saturating_sub(reach),
            qx + reach,
            qy + reach,
        );
        let Some(centre) = Votes::cast(&Edges::of(&small, around), near, SCALE, true).strongest() else {
            continue;
        };
        if let Some(coarse) = ink.ring_at(centre) {
            rings.push(refine(grey, &coarse));
        }
    }
    rings
}

/// How far (quarter-size pixels) from where the eighth-size votes put a centre it is
/// voted for again.
const NEAR: u32 = 12;

/// Where the page's ink is, at a quarter of its size: darker than the paper around it
/// (the lightest grey near each pixel) by [`INK_SHARE`].
struct Ink {
    dark: GrayImage,
    circle: Vec<(f32, f32)>,
}

impl Ink {
    fn of(small: &GrayImage) -> Ink {
        // The lightest grey within PAPER_REACH: wider than a seal's centre, so that the
        // centre is ink against the paper round it, not paper itself.
        let paper = lightest_within(small, PAPER_REACH / SCALE);
        let dark = GrayImage::from_fn(small.width(), small.height(), |x, y| {
            let p = small.get_pixel(x, y).0[0] as f32;
            let around = paper.get_pixel(x, y).0[0] as f32;
            Luma([if p < INK_SHARE * around { 255 } else { 0 }])
        });
        Ink {
            dark,
            circle: unit_circle(SAMPLES),
        }
    }

    fn is_ink(&self, x: f32, y: f32) -> bool {
        pixel_at(&self.dark, x, y).is_some_and(|p| p == 255)
    }

    /// Share of the circle of radius `r` round `(cx, cy)` (quarter size) that is ink.
    fn coverage(&self, cx: f32, cy: f32, r: f32) -> f32 {
        let hits = self
            .circle
            .iter()
            .filter(|(cos, sin)| self.is_ink(cx + r * cos, cy + r * sin))
            .count();
        hits as f32 / self.circle.len() as f32
    }

    /// The ring round a candidate centre, if there is one: the centre moved to where a
    /// circle is most fully ink (votes put it within a pixel or two), and the band of
    /// radii inked most of the way round.
    fn ring_at(&self, (x, y): (u32, u32)) -> Option<Ring> {
        let radii = MIN_RADIUS / SCALE..=MAX_RADIUS / SCALE;
        let mut best = (0.0f32, 0.0f32, 0.0f32, 0u32);
        for dy in -2..=2 {
            for dx in -2..=2 {
                let (cx, cy) = (x as f32 + dx as f32 * 0.5, y as f32 + dy as f32 * 0.5);
                for r in radii.clone() {
                    let c = self.coverage(cx, cy, r as f32);
                    if c > best.0 {
                        best = (c, cx, cy, r);
                    }
                }
            }
        }
        let (coverage, cx, cy, r) = best;
        if coverage < RING_COVERAGE {
            return None;
        }
        let inked = |r: u32| self.coverage(cx, cy, r as f32) >= RING_COVERAGE / 2.0;
        let inner = (MIN_RADIUS / SCALE..r)
            .rev()
            .take_while(|&r| inked(r))
            .last()
            .unwrap_or(r);
        let outer = (r + 1..=MAX_RADIUS / SCALE)
            .take_while(|&r| inked(r))
            .last()
            .unwrap_or(r);
        let s = SCALE as f32;
        Some(Ring {
            cx: cx * s + s / 2.0,
            cy: cy * s + s / 2.0,
            inner: (inner as f32 - 0.5) * s,
            outer: (outer as f32 + 0.5) * s,
            dot: self.dot(cx, cy, inner),
        })
    }

    /// The radius (full size) of a solid dot of ink at the ring's centre, if there is
    /// one: the largest disc, at most a third of the ring's inside, nearly all ink.
    fn dot(&self, cx: f32, cy: f32, inner: u32) -> Option<f32> {
        let solid = |r: u32| {
            let (mut ink, mut all) = (0, 0);
            for dy in -(r as i32)..=r as i32 {
                for dx in -(r as i32)..=r as i32 {
                    if dx * dx + dy * dy <= (r * r) as i32 {
                        all += 1;
                        ink += usize::from(self.is_ink(cx + dx as f32, cy + dy as f32));
                    }
                }
            }
            ink as f32 >= 0.9 * all as f32
        };
        let largest = (2..=inner / 3).take_while(|&r| solid(r)).last()?;
        Some((largest as f32 + 1.0) * SCALE as f32)
    }
}

/// The ring placed to the pixel on the full-size page: a quarter-size pixel is four
/// of the page's, and a band placed four pixels off left grains of the ring's soft edge
/// along it, taken for ink. Round each centre near the coarse one, the mean grey of
/// every circle across the band; the centre is the one whose circles are darkest where
/// the ring is (the sum of their squared darkness: a centre off the mark spreads the
/// ring over more circles, each paler), and the band the circles darker than halfway
/// from the paper to the ring's darkest. (Medians, which the writing the ring crosses
/// moves less, were the same for every centre within half the ring's width.)
fn refine(grey: &GrayImage, coarse: &Ring) -> Ring {
    let margin = 2.0 * SCALE as f32;
    let radii: Vec<f32> = {
        let (from, to) = ((coarse.inner - margin).max(1.0) as u32, (coarse.outer + margin) as u32);
        (from..=to).map(|r| r as f32).collect()
    };
    let darkness = |means: &[u8]| {
        let paper = *means.iter().max().unwrap_or(&255) as f32;
        means.iter().map(|&m| (paper - m as f32).powi(2)).sum::<f32>()
    };
    let circle = unit_circle(CIRCLE_POINTS);
    let mut best = (f32::MIN, coarse.cx, coarse.cy, Vec::new());
    for dy in -3..=3 {
        for dx in -3..=3 {
            let (cx, cy) = (coarse.cx + dx as f32, coarse.cy + dy as f32);
            let means: Vec<u8> = radii.iter().map(|&r| circle_mean(grey, &circle, (cx, cy), r)).collect();
            let score = darkness(&means);
            if score > best.0 {
                best = (score, cx, cy, means);
            }
        }
    }
    let (_, cx, cy, means) = best;
    let dark = darker_than_halfway(&means);
    let (inner, outer) = match (dark.iter().position(|&d| d), dark.iter().rposition(|&d| d)) {
        (Some(a), Some(b)) => (radii[a] - 0.5, radii[b] + 0.5),
        _ => (coarse.inner, coarse.outer),
    };
    // The dot: the circles from its centre out that are dark.
    let dot = coarse.dot.map(|r| {
        let means: Vec<u8> = (0..=(r + margin) as u32)
            .map(|r| circle_mean(grey, &circle, (cx, cy), r as f32))
            .collect();
        match darker_than_halfway(&means).iter().take_while(|&&d| d).count() {
            0 => r,
            dark => dark as f32 - 0.5,
        }
    });
    Ring {
        cx,
        cy,
        inner,
        outer,
        dot,
    }
}

/// `n` points evenly round the unit circle, as (cosine, sine).
fn unit_circle(n: usize) -> Vec<(f32, f32)> {
    (0..n)
        .map(|i| {
            let a = i as f32 * std::f32::consts::TAU / n as f32;
            (a.cos(), a.sin())
        })
        .collect()
}

/// Which greys are darker than halfway from the lightest (paper) to the darkest (the
/// seal's ink).
fn darker_than_halfway(greys: &[u8]) -> Vec<bool> {
    let (Some(&paper), Some(&ink)) = (greys.iter().max(), greys.iter().min()) else {
        return Vec::new();
    };
    let halfway = (paper as u16 + ink as u16) / 2;
    greys.iter().map(|&g| (g as u16) < halfway).collect()
}

/// The nearest whole number to `v`, for `v` above -4096. (`f32::round` is a call into
/// the maths library on the baseline x86-64 target: with it, the ring search took 90 ms
/// a page instead of 55.)
fn nearest(v: f32) -> i32 {
    const SHIFT: f32 = 4096.0;
    (v + 0.5 + SHIFT) as i32 - SHIFT as i32
}

/// The grey of the pixel nearest `(x, y)`, if it is on the page.
fn pixel_at(page: &GrayImage, x: f32, y: f32) -> Option<u8> {
    let (x, y) = (nearest(x), nearest(y));
    (x >= 0 && y >= 0 && (x as u32) < page.width() && (y as u32) < page.height())
        .then(|| page.get_pixel(x as u32, y as u32).0[0])
}

/// The mean grey of the circle of radius `r` round `(cx, cy)`, sampled at the points
/// of `circle` (a unit circle).
fn circle_mean(grey: &GrayImage, circle: &[(f32, f32)], (cx, cy): (f32, f32), r: f32) -> u8 {
    let (mut sum, mut n) = (0u32, 0u32);
    for (cos, sin) in circle {
        if let Some(p) = pixel_at(grey, cx + r * cos, cy + r * sin) {
            sum += p as u32;
            n += 1;
        }
    }
    sum.checked_div(n).unwrap_or(255) as u8
}

/// The crests of a page's strong edges: where the grey changes fastest across an edge,
/// with the direction it changes in.
struct Edges {
    crests: Vec<(u32, u32, f32, f32)>,
}

impl Edges {
    /// The crests within `(x0, y0, x1, y1)` (`x1`, `y1` excluded) of the page.
    fn of(page: &GrayImage, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> Edges {
        let (x1, y1) = (x1.min(page.width()), y1.min(page.height()));
        // The region with a pixel more round it, for the gradients at its edge.
        let (ox, oy) = (x0.saturating_sub(1), y0.saturating_sub(1));
        let region = image::imageops::crop_imm(
            page,
            ox,
            oy,
            (x1 + 1).min(page.width()) - ox,
            (y1 + 1).min(page.height()) - oy,
        )
        .to_image();
        let (gx, gy) = (horizontal_sobel(&region), vertical_sobel(&region));
        let (w, h) = region.dimensions();
        let gradient = |x: u32, y: u32| (gx.get_pixel(x, y).0[0] as i32, gy.get_pixel(x, y).0[0] as i32);
        // Squared, compared as squares: only a crest needs its square root.
        let strength = |x: u32, y: u32| {
            let (ex, ey) = gradient(x, y);
            ex * ex + ey * ey
        };
        let mut crests = Vec::new();
        for y in 1..h.saturating_sub(1) {
            for x in 1..w.saturating_sub(1) {
                let here = strength(x, y);
                if here < MIN_EDGE * MIN_EDGE {
                    continue;
                }
                let (ex, ey) = gradient(x, y);
                let length = (here as f32).sqrt();
                let (nx, ny) = (ex as f32 / length, ey as f32 / length);
                // Only the crest votes (the strongest across the edge), once: a text-heavy
                // page has edges enough to make the voting most of the search's time.
                let (sx, sy) = (nearest(nx), nearest(ny));
                let beside = |sign: i32| strength((x as i32 + sign * sx) as u32, (y as i32 + sign * sy) as u32);
                if beside(1) <= here && beside(-1) <= here {
                    crests.push((x + ox, y + oy, nx, ny));
                }
            }
        }
        Edges { crests }
    }
}

/// Votes for the centres of circles within a window of a page: each edge crest votes
/// along its direction, both ways (a ring's outer edge faces out, its inner edge in),
/// at every radius looked for. Kept apart by radius or summed over all radii.
///
/// Summed, the edges of a line of writing vote for a ridge along it (each stroke for
/// every radius, all of them for the same rows), which outvoted the centre of a ring
/// beside it; by radius, a ring's edges all vote for one radius and the strokes'
/// votes spread over all of them.
struct Votes {
    x0: u32,
    y0: u32,
    w: u32,
    h: u32,
    /// Radii kept apart: 1 when summed.
    radii: u32,
    counts: Vec<u32>,
}

impl Votes {
    /// The votes of `edges` (of the page at 1/`scale` of its size) for the centres in
    /// `(x0, y0, x1, y1)`.
    fn cast(edges: &Edges, (x0, y0, x1, y1): (u32, u32, u32, u32), scale: u32, by_radius: bool) -> Votes {
        let (w, h) = (x1 - x0 + 1, y1 - y0 + 1);
        let (min_r, max_r) = (MIN_RADIUS / scale, MAX_RADIUS / scale);
        let radii = if by_radius { max_r - min_r + 1 } else { 1 };
        let mut counts = vec![0u32; (w * h * radii) as usize];
        let reach = |v: u32, from: u32, to: u32| v + max_r >= from && v <= to + max_r;
        for &(x, y, nx, ny) in &edges.crests {
            if !reach(x, x0, x1) || !reach(y, y0, y1) {
                continue;
            }
            for r in min_r..=max_r {
                let plane = if by_radius { (r - min_r) * w * h } else { 0 };
                for side in [-1.0, 1.0] {
                    let cx = nearest(x as f32 + side * r as f32 * nx) - x0 as i32;
                    let cy = nearest(y as f32 + side * r as f32 * ny) - y0 as i32;
                    if cx >= 0 && cy >= 0 && (cx as u32) < w && (cy as u32) < h {
                        counts[(plane + cy as u32 * w + cx as u32) as usize] += 1;
                    }
                }
            }
        }
        Votes {
            x0,
            y0,
            w,
            h,
            radii,
            counts,
        }
    }

    /// The place (on the page) with the most votes within a pixel of it (and of its
    /// radius, when kept apart), if any.
    fn strongest(&self) -> Option<(u32, u32)> {
        let plane = (self.w * self.h) as usize;
        let at = |x: u32, y: u32, r: u32| self.counts[r as usize * plane + (y * self.w + x) as usize];
        let mut best = (0u32, 0u32, 0u32);
        for r in 0..self.radii {
            let next = (r + 1).min(self.radii - 1);
            for y in 1..self.h.saturating_sub(1) {
                for x in 1..self.w.saturating_sub(1) {
                    let mut around = 0;
                    for yy in y - 1..=y + 1 {
                        for xx in x - 1..=x + 1 {
                            around += at(xx, yy, r) + if next != r { at(xx, yy, next) } else { 0 };
                        }
                    }
                    if around > best.0 {
                        best = (around, x, y);
                    }
                }
            }
        }
        (best.0 > 0).then_some((best.1 + self.x0, best.2 + self.y0))
    }

    /// Clears the votes within `reach` of a place on the page.
    fn clear_around(&mut self, (x, y): (u32, u32), reach: u32) {
        let (x, y) = (x - self.x0, y - self.y0);
        let plane = (self.w * self.h) as usize;
        for r in 0..self.radii as usize {
            for yy in y.saturating_sub(reach)..(y + reach + 1).min(self.h) {
                let row = r * plane + (yy * self.w) as usize;
                self.counts[row + x.saturating_sub(reach) as usize..row + (x + reach + 1).min(self.w) as usize].fill(0);
            }
        }
    }
}

/// Takes a ring and its dot off the full-size page. Seal ink over paper or writing
/// darkens it by the same share (it lets through a share of the light, as the writing
/// under it does), so dividing that share out leaves the paper white and the writing
/// under the seal at its own grey. (Keeping the darker ink as it was left every crossed
/// stroke blacker there than along the rest of it, read as another character: 2013 as
/// 20343.) Returns how many pixels were changed.
fn whiten(grey: &mut GrayImage, ring: &Ring) -> usize {
    let distance = |x: u32, y: u32| (x as f32 - ring.cx).hypot(y as f32 - ring.cy);
    let on_ring = |d: f32| d >= ring.inner - SOFT_EDGE && d <= ring.outer + SOFT_EDGE;
    let on_dot = |d: f32| ring.dot.is_some_and(|r| d <= r + SOFT_EDGE);
    let (w, h) = grey.dimensions();
    let reach = ring.outer + SOFT_EDGE + 1.0;
    let x0 = (ring.cx - reach).max(0.0) as u32;
    let y0 = (ring.cy - reach).max(0.0) as u32;
    let x1 = ((ring.cx + reach) as u32).min(w - 1);
    let y1 = ((ring.cy + reach) as u32).min(h - 1);
    let level = |of: &dyn Fn(f32) -> bool| {
        let mut counts = [0u32; 256];
        for y in y0..=y1 {
            for x in x0..=x1 {
                if of(distance(x, y)) {
                    counts[grey.get_pixel(x, y).0[0] as usize] += 1;
                }
            }
        }
        level_at(&counts, 0.5).max(1) as f32
    };
    // The seal's own grey is the middle of its band (writing under it is a small part
    // of it); the paper's, the middle of what lies round it.
    let paper = level(&|d| !on_ring(d) && !on_dot(d));
    let ring_share = level(&|d| d >= ring.inner && d <= ring.outer) / paper;
    let dot_share = ring.dot.map(|r| level(&|d| d <= r) / paper);
    let mut changed = 0;
    for y in y0..=y1 {
        for x in x0..=x1 {
            let d = distance(x, y);
            let share = match (on_ring(d), on_dot(d)) {
                (true, _) => ring_share,
                (false, true) => dot_share.unwrap_or(1.0),
                (false, false) => continue,
            };
            let p = grey.get_pixel_mut(x, y);
            let under = p.0[0] as f32 / share.min(1.0);
            // Paper where the seal was, not white: a white ghost of the ring beside the
            // paper's grey is an edge of its own.
            p.0[0] = if under >= INK_SHARE * paper {
                paper as u8
            } else {
                under as u8
            };
            changed += 1;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use imageproc::drawing::{draw_filled_circle_mut, draw_filled_rect_mut, draw_hollow_circle_mut};
    use imageproc::rect::Rect;

    /// A page of pale writing and black rules, with a seal of the writing's grey stamped
    /// at `seal`.
    fn page(seal: Option<(i32, i32)>) -> GrayImage {
        let mut page = GrayImage::from_pixel(1200, 900, Luma([245]));
        for y in (100..850).step_by(60) {
            draw_filled_rect_mut(&mut page, Rect::at(50, y).of_size(1100, 3), Luma([40]));
        }
        for x in [50, 300, 600, 900, 1147] {
            draw_filled_rect_mut(&mut page, Rect::at(x, 100).of_size(3, 723), Luma([40]));
        }
        // Writing: short strokes and rings of character size in every cell.
        for y in (115..820).step_by(60) {
            for x in (70..1130).step_by(26) {
                draw_filled_rect_mut(&mut page, Rect::at(x, y).of_size(4, 30), Luma([140]));
                if x % 4 == 2 {
                    draw_hollow_circle_mut(&mut page, (x + 12, y + 15), 12, Luma([140]));
                }
            }
        }
        if let Some(centre) = seal {
            stamp(&mut page, centre, 140);
        }
        page
    }

    /// A seal of `grey` ink stamped over the page (ink under it gets darker).
    fn stamp(page: &mut GrayImage, (cx, cy): (i32, i32), grey: u8) {
        let mut seal = GrayImage::from_pixel(page.width(), page.height(), Luma([255]));
        for r in 150..160 {
            draw_hollow_circle_mut(&mut seal, (cx, cy), r, Luma([grey]));
        }
        draw_filled_circle_mut(&mut seal, (cx, cy), 26, Luma([grey]));
        for (p, s) in page.pixels_mut().zip(seal.pixels()) {
            p.0[0] = (p.0[0] as u32 * s.0[0] as u32 / 255) as u8;
        }
    }

    #[test]
    fn a_ring_as_pale_as_the_writing_is_found_and_goes() {
        let mut page = page(Some((620, 450)));
        let rings = find(&page);
        assert_eq!(rings.len(), 1, "{rings:?}");
        let ring = rings[0];
        // Drawn: centre (620, 450), ring radii 150-159, dot radius 26.
        assert!(
            (ring.cx - 620.0).abs() <= 1.0 && (ring.cy - 450.0).abs() <= 1.0,
            "{ring:?}"
        );
        assert!((148.0..=151.0).contains(&ring.inner), "{ring:?}");
        assert!((158.0..=161.0).contains(&ring.outer), "{ring:?}");
        assert!(ring.dot.is_some_and(|r| (25.0..=28.0).contains(&r)), "{ring:?}");
        assert!(drop_rings(&mut page) > 0);
        // On the ring, between strokes: paper now. Where the ring crosses a stroke (at
        // the ring's top, x 616-619), the stroke is left at its own grey, as it is
        // beyond the ring.
        assert_eq!(page.get_pixel(620 + 155, 450).0[0], 245, "the ring is paper");
        assert_eq!(page.get_pixel(620, 450).0[0], 245, "the dot is paper");
        let crossed = page.get_pixel(617, 297).0[0];
        assert!(
            (115..=165).contains(&crossed),
            "the writing under the ring stays ({crossed})"
        );
        assert_eq!(page.get_pixel(617, 315).0[0], 140, "and beyond it is untouched");
    }

    #[test]
    fn a_page_without_a_seal_has_no_ring() {
        let mut page = page(None);
        let before = page.clone();
        assert_eq!(find(&page), Vec::new());
        assert_eq!(drop_rings(&mut page), 0);
        assert_eq!(page, before);
    }
}
