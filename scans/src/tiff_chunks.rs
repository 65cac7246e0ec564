//! A copy of a TIFF file whose chunks (strips or tiles) are stored as the `tiff` crate
//! reads them right, for three things libtiff reads and the crate does not:
//! - bits stored least significant first (FillOrder 2: fax servers and some older
//!   scanner software write them so). The crate ignores the tag: an uncompressed or
//!   PackBits page came out scrambled without a word, a Group 4 or LZW page failed as
//!   damaged. Each chunk's bytes are turned round here, as libtiff does, except JPEG's,
//!   whose codec libtiff leaves them to;
//! - LZW chunks, which the crate (0.11, with weezl 0.1) refuses as damaged when their
//!   decoded size falls on the edge of its read buffer: every 8-bit grey page tiled in
//!   16, 64, 128 or 256 pixels square tiles, as made by `tiffcp -t`, was quarantined.
//!   They are decompressed here into uncompressed chunks, stopping as libtiff does once a
//!   chunk has all its rows (an end code missing after them is no damage); a chunk that
//!   ends before its rows is damage, named with its frame and place;
//! - CCITT Group 3 (one- and two-dimensional, and its plain run-length form), which fax
//!   servers and older document scanners write and the crate does not read at all:
//!   decompressed the same way, by `fax.rs`, a black run a set bit as libtiff codes it.
//!
//! The predictor, planes, tiles and sample layout are left to the crate, which reads
//! the copy's uncompressed chunks like any other.

use crate::decode::{check_size, MAX_PIXELS};
use crate::tiff_layout::*;

const NONE: u64 = 1;
const CCITT_RUN_LENGTH: u64 = 2;
const CCITT_T4: u64 = 3;
const LZW: u64 = 5;
const OLD_JPEG: u64 = 6;
const JPEG: u64 = 7;
const LEAST_SIGNIFICANT_FIRST: u64 = 2;

/// What in a frame of a TIFF file asks for the copy.
pub(crate) struct Survey {
    /// The frame's bits are stored least significant first: the crate misreads them.
    pub reversed_bits: bool,
    /// The frame is in LZW: the crate may refuse it.
    pub lzw: bool,
    /// The frame is in CCITT Group 3: the crate does not read it.
    pub group3: bool,
}

/// A frame's directory, found once for its survey and its copy.
pub(crate) struct Directory {
    layout: Layout,
    entries: Vec<Entry>,
}

impl Directory {
    /// Frame `index` (from 0); `None` when it cannot be found (the crate names that damage).
    pub fn of(bytes: &[u8], index: usize) -> Option<Directory> {
        let layout = Layout::of(bytes)?;
        let directory = *layout.chain(bytes).directories.get(index)?;
        let entries = layout.entries(bytes, directory)?;
        Some(Directory { layout, entries })
    }

    fn tags<'a>(&'a self, bytes: &'a [u8]) -> Tags<'a> {
        Tags {
            layout: &self.layout,
            bytes,
            entries: &self.entries,
        }
    }

    /// What in the frame asks for the copy.
    pub fn survey(&self, bytes: &[u8]) -> Survey {
        let tags = self.tags(bytes);
        let codec = Codec::of(&tags);
        Survey {
            reversed_bits: bits_reversed(&tags),
            lzw: matches!(codec, Some(Codec::Lzw)),
            group3: matches!(codec, Some(Codec::Fax(_))),
        }
    }

    /// The copy of `bytes` (see the module's doc) in which this frame has its bits in
    /// order and its LZW or fax chunks decompressed, appended to the file, its tags
    /// saying so. The other frames are left as they are: a page is read from a volume of
    /// hundreds without decompressing the rest.
    pub fn as_libtiff_reads(&self, bytes: &[u8]) -> Result<Vec<u8>, String> {
        let mut copy = bytes.to_vec();
        rewrite_frame(&self.tags(bytes), &mut copy)?;
        Ok(copy)
    }
}

fn bits_reversed(tags: &Tags) -> bool {
    tags.first(FILL_ORDER, 1) == LEAST_SIGNIFICANT_FIRST && !matches!(tags.first(COMPRESSION, NONE), OLD_JPEG | JPEG)
}

