//! Accounts and sessions: argon2id password hashes, random session tokens stored only
//! as their SHA-256, a CSRF token per session, and lock-out after repeated failures. A
//! password an administrator set may be temporary, and every password ages: its holder
//! changes it ([`password`]) before doing anything else. Passwords follow the rules
//! ([`rules`]) that information security assessments of government systems (等级保护,
//! GB/T 22239-2019) ask of them; logins, wrong passwords and logouts are audited.

mod password;
mod rules;

pub use password::{change_password, PasswordRefused, PASSWORDS_REMEMBERED};
use rules::usable_password;
pub use rules::Unusable;

use anyhow::{bail, Context, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use ledgerline_search::access::Role;
use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::audit::{self, Change};
use crate::db::{now, random_token, ReviewDb};

/// Failed logins in a row before an account locks.
pub const MAX_FAILURES: i64 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT_SECS: i64 = 15 * 60;
/// A session lasts a working day.
pub const SESSION_SECS: i64 = 12 * 3600;
/// A session ends sooner, after this long without a request (`serve --idle-minutes`).
pub const IDLE_SECS: i64 = 30 * 60;
/// A password is changed after this many days (`serve --password-max-days`).
pub const PASSWORD_MAX_DAYS: u32 = 90;

/// How long a session and a password last.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// A session ends after this long without a request.
    pub idle_secs: i64,
    /// A password older than this is to be changed before anything else; 0: never.
    pub password_max_secs: i64,
}

impl Default for Lifetimes {
    fn default() -> Lifetimes {
        Lifetimes {
            idle_secs: IDLE_SECS,
            password_max_secs: i64::from(PASSWORD_MAX_DAYS) * 86_400,
        }
    }
}

impl Lifetimes {
    /// Whether a password set at `set_at` is too old at `t`.
    pub fn expired(self, set_at: Option<i64>, t: i64) -> bool {
        self.password_max_secs > 0 && set_at.is_some_and(|set| t - set >= self.password_max_secs)
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub username: String,
    pub role: Role,
    pub csrf_token: String,
    /// The account's password is to be changed before anything else: one an
    /// administrator set as temporary, or one too old.
    pub password_change_due: bool,
    /// Due because the password is older than the server allows (not a temporary one).
    pub password_expired: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LoginError {
    #[error("wrong user name or password")]
    BadCredentials,
    #[error("too many failed logins: the account is locked for {0} more seconds")]
    Locked(i64),
}

fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(random_token(16).as_bytes()).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?
        .to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash no password matches, verified against when the user does not exist so that
/// "no such user" takes as long as "wrong password".
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_token(16)).expect("hashing a random password"))
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What the audit log calls the changes to accounts. Their entries' `record_id` is the
/// account's [`account_subject`]; `field` is `role` for a role given, else empty.
pub mod account_actions {
    /// An account made, with its role.
    pub const ADD: &str = "user_add";
    /// An existing account given a new password and a role (maybe the one it had).
    pub const UPDATE: &str = "user_update";
    pub const DISABLE: &str = "user_disable";
    pub const ENABLE: &str = "user_enable";
    /// The account's holder changed its password (never logged).
    pub const PASSWORD_CHANGE: &str = "password_change";
    pub const ALL: [&str; 5] = [ADD, UPDATE, DISABLE, ENABLE, PASSWORD_CHANGE];
}

/// What the audit log's subject for an account begins with; no record id does.
pub const ACCOUNT_SUBJECT_PREFIX: &str = "user:";

/// What the audit log's subject for an account's logins begins with (`login:NAME`): who
/// came in when, and the wrong passwords given for an account, kept apart from the
/// changes to accounts.
pub const LOGIN_SUBJECT_PREFIX: &str = "login:";

