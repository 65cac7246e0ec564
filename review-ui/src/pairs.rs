//! Duplicate candidates: two records side by side with the fields that differ and the
//! linkage model's explanation; decided as the same person (optionally merging values
//! field by field into both records) or as different people.

use std::collections::BTreeMap;

use anyhow::Result;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Change};
use crate::db::{now, ReviewDb};
use crate::queue;
use crate::records::{self, Action, Edit, Editor, RecordView, SaveError};

#[derive(Debug, Clone, Serialize)]
pub struct PairView {
    pub record_a: String,
    pub record_b: String,
    pub match_weight: f64,
    pub match_probability: f64,
    /// The model's per-field comparison and weight, as dedupe wrote it.
    pub explanation: serde_json::Value,
    pub status: String,
    pub decided_by: Option<String>,
    pub a: Option<RecordView>,
    pub b: Option<RecordView>,
    /// Fields whose values differ between the two.
    pub differing: Vec<String>,
}

pub fn view(db: &ReviewDb, a: &str, b: &str, unmasked: bool) -> Result<Option<PairView>> {
    let row = db
        .read()?
        .query_row(
            "SELECT match_weight, match_probability, explanation, status, decided_by FROM pairs WHERE record_a = ?1 AND record_b = ?2",
            params![a, b],
            |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((match_weight, match_probability, explanation, status, decided_by)) = row else {
        return Ok(None);
    };
    let (va, vb) = (records::view(db, a, unmasked)?, records::view(db, b, unmasked)?);
    let differing = match (&va, &vb) {
        (Some(x), Some(y)) => x
            .fields
            .iter()
            .zip(&y.fields)
            .filter(|(p, q)| p.value != q.value && (p.value.is_some() || q.value.is_some()))
            .map(|(p, _)| p.field.to_string())
            .collect(),
        _ => Vec::new(),
    };
    Ok(Some(PairView {
        record_a: a.to_string(),
        record_b: b.to_string(),
        match_weight,
        match_probability,
        explanation: serde_json::from_str(&explanation).unwrap_or(serde_json::Value::Null),
        status,
        decided_by,
        a: va,
        b: vb,
        differing,
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Same,
    Different,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Resolve {
    pub decision: Decision,
    /// For `same`: the value chosen per field, written into both records.
    #[serde(default)]
    pub values: BTreeMap<String, Option<String>>,
    /// The versions of the two records the reviewer saw: `{"a": 0, "b": 2}`.
    #[serde(default)]
    pub versions: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Resolved {
    pub status: String,
    pub merged_fields: Vec<String>,
}

pub fn resolve(db: &ReviewDb, a: &str, b: &str, r: &Resolve, who: &Editor) -> Result<Result<Resolved, SaveError>> {
    db.transaction(|tx| {
        let exists = tx
            .query_row(
                "SELECT 1 FROM pairs WHERE record_a = ?1 AND record_b = ?2",
                params![a, b],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if !exists {
            return Ok(Err(SaveError::NotFound));
        }
        let item = queue::pair_item(a, b);
        if let Some(by) = queue::leased_to_other(tx, &item, who.username)? {
            return Ok(Err(SaveError::Leased { by }));
        }
        let mut merged_fields = Vec::new();
        if r.decision == Decision::Same && !r.values.is_empty() {
            for (side, id) in [("a", a), ("b", b)] {
                let Some(version) = r.versions.get(side).copied() else {
                    return Ok(Err(SaveError::Invalid {
                        problems: vec![format!("versions.{side}: needed to merge values into {id}")],
                        findings: vec![],
                    }));
                };
                let edit = Edit {
                    version,
                    fields: r.values.clone(),
                    action: Action::Save,
                };
                match records::save_in(tx, id, &edit, who)? {
                    Ok(saved) => merged_fields.extend(saved.changed),
                    // A merge is all or nothing: the whole transaction rolls back.
                    Err(e) => return Err(anyhow::Error::new(MergeFailed(e))),
                }
            }
            merged_fields.sort();
            merged_fields.dedup();
        }
        let status = match r.decision {
            Decision::Same => "same",
            Decision::Different => "different",
        };
        tx.execute(
            "UPDATE pairs SET status = ?3, decided_by = ?4, decided_at = ?5 WHERE record_a = ?1 AND record_b = ?2",
            params![a, b, status, who.username, now()],
        )?;
        let action = if merged_fields.is_empty() { status } else { "merge" };
        for (id, other) in [(a, b), (b, a)] {
            audit::append(
                tx,
                &Change {
                    username: who.username,
                    action,
                    record_id: id,
                    field: None,
                    before: None,
                    after: Some(other),
                    version: None,
                },
            )?;
        }
        let payload = serde_json::json!({ "record_a": a, "record_b": b, "status": status, "decided_by": who.username });
        tx.execute(
            "INSERT INTO outbox (kind, key, payload, at) VALUES ('pair', ?1, ?2, ?3)",
            params![format!("{a}|{b}"), payload.to_string(), now()],
        )?;
        queue::finish(tx, &item, who.username)?;
        Ok(Ok(Resolved {
            status: status.to_string(),
            merged_fields,
        }))
    })
    .or_else(|e| match e.downcast::<MergeFailed>() {
        Ok(MergeFailed(inner)) => Ok(Err(inner)),
        Err(e) => Err(e),
    })
}

/// Carries a record's save error out of the merge transaction so it rolls back.
#[derive(Debug)]
struct MergeFailed(SaveError);

impl std::fmt::Display for MergeFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "merge failed: {:?}", self.0)
    }
}

impl std::error::Error for MergeFailed {}
