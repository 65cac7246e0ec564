//! Synthetic scanned funeral ledgers with ground truth.
//!
//! Real scans cannot be shipped, so tests, demos and benchmarks use pages drawn here:
//! ruled ledger tables in several templates and typefaces, with the degradations of real
//! scans, and a `truth.jsonl` that says what every row says. Everything is a function of
//! the seed: the same seed on a machine with the same fonts gives identical files.

mod degrade;
pub mod fonts;
mod names;
mod people;
pub mod records;
mod render;
pub mod templates;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use image::Rgb;
use ledgerline_schemas::{BatchManifest, Field, LedgerType, RecordFields, TruthRow};
use rand::{seq::IndexedRandom, Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

pub use degrade::Degradation;
use people::{County, Person};
pub use render::{PAGE_H, PAGE_W};
use templates::{Template, TEMPLATES};

/// The batch's province (Shandong): its counties give addresses and ID address codes.
const PROVINCE: &str = "37";
const YEARS: (u16, u16) = (2012, 2014);

#[derive(Debug, Clone)]
pub struct SynthOptions {
    pub out: PathBuf,
    pub pages: u32,
    pub seed: u64,
    /// Rows per page; drawn from 15..=25 per page when absent.
    pub rows: Option<u32>,
    /// A template name from [`TEMPLATES`]; all templates in turn when absent.
    pub template: Option<String>,
    /// Replace the batch a folder already holds (its pages, manifest and truth) rather
    /// than refuse to write there.
    pub replace: bool,
}

/// What `synth` writes into its folder, and all that `replace` removes there first.
const WRITTEN: [&str; 4] = ["pages", "batch.toml", "truth.jsonl", "pages.jsonl"];

/// Makes `out` ready for a new batch: a folder that holds anything is refused (writing
/// over a batch mixed its old pages with the new truth, the committed sample's too),
/// unless `replace`, which removes what an earlier `synth` wrote there.
fn clear_out(out: &std::path::Path, replace: bool) -> Result<()> {
    let held: Vec<String> = match fs::read_dir(out) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", out.display())),
    };
    if held.is_empty() {
        return Ok(());
    }
    if !replace {
        bail!(
            "{}: not empty (it holds {}); give a new folder, or --replace to write a new batch over the one there",
            out.display(),
            held.join(", ")
        );
    }
    for name in WRITTEN {
        let path = out.join(name);
        let removed = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        match removed {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove {}", path.display()))
            }
            _ => {}
        }
    }
    Ok(())
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct SynthSummary {
    pub out: PathBuf,
    pub batch_id: String,
    pub pages: u32,
    pub rows: usize,
    pub persons: usize,
    pub persons_in_several_rows: usize,
    pub templates: Vec<String>,
}

/// One page planned: its template, its rows and their truth.
struct PagePlan {
    file: String,
    template: &'static Template,
    rows: Vec<(u32, RecordFields)>,
    capacity: u32,
}

/// Per-page record of what the page got, written to `pages.jsonl` for analysis.
#[derive(Serialize)]
struct PageInfo<'a> {
    page: &'a str,
    template: &'a str,
    rows: usize,
    face: &'static str,
    rules: String,
    degradation: Degradation,
}

fn choose_template<R: Rng>(opts: &SynthOptions, page: u32, rng: &mut R) -> Result<&'static Template> {
    match &opts.template {
        Some(name) => templates::by_name(name).with_context(|| {
            let known: Vec<_> = TEMPLATES.iter().map(|t| t.name).collect();
            format!("unknown template {name:?}; known templates: {}", known.join(", "))
        }),
        None => {
            let _ = rng;
            Ok(&TEMPLATES[page as usize % TEMPLATES.len()])
        }
    }
}

