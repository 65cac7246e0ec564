//! The Fellegi–Sunter model. For each field level, `m` = P(level | same person) and
//! `u` = P(level | different people); a pair's match weight is the prior log-odds plus
//! Σ log2(m/u) over its fields. `u` comes from random pairs (almost all different
//! people), `m` and the prior from EM over the candidate pairs, no labels needed.
//! An exact name match is then adjusted by the name's own frequency: 王秀英 agreeing is
//! weaker evidence than a rare name agreeing.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::collections::HashMap;

use crate::compare::{compare, level, CompareField, Pattern};
use crate::normalize::Prepared;

pub const FIELDS: usize = CompareField::ALL.len();
pub const LEVELS: usize = 5;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Model {
    /// Prior probability that a candidate pair is a match.
    pub lambda: f64,
    pub m: [[f64; LEVELS]; FIELDS],
    pub u: [[f64; LEVELS]; FIELDS],
    pub em_iterations: usize,
    /// `u` of an exact name match over all records, the baseline the per-name frequency
    /// adjustment is measured against.
    pub name_exact_u: f64,
}

/// The largest prior (share of candidate pairs that match) the model will use.
pub const MAX_LAMBDA: f64 = 0.5;

/// Floors keep a level never seen among random pairs (an exact ID match) finite.
const MIN_PROB: f64 = 1e-7;

impl Model {
    /// Starting values: what each level usually means, refined by EM.
    fn initial(u: [[f64; LEVELS]; FIELDS]) -> Model {
        let mut m = [[0.0; LEVELS]; FIELDS];
        for f in CompareField::ALL {
            let n = f.levels().len();
            // Most mass on exact, a little on the near levels, little on "different".
            let row = &mut m[f.index()];
            row[n - 1] = 0.85;
            let near = 0.13 / (n - 2).max(1) as f64;
            for l in row.iter_mut().take(n - 1).skip(2) {
                *l = near;
            }
            row[1] = 0.02;
        }
        Model {
            lambda: 0.1,
            m,
            u,
            em_iterations: 0,
            name_exact_u: u[CompareField::Name.index()][4],
        }
    }

    /// log2 Bayes factor of one field level; unknown levels carry no evidence.
    pub fn field_weight(&self, field: CompareField, level: u8) -> f64 {
        if level == 0 {
            return 0.0;
        }
        let (m, u) = (
            self.m[field.index()][level as usize],
            self.u[field.index()][level as usize],
        );
        (m.max(MIN_PROB) / u.max(MIN_PROB)).log2()
    }

    pub fn prior_weight(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }

    /// Match weight of a pattern, before the name-frequency adjustment.
    pub fn weight(&self, pattern: Pattern) -> f64 {
        self.weight_over(pattern, &CompareField::ALL)
    }

    /// Match weight counting only `fields`' evidence (an EM session's fields).
    fn weight_over(&self, pattern: Pattern, fields: &[CompareField]) -> f64 {
        self.prior_weight()
            + fields
                .iter()
                .map(|&f| self.field_weight(f, level(pattern, f)))
                .sum::<f64>()
    }

    /// The adjustment for an exact name match of a name with frequency `tf` (share of
    /// records bearing it): log2(u_exact / tf), so common names count for less.
    pub fn name_tf_adjustment(&self, tf: f64) -> f64 {
        (self.name_exact_u.max(MIN_PROB) / tf.max(MIN_PROB)).log2()
    }
}

pub fn probability(weight: f64) -> f64 {
    let odds = weight.exp2();
    odds / (1.0 + odds)
}

/// Records the random pairs of the `u` estimate are drawn among: a million pairs drawn
/// from all of a million-record load's records each reached two records' strings
/// somewhere in memory, and waiting on memory took more than comparing; drawn among
/// this many, copied together, they are at hand. Each still takes part in ~15 pairs of
/// a million, so the estimate hardly depends on which were drawn.
const U_SAMPLE_RECORDS: usize = 1 << 16;

