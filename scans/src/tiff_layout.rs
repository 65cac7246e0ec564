//! A TIFF file's directories read and patched as bytes, classic or BigTIFF, either byte
//! order: for the copies `tiff_palette` and `tiff_chunks` make of a file, which change a
//! tag's value or a frame's chunks where they lie and leave everything else as it was.
//! Every read is bounds-checked: `None` is a file whose directories cannot be walked
//! (the decoder has read them already, so it is damage the decoder will name).

pub(crate) const PHOTOMETRIC: u16 = 262;
pub(crate) const COMPRESSION: u16 = 259;
pub(crate) const FILL_ORDER: u16 = 266;
pub(crate) const WIDTH: u16 = 256;
pub(crate) const LENGTH: u16 = 257;
pub(crate) const BITS_PER_SAMPLE: u16 = 258;
pub(crate) const SAMPLES_PER_PIXEL: u16 = 277;
pub(crate) const ROWS_PER_STRIP: u16 = 278;
pub(crate) const PLANAR_CONFIGURATION: u16 = 284;
pub(crate) const STRIP_OFFSETS: u16 = 273;
pub(crate) const STRIP_BYTE_COUNTS: u16 = 279;
pub(crate) const TILE_WIDTH: u16 = 322;
pub(crate) const TILE_LENGTH: u16 = 323;
pub(crate) const TILE_OFFSETS: u16 = 324;
pub(crate) const TILE_BYTE_COUNTS: u16 = 325;
pub(crate) const T4_OPTIONS: u16 = 292;

/// Where things lie in a classic or a BigTIFF file, and its byte order.
pub(crate) struct Layout {
    little_endian: bool,
    count_width: u64,
    entry_width: u64,
    offset_width: u64,
    /// From an entry's start to its value (when the value fits in the entry).
    value_offset: u64,
}

/// The directories of a file, in order (see [`Layout::chain`]).
#[derive(Default)]
pub(crate) struct Chain {
    pub directories: Vec<u64>,
    pub broken: bool,
}

/// One tag of a directory: where its entry starts, and what it holds.
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub tag: u16,
    kind: u16,
    count: u64,
    at: u64,
}

impl Layout {
    pub fn of(bytes: &[u8]) -> Option<Layout> {
        let little_endian = match bytes.get(..2)? {
            b"II" => true,
            b"MM" => false,
            _ => return None,
        };
        let mut layout = Layout {
            little_endian,
            count_width: 2,
            entry_width: 12,
            offset_width: 4,
            value_offset: 8,
        };
        match layout.number(bytes, 2, 2)? {
            42 => Some(layout),
            43 => {
                layout.count_width = 8;
                layout.entry_width = 20;
                layout.offset_width = 8;
                layout.value_offset = 12;
                Some(layout)
            }
            _ => None,
        }
    }

    /// Where each directory (frame) of the file lies, in order, following the chain from
    /// the header; a chain that loops back is followed once round. `broken`: a directory
    /// or a pointer to the next lies outside the file, so the frames after the ones
    /// listed cannot be found.
    pub fn chain(&self, bytes: &[u8]) -> Chain {
        let at = if self.offset_width == 8 { 8 } else { 4 };
        let mut chain = Chain::default();
        let mut next = self.number(bytes, at, self.offset_width);
        let mut seen = std::collections::HashSet::new();
        loop {
            let directory = match next {
                Some(0) => return chain,
                Some(d) if !seen.insert(d) => return chain,
                Some(d) if self.entries(bytes, d).is_some() => d,
                _ => {
                    chain.broken = true;
                    return chain;
                }
            };
            chain.directories.push(directory);
            next = self
                .number(bytes, directory, self.count_width)
                .and_then(|n| self.entry_at(directory, n))
                .and_then(|end| self.number(bytes, end, self.offset_width));
        }
    }

