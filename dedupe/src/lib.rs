//! Record linkage for ledger records: which rows are the same death.
//!
//! [`link`] runs the whole method over prepared records: blocking
//! ([`blocking::candidate_pairs`]), field comparisons ([`compare`]), a Fellegi–Sunter
//! model fitted without labels ([`model`]), and guarded clustering ([`cluster`]). Every
//! scored pair can be explained field by field ([`Linkage::explain`]).

pub mod blocking;
pub mod cluster;
pub mod compare;
pub mod metrics;
pub mod model;
pub mod normalize;
pub mod persons;

use rayon::prelude::*;
use rustc_hash::FxBuildHasher;
use serde::Serialize;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::time::Instant;

pub use blocking::Scope;
use blocking::{candidate_pairs, unpack, RuleStats};
use compare::{level, level_name, CompareField, Pattern};
pub use model::{probability, Model};
pub use normalize::{LinkageFields, Prepared};

#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// Pairs at or above this match probability are linked automatically.
    pub link_threshold: f64,
    /// Pairs at or above this (and below `link_threshold`) go to human review.
    pub review_threshold: f64,
    pub max_block: usize,
    /// Random pairs drawn to estimate `u`.
    pub u_samples: usize,
    pub em_iterations: usize,
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            link_threshold: 0.99,
            review_threshold: 0.5,
            max_block: blocking::DEFAULT_MAX_BLOCK,
            u_samples: 1_000_000,
            em_iterations: 100,
            seed: 0x1ed6_e41e,
        }
    }
}

/// A scored candidate pair (record indexes into the linked slice, `a < b`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ScoredPair {
    pub a: u32,
    pub b: u32,
    pub pattern: Pattern,
    pub weight: f64,
    pub probability: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub records: usize,
    pub candidate_pairs: u64,
    pub rules: Vec<RuleStats>,
    pub links: usize,
    pub review_pairs: usize,
    /// Links refused because they would join two different valid ID numbers, two
    /// records a reviewer marked different, or two database persons.
    pub refused_links: usize,
    pub clusters: usize,
    pub duplicate_records: usize,
    /// Blocking, with the random pairs that estimate u and the names' frequencies, found
    /// beside it.
    pub seconds_blocking: f64,
    /// The candidates compared, and the model fitted to them.
    pub seconds_training: f64,
    pub seconds_scoring: f64,
    pub seconds_clustering: f64,
}

pub struct Linkage {
    /// Each record's cluster: the smallest record index in it.
    pub cluster_of: Vec<u32>,
    pub links: Vec<ScoredPair>,
    pub review: Vec<ScoredPair>,
    pub refused: Vec<ScoredPair>,
    pub model: Model,
    pub stats: Stats,
    name_tf: Vec<f32>,
}

/// How one field moved a pair's weight.
#[derive(Debug, Clone, Serialize)]
pub struct FieldEvidence {
    pub field: &'static str,
    pub comparison: &'static str,
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub prior_weight: f64,
    pub fields: Vec<FieldEvidence>,
    /// Added to an exact name match: negative for common names, positive for rare ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_frequency_adjustment: Option<f64>,
    pub match_weight: f64,
    pub match_probability: f64,
}

impl Linkage {
    pub fn explain(&self, pair: &ScoredPair) -> Explanation {
        let fields = CompareField::ALL
            .iter()
            .map(|&f| FieldEvidence {
                field: f.name(),
                comparison: level_name(pair.pattern, f),
                weight: self.model.field_weight(f, level(pair.pattern, f)),
            })
            .collect();
        let adjustment = (level(pair.pattern, CompareField::Name) == 4)
            .then(|| self.model.name_tf_adjustment(f64::from(self.name_tf[pair.a as usize])));
        Explanation {
            prior_weight: self.model.prior_weight(),
            fields,
            name_frequency_adjustment: adjustment,
            match_weight: pair.weight,
            match_probability: pair.probability,
        }
    }
}

/// Share of records bearing each record's (folded) name.
///
/// Names are grouped by sorting (hash, record) pairs over all cores: a million-entry hash
/// map counted on one core took 0.3 s of a load. Records whose names share a hash but
/// differ are told apart within their group, so the shares are exact.
fn name_frequencies(records: &[Prepared]) -> Vec<f32> {
    name_shares(records, |name| FxBuildHasher.hash_one(name))
}

fn name_shares(records: &[Prepared], hash: impl Fn(&str) -> u64 + Sync) -> Vec<f32> {
    let mut keyed: Vec<(u64, u32)> = records
        .par_iter()
        .enumerate()
        .filter(|(_, r)| r.name_known())
        .map(|(i, r)| (hash(r.name.as_str()), i as u32))
        .collect();
    keyed.par_sort_unstable();
    let n = records.len().max(1) as f32;
    let mut shares = vec![0.0; records.len()];
    for group in keyed.chunk_by(|x, y| x.0 == y.0) {
        let name = |k: &(u64, u32)| records[k.1 as usize].name.as_str();
        if group.iter().all(|k| name(k) == name(&group[0])) {
            for k in group {
                shares[k.1 as usize] = group.len() as f32 / n;
            }
        } else {
            let mut by_name: Vec<(&str, u32)> = group.iter().map(|k| (name(k), k.1)).collect();
            by_name.sort_unstable();
            for same in by_name.chunk_by(|x, y| x.0 == y.0) {
                for k in same {
                    shares[k.1 as usize] = same.len() as f32 / n;
                }
            }
        }
    }
    shares
}

/// What the model must obey (record indexes): reviewers' decisions on pairs, and the
/// persons already in a database the records are linked against.
#[derive(Debug, Clone, Default)]
pub struct Constraints {
    pub same: Vec<(u32, u32)>,
    pub different: Vec<(u32, u32)>,
    /// Per record (or empty): the database person it is, if it is a database row. A
    /// cluster holds at most one database person: two persons the database already keeps
    /// apart are not merged here.
    pub anchor: Vec<Option<u32>>,
}

