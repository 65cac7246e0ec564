//! A page's repeated words. The columns of few words (关系, 骨灰去向, 民族, 死亡地点, 墓地,
//! 死亡原因) write the same ones row after row, in the page's one hand or typeface: a cell
//! whose picture is that of a cell of its column Tesseract read earlier on the same page,
//! and read well, takes that reading, and Tesseract is not asked again.
//!
//! A picture is the cell's ink, from its bounding box, scaled to [`HEIGHT`] rows and as
//! many columns as its shape is wide; two are compared at the width of the one read
//! before, the best of nine alignments a square apart. The memo lives for one page, read
//! in a fixed order, like [`crate::glyphs`].
//!
//! Measured on eleven generated 12-page batches (3,011 cells of these columns with an
//! earlier one to compare with): the same word written again was a mean squared
//! difference of 0.0009 from it at the median, two different words 0.09 and more, but
//! Tesseract also read one picture two ways (胃癌 and 胃交 at 0.0003). Under
//! [`MAX_DISTANCE`], with every other word [`MIN_MARGIN`] times farther, and learning only
//! what [`worth_keeping`] allows, 1,621 cells would have taken an earlier reading: 31 of
//! them right where Tesseract's own reading was wrong, one wrong where it was right (a
//! cemetery read 卧龙公薰 once and 卧龙公墓 the next time).
//!
//! Once the page is read, a cell whose reading was not taken as read is looked at again
//! beside every picture of its column, those read after it too ([`WordMemo::settle`]):
//! a page's first 兄, read unsure, is then settled by a sure 兄 further down.

use crate::extract;
use crate::glyphs::{grid_difference_below, square_span, INK};

use image::GrayImage;
use ledgerline_schemas::Field;

/// Rows of a picture.
const HEIGHT: usize = 12;

/// Widest difference in shape (log of width over height) between two pictures compared.
const MAX_ASPECT_DIFFERENCE: f32 = 0.15;

/// Farthest a cell may be from the picture whose reading it takes.
const MAX_DISTANCE: f32 = 0.01;

/// How many times farther than that picture every picture of another word must be.
const MIN_MARGIN: f32 = 5.0;

/// Farthest a cell may be from a picture of the word Tesseract read it as, unsure, for
/// that picture to confirm the reading (see [`WordMemo::confirms`]): looser than
/// [`MAX_DISTANCE`], because here the picture does not read the cell alone, it agrees
/// with Tesseract.
const CONFIRM_DISTANCE: f32 = 0.03;

/// How many times farther than that picture every picture of another word must be.
const CONFIRM_MARGIN: f32 = 2.0;

/// What a column of few words has shown on this page so far.
#[derive(Debug, Default)]
pub struct WordMemo {
    seen: Vec<Seen>,
}

#[derive(Debug)]
struct Seen {
    field: Field,
    picture: Picture,
    text: String,
    confidence: f32,
}

/// The nearest picture of a cell's column, and how near the nearest of another word is.
#[derive(Debug)]
struct Nearest<'a> {
    seen: &'a Seen,
    distance: f32,
    other_word_distance: f32,
}

impl Nearest<'_> {
    /// Whether the nearest picture is within `max_distance` and every picture of another
    /// word `margin` times farther.
    fn is_clear(&self, max_distance: f32, margin: f32) -> bool {
        self.distance <= max_distance && self.other_word_distance >= margin * self.distance.max(1e-4)
    }
}

impl WordMemo {
    /// Whether a field's column is one of few words.
    pub fn keeps(field: Field) -> bool {
        matches!(
            field,
            Field::FamilyRelation
                | Field::AshesDisposition
                | Field::Ethnicity
                | Field::DeathPlace
                | Field::CemeteryName
                | Field::DeathCause
        )
    }

    /// The reading and confidence of the picture of its column a cell is, if it is one.
    pub fn recall(&self, field: Field, cell: &GrayImage) -> Option<(String, f32)> {
        let n = self.nearest(field, cell)?;
        n.is_clear(MAX_DISTANCE, MIN_MARGIN)
            .then(|| (n.seen.text.clone(), n.seen.confidence))
    }

