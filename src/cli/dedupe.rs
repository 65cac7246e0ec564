//! `ledgerline dedupe`: link the workspace's records into persons, explain every link,
//! queue the uncertain pairs for review, and keep person ids stable across runs.

use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rayon::prelude::*;
use serde_json::json;

use ledgerline_dedupe::{
    link,
    persons::{assign, PersonEvent},
    Constraints, Linkage, Prepared, Scope, ScoredPair, Settings,
};
use ledgerline_load::{read_persons, Target};
use ledgerline_store::persons::{decided_pairs, pair_key, save_run, EventRow, LinkageRun, PairRow};
use ledgerline_store::records::{read_records, RecordFilter};

use super::WorkspaceArg;

/// How a database person is named among record ids, in pairs and explanations.
const DB_PREFIX: &str = "db:";

#[derive(clap::Args)]
#[command(
    after_help = "Pairs at or above --link-threshold are linked automatically; pairs between \
--review-threshold and --link-threshold become review items. Records carrying two different valid \
ID numbers are never put in one cluster, and reviewers' same/different decisions are obeyed."
)]
pub struct Args {
    #[command(flatten)]
    pub ws: WorkspaceArg,
    /// Link only this batch's records among themselves (default: all batches together)
    #[arg(long)]
    pub batch: Option<String>,
    /// Match probability at or above which pairs are linked automatically
    #[arg(long, default_value_t = Settings::default().link_threshold)]
    pub link_threshold: f64,
    /// Match probability at or above which unlinked pairs go to human review
    #[arg(long, default_value_t = Settings::default().review_threshold)]
    pub review_threshold: f64,
    /// A basic funeral database (duckdb:PATH or postgres://USER@HOST/DB) whose persons, live or backfilled, the
    /// records link to: a record matching one takes its person id
    #[arg(long, value_name = "PROVINCE_DB", value_parser = Target::parse)]
    pub against: Option<Target>,
    /// Print the run as JSON: counts, model, duplicate clusters and review pairs explained
    #[arg(long)]
    pub json: bool,
}

/// The pair in stored form.
fn pair_row(linkage: &Linkage, ids: &[String], p: &ScoredPair, decision: &'static str) -> PairRow {
    let (a, b) = pair_key(&ids[p.a as usize], &ids[p.b as usize]);
    PairRow {
        record_a: a.to_string(),
        record_b: b.to_string(),
        decision,
        match_weight: p.weight,
        match_probability: p.probability,
        explanation: serde_json::to_string(&linkage.explain(p)).expect("serializable"),
    }
}

fn event_row(e: &PersonEvent) -> EventRow {
    match e {
        PersonEvent::Created { person_id, records } => EventRow {
            event: "created",
            person_id: person_id.clone(),
            other_person_id: None,
            records: Some(*records as i32),
        },
        PersonEvent::Merged { from, into } => EventRow {
            event: "merged",
            person_id: into.clone(),
            other_person_id: Some(from.clone()),
            records: None,
        },
        PersonEvent::Split { from, new, records } => EventRow {
            event: "split",
            person_id: new.clone(),
            other_person_id: Some(from.clone()),
            records: Some(*records as i32),
        },
    }
}

fn pair_json(linkage: &Linkage, ids: &[String], p: &ScoredPair) -> serde_json::Value {
    json!({
        "record_a": ids[p.a as usize],
        "record_b": ids[p.b as usize],
        "match_weight": p.weight,
        "match_probability": p.probability,
        "explanation": linkage.explain(p),
    })
}