fn rewrite_frame(tags: &Tags, copy: &mut Vec<u8>) -> Result<(), String> {
    let reversed = bits_reversed(tags);
    let codec = Codec::of(tags);
    if !reversed && codec.is_none() {
        return Ok(());
    }
    let chunks = Chunks::of(tags)?;
    if reversed {
        for &(offset, length) in &chunks.stored {
            let chunk = copy
                .get_mut(offset..offset + length)
                .ok_or(format!("a {} lies past the end of the file", chunks.kind))?;
            chunk.iter_mut().for_each(|b| *b = b.reverse_bits());
        }
        put(tags, copy, FILL_ORDER, 0, 1)?;
    }
    if let Some(codec) = codec {
        let mut placed = Vec::with_capacity(chunks.stored.len());
        for (i, &(offset, length)) in chunks.stored.iter().enumerate() {
            let stored = &copy[offset..offset + length];
            let decoded = match &codec {
                Codec::Lzw => lzw_decoded(stored, chunks.decoded_size(i)),
                Codec::Fax(settings) => fax_decoded(stored, &chunks, i, *settings),
            };
            let decoded = decoded.map_err(|e| format!("{} {}: {e}", chunks.kind, i + 1))?;
            placed.push((copy.len(), decoded.len()));
            copy.extend_from_slice(&decoded);
        }
        for (i, (offset, length)) in placed.into_iter().enumerate() {
            put(tags, copy, chunks.offsets_tag, i, offset)?;
            put(tags, copy, chunks.lengths_tag, i, length)?;
        }
        put(tags, copy, COMPRESSION, 0, NONE as usize)?;
    }
    Ok(())
}

/// A compression decompressed here, into uncompressed chunks.
enum Codec {
    Lzw,
    /// CCITT Group 3 (one- or two-dimensional, T.4) or its plain run-length form (TIFF
    /// compression 2), which the crate does not read at all.
    Fax(hayro_ccitt::DecodeSettings),
}

impl Codec {
    fn of(tags: &Tags) -> Option<Codec> {
        let compression = tags.first(COMPRESSION, NONE);
        let group3 = |encoding, end_of_line, rows_are_byte_aligned| {
            Codec::Fax(hayro_ccitt::DecodeSettings {
                columns: 0,
                rows: 0,
                end_of_block: true,
                end_of_line,
                rows_are_byte_aligned,
                encoding,
                strict: false,
            })
        };
        let options = tags.first(T4_OPTIONS, 0);
        match compression {
            LZW => Some(Codec::Lzw),
            CCITT_RUN_LENGTH => Some(group3(hayro_ccitt::EncodingMode::Group3_1D, false, true)),
            CCITT_T4 => Some(group3(
                match options & 1 {
                    1 => hayro_ccitt::EncodingMode::Group3_2D,
                    _ => hayro_ccitt::EncodingMode::Group3_1D,
                },
                true,
                options & 4 != 0,
            )),
            _ => None,
        }
    }
}

/// Chunk `i`, fax-coded, as uncompressed rows of bits. A fax code's black is a set bit,
/// whatever the frame's photometric interpretation then makes of it (as libtiff codes
/// and the crate reads Group 4).
fn fax_decoded(
    stored: &[u8],
    chunks: &Chunks,
    i: usize,
    mut settings: hayro_ccitt::DecodeSettings,
) -> Result<Vec<u8>, String> {
    let stride = chunks.row_bytes;
    let rows = chunks.rows[i];
    settings.columns = chunks.chunk_width as u32;
    settings.rows = rows as u32;
    let mut bits = vec![0; stride * rows];
    let mut row = vec![false; chunks.chunk_width];
    crate::fax::decode(stored, settings, |y, changes| {
        row.fill(false);
        crate::fax::paint(&mut row, changes, true);
        for (byte, eight) in bits[y * stride..(y + 1) * stride].iter_mut().zip(row.chunks(8)) {
            *byte = eight
                .iter()
                .enumerate()
                .fold(0, |b, (k, &set)| b | u8::from(set) << (7 - k));
        }
    })
    .map_err(|e| format!("the TIFF image is damaged: {e}"))?;
    Ok(bits)
}

/// Writes a tag's value in the copy; a value its field cannot hold (a short offset past
/// 64 KiB, a file grown past 4 GiB) is named.
fn put(tags: &Tags, copy: &mut [u8], tag: u16, index: usize, value: usize) -> Result<(), String> {
    tags.entry(tag)
        .and_then(|entry| tags.layout.put(copy, entry, index as u64, value as u64))
        .ok_or_else(|| format!("the TIFF image's tag {tag} cannot be rewritten to be read; {RESAVE}"))
}

const RESAVE: &str = "save it again uncompressed, or as Group 4 or Deflate";

