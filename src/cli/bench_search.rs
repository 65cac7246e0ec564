//! `ledgerline bench search`: the search index on generated records. Indexing
//! throughput; latency of a mixed query set (names, pinyin, initials, ID numbers and
//! prefixes, date ranges) beside a linear scan answering the same exact-match queries;
//! recall of the right person in the top 3 for names with one character misread.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Result;
use rand::{seq::IndexedRandom, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use ledgerline_dedupe::normalize::{fold_name, name_pinyin};
use ledgerline_schemas::{codes, Record, ReviewStatus};
use ledgerline_search::{event_date, SearchIndex, SearchRequest};
use ledgerline_synth::records::{damage_name, generate_records, misread_name};

use super::bench::{measured, SearchArgs};

/// A latency as milliseconds: a measured `Duration` or a figure already in ms.
pub(super) trait Millis {
    fn ms(&self) -> f64;
}

impl Millis for Duration {
    fn ms(&self) -> f64 {
        self.as_secs_f64() * 1000.0
    }
}

impl Millis for f64 {
    fn ms(&self) -> f64 {
        *self
    }
}

/// The `p` quantile of sorted latencies, in milliseconds (nearest rank).
pub(super) fn percentile_ms<T: Millis>(sorted: &[T], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].ms()
}

fn county(r: &Record) -> Option<String> {
    r.fields
        .household_division
        .as_deref()
        .and_then(codes::division)
        .map(|d| d.name.clone())
}

fn year(r: &Record) -> Option<String> {
    event_date(r).and_then(|d| d.get(..4)).map(str::to_string)
}

