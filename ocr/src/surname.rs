//! The first character of a name read again on its own, from the common surnames.
//!
//! Most wrong names in generated batches were wrong at the surname (崔 read as 雕, 陈 as
//! 弥, 王 as 玑, 袁 as 裂): read in the whole line, the first character takes strokes of
//! its neighbours and the model is free to choose among thousands of characters. The
//! surname comes from a short list; cut out and read alone with only that list allowed,
//! by both models, it is read again, and a name that begins with no common surname takes
//! the one both models read there.

use anyhow::Result;
use image::GrayImage;

use crate::engine::{self, EngineConfig, ReadMode};
use crate::vocab;

/// A surname both models read at the start of a name cell, with how many characters
/// the cell's writing holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurnameRead {
    pub surname: char,
    pub written: usize,
}

impl SurnameRead {
    /// A reading of the cell with the surname put in: in place of a first character
    /// that is no common surname, or before the rest when the reading lost a character.
    /// A reading that already begins with a common surname, or whose length does not fit
    /// the writing, stands as read.
    pub fn apply(&self, text: &str) -> String {
        if text.is_empty() || vocab::is_common_name(text) {
            return text.to_string();
        }
        let n = text.chars().count();
        let rest: String = if n == self.written {
            text.chars().skip(1).collect()
        } else if n + 1 == self.written {
            text.to_string()
        } else {
            return text.to_string();
        };
        format!("{}{rest}", self.surname)
    }
}

/// Reads the first character of a name cell (as cut by [`crate::cell_image`]) with only
/// the common surnames allowed, by both models; `Some` when they read the same one.
pub fn read(config: &EngineConfig, cell: &GrayImage, dpi: u32) -> Result<Option<SurnameRead>> {
    let Some((first, written)) = first_character(cell) else {
        return Ok(None);
    };
    let one = engine::read(config, ReadMode::Surname, &first, dpi)?;
    let Some(other) = engine::second_opinion(config, ReadMode::Surname, &first, dpi)? else {
        return Ok(None);
    };
    let mut chars = one.text.chars();
    Ok(match (chars.next(), chars.next()) {
        (Some(c), None) if other.text == one.text && vocab::SURNAMES.contains(c) => {
            Some(SurnameRead { surname: c, written })
        }
        _ => None,
    })
}

/// Ink: darker than mid-grey in a cut cell, whose paper is white and ink black.
const INK: u8 = 128;
/// Paper left after the cut, as [`crate::cell_image`] leaves around a cell.
const MARGIN: u32 = crate::CELL_MARGIN;

/// The cell cut after its first character, and how many characters the writing holds
/// (square characters: the width of the writing over its height). `None` for writing
/// of one character or less.
fn first_character(cell: &GrayImage) -> Option<(GrayImage, usize)> {
    let (w, h) = cell.dimensions();
    let column_ink: Vec<bool> = (0..w)
        .map(|x| (0..h).any(|y| cell.get_pixel(x, y).0[0] < INK))
        .collect();
    let rows: Vec<u32> = (0..h)
        .filter(|&y| (0..w).any(|x| cell.get_pixel(x, y).0[0] < INK))
        .collect();
    let (&top, &bottom) = (rows.first()?, rows.last()?);
    let height = (bottom - top + 1) as f32;
    let left = column_ink.iter().position(|&i| i)? as u32;
    let right = column_ink.iter().rposition(|&i| i)? as u32;
    let width = (right - left + 1) as f32;
    let written = (width / (1.05 * height)).round() as usize;
    if written < 2 {
        return None;
    }
    // The gap between the first two characters nearest one character's width in; a
    // character with a gap of its own (川, 小) has it nearer its middle.
    let expected = left as f32 + height;
    let window = (left as f32 + 0.6 * height) as u32..(left as f32 + 1.2 * height).min(right as f32) as u32;
    let cut = window
        .filter(|&x| !column_ink[x as usize])
        .min_by_key(|&x| (x as f32 - expected).abs() as u32)
        .unwrap_or(expected as u32);
    let mut out = GrayImage::from_pixel(cut + MARGIN, h, image::Luma([255]));
    image::imageops::replace(
        &mut out,
        &image::imageops::crop_imm(cell, 0, 0, cut, h).to_image(),
        0,
        0,
    );
    Some((out, written))
}

#[cfg(test)]
mod tests {
    use super::*;
    use imageproc::drawing::draw_filled_rect_mut;
    use imageproc::rect::Rect;

    /// A cut cell with `n` square blots of writing 40 px high, 4 px apart.
    fn cell(n: i32) -> GrayImage {
        let mut img = GrayImage::from_pixel(24 + n as u32 * 44, 64, image::Luma([255]));
        for i in 0..n {
            draw_filled_rect_mut(&mut img, Rect::at(12 + i * 44, 12).of_size(40, 40), image::Luma([0]));
        }
        img
    }

    #[test]
    fn the_first_character_is_cut_at_the_gap_after_it() {
        let (first, written) = first_character(&cell(3)).expect("three characters");
        assert_eq!(written, 3);
        // The blot (12..52) and the start of the gap, then paper.
        assert!(
            (52..=56).contains(&(first.width() - MARGIN)),
            "cut at {}",
            first.width() - MARGIN
        );
        assert_eq!(first_character(&cell(2)).map(|(_, n)| n), Some(2));
        assert!(first_character(&cell(1)).is_none(), "one character is no name to cut");
    }

    #[test]
    fn the_surname_goes_where_the_reading_has_none() {
        let read = SurnameRead {
            surname: '崔',
            written: 3,
        };
        assert_eq!(read.apply("雕广树"), "崔广树");
        assert_eq!(read.apply("广树"), "崔广树", "a character lost");
        assert_eq!(read.apply("李广树"), "李广树", "a common surname stands");
        assert_eq!(read.apply("雕"), "雕", "too short for the writing");
        assert_eq!(read.apply(""), "");
    }
}
