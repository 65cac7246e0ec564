//! Batch acceptance sampling: the single sampling plans of ISO 2859-1 (GB/T 2828.1),
//! normal inspection, general inspection level II. Before a batch may load, a reviewer
//! checks a random sample of its machine-accepted records against the page images; the
//! batch passes when the sample holds no more nonconforming records than the plan's
//! acceptance number.
//!
//! The master table (Table 2-A) is not typed in cell by cell: it is a staircase. For
//! each AQL, the first plan (Ac 0, Re 1) sits at one sample size code letter, one letter
//! later for each smaller AQL step; below it the cells read ↑ (use the plan above), ↓ (use
//! the plan below), then acceptance numbers 1, 2, 3, 5, 7, 10, 14, 21 down the column;
//! above it every cell is ↓. `tests/data/sampling_plans.tsv` checks the result against
//! cells of the published table.

use anyhow::{bail, Result};
use serde::Serialize;

/// Sample size code letters and their sample sizes (I, O and Q-after-P conventions of
/// the standard: there is no I or O).
const LETTERS: [(char, u32); 16] = [
    ('A', 2),
    ('B', 3),
    ('C', 5),
    ('D', 8),
    ('E', 13),
    ('F', 20),
    ('G', 32),
    ('H', 50),
    ('J', 80),
    ('K', 125),
    ('L', 200),
    ('M', 315),
    ('N', 500),
    ('P', 800),
    ('Q', 1250),
    ('R', 2000),
];

/// Lot size upper bounds → code letter, general inspection level II (Table 1).
const LEVEL_II: [(u64, char); 15] = [
    (8, 'A'),
    (15, 'B'),
    (25, 'C'),
    (50, 'D'),
    (90, 'E'),
    (150, 'F'),
    (280, 'G'),
    (500, 'H'),
    (1200, 'J'),
    (3200, 'K'),
    (10_000, 'L'),
    (35_000, 'M'),
    (150_000, 'N'),
    (500_000, 'P'),
    (u64::MAX, 'Q'),
];

/// The preferred AQLs (percent nonconforming) up to 10, smallest first.
pub const AQLS: [f64; 16] = [
    0.010, 0.015, 0.025, 0.040, 0.065, 0.10, 0.15, 0.25, 0.40, 0.65, 1.0, 1.5, 2.5, 4.0, 6.5, 10.0,
];

/// Acceptance numbers down a column after the first plan (Re is always Ac + 1 in single
/// sampling, normal inspection).
const ACCEPTANCE: [u32; 8] = [1, 2, 3, 5, 7, 10, 14, 21];

/// The default AQL a province gets unless it sets its own.
pub const DEFAULT_AQL: f64 = 0.65;

/// The AQLs provinces set for themselves: a TOML file of two-digit GB/T 2260 province
/// codes and preferred AQLs, as `"37" = 0.4`.
#[derive(Debug, Clone, Default)]
pub struct ProvinceAqls {
    file: String,
    by_province: std::collections::BTreeMap<String, f64>,
}

