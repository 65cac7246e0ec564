//! Connected blobs of ink (8-connected): a label per pixel and each blob's size and box.
//!
//! Labelled in two passes over the image with a union-find over the provisional labels
//! only, not one node per pixel: imageproc's `connected_components` allocates a forest
//! of two words per pixel (140 MB for a 300-dpi page, twice a page), and the kernel
//! zeroing those fresh pages was 12 % of reading a page.

use image::Luma;

/// Labels `ink` (`width` × `height`, one byte per pixel, non-zero = ink). Labels are
/// numbered 1..=n in the order their blobs are first met, row by row.
pub(crate) fn label(width: u32, height: u32, ink: &[u8]) -> Labels {
    let (w, h) = (width as usize, height as usize);
    assert_eq!(ink.len(), w * h, "an ink map of {width}×{height}");
    let mut labels = vec![0u32; w * h];
    // parent[l] for provisional label l; parent[0] unused.
    let mut parent: Vec<u32> = vec![0];
    for y in 0..h {
        let (done, rest) = labels.split_at_mut(y * w);
        let above = (y > 0).then(|| &done[(y - 1) * w..]);
        let row = &mut rest[..w];
        let ink_row = &ink[y * w..][..w];
        for x in 0..w {
            if ink_row[x] == 0 {
                continue;
            }
            let mut found = 0u32;
            let mut meet = |l: u32, parent: &mut Vec<u32>| {
                if l == 0 {
                    return;
                }
                if found == 0 {
                    found = l;
                } else {
                    union(parent, found, l);
                }
            };
            if x > 0 {
                meet(row[x - 1], &mut parent);
            }
            if let Some(above) = above {
                for &l in &above[x.saturating_sub(1)..(x + 2).min(w)] {
                    meet(l, &mut parent);
                }
            }
            row[x] = if found == 0 {
                parent.push(parent.len() as u32);
                (parent.len() - 1) as u32
            } else {
                found
            };
        }
    }
    // Final labels: roots numbered in order of first appearance.
    let mut number = vec![0u32; parent.len()];
    let mut next = 0u32;
    for l in labels.iter_mut().filter(|l| **l != 0) {
        let root = find(&mut parent, *l) as usize;
        if number[root] == 0 {
            next += 1;
            number[root] = next;
        }
        *l = number[root];
    }
    Labels::from_raw(width, height, labels).expect("one label per pixel")
}

fn find(parent: &mut [u32], mut l: u32) -> u32 {
    while parent[l as usize] != l {
        // Path halving: every other node on the way points to its grandparent.
        let grand = parent[parent[l as usize] as usize];
        parent[l as usize] = grand;
        l = grand;
    }
    l
}

fn union(parent: &mut [u32], a: u32, b: u32) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        // The smaller label stays the root, so roots are met before what joins them.
        let (keep, join) = if ra < rb { (ra, rb) } else { (rb, ra) };
        parent[join as usize] = keep;
    }
}

/// A connected blob of ink: its size and bounding box.
#[derive(Clone, Copy)]
pub(crate) struct Blob {
    pub pixels: u32,
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

/// A label per pixel: 0 for paper, 1..=n for the n blobs of ink.
pub(crate) type Labels = image::ImageBuffer<Luma<u32>, Vec<u32>>;

/// Size and bounding box of every labelled blob, indexed by label (0 stays empty).
pub(crate) fn blobs_of(labels: &Labels) -> Vec<Blob> {
    let mut blobs: Vec<Blob> = Vec::new();
    for (x, y, l) in labels.enumerate_pixels() {
        let l = l.0[0] as usize;
        if l == 0 {
            continue;
        }
        if l >= blobs.len() {
            blobs.resize(l + 1, Blob::EMPTY);
        }
        blobs[l].add(x, y);
    }
    blobs
}

/// The shortest stroke (pixels at 300 dpi, about a millimetre) [`Blob::is_stroke`]
/// takes for writing.
pub(crate) const STROKE_LENGTH: u32 = 12;

/// The shortest blob (pixels at scan resolution) [`Blob::is_rule`] takes for a table's
/// rule: no character stroke is a third as long.
pub(crate) const RULE_LENGTH: u32 = 300;

impl Blob {
    const EMPTY: Blob = Blob {
        pixels: 0,
        x0: u32::MAX,
        y0: u32::MAX,
        x1: 0,
        y1: 0,
    };

    /// Width and height of the bounding box.
    pub fn size(&self) -> (u32, u32) {
        (
            self.x1 + 1 - self.x0.min(self.x1 + 1),
            self.y1 + 1 - self.y0.min(self.y1 + 1),
        )
    }

