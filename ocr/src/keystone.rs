//! A table photographed at a slant (a camera or phone over a bound ledger, the top of
//! the page farther away): its rectangle is a trapezoid, its column rules lean, and the
//! grid is not found. Measured on six generated pages photographed so, the top edge
//! inset 1 % of the width each side: 2 of 11 columns were found and 21 % of the fields
//! read right (98.4 % with the same pages photographed square); squared, 98.8 %.
//!
//! The table's top and bottom rules are straight lines still; where each starts and ends
//! (followed as they lean) are the table's four corners. When they do not stand square, the page is warped so
//! they do (a homography from the table's rectangle to the trapezoid), and read so; the
//! cells' boxes are taken back through the same mapping onto the page as it lies.

use image::{GrayImage, Luma};

use crate::grid::CellBox;
use crate::preprocess::InkMap;

/// Corners farther from square than this (pixels, either end) make a trapezoid worth
/// warping: a square table's rule ends agree to 2-3 pixels.
const SLANT_PX: u32 = 8;
/// How far from a rule's end, either way, the border it meets is looked for, and from
/// the middle of the page its ink: a rule may stop a few pixels short of the border, a
/// faint stretch or a joint leave it a few pixels out.
const RULE_GAP_PX: u32 = 12;
/// A rule's ink may break for this many pixels and run on. Ledgers ruled in broken lines
/// (dashes, or rules worn into pieces) break for up to 30 pixels at 300 dpi; followed
/// only over 12, the borders of such a page photographed at a slant stopped at their
/// first break, and its table was squared wrong: of nine such generated pages none was
/// read whole (keyed, or read rows or columns short); all nine are now (89.7 to 100 % of
/// fields right).
const RULE_BREAK_PX: u32 = 32;
/// Ink beyond a break longer than [`RULE_GAP_PX`] is the rule going on only when it runs
/// on this far: a broken rule's dashes are 40 pixels and more, dust specks under 8.
const DASH_PX: u32 = 12;
/// A rule's band: rows either side of its centre looked at for its ink.
const RULE_BAND: u32 = 2;
/// The top and bottom rules run at least this share of the page's width.
const RULE_SPAN: f32 = 0.4;
/// The left and right borders run at least this share of the page's height.
const BORDER_SPAN: f32 = 0.3;
/// A corner where the fitted lines meet lies this near the ends of what was followed.
const CORNER_PX: f64 = 24.0;

/// The mapping from the page squared to the page as photographed: `source(x, y)` is where
/// the squared page's pixel (x, y) lies on the page as it lies.
#[derive(Debug, Clone, PartialEq)]
pub struct Keystone {
    h: [f64; 8],
}

impl Keystone {
    /// The table's corners, found on `ink` where its left and right borders end, or, a
    /// table without them, where its top and bottom rules start and end (the page's top
    /// or bottom farther from the camera), or else its left and right ones (its left or
    /// right side farther), when they stand out of square; `None` for a square table.
    pub fn of(ink: &InkMap) -> Option<Keystone> {
        let (squared, photographed) = match corners_along_borders(ink) {
            Some(corners) => out_of_square(corners)?,
            None => corners_along_rows(ink, 3).or_else(|| {
                // The same, looked for on the page turned on its diagonal: x for y.
                let swap = |points: Corners| points.map(|(x, y)| (y, x));
                // Its borders alone may stand out as rules: the column rules inside, thinner,
                // spread over neighbouring columns as the rows fan out. Two suffice: corners
                // found so that are out of square only lead to a squared page being tried.
                corners_along_rows(&transposed(ink), 2).map(|(sq, ph)| (swap(sq), swap(ph)))
            })?,
        };
        homography(&squared, &photographed).map(|h| Keystone { h })
    }

    /// Where the squared page's point (x, y) lies on the page as photographed.
    pub fn source(&self, x: f64, y: f64) -> (f64, f64) {
        let h = &self.h;
        let d = h[6] * x + h[7] * y + 1.0;
        ((h[0] * x + h[1] * y + h[2]) / d, (h[3] * x + h[4] * y + h[5]) / d)
    }

