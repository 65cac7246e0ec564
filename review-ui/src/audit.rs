//! The audit log: every value anyone entered, who and when, before and after.
//! Append-only (SQLite triggers refuse UPDATE and DELETE) and hash-chained: each entry's
//! hash covers the previous entry's hash and its own content, so editing or removing a
//! row with a raw SQLite tool breaks the chain at that row, which [`verify`] reports.
//! Cutting entries off the end leaves a shorter chain that still follows, so [`verify`]
//! also reports the head (last entry and its hash): kept outside the machine, it is an
//! [`Anchor`] a later verification checks the log against.

use anyhow::Result;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::{now, ReviewDb};

/// The chain starts from this hash.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: i64,
    pub username: String,
    pub action: String,
    pub record_id: String,
    pub field: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    pub version: Option<i64>,
}

/// What one entry says, before it has a place in the chain.
pub struct Change<'a> {
    pub username: &'a str,
    pub action: &'a str,
    pub record_id: &'a str,
    pub field: Option<&'a str>,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub version: Option<i64>,
}

fn entry_hash(prev: &str, at: i64, c: &Change) -> String {
    let mut h = Sha256::new();
    // Length-prefixed parts, so no two different entries hash the same bytes.
    let part = |h: &mut Sha256, s: Option<&str>| {
        let s = s.unwrap_or("\u{0}");
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    part(&mut h, Some(prev));
    part(&mut h, Some(&at.to_string()));
    part(&mut h, Some(c.username));
    part(&mut h, Some(c.action));
    part(&mut h, Some(c.record_id));
    part(&mut h, c.field);
    part(&mut h, c.before);
    part(&mut h, c.after);
    part(&mut h, c.version.map(|v| v.to_string()).as_deref());
    hex::encode(h.finalize())
}

/// Appends one entry inside the caller's transaction (so the change and its record of
/// it commit together).
pub fn append(tx: &Transaction, c: &Change) -> Result<()> {
    let prev: String = tx
        .query_row("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1", [], |r| r.get(0))
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string());
    let at = now();
    let hash = entry_hash(&prev, at, c);
    tx.execute(
        "INSERT INTO audit (at, username, action, record_id, field, before, after, version, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            at,
            c.username,
            c.action,
            c.record_id,
            c.field,
            c.before,
            c.after,
            c.version,
            prev,
            hash
        ],
    )?;
    Ok(())
}

/// The history of one record, oldest first.
pub fn history(db: &ReviewDb, record_id: &str) -> Result<Vec<AuditEntry>> {
    let conn = db.read()?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit WHERE record_id = ?1 ORDER BY seq"
    ))?;
    let rows = stmt.query_map([record_id], entry)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The columns [`entry`] reads, in its order.
const ENTRY_COLUMNS: &str = "seq, at, username, action, record_id, field, before, after, version";

fn entry(r: &rusqlite::Row) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.get(0)?,
        at: r.get(1)?,
        username: r.get(2)?,
        action: r.get(3)?,
        record_id: r.get(4)?,
        field: r.get(5)?,
        before: r.get(6)?,
        after: r.get(7)?,
        version: r.get(8)?,
    })
}

/// Which entries [`log`] lists; `None` is any.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// A record id, or an account's `user:NAME`.
    pub subject: Option<String>,
    /// Subjects beginning so (`user:`, every account).
    pub subject_prefix: Option<String>,
    /// Who made the change.
    pub username: Option<String>,
    /// The newest this many entries.
    pub limit: Option<usize>,
}

