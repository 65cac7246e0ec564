//! OCR: from a page image to cells with text and confidence, and from cells to records.
//!
//! `read_page` cleans the image, finds the ruled table, maps the header row to schema
//! fields and reads every body cell with the settings its column needs; `extract` turns
//! the readings into canonical records with per-field confidence and validation.

mod border;
mod certificates;
mod components;
pub mod confirmed_across_pages;
pub mod content;
pub mod contradicted_across_pages;
pub mod date_repair;
mod distance;
pub mod engine;
pub mod eval;
pub mod extract;
pub mod glyphs;
pub mod grave_zones;
pub mod grid;
pub mod headers;
pub mod id_across_pages;
pub mod keystone;
pub mod normalize;
pub mod patterns;
pub mod places;
pub mod preprocess;
mod region;
pub mod repairs;
pub mod repeats;
pub mod ring;
mod scale;
pub mod seal;
pub mod spread;
pub mod surname;
mod unicharset;
pub mod vocab;
pub mod words;

/// A record with nothing read yet, from row `row` of `page` in `batch`: what tests of the
/// batch-level rules fill in.
#[cfg(test)]
pub(crate) fn blank_record(batch: &str, page: &str, row: u32) -> ledgerline_schemas::Record {
    ledgerline_schemas::Record {
        record_id: format!("{batch}-{page}-{row}"),
        record_type: ledgerline_schemas::RecordType::Cremation,
        fields: Default::default(),
        person_id: None,
        source: ledgerline_schemas::Source {
            batch: batch.into(),
            page: page.into(),
            row,
        },
        confidence: Default::default(),
        review: Default::default(),
        extra_fields: Default::default(),
    }
}

use std::collections::HashMap;

use anyhow::Result;
use image::{DynamicImage, GrayImage};
use rayon::prelude::*;
use serde::Serialize;

pub use engine::{EngineConfig, ReadMode, Reading};
pub use extract::{extract, PageContext, REVIEW_THRESHOLD};
use glyphs::{GlyphBank, Proof};
use grid::{CellBox, Grid};
use headers::ColumnRole;
use ledgerline_schemas::Field;
use words::WordMemo;

/// One cell as read.
#[derive(Debug, Clone, Serialize)]
pub struct CellReading {
    pub row: usize,
    pub col: usize,
    pub bbox: CellBox,
    /// `None` when the cell is blank (no ink) or its writing could not be read.
    pub text: Option<String>,
    pub confidence: f32,
    /// The cell has ink: with no `text`, writing that could not be read.
    pub inked: bool,
}

/// What reading one cell gave.
struct CellText {
    text: Option<String>,
    confidence: f32,
    inked: bool,
}

impl CellText {
    fn at(self, row: usize, col: usize, bbox: CellBox) -> CellReading {
        CellReading {
            row,
            col,
            bbox,
            text: self.text,
            confidence: self.confidence,
            inked: self.inked,
        }
    }
}

/// A page as read: its table, the role of each column, and every cell.
#[derive(Debug, Clone, Serialize)]
pub struct PageReading {
    /// Quarter turns clockwise the scan was read turned by: 2 for a page scanned upside
    /// down, 1 or 3 for one scanned sideways; 0 upright.
    pub quarter_turns: u8,
    /// How many times the scan was resized to be read: 1 unless its writing was smaller
    /// (above 1: enlarged) or larger (below 1: reduced) than on a 300-dpi page (see
    /// [`scale`]). Cell boxes and the grid are in the scan's own pixels all the same.
    pub scale: f32,
    pub skew_degrees: f32,
    /// Whether the table was photographed at a slant and read squared (see [`keystone`]);
    /// cell boxes are on the page as it lies all the same. The grid is the squared one.
    pub squared: bool,
    /// Whether the table was found well within a larger scan by its rules (see
    /// [`region`]) and read cut from it: a small form scanned on a large bed. Cell boxes
    /// are on the whole scan all the same.
    pub within_scan: bool,
    /// The table's rules run on past its outer columns (see
    /// [`Grid::rules_run_past_columns`]): columns there were not found, and every record
    /// of the table goes to review.
    pub columns_missed: bool,
    /// The table's column rules run on below its last row (see
    /// [`Grid::rules_run_past_rows`]): rows there were not found.
    pub rows_missed: bool,
    pub grid: Grid,
    pub headers: Vec<String>,
    #[serde(skip)]
    pub roles: Vec<ColumnRole>,
    /// Header cells are row 0; body rows from 1.
    pub cells: Vec<CellReading>,
}

impl PageReading {
    /// What is left to key by hand on a page whose table goes on below the rows read
    /// (`rows_missed`): those rows are kept, and the page goes to keying for the rows after
    /// them, which a keyer numbers on from there. `None` when every row was found.
    pub fn rest_to_key(&self) -> Option<String> {
        let read = self.grid.body_rows();
        self.rows_missed.then(|| {
            format!(
                "the table goes on below the {read} rows read: rows 1-{read} are kept; key the rows after row {read} by hand"
            )
        })
    }
}

/// Why a page yielded no table, or none to read records from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageProblem {
    NoTable,
    /// The table's column rules run on below the `found` rows: rows were missed.
    RowsMissed {
        found: usize,
    },
    /// The only table found has fewer rows or columns than any ledger form (see
    /// [`Grid::too_small_for_a_ledger`]): it is a corner of the page's table, whose other
    /// rules were not found, and its records would be rows and fields short.
    TableTooSmall {
        rows: usize,
        columns: usize,
    },
}

impl std::error::Error for PageProblem {}

impl std::fmt::Display for PageProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageProblem::NoTable => write!(
                f,
                "no ruled table found on the page (handwritten or unruled pages need manual keying)"
            ),
            PageProblem::RowsMissed { found } => write!(
                f,
                "the table's column rules run on below the {found} rows found: rows were missed; key the page by hand"
            ),
            PageProblem::TableTooSmall { rows, columns } => write!(
                f,
                "the table found has only {columns} columns and {rows} rows, fewer than any ledger form: most of its rules were not found; key the page by hand"
            ),
        }
    }
}

/// Fewest ink pixels for a cell to count as written (speckles are smaller).
pub(crate) const MIN_CELL_INK: u32 = 60;

fn read_mode(role: ColumnRole) -> ReadMode {
    match role {
        ColumnRole::Field(Field::IdNumber | Field::FamilyPhone | Field::CremationCertNo) | ColumnRole::Serial => {
            ReadMode::Digits
        }
        ColumnRole::Field(Field::Gender) => ReadMode::ChineseChar,
        ColumnRole::Field(Field::Ethnicity) => ReadMode::Ethnicity,
        ColumnRole::Field(
            Field::DeceasedName
            | Field::FamilyName
            | Field::FamilyRelation
            | Field::CemeteryName
            | Field::AshesDisposition
            | Field::DeathPlace,
        ) => ReadMode::ChineseName,
        ColumnRole::Field(f) if f.is_date() || f == Field::Age => ReadMode::DateLine,
        _ => ReadMode::ChineseLine,
    }
}

/// The ink of one column (or row) of a cell: how many pixels, and from where to where.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct InkLine {
    pixels: u32,
    from: u32,
    to: u32,
}

impl InkLine {
    pub(crate) fn add(&mut self, at: u32) {
        if self.pixels == 0 {
            self.from = at;
        }
        self.pixels += 1;
        self.to = at;
    }

    /// Whether this line of a cell `across` pixels the other way is what is left of a
    /// ruled line: more than half ink, and running nearly from side to side. The first
    /// stroke of writing set close to the cell's edge is ink for half the cell's height
    /// too (the 阝 of 陈, left-aligned in a 60-pixel cell, 40 pixels of ink), but from
    /// the top of the writing to its foot only: taken for a rule, it was cut off, and 陈
    /// was read as 珑, 弦 or 院.
    fn is_rule(&self, across: u32) -> bool {
        let across = across as f32;
        self.pixels as f32 > 0.5 * across && (self.to - self.from + 1) as f32 >= RULE_REACH * across
    }
}

/// Share of a cell's height (or width) a line of ink along its edge runs for to be the
/// remains of a ruled line.
const RULE_REACH: f32 = 0.85;

/// The span of the writing along one axis of a cell: where the bulk of its ink lies,
/// widened over small gaps to take in the strokes at its edges (the dot of 文, the
/// tail of 9), but not out to specks of dust a gap away, nor to the remains of a ruled
/// line (an almost full line of ink within a few pixels of the cell's edge). A crop
/// out to a speck above the line left the text in a corner of mostly blank paper,
/// which Tesseract read in part or not at all (`371602193502032525` as `2525`).
pub(crate) fn ink_span(profile: &[InkLine], across: u32) -> Option<(u32, u32)> {
    const EDGE: usize = 14;
    /// Share of the ink cut off at each end before widening: dust, not writing.
    const TAIL: f64 = 0.03;
    let len = profile.len();
    let ink: Vec<u32> = profile
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let at_edge = i < EDGE || i + EDGE >= len;
            if at_edge && line.is_rule(across) {
                0
            } else {
                line.pixels
            }
        })
        .collect();
    let total: u64 = ink.iter().map(|&v| v as u64).sum();
    if total == 0 {
        return None;
    }
    let reach = |share: f64| -> usize {
        let wanted = (share * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0u64;
        ink.iter()
            .position(|&v| {
                seen += v as u64;
                seen >= wanted
            })
            .unwrap_or(len - 1)
    };
    let (mut first, mut last) = (reach(TAIL), reach(1.0 - TAIL));
    let gap = ((last - first) as f64 * 0.15).max(3.0) as usize;
    while let Some(i) = (first.saturating_sub(gap)..first).rev().find(|&i| ink[i] > 0) {
        first = i;
    }
    while let Some(i) = (last + 1..(last + 1 + gap).min(len)).find(|&i| ink[i] > 0) {
        last = i;
    }
    Some((first as u32, last as u32))
}

/// The rows of writing `span` holds, without an island of ink a clear gap above or
/// below the writing that holds little of the ink: dust under a date (42 pixels of two
/// specks, 17 rows below 1200 pixels of `2014-03-27`) is more than the share of ink
/// [`ink_span`] cuts from its ends, and a cut down to it was read as nothing, or `0207`.
/// A line of writing has no such gap across it: the dot of 文 or 六 is nearer its
/// character, the strokes of 二 each hold much of its ink, and so does a second line.
pub(crate) fn without_islands(rows: &[InkLine], (mut first, mut last): (u32, u32)) -> (u32, u32) {
    loop {
        let ink = |from: u32, to: u32| (from..=to).map(|y| rows[y as usize].pixels).sum::<u32>();
        let total = ink(first, last);
        let min_gap = ((last - first + 1) as f32 * ISLAND_GAP).max(MIN_ISLAND_GAP) as u32;
        // The widest run of empty rows inside the span, as (its first row, its length).
        let mut widest = (0, 0);
        let mut run_start = None;
        for y in first..=last {
            match (rows[y as usize].pixels == 0, run_start) {
                (true, None) => run_start = Some(y),
                (false, Some(start)) => {
                    if y - start > widest.1 {
                        widest = (start, y - start);
                    }
                    run_start = None;
                }
                _ => {}
            }
        }
        let (gap_start, gap) = widest;
        if gap < min_gap {
            return (first, last);
        }
        let (above, below) = (ink(first, gap_start - 1), ink(gap_start + gap, last));
        let small = |part: u32| (part as f32) < ISLAND_SHARE * total as f32;
        if small(below) && below <= above {
            last = gap_start - 1;
        } else if small(above) {
            first = gap_start + gap;
        } else {
            return (first, last);
        }
    }
}

/// An island of ink is at least this far from the rest (a share of the span's height,
/// and pixels), and holds less than this share of its ink.
const ISLAND_GAP: f32 = 0.25;
const MIN_ISLAND_GAP: f32 = 8.0;
const ISLAND_SHARE: f32 = 0.1;

/// Cuts a cell for OCR: tight around its ink (without rule remains), with a white
/// margin (Tesseract reads best with some paper around the text).
pub fn cell_image(grey: &GrayImage, ink: &preprocess::InkMap, b: CellBox, paper: PaperOf) -> GrayImage {
    let mut cols = vec![InkLine::default(); b.w as usize];
    let mut rows = vec![InkLine::default(); b.h as usize];
    let boxed = image::imageops::crop_imm(grey, b.x, b.y, b.w, b.h).to_image();
    let (darkest, cell_paper) = preprocess::ink_and_paper(&boxed);
    let faint = faint_ink_level(darkest, cell_paper);
    for y in 0..b.h {
        for x in 0..b.w {
            if ink.at(b.x + x, b.y + y) || boxed.get_pixel(x, y).0[0] < faint {
                cols[x as usize].add(y);
                rows[y as usize].add(x);
            }
        }
    }
    let rows_span = ink_span(&rows, b.w).map(|span| without_islands(&rows, span));
    let ((x0, x1), (y0, y1)) = match (ink_span(&cols, b.h), rows_span) {
        (Some(c), Some(r)) => (c, r),
        _ => ((0, b.w - 1), (0, b.h - 1)),
    };
    let pad = CELL_MARGIN;
    let (w, h) = (x1 - x0 + 1, y1 - y0 + 1);
    let mut out = GrayImage::from_pixel(w + 2 * pad, h + 2 * pad, image::Luma([255]));
    let src = image::imageops::crop_imm(&boxed, x0, y0, w, h).to_image();
    let stretched = match paper {
        PaperOf::Cut => preprocess::stretch_contrast(src),
        PaperOf::Cell => {
            let (ink, _) = preprocess::ink_and_paper(&src);
            preprocess::stretch_between(src, ink, cell_paper)
        }
    };
    image::imageops::replace(&mut out, &stretched, pad as i64, pad as i64);
    out
}

