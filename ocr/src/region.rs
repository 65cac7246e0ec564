//! A small ledger form scanned on a large bed (a 32开 book on an A3 scanner, a page
//! photographed with the desk round it): its rules cross too little of the scan to be
//! told from writing by how much of a row's width they cover, and the page went to
//! keying whole. Three generated pages, each laid on a scan 2.8 times as wide (on a
//! light lid, and on black), gave no record at all.
//!
//! The table is found instead by its rules: thin lines of ink (paper just above and below
//! them, which a paper's edge against a dark ground has not, nor most writing) longer
//! than an inch, and about as long as one another (a column of dates can line up into
//! a long run; a table's rules are far longer). Its sides are where most of them end:
//! the median ends, so a line struck through a row does not move them. The scan is
//! first straightened by the skew of its thin lines: a small form is seldom laid square
//! on the bed, and a thin rule 3 degrees off is, row by row, pieces too short to tell
//! from writing.

use image::DynamicImage;

use crate::grid::CellBox;
use crate::keystone::transposed;
use crate::preprocess::{self, InkMap};

/// Fewest rules a way (horizontal, vertical) for a table: a header rule and the two
/// outer ones; a ledger's columns give more.
const LEAST_RULES: usize = 3;
/// A rule is a table's when it is this share as long as the table's [`LEAST_RULES`]-th
/// longest, at least (a table's are all about as long).
const AS_LONG: f32 = 0.6;
/// A region this share of the scan's width and height is the scan: nothing to cut.
const MOST_OF_THE_SCAN: f32 = 0.8;

/// The box round the scan's ruled table, with a margin, when the table lies well within
/// a larger scan; `None` when no such table is there, or it fills the scan already.
pub fn table_region(image: &DynamicImage, dpi: u32) -> Option<CellBox> {
    // The scan as it is, not cleaned: there, its skew might be measured on the paper's
    // edge, and a dark ground round the paper be whitened a quarter of the way in, over
    // the table. The skew is measured on the thin lines alone (rules, mostly).
    let grey = image.to_luma8();
    // Paper a fiftieth of an inch above and below, as `rules` asks: dpi/100 at half size.
    let half_ink = preprocess::skew_search_ink(&grey);
    let skew = preprocess::skew_of_ink(&thin_lines(&half_ink, (dpi / 100).max(1)));
    let ink = preprocess::binarize(&preprocess::straightened(grey, skew), 20, preprocess::INK_SENSITIVITY);
    let (w, h) = (ink.width, ink.height);
    let (x0, x1) = median_ends(&rules(&ink, dpi))?;
    let (y0, y1) = median_ends(&rules(&transposed(&ink), dpi))?;
    // Room for rules that end a little past the median ends.
    let margin = dpi / 4;
    let (x0, y0) = (x0.saturating_sub(margin), y0.saturating_sub(margin));
    let (x1, y1) = ((x1 + margin).min(w), (y1 + margin).min(h));
    let (rw, rh) = (x1.checked_sub(x0)?, y1.checked_sub(y0)?);
    let most = |side: u32| (side as f32 * MOST_OF_THE_SCAN) as u32;
    let region = CellBox {
        x: x0,
        y: y0,
        w: rw,
        h: rh,
    };
    (rw <= most(w) || rh <= most(h)).then(|| region.unskewed(skew, w, h))
}

/// The ink of `ink` with paper `clear` pixels above and below it: thin lines along the
/// rows, which a line of writing seldom makes, nor a paper's edge against a dark ground
/// (a local threshold makes a band of ink of it, as wide as its window).
fn thin_lines(ink: &InkMap, clear: u32) -> InkMap {
    let (w, h) = (ink.width as usize, ink.height as usize);
    let clear = clear as usize * w;
    let paper = |at: Option<usize>| at.is_none_or(|at| ink.data[at] == 0);
    let data = (0..w * h)
        .map(|i| {
            u8::from(ink.data[i] != 0 && paper(i.checked_sub(clear)) && paper(Some(i + clear).filter(|&at| at < w * h)))
        })
        .collect();
    InkMap {
        width: ink.width,
        height: ink.height,
        data,
    }
}

