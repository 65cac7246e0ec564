//! The page's own glyphs: a cell of digits, a date or a 性别 read by matching its
//! characters against the page's earlier cells, instead of by Tesseract.
//!
//! A ledger page is written in one hand or one typeface, and its ID numbers prove their
//! own reading: an 18-digit number that passes its checksum was read right, digit by
//! digit. Cut into characters, such a cell labels the page's own picture of every digit
//! it holds. Later cells (ID numbers, dates, ages, phones, serials) are cut the same way
//! and each character matched against those pictures; when every character matches one
//! label clearly and the whole passes its field's check, that is the reading, at a
//! fraction of a Tesseract read's cost. Anything less clear (a character no earlier cell
//! showed, touching characters, dust, a seal) is left to Tesseract as before, and the
//! bank learns from what Tesseract then proves.
//!
//! What a reading may teach depends on what proves it. Numerals and 男/女 are learnt only
//! from proven readings: an ID number's checksum proves its digits and, by its 17th
//! digit, the 性别 cell of its row; a date both models read alike proves its numerals
//! (how a page without ID numbers, or with dates in Chinese numerals, gets them). A date
//! or an age that merely parses can still hold a misread digit, so it teaches only its
//! other characters (年, 月, 日, 岁, separators), and only when the bank reads its
//! numerals the same as Tesseract did. The bank never learns from its own readings.

use crate::normalize::CHINESE_NUMERALS;
use image::GrayImage;

/// Side of the square a character is scaled to for matching.
const SIDE: usize = 16;
/// Pictures kept per character: a few, for the variation of one hand or face (4 left
/// a tenth more cells to Tesseract, their one odd character just too far).
const SAMPLES_PER_CHAR: usize = 6;
/// Darker than this is ink in a cut cell (cut cells are contrast-stretched: paper 255).
/// Halfway (128) cut the hairlines of serif digits: IDs fell into 19 to 26 pieces.
pub(crate) const INK: u8 = 160;
/// A character's picture is at most this far (mean squared difference of darkness,
/// aspect term included) from its label's nearest picture. Between digits of one face
/// the nearest other digit was 0.045 (a 0 and a 6) to 0.3; the margin rule below is
/// what keeps those apart.
const MAX_DISTANCE: f32 = 0.06;
/// ... and every picture of any other label is at least this many times farther.
const MIN_MARGIN: f32 = 2.0;
/// Weight of the difference in log aspect ratio: a 1 and a 7 scaled to the same square
/// can look alike; their widths do not.
const ASPECT_WEIGHT: f32 = 0.05;
/// A digit Tesseract read is doubted (see [`GlyphBank::doubts`]) when it is at most this
/// far from another digit's pictures ...
const DOUBT_DISTANCE: f32 = 0.075;
/// ... and this many times farther from its own.
const DOUBT_MARGIN: f32 = 1.25;
/// A piece of ink with fewer pixels than this is dust, not a character.
const MIN_GLYPH_INK: u32 = 6;

fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || CHINESE_NUMERALS.contains(&c)
}

/// The two characters of a 性别 cell.
const SEXES: [char; 2] = ['男', '女'];

/// Characters learnt only from proven readings: numerals, and 男/女 (a wrong picture of
/// either would misread every later cell like it).
fn needs_proof(c: char) -> bool {
    is_numeral(c) || SEXES.contains(&c)
}

/// Whether a cell's numerals were cut evenly: each about as tall as the tallest and
/// none much wider than the typical one (two digits run together are twice as wide;
/// a speck kept as a character is short). Chinese numerals vary too much in shape
/// (一 is flat) to be held to this.
fn evenly_cut(shapes: &[Shape], labels: &[char]) -> bool {
    let digits: Vec<&Shape> = shapes
        .iter()
        .zip(labels)
        .filter(|(_, l)| l.is_ascii_digit())
        .map(|(s, _)| s)
        .collect();
    let Some(tallest) = digits.iter().map(|s| s.height).max() else {
        return true;
    };
    let mut widths: Vec<u32> = digits.iter().map(|s| s.width).collect();
    widths.sort_unstable();
    let typical = widths[widths.len() / 2];
    digits
        .iter()
        .all(|s| s.height * 10 >= tallest * 7 && s.width * 10 <= typical * 16)
}

/// The characters an ID number's last place may hold, digits first.
const ID_LAST: [char; 11] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'X'];