/// Links `records`: candidate pairs, model, scores, clusters.
pub fn link(records: &[Prepared], settings: &Settings, scope: Scope, constraints: &Constraints) -> Linkage {
    // Blocking has stretches on one core (each rule's keys deduplicated and grouped, the
    // rules' pairs merged); the random pairs that estimate u and the names' frequencies
    // need no candidates, and are found beside it (a million-record load's linkage,
    // 2.4 s, had them after it: 0.33 and 0.16 s).
    let t = Instant::now();
    let (candidates, (u, name_tf)) = rayon::join(
        || candidate_pairs(records, settings.max_block, scope),
        || {
            let u = model::estimate_u(records, settings.u_samples, settings.seed);
            (u, name_frequencies(records))
        },
    );
    let pairs = &candidates.all;
    let seconds_blocking = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut patterns: Vec<Pattern> = vec![0; pairs.len()];
    patterns
        .par_chunks_mut(4096)
        .zip(pairs.par_chunks(4096))
        .for_each(|(out, pairs)| compare::compare_pairs(records, pairs, out));
    let histogram = |selected: &mut dyn Iterator<Item = Pattern>| {
        let mut h: HashMap<Pattern, u64> = HashMap::new();
        for p in selected {
            *h.entry(p).or_default() += 1;
        }
        h
    };
    let all_histogram = histogram(&mut patterns.iter().copied());
    let rule_histograms: Vec<HashMap<Pattern, u64>> = (0..blocking::RULES.len())
        .into_par_iter()
        .map(|r| histogram(&mut candidates.of_rule(r).map(|i| patterns[i])))
        .collect();
    let sessions: Vec<model::Session> = blocking::RULES
        .iter()
        .zip(&rule_histograms)
        .filter(|(rule, _)| !rule.trains.is_empty())
        .map(|(rule, h)| model::Session {
            histogram: h,
            estimates: rule.trains,
        })
        .collect();
    let model = model::fit(&sessions, &all_histogram, u, settings.em_iterations);
    let seconds_training = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let weights: HashMap<Pattern, f64> = all_histogram.keys().map(|&p| (p, model.weight(p))).collect();
    let mut scored: Vec<ScoredPair> = pairs
        .par_iter()
        .zip(patterns.par_iter())
        .filter_map(|(&p, &pattern)| {
            let (a, b) = unpack(p);
            let mut weight = weights[&pattern];
            if level(pattern, CompareField::Name) == 4 {
                weight += model.name_tf_adjustment(f64::from(name_tf[a as usize]));
            }
            let probability = probability(weight);
            (probability >= settings.review_threshold).then_some(ScoredPair {
                a,
                b,
                pattern,
                weight,
                probability,
            })
        })
        .collect();
    let seconds_scoring = t.elapsed().as_secs_f64();

    let t = Instant::now();
    // Strongest evidence first, so a chain's weak link is the one the guard refuses.
    scored.par_sort_unstable_by(|x, y| y.weight.total_cmp(&x.weight).then((x.a, x.b).cmp(&(y.a, y.b))));
    let mut clusters = cluster::Clusters::new(
        records.iter().map(|r| r.id),
        &constraints.different,
        &constraints.anchor,
    );
    for &(a, b) in &constraints.same {
        clusters.force_union(a, b);
    }
    let (mut links, mut review, mut refused) = (Vec::new(), Vec::new(), Vec::new());
    for pair in scored {
        if pair.probability < settings.link_threshold {
            review.push(pair);
        } else if clusters.union(pair.a, pair.b) {
            links.push(pair);
        } else {
            refused.push(pair);
        }
    }
    let cluster_of = clusters.assignments();
    // A review pair already inside one cluster needs no one's time.
    review.retain(|p| cluster_of[p.a as usize] != cluster_of[p.b as usize]);
    let seconds_clustering = t.elapsed().as_secs_f64();

    let roots = cluster_of.iter().enumerate().filter(|(i, &c)| *i as u32 == c).count();
    let stats = Stats {
        records: records.len(),
        candidate_pairs: pairs.len() as u64,
        rules: candidates.stats,
        links: links.len(),
        review_pairs: review.len(),
        refused_links: refused.len(),
        clusters: roots,
        duplicate_records: records.len() - roots,
        seconds_blocking,
        seconds_training,
        seconds_scoring,
        seconds_clustering,
    };
    Linkage {
        cluster_of,
        links,
        review,
        refused,
        model,
        stats,
        name_tf,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerline_schemas::RecordFields;

    fn named(names: &[&str]) -> Vec<Prepared> {
        names
            .iter()
            .map(|n| {
                Prepared::new(&RecordFields {
                    deceased_name: (!n.is_empty()).then(|| n.to_string()),
                    ..Default::default()
                })
            })
            .collect()
    }

    /// Each record's share is its name's count over all records, unknown names none,
    /// also when different names share a hash.
    #[test]
    fn name_shares_count_each_name_exactly() {
        let records = named(&["王秀英", "李强", "王秀英", "", "??", "李强", "王秀英", "張偉", "张伟"]);
        let n = records.len() as f32;
        let want = [3.0 / n, 2.0 / n, 3.0 / n, 0.0, 0.0, 2.0 / n, 3.0 / n, 2.0 / n, 2.0 / n];
        assert_eq!(name_frequencies(&records), want, "張偉 folds to 张伟");
        assert_eq!(name_shares(&records, |_| 7), want, "every name on one hash");
        assert_eq!(
            name_shares(&records, |s| s.len() as u64),
            want,
            "some names on one hash"
        );
    }
}
