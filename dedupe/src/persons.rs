//! Stable person ids. A cluster keeps the id its records already carry; when clusters
//! that had ids merge, the oldest id (smallest) survives and the others are recorded as
//! merged into it; when the records of one id fall apart, the largest part keeps it and
//! the rest get new ids, recorded as split from it. Re-running on the same records
//! changes nothing.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PersonEvent {
    /// A new person id for records that had none.
    Created { person_id: String, records: usize },
    /// `from` now belongs to `into`.
    Merged { from: String, into: String },
    /// Records that carried `from` now carry `new`.
    Split { from: String, new: String, records: usize },
}

/// A new person id, derived from the cluster's first record so reruns agree.
pub fn new_person_id(first_record_id: &str) -> String {
    let digest = Sha256::digest(first_record_id.as_bytes());
    format!("P{}", &hex::encode(digest)[..15])
}

/// Assigns person ids: `record_ids[i]` is in cluster `cluster_of[i]` and carried
/// `existing[i]` before; `pinned[i]` (or an empty slice for none) marks rows of a
/// database whose person id is the database's and wins in its cluster. Returns every
/// record's id and what changed.
pub fn assign(
    record_ids: &[&str],
    cluster_of: &[u32],
    existing: &[Option<&str>],
    pinned: &[bool],
) -> (Vec<String>, Vec<PersonEvent>) {
    let is_pinned = |i: usize| pinned.get(i).copied().unwrap_or(false);
    let mut members: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, &c) in cluster_of.iter().enumerate() {
        members.entry(c).or_default().push(i);
    }
    let mut out: Vec<String> = vec![String::new(); record_ids.len()];
    let mut events = Vec::new();
    // Which clusters each old id's records went to, largest first: it stays with the
    // largest part (ties: the cluster with the smallest index).
    let mut parts_of_old: BTreeMap<&str, Vec<(usize, u32)>> = BTreeMap::new();
    for (&c, rows) in &members {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for &i in rows {
            if let Some(old) = existing[i] {
                *counts.entry(old).or_default() += 1;
            }
        }
        for (old, n) in counts {
            parts_of_old.entry(old).or_default().push((n, c));
        }
    }
    let mut keeper: BTreeMap<&str, u32> = parts_of_old
        .iter()
        .map(|(old, parts)| {
            let best = parts
                .iter()
                .max_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(&x.1)))
                .expect("non-empty");
            (*old, best.1)
        })
        .collect();
    // A database person stays with its database row, however many records carried it.
    for (i, &c) in cluster_of.iter().enumerate() {
        if let (true, Some(id)) = (is_pinned(i), existing[i]) {
            keeper.insert(id, c);
        }
    }
    for (&c, rows) in &members {
        let olds: BTreeSet<&str> = rows.iter().filter_map(|&i| existing[i]).collect();
        let database_id = rows.iter().find(|&&i| is_pinned(i)).and_then(|&i| existing[i]);
        let mut kept: Vec<&str> = olds
            .iter()
            .copied()
            .filter(|o| keeper[o] == c && Some(*o) != database_id)
            .collect();
        if let Some(id) = database_id {
            kept.insert(0, id);
        }
        let id = match kept.first() {
            Some(first) => {
                for other in &kept[1..] {
                    events.push(PersonEvent::Merged {
                        from: other.to_string(),
                        into: first.to_string(),
                    });
                }
                first.to_string()
            }
            None => {
                let id = new_person_id(record_ids[rows[0]]);
                if olds.is_empty() {
                    events.push(PersonEvent::Created {
                        person_id: id.clone(),
                        records: rows.len(),
                    });
                }
                id
            }
        };
        for old in olds.iter().filter(|o| keeper[*o] != c) {
            events.push(PersonEvent::Split {
                from: old.to_string(),
                new: id.clone(),
                records: rows.iter().filter(|&&i| existing[i] == Some(old)).count(),
            });
        }
        for &i in rows {
            out[i] = id.clone();
        }
    }
    (out, events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_across_reruns() {
        let recs = ["r1", "r2", "r3"];
        let (ids, ev) = assign(&recs, &[0, 0, 2], &[None, None, None], &[]);
        assert_eq!(ids[0], ids[1]);
        assert_ne!(ids[0], ids[2]);
        assert_eq!(ev.len(), 2);
        let existing: Vec<Option<&str>> = ids.iter().map(|s| Some(s.as_str())).collect();
        let (again, ev) = assign(&recs, &[0, 0, 2], &existing, &[]);
        assert_eq!(again, ids);
        assert!(ev.is_empty(), "{ev:?}");
    }

    #[test]
    fn a_new_record_joins_and_merges_are_recorded() {
        let recs = ["r1", "r2", "r3"];
        let (ids, ev) = assign(&recs, &[0, 0, 0], &[Some("PA"), Some("PB"), None], &[]);
        assert!(ids.iter().all(|i| i == "PA"));
        assert_eq!(
            ev,
            vec![PersonEvent::Merged {
                from: "PB".into(),
                into: "PA".into()
            }]
        );
    }

    #[test]
    fn splits_keep_the_id_with_the_larger_part() {
        let recs = ["r1", "r2", "r3"];
        let (ids, ev) = assign(&recs, &[0, 0, 2], &[Some("PA"), Some("PA"), Some("PA")], &[]);
        assert_eq!(&ids[..2], &["PA", "PA"]);
        assert_ne!(ids[2], "PA");
        assert!(matches!(&ev[0], PersonEvent::Split { from, records: 1, .. } if from == "PA"));
    }

    #[test]
    fn the_database_id_wins() {
        // A workspace person PA (two records) turns out to be database person "DB-9".
        let recs = ["r1", "r2", "db"];
        let (ids, ev) = assign(
            &recs,
            &[0, 0, 0],
            &[Some("PA"), Some("PA"), Some("DB-9")],
            &[false, false, true],
        );
        assert!(ids.iter().all(|i| i == "DB-9"), "{ids:?}");
        assert_eq!(
            ev,
            vec![PersonEvent::Merged {
                from: "PA".into(),
                into: "DB-9".into()
            }]
        );
    }
}