    /// The grey page squared (bilinear; outside the photograph, white).
    pub fn squared_grey(&self, grey: &GrayImage) -> GrayImage {
        let (w, h) = grey.dimensions();
        GrayImage::from_fn(w, h, |x, y| {
            let (sx, sy) = self.source(x as f64, y as f64);
            Luma([bilinear(grey, sx, sy).unwrap_or(255)])
        })
    }

    /// The ink map squared (nearest pixel).
    pub fn squared_ink(&self, ink: &InkMap) -> InkMap {
        let (w, h) = (ink.width, ink.height);
        let mut data = vec![0u8; w as usize * h as usize];
        for (y, row) in data.chunks_exact_mut(w as usize).enumerate() {
            for (x, out) in row.iter_mut().enumerate() {
                let (sx, sy) = self.source(x as f64, y as f64);
                let (sx, sy) = (sx.round(), sy.round());
                if sx >= 0.0 && sy >= 0.0 && sx < w as f64 && sy < h as f64 {
                    *out = u8::from(ink.at(sx as u32, sy as u32));
                }
            }
        }
        InkMap {
            width: w,
            height: h,
            data,
        }
    }

    /// A box on the squared page as it lies on the page photographed: the box round its
    /// corners' places, within `w`×`h`.
    pub fn unsquared(&self, b: CellBox, w: u32, h: u32) -> CellBox {
        b.mapped(w, h, |x, y| self.source(x, y))
    }
}

/// A table's four corners: top left, top right, bottom right, bottom left.
type Corners = [(f64, f64); 4];

/// The table's corners as photographed, from its borders: a rule across it followed to
/// its ends, the left and right borders followed from there up and down to theirs, the
/// top and bottom rules along from those; each of the four lines fitted to the pixels
/// it was followed through, and the corners where they meet. They hold however the page
/// was photographed at a slant, its top and bottom rules leaning and its sides
/// converging at once, where the rules that lie level enough to be found across the
/// page (the ones [`corners_along_rows`] goes by) may be a few near the middle, whose
/// ends stand nearly square; fitted, they are not a line's end pixel, off by its
/// thickness, which leaves the squared rules leaning across the far side. `None` when a
/// border runs less than [`BORDER_SPAN`] of the page's height (a table open at its
/// sides, or a short one).
fn corners_along_borders(ink: &InkMap) -> Option<Corners> {
    let (top, _) = crate::grid::outer_rules(ink, 3)?;
    let (left, right) = rule_ends(ink, top)?;
    // The border, the longest line down through the rule's end or just beyond it (a rule
    // may stop a few pixels short of the border it meets).
    let border = |end: (u32, u32), outward: i64| {
        (-4..=RULE_GAP_PX as i64)
            .map(|d| end.0 as i64 + d * outward)
            .filter(|&x| (0..ink.width as i64).contains(&x))
            .map(|x| {
                let mut path = Vec::new();
                let ends = [-1, 1].map(|step| follow(ink, (x as u32, end.1), step, Along::Column, &mut path));
                (ends, path)
            })
            .max_by_key(|([top, bottom], _)| bottom.1 - top.1)
            .expect("a place to start")
    };
    let (([top_left, bottom_left], left_path), ([top_right, bottom_right], right_path)) =
        (border(left, -1), border(right, 1));
    let span = (ink.height as f32 * BORDER_SPAN) as u32;
    if bottom_left.1 - top_left.1 < span || bottom_right.1 - top_right.1 < span {
        return None;
    }
    let rule = |start: (u32, u32)| {
        let mut path = Vec::new();
        follow(ink, start, 1, Along::Row, &mut path);
        Line::fitted(&path)
    };
    let (left, right) = (Line::fitted(&left_path)?, Line::fitted(&right_path)?);
    let (top, bottom) = (rule(top_left)?, rule(bottom_left)?);
    let fitted = [
        left.meets(&top),
        right.meets(&top),
        right.meets(&bottom),
        left.meets(&bottom),
    ];
    // Lines fitted to what was followed end where it ended, give or take a line's
    // thickness and a break: farther, something else was followed (writing, a fold).
    let followed = [top_left, top_right, bottom_right, bottom_left];
    let near = |(x, y): (f64, f64), (fx, fy): (u32, u32)| (x - fx as f64).hypot(y - fy as f64) <= CORNER_PX;
    fitted.iter().zip(followed).all(|(&c, f)| near(c, f)).then_some(fitted)
}

