//! The tables of receiving keys a database keeps: those it takes packages encrypted for
//! (`exchange_receiving_keys`, see [`super::encryption`]) and the one its own packages
//! are encrypted for (`exchange_send_to_keys`, see [`super::send_to`]). Both hold a
//! key's public half with who added it, when and why, and who retired it: a key is
//! retired, never deleted, so the tables are the keys' history too.

use anyhow::{anyhow, Result};

use super::signing::end_key_at;
use crate::{Database, UtcTime};

/// A table of receiving keys, with the names of its columns saying who added a key and
/// when (`received_by`, `received_at`; `recorded_by`, `recorded_at`).
pub(crate) struct KeyTable {
    pub name: &'static str,
    pub added_by: &'static str,
    pub added_at: &'static str,
}

/// The columns a retired key's row names who retired it, why and when.
const RETIRED: [&str; 3] = ["retired_by", "retire_note", "retired_at"];

/// A row of a [`KeyTable`].
pub(crate) struct KeyRow {
    pub fingerprint: String,
    pub public_key: String,
    pub added_by: String,
    pub note: Option<String>,
    pub added_at: UtcTime,
    pub retired_by: Option<String>,
    pub retire_note: Option<String>,
    pub retired_at: Option<UtcTime>,
}

impl KeyTable {
    /// Adds the key `fingerprint` (its public half `pem`) at `at`, inside the caller's
    /// transaction.
    pub fn add(
        &self,
        db: &mut Database,
        at: UtcTime,
        fingerprint: &str,
        pem: &str,
        by: &str,
        note: Option<&str>,
    ) -> Result<()> {
        let KeyTable {
            name,
            added_by,
            added_at,
        } = self;
        db.execute(
            &format!(
                "INSERT INTO {name} (fingerprint, public_key, {added_by}, note, {added_at})
                 VALUES ($1, $2, $3, NULLIF($4, ''), CAST(CAST($5 AS VARCHAR) AS TIMESTAMP))"
            ),
            &[fingerprint, pem, by, note.unwrap_or_default(), &at.sql_text()],
        )?;
        Ok(())
    }

    /// Whether the key `fingerprint` is in the table and not retired.
    pub fn current(&self, db: &mut Database, fingerprint: &str) -> Result<bool> {
        Ok(db.has_table(self.name)?
            && db
                .text(
                    &format!(
                        "SELECT fingerprint FROM {} WHERE fingerprint = $1 AND retired_at IS NULL",
                        self.name
                    ),
                    &[fingerprint],
                )?
                .is_some())
    }

    /// Retires the key `fingerprint`; whether it was current.
    pub fn retire(&self, db: &mut Database, fingerprint: &str, by: &str, note: &str) -> Result<bool> {
        db.exclusively(|db, at| self.retire_at(db, at, fingerprint, by, note))
    }

    /// [`KeyTable::retire`] at `at`, inside the caller's transaction.
    pub fn retire_at(&self, db: &mut Database, at: UtcTime, fingerprint: &str, by: &str, note: &str) -> Result<bool> {
        end_key_at(db, at, self.name, RETIRED, fingerprint, by, note)
    }

    /// The table's rows in the order their keys were added (none in a database older
    /// than the table).
    pub fn rows(&self, db: &mut Database) -> Result<Vec<KeyRow>> {
        let KeyTable {
            name,
            added_by,
            added_at,
        } = self;
        if !db.has_table(name)? {
            return Ok(Vec::new());
        }
        let rows = db.texts(
            &format!(
                "SELECT fingerprint, public_key, {added_by}, note, CAST({added_at} AS VARCHAR),
                        retired_by, retire_note, CAST(retired_at AS VARCHAR)
                 FROM {name} ORDER BY {added_at}, fingerprint"
            ),
            &[],
            8,
        )?;
        let time = |t: &Option<String>| t.as_deref().map(|t| UtcTime::read_sql_text(t, name)).transpose();
        rows.chunks(8)
            .map(|v| {
                Ok(KeyRow {
                    fingerprint: v[0].clone().unwrap_or_default(),
                    public_key: v[1].clone().unwrap_or_default(),
                    added_by: v[2].clone().unwrap_or_default(),
                    note: v[3].clone(),
                    added_at: time(&v[4])?.ok_or_else(|| anyhow!("{name}: a key added at no time"))?,
                    retired_by: v[5].clone(),
                    retire_note: v[6].clone(),
                    retired_at: time(&v[7])?,
                })
            })
            .collect()
    }

    /// The latest row of the key `fingerprint`.
    pub fn latest(&self, db: &mut Database, fingerprint: &str) -> Result<KeyRow> {
        self.rows(db)?
            .into_iter()
            .rev()
            .find(|k| k.fingerprint == fingerprint)
            .ok_or_else(|| anyhow!("{}: key {fingerprint} not found", self.name))
    }
}