    /// Drawn out like a pen stroke, not round like a speck of dust: at least
    /// [`STROKE_LENGTH`] pixels long and three times as long as it is wide. The short
    /// upper stroke of 二 in a kai face is a blob of 46–50 pixels, 10 pixels from the
    /// lower one: erased as dust, 十二月 read as 十一月 (a generated kai page's dates).
    pub fn is_stroke(&self) -> bool {
        let (w, h) = self.size();
        let (long, short) = (w.max(h), w.min(h));
        long >= STROKE_LENGTH && long >= 3 * short
    }

    /// Long as a table's rule, not as any writing: at least [`RULE_LENGTH`] pixels.
    pub fn is_rule(&self) -> bool {
        let (w, h) = self.size();
        w.max(h) >= RULE_LENGTH
    }

    fn add(&mut self, x: u32, y: u32) {
        self.pixels += 1;
        self.x0 = self.x0.min(x);
        self.y0 = self.y0.min(y);
        self.x1 = self.x1.max(x);
        self.y1 = self.y1.max(y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::GrayImage;
    use imageproc::region_labelling::{connected_components, Connectivity};

    /// A deterministic scatter of ink: specks, strokes, and shapes that only meet
    /// diagonally or through a U (labels that must merge after both were given).
    fn scatter(width: u32, height: u32, seed: u64) -> Vec<u8> {
        let mut state = seed;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as u32
        };
        let mut ink = vec![0u8; (width * height) as usize];
        for _ in 0..(width * height / 40) {
            let (x, y) = (next() % width, next() % height);
            let (len, down) = (1 + next() % 6, next() % 2 == 0);
            for i in 0..len {
                let (px, py) = if down { (x, y + i) } else { (x + i, y) };
                if px < width && py < height {
                    ink[(py * width + px) as usize] = 1;
                }
            }
        }
        ink
    }

    #[test]
    fn blobs_match_imageproc_labelling() {
        for seed in 1..=20 {
            let (w, h) = (97, 61);
            let ink = scatter(w, h, seed);
            let ours = label(w, h, &ink);
            let grey = GrayImage::from_raw(w, h, ink.iter().map(|&v| v * 255).collect()).unwrap();
            let theirs = connected_components(&grey, Connectivity::Eight, Luma([0u8]));
            // The same partition: a label of ours is always the same label of theirs and back.
            let mut to_theirs = std::collections::HashMap::new();
            let mut to_ours = std::collections::HashMap::new();
            for (a, b) in ours.as_raw().iter().zip(theirs.as_raw()) {
                assert_eq!(*a == 0, *b == 0, "seed {seed}: ink is labelled, paper is not");
                if *a != 0 {
                    assert_eq!(*to_theirs.entry(*a).or_insert(*b), *b, "seed {seed}: label {a} split");
                    assert_eq!(*to_ours.entry(*b).or_insert(*a), *a, "seed {seed}: label {b} split");
                }
            }
            let blobs = blobs_of(&ours);
            assert_eq!(blobs.len() - 1, to_ours.len(), "seed {seed}: labels are 1..=n");
            assert!(blobs[1..].iter().all(|b| b.pixels > 0), "seed {seed}: no empty label");
        }
    }

    #[test]
    fn a_short_stroke_is_no_speck() {
        let blob = |x1: u32, y1: u32| Blob {
            pixels: 50,
            x0: 0,
            y0: 0,
            x1,
            y1,
        };
        assert!(blob(17, 4).is_stroke(), "the upper stroke of 二, 18 × 5");
        assert!(blob(3, 14).is_stroke(), "a short vertical stroke");
        assert!(!blob(6, 6).is_stroke(), "a round speck");
        assert!(!blob(8, 2).is_stroke(), "too short to be writing");
    }

    #[test]
    fn a_u_shape_is_one_blob_and_diagonal_neighbours_join() {
        #[rustfmt::skip]
        let ink = [
            1, 0, 1, 0, 0,
            1, 0, 1, 0, 0,
            1, 1, 1, 0, 0,
            0, 0, 0, 1, 0,
            1, 0, 0, 0, 0,
        ];
        let labels = label(5, 5, &ink);
        let l = labels.as_raw();
        assert!(l[..15].iter().zip(&ink[..15]).all(|(l, i)| (*i == 0) == (*l == 0)));
        assert_eq!(l[0], 1);
        assert_eq!(l[2], 1, "the U's two arms are one blob");
        assert_eq!(l[18], 1, "a diagonal neighbour joins");
        assert_eq!(l[20], 2, "a pixel apart is another blob");
        assert_eq!(blobs_of(&labels)[1].pixels, 8);
    }
}
