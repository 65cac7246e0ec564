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

    /// Whether the fuller chi_sim model reads this kind of cell better than Debian's
    /// small one. Measured with `ledgerline eval` (small → fuller, exact matches):
    /// 性别 23/44 → 39/44 on the sample batch and 113/163 → 128/163 on 8 generated pages,
    /// nothing else changing. Names and other text read with the fuller model gained on
    /// the sample (family names 31 → 37/42) but lost elsewhere (deceased names 115 → 111
    /// of 168, ethnicity 8 → 0 of 13, causes 13 → 10 of 15) and it was more often
    /// confidently wrong (machine-accepted fields 93.7 % → 89.7 % right), so only the
    /// two-class 性别 read uses it.
    fn wants_full_model(self) -> bool {
        matches!(self, ReadMode::ChineseChar)
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

/// Where the models come from: `--tessdata DIR` for every read when given; otherwise
/// `TESSDATA_PREFIX` or the Debian default, with the fuller chi_sim model
/// (`scripts/fetch-models.sh`) for the cell kinds it reads better, when it is installed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineConfig {
    pub tessdata: Option<PathBuf>,
    /// A folder holding the fuller `chi_sim.traineddata`.
    pub full_chi_sim: Option<PathBuf>,
}

impl EngineConfig {
    /// The models to use: `tessdata` overrides everything; otherwise the fuller chi_sim
    /// is looked for in `$LEDGERLINE_MODELS/chi_sim_full` (default
    /// `~/.cache/ledgerline/models/chi_sim_full`).
    pub fn discover(tessdata: Option<PathBuf>) -> EngineConfig {
        if tessdata.is_some() {
            return EngineConfig {
                tessdata,
                full_chi_sim: None,
            };
        }
        let models = std::env::var_os("LEDGERLINE_MODELS")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/ledgerline/models")));
        let full_chi_sim = models
            .map(|m| m.join("chi_sim_full"))
            .filter(|d| d.join("chi_sim.traineddata").is_file());
        EngineConfig {
            tessdata: None,
            full_chi_sim,
        }
    }

    /// The model folder for a kind of cell (`None`: Tesseract's default).
    fn datapath(&self, mode: ReadMode) -> Option<&PathBuf> {
        match &self.full_chi_sim {
            Some(full) if mode.wants_full_model() => Some(full),
            _ => self.tessdata.as_ref(),
        }
    }
}

struct Engines {
    config_key: EngineConfig,
    by_mode: HashMap<ReadMode, TessBaseApi>,
}

thread_local! {
    static ENGINES: RefCell<Option<Engines>> = const { RefCell::new(None) };
}

fn create(config: &EngineConfig, mode: ReadMode) -> Result<TessBaseApi> {
    let mut api = TessBaseApi::create();
    let folder = config.datapath(mode);
    let datapath = folder
        .map(|p| CString::new(p.to_string_lossy().as_bytes()))
        .transpose()?;
    let lang = CString::new(mode.language())?;
    api.init_2(datapath.as_deref(), Some(&lang)).map_err(|_| {
        anyhow!(
            "Tesseract could not load the {:?} model{}: install tesseract-ocr-chi-sim and tesseract-ocr-eng, or give --tessdata DIR",
            mode.language(),
            folder.map(|p| format!(" from {}", p.display())).unwrap_or_default()
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
        if slot.as_ref().is_none_or(|e| e.config_key != *config) {
            *slot = Some(Engines {
                config_key: config.clone(),
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