fn id_checksum_passes(chars: &[char]) -> bool {
    let first17: String = chars[..17].iter().collect();
    ledgerline_schemas::id_number::check_char(&first17) == Some(chars[17])
}

/// Whether small pieces of ink on the baseline are kept as characters (a date's `.`)
/// or dropped as dust (an ID number has no dots).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dots {
    Keep,
    Drop,
}

impl Dots {
    /// Dots for a cell read as `text`: kept when the reading has one.
    fn as_in(text: &str) -> Dots {
        if text.contains('.') {
            Dots::Keep
        } else {
            Dots::Drop
        }
    }
}

/// A character's two nearest labels, nearest first, with their distances.
#[derive(Debug, Clone, Copy)]
struct Match {
    nearest: [(char, f32); 2],
}

impl Match {
    /// The nearest label when the character is near it and clear of every other label.
    fn clear(&self) -> Option<char> {
        let [(label, d), (_, runner_up)] = self.nearest;
        (d <= MAX_DISTANCE && runner_up >= MIN_MARGIN * d.max(1e-6)).then_some(label)
    }
}

/// One character cut from a cell: its ink scaled to a square, and its shape's aspect.
#[derive(Debug, Clone)]
struct Shape {
    grid: [f32; SIDE * SIDE],
    log_aspect: f32,
    /// Size in pixels, for telling an evenly cut cell.
    width: u32,
    height: u32,
}

impl Shape {
    /// Mean squared difference of the two squares, the best of the nine alignments a
    /// square apart (a character cut a pixel wider or taller shifts its picture), plus the
    /// aspect term; `None` when that is not below `limit`. Matching is most of the bank's
    /// cost (every character against every picture, nine times): a comparison stops as
    /// soon as its running sum shows it cannot come under the limit.
    fn distance_below(&self, other: &Shape, limit: f32) -> Option<f32> {
        let aspect = self.log_aspect - other.log_aspect;
        let aspect_term = ASPECT_WEIGHT * aspect * aspect;
        grid_difference_below(&self.grid, &other.grid, SIDE, limit - aspect_term).map(|d| d + aspect_term)
    }
}

/// Mean squared difference of two grids of darkness `width` squares wide (row after
/// row), the best of the nine alignments a square apart; `None` when none is below
/// `limit`. A comparison stops as soon as its running sum shows it cannot come under the
/// best so far.
#[inline]
pub(crate) fn grid_difference_below(a: &[f32], b: &[f32], width: usize, limit: f32) -> Option<f32> {
    let mut best = limit;
    let mut found = false;
    for (dx, dy) in SHIFTS {
        if let Some(d) = shifted_difference_below(a, b, width, dx, dy, best) {
            best = d;
            found = true;
        }
    }
    found.then_some(best)
}

#[inline]
fn shifted_difference_below(a: &[f32], b: &[f32], width: usize, dx: i32, dy: i32, limit: f32) -> Option<f32> {
    let (w, h) = (width as i32, (a.len() / width) as i32);
    let (xs, ys) = (0.max(-dx)..w.min(w - dx), 0.max(-dy)..h.min(h - dy));
    let n = (xs.len() * ys.len()) as f32;
    let most = limit * n;
    let mut sum = 0.0;
    for y in ys {
        let a = &a[(y * w) as usize..][..width];
        let b = &b[((y + dy) * w) as usize..][..width];
        for x in xs.clone() {
            let d = a[x as usize] - b[(x + dx) as usize];
            sum += d * d;
        }
        if sum >= most {
            return None;
        }
    }
    Some(sum / n)
}

/// The source pixels `from..to` of a picture's `i`th square of `parts` along `len`
/// pixels: at least one pixel, for ink smaller than the picture.
pub(crate) fn square_span(i: usize, parts: usize, len: u32) -> (u32, u32) {
    let from = (i as u32 * len) / parts as u32;
    let to = (((i + 1) as u32 * len) / parts as u32).max(from + 1).min(len);
    (from, to)
}

/// The alignments tried, the unshifted first (it is most often the best, and the limit
/// it sets cuts the others short).
const SHIFTS: [(i32, i32); 9] = [
    (0, 0),
    (-1, 0),
    (1, 0),
    (0, -1),
    (0, 1),
    (-1, -1),
    (1, -1),
    (-1, 1),
    (1, 1),
];

#[derive(Debug, Clone)]
struct Sample {
    label: char,
    shape: Shape,
}