impl ProvinceAqls {
    pub fn read(path: &std::path::Path) -> anyhow::Result<ProvinceAqls> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: cannot read the provinces' AQLs: {e}", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, file: &str) -> anyhow::Result<ProvinceAqls> {
        let table: std::collections::BTreeMap<String, f64> =
            toml::from_str(text).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        for (province, aql) in &table {
            if !(province.len() == 2 && province.chars().all(|c| c.is_ascii_digit())) {
                anyhow::bail!("{file}: {province:?} is not a two-digit GB/T 2260 province code");
            }
            if !AQLS.iter().any(|a| (a - aql).abs() < 1e-9) {
                anyhow::bail!("{file}: province {province}: {aql} is not a preferred AQL ({AQLS:?})");
            }
        }
        Ok(ProvinceAqls {
            file: file.to_string(),
            by_province: table,
        })
    }

    /// The AQL for a batch, and where it came from: the one given, else its province's,
    /// else the default.
    pub fn choose(&self, given: Option<f64>, province: Option<&str>) -> (f64, String) {
        if let Some(aql) = given {
            return (aql, "given".into());
        }
        match province.and_then(|p| self.by_province.get(p).map(|a| (p, *a))) {
            Some((p, aql)) => (aql, format!("province {p}, {}", self.file)),
            None => (DEFAULT_AQL, "default".into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Plan {
    pub lot_size: u64,
    pub aql: f64,
    /// The code letter the lot size gives (level II).
    pub code_letter: char,
    /// The letter whose plan is used, after following the table's arrows.
    pub plan_letter: char,
    /// Records to inspect; the whole lot when the plan's sample is not smaller.
    pub sample_size: u64,
    pub accept: u32,
    pub reject: u32,
}

fn letter_index(letter: char) -> usize {
    LETTERS.iter().position(|(l, _)| *l == letter).expect("a code letter")
}

/// Where `aql` stands among the standard's preferred AQLs; an error naming them for any
/// other value.
pub fn preferred_aql(aql: f64) -> Result<usize> {
    match AQLS.iter().position(|a| (a - aql).abs() < 1e-9) {
        Some(index) => Ok(index),
        None => bail!(
            "AQL {aql} is not one of the standard's preferred values: {}",
            AQLS.map(|a| a.to_string()).join(", ")
        ),
    }
}

/// The single sampling plan for a lot of `lot_size` records at `aql` percent.
pub fn plan(lot_size: u64, aql: f64) -> Result<Plan> {
    let aql_index = preferred_aql(aql)?;
    if lot_size < 2 {
        bail!("a lot of {lot_size} records is too small to sample: inspect it whole");
    }
    let code_letter = LEVEL_II
        .iter()
        .find(|(max, _)| lot_size <= *max)
        .expect("the last bound is u64::MAX")
        .1;
    // Where the column's first plan (Ac 0, Re 1) sits: AQL 6.5 at A, one letter later
    // per smaller AQL (0.65 at F); AQL 10 sits "before" A.
    let first = 14 - aql_index as i64;
    let code = letter_index(code_letter) as i64;
    let last = LETTERS.len() as i64 - 1;
    // Follow the arrows to the cell holding a plan.
    let (cell, accept) = {
        let mut cell = code;
        loop {
            let d = cell - first;
            match d {
                _ if d < 0 => cell = first, // ↓ to the first plan
                0 => break (cell, 0),       // 0 1
                1 => cell -= 1,             // ↑
                2 => cell += 1,             // ↓
                _ => {
                    let i = (d - 3) as usize;
                    if i < ACCEPTANCE.len() && cell <= last {
                        break (cell, ACCEPTANCE[i]);
                    }
                    cell -= 1; // past the table's end: ↑
                }
            }
        }
    };
    let (plan_letter, n) = LETTERS[cell as usize];
    Ok(Plan {
        lot_size,
        aql,
        code_letter,
        plan_letter,
        sample_size: u64::from(n).min(lot_size),
        accept,
        reject: accept + 1,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Not all sampled records are inspected yet and the outcome is still open.
    Pending,
    Pass,
    Fail,
}

/// The verdict after `inspected` of the sample with `defects` nonconforming: a batch fails
/// as soon as defects reach Re, passes once the whole sample is inspected below it.
pub fn verdict(plan: &Plan, inspected: u64, defects: u64) -> Verdict {
    if defects >= u64::from(plan.reject) {
        Verdict::Fail
    } else if inspected >= plan.sample_size {
        Verdict::Pass
    } else {
        Verdict::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_set_their_own_aql() {
        let t = ProvinceAqls::parse("\"37\" = 0.4\n\"44\" = 1.0\n", "aql.toml").unwrap();
        assert_eq!(t.choose(None, Some("37")), (0.4, "province 37, aql.toml".into()));
        assert_eq!(t.choose(Some(2.5), Some("37")).0, 2.5);
        assert_eq!(t.choose(None, Some("11")), (DEFAULT_AQL, "default".into()));
        assert_eq!(t.choose(None, None).0, DEFAULT_AQL);
        assert!(ProvinceAqls::parse("\"37\" = 0.5", "f")
            .unwrap_err()
            .to_string()
            .contains("preferred"));
        assert!(ProvinceAqls::parse("\"370\" = 0.65", "f")
            .unwrap_err()
            .to_string()
            .contains("two-digit"));
    }

    /// `lot aql code plan_letter n Ac Re` per line, cells of the published tables.
    #[test]
    fn plans_match_the_published_tables() {
        let data = include_str!("../tests/data/sampling_plans.tsv");
        let mut checked = 0;
        for line in data.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let p = plan(f[0].parse().unwrap(), f[1].parse().unwrap()).unwrap();
            let want = (
                f[2].chars().next().unwrap(),
                f[3].chars().next().unwrap(),
                f[4].parse::<u64>().unwrap(),
                f[5].parse::<u32>().unwrap(),
                f[6].parse::<u32>().unwrap(),
            );
            assert_eq!(
                (p.code_letter, p.plan_letter, p.sample_size, p.accept, p.reject),
                want,
                "{line}"
            );
            checked += 1;
        }
        assert!(checked >= 20);
    }

    #[test]
    fn verdicts_and_bad_input() {
        let p = plan(1000, 0.65).unwrap();
        assert_eq!((p.sample_size, p.accept), (80, 1));
        assert_eq!(verdict(&p, 10, 2), Verdict::Fail, "Re reached before the end");
        assert_eq!(verdict(&p, 79, 1), Verdict::Pending);
        assert_eq!(verdict(&p, 80, 1), Verdict::Pass);
        assert!(plan(1000, 0.7).is_err());
        assert!(plan(1, 0.65).is_err());
    }
}
