//! Pages waiting for OCR, and what OCR found on them: cells, records, status.

use anyhow::Result;
use duckdb::{params, Connection};
use ledgerline_schemas::Record;

use crate::records::append_page_records;

/// A page to read, with what its batch says about it.
#[derive(Debug, Clone)]
pub struct PageToRead {
    pub page_id: String,
    pub batch_id: String,
    pub file_name: String,
    pub path: String,
    pub frame: u32,
    pub dpi: u32,
    pub ledger_type: Option<String>,
    pub agency_name: String,
    pub years: String,
}

/// One cell as stored.
#[derive(Debug, Clone)]
pub struct StoredCell {
    pub row: u32,
    pub col: u32,
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub field: Option<String>,
    pub text: Option<String>,
    pub confidence: f32,
}

/// A deterministic shard of pages: `index` of `count` (1-based index), by page id, so
/// every machine of a job array agrees on who reads what without talking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s:?}: expected I/N with 1 <= I <= N, e.g. 3/8");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    pub fn contains(&self, page_id: &str) -> bool {
        let h = page_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        (h % u64::from(self.count)) as u32 == self.index - 1
    }
}

/// Pages ingested but not yet read (or every page of the batch, with `again`).
pub fn pages_to_read(conn: &Connection, batch: Option<&str>, again: bool) -> Result<Vec<PageToRead>> {
    let mut s = conn.prepare(
        "SELECT p.page_id, p.batch_id, p.file_name, p.path, p.frame, coalesce(p.dpi, b.scan_dpi), p.ledger_type, b.agency_name, b.years
         FROM pages p JOIN batches b USING (batch_id)
         WHERE (CAST(? AS VARCHAR) IS NULL OR p.batch_id = CAST(? AS VARCHAR))
           AND (p.status = 'ingested' OR (CAST(? AS BOOLEAN) AND p.status IN ('read', 'needs_keying')))
         ORDER BY p.batch_id, p.file_name",
    )?;
    let rows = s.query_map(params![batch, batch, again], |r| {
        Ok(PageToRead {
            page_id: r.get(0)?,
            batch_id: r.get(1)?,
            file_name: r.get(2)?,
            path: r.get(3)?,
            frame: r.get::<_, i32>(4)? as u32,
            dpi: r.get::<_, i32>(5)? as u32,
            ledger_type: r.get(6)?,
            agency_name: r.get(7)?,
            years: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What OCR made of a page, to store.
pub struct Reading<'a> {
    /// Quarter turns clockwise the scan was read turned by.
    pub quarter_turns: u8,
    pub cells: &'a [StoredCell],
    pub records: &'a [Record],
    /// Why rows are left to key by hand, when the table goes on below the rows read:
    /// the page is then kept for keying (with this note) beside its records.
    pub rest_to_key: Option<&'a str>,
}

/// Stores a read page: its cells and records replace any earlier reading, and the page
/// is marked read (or, with rows left to key, to key), turned as it was read. Call
/// inside a transaction so a kill leaves the page unread, not half.
pub fn save_reading(conn: &Connection, page_id: &str, reading: &Reading) -> Result<()> {
    conn.execute("DELETE FROM cells WHERE page_id = ?", [page_id])?;
    {
        let mut app = conn.appender("cells")?;
        for c in reading.cells {
            app.append_row(params![
                page_id,
                c.row,
                c.col,
                c.x,
                c.y,
                c.w,
                c.h,
                c.field,
                c.text,
                c.confidence
            ])?;
        }
        app.flush()?;
    }
    replace_machine_records(conn, page_id, reading.records)?;
    let status = match reading.rest_to_key {
        Some(_) => NEEDS_KEYING,
        None => "read",
    };
    conn.execute(
        "UPDATE pages SET status = ?, quarantine_reason = ?, read_at = current_timestamp, quarter_turns = ?
         WHERE page_id = ?",
        params![status, reading.rest_to_key, reading.quarter_turns, page_id],
    )?;
    Ok(())
}

/// Review statuses only a person gives: verified (accepted, corrected or keyed by
/// hand) and rejected.
const PEOPLES_WORK: &str = "('verified', 'rejected')";

/// Replaces what the machine made of a page with `records` (a page read again with
/// `ocr --again`, or found unreadable), keeping every record of it a person verified,
/// corrected, keyed or rejected: a row's new reading does not replace their record, nor
/// does a page now unreadable take their rows with it.
fn replace_machine_records(conn: &Connection, page_id: &str, records: &[Record]) -> Result<()> {
    conn.execute(
        &format!("DELETE FROM records WHERE page_id = ? AND status NOT IN {PEOPLES_WORK}"),
        [page_id],
    )?;
    let kept: std::collections::HashSet<String> = {
        let mut s = conn.prepare("SELECT record_id FROM records WHERE page_id = ?")?;
        let ids = s.query_map([page_id], |r| r.get(0))?.collect::<Result<_, _>>()?;
        ids
    };
    append_page_records(conn, page_id, records.iter().filter(|r| !kept.contains(&r.record_id)))
}

/// What became of a page OCR could not turn into records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unread {
    /// No ruled table, handwriting: people key it in (review queue).
    NeedsKeying,
    /// The image file is gone or changed since ingest.
    Quarantined,
}

/// The status of a page to key by hand: no table was found on it, or rows of its table
/// were not (its cells and the records of the rows read are kept).
pub const NEEDS_KEYING: &str = "needs_keying";

/// The pages of `batch` still to key by hand (wholly, or after the rows read), by file
/// name: their rows are in no load until keyed.
pub fn pages_to_key(conn: &Connection, batch: &str) -> Result<Vec<String>> {
    let mut s = conn.prepare("SELECT file_name FROM pages WHERE batch_id = ? AND status = ? ORDER BY file_name")?;
    let names = s.query_map(params![batch, NEEDS_KEYING], |r| r.get(0))?;
    Ok(names.collect::<Result<_, _>>()?)
}

/// The status of a page to key once its keyer has said every row of it is keyed.
pub const KEYED: &str = "keyed";

/// A page's status before and after its keying is finished (`true`) or reopened: the
/// one move the review journal and the workspace both make.
pub fn keying_move(finished: bool) -> (&'static str, &'static str) {
    if finished {
        (NEEDS_KEYING, KEYED)
    } else {
        (KEYED, NEEDS_KEYING)
    }
}

/// Records why a page yielded no records.
pub fn mark_unread(conn: &Connection, page_id: &str, what: Unread, reason: &str) -> Result<()> {
    let status = match what {
        Unread::NeedsKeying => NEEDS_KEYING,
        Unread::Quarantined => "quarantined",
    };
    replace_machine_records(conn, page_id, &[])?;
    conn.execute(
        "UPDATE pages SET status = ?, quarantine_reason = ?, read_at = current_timestamp WHERE page_id = ?",
        params![status, reason, page_id],
    )?;
    Ok(())
}

/// Copies what another workspace (a shard's) holds into this one, in one transaction of
/// its own (call outside a transaction: DuckDB cannot detach inside one). Rows already here win;
/// pages read there and not here take the other's reading.
pub fn merge_from(conn: &Connection, other_db: &str) -> Result<MergeCounts> {
    // ATTACH takes no parameters: quote the path as a SQL string literal.
    conn.execute_batch(&format!(
        "ATTACH '{}' AS other (READ_ONLY)",
        other_db.replace('\'', "''")
    ))?;
    conn.execute_batch("BEGIN TRANSACTION")?;
    let result = (|| -> Result<MergeCounts> {
        // Pages read there and not here (absent, or only ingested here): take the
        // other's reading. Decided before copying page rows, which carry the status.
        let newly_read: Vec<String> = {
            let mut s = conn.prepare(
                "SELECT o.page_id FROM other.pages o LEFT JOIN pages p USING (page_id)
                 WHERE o.status IN ('read', 'needs_keying') AND (p.page_id IS NULL OR p.status = 'ingested')",
            )?;
            let v = s.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
            v
        };
        // By name: a migration adds its columns at a table's end, so the two workspaces'
        // tables hold the same columns, but their order is each one's migration history.
        let batches = conn.execute(
            "INSERT INTO batches BY NAME SELECT * FROM other.batches ON CONFLICT DO NOTHING",
            [],
        )?;
        let pages = conn.execute(
            "INSERT INTO pages BY NAME SELECT * FROM other.pages ON CONFLICT DO NOTHING",
            [],
        )?;
        for id in &newly_read {
            conn.execute("DELETE FROM cells WHERE page_id = ?", [id])?;
            conn.execute("DELETE FROM records WHERE page_id = ?", [id])?;
            conn.execute(
                "INSERT INTO cells BY NAME SELECT * FROM other.cells WHERE page_id = ?",
                [id],
            )?;
            conn.execute(
                "INSERT INTO records BY NAME SELECT * FROM other.records WHERE page_id = ?",
                [id],
            )?;
            conn.execute(
                "UPDATE pages SET status = o.status, quarantine_reason = o.quarantine_reason, read_at = o.read_at,
                     quarter_turns = o.quarter_turns
                 FROM other.pages o WHERE pages.page_id = o.page_id AND pages.page_id = ?",
                [id],
            )?;
        }
        Ok(MergeCounts {
            batches,
            pages,
            pages_read: newly_read.len(),
        })
    })();
    // Commit or roll back before detaching: DuckDB refuses to detach a database the
    // open transaction has touched.
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    conn.execute_batch(end)?;
    conn.execute_batch("DETACH other")?;
    result
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct MergeCounts {
    pub batches: usize,
    pub pages: usize,
    pub pages_read: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_pages() {
        let ids: Vec<String> = (0..1000).map(|i| format!("{i:016x}")).collect();
        let shards: Vec<Shard> = (1..=4).map(|i| Shard { index: i, count: 4 }).collect();
        for id in &ids {
            assert_eq!(shards.iter().filter(|s| s.contains(id)).count(), 1);
        }
        let sizes: Vec<usize> = shards
            .iter()
            .map(|s| ids.iter().filter(|id| s.contains(id)).count())
            .collect();
        assert!(sizes.iter().all(|&n| n > 180), "{sizes:?}");
        assert!(Shard::parse("0/4").is_err());
        assert!(Shard::parse("5/4").is_err());
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, count: 4 });
    }
}