/// What the audit log calls an account's logins. Their entries' `username` is the
/// account's; no password is in them.
pub mod login_actions {
    /// A login that opened a session.
    pub const LOGIN: &str = "login";
    /// A wrong password given for the account: at login, or as the current one when
    /// changing it.
    pub const FAILED: &str = "login_failed";
    /// The wrong password that locked the account.
    pub const LOCKED: &str = "login_locked";
    /// A session its holder ended (the app's 退出).
    pub const LOGOUT: &str = "logout";
    /// A session the server ended: idle too long, or its working day over.
    pub const TIMEOUT: &str = "session_timeout";
    pub const ALL: [&str; 5] = [LOGIN, FAILED, LOCKED, LOGOUT, TIMEOUT];
}

/// The audit log's subject for an account: `user:NAME`.
pub fn account_subject(username: &str) -> String {
    format!("{ACCOUNT_SUBJECT_PREFIX}{username}")
}

/// Creates an account, or replaces the role and password of an existing one; `actor`
/// (an admin of the app, or `cli:` and the system user) is named in the audit log. A
/// `temporary` password must be changed by its holder before they may do anything else.
pub fn add_user(
    db: &ReviewDb,
    actor: &str,
    username: &str,
    role: Role,
    password: &str,
    temporary: bool,
) -> Result<bool> {
    let name = username.trim();
    if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
        bail!("{username:?} is not a usable user name: 1 to 64 characters, no spaces");
    }
    let hash = hash_password(usable_password(password, name)?)?;
    db.transaction(|tx| {
        let held: Option<(String, String)> = tx
            .query_row(
                "SELECT role, password_hash FROM users WHERE username = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        // The password replaced is one its holder may not go back to.
        if let Some((_, replaced)) = &held {
            password::remember(tx, name, replaced)?;
        }
        let before = held.map(|(role, _)| role);
        tx.execute(
            "INSERT INTO users (username, role, password_hash, created_at, password_change_due, password_set_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?4)
             ON CONFLICT (username) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash,
                 failed_logins = 0, locked_until = NULL, password_change_due = excluded.password_change_due,
                 password_set_at = excluded.password_set_at",
            params![name, role.name(), hash, now(), temporary],
        )?;
        // A changed password or role ends the sessions opened under the old one.
        tx.execute("DELETE FROM sessions WHERE username = ?1", [name])?;
        let action = match before {
            None => account_actions::ADD,
            Some(_) => account_actions::UPDATE,
        };
        audit_account(tx, actor, action, name, Some((before.as_deref(), role.name())))?;
        Ok(before.is_none())
    })
}

/// Appends the audit entry of a change to an account: `role` is the role it had (none for
/// a new account) and the one it has.
fn audit_account(
    tx: &rusqlite::Transaction,
    actor: &str,
    action: &str,
    username: &str,
    role: Option<(Option<&str>, &str)>,
) -> Result<()> {
    let subject = account_subject(username);
    audit::append(
        tx,
        &Change {
            username: actor,
            action,
            record_id: &subject,
            field: role.map(|_| "role"),
            before: role.and_then(|(before, _)| before),
            after: role.map(|(_, after)| after),
            version: None,
        },
    )
}

