//! `ledgerline exchange keygen | trust | distrust | keys`: the keys packages are signed
//! with, those a database trusts, and the keys packages are encrypted for (`keygen
//! --receiver`, `receive`), which `distrust` retires as it revokes a trusted key.

use std::path::Path;

use anyhow::{Context, Result};
use ledgerline_load::exchange::{self, encryption, signing};
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
    let pem = std::fs::read(key).with_context(|| format!("{}: cannot read", key.display()))?;
    signing::trust(db, province, &pem, &key.display().to_string(), by, note)
}

pub fn receive(db: &mut Database, key: &Path, by: &str, note: Option<&str>) -> Result<encryption::ReceivingKey> {
    let pem = std::fs::read(key).with_context(|| format!("{}: cannot read", key.display()))?;
    encryption::receive(db, &pem, &key.display().to_string(), by, note)
}

/// A key `exchange distrust` revoked: a province's trusted key, or a receiving key.
pub enum Revoked {
    Trusted(signing::TrustedKey),
    Receiving(encryption::ReceivingKey),
}

pub fn distrust(db: &mut Database, fingerprint: &str, by: &str, note: &str) -> Result<Revoked> {
    if encryption::receiving(db, fingerprint)? {
        return encryption::retire(db, fingerprint, by, note).map(Revoked::Receiving);
    }
    signing::revoke(db, fingerprint, by, note).map(Revoked::Trusted)
}

/// A receiving key received or retired, as a command's answer.
pub fn print_receiving(k: &encryption::ReceivingKey, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(k)?);
    } else if k.retired_at.is_none() {
        println!(
            "receiving with key {}: packages not encrypted for a key received with are refused",
            k.fingerprint
        );
    } else {
        println!(
            "retired receiving key {}: packages encrypted for it are refused",
            k.fingerprint
        );
    }
    Ok(())
}

pub fn list_receiving(keys: &[encryption::ReceivingKey], json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(keys)?);
        return Ok(());
    }
    if keys.is_empty() {
        println!("no receiving keys: packages are taken unencrypted (exchange receive KEY)");
    }
    for k in keys {
        let retired = ended_text("retired", k.retired_at.as_ref(), &k.retired_by, &k.retire_note);
        println!(
            "receiving key {} received by {} {}{}{retired}",
            k.fingerprint,
            k.received_by,
            k.received_at.local_text(),
            note_text(&k.note)
        );
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
    if json {
        println!("{}", serde_json::to_string_pretty(k)?);
        return Ok(());
    }
    match &k.revoked_at {
        None => println!("trusted key {} for province {}'s packages", k.fingerprint, k.province),
        Some(_) => println!(
            "revoked key {} of province {}: its packages are refused",
            k.fingerprint, k.province
        ),
    }
    Ok(())
}

pub fn list(keys: &[signing::TrustedKey], json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(keys)?);
        return Ok(());
    }
    if keys.is_empty() {
        println!("no keys trusted: packages are taken unsigned (exchange trust KEY --province CODE)");
    }
    for k in keys {
        let note = note_text(&k.note);
        let revoked = ended_text("revoked", k.revoked_at.as_ref(), &k.revoked_by, &k.revoke_note);
        println!(
            "province {} key {} trusted by {} {}{note}{revoked}",
            k.province,
            k.fingerprint,
            k.trusted_by,
            k.trusted_at.local_text()
        );
    }
    Ok(())
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
