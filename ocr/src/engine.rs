//! One Tesseract engine per worker thread, with the models and settings each column kind
//! needs. Engines are expensive to create (model load) and not thread-safe, so each
//! rayon worker keeps its own in a thread-local and reuses it for every cell.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::CString;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use image::GrayImage;
use tesseract::plumbing::TessBaseApi;
use tesseract::PageSegMode;

/// How a cell is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadMode {
    /// Chinese text on one line (addresses, causes, columns we do not know).
    ChineseLine,
    /// Names and the short words of a closed-ish list (relations, cemeteries, where the
    /// ashes went): Chinese text on one line, read with the fuller model when installed.
    ChineseName,
    /// Digits and the ID check character (ID numbers, phones, serials).
    Digits,
    /// Dates written with Arabic digits and separators or 年月日.
    DateLine,
    /// One Chinese character (性别 cells).
    ChineseChar,
    /// A header cell, read with only the characters header wordings use.
    Header,
    /// A 民族 cell, read with only the characters of the GB/T 3304 names.
    Ethnicity,
    /// The first character of a name alone, read with only the common surnames.
    Surname,
    /// A relation (关系) read with only the characters of the listed relations.
    ListedRelation,
    /// A one-character relation (兄, 弟, 子 …) decided among the one-character relations
    /// alone, the way 性别 is decided between 男 and 女.
    OneCharacterRelation,
    /// Where the ashes went, read with only the characters of the listed destinations.
    ListedAshes,
    /// A cause of death, read with only the characters of the listed causes.
    ListedCause,
}

/// Which chi_sim model reads a cell: Debian's small one, or the fuller one
/// (`scripts/fetch-models.sh`). Digits are read with `eng` on the small side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    Small,
    Full,
}

