//! Records in and out of the `records` table. Content columns are named after
//! [`Field`]s, so the column list is derived, never retyped.

use anyhow::{Context, Result};
use duckdb::{types::Value, Connection};
use ledgerline_schemas::{Field, Record, RecordType, Review, ReviewStatus, Source};

/// Which records to read.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub batch: Option<String>,
    pub status: Option<ReviewStatus>,
    /// Only records stored after this time (microseconds since the epoch).
    pub stored_after: Option<i64>,
    /// Only these records.
    pub ids: Option<Vec<String>>,
}

impl RecordFilter {
    pub fn batch(batch: Option<String>) -> RecordFilter {
        RecordFilter {
            batch,
            ..RecordFilter::default()
        }
    }
}

fn text(v: Option<String>) -> Value {
    v.map_or(Value::Null, Value::Text)
}

/// Replaces the records of one page (idempotent: re-reading a page rewrites its rows).
pub fn replace_page_records(conn: &Connection, page_id: &str, records: &[Record]) -> Result<()> {
    conn.execute("DELETE FROM records WHERE page_id = ?", [page_id])?;
    append_page_records(conn, page_id, records)
}

/// Adds records of one page (none of them stored yet).
pub fn append_page_records<'a>(
    conn: &Connection,
    page_id: &str,
    records: impl IntoIterator<Item = &'a Record>,
) -> Result<()> {
    // The appender skips the SQL planner, which costs milliseconds a statement in the
    // -O0 DuckDB build of the time (measured: 73 ms for one 20-row INSERT, 5 ms for
    // `SELECT 1`; DuckDB is built at -O1 since, not measured again).
    // It fills every column in table order ([`record_columns`]), `created_at` included.
    let now = now_timestamp();
    let mut app = conn.appender("records")?;
    for r in records {
        let values = record_values(r, page_id, &now)?;
        app.append_row(duckdb::appender_params_from_iter(values))
            .with_context(|| format!("storing record {}", r.record_id))?;
    }
    app.flush()
        .with_context(|| format!("storing the records of page {page_id}"))?;
    Ok(())
}

/// Replaces individual records (a reviewer's corrections, rows keyed by hand), keeping
/// the person id linkage gave them: review edits content, dedupe owns `person_id`.
pub fn replace_records(conn: &Connection, records: &[(String, Record)]) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    // The last state of each record wins; a record listed twice is stored once.
    let mut last = std::collections::HashMap::new();
    for (i, (_, r)) in records.iter().enumerate() {
        last.insert(r.record_id.as_str(), i);
    }
    let records: Vec<&(String, Record)> = records
        .iter()
        .enumerate()
        .filter(|(i, (_, r))| last[r.record_id.as_str()] == *i)
        .map(|(_, x)| x)
        .collect();
    let mut person_of = std::collections::HashMap::new();
    {
        let mut stmt = conn.prepare("SELECT person_id FROM records WHERE record_id = ?")?;
        for (_, r) in &records {
            let mut rows = stmt.query([&r.record_id])?;
            if let Some(row) = rows.next()? {
                person_of.insert(r.record_id.clone(), row.get::<_, Option<String>>(0)?);
            }
            conn.execute("DELETE FROM records WHERE record_id = ?", [&r.record_id])?;
        }
    }
    let now = now_timestamp();
    let mut app = conn.appender("records")?;
    for (page_id, r) in records {
        let mut r = r.clone();
        if let Some(person) = person_of.get(&r.record_id) {
            r.person_id = person.clone();
        }
        let values = record_values(&r, page_id, &now)?;
        app.append_row(duckdb::appender_params_from_iter(values))
            .with_context(|| format!("storing record {}", r.record_id))?;
    }
    app.flush().context("storing reviewed records")?;
    Ok(())
}

/// Content fields the schema gained after the `records` table was made: a migration
/// adds a column at the table's end, after `created_at`, and the appender fills the
/// columns in table order.
const ADDED_FIELDS: &[Field] = &[Field::CremationCertStatus];

/// The content fields the `records` table was made with, in table order.
fn first_fields() -> impl Iterator<Item = Field> {
    Field::ALL.iter().copied().filter(|f| !ADDED_FIELDS.contains(f))
}

/// The `records` table's columns in table order, as the appender fills them.
pub fn record_columns() -> Vec<&'static str> {
    ["record_id", "batch_id", "page_id", "page_file", "row_no", "record_type"]
        .into_iter()
        .chain(first_fields().map(Field::name))
        .chain([
            "person_id",
            "status",
            "confidence",
            "review",
            "extra_fields",
            "created_at",
        ])
        .chain(ADDED_FIELDS.iter().map(|f| f.name()))
        .collect()
}

/// This machine's clock as a DuckDB timestamp, for appenders (which fill defaults too).
pub fn now_timestamp() -> Value {
    Value::Timestamp(
        duckdb::types::TimeUnit::Microsecond,
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64),
    )
}

/// A record's column values in [`record_columns`] order, stored at `created_at`.
fn record_values(r: &Record, page_id: &str, created_at: &Value) -> Result<Vec<Value>> {
    let mut values: Vec<Value> = vec![
        Value::Text(r.record_id.clone()),
        Value::Text(r.source.batch.clone()),
        Value::Text(page_id.to_string()),
        Value::Text(r.source.page.clone()),
        Value::Int(r.source.row as i32),
        Value::Text(r.record_type.as_str().to_string()),
    ];
    let content = |f: Field| match f {
        Field::Age => r.fields.age.map_or(Value::Null, |a| Value::Int(a as i32)),
        f => text(r.fields.get(f)),
    };
    values.extend(first_fields().map(content));
    values.push(text(r.person_id.clone()));
    values.push(Value::Text(r.review.status.as_str().to_string()));
    values.push(Value::Text(serde_json::to_string(&r.confidence)?));
    values.push(Value::Text(serde_json::to_string(&r.review)?));
    values.push(Value::Text(serde_json::to_string(&r.extra_fields)?));
    values.push(created_at.clone());
    values.extend(ADDED_FIELDS.iter().map(|f| content(*f)));
    Ok(values)
}

