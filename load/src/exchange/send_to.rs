//! The receiving key a database's own packages are encrypted for (`exchange send-to`,
//! `exchange_send_to_keys`). `export --encrypt-for` has to be given on every export, and
//! one export that forgets it sends the dead's ID numbers and their families' phones in
//! the plain, the database they go to noticing (if it requires encryption) only after
//! they travelled. So a province's DBA records the public half the national database
//! sent once, and every export encrypts for it unasked.
//!
//! One key is current at a time: recording another (the receiving database changed its
//! key) retires the one before. A database that ever recorded one exports in the plain
//! no more: with its key retired and none recorded since, an export is refused until one
//! is, or `--encrypt-for` names one.

use anyhow::{bail, Result};
use openssl::pkey::{PKey, Public};
use serde::Serialize;

use super::encryption;
use super::key_table::{KeyRow, KeyTable};
use crate::{Database, UtcTime};

const SEND_TO: KeyTable = KeyTable {
    name: "exchange_send_to_keys",
    added_by: "recorded_by",
    added_at: "recorded_at",
};

/// A receiving key a database's packages are encrypted for, or were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendToKey {
    pub fingerprint: String,
    pub recorded_by: String,
    pub note: Option<String>,
    pub recorded_at: UtcTime,
    pub retired_by: Option<String>,
    pub retire_note: Option<String>,
    pub retired_at: Option<UtcTime>,
}

impl From<KeyRow> for SendToKey {
    fn from(k: KeyRow) -> SendToKey {
        SendToKey {
            fingerprint: k.fingerprint,
            recorded_by: k.added_by,
            note: k.note,
            recorded_at: k.added_at,
            retired_by: k.retired_by,
            retire_note: k.retire_note,
            retired_at: k.retired_at,
        }
    }
}

/// A key [`record`] recorded, and the one it replaced.
#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    #[serde(flatten)]
    pub key: SendToKey,
    /// The fingerprint of the key the database's packages were encrypted for until now.
    pub replaced: Option<String>,
}

/// Records the public receiving key in `pem` (read from `what`) as the one `db`'s
/// packages are encrypted for from now on, retiring the one recorded before ("replaced
/// by key …"). The current key recorded again is refused.
pub fn record(db: &mut Database, pem: &[u8], what: &str, by: &str, note: Option<&str>) -> Result<Recorded> {
    let (fingerprint, pem) = encryption::public_pem(pem, what)?;
    let replaced = db.exclusively(|db, at| {
        let replaced = current_of(&SEND_TO.rows(db)?).map(|k| k.fingerprint.clone());
        if replaced.as_ref() == Some(&fingerprint) {
            bail!("this database's packages are encrypted for key {fingerprint} already");
        }
        if let Some(before) = &replaced {
            SEND_TO.retire_at(db, at, before, by, &format!("replaced by key {fingerprint}"))?;
        }
        SEND_TO.add(db, at, &fingerprint, &pem, by, note)?;
        Ok(replaced)
    })?;
    Ok(Recorded {
        key: SEND_TO.latest(db, &fingerprint)?.into(),
        replaced,
    })
}

/// Whether `db`'s packages are encrypted for the key `fingerprint` (recorded, not
/// retired).
pub fn sending(db: &mut Database, fingerprint: &str) -> Result<bool> {
    SEND_TO.current(db, fingerprint)
}

/// Retires the key `fingerprint` (the receiving database retired it): `db` exports
/// nothing more for it, and nothing in the plain.
pub fn retire(db: &mut Database, fingerprint: &str, by: &str, note: &str) -> Result<SendToKey> {
    if !SEND_TO.retire(db, fingerprint, by, note)? {
        bail!("no key {fingerprint} packages are encrypted for (ledgerline exchange keys --send-to lists them)");
    }
    SEND_TO.latest(db, fingerprint).map(SendToKey::from)
}

/// The keys `db`'s packages are encrypted for or were, in the order they were recorded.
pub fn keys(db: &mut Database) -> Result<Vec<SendToKey>> {
    Ok(SEND_TO.rows(db)?.into_iter().map(SendToKey::from).collect())
}

/// The current key's row among `rows`, if one is.
fn current_of(rows: &[KeyRow]) -> Option<&KeyRow> {
    rows.iter().find(|k| k.retired_at.is_none())
}

/// The key an export of `db` not told `--encrypt-for` encrypts for: the current key
/// recorded, or none when none was ever recorded. Refused when keys were recorded and
/// all are retired: the database exports in the plain no more.
pub(crate) fn recorded(db: &mut Database) -> Result<Option<PKey<Public>>> {
    let rows = SEND_TO.rows(db)?;
    if let Some(k) = current_of(&rows) {
        return encryption::public_key(k.public_key.as_bytes(), SEND_TO.name).map(Some);
    }
    let Some(last) = rows.last() else {
        return Ok(None);
    };
    bail!(
        "this database's packages go encrypted, and key {} they were encrypted for was retired{}: record the \
         receiving key of the database they go to (ledgerline exchange send-to KEY), or name it with --encrypt-for",
        last.fingerprint,
        last.retire_note.as_ref().map(|n| format!(" ({n})")).unwrap_or_default()
    )
}