/// One query of the mixed set: its kind, the request, and the exact value a linear scan
/// would look for (`None` where a scan cannot answer it: pinyin, initials, ranges).
type MixedQuery = (&'static str, SearchRequest, Option<String>);

fn mixed_queries(records: &[Record], n: usize, rng: &mut ChaCha8Rng) -> Vec<MixedQuery> {
    let mut out = Vec::new();
    for _ in 0..n {
        let r = records.choose(rng).expect("records");
        let name = r.fields.deceased_name.clone().unwrap_or_default();
        let pinyin = name_pinyin(&fold_name(&name));
        let initials: String = pinyin.split(' ').filter_map(|s| s.chars().next()).collect();
        out.push(("name", SearchRequest::new(name.clone()), Some(name.clone())));
        out.push(("pinyin", SearchRequest::new(pinyin), None));
        if let Some(id) = &r.fields.id_number {
            out.push(("id_number", SearchRequest::new(id.clone()), Some(id.clone())));
            out.push(("id_prefix", SearchRequest::new(id[..6.min(id.len())].to_string()), None));
        }
        let mut ranged = SearchRequest::new(format!("{initials} {}", county(r).unwrap_or_default()));
        if let Some(y) = year(r) {
            ranged.from = Some(format!("{y}-01-01"));
            ranged.to = Some(format!("{y}-12-31"));
        }
        out.push(("initials_place_range", ranged, None));
    }
    out
}

#[derive(Debug, Clone, Copy, serde::Serialize)]
struct Recall {
    queries: usize,
    found: usize,
    recall: f64,
}

/// How often the right person is in the top 3 when asked by a damaged name (names of
/// three characters or more that `damage` can damage), the county and the year.
fn recall(
    index: &SearchIndex,
    records: &[Record],
    person_of: &HashMap<String, String>,
    queries: usize,
    rng: &mut ChaCha8Rng,
    damage: impl Fn(&mut ChaCha8Rng, &str) -> Option<String>,
) -> Result<Recall> {
    let (mut asked, mut found) = (0, 0);
    for _ in 0..queries * 100 {
        if asked == queries {
            break;
        }
        let r = records.choose(rng).expect("records");
        let Some(name) = &r.fields.deceased_name else { continue };
        if name.chars().count() < 3 {
            continue; // one given-name character: misreading it leaves only the surname
        }
        let Some(damaged) = damage(rng, name) else { continue };
        let q = format!(
            "{damaged} {} {}",
            county(r).unwrap_or_default(),
            year(r).unwrap_or_default()
        );
        let mut req = SearchRequest::new(q);
        req.limit = 3;
        let hits = index.search(&req)?.hits;
        asked += 1;
        let want = &person_of[&r.record_id];
        if hits.iter().any(|h| person_of.get(&h.record.record_id) == Some(want)) {
            found += 1;
        }
    }
    Ok(Recall {
        queries: asked,
        found,
        recall: found as f64 / asked.max(1) as f64,
    })
}

pub fn run(a: SearchArgs) -> Result<ExitCode> {
    let log = |s: String| {
        if !a.json {
            eprintln!("{s}");
        }
    };
    log(format!("generating {} records (seed {})", a.records, a.seed));
    let synthetic = generate_records(a.records, a.seed);
    let person_of: HashMap<String, String> = synthetic
        .iter()
        .map(|s| (format!("B-{}", s.record_id), s.person_id.clone()))
        .collect();
    let records: Vec<Record> = synthetic
        .iter()
        .enumerate()
        .map(|(i, s)| s.to_record("B", i, 20, ReviewStatus::Verified))
        .collect();
    drop(synthetic);

    let dir = tempfile::tempdir()?;
    let mut index = SearchIndex::open(dir.path())?;
    log("indexing".into());
    let (_, index_seconds, index_cpu) = measured(|| index.update(&records, true, &|_| {}))?;
    let records_per_second = records.len() as f64 / index_seconds;
    log("indexing the same records as plain text (the baseline)".into());
    let plain_dir = tempfile::tempdir()?;
    let (_, plain_seconds, plain_cpu) =
        measured(|| ledgerline_search::baseline::index_plain(&records, plain_dir.path()))?;
    drop(plain_dir);

    let mut rng = ChaCha8Rng::seed_from_u64(a.seed ^ 0x5eed);
    let queries = mixed_queries(&records, a.queries, &mut rng);
    log(format!("{} mixed queries", queries.len()));
    let mut latencies = Vec::with_capacity(queries.len());
    let mut by_kind: std::collections::BTreeMap<&str, Vec<Duration>> = Default::default();
    let mut scan_latencies = Vec::new();
    for (kind, q, exact) in &queries {
        let t = Instant::now();
        index.search(q)?;
        latencies.push(t.elapsed());
        by_kind.entry(kind).or_default().push(t.elapsed());
        if let Some(value) = exact {
            // The baseline: what answering without an index costs.
            let t = Instant::now();
            let found = records
                .iter()
                .filter(|r| {
                    r.fields.deceased_name.as_ref() == Some(value) || r.fields.id_number.as_ref() == Some(value)
                })
                .take(10)
                .count();
            std::hint::black_box(found);
            scan_latencies.push(t.elapsed());
        }
    }
    latencies.sort_unstable();
    scan_latencies.sort_unstable();
    let by_kind: std::collections::BTreeMap<&str, (f64, f64)> = by_kind
        .into_iter()
        .map(|(kind, mut l)| {
            l.sort_unstable();
            (kind, (percentile_ms(&l, 0.5), percentile_ms(&l, 0.99)))
        })
        .collect();

    // Recall: a name with one character misread, the county, the year. OCR misreads a
    // character as a look-alike (the bar); a wrong character of no likeness at all is
    // measured beside it.
    let ocr = recall(&index, &records, &person_of, a.queries, &mut rng, misread_name)?;
    let random = recall(&index, &records, &person_of, a.queries, &mut rng, |rng, name| {
        Some(damage_name(rng, name))
    })?;
    let (p50, p99) = (percentile_ms(&latencies, 0.5), percentile_ms(&latencies, 0.99));
    let (scan50, scan99) = (
        percentile_ms(&scan_latencies, 0.5),
        percentile_ms(&scan_latencies, 0.99),
    );
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "records": records.len(),
                "index_seconds": index_seconds,
                "index_records_per_second": records_per_second,
                "index_cpu_seconds": index_cpu,
                "plain_index_seconds": plain_seconds,
                "plain_index_cpu_seconds": plain_cpu,
                "plain_index_records_per_second": records.len() as f64 / plain_seconds,
                "queries": latencies.len(),
                "latency_ms": { "p50": p50, "p99": p99 },
                "latency_ms_by_kind": by_kind
                    .iter()
                    .map(|(k, (p50, p99))| (k.to_string(), json!({ "p50": p50, "p99": p99 })))
                    .collect::<serde_json::Map<_, _>>(),
                "linear_scan_latency_ms": { "queries": scan_latencies.len(), "p50": scan50, "p99": scan99 },
                "damaged_name_recall_top3": ocr,
                "wrong_character_recall_top3": random,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} records indexed in {index_seconds:.1}s: {records_per_second:.0} records/s; \
plain tantivy on the same records {plain_seconds:.1}s: {:.0} records/s; ledgerline at {:.0}% of plain",
        records.len(),
        records.len() as f64 / plain_seconds,
        100.0 * plain_seconds / index_seconds
    );
    println!(
        "CPU time: ledgerline {index_cpu:.1}s ({:.1} cores busy), plain {plain_cpu:.1}s; ledgerline at {:.0}% of plain",
        index_cpu / index_seconds,
        100.0 * plain_cpu / index_cpu.max(1e-9)
    );
    println!("{:<32} {:>10} {:>10}", "", "p50 ms", "p99 ms");
    println!(
        "{:<32} {p50:>10.2} {p99:>10.2}",
        format!("index, {} mixed queries", latencies.len())
    );
    for (kind, (k50, k99)) in &by_kind {
        println!("{:<32} {k50:>10.2} {k99:>10.2}", format!("  {kind}"));
    }
    println!(
        "{:<32} {scan50:>10.2} {scan99:>10.2}",
        format!("linear scan, {} exact queries", scan_latencies.len())
    );
    println!("index is {:.0}x faster than the scan at p50", scan50 / p50.max(1e-9));
    for (what, r) in [("OCR-misread names", ocr), ("names with a wrong character", random)] {
        println!(
            "{what}: right person in the top 3 for {} of {} queries ({:.1}%)",
            r.found,
            r.queries,
            r.recall * 100.0
        );
    }
    Ok(ExitCode::SUCCESS)
}
