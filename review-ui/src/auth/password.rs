//! A password changed by its holder: the current one proven (a wrong one counts toward
//! the account's lock-out, as at login, so a session left open is no way to guess it),
//! the new one usable ([`super::rules`]) and not the current again. The change ends the
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
        Ok(new) => new,
        Err(e) => return Ok(Err(e.into())),
    };
    let hash = hash_password(new)?;
    db.transaction(|tx| {
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