/// Where a cut cell's paper grey is measured, for its contrast to be stretched.
///
/// The cut, tight round the text, is half ink: its median (216 against the whole cell's
/// 231) stretched the strokes' soft edges to black. Chinese text reads better with the
/// whole cell's paper (deceased names up to +5 points on eleven 12-page batches, more
/// records machine-accepted); dates and digits worse (−0.3 to −1.2 points of dates on
/// four batches), so they keep the cut's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaperOf {
    Cut,
    Cell,
}

impl PaperOf {
    fn for_mode(mode: ReadMode) -> PaperOf {
        match mode {
            ReadMode::ChineseLine | ReadMode::ChineseName | ReadMode::ChineseChar | ReadMode::Ethnicity => {
                PaperOf::Cell
            }
            _ => PaperOf::Cut,
        }
    }
}

/// White paper left around a cell's writing when it is cut for OCR.
pub(crate) const CELL_MARGIN: u32 = 12;

/// Grey levels darker than this are writing in a cell, however faint: halfway from
/// its paper to its darkest ink (`ink_and_paper` of the cell). The page's ink map can
/// miss the thin strokes of faded writing (the left half of a pale 王 was cut off, and
/// read as `E`); the cell's own levels do not. 0 (nothing) for a cell with no contrast to speak of.
fn faint_ink_level(dark: u8, paper: u8) -> u8 {
    if paper.saturating_sub(dark) <= 30 {
        return 0;
    }
    ((dark as u16 + paper as u16) / 2) as u8
}

/// The cell cut for OCR (see [`cell_image`]), or `None` when it holds too little ink to
/// be written in. Cut once per cell: every read of it, by either model, takes this image.
fn cut_cell(page: &preprocess::CleanPage, b: CellBox, paper: PaperOf) -> Option<GrayImage> {
    let ink = page.cell_ink();
    (ink.count(b.x, b.y, b.x + b.w, b.y + b.h) >= MIN_CELL_INK).then(|| cell_image(&page.grey, ink, b, paper))
}

fn read_cell(config: &EngineConfig, img: Option<&GrayImage>, mode: ReadMode, dpi: u32) -> Result<CellText> {
    read_field_cell(config, img, mode, None, None, dpi)
}

/// Reads a cell; when the cell holds a field whose readings can be checked (a date, an
/// ID checksum, 男/女, a 民族 name) and the first reading fails the check, or reads
/// nothing from a cell with ink, the other model is asked and its reading taken if it
/// passes. Only failing cells pay for the second read.
///
/// A cell of digits or a date teaches the page's glyphs (`bank`, see [`glyphs`]) what
/// Tesseract's reading proves.
fn read_field_cell(
    config: &EngineConfig,
    img: Option<&GrayImage>,
    mode: ReadMode,
    field: Option<Field>,
    bank: Option<&mut GlyphBank>,
    dpi: u32,
) -> Result<CellText> {
    let Some(img) = img else {
        return Ok(CellText {
            text: None,
            confidence: 1.0,
            inked: false,
        });
    };
    let first = engine::read(config, mode, img, dpi)?;
    let passes = |r: &Reading| field.is_none_or(|f| extract::validates(f, &r.text));
    let first_passes = passes(&first);
    // An unsure reading the page's glyphs agree with needs no other model's (see
    // `GlyphBank::agrees_with`); asked before the reading teaches the bank anything.
    let glyphs_agree = first.confidence < extract::REVIEW_THRESHOLD
        && first_passes
        && bank.as_deref().is_some_and(|b| b.agrees_with(img, &first.text));
    if let Some(bank) = bank.filter(|_| first_passes) {
        teach(config, bank, mode, img, field, &first, dpi)?;
    }
    if glyphs_agree {
        return Ok(CellText {
            text: Some(first.text),
            confidence: AGREED,
            inked: true,
        });
    }
    if !first_passes {
        let second = match engine::second_opinion(config, mode, img, dpi)? {
            Some(second) if passes(&second) => {
                return Ok(CellText {
                    text: Some(second.text),
                    confidence: second.confidence,
                    inked: true,
                })
            }
            other => other,
        };
        let free: Vec<&str> = std::iter::once(&first)
            .chain(&second)
            .map(|r| r.text.as_str())
            .collect();
        let listed = match field {
            Some(f) => listed_reading(config, f, img, dpi, &free)?,
            None => None,
        };
        if let Some(Listed { reading, by_both }) = listed {
            return Ok(CellText {
                confidence: if by_both {
                    AGREED
                } else {
                    reading.confidence.min(DISAGREED)
                },
                text: Some(reading.text),
                inked: true,
            });
        }
        // Both models failed the check: a seal or a stain over the writing is the usual
        // cause, so the cell once more with only its darkest ink. A checksum-valid ID is
        // trusted as read; any other field goes to a person, unless the ID confirms it.
        let third = engine::read(config, mode, &dark_ink_only(img), dpi)?;
        if passes(&third) {
            let trusted = field == Some(Field::IdNumber);
            return Ok(CellText {
                confidence: if trusted {
                    third.confidence
                } else {
                    third.confidence.min(DISAGREED)
                },
                text: Some(third.text),
                inked: true,
            });
        }
    }
    Ok(CellText {
        text: (!first.text.is_empty()).then_some(first.text),
        confidence: first.confidence,
        inked: true,
    })
}

/// A cell written from a list (a relation, a cause of death, where the ashes went) that
/// no free reading read as a word of it, read once more by each model with only the
/// list's characters: the word either model makes of it, if it passes the field's
/// check and is as long as a free reading. Read so, a model drops the characters it
/// cannot place among the list's (女婿 came back as 女, 兄 as nothing), and the free
/// readings say how many there are. Measured on three generated batches: the fuller
/// model read 女媚 as 女婿, the small one 茂, 弧 and 筑 as 弟.
///
/// Both models reading the same word so is agreement, as two free readings alike are:
/// on ten generated batches (seeds 58-67, 2,406 rows) the 20 relations and the cause of
/// death trusted by it were all right (兄 and 弟 most of them, which a free reading
/// rarely reads as a word), and records the machine accepted went 1,932 → 1,949. It is
/// asked also of a cell whose two free readings differ (see [`corroborate`]). The small
/// model's constrained word that is the fuller model's free reading agrees too: 9 more
/// relations and a cause of death, all right (one of them wrong before), 1,965 → 1,975.
fn listed_reading(
    config: &EngineConfig,
    field: Field,
    img: &GrayImage,
    dpi: u32,
    free: &[&str],
) -> Result<Option<Listed>> {
    let Some(mode) = extract::listed_mode(field) else {
        return Ok(None);
    };
    let fits = |r: &Reading| extract::fits_its_list(field, &r.text, free);
    let first = engine::read(config, mode, img, dpi)?;
    let second = engine::second_opinion(config, mode, img, dpi)?.filter(|r| fits(r));
    if fits(&first) {
        let other = second.as_ref().map(|r| r.text.as_str());
        return Ok(Some(Listed::confirmed(first, other)));
    }
    if let Some(second) = second {
        // Confirmed by the first model's free reading (`free[0]`): the fuller model
        // constrained drops a 弟 it read freely, which the small one reads constrained.
        return Ok(Some(Listed::confirmed(second, free.first().copied())));
    }
    // One character, which the constrained line reads above dropped (兄 read freely as
    // 门, 见 or 口, constrained as nothing): decided among the one-character relations,
    // as 性别 is between 男 and 女. Measured on six generated batches: relations 531 →
    // 542 of 569 right, none made wrong; the wrong decisions seen (茂 → 妻, 弧 → 嫂) came
    // at 0.04 and 0.10, the right ones at 0.28 to 0.89.
    if field == Field::FamilyRelation && free.iter().all(|f| extract::written_length(f) == 1) {
        let one = engine::read(config, ReadMode::OneCharacterRelation, img, dpi)?;
        if one.confidence >= SURE_ENOUGH_OF_ONE_CHARACTER && fits(&one) {
            let other = engine::second_opinion(config, ReadMode::OneCharacterRelation, img, dpi)?;
            return Ok(Some(Listed::confirmed(one, other.as_ref().map(|r| r.text.as_str()))));
        }
    }
    Ok(None)
}

/// The word of its list a cell was read as with only the list's characters.
struct Listed {
    reading: Reading,
    /// Whether the other model read the same word (constrained alike, or free).
    by_both: bool,
}

impl Listed {
    /// `reading`, and the other model's reading of the cell, if any.
    fn confirmed(reading: Reading, other: Option<&str>) -> Listed {
        let by_both = other.is_some_and(|o| o == reading.text);
        Listed { reading, by_both }
    }
}

/// Confidence below which a one-character relation decided among the listed ones is
/// not taken (see [`listed_reading`]).
const SURE_ENOUGH_OF_ONE_CHARACTER: f32 = 0.2;

/// Of two readings of a name cell the models disagree on, `other` when it, and not
/// `read`, is plainly a name (a common surname, a given name written from common name
/// characters: [`is_plainly_a_name`]), as long as `read`:
/// the fuller model reads 莲 as 莹, 娟 as 婵, 菊 as 菅 where the small one reads them
/// right. Measured on eleven generated batches (both models' readings of every name
/// they disagreed on): names right 4,988 → 5,030 of 5,163, 45 readings replaced.
fn likelier_name(read: &str, other: &str) -> Option<String> {
    let likelier =
        !is_plainly_a_name(read) && is_plainly_a_name(other) && other.chars().count() == read.chars().count();
    likelier.then(|| other.to_string())
}

/// A cell read from the page's own glyphs, when every character is clear and the
/// reading passes its field's check (an ID number may have one character settled by its
/// checksum). Cells of no checkable field (serials, phones) have only the clarity.
fn bank_reading(bank: &GlyphBank, img: &GrayImage, field: Option<Field>) -> Option<String> {
    let text = match field {
        Some(Field::IdNumber) => bank.read_id_number(img),
        _ => bank.read(img),
    }?;
    field.is_none_or(|f| extract::validates(f, &text)).then_some(text)
}

/// What Tesseract's reading of a cell, which passed its field's check, teaches the
/// page's glyphs (see [`glyphs`]). Its
/// numerals only when proven: by an ID number's checksum, or, for a date or an age that
/// holds numerals the page has not yet shown twice, by the other model reading the cell
/// the same; both only from a sure reading. Its other characters (年, 月, 日, 岁, a
/// dash) from any reading that passes its field's check, sure or not, when the bank
/// reads its numerals the same: Tesseract was unsure of most ages for their 岁 alone,
/// and a phone or a certificate number is where a page shows its dash.
///
/// A cell that does not cut into its reading's characters teaches nothing, so the other
/// model is not asked to prove it: dates in Chinese numerals read without their 〇
/// (二一三年…, which still parse) were proven again and again, and never learnt from.
/// `bench ocr` seed 2718: dates read by the fuller model 197 → 152; records exported
/// byte-identical on seeds 2718 and 6060 (the bank learns the same either way).
fn teach(
    config: &EngineConfig,
    bank: &mut GlyphBank,
    mode: ReadMode,
    img: &GrayImage,
    field: Option<Field>,
    first: &Reading,
    dpi: u32,
) -> Result<()> {
    let Some(cut) = glyphs::Cut::of(img, &first.text) else {
        return Ok(());
    };
    let sure = first.confidence >= extract::REVIEW_THRESHOLD;
    let proof = match field {
        Some(Field::IdNumber) if sure => Proof::Checksum,
        Some(_) if sure && bank.wants_proof_of(&first.text) => match engine::second_opinion(config, mode, img, dpi)? {
            Some(other) if other.text == first.text => Proof::BothModels,
            _ => Proof::None,
        },
        _ => Proof::None,
    };
    bank.learn_cut(cut, proof);
    Ok(())
}

/// What reading a cell of a page's body needs and never changes: shared by the workers
/// that read its cells.
#[derive(Clone, Copy)]
struct Sheet<'a> {
    config: &'a EngineConfig,
    page: &'a preprocess::CleanPage,
    grid: &'a Grid,
    dpi: u32,
}