/// A cell cut into characters that its reading labels one for one: what the bank can
/// learn from. A cell cut into other pieces than its text has characters, or cut
/// unevenly (a digit in two pieces beside two digits run together can still count 18),
/// teaches nothing, however its reading is proven, so it is not worth proving.
pub struct Cut {
    shapes: Vec<Shape>,
    labels: Vec<char>,
}

impl Cut {
    pub fn of(cell: &GrayImage, text: &str) -> Option<Cut> {
        let shapes = cut_characters(cell, Dots::as_in(text))?;
        let labels: Vec<char> = text.chars().collect();
        (shapes.len() == labels.len() && evenly_cut(&shapes, &labels)).then_some(Cut { shapes, labels })
    }
}

/// What a page has shown of its characters so far.
#[derive(Debug, Default)]
pub struct GlyphBank {
    samples: Vec<Sample>,
}

/// What proves a reading's digits right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// An ID number that passed its checksum: its digits, and the 男/女 its 17th digit
    /// gives a 性别 cell of its row.
    Checksum,
    /// Both models read the cell the same.
    BothModels,
    /// Nothing: the digits may be misread, though the reading parses.
    None,
}

impl GlyphBank {
    /// Reads a cut cell from the page's pictures, or `None` when any character is unclear.
    pub fn read(&self, cell: &GrayImage) -> Option<String> {
        let matches = self.match_characters(cell, Dots::Keep)?;
        matches.iter().map(|m| self.clear(m)).collect()
    }

    /// Reads an ID number cell: like [`GlyphBank::read`], except that one unclear
    /// character (dust touching it, most often) is settled by the checksum, when exactly
    /// one value passes it and that value is one of the character's two nearest labels.
    pub fn read_id_number(&self, cell: &GrayImage) -> Option<String> {
        let matches = self.match_characters(cell, Dots::Drop)?;
        if matches.len() != 18 {
            return None;
        }
        let unclear: Vec<usize> = (0..18).filter(|&i| self.clear(&matches[i]).is_none()).collect();
        let mut chars: Vec<char> = matches.iter().map(|m| m.nearest[0].0).collect();
        match unclear[..] {
            [] => {}
            [at] => {
                let candidates: &[char] = if at == 17 { &ID_LAST } else { &ID_LAST[..10] };
                let mut passing = candidates.iter().copied().filter(|&c| {
                    chars[at] = c;
                    id_checksum_passes(&chars)
                });
                let (Some(settled), None) = (passing.next(), passing.next()) else {
                    return None;
                };
                if !matches[at].nearest.iter().any(|(label, _)| *label == settled) {
                    return None;
                }
                chars[at] = settled;
            }
            _ => return None,
        }
        Some(chars.into_iter().collect())
    }

    /// A character's label when it is clear and the bank knows every label like it.
    fn clear(&self, m: &Match) -> Option<char> {
        m.clear().filter(|label| self.knows_all_like(*label))
    }

    /// Every character of a cell matched against the bank; `None` for a cell without
    /// characters or an empty bank.
    fn match_characters(&self, cell: &GrayImage, dots: Dots) -> Option<Vec<Match>> {
        if self.samples.is_empty() {
            return None;
        }
        let shapes = cut_characters(cell, dots)?;
        Some(shapes.iter().map(|s| self.nearest(s)).collect())
    }

    /// The two nearest labels of a character and their distances.
    fn nearest(&self, shape: &Shape) -> Match {
        let none = (char::REPLACEMENT_CHARACTER, f32::INFINITY);
        let (mut best, mut second) = (none, none);
        for s in &self.samples {
            // Only a distance under these can change the two nearest labels.
            let limit = if s.label == best.0 { best.1 } else { second.1 };
            let Some(d) = shape.distance_below(&s.shape, limit) else {
                continue;
            };
            if s.label == best.0 {
                best.1 = d;
            } else if d < best.1 {
                second = best;
                best = (s.label, d);
            } else {
                second = (s.label, d);
            }
        }
        Match {
            nearest: [best, second],
        }
    }

    /// Learns from a cell read `text` (see [`GlyphBank::learn_cut`]).
    pub fn learn(&mut self, cell: &GrayImage, text: &str, proof: Proof) {
        if let Some(cut) = Cut::of(cell, text) {
            self.learn_cut(cut, proof);
        }
    }