/// `u` from `samples` random record pairs (seeded, so runs repeat exactly).
pub fn estimate_u(records: &[Prepared], samples: usize, seed: u64) -> [[f64; LEVELS]; FIELDS] {
    let sample: Vec<Prepared>;
    let records = if records.len() > U_SAMPLE_RECORDS {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut chosen = rand::seq::index::sample(&mut rng, records.len(), U_SAMPLE_RECORDS).into_vec();
        chosen.sort_unstable();
        sample = chosen.iter().map(|&i| records[i].clone()).collect();
        &sample[..]
    } else {
        records
    };
    let n = records.len();
    let mut counts = [[0u64; LEVELS]; FIELDS];
    if n < 2 {
        return [[1.0 / LEVELS as f64; LEVELS]; FIELDS];
    }
    let chunks = 64usize;
    let per_chunk = samples.div_ceil(chunks);
    let partial: Vec<[[u64; LEVELS]; FIELDS]> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (c as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut local = [[0u64; LEVELS]; FIELDS];
            for _ in 0..per_chunk {
                let a = rng.random_range(0..n);
                let mut b = rng.random_range(0..n - 1);
                if b >= a {
                    b += 1;
                }
                let p = compare(&records[a], &records[b]);
                for f in CompareField::ALL {
                    local[f.index()][level(p, f) as usize] += 1;
                }
            }
            local
        })
        .collect();
    for part in partial {
        for f in 0..FIELDS {
            for l in 0..LEVELS {
                counts[f][l] += part[f][l];
            }
        }
    }
    let mut u = [[0.0; LEVELS]; FIELDS];
    for f in CompareField::ALL {
        let row = &counts[f.index()];
        let known: u64 = row[1..].iter().sum();
        for l in 1..f.levels().len() {
            // Half a pair for levels never seen: finite, and still very rare.
            u[f.index()][l] = (row[l] as f64).max(0.5) / known.max(1) as f64;
        }
    }
    u
}

/// The pairs of one blocking rule, and the fields whose `m` they can estimate: not the
/// fields the rule blocks on, which agree for every pair it makes, matches or not.
pub struct Session<'a> {
    pub histogram: &'a HashMap<Pattern, u64>,
    pub estimates: &'a [CompareField],
}

/// One EM run over `histogram` using only `fields`' evidence; updates their `m` when
/// `update_m`, and always the session's λ. Returns the iterations used.
fn em(
    histogram: &HashMap<Pattern, u64>,
    model: &mut Model,
    fields: &[CompareField],
    update_m: bool,
    iterations: usize,
) -> usize {
    let total: f64 = histogram.values().map(|&c| c as f64).sum();
    if total == 0.0 {
        return 0;
    }
    for it in 0..iterations {
        let mut m_acc = [[0.0; LEVELS]; FIELDS];
        let mut matched = 0.0;
        for (&pattern, &count) in histogram {
            let p = probability(model.weight_over(pattern, fields)) * count as f64;
            matched += p;
            for &f in fields {
                m_acc[f.index()][level(pattern, f) as usize] += p;
            }
        }
        let mut change: f64 = 0.0;
        if update_m {
            for &f in fields {
                let known: f64 = m_acc[f.index()][1..].iter().sum();
                if known <= 0.0 {
                    continue;
                }
                let levels = f.levels().len();
                let estimated = m_acc[f.index()].iter().take(levels).skip(1);
                for (m, acc) in model.m[f.index()].iter_mut().take(levels).skip(1).zip(estimated) {
                    let new = (acc / known).max(MIN_PROB);
                    change = change.max((new - *m).abs());
                    *m = new;
                }
            }
        }
        let new_lambda = (matched / total).clamp(1e-9, 1.0 - 1e-9);
        change = change.max((new_lambda - model.lambda).abs());
        model.lambda = new_lambda;
        if change < 1e-6 {
            return it + 1;
        }
    }
    iterations
}

