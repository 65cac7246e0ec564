//! Two-page spreads: a bound ledger is often scanned open, both its pages in one image.
//!
//! Read as one page, only the table found first was read: two generated pages side by
//! side gave 30 records of their 65, nearly all machine-accepted, and nothing said that
//! a page was missing; the same page twice, its rows level, went to keying whole.
//!
//! A scan whose table leaves a side as wide as another table, or that has no table, is
//! cut there (beside the table, or at the lightest band of its middle) and the side read
//! on its own: when it reads as a ledger upright, the scan's tables are both, left first,
//! the right-hand one's rows numbered on after the left's ([`PageContext::rows_before`]).
//!
//! [`PageContext::rows_before`]: crate::PageContext::rows_before

use anyhow::Result;
use image::DynamicImage;

use crate::grid::CellBox;
use crate::{read_page, read_page_or, reads_as_ledger, EngineConfig, PageProblem, PageReading};

/// Share of the scan's width a side beside its table must have to hold another.
const SIDE_FOR_A_TABLE: f32 = 0.35;
/// Where the gutter of a scan with no table is looked for: this share of the width
/// either side of the middle.
const GUTTER_REACH: f32 = 0.2;
/// Pixels left between a table's outer rule and the cut beside it.
const CUT_MARGIN: u32 = 8;

/// Reads a scan's ledger tables: one, or on a two-page spread two, left first. A scan
/// with no table is `Ok(Err(..))`, as for [`read_page`].
///
/// A table that goes on in rows that were not found ([`PageReading::rows_missed`]) is
/// returned as read, flagged so: its rows found are kept and the rows after them are
/// keyed by hand (see [`PageReading::rest_to_key`]). On a spread the right-hand page's
/// rows are numbered after the left-hand page's, so rows missed on either would leave
/// no numbers to key them under: such a scan is keyed whole, `Ok(Err(RowsMissed))`.
pub fn read_tables(
    image: &DynamicImage,
    config: &EngineConfig,
    dpi: u32,
) -> Result<std::result::Result<Vec<PageReading>, PageProblem>> {
    Ok(tables_of(image, config, dpi)?.and_then(|tables| {
        if tables.len() > 1 && tables.iter().any(|t| t.rows_missed) {
            let found = tables.iter().map(|t| t.grid.body_rows()).sum();
            return Err(PageProblem::RowsMissed { found });
        }
        Ok(tables)
    }))
}

/// The scan's tables: its own, and the other page's beside it on a spread; or, when the
/// scan as a whole shows none, the table of a small form lying within it.
fn tables_of(
    image: &DynamicImage,
    config: &EngineConfig,
    dpi: u32,
) -> Result<std::result::Result<Vec<PageReading>, PageProblem>> {
    // A small form on a large scan shows no table as the scan lies. Its region, when it
    // lies well within the scan, is read before the whole scan is tried turned each way
    // and cut at a gutter: on a black scanner bed (three pages 2.6 times a page's size)
    // those took 21 to 25 s of a page's 24 to 29, the region's reading 3.3.
    // The region still to read, once looked for: none when it was read early.
    let mut left_to_read = None;
    let whole = read_page_or(image, config, dpi, || {
        let found = crate::region::table_region(image, dpi);
        let (early, later) = match found {
            Some(r) if well_within(&r, image) => (Some(r), None),
            other => (None, other),
        };
        left_to_read = Some(later);
        early.map_or(Ok(None), |region| read_region_at(image, config, dpi, region))
    })?;
    if whole.as_ref().is_ok_and(|t| t.within_scan) {
        return Ok(whole.map(|t| vec![t]));
    }
    let w = image.width();
    let side = (w as f32 * SIDE_FOR_A_TABLE) as u32;
    match &whole {
        Ok(table) if table.quarter_turns == 0 => {
            let (Some(&left), Some(&right)) = (table.grid.cols.first(), table.grid.cols.last()) else {
                return Ok(whole.map(|t| vec![t]));
            };
            if w.saturating_sub(right) >= side {
                let cut = (right + CUT_MARGIN).min(w);
                if let Some(other) = read_side(image, config, dpi, cut, w)? {
                    return Ok(Ok(vec![table.clone(), other]));
                }
            } else if left >= side {
                let cut = left.saturating_sub(CUT_MARGIN);
                if let Some(other) = read_side(image, config, dpi, 0, cut)? {
                    return Ok(Ok(vec![other, table.clone()]));
                }
            }
        }
        // A table too small to be a ledger's may be a corner of one of a spread's two.
        Err(PageProblem::NoTable | PageProblem::TableTooSmall { .. }) => {
            let cut = gutter(image);
            if let Some(left) = read_side(image, config, dpi, 0, cut)? {
                if let Some(right) = read_side(image, config, dpi, cut, w)? {
                    return Ok(Ok(vec![left, right]));
                }
            }
            // Or a small form scanned on a large bed, unless read already (above).
            let region = left_to_read.unwrap_or_else(|| crate::region::table_region(image, dpi));
            if let Some(table) = region
                .map(|r| read_region_at(image, config, dpi, r))
                .transpose()?
                .flatten()
            {
                return Ok(Ok(vec![table]));
            }
        }
        // (A whole scan read is never short of rows yet: that is asked of its tables.)
        Ok(_) | Err(PageProblem::RowsMissed { .. }) => {}
    }
    Ok(whole.map(|t| vec![t]))
}