    /// Learns from a cell cut as its reading. Numerals (Arabic and Chinese) and 男/女 are
    /// learnt only when `proof` proves them; other characters (年, 月, 日, 岁,
    /// separators) from any reading whose numerals the bank already reads the same.
    /// Nothing is learnt from a cell holding a character the bank clearly reads as
    /// another.
    pub fn learn_cut(&mut self, cut: Cut, proof: Proof) {
        let Cut { shapes, labels } = cut;
        let proven = proof != Proof::None;
        let consistent = shapes.iter().zip(&labels).all(|(shape, label)| {
            match self.clear(&self.nearest(shape)) {
                Some(c) => c == *label,
                // A numeral the bank cannot read clearly is learnt only when proven.
                None => proven || !needs_proof(*label),
            }
        });
        if !consistent {
            return;
        }
        for (shape, label) in shapes.into_iter().zip(labels) {
            if !proven && needs_proof(label) {
                continue;
            }
            if self.count(label) < SAMPLES_PER_CHAR {
                self.samples.push(Sample { label, shape });
            }
        }
    }

    /// Whether a sure reading is worth the other model's read to prove its numerals:
    /// while it holds a numeral the bank has seen fewer than twice (on pages without ID
    /// numbers, and for dates in Chinese numerals, nothing else proves them).
    pub fn wants_proof_of(&self, text: &str) -> bool {
        text.chars().any(|c| is_numeral(c) && self.count(c) < 2)
    }

    fn count(&self, label: char) -> usize {
        self.samples.iter().filter(|s| s.label == label).count()
    }

    /// Whether the bank holds every character a label could be confused with: all ten
    /// digits for a digit, all eleven Chinese numerals for one of them. Until then a
    /// character not yet seen (a 6 before any 6) could match its nearest seen neighbour
    /// (a 0) clearly, for want of its own picture.
    fn knows_all_like(&self, label: char) -> bool {
        let family: &[char] = if label.is_ascii_digit() {
            &ID_LAST[..10]
        } else if CHINESE_NUMERALS.contains(&label) {
            &CHINESE_NUMERALS
        } else if SEXES.contains(&label) {
            &SEXES
        } else {
            return true;
        };
        family.iter().all(|c| self.count(*c) > 0)
    }

    /// Whether the page's glyphs bear out a reading Tesseract was unsure of: the cell
    /// cuts into as many characters as `text` has, each nearest its character's pictures
    /// (of a family the bank knows whole), all but at most one of them clearly. Two
    /// independent readings, Tesseract's and the glyphs', agreeing is what a second
    /// model's read was asked for; most such cells missed a bank reading by one
    /// character just too far from its pictures.
    pub fn agrees_with(&self, cell: &GrayImage, text: &str) -> bool {
        let Some(matches) = self.match_characters(cell, Dots::as_in(text)) else {
            return false;
        };
        let labels: Vec<char> = text.chars().collect();
        if matches.len() != labels.len() {
            return false;
        }
        let all_nearest = matches
            .iter()
            .zip(&labels)
            .all(|(m, l)| m.nearest[0].0 == *l && self.knows_all_like(*l));
        let unclear = matches.iter().filter(|m| self.clear(m).is_none()).count();
        all_nearest && unclear <= 1
    }

    /// Whether the page's glyphs doubt a reading of digits: the cell cuts into as many
    /// characters as `text` has, each nearest its own label's pictures but one digit,
    /// which is near another digit's (within [`DOUBT_DISTANCE`]), at least
    /// [`DOUBT_MARGIN`] times farther from its own, and not clearly that other digit.
    ///
    /// Not clearly: on generated batches, the digits Tesseract misread sure (a 6 read 5,
    /// a 5 read 3, a 3 read 8) lay between two of the page's pictures, nearer the right
    /// one; a digit the bank took clearly for another was the bank's own confusion, the
    /// same on every phone of a page (each 4 of one page's phones, clearly a 1 of the
    /// pictures its ID numbers showed).
    pub fn doubts(&self, cell: &GrayImage, text: &str) -> bool {
        let labels: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        if !labels.iter().any(|&c| c.is_ascii_digit() && self.knows_all_like(c)) {
            return false;
        }
        let Some(shapes) = cut_characters(cell, Dots::as_in(text)) else {
            return false;
        };
        if shapes.len() != labels.len() {
            return false;
        }
        let mut read_otherwise = shapes
            .iter()
            .zip(&labels)
            .map(|(shape, &read)| (shape, read, self.nearest(shape)))
            .filter(|(_, read, m)| m.nearest[0].0 != *read);
        let (Some((shape, read, m)), None) = (read_otherwise.next(), read_otherwise.next()) else {
            return false;
        };
        let (nearest, distance) = m.nearest[0];
        read.is_ascii_digit()
            && nearest.is_ascii_digit()
            && self.knows_all_like(read)
            && self.clear(&m).is_none()
            && distance <= DOUBT_DISTANCE
            && self.distance_to(shape, read) >= DOUBT_MARGIN * distance
    }