    /// The confidence a cell's unsure reading `text` earns from a picture of that word:
    /// the one of the picture, when the cell's nearest picture is one of `text`'s word
    /// (as the field's values compare), within [`CONFIRM_DISTANCE`] and with every other
    /// word [`CONFIRM_MARGIN`] times farther. A stain or a speck that made Tesseract
    /// unsure of a 兄 moves the cell's picture off the sure 兄 of the page by 0.014 to
    /// 0.03, where the forward [`WordMemo::recall`] does not take it; and a picture as
    /// near as that of another word (肝癌 beside 肺癌 at 0.031) confirms nothing.
    fn confirms(&self, field: Field, cell: &GrayImage, text: &str) -> Option<f32> {
        let n = self.nearest(field, cell)?;
        let confirmed = extract::same_value(field, text, &n.seen.text) && n.is_clear(CONFIRM_DISTANCE, CONFIRM_MARGIN);
        confirmed.then_some(n.seen.confidence)
    }

    /// What a cell whose reading `text` was not taken as read (see
    /// [`WordMemo::taken_as_read`]) is, now that the memo holds more of its column: the
    /// word and confidence of the picture it is ([`WordMemo::recall`]), or its own
    /// reading as sure as a picture of that word near it ([`WordMemo::confirms`]).
    pub fn settle(&self, field: Field, cell: &GrayImage, text: &str) -> Option<(String, f32)> {
        self.recall(field, cell)
            .or_else(|| Some((text.to_string(), self.confirms(field, cell, text)?)))
    }

    /// Whether a cell's reading is taken as read, as the memo keeps readings (see
    /// [`worth_keeping`]): one that is not may yet be settled by a picture of its column.
    pub fn taken_as_read(field: Field, text: &str, confidence: f32) -> bool {
        worth_keeping(field, text, confidence)
    }

    /// The cell's nearest picture among those of its column seen so far.
    fn nearest(&self, field: Field, cell: &GrayImage) -> Option<Nearest<'_>> {
        let ink = InkBox::of(cell)?;
        let mut best: Option<&Seen> = None;
        let mut best_distance = f32::INFINITY;
        let mut distances = Vec::new();
        // The cell's picture at each width it is compared at, made once.
        let mut pictures: Vec<Picture> = Vec::new();
        for seen in self.seen.iter().filter(|s| s.field == field) {
            if (seen.picture.log_aspect - ink.log_aspect()).abs() > MAX_ASPECT_DIFFERENCE {
                continue;
            }
            let width = seen.picture.width;
            let picture = match pictures.iter().position(|p| p.width == width) {
                Some(i) => &pictures[i],
                None => {
                    pictures.push(Picture::of(cell, &ink, width));
                    &pictures[pictures.len() - 1]
                }
            };
            let d = picture.distance(&seen.picture);
            distances.push((d, seen.text.as_str()));
            if d < best_distance {
                best_distance = d;
                best = Some(seen);
            }
        }
        let best = best?;
        let other_word_distance = distances
            .iter()
            .filter(|(_, t)| *t != best.text)
            .map(|(d, _)| *d)
            .fold(f32::INFINITY, f32::min);
        Some(Nearest {
            seen: best,
            distance: best_distance,
            other_word_distance,
        })
    }

    /// Keeps a cell of `field` Tesseract read as `text`, if the reading is worth keeping.
    pub fn learn(&mut self, field: Field, cell: &GrayImage, text: &str, confidence: f32) {
        if !worth_keeping(field, text, confidence) {
            return;
        }
        let Some(ink) = InkBox::of(cell) else { return };
        let width = ((ink.w as f32 / ink.h as f32) * HEIGHT as f32).round().max(1.0) as usize;
        self.seen.push(Seen {
            field,
            picture: Picture::of(cell, &ink, width),
            text: text.to_string(),
            confidence,
        });
    }
}

/// Whether a reading may be taken again for cells that look the same: a sure one, and in
/// a column with a list of its words, one of them exactly (a reading the list corrects,
/// like 酒偶 for 配偶, was often the one misread); a 民族 one passing its check.
fn worth_keeping(field: Field, text: &str, confidence: f32) -> bool {
    confidence >= extract::REVIEW_THRESHOLD
        && match (extract::word_list(field), field) {
            (Some(words), _) => words.contains(&text),
            (None, Field::Ethnicity) => extract::validates(field, text),
            (None, _) => true,
        }
}

