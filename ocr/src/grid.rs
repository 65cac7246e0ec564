//! Finding the ruled table: long horizontal and vertical runs of ink are rules; the
//! spaces between them are rows, columns and cells. Broken rules (worn or photocopied
//! ledgers) are bridged by counting ink along the whole line rather than one run.

use serde::Serialize;

use crate::preprocess::InkMap;

/// A cell's box on the deskewed page, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CellBox {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl CellBox {
    /// The box round this box's corners taken through `place` (a point's place on
    /// another page of the same `w`×`h`), within that page.
    pub fn mapped(self, w: u32, h: u32, place: impl Fn(f64, f64) -> (f64, f64)) -> CellBox {
        let (x, y, bw, bh) = (self.x as f64, self.y as f64, self.w as f64, self.h as f64);
        let corners = [(x, y), (x + bw, y), (x + bw, y + bh), (x, y + bh)].map(|(x, y)| place(x, y));
        let clamp = |v: f64, max: u32| v.round().clamp(0.0, max as f64) as u32;
        let x0 = clamp(corners.iter().map(|c| c.0).fold(f64::MAX, f64::min), w);
        let x1 = clamp(corners.iter().map(|c| c.0).fold(f64::MIN, f64::max), w);
        let y0 = clamp(corners.iter().map(|c| c.1).fold(f64::MAX, f64::min), h);
        let y1 = clamp(corners.iter().map(|c| c.1).fold(f64::MIN, f64::max), h);
        CellBox {
            x: x0,
            y: y0,
            w: (x1 - x0).max(1),
            h: (y1 - y0).max(1),
        }
    }

    /// The box on the `w`×`h` page as it lay skewed `skew_degrees`, for a box on it
    /// straightened (see [`crate::preprocess::clean`]): the box round its corners turned
    /// back. Kept straight, boxes lay a row and a column off at the far corners of a
    /// page skewed 2 degrees, and the review app cut the wrong writing for a field.
    pub fn unskewed(self, skew_degrees: f32, w: u32, h: u32) -> CellBox {
        let Some((sin, cos)) = crate::preprocess::straightening(skew_degrees) else {
            return self;
        };
        let (cx, cy) = (w as f64 / 2.0, h as f64 / 2.0);
        // Where `rotate_bilinear` took the straightened pixel (x, y) from.
        self.mapped(w, h, |x, y| {
            let (dx, dy) = (x - cx, y - cy);
            (cx + cos * dx + sin * dy, cy - sin * dx + cos * dy)
        })
    }

    /// The box on the page before it was resized `scale` times, widened to whole pixels
    /// and kept within that `w`×`h` page.
    pub fn unscaled(self, scale: f32, w: u32, h: u32) -> CellBox {
        if scale == 1.0 {
            return self;
        }
        let down = |v: u32| (v as f32 / scale).floor() as u32;
        let up = |v: u32, most: u32| ((v as f32 / scale).ceil() as u32).min(most);
        let (x, y) = (
            down(self.x).min(w.saturating_sub(1)),
            down(self.y).min(h.saturating_sub(1)),
        );
        CellBox {
            x,
            y,
            w: up(self.x + self.w, w).saturating_sub(x).max(1),
            h: up(self.y + self.h, h).saturating_sub(y).max(1),
        }
    }

    /// The box on the page as scanned, for a box on the `w`×`h` page it was read as:
    /// the scan turned `quarter_turns` quarters clockwise.
    pub fn as_scanned(self, quarter_turns: u8, w: u32, h: u32) -> CellBox {
        let CellBox { x, y, w: bw, h: bh } = self;
        match quarter_turns % 4 {
            0 => self,
            // Turned half round: each corner goes to the opposite one.
            2 => CellBox {
                x: w.saturating_sub(x + bw),
                y: h.saturating_sub(y + bh),
                w: bw,
                h: bh,
            },
            // Read turned clockwise: the read page's columns are the scan's rows from
            // its bottom (the scan is h wide, w high).
            1 => CellBox {
                x: y,
                y: w.saturating_sub(x + bw),
                w: bh,
                h: bw,
            },
            // Read turned counter-clockwise: its rows are the scan's columns from the right.
            _ => CellBox {
                x: h.saturating_sub(y + bh),
                y: x,
                w: bh,
                h: bw,
            },
        }
    }
}

