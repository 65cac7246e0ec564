//! Scans: the files archives keep their scanned pages in, read as page images. A PNG or
//! JPEG is a page; a TIFF, PDF or OFD file may be a whole volume of them. Ingest counts a
//! file's pages and checks each; OCR and the review app decode the one page they need.
//!
//! Invariants:
//! - the format comes from the file's bytes, never its name;
//! - sizes are checked before pixels are allocated (decompression bombs, absurd shapes);
//! - one page of a volume is decoded alone: a volume of hundreds of pages never has them
//!   all in memory, and a page that cannot be read costs that page;
//! - every failure is a sentence an archivist can act on, never a panic: a reader that
//!   meets a damage nobody foresaw is caught (`decode::guarded`) and its file refused.
//!
//! `fuzz/fuzz_targets/page_file.rs` feeds these readers arbitrary bytes.

pub mod decode;
mod fax;
mod ofd_pages;
pub mod open_files;
mod pdf_layers;
mod pdf_pages;
#[cfg(test)]
mod test_pages;
mod tiff_chunks;
mod tiff_frames;
mod tiff_layout;
mod tiff_palette;
