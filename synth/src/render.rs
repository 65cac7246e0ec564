//! Drawing a ledger page: title, agency line, ruled table, header and cells.

use ab_glyph::{FontVec, PxScale};
use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_filled_rect_mut, draw_text_mut, text_size};
use imageproc::rect::Rect;
use ledgerline_schemas::RecordFields;
use rand::Rng;

use crate::fonts::Fonts;
use crate::templates::{Content, Template};

/// A4 landscape at 300 dpi.
pub const PAGE_W: u32 = 3508;
pub const PAGE_H: u32 = 2480;
const MARGIN: u32 = 150;
const TABLE_TOP: u32 = 360;
const HEADER_H: u32 = 120;

/// How a page's rules are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleStyle {
    Solid,
    Faint,
    /// Rules with gaps, as on worn or badly photocopied ledgers.
    Broken,
}

/// Everything that varies between pages besides content.
pub struct PageLook {
    pub face: usize,
    pub ink: Rgb<u8>,
    pub paper: Rgb<u8>,
    pub rules: RuleStyle,
    pub font_px: f32,
}

pub struct PageText<'a> {
    pub template: &'a Template,
    pub agency: &'a str,
    pub volume: &'a str,
    pub page_no: u32,
    pub year: u16,
    /// Each row's fields as written (blanks already removed) and its serial number.
    pub rows: &'a [(u32, RecordFields)],
    /// Rows the table has room for; unused rows stay empty, as on a real last page.
    pub capacity: u32,
}

/// Draws `text` inside `cell`, shrinking the font until it fits.
fn draw_in_cell(img: &mut RgbImage, font: &FontVec, px: f32, color: Rgb<u8>, cell: Rect, text: &str, center: bool) {
    let pad = 14.0;
    let avail = cell.width() as f32 - 2.0 * pad;
    let mut scale = px;
    let (mut w, mut h) = text_size(PxScale::from(scale), font, text);
    while w as f32 > avail && scale > 22.0 {
        scale -= 2.0;
        (w, h) = text_size(PxScale::from(scale), font, text);
    }
    let x = if center {
        cell.left() + ((cell.width() as i32 - w as i32) / 2).max(pad as i32)
    } else {
        cell.left() + pad as i32
    };
    let y = cell.top() + (cell.height() as i32 - h.max(scale as u32) as i32) / 2;
    draw_text_mut(img, color, x, y, PxScale::from(scale), font, text);
}

/// One ruled line: across the page at `at` (a y for horizontal, an x for vertical),
/// from `from` to `to` along it.
struct Line {
    horizontal: bool,
    at: i32,
    from: i32,
    to: i32,
    thick: u32,
}

fn rule<R: Rng>(img: &mut RgbImage, rng: &mut R, style: RuleStyle, line: Line) {
    let Line {
        horizontal,
        at,
        from,
        to,
        thick,
    } = line;
    let color = match style {
        RuleStyle::Faint => Rgb([170, 170, 170]),
        _ => Rgb([40, 40, 40]),
    };
    let mut start = from;
    while start < to {
        let mut len = to - start;
        if style == RuleStyle::Broken {
            len = len.min(rng.random_range(40..400));
        }
        let r = if horizontal {
            Rect::at(start, at).of_size(len as u32, thick)
        } else {
            Rect::at(at, start).of_size(thick, len as u32)
        };
        draw_filled_rect_mut(img, r, color);
        start += len;
        if style == RuleStyle::Broken {
            start += rng.random_range(6..30);
        }
    }
}

/// Column x boundaries for the template across the table width.
pub fn column_edges(template: &Template) -> Vec<u32> {
    let total: f32 = template.columns.iter().map(|c| c.weight).sum();
    let width = (PAGE_W - 2 * MARGIN) as f32;
    let mut x = MARGIN as f32;
    let mut edges = vec![MARGIN];
    for c in template.columns {
        x += width * c.weight / total;
        edges.push(x.round() as u32);
    }
    *edges.last_mut().unwrap() = PAGE_W - MARGIN;
    edges
}

pub fn row_height(capacity: u32) -> u32 {
    (PAGE_H - TABLE_TOP - HEADER_H - MARGIN) / capacity
}

/// Draws the page.
pub fn draw_page<R: Rng>(rng: &mut R, fonts: &Fonts, look: &PageLook, text: &PageText) -> RgbImage {
    let mut img = RgbImage::from_pixel(PAGE_W, PAGE_H, look.paper);
    let font = &fonts.faces[look.face];
    let t = text.template;

    let (tw, _) = text_size(PxScale::from(96.0), &fonts.title, t.title);
    draw_text_mut(
        &mut img,
        Rgb([20, 20, 20]),
        (PAGE_W as i32 - tw as i32) / 2,
        110,
        PxScale::from(96.0),
        &fonts.title,
        t.title,
    );
    let sub = format!(
        "单位：{}    第{}卷    {}年    第{}页",
        text.agency, text.volume, text.year, text.page_no
    );
    draw_text_mut(
        &mut img,
        Rgb([30, 30, 30]),
        MARGIN as i32,
        260,
        PxScale::from(46.0),
        font,
        &sub,
    );

    let edges = column_edges(t);
    let rh = row_height(text.capacity);
    let bottom = TABLE_TOP + HEADER_H + rh * text.capacity;
    let mut ys = vec![TABLE_TOP, TABLE_TOP + HEADER_H];
    ys.extend((1..=text.capacity).map(|i| TABLE_TOP + HEADER_H + rh * i));
    for (i, &y) in ys.iter().enumerate() {
        let thick = if i == 0 || i + 1 == ys.len() { 6 } else { 3 };
        let line = Line {
            horizontal: true,
            at: y as i32,
            from: MARGIN as i32,
            to: (PAGE_W - MARGIN) as i32,
            thick,
        };
        rule(&mut img, rng, look.rules, line);
    }
    for (i, &x) in edges.iter().enumerate() {
        let thick = if i == 0 || i + 1 == edges.len() { 6 } else { 3 };
        let line = Line {
            horizontal: false,
            at: x as i32,
            from: TABLE_TOP as i32,
            to: bottom as i32,
            thick,
        };
        rule(&mut img, rng, look.rules, line);
    }

    for (c, col) in t.columns.iter().enumerate() {
        let cell = Rect::at(edges[c] as i32, TABLE_TOP as i32).of_size(edges[c + 1] - edges[c], HEADER_H);
        draw_in_cell(
            &mut img,
            &fonts.title,
            look.font_px + 2.0,
            Rgb([20, 20, 20]),
            cell,
            col.header,
            true,
        );
    }
    for (r, (serial, fields)) in text.rows.iter().enumerate() {
        let y = TABLE_TOP + HEADER_H + rh * r as u32;
        for (c, col) in t.columns.iter().enumerate() {
            let cell = Rect::at(edges[c] as i32, y as i32).of_size(edges[c + 1] - edges[c], rh);
            let (s, center) = match col.content {
                Content::Serial => (Some(serial.to_string()), true),
                Content::Field(f) => (t.cell_text(f, fields), col.weight < 0.8),
            };
            if let Some(s) = s {
                draw_in_cell(&mut img, font, look.font_px, look.ink, cell, &s, center);
            }
        }
    }
    img
}