/// The table: rule positions (line centres). Row 0 is the header.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grid {
    pub rows: Vec<u32>,
    pub cols: Vec<u32>,
}

/// Share of the span a line's ink must cover to count as a rule.
const RULE_COVERAGE: f32 = 0.55;
/// Rules closer than this are one rule (thick borders, double lines).
const MERGE_PX: u32 = 14;
/// A rule running on this far past the table's outer column has columns beyond it that
/// were not found: a hand-ruled border is overshot by a few pixels; the narrowest column
/// (性别) is about 100 wide at 300 dpi.
const RUN_ON_PX: u32 = 60;

fn peaks(profile: &[u32], threshold: u32) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    let mut start: Option<usize> = None;
    for (i, &v) in profile.iter().chain(std::iter::once(&0)).enumerate() {
        match (v >= threshold, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let centre = ((s + i - 1) / 2) as u32;
                match out.last_mut() {
                    Some(last) if centre - *last < MERGE_PX => *last = (*last + centre) / 2,
                    _ => out.push(centre),
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Ink per row, smoothed over ±`band` rows so a rule that drifts a pixel or two across
/// the page (residual skew) still adds up.
fn row_profile(ink: &InkMap, x0: u32, x1: u32, band: u32) -> Vec<u32> {
    let raw: Vec<u32> = (0..ink.height).map(|y| ink.count(x0, y, x1, y + 1)).collect();
    (0..raw.len())
        .map(|i| {
            let lo = i.saturating_sub(band as usize);
            let hi = (i + band as usize + 1).min(raw.len());
            *raw[lo..hi].iter().max().unwrap()
        })
        .collect()
}

fn col_profile(ink: &InkMap, y0: u32, y1: u32) -> Vec<u32> {
    let mut prof = vec![0u32; ink.width as usize];
    for y in y0..y1 {
        let row = &ink.data[(y * ink.width) as usize..][..ink.width as usize];
        for (p, &v) in prof.iter_mut().zip(row) {
            *p += v as u32;
        }
    }
    // A vertical rule 3 px wide: sum neighbours so a slightly slanted rule still counts.
    (0..prof.len())
        .map(|i| {
            let lo = i.saturating_sub(2);
            let hi = (i + 3).min(prof.len());
            prof[lo..hi].iter().copied().max().unwrap()
        })
        .collect()
}

/// The rows of the table's top and bottom rules, looked for across the whole page;
/// `None` when fewer than `least` rules run across it.
pub fn outer_rules(ink: &InkMap, least: usize) -> Option<(u32, u32)> {
    let w = ink.width;
    let rows = peaks(&row_profile(ink, 0, w, 1), (w as f32 * RULE_COVERAGE * 0.8) as u32);
    (rows.len() >= least.max(2)).then(|| (rows[0], *rows.last().expect("two rules")))
}

/// Finds the table's rules, or `None` when the page has no ruled table.
pub fn detect(ink: &InkMap) -> Option<Grid> {
    // A table has a header rule between its top and bottom ones.
    let (top, bottom) = outer_rules(ink, 3)?;
    let cols = peaks(
        &col_profile(ink, top, bottom),
        ((bottom - top) as f32 * RULE_COVERAGE) as u32,
    );
    if cols.len() < 3 {
        return None;
    }
    // The horizontal rules must span the columns: recheck coverage within the table.
    let (left, right) = (cols[0], *cols.last().unwrap());
    let rows = peaks(
        &row_profile(ink, left, right, 1),
        ((right - left) as f32 * RULE_COVERAGE) as u32,
    );
    (rows.len() >= 3).then_some(Grid { rows, cols })
}

impl Grid {
    /// The rules where they lie on the page before it was resized `scale` times.
    pub fn unscale(&mut self, scale: f32) {
        for at in self.rows.iter_mut().chain(&mut self.cols) {
            *at = (*at as f32 / scale).round() as u32;
        }
    }

    /// Number of body rows (the header row excluded).
    pub fn body_rows(&self) -> usize {
        self.rows.len().saturating_sub(2)
    }

    pub fn columns(&self) -> usize {
        self.cols.len() - 1
    }

    pub fn cells(&self) -> usize {
        self.body_rows() * self.columns()
    }

    /// Fewer body rows or columns than any ledger form has (the smallest seen: 序号,
    /// 姓名, 性别, 年龄, 日期 and a few rows): rules missed, rows or columns run together.
    pub fn too_small_for_a_ledger(&self) -> bool {
        self.body_rows() < 3 || self.columns() < 5
    }

    /// Whether most of the table's rules run on past its outer column on the left or the
    /// right (followed on `ink`, the ink it was found on, as they drift): the table goes
    /// on there in columns that were not found, and every row was read short of them.
    /// A photograph at a slant both ways left pages with their right-hand columns
    /// (address, family, phone) unfound, and their records, complete to look at, were
    /// accepted without them.
    pub fn rules_run_past_columns(&self, ink: &InkMap) -> bool {
        let (left, right) = (self.cols[0], *self.cols.last().expect("three columns"));
        let running_on = |edge: u32, step: i64| {
            self.rows
                .iter()
                .filter(|&&y| crate::keystone::follow_rule(ink, (edge, y), step).0.abs_diff(edge) >= RUN_ON_PX)
                .count()
        };
        let most = |n: usize| n * 2 > self.rows.len();
        most(running_on(right, 1)) || most(running_on(left, -1))
    }

    /// Whether most of the table's column rules run on below its last row rule: the
    /// table goes on there in rows that were not found, whose records would be missing
    /// without a word (photographed pages lost up to 23 rows of 6 pages so). Rules above
    /// the top one are a form's own (a title box) and are not asked about.
    pub fn rules_run_past_rows(&self, ink: &InkMap) -> bool {
        let bottom = *self.rows.last().expect("three rows");
        let running_on = |&x: &u32| crate::keystone::follow_border(ink, (x, bottom), 1).1 - bottom >= RUN_ON_PX;
        self.cols.iter().filter(|x| running_on(x)).count() * 2 > self.cols.len()
    }

    /// The inside of cell (`row`, `col`): row 0 is the header; rules are excluded.
    pub fn cell(&self, row: usize, col: usize) -> CellBox {
        const INSET: u32 = 7;
        let (y0, y1) = (self.rows[row] + INSET, self.rows[row + 1].saturating_sub(INSET));
        let (x0, x1) = (self.cols[col] + INSET, self.cols[col + 1].saturating_sub(INSET));
        CellBox {
            x: x0,
            y: y0,
            w: x1.saturating_sub(x0).max(1),
            h: y1.saturating_sub(y0).max(1),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn ink_with_rules(rows: &[u32], cols: &[u32], gaps: bool) -> InkMap {
        let (w, h) = (1200u32, 900u32);
        let mut data = vec![0u8; (w * h) as usize];
        for &y in rows {
            for x in cols[0]..=*cols.last().unwrap() {
                if gaps && (x / 50) % 6 == 0 {
                    continue;
                }
                for t in 0..3 {
                    data[((y + t) * w + x) as usize] = 1;
                }
            }
        }
        for &x in cols {
            for y in rows[0]..=*rows.last().unwrap() {
                for t in 0..3 {
                    data[(y * w + x + t) as usize] = 1;
                }
            }
        }
        InkMap {
            width: w,
            height: h,
            data,
        }
    }

    #[test]
    fn finds_rows_and_columns_even_with_broken_rules() {
        let rows = [100, 180, 240, 300, 360];
        let cols = [50, 300, 700, 1100];
        for gaps in [false, true] {
            let g = detect(&ink_with_rules(&rows, &cols, gaps)).expect("grid found");
            assert_eq!(g.rows.len(), rows.len(), "{g:?}");
            assert_eq!(g.cols.len(), cols.len(), "{g:?}");
            for (a, b) in g.rows.iter().zip(rows) {
                assert!(a.abs_diff(b) <= 2, "{g:?}");
            }
            assert_eq!(g.body_rows(), 3);
        }
    }

    /// The table's rules drawn on `by` pixels past its right-hand column, leaning down a
    /// pixel in every `lean` (as a photographed page's unsquared part does).
    fn rules_running_on(ink: &mut InkMap, rows: &[u32], from: u32, by: u32, lean: u32) {
        for &y in rows {
            for x in from..from + by {
                for t in 0..3 {
                    ink.data[((y + t + (x - from) / lean) * ink.width + x) as usize] = 1;
                }
            }
        }
    }

    /// Rules that run on past the last column found (two columns there had rules too
    /// leaning to be found) tell that the rows were read short; a border overshot by a
    /// hand's few pixels does not.
    #[test]
    fn rules_running_on_past_the_columns_are_told() {
        let rows = [100, 180, 240, 300, 360];
        let cols = [50, 300, 700];
        let mut ink = ink_with_rules(&rows, &cols, false);
        let grid = detect(&ink).expect("grid found");
        assert!(!grid.rules_run_past_columns(&ink), "{grid:?}");
        rules_running_on(&mut ink, &rows, 703, 20, 1000);
        assert!(!grid.rules_run_past_columns(&ink), "an overshot border");
        rules_running_on(&mut ink, &rows, 703, 400, 25);
        assert!(detect(&ink).is_some_and(|g| g.cols.len() == 3));
        assert!(grid.rules_run_past_columns(&ink));
    }

    /// Column rules that run on below the last row found (the rules of the rows there
    /// too faint or broken to be found) tell that rows were missed; a table's own end,
    /// or a border overshot by a few pixels, does not.
    #[test]
    fn column_rules_running_on_below_the_rows_are_told() {
        let rows = [100, 180, 240, 300, 360];
        let cols = [50, 300, 700, 1100];
        let mut ink = ink_with_rules(&rows, &cols, false);
        let grid = detect(&ink).expect("grid found");
        assert!(!grid.rules_run_past_rows(&ink), "{grid:?}");
        let run_down = |ink: &mut InkMap, by: u32| {
            for &x in &cols {
                for y in 363..363 + by {
                    for t in 0..3 {
                        ink.data[(y * ink.width + x + t) as usize] = 1;
                    }
                }
            }
        };
        run_down(&mut ink, 20);
        assert!(!grid.rules_run_past_rows(&ink), "an overshot border");
        run_down(&mut ink, 300);
        assert!(grid.rules_run_past_rows(&ink));
        assert!(!grid.rules_run_past_columns(&ink), "the columns are whole");
    }

    #[test]
    fn a_page_without_rules_has_no_grid() {
        let ink = InkMap {
            width: 500,
            height: 500,
            data: vec![0; 250_000],
        };
        assert!(detect(&ink).is_none());
    }

    /// The box round these pixels, (x, y) each.
    pub(crate) fn box_round(pixels: &[(u32, u32)]) -> CellBox {
        let (x0, x1) = (
            pixels.iter().map(|p| p.0).min().unwrap(),
            pixels.iter().map(|p| p.0).max().unwrap(),
        );
        let (y0, y1) = (
            pixels.iter().map(|p| p.1).min().unwrap(),
            pixels.iter().map(|p| p.1).max().unwrap(),
        );
        CellBox {
            x: x0,
            y: y0,
            w: x1 + 1 - x0,
            h: y1 + 1 - y0,
        }
    }

    /// A box of ink near a skewed scan's corner, found on the scan straightened and
    /// mapped back, covers that ink on the scan and little more: crops are cut from
    /// the page as scanned.
    #[test]
    fn boxes_on_a_straightened_page_map_back_to_the_skewed_scan() {
        use crate::preprocess::{clean, rotate_bilinear};
        let (w, h) = (1600u32, 1100u32);
        let mut page = image::GrayImage::from_pixel(w, h, image::Luma([240]));
        // Ruled lines, so the skew can be measured, and a block of writing far from the
        // centre, where a turn moves it most.
        for y in (100..1000).step_by(60) {
            for x in 100..1500 {
                page.put_pixel(x, y, image::Luma([20]));
                page.put_pixel(x, y + 1, image::Luma([20]));
            }
        }
        for y in 905..945 {
            for x in 1300..1450 {
                page.put_pixel(x, y, image::Luma([20]));
            }
        }
        for skew in [2.0f32, -3.0] {
            let scan = rotate_bilinear(&page, skew.to_radians(), 240);
            let clean = clean(&image::DynamicImage::ImageLuma8(scan.clone()));
            assert!((clean.skew_degrees - skew).abs() < 0.15, "{}", clean.skew_degrees);
            // The block on the straightened page, and its box mapped back to the scan.
            let block = |img: &image::GrayImage| {
                let dark: Vec<(u32, u32)> = img
                    .enumerate_pixels()
                    .filter(|(x, y, p)| {
                        p.0[0] < 128 && (1250..1500).contains(x) && (880..990).contains(y) && {
                            // Not a rule: dark beside it too, a few pixels above and below.
                            img.get_pixel(*x, y - 4).0[0] < 128 && img.get_pixel(*x, y + 4).0[0] < 128
                        }
                    })
                    .map(|(x, y, _)| (x, y))
                    .collect();
                box_round(&dark)
            };
            let found = block(&clean.grey).unskewed(clean.skew_degrees, w, h);
            let on_scan = block(&scan);
            let covers = found.x <= on_scan.x + 3
                && found.y <= on_scan.y + 3
                && found.x + found.w + 3 >= on_scan.x + on_scan.w
                && found.y + found.h + 3 >= on_scan.y + on_scan.h;
            assert!(covers, "skew {skew}: {found:?} does not cover {on_scan:?}");
            assert!(
                found.w <= on_scan.w + 12 && found.h <= on_scan.h + 12,
                "skew {skew}: {found:?} {on_scan:?}"
            );
        }
    }

    /// A box marked on a scan, found on the scan turned each way and mapped back, is the
    /// box it was: cell crops are cut from the page as scanned.
    #[test]
    fn boxes_on_a_turned_page_map_back_to_the_scan() {
        let (w, h) = (40u32, 30u32);
        let marked = CellBox {
            x: 5,
            y: 7,
            w: 12,
            h: 4,
        };
        let mut scan = image::GrayImage::from_pixel(w, h, image::Luma([255]));
        for y in marked.y..marked.y + marked.h {
            for x in marked.x..marked.x + marked.w {
                scan.put_pixel(x, y, image::Luma([0]));
            }
        }
        let scan = image::DynamicImage::ImageLuma8(scan);
        for quarter_turns in 0..4u8 {
            let read = crate::turned(&scan, quarter_turns).to_luma8();
            let dark: Vec<(u32, u32)> = read
                .enumerate_pixels()
                .filter(|p| p.2 .0[0] == 0)
                .map(|p| (p.0, p.1))
                .collect();
            let on_read = box_round(&dark);
            let (rw, rh) = read.dimensions();
            assert_eq!(
                on_read.as_scanned(quarter_turns, rw, rh),
                marked,
                "{quarter_turns} quarter turns"
            );
        }
    }

    #[test]
    fn a_box_on_an_enlarged_page_shrinks_to_cover_the_same_writing_on_the_scan() {
        let on_enlarged = CellBox {
            x: 100,
            y: 41,
            w: 50,
            h: 21,
        };
        // 41/2 = 20.5 and 62/2 = 31: widened to whole pixels, 20 to 31.
        assert_eq!(
            on_enlarged.unscaled(2.0, 500, 400),
            CellBox {
                x: 50,
                y: 20,
                w: 25,
                h: 11
            }
        );
        assert_eq!(on_enlarged.unscaled(1.0, 500, 400), on_enlarged);
        // Kept within the scan, however the enlarged page's edge was rounded.
        let at_edge = CellBox {
            x: 180,
            y: 0,
            w: 21,
            h: 10,
        };
        assert_eq!(
            at_edge.unscaled(2.0, 100, 50),
            CellBox {
                x: 90,
                y: 0,
                w: 10,
                h: 5
            }
        );
    }
}