impl ReadMode {
    fn language(self) -> &'static str {
        match self {
            ReadMode::Digits => "eng",
            ReadMode::DateLine => "chi_sim",
            ReadMode::ChineseLine
            | ReadMode::ChineseName
            | ReadMode::ChineseChar
            | ReadMode::Header
            | ReadMode::Ethnicity
            | ReadMode::Surname
            | ReadMode::ListedRelation
            | ReadMode::OneCharacterRelation
            | ReadMode::ListedAshes
            | ReadMode::ListedCause => "chi_sim",
        }
    }

    fn language_of(self, model: Model) -> &'static str {
        match model {
            Model::Small => self.language(),
            Model::Full => "chi_sim",
        }
    }

    /// The model that reads this kind of cell better, measured with `ledgerline eval`.
    /// 性别 (small → fuller, exact): 23/44 → 39/44 on the sample batch. Names, once
    /// despeckling stopped erasing the dots of 氵 and 灬 (two generated batches of 8
    /// pages): deceased 78 → 86 %, family 72 → 81–84 %, cemeteries and relations up too;
    /// addresses went down (86 → 80 %) and ID-checked or whitelisted cells gain nothing,
    /// so those stay on the small model, which is also faster.
    fn primary_model(self) -> Model {
        match self {
            ReadMode::ChineseChar
            | ReadMode::ChineseName
            | ReadMode::Surname
            | ReadMode::ListedRelation
            | ReadMode::OneCharacterRelation
            | ReadMode::ListedAshes
            | ReadMode::ListedCause => Model::Full,
            _ => Model::Small,
        }
    }

    /// LSTM alone, except for 性别: the fuller model also carries the legacy classifier,
    /// which the default mode runs beside the LSTM. For lines it cost 15 % of all OCR
    /// time in a profile and some accuracy (two generated batches: all fields 89.5 →
    /// 90.2 % and 90.4 → 91.0 % without it, 23–27 % faster); for the one-character
    /// 男/女 decision it is what reads best (without it 性别 fell 98.2 → 95.1 %).
    fn engine_mode(self) -> tesseract::plumbing::tesseract_sys::TessOcrEngineMode {
        use tesseract::plumbing::tesseract_sys as sys;
        match self {
            ReadMode::ChineseChar | ReadMode::OneCharacterRelation => sys::TessOcrEngineMode_OEM_DEFAULT,
            _ => sys::TessOcrEngineMode_OEM_LSTM_ONLY,
        }
    }

    fn psm(self) -> PageSegMode {
        match self {
            ReadMode::ChineseChar | ReadMode::OneCharacterRelation => PageSegMode::PsmSingleWord,
            _ => PageSegMode::PsmSingleLine,
        }
    }

    /// The list of words a listed mode reads (`None`: a mode of no list). Its characters
    /// are the mode's whitelist, and a reading of a field read in this mode is snapped to
    /// one of its words ([`crate::extract::listed_mode`] gives a field's mode).
    pub fn words(self) -> Option<&'static [&'static str]> {
        match self {
            ReadMode::ListedRelation => Some(crate::vocab::RELATIONS),
            ReadMode::ListedAshes => Some(crate::vocab::ASHES_DESTINATIONS),
            ReadMode::ListedCause => Some(crate::vocab::CAUSES),
            _ => None,
        }
    }

    /// Every character of a listed mode's words, its whitelist. An empty whitelist lets
    /// Tesseract give any character, so a listed mode without words is a bug, not an
    /// unconstrained read.
    fn list_characters(self) -> String {
        characters_of(self.words().expect("a listed mode has its words"))
    }

    /// The characters a read may give (`None`: any of the model's); the computed ones are
    /// made once, since the whitelist is set before every read.
    fn whitelist(self) -> Option<&'static str> {
        static HEADER: OnceLock<String> = OnceLock::new();
        static ETHNICITY: OnceLock<String> = OnceLock::new();
        static RELATIONS: OnceLock<String> = OnceLock::new();
        static ONE_CHARACTER_RELATIONS: OnceLock<String> = OnceLock::new();
        static ASHES: OnceLock<String> = OnceLock::new();
        static CAUSES: OnceLock<String> = OnceLock::new();
        Some(match self {
            ReadMode::Digits => "0123456789X-",
            // 性别 is a two-class decision: let the model choose only between 男 and 女.
            ReadMode::ChineseChar => "男女",
            ReadMode::Header => HEADER.get_or_init(crate::headers::vocabulary),
            ReadMode::Ethnicity => ETHNICITY.get_or_init(ethnicity_vocabulary),
            ReadMode::Surname => crate::vocab::SURNAMES,
            ReadMode::ListedRelation => RELATIONS.get_or_init(|| self.list_characters()),
            ReadMode::OneCharacterRelation => ONE_CHARACTER_RELATIONS.get_or_init(|| {
                let single: Vec<&str> = ReadMode::ListedRelation
                    .words()
                    .expect("relations are listed")
                    .iter()
                    .copied()
                    .filter(|r| r.chars().count() == 1)
                    .collect();
                characters_of(&single)
            }),
            ReadMode::ListedAshes => ASHES.get_or_init(|| self.list_characters()),
            ReadMode::ListedCause => CAUSES.get_or_init(|| self.list_characters()),
            // Dates in every ledger style and ages (`81岁`). Without it the model read
            // `2012.07.07` as `BOTREOZ-DZ`; with it dates went 50 → 64 % exact (8 pages).
            ReadMode::DateLine => "0123456789年月日.-/〇零一二三四五六七八九十岁",
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

    /// The model folder for a model (`None`: Tesseract's default).
    fn datapath(&self, model: Model) -> Option<&PathBuf> {
        match (&self.full_chi_sim, model) {
            (Some(full), Model::Full) => Some(full),
            _ => self.tessdata.as_ref(),
        }
    }

    /// The characters the model that reads this kind of cell first can write (see
    /// [`crate::unicharset`]); `None` when its file is not found.
    pub fn first_model_characters(&self, mode: ReadMode) -> Option<crate::unicharset::Characters> {
        let model = self.first_model(mode);
        let folder = self.datapath(model).cloned().or_else(tesseract_default_datapath)?;
        crate::unicharset::of_model_file(&folder.join(format!("{}.traineddata", mode.language_of(model))))
    }

    /// The model a cell of this kind is read with first: the fuller one only where it
    /// reads better and is installed.
    fn first_model(&self, mode: ReadMode) -> Model {
        match (&self.full_chi_sim, mode.primary_model()) {
            (Some(_), Model::Full) => Model::Full,
            _ => Model::Small,
        }
    }

    /// The other model, when there is one to ask.
    fn second_model(&self, mode: ReadMode) -> Option<Model> {
        self.full_chi_sim.as_ref()?;
        Some(match self.first_model(mode) {
            Model::Small => Model::Full,
            Model::Full => Model::Small,
        })
    }
}

/// Where Tesseract looks for models when given no folder, as it does: `TESSDATA_PREFIX`,
/// else where Debian's packages install them.
fn tesseract_default_datapath() -> Option<PathBuf> {
    std::env::var_os("TESSDATA_PREFIX")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/usr/share/tesseract-ocr/5/tessdata")))
}

/// Every character of the GB/T 3304 names (汉族, 蒙古族, 维吾尔族 ...).
fn ethnicity_vocabulary() -> String {
    let names: Vec<&str> = ledgerline_schemas::codes::ETHNICITIES
        .iter()
        .map(|(_, name, _)| *name)
        .collect();
    characters_of(&names)
}

/// Every character of `words`, once each.
fn characters_of(words: &[&str]) -> String {
    let mut chars: Vec<char> = words.iter().flat_map(|w| w.chars()).collect();
    chars.sort_unstable();
    chars.dedup();
    chars.into_iter().collect()
}

/// What an engine is loaded with; everything else about a read (page segmentation,
/// whitelist) is set per read. Modes that share a key share an engine: model loading is
/// the costly part (15 engines, one per mode and model, took 1.9 s to create in every
/// worker, 17 % of a four-page run on two workers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct EngineKey {
    language: &'static str,
    model: Model,
    engine_mode: tesseract::plumbing::tesseract_sys::TessOcrEngineMode,
    /// Tesseract's word lists, which only digits do without; they are read at load time.
    dictionaries: bool,
}