impl Sheet<'_> {
    /// Reads a cell that [`reads_alone`]: from the cell itself, by the models, whatever
    /// else of the page has been read.
    fn read_alone(self, row: usize, col: usize, role: ColumnRole) -> Result<CellReading> {
        let b = self.grid.cell(row, col);
        let mode = read_mode(role);
        let img = cut_cell(self.page, b, PaperOf::for_mode(mode));
        let mut read = read_field_cell(self.config, img.as_ref(), mode, checked_field(role), None, self.dpi)?;
        if let (ColumnRole::Field(field), Some(img)) = (role, &img) {
            self.confirm(field, img, &mut read)?;
        }
        Ok(read.at(row, col, b))
    }

    /// What every reading of a field's cell goes through once read: a written name or
    /// address read as nothing is read again (see [`read_blank_again`]); any other
    /// reading gets a name's surname read alone and other models' readings (see
    /// [`corroborate`]); either way an address's county tie is settled.
    fn confirm(self, field: Field, img: &GrayImage, read: &mut CellText) -> Result<()> {
        let (config, dpi) = (self.config, self.dpi);
        if read.text.is_none() && read.inked && reads_again_when_blank(field) {
            read_blank_again(config, img, field, dpi, read)?;
        } else {
            let surname = match &read.text {
                Some(t) if is_person_name(field) && !vocab::is_common_name(t) => surname::read(config, img, dpi)?,
                _ => None,
            };
            if let (Some(s), Some(t)) = (surname, &mut read.text) {
                *t = s.apply(t);
            }
            corroborate(config, img, field, dpi, surname, read)?;
        }
        if field == Field::HouseholdAddress {
            settle_tied_division(config, img, dpi, read)?;
        }
        Ok(())
    }
}

/// Whether a written cell of this field the first model read as nothing is read again
/// (see [`read_blank_again`]): names and addresses, which the fuller model sometimes reads
/// as nothing at all. Not an ID number, a date or a code: what is written there beside
/// a value (a dash, a seal, 不详) is for a person to tell.
fn reads_again_when_blank(field: Field) -> bool {
    is_person_name(field) || field == Field::HouseholdAddress
}

/// A written name or address cell the first model read as nothing, read again by both
/// models as one raw line (see [`engine::read_as_raw_line`]): the two alike are trusted as
/// a casting vote's are (see [`cast_vote`], [`confirms_address`]); else the likelier
/// reading goes to review, for a person to confirm instead of keying it. Both models,
/// and the first on the cell in black and white, read nothing of 梁华 as a line; on ten
/// generated batches (seeds 58-67), 22 names and 2 addresses went to review blank so.
fn read_blank_again(config: &EngineConfig, img: &GrayImage, field: Field, dpi: u32, read: &mut CellText) -> Result<()> {
    let mode = read_mode(ColumnRole::Field(field));
    let mut readings = raw_line_texts(config, mode, img, dpi)?.into_iter();
    let first = readings.next().unwrap_or_default();
    let other = readings.next().unwrap_or_default();
    if let Some((text, trusted)) = blank_verdict(field, first, other) {
        read.text = Some(text);
        read.confidence = if trusted { AGREED } else { DISAGREED };
    }
    Ok(())
}

/// What the two raw-line readings of a cell read as nothing make of it (see
/// [`read_blank_again`]): the reading kept and whether it is trusted.
fn blank_verdict(field: Field, first: String, other: String) -> Option<(String, bool)> {
    let (agreed, trusted) = if is_person_name(field) {
        let vote = cast_vote(field, "", &[first.clone(), other.clone()]);
        (vote.text, vote.trusted)
    } else {
        let confirmed = confirms_address(&first, &other);
        (confirmed.then(|| first.clone()), confirmed)
    };
    let likelier = || likelier_name(&first, &other).filter(|_| is_person_name(field));
    let kept = agreed
        .or_else(likelier)
        .or_else(|| [first, other].into_iter().find(|t| !t.is_empty()))?;
    Some((kept, trusted))
}

/// A field whose reading a cell's value can be checked by.
fn checked_field(role: ColumnRole) -> Option<Field> {
    match role {
        ColumnRole::Field(f) if extract::checkable(f) => Some(f),
        _ => None,
    }
}

/// Whether a cell of this column is read from itself alone, so that it may be read
/// beside the page's other cells, in any order: it neither uses nor teaches the page's
/// glyphs, its column's words or the sex its row's ID number proves. Names and
/// addresses are, and they are two fifths of a page's reading time: a worker left
/// without a page of its own reads the last page's beside the worker reading its other
/// cells, instead of waiting for it.
fn reads_alone(role: ColumnRole) -> bool {
    let mode = read_mode(role);
    let page_taught = match role {
        ColumnRole::Field(f) => WordMemo::keeps(f) || matches!(f, Field::Gender | Field::IdNumber),
        _ => false,
    };
    !reads_from_glyphs(mode) && !teaches_glyphs(mode) && !page_taught
}

/// The body cells of one page's table, read in order (row by row, left to right), with
/// what the page has shown of its glyphs, its columns' words and its rows' sexes so far;
/// the cells that [`reads_alone`] go straight to the [`Sheet`].
struct BodyReader<'a> {
    sheet: Sheet<'a>,
    bank: GlyphBank,
    sex: SexProof,
    words: WordMemo,
}

/// A row's ID number proves its 性别 cell: the sex its 17th digit gives. ID numbers are
/// read before the other columns (see [`reading_order`]), but a column recognized only
/// by its cells is read again later, so either may come first: the first waits for the
/// other.
#[derive(Default)]
struct SexProof {
    /// 男 or 女 by row, from the row's ID number that passed its checksum.
    by_id: HashMap<usize, char>,
    /// A row's 性别 cell as Tesseract read it, not yet proven.
    waiting: HashMap<usize, (GrayImage, char)>,
}

impl<'a> BodyReader<'a> {
    fn new(sheet: Sheet<'a>) -> BodyReader<'a> {
        BodyReader {
            sheet,
            bank: GlyphBank::default(),
            sex: SexProof::default(),
            words: WordMemo::default(),
        }
    }

    fn read(&mut self, row: usize, col: usize, role: ColumnRole) -> Result<CellReading> {
        if reads_alone(role) {
            return self.sheet.read_alone(row, col, role);
        }
        let Sheet {
            config,
            page,
            grid,
            dpi,
        } = self.sheet;
        let b = grid.cell(row, col);
        let checked = checked_field(role);
        let mode = read_mode(role);
        let img = cut_cell(page, b, PaperOf::for_mode(mode));
        let from_glyphs = match &img {
            Some(img) if reads_from_glyphs(mode) => bank_reading(&self.bank, img, checked),
            _ => None,
        };
        let glyphs_read = from_glyphs.is_some();
        let few_words = match role {
            ColumnRole::Field(f) if WordMemo::keeps(f) => Some(f),
            _ => None,
        };
        let remembered = match (few_words, &img) {
            (Some(f), Some(img)) => self.words.recall(f, img),
            _ => None,
        };
        let recalled = remembered.is_some();
        let mut read = match (from_glyphs, remembered) {
            (Some(text), _) => CellText {
                text: Some(text),
                confidence: BANK_CONFIDENCE,
                inked: true,
            },
            (None, Some((text, confidence))) => CellText {
                text: Some(text),
                confidence,
                inked: true,
            },
            (None, None) => {
                let bank = teaches_glyphs(mode).then_some(&mut self.bank);
                read_field_cell(config, img.as_ref(), mode, checked, bank, dpi)?
            }
        };
        if let (ColumnRole::Field(field), Some(img)) = (role, &img) {
            self.sheet.confirm(field, img, &mut read)?;
            if !glyphs_read && self.doubted_by_glyphs(field, mode, img, &read) {
                read.confidence = read.confidence.min(DISAGREED);
            }
            self.prove_sex(row, field, img, read.text.as_deref(), glyphs_read);
        }
        if let (Some(f), Some(img), Some(text), false) = (few_words, &img, &read.text, recalled) {
            self.words.learn(f, img, text, read.confidence);
        }
        Ok(read.at(row, col, b))
    }

    /// Whether the page's glyphs doubt a sure reading Tesseract (one model or both) made
    /// of a cell of digits or a date (see [`GlyphBank::doubts`]): a phone, a certificate
    /// number, an age, a date. An ID number is left to its checksum.
    fn doubted_by_glyphs(&self, field: Field, mode: ReadMode, img: &GrayImage, read: &CellText) -> bool {
        let sure = read.confidence >= extract::REVIEW_THRESHOLD;
        sure && teaches_glyphs(mode)
            && field != Field::IdNumber
            && read.text.as_deref().is_some_and(|t| self.bank.doubts(img, t))
    }

    /// Cells of the columns of few words not taken as read (unsure, or no word of their
    /// list), looked at again once the page is read, beside every picture of their
    /// column the page read well, after them as well as before: a cell that is a picture
    /// takes its reading, and one near a picture of the word it was read as is as sure as
    /// that picture (see [`WordMemo::settle`]). Read in order, a page's first 女婿 or 兄
    /// has no earlier picture to be recalled from.
    ///
    /// Measured on eight generated batches (seeds 58-65, 1,932 rows): 26 fields of
    /// records sure now that were not (relations 22, 民族 3, a cause of death), all
    /// right, one of them right only now (刑女 recalled as 孙女); records the machine
    /// accepted 1,522 → 1,541, with no more wrong fields among them.
    fn settle_words_by_the_whole_page(&self, cells: &mut [CellReading], roles: &[ColumnRole]) {
        for c in cells {
            let role = roles[c.col];
            let ColumnRole::Field(field) = role else { continue };
            let text = c.text.as_deref().unwrap_or_default();
            if !WordMemo::keeps(field) || !c.inked || WordMemo::taken_as_read(field, text, c.confidence) {
                continue;
            }
            let Some(img) = cut_cell(
                self.sheet.page,
                self.sheet.grid.cell(c.row, c.col),
                PaperOf::for_mode(read_mode(role)),
            ) else {
                continue;
            };
            if let Some((settled, confidence)) = self.words.settle(field, &img, text) {
                (c.text, c.confidence) = (Some(settled), confidence);
            }
        }
    }

    /// Teaches the bank a 性别 cell Tesseract read, once its row's ID number agrees.
    fn prove_sex(&mut self, row: usize, field: Field, img: &GrayImage, text: Option<&str>, glyphs_read: bool) {
        let proven = match field {
            Field::Gender if !glyphs_read => text
                .and_then(sex_written)
                .and_then(|read| self.sex.written(row, img, read)),
            Field::IdNumber => text.and_then(sex_of_id).and_then(|by_id| self.sex.by_id(row, by_id)),
            _ => None,
        };
        if let Some((img, sex)) = proven {
            self.bank.learn(&img, &sex.to_string(), Proof::Checksum);
        }
    }
}

impl SexProof {
    /// Row `row`'s 性别 cell `img` read as `read`: the cell proven, when its ID number,
    /// read before it, gives the same sex.
    fn written(&mut self, row: usize, img: &GrayImage, read: char) -> Option<(GrayImage, char)> {
        match self.by_id.get(&row) {
            Some(&by_id) => (by_id == read).then(|| (img.clone(), read)),
            None => {
                self.waiting.insert(row, (img.clone(), read));
                None
            }
        }
    }

