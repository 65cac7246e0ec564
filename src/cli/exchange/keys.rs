//! `ledgerline exchange keygen | trust | distrust | keys`: the keys packages are signed
//! with, those a database trusts, and the keys packages are encrypted for.

use std::path::Path;

use anyhow::{Context, Result};
use ledgerline_load::exchange::{self, signing};
use ledgerline_load::Database;

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
        let note = k.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
        let revoked = match (&k.revoked_at, &k.revoked_by) {
            (Some(at), by) => format!(
                "; revoked by {} {}{}",
                by.as_deref().unwrap_or("?"),
                at.local_text(),
                k.revoke_note.as_deref().map(|n| format!(": {n}")).unwrap_or_default()
            ),
            _ => String::new(),
        };
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
