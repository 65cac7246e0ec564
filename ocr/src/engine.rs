//! One Tesseract engine per worker thread, with the models and settings each column kind
//! needs. Engines are expensive to create (model load) and not thread-safe, so each
//! rayon worker keeps its own in a thread-local and reuses it for every cell.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::CString;
use std::path::PathBuf;

use anyhow::{anyhow, Result};
use image::GrayImage;
use tesseract::plumbing::TessBaseApi;
use tesseract::PageSegMode;

/// How a cell is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadMode {
    /// Chinese text on one line (names, addresses, headers).
    ChineseLine,
    /// Digits and the ID check character (ID numbers, phones, serials).
    Digits,
    /// Dates written with Arabic digits and separators or 年月日.
    DateLine,
    /// One Chinese character (性别 cells).
    ChineseChar,
    /// A header cell, read with only the characters header wordings use.
    Header,
}

impl ReadMode {
    fn language(self) -> &'static str {
        match self {
            ReadMode::Digits => "eng",
            ReadMode::DateLine => "chi_sim",
            ReadMode::ChineseLine | ReadMode::ChineseChar | ReadMode::Header => "chi_sim",
        }
    }

    fn psm(self) -> PageSegMode {
        match self {
            ReadMode::ChineseChar => PageSegMode::PsmSingleWord,
            _ => PageSegMode::PsmSingleLine,
        }
    }

    fn whitelist(self) -> Option<String> {
        Some(match self {
            ReadMode::Digits => "0123456789X-".into(),
            // 性别 is a two-class decision: let the model choose only between 男 and 女.
            ReadMode::ChineseChar => "男女".into(),
            ReadMode::Header => crate::headers::vocabulary(),
            _ => return None,
        })
    }
}

/// Text read from a cell and Tesseract's mean confidence, 0..1.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub text: String,
    pub confidence: f32,
}

/// Where the models come from: `--tessdata DIR`, else `TESSDATA_PREFIX`, else the
/// Debian default.
#[derive(Debug, Clone, Default)]
pub struct EngineConfig {
    pub tessdata: Option<PathBuf>,
}

struct Engines {
    config_key: Option<PathBuf>,
    by_mode: HashMap<ReadMode, TessBaseApi>,
}

thread_local! {
    static ENGINES: RefCell<Option<Engines>> = const { RefCell::new(None) };
}

fn create(config: &EngineConfig, mode: ReadMode) -> Result<TessBaseApi> {
    let mut api = TessBaseApi::create();
    let datapath = config
        .tessdata
        .as_ref()
        .map(|p| CString::new(p.to_string_lossy().as_bytes()))
        .transpose()?;
    let lang = CString::new(mode.language())?;
    api.init_2(datapath.as_deref(), Some(&lang)).map_err(|_| {
        anyhow!(
            "Tesseract could not load the {:?} model{}: install tesseract-ocr-chi-sim and tesseract-ocr-eng, or give --tessdata DIR",
            mode.language(),
            config.tessdata.as_ref().map(|p| format!(" from {}", p.display())).unwrap_or_default()
        )
    })?;
    api.set_page_seg_mode(mode.psm().as_tess_page_seg_mode());
    let set = |api: &mut TessBaseApi, k: &str, v: &str| -> Result<()> {
        api.set_variable(&CString::new(k)?, &CString::new(v)?)
            .map_err(|_| anyhow!("Tesseract refused {k}={v}"))
    };
    if let Some(w) = mode.whitelist() {
        set(&mut api, "tessedit_char_whitelist", &w)?;
    }
    // Cells are small images; no need for Tesseract's own dictionary guesses on digits.
    if mode == ReadMode::Digits {
        set(&mut api, "load_system_dawg", "0")?;
        set(&mut api, "load_freq_dawg", "0")?;
    }
    set(&mut api, "debug_file", "/dev/null")?;
    Ok(api)
}

/// Reads one cell image with the engine for `mode`, creating it on first use.
pub fn read(config: &EngineConfig, mode: ReadMode, cell: &GrayImage, dpi: u32) -> Result<Reading> {
    ENGINES.with(|cell_engines| -> Result<Reading> {
        let mut slot = cell_engines.borrow_mut();
        if slot.as_ref().is_none_or(|e| e.config_key != config.tessdata) {
            *slot = Some(Engines {
                config_key: config.tessdata.clone(),
                by_mode: HashMap::new(),
            });
        }
        let engines = slot.as_mut().expect("just set");
        let api = match engines.by_mode.entry(mode) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(create(config, mode)?),
        };
        let (w, h) = cell.dimensions();
        api.set_image(cell.as_raw(), w as i32, h as i32, 1, w as i32)
            .map_err(|e| anyhow!("cell image rejected by Tesseract: {e:?}"))?;
        api.set_source_resolution(dpi as i32);
        api.recognize()
            .map_err(|_| anyhow!("Tesseract failed to recognize a cell"))?;
        let text = api.get_utf8_text().map_err(|_| anyhow!("Tesseract returned no text"))?;
        let text = text.as_ref().to_string_lossy().into_owned();
        let confidence = (api.mean_text_conf().max(0) as f32 / 100.0).min(1.0);
        Ok(Reading {
            text: clean_text(&text),
            confidence,
        })
    })
}

/// Tesseract puts spaces between CJK characters and a newline at the end.
fn clean_text(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}