/// A rule found along the rows of an ink map: from `from` to `to` along them.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rule {
    from: u32,
    to: u32,
    last_row: u32,
}

/// The rules along `ink`'s rows: thin lines of ink ([`thin_lines`]) longer than an
/// inch, their pieces on neighbouring rows that meet taken as one rule (a rule is a few
/// pixels thick, and may drift by a row or two).
fn rules(ink: &InkMap, dpi: u32) -> Vec<Rule> {
    // Paper this far above and below; a break in a rule (a faint stretch, a crossing
    // rule) of up to a twentieth of an inch bridged; pieces from a sixth of one.
    let (clear, bridged, piece) = ((dpi / 50).max(2), (dpi / 20).max(2), dpi / 6);
    let thin = thin_lines(ink, clear);
    let mut found: Vec<Rule> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for (y, row) in thin.data.chunks_exact(thin.width as usize).enumerate() {
        let y = y as u32;
        open.retain(|&i| found[i].last_row + 3 >= y);
        for (from, to) in runs(row, bridged).filter(|(from, to)| to - from >= piece) {
            let meets = |r: &Rule| from <= r.to + bridged && to + bridged >= r.from;
            match open.iter().find(|&&i| meets(&found[i])) {
                Some(&i) => {
                    let rule = &mut found[i];
                    (rule.from, rule.to, rule.last_row) = (rule.from.min(from), rule.to.max(to), y);
                }
                None => {
                    open.push(found.len());
                    found.push(Rule { from, to, last_row: y });
                }
            }
        }
    }
    found.retain(|r| r.to - r.from >= dpi);
    // A table's rules are about as long as one another, and far longer than what lines
    // of writing make (a column of dates can make one a row): the writing goes.
    let mut lengths: Vec<u32> = found.iter().map(|r| r.to - r.from).collect();
    lengths.sort_unstable_by(|a, b| b.cmp(a));
    if let Some(&reference) = lengths.get(LEAST_RULES - 1) {
        found.retain(|r| (r.to - r.from) as f32 >= reference as f32 * AS_LONG);
    }
    found
}

/// The runs of ink in `row`, as (first, one past the last) pixel, gaps of up to
/// `bridged` pixels within a run.
fn runs(row: &[u8], bridged: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
    let mut x = 0usize;
    std::iter::from_fn(move || {
        let start = x + row[x..].iter().position(|&v| v != 0)?;
        let (mut end, mut gap) = (start + 1, 0u32);
        for (i, &v) in row.iter().enumerate().skip(start + 1) {
            if v != 0 {
                (end, gap) = (i + 1, 0);
            } else {
                gap += 1;
                if gap > bridged {
                    break;
                }
            }
        }
        x = end;
        Some((start as u32, end as u32))
    })
}