/// A line fitted to pixels followed along it: `across = at + slope × along` (x by y
/// down a border, y by x along a rule).
struct Line {
    at: f64,
    slope: f64,
}

impl Line {
    /// The least-squares line through (along, across) points; `None` for fewer than two
    /// places along.
    fn fitted(points: &[(u32, u32)]) -> Option<Line> {
        let n = points.len() as f64;
        let mean = |f: fn(&(u32, u32)) -> u32| points.iter().map(|p| f(p) as f64).sum::<f64>() / n;
        let (along, across) = (mean(|p| p.0), mean(|p| p.1));
        let (mut spread, mut together) = (0.0, 0.0);
        for &(a, c) in points {
            let (da, dc) = (a as f64 - along, c as f64 - across);
            spread += da * da;
            together += da * dc;
        }
        (spread > 0.0).then(|| {
            let slope = together / spread;
            Line {
                at: across - slope * along,
                slope,
            }
        })
    }

    /// Where this border (x by y) meets `rule` (y by x), (x, y).
    fn meets(&self, rule: &Line) -> (f64, f64) {
        let x = (self.at + self.slope * rule.at) / (1.0 - self.slope * rule.slope);
        (x, rule.at + rule.slope * x)
    }
}

/// The table's corners squared and as photographed, in the same order, from its top and
/// bottom rules (of at least `least_rules` across the page); `None` when those are not
/// found or stand square.
fn corners_along_rows(ink: &InkMap, least_rules: usize) -> Option<(Corners, Corners)> {
    let (top, bottom) = crate::grid::outer_rules(ink, least_rules)?;
    let (top_left, top_right) = rule_ends(ink, top)?;
    let (bottom_left, bottom_right) = rule_ends(ink, bottom)?;
    out_of_square([top_left, top_right, bottom_right, bottom_left].map(|(x, y)| (x as f64, y as f64)))
}

/// The rectangle a table with these corners as photographed (top left, top right,
/// bottom right, bottom left) is squared to, and the corners; `None` when they stand
/// square.
fn out_of_square(corners: Corners) -> Option<(Corners, Corners)> {
    let [top_left, top_right, bottom_right, bottom_left] = corners;
    let apart = |a: f64, b: f64| (a - b).abs() >= SLANT_PX as f64;
    // Out of square: the sides lean (x), or the rules do (y), beyond what the rules'
    // thickness and the page's own ragged edges give.
    let square = !apart(top_left.0, bottom_left.0)
        && !apart(top_right.0, bottom_right.0)
        && !apart(top_left.1, top_right.1)
        && !apart(bottom_left.1, bottom_right.1);
    if square {
        return None;
    }
    let (left, right) = (top_left.0.min(bottom_left.0), top_right.0.max(bottom_right.0));
    let (top, bottom) = (top_left.1.min(top_right.1), bottom_left.1.max(bottom_right.1));
    Some(([(left, top), (right, top), (right, bottom), (left, bottom)], corners))
}

/// `ink` turned on its diagonal: its columns as rows.
pub(crate) fn transposed(ink: &InkMap) -> InkMap {
    let (w, h) = (ink.width as usize, ink.height as usize);
    let mut data = vec![0u8; w * h];
    for (y, row) in ink.data.chunks_exact(w).enumerate() {
        for (x, &v) in row.iter().enumerate() {
            data[x * h + y] = v;
        }
    }
    InkMap {
        width: ink.height,
        height: ink.width,
        data,
    }
}