/// A frame's chunks: where each lies in the file and how long it is, and what each
/// holds decoded.
struct Chunks {
    kind: &'static str,
    offsets_tag: u16,
    lengths_tag: u16,
    stored: Vec<(usize, usize)>,
    /// Pixels across a chunk, bytes of one of its rows, and rows of each chunk.
    chunk_width: usize,
    row_bytes: usize,
    rows: Vec<usize>,
}

impl Chunks {
    fn of(tags: &Tags) -> Result<Chunks, String> {
        let (w, h) = (tags.first(WIDTH, 0), tags.first(LENGTH, 0));
        check_size(
            u32::try_from(w).unwrap_or(u32::MAX),
            u32::try_from(h).unwrap_or(u32::MAX),
        )?;
        let samples = if tags.first(PLANAR_CONFIGURATION, 1) == 2 {
            1
        } else {
            tags.first(SAMPLES_PER_PIXEL, 1)
        };
        let bits = tags.first(BITS_PER_SAMPLE, 1);
        let tiled = tags.entry(TILE_OFFSETS).is_some();
        let (kind, offsets_tag, lengths_tag) = if tiled {
            ("tile", TILE_OFFSETS, TILE_BYTE_COUNTS)
        } else {
            ("strip", STRIP_OFFSETS, STRIP_BYTE_COUNTS)
        };
        let list = |tag| {
            tags.entry(tag)
                .and_then(|e| tags.layout.values(tags.bytes, e))
                .ok_or(format!("the TIFF image is damaged: its {kind}s cannot be found"))
        };
        let (offsets, lengths) = (list(offsets_tag)?, list(lengths_tag)?);
        if offsets.len() != lengths.len() {
            return Err(format!(
                "the TIFF image is damaged: {} {kind}s but {} lengths",
                offsets.len(),
                lengths.len()
            ));
        }
        let within = |(&o, &l): (&u64, &u64)| {
            let end = o.checked_add(l).filter(|&end| end <= tags.bytes.len() as u64);
            end.map(|_| (o as usize, l as usize)).ok_or(format!(
                "the TIFF image is damaged or truncated: a {kind} lies past the end of the file"
            ))
        };
        let stored = offsets
            .iter()
            .zip(&lengths)
            .map(within)
            .collect::<Result<Vec<_>, _>>()?;
        let chunk_width = if tiled { tags.first(TILE_WIDTH, 0) } else { w };
        let row_bytes = (chunk_width * bits * samples).div_ceil(8) as usize;
        let rows: Vec<usize> = if tiled {
            vec![tags.first(TILE_LENGTH, 0) as usize; stored.len()]
        } else {
            let per_strip = tags.first(ROWS_PER_STRIP, u64::from(u32::MAX)).clamp(1, h);
            let per_plane = h.div_ceil(per_strip) as usize;
            (0..stored.len())
                .map(|i| per_strip.min(h - (i % per_plane) as u64 * per_strip) as usize)
                .collect()
        };
        let total: u64 = rows.iter().map(|&r| (r * row_bytes) as u64).sum();
        if total > MAX_PIXELS * 8 {
            return Err(format!(
                "its {kind}s would hold {total} bytes decoded, beyond what a page can (a decompression bomb or a damaged file)"
            ));
        }
        Ok(Chunks {
            kind,
            offsets_tag,
            lengths_tag,
            stored,
            chunk_width: chunk_width as usize,
            row_bytes,
            rows,
        })
    }

    fn decoded_size(&self, i: usize) -> usize {
        self.rows[i] * self.row_bytes
    }
}

/// An LZW chunk decoded to its `size` bytes (MSB-first codes, the code size switching
/// one code early, as TIFF writes them).
fn lzw_decoded(stored: &[u8], size: usize) -> Result<Vec<u8>, String> {
    let mut decoder = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
    let mut out = vec![0; size];
    let (mut read, mut written) = (0, 0);
    while written < size {
        let step = decoder.decode_bytes(&stored[read..], &mut out[written..]);
        read += step.consumed_in;
        written += step.consumed_out;
        match step.status {
            Ok(weezl::LzwStatus::Ok) if step.consumed_in + step.consumed_out > 0 => {}
            Ok(_) => break,
            Err(e) => {
                return Err(format!(
                    "the TIFF image is damaged: its LZW data cannot be decoded ({e})"
                ))
            }
        }
    }
    if written < size {
        return Err(format!(
            "the TIFF image is damaged or truncated: its LZW data ends {} bytes before its last row",
            size - written
        ));
    }
    Ok(out)
}