/// Fits `m` by EM session per blocking rule (as Splink trains), each session estimating
/// only the fields its rule does not block on; a field's `m` is the mean over the
/// sessions that estimated it. λ, the prior, is then fitted over all candidate pairs
/// (`all`) with `m` and `u` fixed. Training on all candidate pairs at once lets EM
/// settle on "pairs sharing a birth date" as its match class: at a million records
/// that class is mostly different people.
pub fn fit(sessions: &[Session], all: &HashMap<Pattern, u64>, u: [[f64; LEVELS]; FIELDS], iterations: usize) -> Model {
    let start = Model::initial(u);
    let mut sum = [[0.0; LEVELS]; FIELDS];
    let mut n = [0usize; FIELDS];
    let mut used = 0;
    for session in sessions {
        let mut local = start.clone();
        used += em(session.histogram, &mut local, session.estimates, true, iterations);
        if session.histogram.is_empty() {
            continue;
        }
        for &f in session.estimates {
            n[f.index()] += 1;
            for (total, m) in sum[f.index()].iter_mut().zip(local.m[f.index()]) {
                *total += m;
            }
        }
    }
    let mut model = start;
    for f in CompareField::ALL {
        let sessions = n[f.index()];
        if sessions > 0 {
            for (m, total) in model.m[f.index()].iter_mut().zip(sum[f.index()]) {
                *m = total / sessions as f64;
            }
        }
    }
    used += em(all, &mut model, &CompareField::ALL, false, iterations);
    // A candidate pair is at most an even bet before its fields are compared: with a
    // handful of pairs, all true, EM would put λ at 1 and link any pair on no evidence.
    model.lambda = model.lambda.min(MAX_LAMBDA);
    model.em_iterations = used;
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drawn among a sample of a large set's records, `u` is what pairs of the whole set
    /// give: here the same as drawn among all of a smaller set of the same kind, level
    /// by level (the levels random pairs reach at all, within a tenth).
    #[test]
    fn u_among_a_sample_of_the_records_is_u_of_them_all() {
        let records: Vec<Prepared> = ledgerline_synth::records::generate_records(2 * U_SAMPLE_RECORDS, 7)
            .iter()
            .map(|r| Prepared::new(&r.fields))
            .collect();
        let sampled = estimate_u(&records, 400_000, 1);
        let all_of_fewer = estimate_u(&records[..U_SAMPLE_RECORDS], 400_000, 1);
        for f in CompareField::ALL {
            for l in 1..f.levels().len() {
                let (s, a) = (sampled[f.index()][l], all_of_fewer[f.index()][l]);
                if a > 0.01 {
                    assert!((s - a).abs() <= 0.1 * a, "{} level {l}: {s} against {a}", f.name());
                }
            }
        }
        assert_eq!(sampled, estimate_u(&records, 400_000, 1), "the same draw every run");
    }

    #[test]
    fn em_separates_a_mixture() {
        // 100 matches (everything exact) among 900 non-matches (everything different).
        let exact: Pattern = CompareField::ALL
            .iter()
            .fold(0, |p, f| p | (u32::from(f.levels().len() as u8 - 1) << (4 * f.index())));
        let different: Pattern = CompareField::ALL.iter().fold(0, |p, f| p | (1 << (4 * f.index())));
        let hist = HashMap::from([(exact, 100), (different, 900)]);
        let mut u = [[0.0; LEVELS]; FIELDS];
        for f in CompareField::ALL {
            let n = f.levels().len();
            // 95 % "different", the rest spread over the agreeing levels.
            for u in u[f.index()].iter_mut().take(n).skip(2) {
                *u = 0.05 / (n - 2) as f64;
            }
            u[f.index()][1] = 0.95;
        }
        let sessions = [Session {
            histogram: &hist,
            estimates: &CompareField::ALL,
        }];
        let model = fit(&sessions, &hist, u, 50);
        assert!((model.lambda - 0.1).abs() < 0.01, "{}", model.lambda);
        assert!(probability(model.weight(exact)) > 0.999);
        assert!(probability(model.weight(different)) < 0.001);
    }
}