/// Where the rule at row `at` starts and ends, (x, y) each: followed from the middle of the page each
/// way, row by row as it drifts (a page left a tenth of a degree off level drifts 5
/// pixels across a table, out of any fixed band), over breaks of up to
/// [`RULE_BREAK_PX`]; `None` when it is shorter than a table's rule.
fn rule_ends(ink: &InkMap, at: u32) -> Option<((u32, u32), (u32, u32))> {
    let middle = ink.width / 2;
    let start = (0..RULE_GAP_PX * 4)
        .flat_map(|d| [middle + d, middle.saturating_sub(d)])
        .find(|&x| x < ink.width && ink_near(ink, Along::Row, x, at).is_some())?;
    let (left, right) = (follow_rule(ink, (start, at), -1), follow_rule(ink, (start, at), 1));
    (right.0 - left.0 >= (ink.width as f32 * RULE_SPAN) as u32).then_some((left, right))
}

/// Where the rule through (x, y) ends toward `step` (1 rightward, -1 leftward), (x, y).
pub(crate) fn follow_rule(ink: &InkMap, start: (u32, u32), step: i64) -> (u32, u32) {
    follow(ink, start, step, Along::Row, &mut Vec::new())
}

/// Where the border or column rule through (x, y) ends toward `step` (1 downward, -1
/// upward), (x, y).
pub(crate) fn follow_border(ink: &InkMap, start: (u32, u32), step: i64) -> (u32, u32) {
    follow(ink, start, step, Along::Column, &mut Vec::new())
}

/// Which way a line runs: a rule along a row, a border down a column.
#[derive(Clone, Copy)]
enum Along {
    Row,
    Column,
}

impl Along {
    /// A pixel's (x, y) as (position along the line, position across it).
    fn split(self, (x, y): (u32, u32)) -> (u32, u32) {
        match self {
            Along::Row => (x, y),
            Along::Column => (y, x),
        }
    }

    /// The pixel at `along` on the line and `across` it, (x, y).
    fn pixel(self, along: u32, across: u32) -> (u32, u32) {
        self.split((along, across))
    }
}

/// Where the line through `start` ends toward `step` (1 toward larger x or y, -1 back),
/// (x, y): followed pixel by pixel as it drifts within [`RULE_BAND`] across, over breaks
/// of up to [`RULE_BREAK_PX`]; each of its pixels found is added to `path` as (along,
/// across).
fn follow(ink: &InkMap, start: (u32, u32), step: i64, along: Along, path: &mut Vec<(u32, u32)>) -> (u32, u32) {
    let (at, mut across) = along.split(start);
    let length = along.split((ink.width, ink.height)).0;
    let (mut pos, mut last) = (at as i64, at);
    loop {
        pos += step;
        let gap = (pos - last as i64).unsigned_abs();
        if pos < 0 || pos >= length as i64 || gap > RULE_BREAK_PX.into() {
            return along.pixel(last, across);
        }
        let Some(c) = ink_near(ink, along, pos as u32, across) else {
            continue;
        };
        // Past a longer break only a dash goes on with the rule: a speck of dust there
        // is passed over (taken, it led a border on past the table's corner, and the
        // page was squared askew).
        if gap > RULE_GAP_PX.into() && !dash_from(ink, along, pos, step, c) {
            continue;
        }
        (across, last) = (c, pos as u32);
        path.push((last, across));
    }
}

/// Whether the ink at `pos` along a line (at `across`) runs on toward `step` for
/// [`DASH_PX`] pixels, drifting as a rule does.
fn dash_from(ink: &InkMap, along: Along, pos: i64, step: i64, mut across: u32) -> bool {
    (1..DASH_PX as i64).all(|i| {
        // Off the page's far side, `ink_near` finds nothing.
        let found = u32::try_from(pos + i * step)
            .ok()
            .and_then(|at| ink_near(ink, along, at, across));
        found.inspect(|&c| across = c).is_some()
    })
}

