//! `ledgerline exchange keygen | trust | receive | send-to | distrust | keys`: the keys
//! packages are signed with, those a database trusts, the keys packages are encrypted
//! for (`keygen --receiver`, `receive`) and the one a database's own packages go
//! encrypted for (`send-to`), which `distrust` retires as it revokes a trusted key.

use std::path::Path;

use anyhow::{Context, Result};
use ledgerline_load::exchange::{self, encryption, send_to as sending, signing};
use ledgerline_load::{Database, UtcTime};

pub fn keygen(province: &str, out: &Path, json: bool) -> Result<()> {
    let pair = signing::keygen(out, province)?;
    print_pair(
        &pair,
        json,
        &format!("key {} of province {}", pair.fingerprint, pair.province),
        [
            (&pair.private_key, "signs packages: exchange export --sign-key"),
            (
                &pair.public_key,
                "for the databases your packages go to: exchange trust",
            ),
        ],
    )
}

pub fn keygen_receiving(receiver: &str, out: &Path, json: bool) -> Result<()> {
    let pair = exchange::encryption::keygen(out, receiver)?;
    print_pair(
        &pair,
        json,
        &format!("receiving key {} of {}", pair.fingerprint, pair.receiver),
        [
            (&pair.private_key, "decrypts packages: exchange import --decrypt-key"),
            (
                &pair.public_key,
                "for the provinces sending packages here: exchange export --encrypt-for",
            ),
        ],
    )
}

/// A key pair `keygen` wrote, as its answer: as JSON, or `heading` and what its private
/// and public halves are for.
fn print_pair(pair: &impl serde::Serialize, json: bool, heading: &str, halves: [(&Path, &str); 2]) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(pair)?);
        return Ok(());
    }
    let [(private, signs), (public, for_whom)] = halves;
    println!("{heading}");
    println!("  private: {} ({signs}; keep it to yourself)", private.display());
    println!("  public:  {} ({for_whom})", public.display());
    Ok(())
}

pub fn trust(
    db: &mut Database,
    key: &Path,
    province: &str,
    by: &str,
    note: Option<&str>,
) -> Result<signing::TrustedKey> {
    let (pem, what) = read_key(key)?;
    signing::trust(db, province, &pem, &what, by, note)
}

pub fn receive(db: &mut Database, key: &Path, by: &str, note: Option<&str>) -> Result<encryption::ReceivingKey> {
    let (pem, what) = read_key(key)?;
    encryption::receive(db, &pem, &what, by, note)
}

pub fn send_to(db: &mut Database, key: &Path, by: &str, note: Option<&str>) -> Result<sending::Recorded> {
    let (pem, what) = read_key(key)?;
    sending::record(db, &pem, &what, by, note)
}

/// A key file's bytes, and its name for the errors about what it holds.
fn read_key(key: &Path) -> Result<(Vec<u8>, String)> {
    let what = key.display().to_string();
    let pem = std::fs::read(key).with_context(|| format!("{what}: cannot read"))?;
    Ok((pem, what))
}

/// A key `exchange distrust` revoked: a province's trusted key, a receiving key, or the
/// key the database's packages go encrypted for.
pub enum Revoked {
    Trusted(signing::TrustedKey),
    Receiving(encryption::ReceivingKey),
    SendTo(sending::SendToKey),
}

pub fn distrust(db: &mut Database, fingerprint: &str, by: &str, note: &str) -> Result<Revoked> {
    if encryption::receiving(db, fingerprint)? {
        return encryption::retire(db, fingerprint, by, note).map(Revoked::Receiving);
    }
    if sending::sending(db, fingerprint)? {
        return sending::retire(db, fingerprint, by, note).map(Revoked::SendTo);
    }
    signing::revoke(db, fingerprint, by, note).map(Revoked::Trusted)
}

/// A key `exchange send-to` recorded, as its answer.
pub fn print_recorded(r: &sending::Recorded, json: bool) -> Result<()> {
    answer(r, json, |r| {
        let replaced = r
            .replaced
            .as_ref()
            .map(|before| format!("\nretired key {before}: replaced"));
        format!(
            "this database's packages are encrypted for receiving key {} from now on (exchange export){}",
            r.key.fingerprint,
            replaced.unwrap_or_default()
        )
    })
}

/// The key `exchange distrust` retired of those the database's packages go encrypted for.
pub fn print_send_to(k: &sending::SendToKey, json: bool) -> Result<()> {
    answer(k, json, |k| {
        format!(
            "retired key {}: this database exports nothing until another is recorded (exchange send-to KEY)",
            k.fingerprint
        )
    })
}