/// Fills a temporary one-column table with `values`, for `IN (SELECT …)` filters: one
/// appender pass instead of a bound parameter per value.
pub(crate) fn fill_list(conn: &Connection, table: &str, column: &str, values: &[String]) -> Result<()> {
    conn.execute_batch(&format!(
        "CREATE TEMP TABLE IF NOT EXISTS {table} ({column} VARCHAR); DELETE FROM {table};"
    ))?;
    let mut app = conn.appender(table)?;
    for v in values {
        app.append_row([v.as_str()])?;
    }
    app.flush()?;
    Ok(())
}

/// Reads records in source order (page file, row).
pub fn read_records(conn: &Connection, filter: &RecordFilter) -> Result<Vec<Record>> {
    Ok(read_records_with_pages(conn, filter)?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

/// Like [`read_records`], each record with the id of its page.
pub fn read_records_with_pages(conn: &Connection, filter: &RecordFilter) -> Result<Vec<(String, Record)>> {
    if let Some(ids) = &filter.ids {
        fill_list(conn, "listed_records", "record_id", ids)?;
    }
    let content: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
    let sql = format!(
        "SELECT record_id, record_type, batch_id, page_file, row_no, person_id, status, \
         CAST(confidence AS VARCHAR), CAST(review AS VARCHAR), CAST(extra_fields AS VARCHAR), page_id, {} \
         FROM records WHERE (CAST(? AS VARCHAR) IS NULL OR batch_id = CAST(? AS VARCHAR)) \
           AND (CAST(? AS VARCHAR) IS NULL OR status = CAST(? AS VARCHAR)) \
           AND (CAST(? AS BIGINT) IS NULL OR epoch_us(created_at) > CAST(? AS BIGINT)) \
           {} \
         ORDER BY batch_id, page_file, row_no",
        content
            .iter()
            .map(|c| format!("CAST({c} AS VARCHAR)"))
            .collect::<Vec<_>>()
            .join(", "),
        if filter.ids.is_some() {
            "AND record_id IN (SELECT record_id FROM listed_records)"
        } else {
            ""
        }
    );
    let mut stmt = conn.prepare(&sql)?;
    let batch = filter.batch.clone();
    let status = filter.status.map(|s| s.as_str());
    let after = filter.stored_after;
    let rows = stmt.query_map(duckdb::params![batch, batch, status, status, after, after], |row| {
        let mut texts: Vec<Option<String>> = Vec::with_capacity(11 + content.len());
        for i in 0..11 + content.len() {
            texts.push(if i == 4 {
                row.get::<_, i32>(4).ok().map(|v| v.to_string())
            } else {
                row.get(i)?
            });
        }
        Ok(texts)
    })?;
    let mut out = Vec::new();
    for row in rows {
        let t = row?;
        let get = |i: usize| t[i].clone().unwrap_or_default();
        let mut record = Record {
            record_id: get(0),
            record_type: if get(1) == "burial" {
                RecordType::Burial
            } else {
                RecordType::Cremation
            },
            fields: Default::default(),
            person_id: t[5].clone(),
            source: Source {
                batch: get(2),
                page: get(3),
                row: get(4).parse().unwrap_or(0),
            },
            confidence: serde_json::from_str(&get(7)).unwrap_or_default(),
            review: serde_json::from_str::<Review>(&get(8)).unwrap_or_default(),
            extra_fields: serde_json::from_str(&get(9)).unwrap_or_default(),
        };
        for (i, f) in Field::ALL.iter().enumerate() {
            record
                .fields
                .set(*f, t[11 + i].as_deref())
                .map_err(anyhow::Error::msg)?;
        }
        out.push((get(10), record));
    }
    Ok(out)
}

/// Writes records as Parquet through DuckDB's own writer: content columns typed as in
/// the Arrow schema (dates as DATE), `source` as a struct, nested parts as JSON text.
pub fn export_parquet(conn: &Connection, filter: &RecordFilter, path: &std::path::Path) -> Result<usize> {
    let content: Vec<String> = Field::ALL
        .iter()
        .map(|f| {
            if f.is_date() {
                format!("TRY_CAST({0} AS DATE) AS {0}", f.name())
            } else if *f == Field::Age {
                format!("CAST({0} AS UINTEGER) AS {0}", f.name())
            } else {
                f.name().to_string()
            }
        })
        .collect();
    let batch_filter = match &filter.batch {
        Some(b) => format!("WHERE batch_id = '{}'", b.replace('\'', "''")),
        None => String::new(),
    };
    let target = path.to_string_lossy().replace('\'', "''");
    let sql = format!(
        "COPY (SELECT record_id, record_type, {}, person_id,
                 {{'batch': batch_id, 'page': page_file, 'row': CAST(row_no AS UINTEGER)}} AS source,
                 CAST(confidence AS VARCHAR) AS confidence, CAST(review AS VARCHAR) AS review,
                 CAST(extra_fields AS VARCHAR) AS extra_fields
              FROM records {batch_filter} ORDER BY batch_id, page_file, row_no)
         TO '{target}' (FORMAT parquet)",
        content.join(", ")
    );
    Ok(conn.execute(&sql, [])?)
}