/// Plans every page's rows: who appears where, with what slips and blanks.
fn plan(
    opts: &SynthOptions,
    rng: &mut ChaCha8Rng,
    counties: &[County],
    agency: &str,
) -> Result<(Vec<PagePlan>, Vec<TruthRow>, Vec<Person>)> {
    let mut persons: Vec<Person> = Vec::new();
    let mut pages = Vec::new();
    let mut truth = Vec::new();
    for p in 0..opts.pages {
        let template = choose_template(opts, p, rng)?;
        let n = opts.rows.unwrap_or_else(|| rng.random_range(15..=25));
        let file = format!("page-{:04}.png", p + 1);
        let mut rows = Vec::new();
        let persons_before_page = persons.len();
        let notes_certificates = template.fields().any(|f| f == Field::CremationCertStatus);
        // The row of a voided certificate, whose replacement the next row is.
        let mut voided: Option<(String, RecordFields)> = None;
        for r in 0..n {
            let next_id = format!("P{:06}", persons.len() + 1);
            let roll: f64 = rng.random();
            // A person reappears on a later page (another ledger or volume), never twice
            // on the same page but for a voided certificate's replacement.
            let earlier = &persons[..persons_before_page];
            let (person_id, mut fields) = if let Some((person_id, f)) = voided.take() {
                (person_id, people::with_new_certificate(rng, &f, None))
            } else if !earlier.is_empty() && roll < 0.22 {
                let person = earlier.choose(rng).unwrap();
                let mut fields = people::reappearance(rng, person);
                // A family that lost the certificate came back for another (补发).
                if notes_certificates && rng.random_bool(0.25) {
                    fields = people::with_new_certificate(rng, &fields, Some("reissued"));
                }
                (person.person_id.clone(), fields)
            } else if notes_certificates && r + 1 < n && (0.22..0.24).contains(&roll) {
                // A certificate spoiled in the writing (作废), written again below.
                let mut person = people::new_person(rng, next_id, counties, YEARS, agency);
                persons.push(person.clone());
                person.fields.cremation_cert_status = Some("voided".into());
                voided = Some((person.person_id.clone(), person.fields.clone()));
                (person.person_id, person.fields)
            } else if !persons.is_empty() && roll < 0.27 {
                let other = persons.choose(rng).unwrap().clone();
                let person = people::near_namesake(rng, next_id, &other, counties, YEARS, agency);
                persons.push(person.clone());
                (person.person_id, person.fields)
            } else {
                let person = people::new_person(rng, next_id, counties, YEARS, agency);
                persons.push(person.clone());
                (person.person_id, person.fields)
            };
            for f in template.fields() {
                if f != Field::DeceasedName && rng.random_bool(0.04) {
                    fields.set(f, None).unwrap();
                }
            }
            let written = template.truth(&fields);
            truth.push(TruthRow {
                page: file.clone(),
                row: r + 1,
                record_type: template.record_type,
                person_id,
                fields: written.clone(),
            });
            rows.push((r + 1, written));
        }
        let capacity = n.max(15);
        pages.push(PagePlan {
            file,
            template,
            rows,
            capacity,
        });
    }
    Ok((pages, truth, persons))
}

fn page_rng(seed: u64, page: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(page as u64 + 1);
    rng
}