    /// The distance of a character to the nearest picture of `label`.
    fn distance_to(&self, shape: &Shape, label: char) -> f32 {
        self.samples
            .iter()
            .filter(|s| s.label == label)
            .filter_map(|s| shape.distance_below(&s.shape, f32::INFINITY))
            .fold(f32::INFINITY, f32::min)
    }

    /// How many pictures the bank holds.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

/// The characters of a one-line cell, left to right. `None` for a cell without any.
///
/// Dust is the hazard: a speck beside a character would change its picture. So the
/// cell's ink within the line's band of rows is split into connected pieces; small round
/// pieces are dust and dropped, unless they sit on the baseline (a date's `.`); the rest
/// are grouped into characters by the columns they share (a character of several
/// strokes, like 年 or 岁 written with a break, is one group). A character's
/// picture is made from its own pieces only.
fn cut_characters(cell: &GrayImage, dots: Dots) -> Option<Vec<Shape>> {
    let (top, bottom) = line_band(cell)?;
    let pieces = Pieces::label(cell, top, bottom);
    let band = bottom - top;
    let mut groups: Vec<Group> = Vec::new();
    let mut kept: Vec<&Piece> = pieces
        .list
        .iter()
        .filter(|p| p.pixels >= MIN_GLYPH_INK)
        .filter(|p| {
            let (w, h) = (p.x1 - p.x0, p.y1 - p.y0);
            let small = w * 10 < band * 3 && h * 10 < band * 3;
            // A short dash is small too, but no speck is that long one way.
            let round = w <= 2 * h && h <= 2 * w;
            let on_baseline = (bottom - p.y1) * 4 < band;
            !(small && round) || (on_baseline && dots == Dots::Keep)
        })
        .collect();
    kept.sort_by_key(|p| p.x0);
    for p in kept {
        match groups.last_mut() {
            Some(g) if p.x0 < g.x1 => g.add(p),
            _ => groups.push(Group::of(p)),
        }
    }
    let shapes: Vec<Shape> = groups.iter().map(|g| g.shape(cell, &pieces)).collect();
    (!shapes.is_empty()).then_some(shapes)
}

/// Connected pieces of ink (8-neighbours) in rows `top..bottom` of a cell.
struct Pieces {
    width: u32,
    top: u32,
    /// Piece number + 1 of each pixel of the band, 0 for paper.
    labels: Vec<u32>,
    list: Vec<Piece>,
}

#[derive(Debug, Clone, Copy)]
struct Piece {
    id: u32,
    pixels: u32,
    x0: u32,
    x1: u32,
    y0: u32,
    y1: u32,
}

impl Pieces {
    fn label(cell: &GrayImage, top: u32, bottom: u32) -> Pieces {
        let width = cell.width();
        let height = bottom - top;
        let at = |x: u32, y: u32| (y * width + x) as usize;
        let mut labels = vec![0u32; (width * height) as usize];
        let ink: Vec<bool> = (top..bottom)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| cell.get_pixel(x, y).0[0] < INK)
            .collect();
        let mut list = Vec::new();
        let mut stack = Vec::new();
        for start in 0..labels.len() {
            if !ink[start] || labels[start] != 0 {
                continue;
            }
            let id = list.len() as u32 + 1;
            let (sx, sy) = (start as u32 % width, start as u32 / width);
            let mut piece = Piece {
                id,
                pixels: 0,
                x0: sx,
                x1: sx + 1,
                y0: sy + top,
                y1: sy + top + 1,
            };
            labels[start] = id;
            stack.push((sx, sy));
            while let Some((x, y)) = stack.pop() {
                piece.pixels += 1;
                piece.x0 = piece.x0.min(x);
                piece.x1 = piece.x1.max(x + 1);
                piece.y0 = piece.y0.min(y + top);
                piece.y1 = piece.y1.max(y + top + 1);
                for ny in y.saturating_sub(1)..(y + 2).min(height) {
                    for nx in x.saturating_sub(1)..(x + 2).min(width) {
                        let i = at(nx, ny);
                        if ink[i] && labels[i] == 0 {
                            labels[i] = id;
                            stack.push((nx, ny));
                        }
                    }
                }
            }
            list.push(piece);
        }
        Pieces {
            width,
            top,
            labels,
            list,
        }
    }