impl EngineKey {
    fn of(mode: ReadMode, model: Model) -> EngineKey {
        EngineKey {
            language: mode.language_of(model),
            model,
            engine_mode: mode.engine_mode(),
            // Cells are small images; no need for Tesseract's own dictionary guesses on digits.
            dictionaries: !(mode == ReadMode::Digits && model == Model::Small),
        }
    }
}

struct Engines {
    config_key: EngineConfig,
    by_key: HashMap<EngineKey, TessBaseApi>,
}

thread_local! {
    static ENGINES: RefCell<Option<Engines>> = const { RefCell::new(None) };
}

/// Ends the calling thread's engines now. Left to the thread's exit, a pool worker's
/// engines can end while the process is exiting, as Tesseract's own globals are torn
/// down: `Dict::End` then read freed memory, and 3 of 30 runs of the sample batch ended
/// in a segmentation fault (exit status 139) after everything was stored. A thread that
/// reads again afterwards makes new engines.
pub fn end_thread_engines() {
    ENGINES.with(|engines| engines.borrow_mut().take());
}

fn create(config: &EngineConfig, key: EngineKey) -> Result<TessBaseApi> {
    let mut api = TessBaseApi::create();
    let folder = config.datapath(key.model);
    let datapath = folder
        .map(|p| CString::new(p.to_string_lossy().as_bytes()))
        .transpose()?;
    let lang = CString::new(key.language)?;
    api.init_4(datapath.as_deref(), Some(&lang), key.engine_mode).map_err(|_| {
        anyhow!(
            "Tesseract could not load the {:?} model{}: install tesseract-ocr-chi-sim and tesseract-ocr-eng, or give --tessdata DIR",
            key.language,
            folder.map(|p| format!(" from {}", p.display())).unwrap_or_default()
        )
    })?;
    if !key.dictionaries {
        set_variable(&mut api, "load_system_dawg", "0")?;
        set_variable(&mut api, "load_freq_dawg", "0")?;
    }
    set_variable(&mut api, "debug_file", "/dev/null")?;
    never_read_inverted(&mut api)?;
    Ok(api)
}

