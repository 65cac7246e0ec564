//! Linkage quality on generated records whose true persons are known: duplicates with
//! OCR and copying slips must be found, siblings with one-character names kept apart.

use ledgerline_dedupe::{link, metrics::pairwise, Constraints, Prepared, Scope, Settings};
use ledgerline_synth::records::generate_records;

#[test]
fn finds_duplicates_and_keeps_namesakes_apart() {
    let records = generate_records(30_000, 11);
    let prepared: Vec<Prepared> = records.iter().map(|r| Prepared::new(&r.fields)).collect();
    let linkage = link(&prepared, &Settings::default(), Scope::All, &Constraints::default());
    let truth: Vec<&str> = records.iter().map(|r| r.person_id.as_str()).collect();
    let score = pairwise(&linkage.cluster_of, &truth);
    eprintln!("{score:?}\n{:?}", linkage.stats);
    assert!(score.precision >= 0.995, "{score:?}");
    assert!(score.f1 >= 0.98, "{score:?}");
    // Blocking keeps the work near-linear: a few candidate pairs per record, not n².
    assert!(
        linkage.stats.candidate_pairs < 20 * records.len() as u64,
        "{:?}",
        linkage.stats
    );
}

#[test]
fn every_link_is_explained() {
    let records = generate_records(5_000, 3);
    let prepared: Vec<Prepared> = records.iter().map(|r| Prepared::new(&r.fields)).collect();
    let linkage = link(&prepared, &Settings::default(), Scope::All, &Constraints::default());
    let pair = linkage.links.first().expect("some duplicates linked");
    let e = linkage.explain(pair);
    let total: f64 =
        e.prior_weight + e.fields.iter().map(|f| f.weight).sum::<f64>() + e.name_frequency_adjustment.unwrap_or(0.0);
    assert!(
        (total - e.match_weight).abs() < 1e-9,
        "the parts add up to the weight: {e:?}"
    );
    assert_eq!(e.fields.len(), 7);
}