/// The columns `x0..x1` of the scan read as a page, when they hold a ledger table read
/// upright; its boxes on the whole scan.
fn read_side(image: &DynamicImage, config: &EngineConfig, dpi: u32, x0: u32, x1: u32) -> Result<Option<PageReading>> {
    if x1 <= x0 {
        return Ok(None);
    }
    let part = image.crop_imm(x0, 0, x1 - x0, image.height());
    if !crate::has_table(&part) {
        return Ok(None);
    }
    let Ok(table) = read_page(&part, config, dpi)? else {
        return Ok(None);
    };
    if table.quarter_turns != 0 || !reads_as_ledger(&table.roles) {
        return Ok(None);
    }
    Ok(Some(moved(table, x0, 0)))
}

/// Whether a table region is read before the scan is tried turned: shorter than the
/// scan by a fifth at least. The pages of a spread run the scan's height, and one of
/// them read alone so would leave the other unread; a spread is cut at its gutter first.
fn well_within(region: &CellBox, image: &DynamicImage) -> bool {
    region.h as f32 <= EARLY_REGION_HEIGHT * image.height() as f32
}

/// See [`well_within`].
const EARLY_REGION_HEIGHT: f32 = 0.8;

/// The scan's table found by its rules' lengths (see [`crate::region`]) where it lies
/// well within the scan (`region`), read on its own, when it reads as a ledger; its
/// boxes on the whole scan.
fn read_region_at(
    image: &DynamicImage,
    config: &EngineConfig,
    dpi: u32,
    region: CellBox,
) -> Result<Option<PageReading>> {
    let part = image.crop_imm(region.x, region.y, region.w, region.h);
    let Ok(table) = read_page(&part, config, dpi)? else {
        return Ok(None);
    };
    if !reads_as_ledger(&table.roles) {
        return Ok(None);
    }
    Ok(Some(PageReading {
        within_scan: true,
        ..moved(table, region.x, region.y)
    }))
}

/// `table`, read from a part of the scan `x0` across and `y0` down, with its boxes where
/// they lie on the whole scan, and its rules too when they lie along it (read upright).
fn moved(mut table: PageReading, x0: u32, y0: u32) -> PageReading {
    for c in &mut table.cells {
        (c.bbox.x, c.bbox.y) = (c.bbox.x + x0, c.bbox.y + y0);
    }
    if table.quarter_turns == 0 {
        table.grid.cols.iter_mut().for_each(|at| *at += x0);
        table.grid.rows.iter_mut().for_each(|at| *at += y0);
    }
    table
}

/// The lightest band of columns around the middle of the scan: where two pages meet
/// (the paper between their tables; a gutter's shadow is a band of its own, beside it).
fn gutter(image: &DynamicImage) -> u32 {
    let grey = image.to_luma8();
    let (w, h) = grey.dimensions();
    let reach = (w as f32 * GUTTER_REACH) as u32;
    let (from, to) = (w / 2 - reach.min(w / 2), (w / 2 + reach).min(w));
    let ink = |x: u32| -> u64 { (0..h).step_by(4).map(|y| 255 - grey.get_pixel(x, y).0[0] as u64).sum() };
    (from..to).min_by_key(|&x| ink(x)).unwrap_or(w / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_region_well_short_of_the_scan_is_read_before_turning() {
        let scan = DynamicImage::new_luma8(3000, 4000);
        // (region's height, read before the scan is tried turned)
        let cases = [
            // A small form on a large bed.
            (1700, true),
            (3200, true),
            // One page of a spread, or a page filling the scan: its height is the scan's.
            (3300, false),
            (3900, false),
        ];
        for (h, early) in cases {
            let region = CellBox {
                x: 100,
                y: 50,
                w: 1200,
                h,
            };
            assert_eq!(well_within(&region, &scan), early, "{h}");
        }
    }
}