/// Turns off Tesseract's second recognition of a line, inverted, when its first was
/// unsure: it is for white writing on a dark ground, and a cut cell never is one (its
/// contrast is stretched to dark writing on white paper, `cell_image`). Tesseract 5.3
/// names the setting `invert_threshold` (a confidence below which to try; 0 is never)
/// and keeps `tessedit_do_invert` for older versions, to be dropped in 6.
fn never_read_inverted(api: &mut TessBaseApi) -> Result<()> {
    set_variable(api, "invert_threshold", "0").or_else(|_| set_variable(api, "tessedit_do_invert", "0"))
}

fn set_variable(api: &mut TessBaseApi, name: &str, value: &str) -> Result<()> {
    api.set_variable(&CString::new(name)?, &CString::new(value)?)
        .map_err(|_| anyhow!("Tesseract refused {name}={value}"))
}

/// Sets what a read needs on a shared engine: its page segmentation and its whitelist
/// (empty: every character of the model), both applied at each recognition.
fn prepare(api: &mut TessBaseApi, psm: PageSegMode, whitelist: &str) -> Result<()> {
    api.set_page_seg_mode(psm.as_tess_page_seg_mode());
    set_variable(api, "tessedit_char_whitelist", whitelist)
}

/// Reads one cell image with the engine for `mode`, creating it on first use.
pub fn read(config: &EngineConfig, mode: ReadMode, cell: &GrayImage, dpi: u32) -> Result<Reading> {
    read_with(config, mode, config.first_model(mode), cell, dpi)
}

/// Reads one cell with each installed model in turn, the one [`read`] uses first, but
/// with only the characters of `allowed`, until `enough` says a reading is: for a choice
/// among a few known writings of a cell, which the cell's own picture decides. The
/// reading `enough` took, if any.
pub fn read_only_until(
    config: &EngineConfig,
    mode: ReadMode,
    allowed: &str,
    cell: &GrayImage,
    dpi: u32,
    enough: impl Fn(&Reading) -> bool,
) -> Result<Option<Reading>> {
    assert!(!allowed.is_empty(), "an empty whitelist is every character, not none");
    let models = std::iter::once(config.first_model(mode)).chain(config.second_model(mode));
    for model in models {
        let reading = read_on(config, mode, model, allowed, mode.psm(), cell, dpi)?;
        if enough(&reading) {
            return Ok(Some(reading));
        }
    }
    Ok(None)
}

/// Reads a cell again with the other model, for a first reading that made no sense for
/// its field. `None` when only one model is installed.
pub fn second_opinion(config: &EngineConfig, mode: ReadMode, cell: &GrayImage, dpi: u32) -> Result<Option<Reading>> {
    config
        .second_model(mode)
        .map(|model| read_with(config, mode, model, cell, dpi))
        .transpose()
}

/// Reads a cell with each installed model, the one [`read`] uses first, as one raw line
/// of text: without Tesseract's layout analysis, which found no line at all in some clean
/// cells of two characters (梁华 read as nothing with `--psm 7`, and right with `--psm 13`).
pub fn read_as_raw_line(config: &EngineConfig, mode: ReadMode, cell: &GrayImage, dpi: u32) -> Result<Vec<Reading>> {
    let whitelist = mode.whitelist().unwrap_or_default();
    std::iter::once(config.first_model(mode))
        .chain(config.second_model(mode))
        .map(|model| read_on(config, mode, model, whitelist, PageSegMode::PsmRawLine, cell, dpi))
        .collect()
}

fn read_with(config: &EngineConfig, mode: ReadMode, model: Model, cell: &GrayImage, dpi: u32) -> Result<Reading> {
    read_on(
        config,
        mode,
        model,
        mode.whitelist().unwrap_or_default(),
        mode.psm(),
        cell,
        dpi,
    )
}

