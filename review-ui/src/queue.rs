//! The work queue: records needing review, duplicate candidates, pages to key by hand.
//! Each item is leased to one person at a time; a lease nobody renews expires, so an
//! abandoned item goes back to the queue by itself.

use anyhow::Result;
use ledgerline_search::access::Role;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use crate::db::{now, ReviewDb};

/// How long an item stays with the person who took it.
pub const LEASE_SECS: i64 = 15 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Record,
    /// A machine-accepted record drawn for a batch's acceptance sample.
    Qa,
    Pair,
    Page,
}

impl Kind {
    fn parse(s: &str) -> Kind {
        match s {
            "pair" => Kind::Pair,
            "page" => Kind::Page,
            "qa" => Kind::Qa,
            _ => Kind::Record,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Record => "record",
            Kind::Qa => "qa",
            Kind::Pair => "pair",
            Kind::Page => "page",
        }
    }
}

pub fn record_item(record_id: &str) -> String {
    format!("record:{record_id}")
}

pub fn qa_item(record_id: &str) -> String {
    format!("qa:{record_id}")
}

pub fn pair_item(a: &str, b: &str) -> String {
    format!("pair:{a}|{b}")
}

pub fn page_item(page_id: &str) -> String {
    format!("page:{page_id}")
}

#[derive(Debug, Clone, Serialize)]
pub struct Leased {
    pub item_id: String,
    pub kind: Kind,
    /// The record id, `A|B` for a pair, or the page id.
    pub key: String,
    pub batch_id: String,
    pub second_review: bool,
    pub lease_until: i64,
}

/// Who may take second-review items: not the one who made the change, and only roles
/// that review.
pub fn reviews_others(role: Role) -> bool {
    matches!(role, Role::Reviewer | Role::Admin)
}