    /// The entries of the directory at `directory`; `None` when any lies outside the file.
    pub fn entries(&self, bytes: &[u8], directory: u64) -> Option<Vec<Entry>> {
        let n = self.number(bytes, directory, self.count_width)?;
        (0..n)
            .map(|i| {
                let at = self.entry_at(directory, i)?;
                Some(Entry {
                    tag: self.number(bytes, at, 2)? as u16,
                    kind: self.number(bytes, at + 2, 2)? as u16,
                    count: self.number(bytes, at + 4, self.count_width.max(4))?,
                    at,
                })
            })
            .collect()
    }

    /// Where the `i`th entry of the directory at `directory` starts (the `n`th of `n`:
    /// where the pointer to the next directory lies).
    fn entry_at(&self, directory: u64, i: u64) -> Option<u64> {
        directory
            .checked_add(self.count_width)?
            .checked_add(i.checked_mul(self.entry_width)?)
    }

    /// The unsigned integers an entry holds (BYTE, SHORT, LONG or LONG8); `None` for
    /// another type or values outside the file.
    pub fn values(&self, bytes: &[u8], entry: &Entry) -> Option<Vec<u64>> {
        let width = integer_width(entry.kind)?;
        let start = self.values_at(bytes, entry)?;
        (0..entry.count)
            .map(|i| self.number(bytes, start.checked_add(i.checked_mul(width)?)?, width))
            .collect()
    }

    /// Writes `value` as the `index`th value of `entry` into `copy` (a copy of the file
    /// the entry was read from, as long); `None` when it does not fit the entry's type.
    pub fn put(&self, copy: &mut [u8], entry: &Entry, index: u64, value: u64) -> Option<()> {
        let width = integer_width(entry.kind)?;
        if index >= entry.count || (width < 8 && value >> (8 * width) != 0) {
            return None;
        }
        let at = self.values_at(copy, entry)?.checked_add(index * width)?;
        let start = usize::try_from(at).ok()?;
        let field = copy.get_mut(start..start.checked_add(width as usize)?)?;
        let bytes = if self.little_endian {
            value.to_le_bytes()
        } else {
            value.to_be_bytes()
        };
        if self.little_endian {
            field.copy_from_slice(&bytes[..width as usize]);
        } else {
            field.copy_from_slice(&bytes[8 - width as usize..]);
        }
        Some(())
    }

    /// Where an entry's values start: in the entry when they fit there, else where its
    /// offset points.
    fn values_at(&self, bytes: &[u8], entry: &Entry) -> Option<u64> {
        let inline = entry.at.checked_add(self.value_offset)?;
        let size = entry.count.checked_mul(integer_width(entry.kind).unwrap_or(1))?;
        if size <= self.offset_width {
            Some(inline)
        } else {
            self.number(bytes, inline, self.offset_width)
        }
    }

    /// The unsigned number of `width` bytes at `at`.
    fn number(&self, bytes: &[u8], at: u64, width: u64) -> Option<u64> {
        let start = usize::try_from(at).ok()?;
        let field = bytes.get(start..start.checked_add(width as usize)?)?;
        let fold = |n: u64, &b: &u8| n << 8 | u64::from(b);
        Some(if self.little_endian {
            field.iter().rev().fold(0, fold)
        } else {
            field.iter().fold(0, fold)
        })
    }
}

/// Bytes a value of an unsigned integer type takes: BYTE 1, SHORT 3, LONG 4, LONG8 16.
fn integer_width(kind: u16) -> Option<u64> {
    match kind {
        1 => Some(1),
        3 => Some(2),
        4 => Some(4),
        16 => Some(8),
        _ => None,
    }
}

/// A directory's entries, asked by tag.
pub(crate) struct Tags<'a> {
    pub layout: &'a Layout,
    pub bytes: &'a [u8],
    pub entries: &'a [Entry],
}

impl Tags<'_> {
    pub fn entry(&self, tag: u16) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == tag)
    }

    /// The tag's first value, or `default` when the directory does not have it.
    pub fn first(&self, tag: u16, default: u64) -> u64 {
        self.entry(tag)
            .and_then(|e| self.layout.values(self.bytes, e))
            .and_then(|v| v.first().copied())
            .unwrap_or(default)
    }
}