fn read_on(
    config: &EngineConfig,
    mode: ReadMode,
    model: Model,
    whitelist: &str,
    psm: PageSegMode,
    cell: &GrayImage,
    dpi: u32,
) -> Result<Reading> {
    ENGINES.with(|cell_engines| -> Result<Reading> {
        let mut slot = cell_engines.borrow_mut();
        if slot.as_ref().is_none_or(|e| e.config_key != *config) {
            *slot = Some(Engines {
                config_key: config.clone(),
                by_key: HashMap::new(),
            });
        }
        let engines = slot.as_mut().expect("just set");
        let key = EngineKey::of(mode, model);
        let api = match engines.by_key.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(create(config, key)?),
        };
        prepare(api, psm, whitelist)?;
        let started = Instant::now();
        let (w, h) = cell.dimensions();
        api.set_image(cell.as_raw(), w as i32, h as i32, 1, w as i32)
            .map_err(|e| anyhow!("cell image rejected by Tesseract: {e:?}"))?;
        api.set_source_resolution(dpi as i32);
        api.recognize()
            .map_err(|_| anyhow!("Tesseract failed to recognize a cell"))?;
        let text = api.get_utf8_text().map_err(|_| anyhow!("Tesseract returned no text"))?;
        let text = text.as_ref().to_string_lossy().into_owned();
        let confidence = (api.mean_text_conf().max(0) as f32 / 100.0).min(1.0);
        tally(mode, model, started.elapsed());
        Ok(Reading {
            text: clean_text(&text),
            confidence,
        })
    })
}

/// The Tesseract reads of one kind of cell with one model since [`reset_tallies`], and
/// the time they took (image hand-over to text and confidence): what `bench ocr` shows
/// of where OCR time goes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReadTally {
    pub mode: ReadMode,
    pub model: Model,
    pub reads: u64,
    pub seconds: f64,
}

/// Process-wide, over every worker. A lock per read costs nothing beside a read's
/// milliseconds of recognition.
static TALLIES: Mutex<Vec<(ReadMode, Model, u64, Duration)>> = Mutex::new(Vec::new());

fn tally(mode: ReadMode, model: Model, took: Duration) {
    let mut tallies = TALLIES.lock().unwrap_or_else(|e| e.into_inner());
    match tallies.iter_mut().find(|t| t.0 == mode && t.1 == model) {
        Some(t) => {
            t.2 += 1;
            t.3 += took;
        }
        None => tallies.push((mode, model, 1, took)),
    }
}

/// Starts the tallies afresh.
pub fn reset_tallies() {
    TALLIES.lock().unwrap_or_else(|e| e.into_inner()).clear();
}

/// The tallies since the last reset, the costliest first.
pub fn tallies() -> Vec<ReadTally> {
    let mut out: Vec<ReadTally> = TALLIES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|&(mode, model, reads, took)| ReadTally {
            mode,
            model,
            reads,
            seconds: took.as_secs_f64(),
        })
        .collect();
    out.sort_by(|a, b| {
        b.seconds
            .total_cmp(&a.seconds)
            .then((a.mode, a.model).cmp(&(b.mode, b.model)))
    });
    out
}

/// Tesseract puts spaces between CJK characters and a newline at the end.
fn clean_text(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_count_each_kind_and_model_apart_the_costliest_first() {
        // The only test here that touches the tallies; no test of this crate reads cells.
        reset_tallies();
        tally(ReadMode::Surname, Model::Small, Duration::from_millis(3));
        tally(ReadMode::Surname, Model::Full, Duration::from_millis(2));
        tally(ReadMode::Surname, Model::Small, Duration::from_millis(4));
        let t = tallies();
        assert_eq!(t.len(), 2, "{t:?}");
        assert_eq!(
            (t[0].mode, t[0].model, t[0].reads),
            (ReadMode::Surname, Model::Small, 2)
        );
        assert!((t[0].seconds - 0.007).abs() < 1e-9, "{t:?}");
        assert_eq!((t[1].model, t[1].reads), (Model::Full, 1));
        reset_tallies();
        assert!(tallies().is_empty());
    }

    #[test]
    fn kinds_and_models_are_named_for_scripts_in_snake_case() {
        let t = ReadTally {
            mode: ReadMode::ChineseName,
            model: Model::Full,
            reads: 1,
            seconds: 0.5,
        };
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["mode"], "chinese_name");
        assert_eq!(json["model"], "full");
    }
}