    fn id_at(&self, x: u32, y: u32) -> u32 {
        self.labels[((y - self.top) * self.width + x) as usize]
    }
}

/// The pieces of one character and the box round them.
struct Group {
    ids: Vec<u32>,
    x0: u32,
    x1: u32,
    y0: u32,
    y1: u32,
}

impl Group {
    fn of(p: &Piece) -> Group {
        Group {
            ids: vec![p.id],
            x0: p.x0,
            x1: p.x1,
            y0: p.y0,
            y1: p.y1,
        }
    }

    fn add(&mut self, p: &Piece) {
        self.ids.push(p.id);
        self.x0 = self.x0.min(p.x0);
        self.x1 = self.x1.max(p.x1);
        self.y0 = self.y0.min(p.y0);
        self.y1 = self.y1.max(p.y1);
    }

    /// The group's ink scaled to the square: each square holds the mean darkness of the
    /// source pixels it covers (at least one, for a character smaller than the square,
    /// like a dot), counting only the group's own pieces.
    fn shape(&self, cell: &GrayImage, pieces: &Pieces) -> Shape {
        let (gw, gh) = (self.x1 - self.x0, self.y1 - self.y0);
        let span = |i: usize, len: u32| square_span(i, SIDE, len);
        let mut grid = [0f32; SIDE * SIDE];
        for gy in 0..SIDE {
            let (sy0, sy1) = span(gy, gh);
            for gx in 0..SIDE {
                let (sx0, sx1) = span(gx, gw);
                let mut dark = 0u32;
                for y in self.y0 + sy0..self.y0 + sy1 {
                    for x in self.x0 + sx0..self.x0 + sx1 {
                        if self.ids.contains(&pieces.id_at(x, y)) {
                            dark += 255 - u32::from(cell.get_pixel(x, y).0[0]);
                        }
                    }
                }
                grid[gy * SIDE + gx] = dark as f32 / (255 * (sy1 - sy0) * (sx1 - sx0)) as f32;
            }
        }
        Shape {
            grid,
            log_aspect: (gw as f32 / gh as f32).ln(),
            width: gw,
            height: gh,
        }
    }
}