/// Where across a line running `along` there is ink at `at` along it, within
/// [`RULE_BAND`] of `across`, nearest first (for a rule: the row of the ink in column
/// `at` near row `across`).
fn ink_near(ink: &InkMap, along: Along, at: u32, across: u32) -> Option<u32> {
    (0..=RULE_BAND)
        .flat_map(|d| [across + d, across.saturating_sub(d)])
        .find(|&c| {
            let (x, y) = along.pixel(at, c);
            x < ink.width && y < ink.height && ink.at(x, y)
        })
}

/// The grey at (x, y) between its four pixels; `None` off the image.
fn bilinear(grey: &GrayImage, x: f64, y: f64) -> Option<u8> {
    let (w, h) = grey.dimensions();
    if x < 0.0 || y < 0.0 || x >= (w - 1) as f64 || y >= (h - 1) as f64 {
        return None;
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (fx, fy) = (x - x0 as f64, y - y0 as f64);
    let p = |dx: u32, dy: u32| grey.get_pixel(x0 + dx, y0 + dy).0[0] as f64;
    let top = p(0, 0) * (1.0 - fx) + p(1, 0) * fx;
    let bottom = p(0, 1) * (1.0 - fx) + p(1, 1) * fx;
    Some((top * (1.0 - fy) + bottom * fy).round() as u8)
}

/// The homography taking each of `from` to its `to` (h[8] = 1), by Gaussian elimination
/// with partial pivoting; `None` for corners in no general position.
fn homography(from: &Corners, to: &Corners) -> Option<[f64; 8]> {
    let mut m = [[0f64; 9]; 8];
    for (i, (&(u, v), &(x, y))) in from.iter().zip(to).enumerate() {
        m[2 * i] = [u, v, 1.0, 0.0, 0.0, 0.0, -u * x, -v * x, x];
        m[2 * i + 1] = [0.0, 0.0, 0.0, u, v, 1.0, -u * y, -v * y, y];
    }
    for col in 0..8 {
        let pivot = (col..8).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[pivot][col].abs() < 1e-12 {
            return None;
        }
        m.swap(col, pivot);
        let pivot_row = m[col];
        for (r, row) in m.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (v, p) in row.iter_mut().zip(pivot_row).skip(col) {
                    *v -= f * p;
                }
            }
        }
    }
    let mut h = [0f64; 8];
    for (i, v) in h.iter_mut().enumerate() {
        *v = m[i][8] / m[i][i];
    }
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table's top, middle and bottom rules, 3 pixels thick, the top one from `top`
    /// to `bottom` ends, the others from `bottom` to `bottom`.
    fn rules(top: (u32, u32), bottom: (u32, u32)) -> InkMap {
        let (w, h) = (1000, 600);
        let mut data = vec![0u8; (w * h) as usize];
        for (y, (x0, x1)) in [(100, top), (300, bottom), (500, bottom)] {
            for y in y - 1..=y + 1 {
                for x in x0..=x1 {
                    data[(y * w + x) as usize] = 1;
                }
            }
        }
        InkMap {
            width: w,
            height: h,
            data,
        }
    }

    /// A rule 3 pixels thick along row 100 of a 1000 x 200 map, drawn in `dashes`
    /// (x from, x to), and specks (x, y) 3 pixels square.
    fn dashed(dashes: &[(u32, u32)], specks: &[(u32, u32)]) -> InkMap {
        let w = 1000;
        let mut data = vec![0u8; (w * 200) as usize];
        let runs = dashes
            .iter()
            .flat_map(|&(x0, x1)| (x0..=x1).flat_map(|x| (99..=101).map(move |y| (x, y))));
        let dots = specks
            .iter()
            .flat_map(|&(x, y)| (x..x + 3).flat_map(move |x| (y..y + 3).map(move |y| (x, y))));
        for (x, y) in runs.chain(dots) {
            data[(y * w + x) as usize] = 1;
        }
        InkMap {
            width: w,
            height: 200,
            data,
        }
    }

    #[test]
    fn a_rule_is_followed_over_its_breaks_but_not_onto_dust_beyond_its_end() {
        // Dashes 40 to 300 pixels long with breaks of 6 to 30 between them, as broken
        // rules are drawn; then the rule ends, and 20 pixels on lies a speck on its line.
        let ink = dashed(&[(100, 400), (430, 470), (476, 700)], &[(720, 99)]);
        assert_eq!(
            follow_rule(&ink, (500, 100), 1).0,
            700,
            "on over the breaks, not onto the speck"
        );
        assert_eq!(follow_rule(&ink, (500, 100), -1).0, 100);
        // Nor does a speck in a break carry the rule over a break longer than a rule has.
        let ink = dashed(&[(100, 400), (460, 700)], &[(440, 100)]);
        assert_eq!(follow_rule(&ink, (500, 100), -1).0, 460);
    }

    #[test]
    fn a_trapezoid_is_squared_and_its_boxes_taken_back() {
        // The top rule runs 140..860, the bottom one 100..900: photographed from below.
        let ink = rules((140, 860), (100, 900));
        let k = Keystone::of(&ink).expect("a trapezoid");
        // The squared table's corners are the photographed ones.
        for ((x, y), (sx, sy)) in [
            ((100.0, 100.0), (140.0, 100.0)),
            ((900.0, 100.0), (860.0, 100.0)),
            ((900.0, 500.0), (900.0, 500.0)),
            ((100.0, 500.0), (100.0, 500.0)),
        ] {
            let got = k.source(x, y);
            assert!((got.0 - sx).abs() < 1e-6 && (got.1 - sy).abs() < 1e-6, "{got:?}");
        }
        // Squared, both rules run the width of the bottom one.
        let squared = k.squared_ink(&ink);
        assert_eq!(rule_ends(&squared, 100).map(|(l, r)| (l.0, r.0)), Some((100, 900)));
        assert_eq!(rule_ends(&squared, 500).map(|(l, r)| (l.0, r.0)), Some((100, 900)));
        // A box at the squared top left corner lies at the photographed one.
        let b = k.unsquared(
            CellBox {
                x: 100,
                y: 100,
                w: 50,
                h: 20,
            },
            1000,
            600,
        );
        // (its bottom left corner lies a little farther out, as the page's edge leans)
        assert_eq!(b.y, 100);
        assert!((138..=140).contains(&b.x), "{b:?}");
        assert!(b.w < 50 && b.h < 20, "smaller where the page is farther: {b:?}");
    }

    #[test]
    fn a_table_farther_on_one_side_is_squared_by_its_side_rules() {
        // The same table turned on its diagonal: its left side the shorter, photographed
        // with the left of the page farther away.
        let ink = transposed(&rules((140, 860), (100, 900)));
        let k = Keystone::of(&ink).expect("a trapezoid");
        let got = k.source(100.0, 100.0);
        assert!((got.0 - 100.0).abs() < 1e-6 && (got.1 - 140.0).abs() < 1e-6, "{got:?}");
        let squared = transposed(&k.squared_ink(&ink));
        assert_eq!(rule_ends(&squared, 100).map(|(l, r)| (l.0, r.0)), Some((100, 900)));
    }

    /// Its borders are enough on that side: the column rules inside a table photographed
    /// so, thinner than its borders, fan out across neighbouring columns and did not
    /// stand out (pages whose left side was 2 % farther lost 34 of 135 rows).
    #[test]
    fn a_table_farther_on_one_side_is_squared_by_its_borders_alone() {
        let mut ink = rules((140, 860), (100, 900));
        ink.data[299 * 1000..302 * 1000].fill(0);
        let ink = transposed(&ink);
        let k = Keystone::of(&ink).expect("a trapezoid");
        let got = k.source(100.0, 100.0);
        assert!((got.0 - 100.0).abs() < 1e-6 && (got.1 - 140.0).abs() < 1e-6, "{got:?}");
    }

    /// A table drawn with `corners` (top left, top right, bottom right, bottom left):
    /// its borders and rules 3 pixels thick, 15 rules between its top and bottom (a
    /// ledger page's rows) and five between its sides, each where it would lie on the
    /// photographed page.
    fn table(corners: [(f64, f64); 4]) -> InkMap {
        let (w, h) = (1000u32, 700u32);
        let mut ink = InkMap {
            width: w,
            height: h,
            data: vec![0; (w * h) as usize],
        };
        let between = |a: (f64, f64), b: (f64, f64), t: f64| (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
        let mut line = |a: (f64, f64), b: (f64, f64)| {
            for i in 0..=2000 {
                let (x, y) = between(a, b, i as f64 / 2000.0);
                for (dx, dy) in [
                    (-1, -1),
                    (0, -1),
                    (1, -1),
                    (-1, 0),
                    (0, 0),
                    (1, 0),
                    (-1, 1),
                    (0, 1),
                    (1, 1),
                ] {
                    let (px, py) = ((x.round() as i64 + dx) as u32, (y.round() as i64 + dy) as u32);
                    ink.data[(py * w + px) as usize] = 1;
                }
            }
        };
        let [tl, tr, br, bl] = corners;
        for i in 0..=16 {
            let t = i as f64 / 16.0;
            line(between(tl, bl, t), between(tr, br, t));
        }
        for i in 0..=6 {
            let t = i as f64 / 6.0;
            line(between(tl, tr, t), between(bl, br, t));
        }
        ink
    }

    /// Photographed at a slant both ways, its top and bottom rules leaning and its sides
    /// converging, a table's corners are where its borders and outer rules meet. (Only
    /// its middle rules lie level enough to be found across the page, and their ends stand
    /// square: the search by rows alone found no slant.)
    #[test]
    fn a_table_slanted_both_ways_is_squared_by_its_borders() {
        let corners = [(120.0, 115.0), (880.0, 100.0), (900.0, 600.0), (100.0, 585.0)];
        let k = Keystone::of(&table(corners)).expect("a trapezoid");
        let squared = [(100.0, 100.0), (900.0, 100.0), (900.0, 600.0), (100.0, 600.0)];
        for (s, c) in squared.into_iter().zip(corners) {
            let got = k.source(s.0, s.1);
            // Within a rule's thickness and a pixel: the lines are fitted to the pixels
            // followed, which keep to one edge of a rule as it leans.
            assert!((got.0 - c.0).hypot(got.1 - c.1) < 4.0, "{s:?}: {got:?}, not {c:?}");
        }
    }

    #[test]
    fn a_square_table_is_left_as_it_is() {
        assert_eq!(Keystone::of(&rules((100, 900), (102, 899))), None);
        let square = [(100.0, 100.0), (900.0, 100.0), (900.0, 600.0), (100.0, 600.0)];
        assert_eq!(Keystone::of(&table(square)), None);
        // A rule too short to be a table's is no corner.
        assert_eq!(Keystone::of(&rules((400, 600), (100, 900))), None);
    }

    #[test]
    fn a_squared_grey_page_is_sampled_between_pixels() {
        let grey = GrayImage::from_fn(4, 4, |x, _| Luma([(x * 60) as u8]));
        let identity = Keystone {
            h: [1.0, 0.0, 0.5, 0.0, 1.0, 0.0, 0.0, 0.0],
        };
        let shifted = identity.squared_grey(&grey);
        assert_eq!(shifted.get_pixel(0, 0).0[0], 30, "half a pixel to the right");
        assert_eq!(shifted.get_pixel(3, 0).0[0], 255, "off the page: paper");
    }
}