/// Where a cell's ink is.
struct InkBox {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

impl InkBox {
    fn of(cell: &GrayImage) -> Option<InkBox> {
        let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
        for (x, y, p) in cell.enumerate_pixels() {
            if p.0[0] < INK {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
        (x0 <= x1).then(|| InkBox {
            x: x0,
            y: y0,
            w: x1 - x0 + 1,
            h: y1 - y0 + 1,
        })
    }

    fn log_aspect(&self) -> f32 {
        (self.w as f32 / self.h as f32).ln()
    }
}

#[derive(Debug)]
struct Picture {
    width: usize,
    log_aspect: f32,
    /// Mean darkness (0 paper, 1 ink) of each square, row after row.
    grid: Vec<f32>,
}

impl Picture {
    fn of(cell: &GrayImage, ink: &InkBox, width: usize) -> Picture {
        let mut grid = vec![0f32; width * HEIGHT];
        for gy in 0..HEIGHT {
            let (sy0, sy1) = square_span(gy, HEIGHT, ink.h);
            for gx in 0..width {
                let (sx0, sx1) = square_span(gx, width, ink.w);
                let mut dark = 0u32;
                for y in ink.y + sy0..ink.y + sy1 {
                    for x in ink.x + sx0..ink.x + sx1 {
                        dark += 255 - u32::from(cell.get_pixel(x, y).0[0]);
                    }
                }
                grid[gy * width + gx] = dark as f32 / (255 * (sy1 - sy0) * (sx1 - sx0)) as f32;
            }
        }
        Picture {
            width,
            log_aspect: ink.log_aspect(),
            grid,
        }
    }

    /// Mean squared difference, the best of the nine alignments a square apart.
    fn distance(&self, other: &Picture) -> f32 {
        debug_assert_eq!(self.width, other.width);
        grid_difference_below(&self.grid, &other.grid, self.width, f32::INFINITY).unwrap_or(f32::INFINITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;
    use imageproc::drawing::draw_filled_rect_mut;
    use imageproc::rect::Rect;

    /// A cell 140 x 60 with dark strokes (x, y, w, h) on paper, shifted by `dx`.
    fn cell(strokes: &[(i32, i32, u32, u32)], dx: i32) -> GrayImage {
        let mut img = GrayImage::from_pixel(140, 60, Luma([250]));
        for &(x, y, w, h) in strokes {
            draw_filled_rect_mut(&mut img, Rect::at(x + dx, y).of_size(w, h), Luma([20]));
        }
        img
    }

    const SPOUSE: &[(i32, i32, u32, u32)] = &[
        (20, 12, 40, 5),
        (20, 12, 5, 36),
        (45, 30, 5, 18),
        (70, 12, 6, 36),
        (80, 25, 40, 5),
    ];
    const SON: &[(i32, i32, u32, u32)] = &[
        (20, 12, 5, 36),
        (35, 12, 25, 5),
        (70, 30, 50, 5),
        (92, 12, 6, 36),
        (20, 43, 100, 5),
    ];

    #[test]
    fn a_cell_written_like_an_earlier_one_of_its_column_takes_its_reading() {
        let mut memo = WordMemo::default();
        memo.learn(Field::FamilyRelation, &cell(SPOUSE, 0), "配偶", 0.91);
        memo.learn(Field::FamilyRelation, &cell(SON, 0), "儿子", 0.93);
        assert_eq!(
            memo.recall(Field::FamilyRelation, &cell(SPOUSE, 3)),
            Some(("配偶".to_string(), 0.91))
        );
        assert_eq!(
            memo.recall(Field::FamilyRelation, &cell(SON, -2)),
            Some(("儿子".to_string(), 0.93))
        );
        // Another column's cells are not compared with these.
        assert_eq!(memo.recall(Field::AshesDisposition, &cell(SPOUSE, 0)), None);
    }

    #[test]
    fn only_a_sure_reading_of_a_listed_word_is_kept() {
        let mut memo = WordMemo::default();
        memo.learn(Field::FamilyRelation, &cell(SPOUSE, 0), "酒偶", 0.95);
        memo.learn(Field::FamilyRelation, &cell(SON, 0), "儿子", 0.6);
        assert_eq!(memo.recall(Field::FamilyRelation, &cell(SPOUSE, 0)), None);
        assert_eq!(memo.recall(Field::FamilyRelation, &cell(SON, 0)), None);
    }

    /// A 配偶 with a stain over its first character: Tesseract was unsure of it.
    fn stained_spouse() -> GrayImage {
        let mut img = cell(SPOUSE, 0);
        draw_filled_rect_mut(&mut img, Rect::at(28, 20).of_size(12, 12), Luma([90]));
        img
    }

    #[test]
    fn a_stained_cell_is_no_picture_of_its_word_but_near_enough_to_confirm_its_reading() {
        let mut memo = WordMemo::default();
        memo.learn(Field::FamilyRelation, &cell(SPOUSE, 0), "配偶", 0.91);
        memo.learn(Field::FamilyRelation, &cell(SON, 0), "儿子", 0.93);
        let stained = stained_spouse();
        let n = memo
            .nearest(Field::FamilyRelation, &stained)
            .expect("pictures to compare");
        assert!(
            n.distance > MAX_DISTANCE && n.distance <= CONFIRM_DISTANCE,
            "the stain moves the picture by {}",
            n.distance
        );
        assert_eq!(memo.recall(Field::FamilyRelation, &stained), None);
        // Read as 配偶 (or as what the list corrects to it), the picture confirms it...
        assert_eq!(
            memo.settle(Field::FamilyRelation, &stained, "配偶"),
            Some(("配偶".to_string(), 0.91))
        );
        assert_eq!(
            memo.settle(Field::FamilyRelation, &stained, "「配偶"),
            Some(("「配偶".to_string(), 0.91))
        );
        // ...but not a reading of another word: near is not near enough to replace it.
        assert_eq!(memo.settle(Field::FamilyRelation, &stained, "儿子"), None);
        assert_eq!(memo.settle(Field::FamilyRelation, &stained, "兄"), None);
    }

    #[test]
    fn an_unsure_cell_that_is_a_picture_takes_its_reading_and_one_unlike_any_keeps_its_own() {
        let mut memo = WordMemo::default();
        memo.learn(Field::FamilyRelation, &cell(SPOUSE, 0), "配偶", 0.91);
        assert_eq!(
            memo.settle(Field::FamilyRelation, &cell(SPOUSE, 2), "酒偶"),
            Some(("配偶".to_string(), 0.91))
        );
        assert_eq!(memo.settle(Field::FamilyRelation, &cell(SON, 0), "儿子"), None);
    }

    #[test]
    fn a_picture_of_another_word_almost_as_near_confirms_nothing() {
        let mut memo = WordMemo::default();
        memo.learn(Field::FamilyRelation, &cell(SPOUSE, 0), "配偶", 0.91);
        // Another word written almost as the stained cell is: as the clean 配偶 with a
        // smaller stain elsewhere.
        let mut other = cell(SPOUSE, 0);
        draw_filled_rect_mut(&mut other, Rect::at(90, 35).of_size(8, 8), Luma([90]));
        memo.learn(Field::FamilyRelation, &other, "儿子", 0.93);
        let stained = stained_spouse();
        let n = memo
            .nearest(Field::FamilyRelation, &stained)
            .expect("pictures to compare");
        assert_eq!(n.seen.text, "配偶");
        assert!(
            n.other_word_distance < CONFIRM_MARGIN * n.distance,
            "儿子 at {} against 配偶 at {}",
            n.other_word_distance,
            n.distance
        );
        assert_eq!(memo.settle(Field::FamilyRelation, &stained, "配偶"), None);
    }

    #[test]
    fn a_word_not_seen_yet_is_left_to_tesseract() {
        let mut memo = WordMemo::default();
        memo.learn(Field::FamilyRelation, &cell(SPOUSE, 0), "配偶", 0.91);
        assert_eq!(memo.recall(Field::FamilyRelation, &cell(SON, 0)), None);
    }
}