/// The rows of a cell's line of writing: the longest run of rows holding ink (gaps of a
/// pixel or two bridged), as `top..bottom`.
fn line_band(cell: &GrayImage) -> Option<(u32, u32)> {
    let (w, h) = cell.dimensions();
    let inked: Vec<bool> = (0..h)
        .map(|y| (0..w).any(|x| cell.get_pixel(x, y).0[0] < INK))
        .collect();
    let mut best: Option<(u32, u32)> = None;
    let mut y = 0;
    while y < h {
        if !inked[y as usize] {
            y += 1;
            continue;
        }
        let start = y;
        let mut end = y + 1;
        while y < h && (inked[y as usize] || (y + 2 < h && (inked[y as usize + 1] || inked[y as usize + 2]))) {
            if inked[y as usize] {
                end = y + 1;
            }
            y += 1;
        }
        if best.is_none_or(|(a, b)| end - start > b - a) {
            best = Some((start, end));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    /// Strokes (x, y, w, h) of a character in a 20 x 30 box: digits as on a
    /// seven-segment display, and a short dash.
    fn strokes(c: char) -> Vec<(u32, u32, u32, u32)> {
        let segment = |s: char| match s {
            'a' => (0, 0, 20, 4),
            'b' => (16, 0, 4, 15),
            'c' => (16, 15, 4, 15),
            'd' => (0, 26, 20, 4),
            'e' => (0, 15, 4, 15),
            'f' => (0, 0, 4, 15),
            'g' => (0, 13, 20, 4),
            // A short dash: as small as dust, but long.
            'h' => (6, 13, 8, 3),
            // A middle upright, for the two made-up pictures of 男 and 女 below.
            'i' => (8, 0, 4, 30),
            _ => unreachable!(),
        };
        let lit = match c {
            '0' => "abcdef",
            '1' => "bc",
            '2' => "abged",
            '3' => "abgcd",
            '4' => "fgbc",
            '5' => "afgcd",
            '6' => "afgedc",
            '7' => "abc",
            '8' => "abcdefg",
            '9' => "abcdfg",
            '-' => "h",
            '男' => "abcdefgi",
            '女' => "gi",
            _ => unreachable!("no strokes for {c}"),
        };
        lit.chars().map(segment).collect()
    }

    const LINE_TOP: u32 = 30;
    const PITCH: u32 = 28;

    fn left_of(i: usize) -> u32 {
        12 + i as u32 * PITCH
    }

    /// A cut cell holding `text` on one line, with 3 x 3 specks of dust at `dust`.
    fn cell(text: &str, dust: &[(u32, u32)]) -> GrayImage {
        let w = 24 + text.chars().count() as u32 * PITCH;
        let mut img = GrayImage::from_pixel(w, LINE_TOP + 30 + 20, Luma([255]));
        let mut ink = |x0: u32, y0: u32, w: u32, h: u32| {
            for y in y0..y0 + h {
                for x in x0..x0 + w {
                    img.put_pixel(x, y, Luma([20]));
                }
            }
        };
        for (i, c) in text.chars().enumerate() {
            for (x, y, sw, sh) in strokes(c) {
                ink(left_of(i) + x, LINE_TOP + y, sw, sh);
            }
        }
        for &(x, y) in dust {
            ink(x, y, 3, 3);
        }
        img
    }

    const DIGITS: &str = "0123456789";

    fn taught(text: &str) -> GlyphBank {
        let mut bank = GlyphBank::default();
        bank.learn(&cell(text, &[]), text, Proof::Checksum);
        bank
    }

    fn read(bank: &GlyphBank, text: &str, dust: &[(u32, u32)]) -> Option<String> {
        bank.read(&cell(text, dust))
    }

    #[test]
    fn a_proven_cell_teaches_the_page_its_characters() {
        let bank = taught(DIGITS);
        assert_eq!(read(&bank, "9081726354", &[]).as_deref(), Some("9081726354"));
    }

    #[test]
    fn no_digit_is_read_before_the_page_has_shown_all_ten() {
        // A 9 never shown would be nearest an 8 or a 3, with no picture of its own to
        // tell it apart: until every digit is known, none is read.
        let bank = taught("012345678");
        assert_eq!(read(&bank, "10", &[]), None);
        assert_eq!(GlyphBank::default().read(&cell("10", &[])), None);
        // A character no cell showed is not read either.
        assert_eq!(read(&taught(DIGITS), "1-0", &[]), None);
    }

    #[test]
    fn dust_off_the_line_changes_no_character() {
        let bank = taught(DIGITS);
        // Above the 7 (inside its columns), and between the 1 and the 0 at mid-height.
        let dust = [(left_of(0) + 8, 8), (left_of(2) - 6, LINE_TOP + 8)];
        assert_eq!(read(&bank, "710", &dust).as_deref(), Some("710"));
    }

    #[test]
    fn an_unproven_reading_teaches_only_what_is_no_numeral_and_only_when_its_numerals_agree() {
        let mut bank = taught(DIGITS);
        bank.learn(&cell("1-0", &[]), "1-0", Proof::None);
        assert_eq!(bank.len(), 11);
        assert_eq!(read(&bank, "7-1", &[]).as_deref(), Some("7-1"));

        // A reading whose digits the bank reads otherwise may have misread them all.
        let mut doubted = taught(DIGITS);
        doubted.learn(&cell("1-0", &[]), "7-0", Proof::None);
        assert_eq!(doubted.len(), 10);

        // Into a bank that cannot read its numerals it teaches nothing; read the same by
        // both models, everything.
        let mut empty = GlyphBank::default();
        empty.learn(&cell("2-1", &[]), "2-1", Proof::None);
        assert!(empty.is_empty());
        empty.learn(&cell("2-1", &[]), "2-1", Proof::BothModels);
        assert_eq!(empty.len(), 3);
    }

    #[test]
    fn sexes_are_learnt_only_when_proven_and_read_only_once_both_are_known() {
        let mut bank = GlyphBank::default();
        bank.learn(&cell("男", &[]), "男", Proof::None);
        assert!(bank.is_empty(), "a 性别 reading alone proves nothing");
        bank.learn(&cell("男", &[]), "男", Proof::Checksum);
        assert_eq!(read(&bank, "男", &[]), None, "女 not yet seen");
        bank.learn(&cell("女", &[]), "女", Proof::Checksum);
        assert_eq!(read(&bank, "男", &[]).as_deref(), Some("男"));
        assert_eq!(read(&bank, "女", &[]).as_deref(), Some("女"));
    }

    #[test]
    fn glyphs_bear_out_a_reading_whose_every_character_is_nearest_its_pictures() {
        let bank = taught(DIGITS);
        let once = cell("3703", &blot(1));
        assert_eq!(bank.read(&once), None, "the blotted 7 is unclear");
        assert!(bank.agrees_with(&once, "3703"));
        assert!(!bank.agrees_with(&once, "3903"), "a misread the glyphs do not bear out");
        assert!(
            !bank.agrees_with(&once, "37030"),
            "one character more than the cell has"
        );
        let twice = cell("3703", &[blot(1), blot(2)].concat());
        assert!(!bank.agrees_with(&twice, "3703"), "two unclear characters are too many");
    }

    /// A 6 x 9 blot against the right of the character at `i`.
    fn blot(i: usize) -> Vec<(u32, u32)> {
        let (x, y) = (left_of(i) + 20, LINE_TOP + 8);
        (0..6).map(|k| (x + 3 * (k % 2), y + 3 * (k / 2))).collect()
    }

    #[test]
    fn glyphs_doubt_one_digit_nearer_another_digits_pictures_but_not_clearly_it() {
        let bank = taught(DIGITS);
        // A speck against the 7's upright, joined to it.
        let blotted = cell("3703", &[(left_of(1) + 20, LINE_TOP + 8)]);
        assert_eq!(bank.read(&blotted), None, "the specked 7 is unclear");
        assert!(bank.doubts(&blotted, "3903"), "still nearer the page's 7 than its 9");
        assert!(!bank.doubts(&blotted, "3703"), "read as written");
        assert!(
            !bank.doubts(&blotted, "3908"),
            "two characters read otherwise: a cut astray"
        );
        assert!(!bank.doubts(&blotted, "37030"), "one character more than the cell has");
        // Until the page has shown every digit, a picture may only look like the
        // nearest digit shown.
        assert!(!taught("012345678").doubts(&blotted, "3903"));
        // Clearly a 7: the bank's own confusion as likely as Tesseract's.
        assert!(!bank.doubts(&cell("3703", &[]), "3903"));
        // A character blotted out of every picture's likeness says nothing.
        assert!(!bank.doubts(&cell("3703", &blot(1)), "3903"));
        let smeared: Vec<(u32, u32)> = (0..24)
            .map(|k| (left_of(1) + 3 * (k % 6), LINE_TOP + 3 * (k / 6)))
            .collect();
        assert!(!bank.doubts(&cell("3703", &smeared), "3903"));
    }

    #[test]
    fn a_cell_cut_into_more_or_fewer_pieces_than_its_text_teaches_nothing() {
        let mut bank = GlyphBank::default();
        bank.learn(&cell("10", &[]), "100", Proof::Checksum);
        bank.learn(&cell("107", &[]), "10", Proof::Checksum);
        assert!(bank.is_empty());
        // Which is known before any proof is asked for: (written, read, learnable).
        for (written, read, learnable) in [("10", "100", false), ("107", "10", false), ("107", "107", true)] {
            assert_eq!(
                Cut::of(&cell(written, &[]), read).is_some(),
                learnable,
                "{written} read {read}"
            );
        }
    }

    #[test]
    fn the_checksum_settles_one_id_digit_dust_made_unclear() {
        let bank = taught(DIGITS);
        let id = "370102196810305295";
        // A blot against the right of the 14th digit (a 3), on the line.
        let blot: Vec<(u32, u32)> = (0..2).map(|i| (left_of(13) + 20, LINE_TOP + 10 + 3 * i)).collect();
        let blotted = cell(id, &blot);
        assert_eq!(bank.read(&blotted), None, "the blotted digit is unclear");
        assert_eq!(bank.read_id_number(&blotted).as_deref(), Some(id));
        // Two unclear digits are more than a checksum can settle.
        let twice: Vec<(u32, u32)> = blot
            .iter()
            .chain(&[(left_of(3) + 20, LINE_TOP + 10)])
            .copied()
            .collect();
        assert_eq!(bank.read_id_number(&cell(id, &twice)), None);
    }
}