pub fn list_send_to(keys: &[sending::SendToKey], json: bool) -> Result<()> {
    let none = "no key recorded: packages go encrypted only when exported --encrypt-for one (exchange send-to KEY)";
    list_keys(keys, json, none, |k| {
        format!(
            "packages encrypted for key {} recorded by {} {}{}{}",
            k.fingerprint,
            k.recorded_by,
            k.recorded_at.local_text(),
            note_text(&k.note),
            ended_text("retired", k.retired_at.as_ref(), &k.retired_by, &k.retire_note)
        )
    })
}

/// A receiving key received or retired, as a command's answer.
pub fn print_receiving(k: &encryption::ReceivingKey, json: bool) -> Result<()> {
    answer(k, json, |k| match k.retired_at {
        None => format!(
            "receiving with key {}: packages not encrypted for a key received with are refused",
            k.fingerprint
        ),
        Some(_) => format!(
            "retired receiving key {}: packages encrypted for it are refused",
            k.fingerprint
        ),
    })
}

pub fn list_receiving(keys: &[encryption::ReceivingKey], json: bool) -> Result<()> {
    let none = "no receiving keys: packages are taken unencrypted (exchange receive KEY)";
    list_keys(keys, json, none, |k| {
        format!(
            "receiving key {} received by {} {}{}{}",
            k.fingerprint,
            k.received_by,
            k.received_at.local_text(),
            note_text(&k.note),
            ended_text("retired", k.retired_at.as_ref(), &k.retired_by, &k.retire_note)
        )
    })
}

/// A command's answer: `value` as JSON, or the `text` of it.
fn answer<T: serde::Serialize>(value: &T, json: bool, text: impl FnOnce(&T) -> String) -> Result<()> {
    match json {
        true => println!("{}", serde_json::to_string_pretty(value)?),
        false => println!("{}", text(value)),
    }
    Ok(())
}

/// A list of keys as JSON, or a `line` each (`none` for no key).
fn list_keys<K: serde::Serialize>(keys: &[K], json: bool, none: &str, line: impl Fn(&K) -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(keys)?);
        return Ok(());
    }
    if keys.is_empty() {
        println!("{none}");
    }
    for k in keys {
        println!("{}", line(k));
    }
    Ok(())
}

/// `: NOTE`, or nothing without one.
fn note_text(note: &Option<String>) -> String {
    note.as_deref().map(|n| format!(": {n}")).unwrap_or_default()
}

/// `; revoked by WHO WHEN: NOTE` (`how` the key ended), or nothing for a key not ended.
fn ended_text(how: &str, at: Option<&UtcTime>, by: &Option<String>, note: &Option<String>) -> String {
    at.map_or(String::new(), |at| {
        format!(
            "; {how} by {} {}{}",
            by.as_deref().unwrap_or("?"),
            at.local_text(),
            note_text(note)
        )
    })
}

/// A key trusted or revoked, as a command's answer.
pub fn print_key(k: &signing::TrustedKey, json: bool) -> Result<()> {
    answer(k, json, |k| match k.revoked_at {
        None => format!("trusted key {} for province {}'s packages", k.fingerprint, k.province),
        Some(_) => format!(
            "revoked key {} of province {}: its packages are refused",
            k.fingerprint, k.province
        ),
    })
}

pub fn list(keys: &[signing::TrustedKey], json: bool) -> Result<()> {
    let none = "no keys trusted: packages are taken unsigned (exchange trust KEY --province CODE)";
    list_keys(keys, json, none, |k| {
        format!(
            "province {} key {} trusted by {} {}{}{}",
            k.province,
            k.fingerprint,
            k.trusted_by,
            k.trusted_at.local_text(),
            note_text(&k.note),
            ended_text("revoked", k.revoked_at.as_ref(), &k.revoked_by, &k.revoke_note)
        )
    })
}

/// Warns on stderr when an import took a package no trusted key checked.
pub fn warn_unchecked(r: &exchange::Imported) {
    let s = &r.signature;
    if s.status != "verified" {
        let p = &r.province;
        let what = match &s.key {
            Some(key) => format!("signed by key {key}, not checked: this database trusts no key of province {p}"),
            None => format!("unsigned, and this database trusts no key of province {p} to require a signature"),
        };
        eprintln!("warning: province {p}'s package is {what} (ledgerline exchange trust KEY --province {p})");
    }
}