pub fn run(a: Args) -> Result<ExitCode> {
    if !(0.0..=1.0).contains(&a.review_threshold) || a.review_threshold > a.link_threshold || a.link_threshold > 1.0 {
        bail!("thresholds must satisfy 0 <= --review-threshold <= --link-threshold <= 1");
    }
    let started = Instant::now();
    let ws = a.ws.open_reviewed()?;
    if let Some(batch) = &a.batch {
        ws.require_batch(batch)?;
    }
    let filter = RecordFilter::batch(a.batch.clone());
    let (records, decided) = ws.with_store(|c| Ok((read_records(c, &filter)?, decided_pairs(c)?)))?;
    if records.is_empty() {
        bail!(
            "no records to link in {}{}",
            a.ws.workspace.display(),
            a.batch.as_deref().map(|b| format!(" (batch {b})")).unwrap_or_default()
        );
    }
    // The subjects of linkage: the workspace's records, then the database's persons
    // (named `db:<person_id>`), which keep their ids and are only linked to, never merged.
    let database = match &a.against {
        Some(t) => read_persons(&mut t.open_for_reading()?)
            .with_context(|| format!("reading the persons of {}", t.display()))?,
        None => Vec::new(),
    };
    let n = records.len();
    let ids: Vec<String> = records
        .iter()
        .map(|r| r.record_id.clone())
        .chain(database.iter().map(|p| format!("{DB_PREFIX}{}", p.person_id)))
        .collect();
    let prepared: Vec<Prepared> = records
        .par_iter()
        .map(|r| &r.fields)
        .chain(database.par_iter().map(|p| &p.fields))
        .map(Prepared::new)
        .collect();
    let existing: Vec<Option<&str>> = records
        .iter()
        .map(|r| r.person_id.as_deref())
        .chain(database.iter().map(|p| Some(p.person_id.as_str())))
        .collect();
    let pinned: Vec<bool> = (0..ids.len()).map(|i| i >= n).collect();
    let index: HashMap<&str, u32> = ids.iter().enumerate().map(|(i, id)| (id.as_str(), i as u32)).collect();
    let mut constraints = Constraints::default();
    for (x, y, same) in &decided {
        if let (Some(&i), Some(&j)) = (index.get(x.as_str()), index.get(y.as_str())) {
            if *same {
                constraints.same.push((i, j))
            } else {
                constraints.different.push((i, j))
            }
        }
    }
    if !database.is_empty() {
        constraints.anchor = (0..ids.len()).map(|i| i.checked_sub(n).map(|k| k as u32)).collect();
    }
    let settings = Settings {
        link_threshold: a.link_threshold,
        review_threshold: a.review_threshold,
        ..Settings::default()
    };
    // Pairs of two database persons are the database's business, not this run's.
    let workspace_side: Vec<bool> = (0..ids.len()).map(|i| i < n).collect();
    let scope = if database.is_empty() {
        Scope::All
    } else {
        Scope::Touching(&workspace_side)
    };
    let linkage = link(&prepared, &settings, scope, &constraints);

    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let (person_ids, events) = assign(&id_refs, &linkage.cluster_of, &existing, &pinned);
    let changed: Vec<(String, String)> = records
        .iter()
        .zip(&person_ids)
        .filter(|(r, p)| r.person_id.as_deref() != Some(p.as_str()))
        .map(|(r, p)| (r.record_id.clone(), p.clone()))
        .collect();
    let database_persons: std::collections::HashSet<&str> = database.iter().map(|p| p.person_id.as_str()).collect();
    let linked_to_database = person_ids[..n]
        .iter()
        .filter(|p| database_persons.contains(p.as_str()))
        .count();
    let mut pairs: Vec<PairRow> = Vec::new();
    for (list, decision) in [
        (&linkage.links, "linked"),
        (&linkage.review, "review"),
        (&linkage.refused, "refused"),
    ] {
        pairs.extend(list.iter().map(|p| pair_row(&linkage, &ids, p, decision)));
    }
    let run_id = format!("D{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"));
    let mut scope = a.batch.as_deref().map_or("all".to_string(), |b| format!("batch:{b}"));
    if let Some(t) = &a.against {
        // Displayed: the scope is stored, and a PostgreSQL password must not be.
        scope.push_str(&format!(" against {}", t.display()));
    }
    let run = LinkageRun {
        run_id: &run_id,
        scope: &scope,
        batch: a.batch.as_deref(),
        settings: serde_json::to_string(&settings)?,
        stats: serde_json::to_string(&linkage.stats)?,
        model: serde_json::to_string(&linkage.model)?,
        person_ids: changed,
        pairs,
        events: events.iter().map(event_row).collect(),
    };
    ws.transaction(|c| save_run(c, &run))?;

    let count = |kind: &str| run.events.iter().filter(|e| e.event == kind).count();
    let mut members: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for (i, p) in person_ids.iter().enumerate().take(n) {
        members.entry(p.as_str()).or_default().push(i as u32);
    }
    let s = &linkage.stats;
    if a.json {
        let mut links_of: HashMap<u32, Vec<&ScoredPair>> = HashMap::new();
        for p in &linkage.links {
            links_of.entry(linkage.cluster_of[p.a as usize]).or_default().push(p);
        }
        let clusters: Vec<serde_json::Value> = members
            .iter()
            .filter(|(_, m)| m.len() > 1)
            .map(|(person, m)| {
                let links = links_of
                    .get(&linkage.cluster_of[m[0] as usize])
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                json!({
                    "person_id": person,
                    "records": m.iter().map(|&i| &ids[i as usize]).collect::<Vec<_>>(),
                    "pairs": links.iter().map(|p| pair_json(&linkage, &ids, p)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let out = json!({
            "run_id": run_id,
            "scope": scope,
            "records": s.records,
            "candidate_pairs": s.candidate_pairs,
            "blocking_rules": s.rules,
            "links": s.links,
            "review_pairs": s.review_pairs,
            "refused_links": s.refused_links,
            "persons": s.clusters,
            "duplicate_records": s.duplicate_records,
            "person_ids": { "created": count("created"), "merged": count("merged"), "split": count("split") },
            "database": a.against.as_ref().map(|t| json!({
                "target": t.display(),
                "persons": database.len(),
                "records_linked_to_database": linked_to_database,
            })),
            "seconds": started.elapsed().as_secs_f64(),
            "model": linkage.model,
            "clusters": clusters,
            "review": linkage.review.iter().map(|p| pair_json(&linkage, &ids, p)).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "run {run_id} ({scope}): {} records, {} candidate pairs",
        s.records, s.candidate_pairs
    );
    for r in &s.rules {
        println!("  blocking {:<40} {:>9} pairs", r.rule, r.pairs);
    }
    println!(
        "{} links, {} pairs for review, {} links refused (conflicting ID numbers, database persons or reviewers' decisions)",
        s.links, s.review_pairs, s.refused_links
    );
    println!(
        "{} persons, {} duplicate records; person ids: {} created, {} merged, {} split ({:.1}s)",
        s.clusters,
        s.duplicate_records,
        count("created"),
        count("merged"),
        count("split"),
        started.elapsed().as_secs_f64()
    );
    if let Some(t) = &a.against {
        println!(
            "{linked_to_database} records linked to persons already in {} ({} persons there)",
            t.display(),
            database.len()
        );
    }
    if let Some(p) = linkage.review.first().or(linkage.links.first()) {
        let e = linkage.explain(p);
        println!(
            "\nexample: {} ~ {} (weight {:.1}, probability {:.3})",
            ids[p.a as usize], ids[p.b as usize], e.match_weight, e.match_probability
        );
        println!("  {:<20} {:>7}", "prior", format!("{:+.1}", e.prior_weight));
        for f in &e.fields {
            println!("  {:<20} {:>7}  {}", f.field, format!("{:+.1}", f.weight), f.comparison);
        }
        if let Some(adj) = e.name_frequency_adjustment {
            println!("  {:<20} {:>7}  name frequency", "", format!("{adj:+.1}"));
        }
    }
    Ok(ExitCode::SUCCESS)
}