/// Writes a synthetic batch: `pages/`, `batch.toml`, `truth.jsonl` and `pages.jsonl`.
pub fn generate(opts: &SynthOptions, on_page: impl Fn() + Sync) -> Result<SynthSummary> {
    if opts.pages == 0 {
        bail!("--pages must be at least 1");
    }
    if let Some(r) = opts.rows {
        if !(1..=40).contains(&r) {
            bail!("--rows {r} is outside 1..=40 (a ledger page holds 15-25 rows)");
        }
    }
    let fonts = fonts::Fonts::load()?;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let counties = people::counties_of(PROVINCE);
    let agency = format!("济南市{}", names::AGENCIES.choose(&mut rng).unwrap());
    let (pages, truth, persons) = plan(opts, &mut rng, &counties, &agency)?;
    clear_out(&opts.out, opts.replace)?;

    let page_dir = opts.out.join("pages");
    fs::create_dir_all(&page_dir).with_context(|| format!("cannot create {}", page_dir.display()))?;
    let infos: Vec<String> = pages
        .par_iter()
        .enumerate()
        .map(|(i, plan)| -> Result<String> {
            let mut rng = page_rng(opts.seed, i);
            let face = rng.random_range(0..fonts.faces.len());
            let faint = rng.random_bool(0.2);
            let rules = match rng.random_range(0..10) {
                0 | 1 => render::RuleStyle::Faint,
                2 | 3 => render::RuleStyle::Broken,
                _ => render::RuleStyle::Solid,
            };
            let tint = rng.random_range(0..14u8);
            let rh = render::row_height(plan.capacity) as f32;
            let look = render::PageLook {
                face,
                ink: if faint { Rgb([115, 115, 125]) } else { Rgb([25, 25, 45]) },
                paper: Rgb([255 - tint / 2, 253 - tint, 248 - tint * 2]),
                rules,
                font_px: (rh * 0.56).clamp(30.0, 46.0),
            };
            let text = render::PageText {
                template: plan.template,
                agency: &agency,
                volume: "3",
                page_no: i as u32 + 1,
                year: YEARS.0,
                rows: &plan.rows,
                capacity: plan.capacity,
            };
            let clean = render::draw_page(&mut rng, &fonts, &look, &text);
            let degradation = Degradation::draw(&mut rng);
            let scanned = degrade::apply(clean, &degradation, &mut rng, &fonts);
            let path = page_dir.join(&plan.file);
            scanned
                .save(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            on_page();
            Ok(serde_json::to_string(&PageInfo {
                page: &plan.file,
                template: plan.template.name,
                rows: plan.rows.len(),
                face: fonts::FACES[face].name,
                rules: format!("{rules:?}").to_lowercase(),
                degradation,
            })?)
        })
        .collect::<Result<_>>()?;

    let batch_id = format!("synth-{}", opts.seed);
    let ledger_type = match &opts.template {
        Some(_) => match pages[0].template.record_type {
            ledgerline_schemas::RecordType::Cremation => LedgerType::Cremation,
            ledgerline_schemas::RecordType::Burial => LedgerType::Burial,
        },
        None => LedgerType::Mixed,
    };
    let manifest = BatchManifest {
        batch_id: batch_id.clone(),
        agency_name: agency.clone(),
        ledger_type,
        volume: "3".into(),
        years: ledgerline_schemas::manifest::Years::Range(format!("{}-{}", YEARS.0, YEARS.1)),
        scan_dpi: 300,
        province: Some(PROVINCE.into()),
        archive: Some("synthetic".into()),
    };
    write_text(&opts.out.join("batch.toml"), &toml::to_string(&manifest)?)?;
    write_lines(&opts.out.join("truth.jsonl"), truth.iter().map(serde_json::to_string))?;
    write_lines(
        &opts.out.join("pages.jsonl"),
        infos.into_iter().map(Ok::<_, anyhow::Error>),
    )?;

    let mut seen = std::collections::HashMap::new();
    for t in &truth {
        *seen.entry(&t.person_id).or_insert(0) += 1;
    }
    let mut used: Vec<String> = pages.iter().map(|p| p.template.name.to_string()).collect();
    used.dedup();
    used.sort();
    used.dedup();
    Ok(SynthSummary {
        out: opts.out.clone(),
        batch_id,
        pages: opts.pages,
        rows: truth.len(),
        persons: persons.len(),
        persons_in_several_rows: seen.values().filter(|&&n| n > 1).count(),
        templates: used,
    })
}

fn write_text(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn write_lines<E: Into<anyhow::Error>>(path: &Path, lines: impl Iterator<Item = Result<String, E>>) -> Result<()> {
    let mut f =
        std::io::BufWriter::new(fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?);
    for line in lines {
        writeln!(f, "{}", line.map_err(Into::into)?)?;
    }
    f.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A certificate stub register voids a certificate and writes the death again on the
    /// next row under a new number; a reissue (补发) is a death of an earlier page under
    /// a new number. Only a template with a column for it says so.
    #[test]
    fn voided_and_reissued_certificates_are_the_same_death_under_a_new_number() {
        let plan_of = |template: &str| {
            let opts = SynthOptions {
                out: PathBuf::new(),
                pages: 40,
                seed: 7,
                rows: None,
                template: Some(template.into()),
                replace: false,
            };
            let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
            let counties = people::counties_of(PROVINCE);
            plan(&opts, &mut rng, &counties, "济南市殡仪馆").unwrap().1
        };
        let truth = plan_of("cremation-b");
        let status = |t: &TruthRow| t.fields.cremation_cert_status.clone();
        let (mut voided, mut reissued) = (0, 0);
        for (i, t) in truth.iter().enumerate() {
            match status(t).as_deref() {
                Some("voided") => {
                    voided += 1;
                    let next = &truth[i + 1];
                    assert_eq!((&next.page, next.person_id.as_str()), (&t.page, t.person_id.as_str()));
                    assert_eq!(status(next), None);
                    assert_ne!(next.fields.cremation_cert_no, t.fields.cremation_cert_no);
                }
                Some("reissued") => {
                    reissued += 1;
                    let first = truth.iter().find(|e| e.person_id == t.person_id).unwrap();
                    assert_ne!(first.page, t.page, "reissued later");
                    assert_ne!(first.fields.cremation_cert_no, t.fields.cremation_cert_no);
                }
                other => assert_eq!(other, None),
            }
        }
        assert!(voided >= 5 && reissued >= 5, "{voided} voided, {reissued} reissued");
        assert!(plan_of("cremation-a").iter().all(|t| status(t).is_none()));
    }
}
