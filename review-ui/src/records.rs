//! Records under review: the view a reviewer works from (every field with its value,
//! the machine's reading, confidence, cell and findings) and saving an edit with
//! optimistic concurrency, audit entries and an outbox entry for the workspace.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use ledgerline_schemas::validate::{is_acceptable, validate, Finding};
use ledgerline_schemas::{Field, FindingCode, Record, ReviewStatus};
use ledgerline_search::access::{mask_id, mask_phone, Role};
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Change};
use crate::db::{now, ReviewDb};
use crate::{qa, queue};

/// An accept that changed this many fields of the machine's reading goes to a second
/// reviewer (the FamilySearch practice: heavy changes get a second pair of eyes).
pub const HEAVY_CHANGE: usize = 3;

/// Shown instead of an ID number or phone to roles that may not see it.
pub fn is_protected(field: Field) -> bool {
    matches!(field, Field::IdNumber | Field::FamilyPhone)
}

fn mask(field: Field, value: &str) -> String {
    match field {
        Field::IdNumber => mask_id(value),
        _ => mask_phone(value),
    }
}

/// A finding's message with the ID numbers and phone numbers in it masked: findings
/// quote what they are about (`370112… fails its checksum`, a repair's `read …, repaired
/// to …`). Runs of 7 or more digits are masked, as an ID number when 15 or more long;
/// dates (`1950-07-01`), codes and ages are shorter runs and stay.
fn masked_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        match run.len() {
            n if n >= 15 => out.push_str(&mask_id(run)),
            n if n >= 7 => out.push_str(&mask_phone(run)),
            _ => out.push_str(run),
        }
        run.clear();
    };
    for c in message.chars() {
        if c.is_ascii_digit() || (matches!(c, 'X' | 'x') && !run.is_empty()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[derive(Debug, Clone, Serialize)]
pub struct FieldView {
    pub field: &'static str,
    pub value: Option<String>,
    /// What OCR read, when a person has changed it since.
    pub machine_value: Option<String>,
    pub confidence: Option<f32>,
    /// What a coded value means (`2` → 女, `01` → 汉族).
    pub meaning: Option<&'static str>,
    /// `ROW-COL` of the field's cell on the page, for its crop.
    pub cell: Option<String>,
    /// What validation finds in the value.
    pub findings: Vec<Finding>,
    /// What the machine found reading the field (an unreadable cell, a repair), while
    /// the field holds that reading: a person's changed value is no longer it.
    pub machine_findings: Vec<Finding>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordView {
    pub record_id: String,
    pub version: i64,
    pub status: String,
    pub record_type: String,
    pub batch_id: String,
    pub page_id: String,
    pub page_file: String,
    pub row: u32,
    pub person_id: Option<String>,
    pub fields: Vec<FieldView>,
    pub findings: Vec<Finding>,
    /// What the machine found about the row as a whole, not one field of it: a table
    /// read short of columns, a column whose header names no field. Why the record was
    /// sent to review, where no field's findings say it.
    pub record_findings: Vec<Finding>,
    /// ID numbers and phones are masked in this view.
    pub masked: bool,
    pub updated_by: Option<String>,
    pub updated_at: Option<i64>,
}

/// A stored record under review.
pub struct Stored {
    pub record: Record,
    pub machine: Record,
    pub page_id: String,
    pub status: String,
    pub version: i64,
    pub updated_by: Option<String>,
    pub updated_at: Option<i64>,
}

pub fn load(conn: &rusqlite::Connection, record_id: &str) -> Result<Option<Stored>> {
    let row = conn
        .prepare_cached("SELECT record, machine, page_id, status, version, updated_by, updated_at FROM records WHERE record_id = ?1")?
        .query_row([record_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()?;
    row.map(|(rec, machine, page_id, status, version, updated_by, updated_at)| {
        Ok(Stored {
            record: serde_json::from_str(&rec).context("a stored record")?,
            machine: serde_json::from_str(&machine).context("a stored machine reading")?,
            page_id,
            status,
            version,
            updated_by,
            updated_at,
        })
    })
    .transpose()
}

/// The view of a record; `unmasked` says whether the viewer may see protected values.
pub fn view(db: &ReviewDb, record_id: &str, unmasked: bool) -> Result<Option<RecordView>> {
    let conn = db.read()?;
    let Some(s) = load(&conn, record_id)? else {
        return Ok(None);
    };
    let cells: BTreeMap<String, String> = conn
        .prepare_cached(
            "SELECT field, row_no || '-' || col_no FROM cells WHERE page_id = ?1 AND row_no = ?2 AND field IS NOT NULL",
        )?
        .query_map(params![s.page_id, s.record.source.row], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(Some(build_view(&s, &cells, unmasked)))
}

fn build_view(s: &Stored, cells: &BTreeMap<String, String>, unmasked: bool) -> RecordView {
    let findings = validate(&s.record);
    // What the machine found reading the row; its validation is found again above.
    let reading = s
        .machine
        .review
        .findings
        .iter()
        .filter(|x| FindingCode::named(&x.code).is_some_and(FindingCode::from_reading));
    let shown = |f: Field, v: Option<String>| match v {
        Some(v) if !unmasked && is_protected(f) => Some(mask(f, &v)),
        v => v,
    };
    let fields = Field::ALL
        .iter()
        .map(|&f| {
            let value = s.record.fields.get(f);
            let machine = s.machine.fields.get(f);
            let meaning = value
                .as_deref()
                .and_then(|v| ledgerline_schemas::written::meaning(f, v));
            let machine_findings = match machine == value {
                true => reading.clone().filter(|x| x.field == f.name()).cloned().collect(),
                false => Vec::new(),
            };
            FieldView {
                field: f.name(),
                meaning,
                machine_value: if machine != value { shown(f, machine) } else { None },
                value: shown(f, value),
                confidence: s.record.confidence.get(f.name()).copied(),
                cell: cells.get(f.name()).cloned(),
                findings: findings.iter().filter(|x| x.field == f.name()).cloned().collect(),
                machine_findings,
            }
        })
        .collect();
    let mut view = RecordView {
        record_id: s.record.record_id.clone(),
        version: s.version,
        status: s.status.clone(),
        record_type: s.record.record_type.as_str().to_string(),
        batch_id: s.record.source.batch.clone(),
        page_id: s.page_id.clone(),
        page_file: s.record.source.page.clone(),
        row: s.record.source.row,
        person_id: s.record.person_id.clone(),
        fields,
        findings,
        record_findings: reading
            .filter(|x| Field::from_name(&x.field).is_none())
            .cloned()
            .collect(),
        masked: !unmasked,
        updated_by: s.updated_by.clone(),
        updated_at: s.updated_at,
    };
    if !unmasked {
        let all = view
            .fields
            .iter_mut()
            .flat_map(|f| f.findings.iter_mut().chain(&mut f.machine_findings));
        for x in all.chain(&mut view.findings).chain(&mut view.record_findings) {
            x.message = masked_message(&x.message);
            // A repair's reading of a protected field is that field's value, misread.
            if let Some(read) = &mut x.read {
                *read = match Field::from_name(&x.field).filter(|&f| is_protected(f)) {
                    Some(f) => mask(f, read),
                    None => masked_message(read),
                };
            }
        }
    }
    view
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Save corrections and mark the record verified.
    Accept,
    /// Save corrections, leave the record waiting (e.g. to look something up).
    Save,
    /// The row is not a record (a blank, a struck-out line, a duplicate entry).
    Reject,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Edit {
    pub version: i64,
    #[serde(default)]
    pub fields: BTreeMap<String, Option<String>>,
    pub action: Action,
}

#[derive(Debug)]
pub enum SaveError {
    NotFound,
    /// Someone saved first: their version, who, and the record as it now is.
    Stale {
        current: i64,
        by: Option<String>,
    },
    /// The item is leased to someone else right now.
    Leased {
        by: String,
    },
    /// Values that do not parse, or findings that block acceptance.
    Invalid {
        problems: Vec<String>,
        findings: Vec<Finding>,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Saved {
    pub record_id: String,
    pub version: i64,
    pub status: String,
    pub changed: Vec<String>,
    /// The accept changed so much that a second reviewer must confirm it.
    pub second_review: bool,
}

/// Who is saving, and what they may see.
pub struct Editor<'a> {
    pub username: &'a str,
    pub role: Role,
    pub unmasked: bool,
}

/// Applies `edit` to a record, in one journal transaction: the new version, one audit
/// entry per changed field and one for the action, the outbox entry, the queue item.
pub fn save(db: &ReviewDb, record_id: &str, edit: &Edit, who: &Editor) -> Result<Result<Saved, SaveError>> {
    db.transaction(|tx| save_in(tx, record_id, edit, who))
}

pub fn save_in(tx: &Transaction, record_id: &str, edit: &Edit, who: &Editor) -> Result<Result<Saved, SaveError>> {
    let Some(stored) = load(tx, record_id)? else {
        return Ok(Err(SaveError::NotFound));
    };
    if stored.version != edit.version {
        return Ok(Err(SaveError::Stale {
            current: stored.version,
            by: stored.updated_by,
        }));
    }
    let item = queue::record_item(record_id);
    for held in [&item, &queue::qa_item(record_id)] {
        if let Some(by) = queue::leased_to_other(tx, held, who.username)? {
            return Ok(Err(SaveError::Leased { by }));
        }
    }
    let sampled = qa::is_waiting(tx, record_id)?;
    let mut record = stored.record.clone();
    let mut problems = Vec::new();
    for (name, value) in &edit.fields {
        let Some(field) = Field::from_name(name) else {
            problems.push(format!("{name}: no such field"));
            continue;
        };
        let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
        // A masked value sent back unchanged is not an edit.
        if !who.unmasked && is_protected(field) && value.is_some_and(|v| v.contains('*')) {
            continue;
        }
        if let Err(e) = record.fields.set_written(field, value) {
            problems.push(e);
        }
    }
    let findings = validate(&record);
    if !problems.is_empty() || (edit.action == Action::Accept && !is_acceptable(&findings)) {
        return Ok(Err(SaveError::Invalid { problems, findings }));
    }
    let changed: Vec<Field> = Field::ALL
        .iter()
        .copied()
        .filter(|&f| record.fields.get(f) != stored.record.fields.get(f))
        .collect();
    for f in &changed {
        // A person typed it: the value is as sure as the archive allows.
        record.confidence.insert(f.name().to_string(), 1.0);
    }
    let changed_from_machine = Field::ALL
        .iter()
        .filter(|&&f| record.fields.get(f) != stored.machine.fields.get(f))
        .count();
    let second_pass = queue::is_second_review(tx, &item)?;
    let second_review = edit.action == Action::Accept
        && !second_pass
        && changed_from_machine >= HEAVY_CHANGE
        && stored.status == ReviewStatus::NeedsReview.as_str();
    let status = match edit.action {
        Action::Accept if second_review => ReviewStatus::NeedsReview,
        Action::Accept => ReviewStatus::Verified,
        Action::Reject => ReviewStatus::Rejected,
        Action::Save => record.review.status,
    };
    record.review.status = status;
    record.review.findings = findings;
    record.review.reviewed_by = Some(who.username.to_string());
    record.review.reviewed_at = Some(chrono::Local::now().format("%Y-%m-%dT%H:%M:%S").to_string());
    let version = stored.version + 1;
    let json = serde_json::to_string(&record)?;
    tx.execute(
        "UPDATE records SET record = ?2, status = ?3, version = ?4, updated_at = ?5, updated_by = ?6 WHERE record_id = ?1",
        params![record_id, json, status.as_str(), version, now(), who.username],
    )?;
    for f in &changed {
        audit::append(
            tx,
            &Change {
                username: who.username,
                action: "correct",
                record_id,
                field: Some(f.name()),
                before: stored.record.fields.get(*f).as_deref(),
                after: record.fields.get(*f).as_deref(),
                version: Some(version),
            },
        )?;
    }
    let action = match edit.action {
        Action::Accept => "accept",
        Action::Save => "save",
        Action::Reject => "reject",
    };
    audit::append(
        tx,
        &Change {
            username: who.username,
            action,
            record_id,
            field: None,
            before: Some(&stored.status),
            after: Some(status.as_str()),
            version: Some(version),
        },
    )?;
    outbox_record(tx, &stored.page_id, &record)?;
    if sampled && edit.action != Action::Save {
        // In a QA sample: accepted as the machine read it conforms; anything else not.
        let conforming = edit.action == Action::Accept && changed.is_empty();
        qa::inspected(tx, &stored.record.source.batch, record_id, conforming, who.username)?;
    }
    match edit.action {
        Action::Save => {}
        _ if second_review => queue::send_to_second_review(tx, &item, who.username)?,
        _ => queue::finish(tx, &item, who.username)?,
    }
    Ok(Ok(Saved {
        record_id: record_id.to_string(),
        version,
        status: status.as_str().to_string(),
        changed: changed.iter().map(|f| f.name().to_string()).collect(),
        second_review,
    }))
}

/// Queues a record's new state for the DuckDB workspace.
pub fn outbox_record(tx: &Transaction, page_id: &str, record: &Record) -> Result<()> {
    let payload = serde_json::json!({ "page_id": page_id, "record": record });
    tx.execute(
        "INSERT INTO outbox (kind, key, payload, at) VALUES ('record', ?1, ?2, ?3)",
        params![record.record_id, payload.to_string(), now()],
    )?;
    Ok(())
}