/// Where most rules begin and end: the medians of their ends, when there are enough.
fn median_ends(rules: &[Rule]) -> Option<(u32, u32)> {
    if rules.len() < LEAST_RULES {
        return None;
    }
    let median = |mut v: Vec<u32>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    Some((
        median(rules.iter().map(|r| r.from).collect()),
        median(rules.iter().map(|r| r.to).collect()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ink_of(w: u32, h: u32, black: impl Fn(u32, u32) -> bool) -> InkMap {
        let data = (0..h)
            .flat_map(|y| (0..w).map(move |x| (y, x)))
            .map(|(y, x)| u8::from(black(x, y)))
            .collect();
        InkMap {
            width: w,
            height: h,
            data,
        }
    }

    #[test]
    fn runs_bridge_small_gaps_only() {
        let row = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0];
        assert_eq!(runs(&row, 2).collect::<Vec<_>>(), vec![(1, 6), (10, 12)]);
        assert_eq!(runs(&[0u8; 4], 2).count(), 0);
    }

    /// Rules `thick` px thick every 80 rows from x 300 to 1500, broken every 100 px, and
    /// the writing between them, blocks of digits, all falling a row every `step` pixels
    /// across (a skew the page was not straightened by); above and below, the edge of
    /// the paper against a dark ground (the ink a local threshold makes of it, 20 px
    /// thick).
    fn ruled_page(thick: u32, step: u32) -> InkMap {
        ink_of(2000, 1000, |x, y| {
            let y_level = y.saturating_sub(x / step);
            let rule = (100..=740).contains(&y_level)
                && (y_level - 100) % 80 < thick
                && (300..1500).contains(&x)
                && x % 100 != 7;
            let digits = (35..65).contains(&(y_level % 80)) && y_level < 800 && x % 25 < 20 && (320..1200).contains(&x);
            let edge = ((20..40).contains(&y) || (950..970).contains(&y)) && (40..1900).contains(&x);
            rule || edge || digits
        })
    }

    #[test]
    fn a_table_is_where_its_rules_end_not_a_paper_edge_or_writing() {
        for (thick, step) in [(3, u32::MAX), (3, 60)] {
            let found = rules(&ruled_page(thick, step), 300);
            assert_eq!(
                found.len(),
                9,
                "nine rules {thick} thick, falling a row every {step}: {found:?}"
            );
            assert_eq!(median_ends(&found), Some((300, 1500)), "{found:?}");
        }
    }

    #[test]
    fn a_small_table_skewed_on_a_dark_ground_is_found_round_its_rules() {
        use image::{GrayImage, Luma};
        // Paper 1700×1300 on near-black; a table of thin (2 px) rules on it; in its last
        // column two lines of writing a row, whose strokes (the bars of 一, 二, 5, 7)
        // line up into thin runs longer than an inch, more of them than the rules; the
        // whole turned 3 degrees, as laid on the bed.
        let (w, h) = (3600, 2600);
        let rule = |x: u32, y: u32| {
            let across = (500..=1490).contains(&y) && (y - 500) % 90 < 2 && (600..2000).contains(&x);
            let down =
                [600, 750, 1000, 1300, 1600, 1998].iter().any(|&c| x == c || x == c + 1) && (500..1492).contains(&y);
            across || down
        };
        let digits = |x: u32, y: u32| {
            (y > 590 && [30, 31, 60, 61].contains(&((y - 500) % 90))) && x % 25 < 19 && (1610..1990).contains(&x)
        };
        let level = GrayImage::from_fn(w, h, |x, y| {
            let paper = (500..2200).contains(&x) && (400..1700).contains(&y);
            Luma([if !paper {
                20
            } else if rule(x, y) || digits(x, y) {
                60
            } else {
                235
            }])
        });
        let turn = 3f32.to_radians();
        let scan = preprocess::rotate_bilinear(&level, turn, 20);
        let table = preprocess::rotate_bilinear(
            &GrayImage::from_fn(w, h, |x, y| Luma([if rule(x, y) { 0 } else { 255 }])),
            turn,
            255,
        );
        let dark: Vec<(u32, u32)> = table
            .enumerate_pixels()
            .filter(|(_, _, p)| p.0[0] < 128)
            .map(|(x, y, _)| (x, y))
            .collect();
        let table = crate::grid::tests::box_round(&dark);
        let (left, top, right, bottom) = (table.x, table.y, table.x + table.w - 1, table.y + table.h - 1);

        let found = table_region(&DynamicImage::ImageLuma8(scan), 300).expect("a table found");
        let (x1, y1) = (found.x + found.w, found.y + found.h);
        assert!(
            found.x <= left && found.y <= top && x1 > right && y1 > bottom,
            "{found:?} round the table's {left}..{right} × {top}..{bottom}"
        );
        assert!(
            left - found.x < 150 && top - found.y < 150 && x1 - right < 150 && y1 - bottom < 150,
            "{found:?}: no more than the table's margin"
        );
    }

    #[test]
    fn fewer_than_three_rules_are_no_table() {
        let ink = ink_of(1000, 200, |x, y| (y == 50 || y == 150) && x > 100);
        assert_eq!(median_ends(&rules(&ink, 300)), None);
    }
}
