//! A small ledger form scanned on a large bed (a 32开 book on an A3 scanner, a page
//! photographed with the desk round it): its rules cross too little of the scan to be
//! told from writing by how much of a row's width they cover, and the page went to
//! keying whole. Three generated pages, each laid on a scan 2.8 times as wide (on a
//! light lid, and on black), gave no record at all.
//!
//! The table is found instead by its rules' lengths: runs of ink, barely broken, longer
//! than an inch, which no line of writing makes. Its sides are where most of those runs
//! end: the median ends, so a paper's edge against a dark background, or a line struck
//! through a row, do not move them.

use image::DynamicImage;

use crate::grid::CellBox;
use crate::keystone::transposed;
use crate::preprocess::{self, InkMap};

/// Fewest rules a way (horizontal, vertical) for a table: a header rule and the two
/// outer ones; a ledger's columns give more.
const LEAST_RULES: usize = 3;
/// A region this share of the scan's width and height is the scan: nothing to cut.
const MOST_OF_THE_SCAN: f32 = 0.8;

/// The box round the scan's ruled table, with a margin, when the table lies well within
/// a larger scan; `None` when no such table is there, or it fills the scan already.
pub fn table_region(image: &DynamicImage, dpi: u32) -> Option<CellBox> {
    // The scan as it is: cleaned, its skew might be measured on the paper's edge, and
    // a dark ground round the paper be whitened a quarter of the way in, over the table.
    let ink = preprocess::binarize(&image.to_luma8(), 20, preprocess::INK_SENSITIVITY);
    let (w, h) = (ink.width, ink.height);
    let (x0, x1) = median_ends(&rules(&ink, dpi))?;
    let (y0, y1) = median_ends(&rules(&transposed(&ink), dpi))?;
    // Room for rules that end a little past the median ends.
    let margin = dpi / 4;
    let (x0, y0) = (x0.saturating_sub(margin), y0.saturating_sub(margin));
    let (x1, y1) = ((x1 + margin).min(w), (y1 + margin).min(h));
    let (rw, rh) = (x1.checked_sub(x0)?, y1.checked_sub(y0)?);
    let most = |side: u32| (side as f32 * MOST_OF_THE_SCAN) as u32;
    (rw <= most(w) || rh <= most(h)).then_some(CellBox {
        x: x0,
        y: y0,
        w: rw,
        h: rh,
    })
}

/// A rule found along the rows of an ink map: from `from` to `to` along them.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rule {
    from: u32,
    to: u32,
    last_row: u32,
}

/// The rules along `ink`'s rows: thin lines of ink (paper a few pixels above and below,
/// which a line of writing seldom has, nor a paper's edge against a dark ground), their
/// pieces on neighbouring rows that meet taken as one rule — a rule is a few pixels
/// thick, and on a page still skewed (a paper's edge can mislead the skew measured on
/// the whole scan) it steps from row to row — and longer than an inch.
fn rules(ink: &InkMap, dpi: u32) -> Vec<Rule> {
    // Paper this far above and below; a break in a rule (a faint stretch, a crossing
    // rule) of up to a twentieth of an inch bridged; pieces from a sixth of an inch.
    let (clear, bridged, piece) = ((dpi / 50).max(2), (dpi / 20).max(2), dpi / 6);
    let (w, h) = (ink.width as usize, ink.height);
    let row = |y: Option<u32>| y.filter(|&y| y < h).map(|y| &ink.data[y as usize * w..][..w]);
    let mut thin = vec![0u8; w];
    let mut found: Vec<Rule> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for y in 0..h {
        let (above, here, below) = (
            row(y.checked_sub(clear)),
            row(Some(y)).expect("within"),
            row(Some(y + clear)),
        );
        for (x, t) in thin.iter_mut().enumerate() {
            let paper = |r: Option<&[u8]>| r.is_none_or(|r| r[x] == 0);
            *t = u8::from(here[x] != 0 && paper(above) && paper(below));
        }
        open.retain(|&i| found[i].last_row + 3 >= y);
        for (from, to) in runs(&thin, bridged).filter(|(from, to)| to - from >= piece) {
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

    /// Rules 3 px thick every 80 rows from x 300 to 1500, broken every 100 px, and the
    /// writing between them, blocks of digits, all falling a row every `step` pixels
    /// across (a skew the page was not straightened by); above and below, the edge of
    /// the paper against a dark ground (the ink a local threshold makes of it, 20 px
    /// thick).
    fn ruled_page(step: u32) -> InkMap {
        ink_of(2000, 1000, |x, y| {
            let y_level = y.saturating_sub(x / step);
            let rule =
                (100..=740).contains(&y_level) && (y_level - 100) % 80 < 3 && (300..1500).contains(&x) && x % 100 != 7;
            let digits = (35..65).contains(&(y_level % 80)) && y_level < 800 && x % 25 < 20 && (320..1200).contains(&x);
            let edge = ((20..40).contains(&y) || (950..970).contains(&y)) && (40..1900).contains(&x);
            rule || edge || digits
        })
    }

    #[test]
    fn a_table_is_where_its_rules_end_not_a_paper_edge_or_writing() {
        for step in [u32::MAX, 60] {
            let found = rules(&ruled_page(step), 300);
            assert_eq!(found.len(), 9, "nine rules, falling a row every {step}: {found:?}");
            assert_eq!(median_ends(&found), Some((300, 1500)), "{found:?}");
        }
    }

    #[test]
    fn fewer_than_three_rules_are_no_table() {
        let ink = ink_of(1000, 200, |x, y| (y == 50 || y == 150) && x > 100);
        assert_eq!(median_ends(&rules(&ink, 300)), None);
    }
}
