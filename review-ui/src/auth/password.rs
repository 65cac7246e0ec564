//! A password changed by its holder: the current one proven (a wrong one counts toward
//! the account's lock-out, as at login, so a session left open is no way to guess it),
//! the new one usable ([`super::rules`]) and neither the current one nor one of the
//! few before it ([`PASSWORDS_REMEMBERED`]). The change ends the
//! account's other sessions, clears a temporary password's due change, starts the new
//! password's age, and is audited without either password.

use anyhow::Result;
use rusqlite::{params, OptionalExtension};

use super::rules::Unusable;
use super::{
    account_actions, audit_account, count_failure, hash_password, token_hash, usable_password, verify_password,
};
use crate::db::{now, ReviewDb};

/// Why a password was not changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordRefused {
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("too many wrong passwords: the account is locked for {0} more seconds")]
    Locked(i64),
    #[error("{0}")]
    Unusable(#[from] Unusable),
}

/// Passwords an account may not go back to: the current one and those before it.
pub const PASSWORDS_REMEMBERED: usize = 5;

/// Whether `password` is one of the earlier passwords `username` had (the current one is
/// told apart before).
fn used_before(db: &ReviewDb, username: &str, password: &str) -> Result<bool> {
    let earlier: Vec<String> = db
        .read()?
        .prepare("SELECT password_hash FROM password_history WHERE username = ?1")?
        .query_map([username], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(earlier.iter().any(|hash| verify_password(password, hash)))
}

/// Keeps `hash`, the password an account had until now, among its earlier ones: the
/// latest [`PASSWORDS_REMEMBERED`] − 1 of them, with the current one that makes as many.
pub(super) fn remember(tx: &rusqlite::Transaction, username: &str, hash: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO password_history (username, password_hash, replaced_at) VALUES (?1, ?2, ?3)",
        params![username, hash, now()],
    )?;
    tx.execute(
        "DELETE FROM password_history WHERE username = ?1 AND rowid NOT IN (
             SELECT rowid FROM password_history WHERE username = ?1 ORDER BY rowid DESC LIMIT ?2)",
        params![username, (PASSWORDS_REMEMBERED - 1) as i64],
    )?;
    Ok(())
}

/// Changes `username`'s password from `current` to `new`, keeping the session of `token`
/// (the one asking) and ending the account's others.
pub fn change_password(
    db: &ReviewDb,
    username: &str,
    token: &str,
    current: &str,
    new: &str,
) -> Result<Result<(), PasswordRefused>> {
    let held: Option<(String, Option<i64>)> = db
        .read()?
        .query_row(
            "SELECT password_hash, locked_until FROM users WHERE username = ?1 AND disabled_at IS NULL",
            [username],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((hash, locked_until)) = held else {
        return Ok(Err(PasswordRefused::WrongPassword));
    };
    if let Some(until) = locked_until.filter(|&u| u > now()) {
        return Ok(Err(PasswordRefused::Locked(until - now())));
    }
    if !verify_password(current, &hash) {
        count_failure(db, username)?;
        return Ok(Err(PasswordRefused::WrongPassword));
    }
    let new = match usable_password(new, username) {
        Ok(_) if new == current => {
            return Ok(Err(Unusable::new(
                "same_as_current",
                "the new password must differ from the current one",
            )
            .into()))
        }
        Ok(new) if used_before(db, username, new)? => {
            return Ok(Err(Unusable::new(
                "used_before",
                format!("the new password must not be one of the last {PASSWORDS_REMEMBERED} this account had"),
            )
            .into()))
        }
        Ok(new) => new,
        Err(e) => return Ok(Err(e.into())),
    };
    let replaced = hash;
    let hash = hash_password(new)?;
    db.transaction(|tx| {
        remember(tx, username, &replaced)?;
        tx.execute(
            "UPDATE users SET password_hash = ?2, password_change_due = 0, failed_logins = 0, locked_until = NULL,
                 password_set_at = ?3
             WHERE username = ?1",
            params![username, hash, now()],
        )?;
        tx.execute(
            "DELETE FROM sessions WHERE username = ?1 AND token_hash <> ?2",
            params![username, token_hash(token)],
        )?;
        audit_account(tx, username, account_actions::PASSWORD_CHANGE, username, None)
    })?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::add_user;
    use ledgerline_search::access::Role;

    #[test]
    fn a_password_comes_back_only_after_as_many_others_as_are_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let db = ReviewDb::open(dir.path()).unwrap();
        let passwords: Vec<String> = (1..=PASSWORDS_REMEMBERED + 1)
            .map(|i| format!("passphrase number {i}"))
            .collect();
        add_user(&db, "cli:test", "lihua", Role::DataEntry, &passwords[0], false).unwrap();
        let change = |from: &str, to: &str| change_password(&db, "lihua", "token", from, to).unwrap();
        for pair in passwords.windows(2) {
            change(&pair[0], &pair[1]).unwrap();
        }
        let current = passwords.last().unwrap();
        let refused = change(current, &passwords[2]).unwrap_err();
        assert!(
            matches!(&refused, PasswordRefused::Unusable(u) if u.rule == "used_before"),
            "{refused}"
        );
        change(current, &passwords[0]).expect("the oldest is forgotten");
    }
}