/// Leases the next item to `username`: the item they already hold if any (a reload
/// must not lose it), else the first open item nobody holds, second reviews first.
pub fn next(db: &ReviewDb, username: &str, role: Role, batch: Option<&str>) -> Result<Option<Leased>> {
    let t = now();
    db.transaction(|tx| {
        let held = tx
            .prepare_cached(
                "SELECT item_id FROM items WHERE state = 'open' AND leased_by = ?1 AND lease_until > ?2
                 AND (?3 IS NULL OR batch_id = ?3) ORDER BY item_id LIMIT 1",
            )?
            .query_row(params![username, t, batch], |r| r.get::<_, String>(0))
            .optional()?;
        let chosen = match held {
            Some(id) => Some(id),
            None => tx
                .prepare_cached(
                    "SELECT item_id FROM items
                     WHERE state = 'open' AND (leased_by IS NULL OR lease_until <= ?2)
                       AND (second_review = 0 OR (?3 AND coalesce(last_by, '') <> ?1))
                       AND (?4 IS NULL OR batch_id = ?4)
                       AND NOT EXISTS (SELECT 1 FROM skips s WHERE s.username = ?1 AND s.item_id = items.item_id)
                     ORDER BY second_review DESC, kind DESC, batch_id, sort_key LIMIT 1",
                )?
                .query_row(params![username, t, reviews_others(role), batch], |r| r.get(0))
                .optional()?,
        };
        let Some(item_id) = chosen else {
            return Ok(None);
        };
        let lease_until = t + LEASE_SECS;
        tx.prepare_cached("UPDATE items SET leased_by = ?2, lease_until = ?3 WHERE item_id = ?1")?
            .execute(params![item_id, username, lease_until])?;
        let (kind, batch_id, second): (String, String, bool) = tx
            .prepare_cached("SELECT kind, batch_id, second_review FROM items WHERE item_id = ?1")?
            .query_row([&item_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let kind = Kind::parse(&kind);
        let key = item_id.split_once(':').map_or("", |(_, k)| k).to_string();
        Ok(Some(Leased {
            item_id,
            kind,
            key,
            batch_id,
            second_review: second,
            lease_until,
        }))
    })
}

/// Gives an item back without finishing it; it goes behind the rest for this person.
pub fn skip(db: &ReviewDb, item_id: &str, username: &str) -> Result<bool> {
    db.transaction(|tx| {
        let n = tx.execute(
            "UPDATE items SET leased_by = NULL, lease_until = NULL WHERE item_id = ?1 AND leased_by = ?2",
            params![item_id, username],
        )?;
        if n > 0 {
            tx.execute(
                "INSERT OR IGNORE INTO skips VALUES (?1, ?2)",
                params![username, item_id],
            )?;
        }
        Ok(n > 0)
    })
}

/// Who else holds a live lease on the item, if anyone.
pub fn leased_to_other(tx: &Transaction, item_id: &str, username: &str) -> Result<Option<String>> {
    Ok(tx
        .prepare_cached(
            "SELECT leased_by FROM items WHERE item_id = ?1 AND state = 'open' AND leased_by IS NOT NULL
             AND leased_by <> ?2 AND lease_until > ?3",
        )?
        .query_row(params![item_id, username, now()], |r| r.get(0))
        .optional()?)
}

/// Whether the item holds the lease of `username` right now.
pub fn holds(db: &ReviewDb, item_id: &str, username: &str) -> Result<bool> {
    Ok(db
        .read()?
        .prepare_cached("SELECT 1 FROM items WHERE item_id = ?1 AND leased_by = ?2 AND lease_until > ?3")?
        .query_row(params![item_id, username, now()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Whether `username` holds a live lease on an item on this page: a record of it, or
/// the page itself (keying).
pub fn holds_on_page(db: &ReviewDb, page_id: &str, username: &str) -> Result<bool> {
    Ok(db
        .read()?
        .prepare_cached(
            "SELECT 1 FROM items i WHERE i.leased_by = ?2 AND i.lease_until > ?3 AND i.state = 'open'
               AND (i.item_id = 'page:' || ?1
                    OR i.item_id IN (SELECT 'record:' || record_id FROM records WHERE page_id = ?1))
             LIMIT 1",
        )?
        .query_row(params![page_id, username, now()], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn is_second_review(tx: &Transaction, item_id: &str) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT second_review FROM items WHERE item_id = ?1 AND state = 'open'")?
        .query_row([item_id], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

pub fn finish(tx: &Transaction, item_id: &str, username: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE items SET state = 'done', done_at = ?3, done_by = ?2, leased_by = NULL, lease_until = NULL,
             last_by = ?2 WHERE item_id = ?1",
    )?
    .execute(params![item_id, username, now()])?;
    Ok(())
}

/// Who finished an item, if it is done.
pub fn done_by(tx: &Transaction, item_id: &str) -> Result<Option<String>> {
    Ok(tx
        .prepare_cached("SELECT done_by FROM items WHERE item_id = ?1 AND state = 'done'")?
        .query_row([item_id], |r| r.get(0))
        .optional()?
        .flatten())
}

/// Opens a done item again, leased to `lease_to` (who goes straight back to it) or to
/// nobody (it waits in the queue).
pub fn reopen(tx: &Transaction, item_id: &str, lease_to: Option<&str>) -> Result<()> {
    let lease_until = lease_to.map(|_| now() + LEASE_SECS);
    tx.prepare_cached(
        "UPDATE items SET state = 'open', done_at = NULL, done_by = NULL, leased_by = ?2, lease_until = ?3
         WHERE item_id = ?1",
    )?
    .execute(params![item_id, lease_to, lease_until])?;
    Ok(())
}

/// Gives back every item `username` holds, unfinished, to whoever takes it next.
pub fn give_back_all_of(tx: &Transaction, username: &str) -> Result<()> {
    tx.prepare_cached("UPDATE items SET leased_by = NULL, lease_until = NULL WHERE state = 'open' AND leased_by = ?1")?
        .execute([username])?;
    Ok(())
}

pub fn send_to_second_review(tx: &Transaction, item_id: &str, username: &str) -> Result<()> {
    tx.execute(
        "UPDATE items SET second_review = 1, last_by = ?2, leased_by = NULL, lease_until = NULL WHERE item_id = ?1",
        params![item_id, username],
    )?;
    Ok(())
}

/// Adds an item unless it exists (an item done stays done).
pub fn add(tx: &Transaction, item_id: &str, kind: Kind, batch_id: &str, sort_key: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO items (item_id, kind, batch_id, sort_key, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![item_id, kind.name(), batch_id, sort_key, now()])?;
    Ok(())
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Waiting {
    pub records: i64,
    pub pairs: i64,
    pub pages: i64,
    pub qa: i64,
    pub second_review: i64,
}

/// Open items of a batch by kind.
pub fn waiting(db: &ReviewDb, batch: &str) -> Result<Waiting> {
    let conn = db.read()?;
    let mut stmt = conn.prepare_cached(
        "SELECT kind, count(*), sum(second_review) FROM items WHERE state = 'open' AND batch_id = ?1 GROUP BY kind",
    )?;
    let mut w = Waiting::default();
    let rows = stmt.query_map([batch], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
    })?;
    for row in rows {
        let (kind, n, second) = row?;
        match Kind::parse(&kind) {
            Kind::Record => w.records = n,
            Kind::Pair => w.pairs = n,
            Kind::Page => w.pages = n,
            Kind::Qa => w.qa = n,
        }
        w.second_review += second;
    }
    Ok(w)
}