/// Disables an account (its sessions end at once) or enables it again, audited as done
/// by `actor` when that changes it. An error if there is no such account.
pub fn set_disabled(db: &ReviewDb, actor: &str, username: &str, disabled: bool) -> Result<()> {
    db.transaction(|tx| {
        let was_disabled: Option<bool> = tx
            .query_row(
                "SELECT disabled_at IS NOT NULL FROM users WHERE username = ?1",
                [username],
                |r| r.get(0),
            )
            .optional()?;
        let Some(was_disabled) = was_disabled else {
            bail!("no account {username:?} (see ledgerline users list)");
        };
        if was_disabled == disabled {
            return Ok(());
        }
        tx.execute(
            "UPDATE users SET disabled_at = CASE WHEN ?2 THEN ?3 END WHERE username = ?1",
            params![username, disabled, now()],
        )?;
        let action = if disabled {
            tx.execute("DELETE FROM sessions WHERE username = ?1", [username])?;
            account_actions::DISABLE
        } else {
            account_actions::ENABLE
        };
        audit_account(tx, actor, action, username, None)
    })
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct UserRow {
    pub username: String,
    pub role: String,
    pub locked: bool,
    pub disabled: bool,
    /// Its password is a temporary one, not changed yet.
    pub password_change_due: bool,
    /// When its password was set, in seconds since the epoch (none for an account of a
    /// journal that never said).
    pub password_set_at: Option<i64>,
}

pub fn list_users(db: &ReviewDb) -> Result<Vec<UserRow>> {
    let conn = db.read()?;
    let mut stmt = conn.prepare(
        "SELECT username, role, coalesce(locked_until, 0) > ?1, disabled_at IS NOT NULL, password_change_due,
                password_set_at
         FROM users ORDER BY username",
    )?;
    let rows = stmt.query_map([now()], |r| {
        Ok(UserRow {
            username: r.get(0)?,
            role: r.get(1)?,
            locked: r.get(2)?,
            disabled: r.get(3)?,
            password_change_due: r.get(4)?,
            password_set_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What login reads of an account.
struct Held {
    role: String,
    hash: String,
    temporary: bool,
    locked_until: Option<i64>,
    password_set_at: Option<i64>,
}

/// Checks a password; on success opens a session and returns (token, session).
pub fn login(
    db: &ReviewDb,
    username: &str,
    password: &str,
    lifetimes: Lifetimes,
) -> Result<Result<(String, Session), LoginError>> {
    // A disabled account answers as an unknown one: the same message, the same time.
    let row = db
        .read()?
        .query_row(
            "SELECT role, password_hash, password_change_due, locked_until, password_set_at FROM users
             WHERE username = ?1 AND disabled_at IS NULL",
            [username],
            |r| {
                Ok(Held {
                    role: r.get(0)?,
                    hash: r.get(1)?,
                    temporary: r.get(2)?,
                    locked_until: r.get(3)?,
                    password_set_at: r.get(4)?,
                })
            },
        )
        .optional()?;
    let t = now();
    let Some(Held {
        role,
        hash,
        temporary,
        locked_until,
        password_set_at,
    }) = row
    else {
        verify_password(password, decoy_hash());
        return Ok(Err(LoginError::BadCredentials));
    };
    if let Some(until) = locked_until.filter(|&u| u > t) {
        verify_password(password, decoy_hash());
        return Ok(Err(LoginError::Locked(until - t)));
    }
    if !verify_password(password, &hash) {
        count_failure(db, username)?;
        return Ok(Err(LoginError::BadCredentials));
    }
    let role = Role::parse(&role).context("the account's stored role")?;
    let token = random_token(32);
    let csrf_token = random_token(16);
    db.transaction(|tx| {
        tx.execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE username = ?1",
            [username],
        )?;
        end_lapsed(tx, None, t, lifetimes.idle_secs)?;
        tx.execute(
            "INSERT INTO sessions (token_hash, username, csrf_token, created_at, expires_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
            params![token_hash(&token), username, csrf_token, t, t + SESSION_SECS],
        )?;
        audit_login(tx, username, login_actions::LOGIN)
    })?;
    Ok(Ok((
        token,
        Session::new(
            username.to_string(),
            role,
            csrf_token,
            temporary,
            lifetimes.expired(password_set_at, t),
        ),
    )))
}

impl Session {
    fn new(username: String, role: Role, csrf_token: String, temporary: bool, expired: bool) -> Session {
        Session {
            username,
            role,
            csrf_token,
            password_change_due: temporary || expired,
            password_expired: expired && !temporary,
        }
    }
}

/// Counts a wrong password against `username`'s account, locking it after
/// [`MAX_FAILURES`] in a row; both are audited.
fn count_failure(db: &ReviewDb, username: &str) -> Result<()> {
    db.transaction(|tx| {
        tx.execute(
            "UPDATE users SET failed_logins = failed_logins + 1,
                 locked_until = CASE WHEN failed_logins + 1 >= ?2 THEN ?3 ELSE locked_until END
             WHERE username = ?1",
            params![username, MAX_FAILURES, now() + LOCKOUT_SECS],
        )?;
        audit_login(tx, username, login_actions::FAILED)?;
        let failures: i64 = tx.query_row("SELECT failed_logins FROM users WHERE username = ?1", [username], |r| {
            r.get(0)
        })?;
        // Each failure from the limit on locks the account (again).
        if failures >= MAX_FAILURES {
            audit_login(tx, username, login_actions::LOCKED)?;
        }
        Ok(())
    })
}

/// Appends the audit entry of a login to `username`'s account, or of a wrong password.
fn audit_login(tx: &rusqlite::Transaction, username: &str, action: &str) -> Result<()> {
    let subject = format!("{LOGIN_SUBJECT_PREFIX}{username}");
    audit::append(
        tx,
        &Change {
            username,
            action,
            record_id: &subject,
            field: None,
            before: None,
            after: None,
            version: None,
        },
    )
}

/// The live session a token belongs to, if any: within its working day, and with a
/// request in the last `idle_secs` of `lifetimes`. A request is the session's latest
/// from now on; it is written down once half that time has passed since the one
/// written, not on every request.
pub fn session(db: &ReviewDb, token: &str, lifetimes: Lifetimes) -> Result<Option<Session>> {
    let (t, hash, idle_secs) = (now(), token_hash(token), lifetimes.idle_secs);
    let row: Option<(String, String, String, bool, Option<i64>, i64)> = db
        .read()?
        .query_row(
            "SELECT s.username, u.role, s.csrf_token, u.password_change_due, u.password_set_at,
                    coalesce(s.last_seen_at, s.created_at)
             FROM sessions s JOIN users u USING (username)
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled_at IS NULL
               AND coalesce(s.last_seen_at, s.created_at) >= ?2 - ?3",
            params![hash, t, idle_secs],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()?;
    if let Some((.., last_seen)) = &row {
        if t - last_seen >= (idle_secs / 2).max(1) {
            db.transaction(|tx| {
                tx.execute(
                    "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1",
                    params![hash, t],
                )?;
                Ok(())
            })?;
        }
    }
    if row.is_none() {
        // Read first: a request with no session, or a forged token, writes nothing.
        let lapsed = db
            .read()?
            .query_row(
                &format!("SELECT 1 FROM sessions WHERE token_hash = ?1 AND {LAPSED}"),
                params![hash, t, idle_secs],
                |_| Ok(()),
            )
            .optional()?;
        if lapsed.is_some() {
            db.transaction(|tx| end_lapsed(tx, Some(&hash), t, idle_secs))?;
        }
    }
    row.map(|(username, role, csrf_token, temporary, password_set_at, _)| {
        let expired = lifetimes.expired(password_set_at, t);
        Ok(Session::new(
            username,
            Role::parse(&role)?,
            csrf_token,
            temporary,
            expired,
        ))
    })
    .transpose()
}

/// A session that lapsed at `?2` (its day over, or idle `?3` seconds or more).
const LAPSED: &str = "(expires_at <= ?2 OR coalesce(last_seen_at, created_at) < ?2 - ?3)";

/// Ends the lapsed sessions at `t` (of the token `hash`, or all), each audited as its
/// account's timeout: the server's end of a session is in the log beside the holder's
/// logouts.
fn end_lapsed(tx: &rusqlite::Transaction, hash: Option<&str>, t: i64, idle_secs: i64) -> Result<()> {
    let ended: Vec<String> = tx
        .prepare(&format!(
            "DELETE FROM sessions WHERE coalesce(token_hash = ?1, true) AND {LAPSED} RETURNING username"
        ))?
        .query_map(params![hash, t, idle_secs], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for username in ended {
        audit_login(tx, &username, login_actions::TIMEOUT)?;
    }
    Ok(())
}

/// Ends the session of `token`, audited as its account's logout.
pub fn logout(db: &ReviewDb, token: &str) -> Result<()> {
    db.transaction(|tx| {
        let ended: Option<String> = tx
            .query_row(
                "DELETE FROM sessions WHERE token_hash = ?1 RETURNING username",
                [token_hash(token)],
                |r| r.get(0),
            )
            .optional()?;
        match ended {
            Some(username) => audit_login(tx, &username, login_actions::LOGOUT),
            None => Ok(()),
        }
    })
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