    /// Row `row`'s ID number gives `by_id`: its 性别 cell proven, when read before it as
    /// the same sex.
    fn by_id(&mut self, row: usize, by_id: char) -> Option<(GrayImage, char)> {
        self.by_id.insert(row, by_id);
        self.waiting.remove(&row).filter(|(_, read)| *read == by_id)
    }
}

/// The order a page's body cells are read in, as (row, column), rows counted from 1:
/// the ID numbers first, down their column, then every other cell row by row, left to
/// right. An ID number that passes its checksum proves every digit it holds (see
/// [`glyphs`]), so a page's dates, ages and phones read after its ID numbers find the
/// page's digits already shown; read row by row, the dates of the first rows came before
/// any ID and went to Tesseract, which read them with the larger Chinese model.
fn reading_order(roles: &[ColumnRole], body_rows: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    let proves_digits = |col: &usize| roles[*col] == ColumnRole::Field(Field::IdNumber);
    let ids = (0..roles.len())
        .filter(proves_digits)
        .flat_map(move |col| (1..=body_rows).map(move |row| (row, col)));
    let others = (1..=body_rows).flat_map(move |row| {
        (0..roles.len())
            .filter(move |col| !proves_digits(col))
            .map(move |col| (row, col))
    });
    ids.chain(others)
}

/// Cells read from the page's glyphs first: digits, dates and ages, 性别.
fn reads_from_glyphs(mode: ReadMode) -> bool {
    matches!(mode, ReadMode::Digits | ReadMode::DateLine | ReadMode::ChineseChar)
}

/// Cells whose Tesseract readings teach the glyphs (性别 is taught by its row's ID).
fn teaches_glyphs(mode: ReadMode) -> bool {
    matches!(mode, ReadMode::Digits | ReadMode::DateLine)
}

/// 男 or 女, when that is all a 性别 reading says.
fn sex_written(text: &str) -> Option<char> {
    match text.trim() {
        "男" => Some('男'),
        "女" => Some('女'),
        _ => None,
    }
}

/// 男 or 女 by an ID number that passes its checksum.
fn sex_of_id(text: &str) -> Option<char> {
    let facts = ledgerline_schemas::id_number::parse(&normalize::canonical_id(text)).ok()?;
    Some(if facts.gender == "1" { '男' } else { '女' })
}

/// Two models that read the same cell make different mistakes, so the same value from
/// both is evidence Tesseract's own confidence is not.
///
/// - A name has no checksum, and Tesseract's confidence was no guide to it (on a
///   generated batch, 28 of 317 names it was sure of were wrong): it is read by the
///   other model too; the same value from both is trusted, a different one goes to
///   review (then none of the names it was sure of were wrong). Except a name read at
///   [`SURE_NAME`] or more whose every character is common in names (see
///   [`is_plainly_a_name`]): on eleven generated 12-page batches (5,220 name cells),
///   none of the 3,307 such readings was wrong, and 63 % of names need no second read.
/// - Any other field Tesseract was unsure of is asked of the other model, and trusted
///   when both give the same value (most such readings were right: all 22 burial dates,
///   11 of 11 phones, 28 of 33 death dates). Addresses are compared as the division
///   table repairs them. They were read twice always, like names, until the division
///   table and the house number's 号 checked them instead (five generated batches of
///   12 pages: the same fields right, records the machine accepted 45–55 % → 47–58 %
///   at 99.6–99.9 % right, a tenth less OCR time).
///
/// Measured on three generated batches of 8 pages: records the machine accepted went
/// from 7–23 % of rows (their fields 95–98 % right) to 43–47 % (99.7–100 % right).
///
/// A name's surname read alone (see [`crate::surname`]) goes into every reading of it
/// that lacks one, so that two readings that differ only there agree.
fn corroborate(
    config: &EngineConfig,
    img: &GrayImage,
    field: Field,
    dpi: u32,
    surname: Option<surname::SurnameRead>,
    read: &mut CellText,
) -> Result<()> {
    let with_surname = |text: &str| surname.map_or_else(|| text.to_string(), |s| s.apply(text));
    let Some(text) = &read.text else { return Ok(()) };
    let always = is_person_name(field);
    let sure = if always { SURE_NAME } else { extract::REVIEW_THRESHOLD };
    if read.confidence >= sure && (!always || is_plainly_a_name(text)) {
        return Ok(());
    }
    let mode = read_mode(ColumnRole::Field(field));
    let Some(other) = engine::second_opinion(config, mode, img, dpi)? else {
        return Ok(());
    };
    let unsure_address = (field == Field::HouseholdAddress).then(|| text.clone());
    if extract::same_value(field, text, &with_surname(&other.text)) {
        read.confidence = read.confidence.max(other.confidence).max(AGREED);
        if field == Field::HouseholdAddress {
            if let Some(cleaner) = cleaner_address(text, &other.text) {
                read.text = Some(cleaner);
            }
        }
    } else if always {
        // A casting vote (see [`cast_vote`]): the first model again, on the cell in black
        // and white, a different picture of it. (The small model as the casting vote had
        // taken records accepted from 43–47 % to 46–52 %; the fuller one without the
        // given-name check reached 63–70 % but at 99.2 % right.)
        let in_black_and_white = casting_picture(img);
        let third = engine::read(config, mode, &in_black_and_white, dpi)?;
        // A model that read nothing casts no vote (nor does the surname read alone).
        let heard = |reading: &Reading| {
            if reading.text.is_empty() {
                String::new()
            } else {
                with_surname(&reading.text)
            }
        };
        let others = [heard(&other), heard(&third)];
        let mut vote = cast_vote(field, text, &others);
        if !vote.decided {
            // No two of three alike: the other model on the black-and-white picture.
            if let Some(fourth) = engine::second_opinion(config, mode, &in_black_and_white, dpi)? {
                vote = cast_fourth_vote(field, text, &others[1], heard(&fourth)).unwrap_or(vote);
            }
        }
        if !vote.decided {
            // Still none: both models on the cell as one raw line (see [`raw_line_vote`]).
            let raw: Vec<String> = engine::read_as_raw_line(config, mode, img, dpi)?
                .iter()
                .map(heard)
                .collect();
            vote = raw_line_vote(field, text, &others[0], &raw).unwrap_or(vote);
            vote = likelier_when_undecided(vote, text, &raw);
        }
        read.confidence = match vote.trusted {
            true if vote.text.is_some() => AGREED,
            true => read.confidence.max(AGREED),
            false => read.confidence.min(DISAGREED),
        };
        if let Some(better) = vote.text {
            read.text = Some(better);
        }
    } else if let Some(listed) = listed_reading(config, field, img, dpi, &[text, &other.text])?.filter(|l| l.by_both) {
        // A word of a list the models read differently, but alike with only the list's
        // characters.
        read.text = Some(listed.reading.text);
        read.confidence = AGREED;
    } else if surer_reading(field, &other) {
        // Still for review, the two disagreeing, unless an address read a third time
        // agrees (see [`confirms_address`]).
        if field == Field::HouseholdAddress {
            let third = engine::read(config, mode, &casting_picture(img), dpi)?;
            if confirms_address(&other.text, &third.text) {
                read.confidence = AGREED;
            }
        }
        read.text = Some(other.text.clone());
    } else if field.is_date() {
        // Neither model sure of it: the casting picture, read by both (see [`date_vote`]).
        let picture = casting_picture(img);
        let third = engine::read(config, mode, &picture, dpi)?;
        if extract::validates(field, &third.text) {
            let fourth = engine::second_opinion(config, mode, &picture, dpi)?;
            if let Some(vote) = date_vote(field, text, &third.text, fourth.as_ref().map(|r| r.text.as_str())) {
                read.text = vote.text;
                if vote.trusted {
                    read.confidence = AGREED;
                }
            }
        }
    }
    if let Some(first) = unsure_address.filter(|_| read.confidence < AGREED) {
        // Still unsure: both models on the cell as one raw line (see [`address_raw_vote`]).
        let raw = raw_line_texts(config, mode, img, dpi)?;
        if let Some(agreed) = address_raw_vote(&first, &other.text, &raw) {
            read.text = Some(agreed);
            read.confidence = AGREED;
        }
    } else if settled_by_raw_lines(field) && read.confidence < extract::REVIEW_THRESHOLD {
        let raw = raw_line_texts(config, mode, img, dpi)?;
        if let Some(agreed) = raw_lines_alike(field, &raw) {
            read.text = Some(agreed);
            read.confidence = AGREED;
        }
    }
    Ok(())
}

/// Of two readings of one address, the other model's (`other`), where the first model
/// read it with a slip its normalization mends (`和和平街`) and the other as written:
/// kept instead, the agreed address would go to review for the mending. On ten generated
/// batches (seeds 58-67), once a character read twice was mended, this kept 5 right
/// addresses out of review (4 records then machine-accepted, every field right). Only
/// addresses: a name's mending puts back a look-alike a page may truly write (风 for
/// 凤), so a name read with one is no slip of the first model's.
fn cleaner_address(first: &str, other: &str) -> Option<String> {
    (extract::address_needs_mending(first) && !extract::address_needs_mending(other)).then(|| other.to_string())
}

/// The texts of both models' readings of a cell as one raw line, the first model's first
/// (see [`engine::read_as_raw_line`]).
fn raw_line_texts(config: &EngineConfig, mode: ReadMode, img: &GrayImage, dpi: u32) -> Result<Vec<String>> {
    Ok(engine::read_as_raw_line(config, mode, img, dpi)?
        .into_iter()
        .map(|r| r.text)
        .collect())
}

/// Whether a cell of this field still unsure once both models have read it is read by
/// both as one raw line (see [`raw_lines_alike`]): a relation, a grave number, a 民族 …
/// Names and addresses have votes of their own. Not a date or a cell of digits (an ID
/// number, a phone, a certificate number): both models' raw lines read a phone's 6 as
/// 0 alike, and nothing on its row proves a phone.
fn settled_by_raw_lines(field: Field) -> bool {
    let digits = read_mode(ColumnRole::Field(field)) == ReadMode::Digits;
    !digits && !is_person_name(field) && !field.is_date() && !matches!(field, Field::HouseholdAddress | Field::Gender)
}

/// The reading both models make of a cell as one raw line (`raw`; see
/// [`engine::read_as_raw_line`]), when they make the same one and it passes the field's
/// check. Ten generated batches (seeds 58-67): 14 fields changed, all right (5
/// relations, 5 grave numbers, 3 民族, a place of death; 3 wrong before), records
/// machine-accepted 2,013 → 2,024. With phones too, one phone was trusted wrong.
fn raw_lines_alike(field: Field, raw: &[String]) -> Option<String> {
    let [a, b] = raw else { return None };
    let alike = !a.is_empty() && extract::same_value(field, a, b) && extract::validates(field, a);
    alike.then(|| a.clone())
}

/// The picture of a cell a casting vote is read from: the cell in black and white.
fn casting_picture(img: &GrayImage) -> GrayImage {
    black_and_white(img, 160)
}

/// Whether the first model's reading of an address cell in black and white (`third`)
/// confirms the other model's sure reading of it, which the first model's unsure
/// reading differed from: the same address as the division table repairs them, read
/// without marks (`王家庄1}9号` is no vote for `王家庄19号`: a digit may be lost there).
///
/// Measured on ten generated batches (seeds 58-67, 2,406 rows): of 63 addresses
/// read so, 17 confirmed, and the 12 addresses trusted for it were all right; records
/// the machine accepted 1,949 → 1,960. The third reading's agreement with the first,
/// unsure reading instead trusted wrong ones (竹利街 for 胜利街: one model's mistake
/// twice).
fn confirms_address(other: &str, third: &str) -> bool {
    let unmarked = third.chars().all(|c| extract::is_cjk(c) || c.is_ascii_alphanumeric());
    unmarked && extract::same_value(Field::HouseholdAddress, other, third)
}

/// What the cell of a date in black and white decides, read by the first model
/// (`third`) and the other (`fourth`), when the two models' readings of the cell as it
/// is differ and neither is sure: the two alike, and a date, are trusted; a date the
/// first model read there replaces a first reading that is no date, for review.
/// Chinese-numeral dates above all read better so (一年月二十日 and 三一一年五月三十一日
/// as 二〇一三年七月二十日 and 二〇一二年五月三十一日).
///
/// Measured on ten generated batches (seeds 58-67, 2,406 rows): 12 dates decided so, 7
/// of them wrong before and none after; records the machine accepted 1,960 → 1,965 with
/// no more wrong fields among them.
fn date_vote(field: Field, first: &str, third: &str, fourth: Option<&str>) -> Option<Vote> {
    if !extract::validates(field, third) {
        return None;
    }
    let trusted = fourth.is_some_and(|f| extract::same_value(field, third, f));
    (trusted || !extract::validates(field, first)).then(|| Vote {
        text: Some(third.to_string()),
        decided: trusted,
        trusted,
    })
}

/// What more readings of a name or a date decide, when the two models read it
/// differently.
#[derive(Debug, PartialEq)]
struct Vote {
    /// The reading to keep instead of the first model's.
    text: Option<String>,
    /// Whether two readings agreed on the kept one.
    decided: bool,
    /// Whether the kept reading is trusted, or goes to review.
    trusted: bool,
}

/// The casting vote on a name the two models read differently (`first`, and `others[0]`
/// by the other model), by more readings: the first model's on the cell in black and
/// white, then, if no two of the three are alike, the other model's on it (see
/// [`cast_fourth_vote`]).
///
/// Two readings alike win, trusted only for a name plainly a name, a common surname and a
/// given name written from common name characters (see [`plain_name_of`]): the fuller
/// model misreads some of those the same way on both pictures, as characters rare in
/// names (凤 → 风, 燕 → 憎). When the third agrees with the first
/// (five generated batches of 12 pages: records accepted 47–58 % → 59–66 % at
/// 99.5–99.9 % right), and when it agrees with the other model instead: two readings by
/// both models, on both pictures, against one. Ten generated 12-page batches (2,406
/// rows): the other model's reading so decided 31 names, all right (18 had been left
/// wrong, for review), and 22 more records were machine-accepted; the machine-accepted
/// wrong fields stayed the same 12. Two readings that agree only as look-alikes are put
/// back (杨春憎 and 杨春燕) are trusted as the one that read the common character: on the
/// same batches 8 names, all right, 7 more records machine-accepted, none made wrong.
///
/// With no two alike the name goes to review, the likelier reading before the reviewer
/// (see [`likelier_name`]). An empty reading is a model that read nothing.
fn cast_vote(field: Field, first: &str, others: &[String]) -> Vote {
    let agrees = |a: &str, b: &str| !a.is_empty() && !b.is_empty() && extract::same_value(field, a, b);
    let decided = |kept: &str, common: Option<&str>| Vote {
        text: Some(common.unwrap_or(kept)).filter(|&t| t != first).map(str::to_string),
        decided: true,
        trusted: common.is_some(),
    };
    if let Some(alike) = others.iter().find(|o| agrees(first, o)) {
        let common = plain_name_of(first, alike);
        let mut vote = decided(first, common);
        if common.is_none() {
            // The first model alike on both pictures, in a rare name character: the other
            // model's common one is likelier before the reviewer (see [`likelier_name`]).
            // Ten generated batches (seeds 58-67): 15 names right that were wrong, none
            // made wrong; still for review, unless another page confirms them.
            vote.text = others.first().and_then(|other| likelier_name(first, other));
        }
        return vote;
    }
    for (i, a) in others.iter().enumerate() {
        if let Some(b) = others[i + 1..].iter().find(|b| agrees(a, b)) {
            return decided(a, plain_name_of(a, b));
        }
    }
    Vote {
        text: others.first().and_then(|other| likelier_name(first, other)),
        decided: false,
        trusted: false,
    }
}

/// The vote of a fourth reading of a name (`fourth`, the other model's on the cell in
/// black and white) where the first three had no two alike: with the first model's
/// readings (`first`, `third`) only. Agreeing with its own model's other reading, it
/// misled: on ten generated 12-page batches, counting that too trusted 3 wrong names
/// (马莉兰 for 马菊兰, 吴富伟 for 吴富传); without it, 16 names were decided, all right (8
/// had been left wrong, for review), 12 more records machine-accepted, none made wrong.
fn cast_fourth_vote(field: Field, first: &str, third: &str, fourth: String) -> Option<Vote> {
    Some(cast_vote(field, first, &[fourth, third.to_string()])).filter(|vote| vote.decided)
}

/// The vote of both models' readings of a name cell as one raw line (`raw`, the first
/// model's first; see [`engine::read_as_raw_line`]) where the casting vote found no two
/// readings alike: the first model's raw line agreeing with the other model's reading of
/// the cell, either way. Trusted as a casting vote's are (see [`cast_vote`]); the first
/// model's agreeing with its own other readings is no vote (on ten generated batches it
/// was wrong 10 times of 35). Measured on ten generated batches (seeds 58-67): of the 93
/// names the casting vote left undecided, this decided 20, 19 of them right.
fn raw_line_vote(field: Field, first: &str, other: &str, raw: &[String]) -> Option<Vote> {
    let raw_first = raw.first().filter(|r| !r.is_empty())?;
    let agrees = |b: &&str| !b.is_empty() && extract::same_value(field, raw_first, b);
    let with = std::iter::once(other)
        .chain(raw.get(1).map(String::as_str))
        .find(agrees)?;
    let common = plain_name_of(raw_first, with);
    let kept = common.unwrap_or(raw_first);
    Some(Vote {
        text: (kept != first).then(|| kept.to_string()),
        decided: true,
        trusted: common.is_some(),
    })
}

/// A name no reading decided, as the reviewer is to see it: the likelier name the
/// casting vote found (see [`cast_vote`]), or else the other model's raw line
/// (`raw[1]`, see [`raw_line_vote`]) when it is the likelier (徐莹 read by the fuller
/// model on the grey cell and as a raw line and 徐蔡 in black and white, the small
/// model 徐着 on the grey cell and 徐莲 as a raw line: 徐莲). Ten generated batches
/// (seeds 58-67): 4 names right that were wrong, none made wrong.
fn likelier_when_undecided(vote: Vote, first: &str, raw: &[String]) -> Vote {
    if vote.decided || vote.text.is_some() {
        return vote;
    }
    Vote {
        text: raw.get(1).and_then(|other| likelier_name(first, other)),
        ..vote
    }
}

/// The address both models read alike once one of them reads the cell as one raw line
/// (`raw`, the first model's first; see [`engine::read_as_raw_line`]), where their line
/// readings (`first`, `other`) differed and no casting reading confirmed either: a raw
/// line by one model and a reading by the other that are the same address as the
/// division table repairs them, both without marks beside digits (see
/// [`confirms_address`]). The one of the two that begins with a prefecture and county
/// exactly as written is kept, as it needs no repair. One model's readings agreeing
/// with each other are no vote: the small model read 竹利街 for 胜利街 on the grey cell
/// and as a raw line alike. Ten generated batches (seeds 58-67): 17 addresses changed,
/// all right (16 trusted, 4 of them wrong before); records machine-accepted 1,998 → 2,013.
fn address_raw_vote(first: &str, other: &str, raw: &[String]) -> Option<String> {
    let (raw_first, raw_other) = (raw.first()?.as_str(), raw.get(1)?.as_str());
    let alike = |a: &str, b: &str| confirms_address(a, b) && confirms_address(b, a);
    let (a, b) = [(raw_first, other), (raw_first, raw_other), (first, raw_other)]
        .into_iter()
        .find(|&(a, b)| alike(a, b))?;
    let kept = if !places::begins_exactly(a) && places::begins_exactly(b) {
        b
    } else {
        a
    };
    Some(kept.to_string())
}

/// Of two readings of a name that agree, the one plainly a name (a common surname and
/// common given-name characters, [`is_plainly_a_name`]), if either is: they may agree
/// only as the look-alikes are put back (何翟 and 何翠), and the one that read the common
/// character outright says which. The surname counts too: the fuller model read the 王
/// of one page's names as `E` (`E华东`, twice alike), which had trusted them without
/// their surname. Ten generated batches (seeds 58-67), against the given name alone: 8
/// names right that were wrong (5 surnames read as no surname, 3 surnames lost), none
/// made wrong; records machine-accepted 2,032 -> 2,033, their wrong fields the same 13.
fn plain_name_of<'a>(a: &'a str, b: &'a str) -> Option<&'a str> {
    [a, b].into_iter().find(|t| is_plainly_a_name(t))
}

/// An address whose prefecture and county read as near two or more names of GB/T 2260
/// as each other (`菏泽市邮城县`: 鄄城县 or 郓城县? `临沂市茁南县`: 莒南县 or 沂南县?),
/// which the text alone cannot repair, read once more with only the characters of those
/// names and of the rest of the reading (by the other model too, when the first gives
/// none of them): when the cell's picture then begins with exactly one of the names, the
/// address is repaired into it, at most as sure as a division the table alone repaired.
/// Otherwise it stays as read, for review. Six generated 12-page batches: 6 addresses
/// right that were wrong (芝罘, 莘县, 莒南, 曹县, 潍城, 章丘), none made wrong, no other
/// field changed, 4 more records machine-accepted (their fields as right as before).
fn settle_tied_division(config: &EngineConfig, img: &GrayImage, dpi: u32, read: &mut CellText) -> Result<()> {
    let Some(text) = &read.text else { return Ok(()) };
    let tied = places::tied_divisions(text);
    if tied.len() < 2 {
        return Ok(());
    }
    let mut allowed: Vec<char> = tied.iter().flat_map(|t| t.address.chars()).collect();
    allowed.sort_unstable();
    allowed.dedup();
    let allowed: String = allowed.into_iter().collect();
    // The names a reading begins with, each once.
    let begun = |again: &Reading| -> Vec<&places::TiedDivision> {
        let mut begun: Vec<_> = tied.iter().filter(|t| again.text.starts_with(&t.name)).collect();
        begun.dedup_by(|a, b| a.address == b.address);
        begun
    };
    // Read so, a model drops a character it cannot place among the names' (菏泽市城县).
    let settled = engine::read_only_until(config, ReadMode::ChineseLine, &allowed, img, dpi, |r| {
        begun(r).len() == 1
    })?;
    if let Some(again) = settled {
        read.text = Some(begun(&again)[0].address.clone());
        read.confidence = read.confidence.min(extract::REPAIRED_DIVISION);
    }
    Ok(())
}

/// Whether the other model's reading of a cell the first was unsure of, which it does
/// not agree with, is the better guess: the other model was sure of it, and it passes
/// the field's check. The first model dropped a 1 from dates (`2014/6/16` read
/// `2014/6/6` at 0.0, the other model `2014/6/16` at 0.84), and a reviewer was shown
/// the wrong one. Eleven generated 12-page batches: 38 fields right that were wrong, 9
/// wrong that were right (dates +14 net, addresses +7, grave numbers +5, phones +3).
fn surer_reading(field: Field, other: &Reading) -> bool {
    other.confidence >= extract::REVIEW_THRESHOLD && extract::validates(field, &other.text)
}

/// The cell with only its darkest ink left: a grey seal's ring and legend, lighter than
/// the writing, are gone, and so is the soft edge of every stroke. Cells reach here
/// contrast-stretched (paper white, the darkest ink black).
fn dark_ink_only(img: &GrayImage) -> GrayImage {
    black_and_white(img, DARK_INK)
}

/// The cell in black (levels below `threshold`) and white.
fn black_and_white(img: &GrayImage, threshold: u8) -> GrayImage {
    let mut out = img.clone();
    for p in out.iter_mut() {
        *p = if *p < threshold { 0 } else { 255 };
    }
    out
}

const DARK_INK: u8 = 90;

/// Fields holding a person's name: read by both models unless plainly right, surname
/// read alone.
fn is_person_name(field: Field) -> bool {
    matches!(field, Field::DeceasedName | Field::FamilyName)
}

/// A reading of a name cell that is nothing but a name of common characters: a common
/// surname, then characters common in given names (no stray mark, no rare character).
/// The readings the fuller model was sure of and got wrong had a rare character in them
/// (社华兴 for 杜华兴, 玉富家 for 王富家) or were less sure than [`SURE_NAME`].
fn is_plainly_a_name(text: &str) -> bool {
    vocab::is_common_name(text) && vocab::has_common_given_name(text)
}

/// Tesseract's confidence at which a name plainly a name (see [`is_plainly_a_name`])
/// is taken without the other model's read. Eleven generated 12-page batches: the
/// lowest confidence at which such a reading was wrong was 0.93 (王农国 for 王军国), and
/// none of the 404 at 0.94 was; one step above that, for margin.
const SURE_NAME: f32 = 0.95;

/// Confidence of a value both models read the same, and at most that of a name or
/// address they did not.
pub(crate) const AGREED: f32 = 0.9;
pub(crate) const DISAGREED: f32 = 0.6;
/// Confidence of a reading made from the page's own proven glyphs that passes its
/// field's check (see [`glyphs`]).
const BANK_CONFIDENCE: f32 = 0.95;

/// A page cleaned, its table found and its header row read, in one orientation.
struct Oriented {
    page: preprocess::CleanPage,
    /// How many times the scan was resized to be read (see [`scale`]); 1 when it was not.
    scale: f32,
    /// The resolution of `page`: the scan's, times `scale`.
    dpi: u32,
    grid: Grid,
    headers: Vec<String>,
    roles: Vec<ColumnRole>,
    /// How well each header matched its wording.
    header_scores: Vec<f32>,
    cells: Vec<CellReading>,
}

impl Oriented {
    fn read(image: &DynamicImage, config: &EngineConfig, dpi: u32) -> Result<Option<Oriented>> {
        let Some((page, grid, scale)) = laid_out(image) else {
            return Ok(None);
        };
        // What Tesseract is told of the cells' resolution (it read the same either way
        // on pages scanned at 150 and 200 dpi and enlarged).
        let dpi = (dpi as f32 * scale).round() as u32;
        let mut cells = Vec::new();
        let mut headers = Vec::new();
        for col in 0..grid.columns() {
            let b = grid.cell(0, col);
            // Read once constrained to header wording; a header that still maps to nothing
            // is an unknown column, read again freely so its own wording is kept.
            let img = cut_cell(&page, b, PaperOf::Cut);
            let mut read = read_cell(config, img.as_ref(), ReadMode::Header, dpi)?;
            if headers::map_header(read.text.as_deref().unwrap_or("")).0 == ColumnRole::Unknown {
                read = read_cell(config, img.as_ref(), ReadMode::ChineseLine, dpi)?;
            }
            headers.push(read.text.clone().unwrap_or_default());
            cells.push(read.at(0, col, b));
        }
        let (roles, header_scores) = headers::map_headers_scored(&headers).into_iter().unzip();
        Ok(Some(Oriented {
            page,
            scale,
            dpi,
            grid,
            headers,
            roles,
            header_scores,
            cells,
        }))
    }
}

/// Columns whose header names something we know.
fn known_columns(roles: &[ColumnRole]) -> usize {
    roles.iter().filter(|r| **r != ColumnRole::Unknown).count()
}

/// Whether a header row of these roles reads as a ledger's: most columns known.
pub(crate) fn reads_as_ledger(roles: &[ColumnRole]) -> bool {
    known_columns(roles) * 2 >= roles.len().max(1)
}

/// Whether a ruled table is found on the scan (cleaned as it lies, not turned).
pub(crate) fn has_table(image: &DynamicImage) -> bool {
    table_of(image, &preprocess::clean(image), false).is_some()
}

/// The page cleaned and its table found; resized first when its writing is smaller or
/// larger than the pages tuned on (see [`scale`]), with how many times. A resized page
/// whose table is no longer found (no such page has been seen) is read as scanned.
fn laid_out(image: &DynamicImage) -> Option<(preprocess::CleanPage, Grid, f32)> {
    let page = preprocess::clean(image);
    let found = table_of(image, &page, false);
    let (page, (grid, faint)) = squared_if_slanted(image, page, found)?;
    if let Some(scale) = scale::rescaling(&page.ink, &grid) {
        let resized = scale::resized(image, scale);
        let page = preprocess::clean(&resized);
        // Faint rules stay faint enlarged, though the ordinary ink may then find more of
        // them: both are looked at again. So is an enlarged page's: a low resolution's
        // thin rules fade in JPEG.
        let faint = faint || scale > 1.0;
        let found = table_of(&resized, &page, faint);
        if let Some((page, (grid, _))) = squared_if_slanted(&resized, page, found) {
            return Some((page, grid, scale));
        }
    }
    Some((page, grid, 1.0))
}

/// The page with its table as `found`, or squared (see [`keystone`]) when its table was
/// photographed at a slant and more of its cells are found so (on its faint ink too,
/// squared with it, as [`table_of`] looks).
fn squared_if_slanted(
    image: &DynamicImage,
    page: preprocess::CleanPage,
    found: Option<(Grid, bool)>,
) -> Option<(preprocess::CleanPage, (Grid, bool))> {
    let Some(keystone) = keystone::Keystone::of(&page.ink) else {
        return found.map(|found| (page, found));
    };
    let squared = page.squared(keystone.clone());
    // Resampled by the camera's slant, thin rules come out paler and broken: the faint
    // ink is always looked at too.
    let mut grid = grid::detect(&squared.ink);
    let on_faint = grid::detect(&keystone.squared_ink(&preprocess::faint_rules_ink(image, page.skew_degrees)));
    if on_faint.as_ref().map_or(0, Grid::cells) > grid.as_ref().map_or(0, Grid::cells) {
        grid = on_faint;
    }
    match (found, grid) {
        (Some(found), Some(grid)) if grid.cells() <= found.0.cells() => Some((page, found)),
        (_, Some(grid)) => Some((squared, (grid, true))),
        (found, None) => found.map(|found| (page, found)),
    }
}

/// The table of `page` (`image` cleaned): found on its ink, or, where that finds none or
/// one too small to be a ledger's, or `faint` says its rules are faint, on its faint ink
/// too (see [`preprocess::faint_rules_ink`]), whichever has more cells; with whether
/// the faint ink was looked at.
fn table_of(image: &DynamicImage, page: &preprocess::CleanPage, faint: bool) -> Option<(Grid, bool)> {
    let found = grid::detect(&page.ink);
    if !faint && found.as_ref().is_some_and(|g| !g.too_small_for_a_ledger()) {
        return found.map(|g| (g, false));
    }
    let on_faint = grid::detect(&preprocess::faint_rules_ink(image, page.skew_degrees));
    let grid = match (found, on_faint) {
        (Some(found), Some(on_faint)) => {
            if on_faint.cells() > found.cells() {
                on_faint
            } else {
                found
            }
        }
        (found, on_faint) => found.or(on_faint)?,
    };
    Some((grid, true))
}

/// The scan turned `quarter_turns` quarters clockwise.
pub(crate) fn turned(image: &DynamicImage, quarter_turns: u8) -> DynamicImage {
    match quarter_turns % 4 {
        1 => image.rotate90(),
        2 => image.rotate180(),
        3 => image.rotate270(),
        _ => image.clone(),
    }
}

/// A reading of a header row: its columns' roles.
trait HeaderRow {
    fn roles(&self) -> &[ColumnRole];
}

impl HeaderRow for Oriented {
    fn roles(&self) -> &[ColumnRole] {
        &self.roles
    }
}

/// The way round a scan is read, with its quarter turns: upright when its header row
/// reads as a ledger's; otherwise the first of half a turn, then a quarter either way
/// (`turned` reads the scan so turned, `None` where no table is found), whose header row
/// reads as a ledger's and knows more headers than upright; else upright. Only its
/// header row says a scan lies turned: a turned reading whose header row is no ledger's
/// is not taken. (A photographed page whose table was found only turned sideways read
/// as 25 columns of noise, two of their headers single characters half a field's
/// wording, and its 24 rows went unkeyed.)
fn way_round<T: HeaderRow>(
    upright: Option<T>,
    mut turned: impl FnMut(u8) -> Result<Option<T>>,
) -> Result<Option<(T, u8)>> {
    let known = |t: &T| known_columns(t.roles());
    if upright.as_ref().is_some_and(|u| reads_as_ledger(u.roles())) {
        return Ok(upright.map(|u| (u, 0)));
    }
    for quarter_turns in [2, 1, 3] {
        let Some(t) = turned(quarter_turns)? else {
            continue;
        };
        if !reads_as_ledger(t.roles()) {
            continue;
        }
        if upright.as_ref().is_none_or(|u| known(&t) > known(u)) {
            return Ok(Some((t, quarter_turns)));
        }
        break;
    }
    Ok(upright.map(|u| (u, 0)))
}

/// Reads a page. Errors are engine failures; a page without a table, or whose table is
/// too small to be all of a ledger's, is `Ok(Err(..))`.
/// A page whose header row does not read as a ledger's is tried turned half round
/// (scanned upside down: its header at the bottom), then a quarter round either way
/// (scanned sideways, as a landscape ledger often is), and read turned when most of its
/// headers are known so and more than upright; its cell boxes are given on the page as
/// scanned.
pub fn read_page(
    image: &DynamicImage,
    config: &EngineConfig,
    dpi: u32,
) -> Result<std::result::Result<PageReading, PageProblem>> {
    read_page_or(image, config, dpi, || Ok(None))
}

/// [`read_page`], asking `no_table_upright` first when the scan shows no table as it
/// lies, before it is tried turned: what that reads, if anything, is the page's reading.
pub(crate) fn read_page_or(
    image: &DynamicImage,
    config: &EngineConfig,
    dpi: u32,
    no_table_upright: impl FnOnce() -> Result<Option<PageReading>>,
) -> Result<std::result::Result<PageReading, PageProblem>> {
    let upright = Oriented::read(image, config, dpi)?;
    if upright.is_none() {
        if let Some(reading) = no_table_upright()? {
            return Ok(Ok(reading));
        }
    }
    let best = way_round(upright, |quarter_turns| {
        Oriented::read(&turned(image, quarter_turns), config, dpi)
    })?;
    let Some((chosen, quarter_turns)) = best else {
        return Ok(Err(PageProblem::NoTable));
    };
    if chosen.grid.too_small_for_a_ledger() {
        return Ok(Err(PageProblem::TableTooSmall {
            rows: chosen.grid.body_rows(),
            columns: chosen.grid.columns(),
        }));
    }
    let Oriented {
        page,
        scale,
        dpi,
        mut grid,
        headers,
        roles,
        header_scores,
        mut cells,
    } = chosen;
    let body_start = cells.len();
    let sheet = Sheet {
        config,
        page: &page,
        grid: &grid,
        dpi,
    };
    let mut body = BodyReader::new(sheet);
    let columns = roles.len();
    let mut body_cells: Vec<Option<CellReading>> = (0..grid.body_rows() * columns).map(|_| None).collect();
    let (alone, in_turn): (Vec<_>, Vec<_>) =
        reading_order(&roles, grid.body_rows()).partition(|&(_, col)| reads_alone(roles[col]));
    // The cells of the page's other columns are read in order, here, from the start;
    // those read alone wait meanwhile for any worker left without a page to take them
    // (rayon lets an idle worker steal the second half of a join), else are read here
    // after the rest.
    let (read_in_turn, read_alone) = rayon::join(
        || {
            in_turn
                .iter()
                .map(|&(row, col)| body.read(row, col, roles[col]))
                .collect::<Result<Vec<CellReading>>>()
        },
        || {
            alone
                .par_iter()
                .map(|&(row, col)| sheet.read_alone(row, col, roles[col]))
                .collect::<Result<Vec<CellReading>>>()
        },
    );
    for c in read_alone?.into_iter().chain(read_in_turn?) {
        let at = (c.row - 1) * columns + c.col;
        body_cells[at] = Some(c);
    }
    cells.extend(body_cells.into_iter().map(|c| c.expect("every body cell read")));
    // Columns whose header could not be read, recognized by their cells and read again
    // as what they are.
    let column_texts: Vec<Vec<&str>> = (0..roles.len())
        .map(|col| {
            cells[body_start..]
                .iter()
                .filter(|c| c.col == col)
                .filter_map(|c| c.text.as_deref())
                .collect()
        })
        .collect();
    let mapped: Vec<(ColumnRole, f32)> = roles.iter().copied().zip(header_scores).collect();
    let recognized = content::recognize(&mapped, &column_texts);
    for (col, role) in recognized.iter().enumerate() {
        if *role != roles[col] {
            for c in cells[body_start..].iter_mut().filter(|c| c.col == col) {
                *c = body.read(c.row, col, *role)?;
            }
        }
    }
    let roles = recognized;
    body.settle_words_by_the_whole_page(&mut cells[body_start..], &roles);
    // Boxes in the scan's own pixels, on the scan as it lies.
    let (w, h) = match quarter_turns % 2 {
        0 => (image.width(), image.height()),
        _ => (image.height(), image.width()),
    };
    // The page as read: straightened, and squared when photographed at a slant (the
    // same size each step), resized `scale` times and turned from the scan.
    let (read_w, read_h) = page.grey.dimensions();
    for c in &mut cells {
        let b = match &page.keystone {
            Some(k) => k.unsquared(c.bbox, read_w, read_h),
            None => c.bbox,
        };
        c.bbox = b
            .unskewed(page.skew_degrees, read_w, read_h)
            .unscaled(scale, w, h)
            .as_scanned(quarter_turns, w, h);
    }
    let columns_missed = grid.rules_run_past_columns(&page.ink);
    let rows_missed = grid.rules_run_past_rows(&page.ink);
    grid.unscale(scale);
    Ok(Ok(PageReading {
        quarter_turns,
        scale,
        skew_degrees: page.skew_degrees,
        squared: page.keystone.is_some(),
        within_scan: false,
        columns_missed,
        rows_missed,
        grid,
        headers,
        roles,
        cells,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    impl HeaderRow for Vec<ColumnRole> {
        fn roles(&self) -> &[ColumnRole] {
            self
        }
    }

    /// A header row of `columns` columns, the first `known` of them fields.
    fn header_row(known: usize, columns: usize) -> Vec<ColumnRole> {
        (0..columns)
            .map(|c| match c < known {
                true => ColumnRole::Field(Field::ALL[c]),
                false => ColumnRole::Unknown,
            })
            .collect()
    }

    #[test]
    fn id_numbers_are_read_first_then_the_rest_row_by_row() {
        let id = ColumnRole::Field(Field::IdNumber);
        let name = ColumnRole::Field(Field::DeceasedName);
        let date = ColumnRole::Field(Field::DeathDate);
        // (the header row's roles, body rows, the cells as read)
        type Case = (Vec<ColumnRole>, usize, Vec<(usize, usize)>);
        let cases: [Case; 3] = [
            (
                vec![ColumnRole::Serial, name, date, id],
                2,
                vec![(1, 3), (2, 3), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)],
            ),
            // No ID column: row by row, as written.
            (vec![name, date], 2, vec![(1, 0), (1, 1), (2, 0), (2, 1)]),
            // Two ID columns (the deceased's and the agent's): each down its column.
            (
                vec![id, name, id],
                2,
                vec![(1, 0), (2, 0), (1, 2), (2, 2), (1, 1), (2, 1)],
            ),
        ];
        for (roles, rows, expected) in cases {
            let order: Vec<_> = reading_order(&roles, rows).collect();
            assert_eq!(order, expected, "{roles:?}");
        }
    }

    #[test]
    fn a_date_in_black_and_white_read_alike_by_both_models_is_trusted() {
        let vote = |first: &str, third: &str, fourth: Option<&str>| {
            date_vote(Field::DeathDate, first, third, fourth).map(|v| (v.text.unwrap(), v.trusted))
        };
        let taken = |text: &str, trusted: bool| Some((text.to_string(), trusted));
        // Both models read the black-and-white cell as one date.
        assert_eq!(
            vote("2013/5/119", "2013/5/19", Some("2013年5月19日")),
            taken("2013/5/19", true)
        );
        assert_eq!(
            vote("2013/5/18", "2013/5/19", Some("2013/5/19")),
            taken("2013/5/19", true)
        );
        // The other model reads another date, or nothing: a first reading that is no date
        // gives way, for review; a date stays as read.
        assert_eq!(
            vote("2013/5/119", "2013/5/19", Some("2013/5/18")),
            taken("2013/5/19", false)
        );
        assert_eq!(
            vote("一年月二十日", "二〇一三年七月二十日", None),
            taken("二〇一三年七月二十日", false)
        );
        assert_eq!(vote("2013/5/18", "2013/5/19", Some("2013/6/19")), None);
        // No date in black and white: nothing decided.
        assert_eq!(vote("2013/5/119", "2013/5/1199", Some("2013/5/1199")), None);
    }

    #[test]
    fn a_cell_read_as_nothing_and_then_alike_by_both_models_is_trusted_else_kept_for_review() {
        let verdict = |field: Field, first: &str, other: &str| blank_verdict(field, first.into(), other.into());
        let kept = |text: &str, trusted: bool| Some((text.to_string(), trusted));
        let name = Field::DeceasedName;
        assert_eq!(verdict(name, "李荣萍", "李荣萍"), kept("李荣萍", true));
        // Alike, but a given name of no common name characters: for review.
        assert_eq!(verdict(name, "杨春憎", "杨春憎"), kept("杨春憎", false));
        // Two readings: the first model's, unless only the other's is a common given name.
        assert_eq!(verdict(name, "梁华", "粱华"), kept("梁华", false));
        assert_eq!(verdict(name, "高莹红", "高莲红"), kept("高莲红", false));
        assert_eq!(verdict(Field::FamilyName, "", "蒋美"), kept("蒋美", false));
        let address = Field::HouseholdAddress;
        assert_eq!(
            verdict(address, "淄博市沂源县人民路13号", "淄博市沂源有人民路13号"),
            kept("淄博市沂源县人民路13号", true)
        );
        assert_eq!(
            verdict(address, "青岛市莱西市北关有时", "青岛市莱西市北关街154号"),
            kept("青岛市莱西市北关有时", false)
        );
        // Nothing read again either: still nothing, for a person to key.
        assert_eq!(verdict(name, "", ""), None);
    }

    #[test]
    fn a_raw_line_decides_a_name_only_with_the_other_models_reading() {
        let vote = |first: &str, other: &str, raw: &[&str]| {
            let raw: Vec<String> = raw.iter().map(|r| r.to_string()).collect();
            raw_line_vote(Field::DeceasedName, first, other, &raw).map(|v| (v.text, v.trusted))
        };
        let kept = |text: Option<&str>, trusted: bool| Some((text.map(str::to_string), trusted));
        // The fuller model's raw line agrees with the small model's line, or its raw line.
        assert_eq!(
            vote("肖雁丹", "肖翠丹", &["肖翠丹", "肖纳丹"]),
            kept(Some("肖翠丹"), true)
        );
        assert_eq!(vote("王文富", "", &["王文富", "王文富"]), kept(None, true));
        // Alike, but no common given name: for review, as read alike.
        assert_eq!(vote("杨春燕", "杨春憎", &["杨春憎", ""]), kept(Some("杨春憎"), false));
        // The first model agreeing with itself, or a model that read nothing: no vote.
        assert_eq!(vote("唐香娥", "唐香娴", &["唐香娥", "唐香如"]), None);
        assert_eq!(vote("王文富", "", &["", ""]), None);
        assert_eq!(vote("王文富", "", &["王文富"]), None);
    }

    #[test]
    fn an_address_is_agreed_by_a_raw_line_only_across_the_two_models() {
        let vote = |first: &str, other: &str, raw: [&str; 2]| address_raw_vote(first, other, &raw.map(str::to_string));
        let agreed = |text: &str| Some(text.to_string());
        // The first model's raw line and the other's line: the one needing no repair kept.
        assert_eq!(
            vote(
                "潍坊市高密市红底村122号",
                "淮坊市高密市红旗村122号",
                ["潍坊市高密市红旗村122号", "潍坊市高宿市红旗村122号"]
            ),
            agreed("潍坊市高密市红旗村122号")
        );
        // Both raw lines, the other model's line having a mark beside a digit.
        assert_eq!(
            vote(
                "聊城市全县东风村111号",
                "聊城市莘县东风村11+号",
                ["聊城市莘县东风村111号", "聊城市莘县东风村111号"]
            ),
            agreed("聊城市莘县东风村111号")
        );
        // One model's two readings alike (竹利街 for 胜利街): no vote.
        assert_eq!(
            vote(
                "临沂市兰山区竹利街91号",
                "临沅市兰山区舸利街91号",
                ["临汽市兰山区竹利街91号", "临沅市兰山区舸利街91号"]
            ),
            None
        );
        assert_eq!(vote("临沂市费县解放路25号", "", ["", ""]), None);
    }

    #[test]
    fn both_models_raw_lines_alike_settle_only_fields_of_no_vote_of_their_own_and_no_digits() {
        let raw = |a: &str, b: &str| [a.to_string(), b.to_string()];
        let relation = Field::FamilyRelation;
        assert_eq!(raw_lines_alike(relation, &raw("侄子", "侄子")), Some("侄子".into()));
        assert_eq!(raw_lines_alike(relation, &raw("侄子", "在异")), None);
        // Alike, but no word of the list.
        assert_eq!(raw_lines_alike(relation, &raw("在异", "在异")), None);
        assert_eq!(raw_lines_alike(relation, &raw("", "")), None);
        assert_eq!(raw_lines_alike(relation, &raw("侄子", "")), None);
        assert_eq!(
            raw_lines_alike(Field::GraveNumber, &raw("C区22排22号", "C区22排22号")),
            Some("C区22排22号".into())
        );
        for settled in [relation, Field::GraveNumber, Field::Ethnicity, Field::DeathPlace] {
            assert!(settled_by_raw_lines(settled), "{settled:?}");
        }
        let own_vote_or_digits = [
            Field::DeceasedName,
            Field::HouseholdAddress,
            Field::DeathDate,
            Field::IdNumber,
            Field::FamilyPhone,
            Field::CremationCertNo,
            Field::Gender,
        ];
        for left in own_vote_or_digits {
            assert!(!settled_by_raw_lines(left), "{left:?}");
        }
    }

    #[test]
    fn of_two_readings_of_one_address_the_one_needing_no_mending_is_kept() {
        let cases = [
            (
                "济宁市嘉祥县和和平街18号",
                "济宁市嘉祥县和平街18号",
                Some("济宁市嘉祥县和平街18号"),
            ),
            // The first needs none, or both need it: the first stays.
            ("济宁市嘉祥县和平街18号", "济宁市嘉祥县和和平街18号", None),
            ("济宁市嘉祥县和和平街18号", "济宁市嘉祥县和平街街18号", None),
            ("济宁市嘉祥县和平街18号", "济宁市嘉祥县和平街18号", None),
        ];
        for (first, other, want) in cases {
            assert_eq!(cleaner_address(first, other).as_deref(), want, "{first} / {other}");
        }
    }

    #[test]
    fn an_address_is_confirmed_by_a_third_reading_of_it_as_the_division_table_repairs_it() {
        let other = "淄博市沂源县人民路13号";
        assert!(confirms_address(other, "淄博市沂源县人民路13号"));
        // A county misread the division table puts back.
        assert!(confirms_address(other, "淄博市沂源有人民路13号"));
        assert!(!confirms_address(other, "淄博市沂源县人民路18号"));
        assert!(!confirms_address(other, "淄博市沂源县人民路1}3号"));
        assert!(!confirms_address(other, ""));
    }

    #[test]
    fn a_listed_word_is_agreed_only_when_the_other_model_read_the_same_word() {
        let reading = |text: &str| Reading {
            text: text.to_string(),
            confidence: 0.3,
        };
        let by_both = |other: Option<&str>| Listed::confirmed(reading("兄"), other).by_both;
        assert!(by_both(Some("兄")));
        assert!(!by_both(Some("弟")));
        assert!(!by_both(Some("")));
        assert!(!by_both(None));
    }

    #[test]
    fn only_cells_that_neither_use_nor_teach_what_the_page_learns_are_read_alone() {
        let f = ColumnRole::Field;
        let alone = [
            f(Field::DeceasedName),
            f(Field::FamilyName),
            f(Field::HouseholdAddress),
            f(Field::GraveNumber),
            ColumnRole::Unknown,
        ];
        let in_turn = [
            // The page's glyphs: read from them, or teaching them.
            f(Field::IdNumber),
            f(Field::FamilyPhone),
            f(Field::DeathDate),
            f(Field::Age),
            f(Field::Gender),
            ColumnRole::Serial,
            // The words of a column of few words.
            f(Field::FamilyRelation),
            f(Field::Ethnicity),
            f(Field::CemeteryName),
            f(Field::DeathCause),
        ];
        let read_alone = |roles: &[ColumnRole]| roles.iter().map(|&r| (r, reads_alone(r))).collect::<Vec<_>>();
        assert_eq!(read_alone(&alone), alone.map(|r| (r, true)));
        assert_eq!(read_alone(&in_turn), in_turn.map(|r| (r, false)));
    }

    #[test]
    fn a_sex_cell_is_proven_by_its_rows_id_read_before_or_after_it() {
        let img = GrayImage::from_pixel(4, 4, Luma([0]));
        let mut proof = SexProof::default();
        // Row 1: the ID first (the order cells are read in), then the cell.
        assert_eq!(proof.by_id(1, '女'), None);
        assert_eq!(proof.written(1, &img, '女').map(|(_, s)| s), Some('女'));
        // Row 2: the cell first (a column read again once recognized), then the ID.
        assert_eq!(proof.written(2, &img, '男'), None);
        assert_eq!(proof.by_id(2, '男').map(|(_, s)| s), Some('男'));
        // Row 3: the two disagree, either way round: nothing is proven.
        assert_eq!(proof.by_id(3, '男'), None);
        assert_eq!(proof.written(3, &img, '女'), None);
        assert_eq!(proof.written(4, &img, '女'), None);
        assert_eq!(proof.by_id(4, '男'), None);
        // An ID proves only its own row's cell: row 5's ID has no cell of row 6 waiting.
        assert_eq!(proof.written(6, &img, '男'), None);
        assert_eq!(proof.by_id(5, '男'), None);
        assert_eq!(proof.by_id(6, '男').map(|(_, s)| s), Some('男'));
    }

    #[test]
    fn a_scan_is_read_turned_only_where_its_header_row_then_reads_as_a_ledgers() {
        // (upright, each turn's reading by quarter turns), the way round it is read.
        type Readings = (Option<(usize, usize)>, [Option<(usize, usize)>; 4]);
        let cases: [(&str, Readings, Option<u8>); 6] = [
            (
                "upright ledger",
                (Some((8, 10)), [None, Some((10, 10)), None, None]),
                Some(0),
            ),
            (
                "upside down",
                (Some((1, 10)), [None, None, Some((9, 10)), Some((3, 10))]),
                Some(2),
            ),
            (
                "sideways, no table upright",
                (None, [None, None, None, Some((6, 11))]),
                Some(3),
            ),
            // The photographed page of broken rules: found only sideways, as noise.
            (
                "noise sideways, no table upright",
                (None, [None, Some((0, 19)), None, Some((2, 25))]),
                None,
            ),
            (
                "noise sideways",
                (Some((1, 10)), [None, Some((3, 25)), None, None]),
                Some(0),
            ),
            (
                "a ledger turned, no better known",
                (Some((4, 10)), [None, Some((4, 6)), None, None]),
                Some(0),
            ),
        ];
        for (name, (upright, turned), expected) in cases {
            let row = |r: Option<(usize, usize)>| r.map(|(k, n)| header_row(k, n));
            let chosen = way_round(row(upright), |q| Ok(row(turned[q as usize]))).unwrap();
            assert_eq!(chosen.map(|(_, q)| q), expected, "{name}");
        }
    }

    /// A cell 200 x 60 on a page of paper, with `strokes` (x, y, w, h) of ink in it.
    fn cut_of(strokes: &[(u32, u32, u32, u32)]) -> GrayImage {
        let (w, h) = (200, 60);
        let mut grey = GrayImage::from_pixel(w, h, Luma([235]));
        let mut data = vec![0u8; (w * h) as usize];
        for &(x0, y0, sw, sh) in strokes {
            for y in y0..y0 + sh {
                for x in x0..x0 + sw {
                    grey.put_pixel(x, y, Luma([30]));
                    data[(y * w + x) as usize] = 1;
                }
            }
        }
        let ink = preprocess::InkMap {
            width: w,
            height: h,
            data,
        };
        cell_image(&grey, &ink, CellBox { x: 0, y: 0, w, h }, PaperOf::Cut)
    }

    /// Rows of a cell from runs of (rows, ink pixels in each).
    fn rows_of(runs: &[(u32, u32)]) -> Vec<InkLine> {
        let mut rows = Vec::new();
        for &(n, pixels) in runs {
            rows.extend((0..n).map(|_| InkLine { pixels, from: 0, to: 0 }));
        }
        rows
    }

    #[test]
    fn dust_a_gap_below_the_writing_is_no_part_of_it() {
        // A date 25 rows high, then two specks 17 and 25 rows below it.
        let date = rows_of(&[(10, 0), (25, 48), (17, 0), (3, 3), (5, 0), (6, 6), (4, 0)]);
        let span = ink_span(&date, 200).unwrap();
        assert_eq!(span.1, 65, "the specks are more than the ends' share of the ink");
        assert_eq!(without_islands(&date, span), (10, 34));
        // 二: two strokes far apart, each much of the ink; 六: its dot near the rest.
        let er = rows_of(&[(5, 0), (5, 60), (14, 0), (5, 70), (5, 0)]);
        assert_eq!(without_islands(&er, ink_span(&er, 200).unwrap()), (5, 28));
        let liu = rows_of(&[(5, 0), (3, 6), (5, 0), (25, 40), (5, 0)]);
        assert_eq!(without_islands(&liu, (5, 37)), (5, 37));
    }

    #[test]
    fn a_stroke_by_the_cells_edge_is_writing_and_a_rule_across_it_is_not() {
        // Writing 40 px high from x = 30, a rule's remains down the whole left edge.
        let text = [(30, 10, 4, 40), (50, 10, 30, 4), (90, 10, 4, 40)];
        let with_rule: Vec<_> = [(2, 0, 3, 60)].iter().chain(&text).copied().collect();
        assert_eq!(
            cut_of(&with_rule).width(),
            cut_of(&text).width(),
            "the rule is left out"
        );
        // The first stroke set close to the edge, as long as the writing is high: kept.
        let by_the_edge = [(6, 10, 4, 40), (50, 10, 30, 4), (90, 10, 4, 40)];
        assert_eq!(
            cut_of(&by_the_edge).width(),
            94 - 6 + 2 * CELL_MARGIN,
            "the stroke is kept"
        );
    }

    #[test]
    fn only_a_name_of_common_characters_is_plainly_a_name() {
        for name in ["王淑萍", "李凤兰", "欧阳秀英"] {
            assert!(is_plainly_a_name(name), "{name}");
        }
        // A rare surname (社 for 杜), a stray mark, a rare given-name character, a surname alone.
        for reading in ["社华兴", "卢树学-", "张薪玉", "王"] {
            assert!(!is_plainly_a_name(reading), "{reading}");
        }
    }

    #[test]
    fn the_reading_written_from_common_name_characters_is_the_likelier_name() {
        assert_eq!(likelier_name("胡淑莹", "胡淑莲").as_deref(), Some("胡淑莲"));
        assert_eq!(likelier_name("田洁婵", "田洁娟").as_deref(), Some("田洁娟"));
        assert_eq!(likelier_name("胡淑莲", "胡淑莹"), None, "the first is common already");
        assert_eq!(likelier_name("胡淑莹", "胡莲"), None, "a character lost");
        assert_eq!(likelier_name("胡淑莹", "胡淑婵"), None, "neither is common");
        assert_eq!(
            likelier_name("盱义山", "吕义山").as_deref(),
            Some("吕义山"),
            "盱 is no surname"
        );
    }

    #[test]
    fn two_readings_alike_win_the_casting_vote_trusted_for_a_common_given_name() {
        let vote = |text: Option<&str>, decided, trusted| Vote {
            text: text.map(str::to_string),
            decided,
            trusted,
        };
        let kept = |trusted| vote(None, true, trusted);
        let taken = |text, trusted| vote(Some(text), true, trusted);
        let undecided = |text| vote(text, false, false);
        // (first model; other model, first model in black and white, other model in
        // black and white; the vote)
        let cases: [(&str, &[&str], Vote); 17] = [
            ("胡淑莲", &["胡淑莹", "胡淑莲"], kept(true)),
            // The first model alike on both pictures in a rare character: the other
            // model's common one goes before the reviewer, untrusted.
            ("胡淑莹", &["胡淑莲", "胡淑莹"], taken("胡淑莲", false)),
            ("胡淑莹", &["胡淑婵", "胡淑莹"], kept(false)),
            // No common surname: not plainly a name, whatever its given name.
            ("E华东", &["王华东", "E华东"], taken("王华东", false)),
            ("胡淑莹", &["胡淑莲", "胡淑莲"], taken("胡淑莲", true)),
            ("胡淑莲", &["胡淑莹", "胡淑莹"], taken("胡淑莹", false)),
            ("胡淑莹", &["胡淑莲", "胡淑婵"], undecided(Some("胡淑莲"))),
            ("胡淑莹", &["胡淑婵", "胡淑莲"], undecided(None)),
            ("胡淑莹", &["", ""], undecided(None)),
            ("胡淑莲", &["", "胡淑莲"], kept(true)),
            ("何翟", &["何悄", "何翠"], taken("何翠", true)),
            ("何悄", &["何翠", "何翟"], taken("何翠", true)),
            ("何翠", &["何悄", "何翟"], kept(true)),
            ("胡淑莲", &["胡淑婵", "胡淑萱", "胡淑莲"], kept(true)),
            ("胡淑莹", &["胡淑莲", "胡淑婵", "胡淑莲"], taken("胡淑莲", true)),
            ("胡淑莹", &["胡淑婵", "胡淑莲", "胡淑莲"], taken("胡淑莲", true)),
            ("胡淑莹", &["胡淑婵", "胡淑萱", "胡淑蓓"], undecided(None)),
        ];
        for (first, others, want) in cases {
            let others: Vec<String> = others.iter().map(|o| o.to_string()).collect();
            assert_eq!(
                cast_vote(Field::FamilyName, first, &others),
                want,
                "{first} / {others:?}"
            );
        }
    }

    #[test]
    fn an_undecided_name_takes_the_other_models_raw_line_when_likelier() {
        let undecided = |text: Option<&str>| Vote {
            text: text.map(str::to_string),
            decided: false,
            trusted: false,
        };
        let raw = |first: &str, other: &str| vec![first.to_string(), other.to_string()];
        let cases = [
            (undecided(None), raw("徐莹", "徐莲"), undecided(Some("徐莲"))),
            (undecided(None), raw("徐莹", "徐蔡"), undecided(None)),
            (undecided(None), raw("徐莲", "徐莹"), undecided(None)),
            (undecided(Some("徐芳")), raw("徐莹", "徐莲"), undecided(Some("徐芳"))),
            (undecided(None), vec!["徐莹".to_string()], undecided(None)),
        ];
        for (vote, raw, want) in cases {
            assert_eq!(likelier_when_undecided(vote, "徐莹", &raw), want, "{raw:?}");
        }
        let decided = Vote {
            text: None,
            decided: true,
            trusted: false,
        };
        let kept = likelier_when_undecided(decided, "徐莹", &raw("徐莹", "徐莲"));
        assert_eq!(kept.text, None, "a decided vote is left as it is");
    }

    #[test]
    fn a_fourth_reading_decides_only_with_the_first_models_readings() {
        let taken = |text: &str| Vote {
            text: Some(text.into()),
            decided: true,
            trusted: true,
        };
        let kept = Vote {
            text: None,
            decided: true,
            trusted: true,
        };
        // (first model, first model in black and white, other model in black and white)
        let cases = [
            ("胡淑莲", "胡淑婵", "胡淑莲", Some(kept)),
            ("胡淑莹", "胡淑莲", "胡淑莲", Some(taken("胡淑莲"))),
            ("胡淑莹", "胡淑婵", "胡淑莲", None),
            ("胡淑莹", "胡淑婵", "", None),
        ];
        for (first, third, fourth, want) in cases {
            let vote = cast_fourth_vote(Field::DeceasedName, first, third, fourth.to_string());
            assert_eq!(vote, want, "{first} / {third} / {fourth}");
        }
    }

    #[test]
    fn a_sure_reading_that_passes_its_check_is_the_better_guess() {
        let reading = |text: &str, confidence: f32| Reading {
            text: text.into(),
            confidence,
        };
        assert!(surer_reading(Field::DeathDate, &reading("2014/6/16", 0.84)));
        assert!(!surer_reading(Field::DeathDate, &reading("2014/6/16", 0.6)), "unsure");
        assert!(!surer_reading(Field::DeathDate, &reading("2014/16/6", 0.9)), "no date");
        assert!(
            !surer_reading(Field::IdNumber, &reading("370102195003021235", 0.9)),
            "checksum"
        );
    }

    /// A page 1200 x 720 at level `paper`, ruled 8 rows by 7 columns of 150 x 70 pixels
    /// from (50, 60) at level `rule`, two pixels wide, with ink at level `ink` where
    /// `written` says, by the place within its cell.
    fn ruled_page(paper: u8, rule: u8, ink: u8, written: impl Fn(u32, u32) -> bool) -> GrayImage {
        let on_rule = |at: u32, first: u32, pitch: u32, count: u32| {
            at >= first && (at - first) % pitch < 2 && (at - first) / pitch <= count
        };
        GrayImage::from_fn(1200, 720, |x, y| {
            let (within_x, within_y) = ((50..=1101).contains(&x), (60..=621).contains(&y));
            let on_a_rule = (on_rule(y, 60, 70, 8) && within_x) || (on_rule(x, 50, 150, 7) && within_y);
            let writing = within_x && within_y && written((x - 50) % 150, (y - 60) % 70);
            Luma([if on_a_rule {
                rule
            } else if writing {
                ink
            } else {
                paper
            }])
        })
    }

    #[test]
    fn a_table_ruled_faintly_is_found_on_the_faint_ink() {
        // Yellowed paper (226) ruled 30 levels darker, each cell written in black.
        let page = ruled_page(226, 196, 40, |x, y| x > 30 && x < 90 && y > 25 && y < 45);
        let image = DynamicImage::ImageLuma8(page);
        let clean = preprocess::clean(&image);
        assert!(
            grid::detect(&clean.ink).is_none_or(|g| g.too_small_for_a_ledger()),
            "the ordinary ink breaks the rules"
        );
        let (table, _) = table_of(&image, &clean, false).expect("found on the faint ink");
        assert_eq!((table.body_rows(), table.columns()), (7, 7));
    }

    #[test]
    fn a_few_words_cell_not_taken_as_read_is_settled_by_a_picture_of_its_column_read_after_it() {
        // Ruled in black, each cell written with the same two strokes.
        let page = ruled_page(250, 20, 20, |x, y| {
            x > 30 && x < 90 && y > 25 && y < 45 || x > 100 && x < 110 && y > 15
        });
        let page = preprocess::clean(&DynamicImage::ImageLuma8(page));
        let grid = grid::detect(&page.ink).expect("the ruled table");
        let relation = ColumnRole::Field(Field::FamilyRelation);
        let mut roles = vec![ColumnRole::Unknown; grid.columns()];
        roles[2] = relation;
        let config = EngineConfig {
            tessdata: None,
            full_chi_sim: None,
        };
        let mut body = BodyReader::new(Sheet {
            config: &config,
            page: &page,
            grid: &grid,
            dpi: 300,
        });
        let cell_of =
            |row: usize, col: usize| cut_cell(&page, grid.cell(row, col), PaperOf::for_mode(read_mode(relation)));
        // Row 5's relation, read well, after rows 1-4.
        body.words
            .learn(Field::FamilyRelation, &cell_of(5, 2).expect("ink"), "配偶", 0.91);
        let reading = |row: usize, col: usize, text: &str, confidence: f32, inked: bool| CellReading {
            row,
            col,
            bbox: grid.cell(row, col),
            text: Some(text.to_string()),
            confidence,
            inked,
        };
        let mut cells = vec![
            reading(1, 2, "酒偶", 0.95, true),
            reading(2, 2, "配偶", 0.90, true),
            reading(3, 3, "酒偶", 0.50, true),
            reading(4, 2, "儿子", 0.50, false),
        ];
        body.settle_words_by_the_whole_page(&mut cells, &roles);
        let settled: Vec<(&str, f32)> = cells
            .iter()
            .map(|c| (c.text.as_deref().unwrap(), c.confidence))
            .collect();
        assert_eq!(
            settled,
            [
                ("配偶", 0.91), // no listed word: the picture's reading
                ("配偶", 0.90), // taken as read
                ("酒偶", 0.50), // no column of few words
                ("儿子", 0.50), // no ink
            ]
        );
    }

    #[test]
    fn dark_ink_only_drops_a_grey_seal_and_keeps_the_writing() {
        // Paper, a stroke of writing, a seal's mid-grey band, and writing under the seal
        // (darker still where they cross).
        let mut cell = GrayImage::from_pixel(40, 10, Luma([255]));
        for x in 0..40 {
            cell.put_pixel(x, 2, Luma([150]));
        }
        for y in 0..10 {
            cell.put_pixel(5, y, Luma([20]));
        }
        let dark = dark_ink_only(&cell);
        assert_eq!(dark.get_pixel(20, 2).0[0], 255, "the seal is gone");
        assert_eq!(dark.get_pixel(5, 8).0[0], 0, "the writing stays");
        assert_eq!(dark.get_pixel(5, 2).0[0], 0, "the writing under the seal stays");
        assert_eq!(dark.get_pixel(30, 8).0[0], 255, "paper stays paper");
    }
}
