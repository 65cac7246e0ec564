//! The characters a Tesseract model can write, read from its `.traineddata` file.
//!
//! A model never gives a character missing from its character set: Debian's small
//! chi_sim has no 鄄, so every 鄄城县 it reads is something else (邮城县, 鄂城县), while
//! the 郓城县 it can write it reads as written. Where a reading is as near two names,
//! the one the model could not have written is the likelier (see
//! `extract::repair_address`).
//!
//! A `.traineddata` file is Tesseract's archive of components: an `i32` count, that many
//! `i64` offsets (`-1` for a component absent), then the components in order. The LSTM
//! model's character set is the `lstm-unicharset` component when present, else the
//! legacy `unicharset` (models trained for both engines share it): a line with the count,
//! then one line per entry, the character first.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Component numbers of Tesseract's `TessdataType`.
const UNICHARSET: usize = 1;
const LSTM_UNICHARSET: usize = 21;

/// A model's characters, shared by every page read with it.
pub type Characters = Arc<HashSet<char>>;

/// The characters of the model file at `path`, read once per process; `None` when the
/// file cannot be read or holds no character set.
pub fn of_model_file(path: &Path) -> Option<Characters> {
    static READ: Mutex<Vec<(PathBuf, Option<Characters>)>> = Mutex::new(Vec::new());
    let mut read = READ.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, set)) = read.iter().find(|(p, _)| p == path) {
        return set.clone();
    }
    let set = std::fs::read(path)
        .ok()
        .and_then(|bytes| characters(&bytes))
        .map(Arc::new);
    read.push((path.to_path_buf(), set.clone()));
    set
}

/// The single characters of a `.traineddata` archive's character set.
pub fn characters(traineddata: &[u8]) -> Option<HashSet<char>> {
    let components = components(traineddata)?;
    let set = components
        .get(&LSTM_UNICHARSET)
        .or_else(|| components.get(&UNICHARSET))?;
    let text = std::str::from_utf8(set).ok()?;
    let mut lines = text.lines();
    let count: usize = lines.next()?.trim().parse().ok()?;
    Some(
        lines
            .take(count)
            .filter_map(|line| {
                let entry = line.split(' ').next()?;
                let mut chars = entry.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => Some(c),
                    _ => None,
                }
            })
            .collect(),
    )
}

/// Each present component's bytes by its number: from its offset to the next present
/// component's, the last to the end of the file.
fn components(bytes: &[u8]) -> Option<HashMap<usize, &[u8]>> {
    let count = usize::try_from(i32::from_le_bytes(bytes.get(..4)?.try_into().ok()?)).ok()?;
    let offsets: Vec<Option<usize>> = (0..count)
        .map(|i| {
            let at = 4 + 8 * i;
            let offset = i64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?);
            Some(usize::try_from(offset).ok().filter(|&o| o <= bytes.len()))
        })
        .collect::<Option<_>>()?;
    let mut starts: Vec<usize> = offsets.iter().flatten().copied().collect();
    starts.sort_unstable();
    Some(
        offsets
            .iter()
            .enumerate()
            .filter_map(|(i, offset)| {
                let start = (*offset)?;
                let end = starts.iter().copied().find(|&s| s > start).unwrap_or(bytes.len());
                Some((i, &bytes[start..end]))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.traineddata` archive of the given components (number, bytes).
    fn archive(parts: &[(usize, &str)]) -> Vec<u8> {
        const COUNT: usize = 24;
        let mut offsets = [-1i64; COUNT];
        let mut body = Vec::new();
        let header = 4 + 8 * COUNT;
        for &(i, text) in parts {
            offsets[i] = (header + body.len()) as i64;
            body.extend_from_slice(text.as_bytes());
        }
        let mut bytes = (COUNT as i32).to_le_bytes().to_vec();
        for o in offsets {
            bytes.extend_from_slice(&o.to_le_bytes());
        }
        bytes.extend(body);
        bytes
    }

    #[test]
    fn the_lstm_character_set_is_read_before_the_legacy_one() {
        let lstm = "4\nNULL 0 Common 0\n郓 1 0,255 Han 2\n城 1 0,255 Han 3\nab 1 0,255 Latin 4\n";
        let legacy = "2\nNULL 0 Common 0\n鄄 1 0,255 Han 1\n";
        let both = characters(&archive(&[
            (0, "config"),
            (UNICHARSET, legacy),
            (LSTM_UNICHARSET, lstm),
            (23, "5.0"),
        ]))
        .expect("a character set");
        assert_eq!(
            both,
            HashSet::from(['郓', '城']),
            "entries of more than one character are no character"
        );
        let legacy_only = characters(&archive(&[(UNICHARSET, legacy), (17, "network")])).expect("a character set");
        assert_eq!(legacy_only, HashSet::from(['鄄']));
    }

    #[test]
    fn a_file_with_no_character_set_or_cut_short_gives_none() {
        assert_eq!(characters(&archive(&[(17, "network")])), None);
        assert_eq!(characters(b"\x18\x00"), None);
        let mut cut = archive(&[(LSTM_UNICHARSET, "1\n郓 1\n")]);
        cut.truncate(20);
        assert_eq!(characters(&cut), None);
    }

    #[test]
    fn debians_small_chi_sim_lacks_the_juancheng_character() {
        // Installed by the README's commands (tesseract-ocr-chi-sim), as in CI.
        let path = Path::new("/usr/share/tesseract-ocr/5/tessdata/chi_sim.traineddata");
        let set = of_model_file(path).expect("Debian's chi_sim has a character set");
        assert!(set.contains(&'郓') && set.contains(&'城'));
        assert!(!set.contains(&'鄄'));
    }
}