/// Entries of the log, newest first.
pub fn log(db: &ReviewDb, filter: &LogFilter) -> Result<Vec<AuditEntry>> {
    // Only the conditions asked for, so that a subject's entries come from its index.
    let mut conditions = vec!["TRUE"];
    let mut values: Vec<&str> = Vec::new();
    if let Some(subject) = &filter.subject {
        conditions.push("record_id = ?");
        values.push(subject);
    }
    let past_prefix = filter.subject_prefix.as_deref().map(just_past);
    if let (Some(prefix), Some(past)) = (&filter.subject_prefix, &past_prefix) {
        // A range, which the subject index answers.
        conditions.push("record_id >= ? AND record_id < ?");
        values.extend([prefix.as_str(), past.as_str()]);
    }
    if let Some(username) = &filter.username {
        conditions.push("username = ?");
        values.push(username);
    }
    let limit = filter.limit.map_or(-1, |n| n as i64);
    let conn = db.read()?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {ENTRY_COLUMNS} FROM audit WHERE {} ORDER BY seq DESC LIMIT {limit}",
        conditions.join(" AND ")
    ))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), entry)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The least string greater than every string beginning with `prefix` (its last
/// character one higher): `user;` for `user:`.
fn just_past(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    match chars.pop().and_then(|c| char::from_u32(c as u32 + 1)) {
        Some(next) => chars.into_iter().chain([next]).collect(),
        None => String::from(char::MAX),
    }
}

/// An entry's place and hash, noted outside the machine: the log must still hold it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

impl std::str::FromStr for Anchor {
    type Err = String;
    /// `SEQ:HASH`, the form `ledgerline audit verify` prints the head in.
    fn from_str(s: &str) -> Result<Anchor, String> {
        let (seq, hash) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?} is not SEQ:HASH (say 1234:9f86d0…)"))?;
        let seq = seq
            .trim()
            .parse()
            .map_err(|_| format!("{seq:?} is not an entry number"))?;
        let hash = hash.trim().to_ascii_lowercase();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{hash:?} is not a SHA-256 hash (64 hex digits)"));
        }
        Ok(Anchor { seq, hash })
    }
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ChainReport {
    pub entries: u64,
    /// The first entry whose hash does not follow from its content and predecessor.
    pub broken_at: Option<i64>,
    pub reason: Option<String>,
    /// The last entry: note it (`SEQ:HASH`) to check the log against later.
    pub head: Option<Anchor>,
}

/// Walks the whole chain and recomputes every hash; with an anchor, also checks that the
/// anchored entry is still there with the same hash.
pub fn verify(db: &ReviewDb, anchor: Option<&Anchor>) -> Result<ChainReport> {
    let conn = db.read()?;
    let mut stmt = conn.prepare(
        "SELECT seq, at, username, action, record_id, field, before, after, version, prev_hash, hash FROM audit ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev = GENESIS.to_string();
    let mut entries = 0;
    let mut last_seq = 0i64;
    while let Some(r) = rows.next()? {
        entries += 1;
        let seq: i64 = r.get(0)?;
        let (username, action, record_id): (String, String, String) = (r.get(2)?, r.get(3)?, r.get(4)?);
        let (field, before, after): (Option<String>, Option<String>, Option<String>) =
            (r.get(5)?, r.get(6)?, r.get(7)?);
        let change = Change {
            username: &username,
            action: &action,
            record_id: &record_id,
            field: field.as_deref(),
            before: before.as_deref(),
            after: after.as_deref(),
            version: r.get(8)?,
        };
        let (stored_prev, stored_hash): (String, String) = (r.get(9)?, r.get(10)?);
        let broken = |reason: String| ChainReport {
            entries,
            broken_at: Some(seq),
            reason: Some(reason),
            head: None,
        };
        if seq != last_seq + 1 {
            return Ok(broken(format!("entries {} to {} are missing", last_seq + 1, seq - 1)));
        }
        if stored_prev != prev {
            return Ok(broken("it does not follow the entry before it".into()));
        }
        if entry_hash(&prev, r.get(1)?, &change) != stored_hash {
            return Ok(broken("its content does not match its hash".into()));
        }
        if anchor.is_some_and(|a| a.seq == seq && a.hash != stored_hash) {
            return Ok(broken(
                "its hash is not the one anchored: the log was rewritten from here on".into(),
            ));
        }
        prev = stored_hash;
        last_seq = seq;
    }
    if let Some(a) = anchor.filter(|a| a.seq > last_seq) {
        return Ok(ChainReport {
            entries,
            broken_at: Some(last_seq + 1),
            reason: Some(format!(
                "entries {} to {} are gone: the log ends before the anchored entry",
                last_seq + 1,
                a.seq
            )),
            head: None,
        });
    }
    Ok(ChainReport {
        entries,
        broken_at: None,
        reason: None,
        head: (last_seq > 0).then_some(Anchor {
            seq: last_seq,
            hash: prev,
        }),
    })
}
