//! Signed packages. A province signs its package's manifest — which names every file's
//! SHA-256, so the signature covers every row — with an Ed25519 key of its own
//! (`exchange keygen`, `exchange export --sign-key`), and the signature travels beside
//! the manifest (`signature.json`). A database trusts the public keys of the provinces
//! it imports from (`exchange_keys`, `exchange trust`): a package of a province with a
//! key trusted here must be signed by one of them, so a package altered on the way with
//! its checksums recomputed to match, or sent unsigned, is refused before anything is
//! added. Without a key trusted for its province a package is taken as before, its
//! report saying it was not checked.
//!
//! The system's OpenSSL does the work (the same library that secures PostgreSQL
//! connections); keys are PEM files, the private one readable by its owner only.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::sign::{Signer, Verifier};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Database, UtcTime};

/// The signature's file in a package, beside the manifest.
pub const SIGNATURE: &str = "signature.json";
const ALGORITHM: &str = "ed25519";

/// A package's signature: of the manifest's bytes as they are in the package.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub algorithm: String,
    /// The signing key's fingerprint (see [`fingerprint`]).
    pub key: String,
    /// Hex.
    pub signature: String,
}

/// A key pair `exchange keygen` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct KeyPair {
    pub province: String,
    pub private_key: PathBuf,
    pub public_key: PathBuf,
    pub fingerprint: String,
}

/// A key's fingerprint: the first 16 hex digits of the SHA-256 of its public key (DER),
/// what `exchange keys` lists and a signature names.
pub(crate) fn fingerprint(key: &PKey<impl openssl::pkey::HasPublic>) -> Result<String> {
    Ok(hex::encode(Sha256::digest(key.public_key_to_der()?))[..16].to_string())
}

/// Writes a new key pair for `province` into `dir` (made if missing):
/// `province-CODE.key.pem` (the private key, readable by its owner only) and
/// `province-CODE.pub.pem` (the public key, for the databases that import its packages).
/// Refuses to write over a key already there.
pub fn keygen(dir: &Path, province: &str) -> Result<KeyPair> {
    super::check_province(province)?;
    let key = PKey::generate_ed25519()?;
    let (private_key, public_key) = write_key_pair(dir, &format!("province-{province}"), &key)?;
    Ok(KeyPair {
        province: province.to_string(),
        fingerprint: fingerprint(&key)?,
        private_key,
        public_key,
    })
}

/// Writes `key` into `dir` (made if missing) as `STEM.key.pem`, readable by its owner
/// only, and its public half as `STEM.pub.pem`; the two paths. Refuses to write over a
/// key already there.
pub(crate) fn write_key_pair(dir: &Path, stem: &str, key: &PKey<Private>) -> Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let private_key = dir.join(format!("{stem}.key.pem"));
    let public_key = dir.join(format!("{stem}.pub.pem"));
    for path in [&private_key, &public_key] {
        if path.exists() {
            bail!(
                "{}: a key is there already; a new key goes into another folder (the old one stays in use until replaced)",
                path.display()
            );
        }
    }
    write_private(&private_key, &key.private_key_to_pem_pkcs8()?)?;
    std::fs::write(&public_key, key.public_key_to_pem()?)
        .with_context(|| format!("cannot write {}", public_key.display()))?;
    Ok((private_key, public_key))
}

/// Writes a private key readable by its owner only, from the moment the file exists.
fn write_private(path: &Path, pem: &[u8]) -> Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(pem)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// A private signing key read from `path`.
pub(crate) fn read_signing_key(path: &Path) -> Result<PKey<Private>> {
    let pem = std::fs::read(path).with_context(|| format!("--sign-key {}: cannot read", path.display()))?;
    let key = PKey::private_key_from_pem(&pem)
        .map_err(|_| anyhow!("--sign-key {}: not a private key in PEM", path.display()))?;
    if key.id() != Id::ED25519 {
        bail!(
            "--sign-key {}: not an Ed25519 key (make one with ledgerline exchange keygen)",
            path.display()
        );
    }
    Ok(key)
}

/// Signs the manifest `manifest` (its bytes as written) and writes the signature into
/// the package folder `dir`.
pub(crate) fn sign_into(dir: &Path, manifest: &[u8], key: &PKey<Private>) -> Result<Signature> {
    let mut signer = Signer::new_without_digest(key)?;
    let signature = Signature {
        algorithm: ALGORITHM.to_string(),
        key: fingerprint(key)?,
        signature: hex::encode(signer.sign_oneshot_to_vec(manifest)?),
    };
    std::fs::write(dir.join(SIGNATURE), serde_json::to_string_pretty(&signature)?)?;
    Ok(signature)
}

/// The signature a package folder holds, if any; an error naming the file if it is not
/// one.
pub(crate) fn read_signature(dir: &Path) -> Result<Option<Signature>> {
    let path = dir.join(SIGNATURE);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}: cannot read", path.display()))?;
    let signature: Signature =
        serde_json::from_str(&text).with_context(|| format!("{}: not a package signature", path.display()))?;
    if signature.algorithm != ALGORITHM {
        bail!(
            "{}: algorithm {:?}, expected {ALGORITHM}",
            path.display(),
            signature.algorithm
        );
    }
    Ok(Some(signature))
}

/// A public key from PEM, which must be an Ed25519 one.
fn public_key(pem: &[u8], what: &str) -> Result<PKey<Public>> {
    let key = PKey::public_key_from_pem(pem).map_err(|_| anyhow!("{what}: not a public key in PEM"))?;
    if key.id() != Id::ED25519 {
        bail!("{what}: not an Ed25519 key (ledgerline exchange keygen makes them)");
    }
    Ok(key)
}

/// Whether `signature` is `key`'s of `manifest`.
fn signed_by(manifest: &[u8], signature: &Signature, key: &PKey<Public>) -> Result<bool> {
    let Ok(bytes) = hex::decode(&signature.signature) else {
        return Ok(false);
    };
    let mut verifier = Verifier::new_without_digest(key)?;
    Ok(verifier.verify_oneshot(&bytes, manifest).unwrap_or(false))
}

/// What an import found of a package's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checked {
    /// `verified` (signed by a key trusted for the province), `unsigned` or `unverified`
    /// (signed, but no key is trusted for the province here): the last two only when the
    /// database has never trusted a key of the package's province.
    pub status: &'static str,
    /// The key that signed it, if it was signed.
    pub key: Option<String>,
}

/// Checks the signature of province `province`'s manifest `manifest` against the keys
/// `db` trusts for the province; refuses the package when it trusts or trusted some
/// (all revoked, none is trusted: nothing is taken until a new key is) and no key it
/// trusts signed it.
pub(crate) fn check(
    db: &mut Database,
    province: &str,
    manifest: &[u8],
    signature: Option<&Signature>,
) -> Result<Checked> {
    let keys = if db.has_table("exchange_keys")? {
        db.texts(
            "SELECT fingerprint, public_key, CASE WHEN revoked_at IS NOT NULL THEN 'revoked' END
             FROM exchange_keys WHERE province = $1 ORDER BY trusted_at",
            &[province],
            3,
        )?
    } else {
        Vec::new()
    };
    let key = signature.map(|s| s.key.clone());
    if keys.is_empty() {
        let status = if signature.is_some() { "unverified" } else { "unsigned" };
        return Ok(Checked { status, key });
    }
    let Some(signature) = signature else {
        bail!(
            "the package of province {province} is not signed, and this database takes only signed packages of \
             province {province}, whose key it trusts (ledgerline exchange keys)"
        );
    };
    for row in keys.chunks(3) {
        let [fingerprint, pem] = [0, 1].map(|i| row[i].as_deref().unwrap_or_default());
        if fingerprint == signature.key && row[2].is_none() {
            let key = public_key(pem.as_bytes(), &format!("the trusted key {fingerprint}"))?;
            if signed_by(manifest, signature, &key)? {
                return Ok(Checked {
                    status: "verified",
                    key: Some(fingerprint.to_string()),
                });
            }
            bail!(
                "the package of province {province} does not match its signature by key {fingerprint}: \
                 it was altered after it was signed"
            );
        }
    }
    bail!(
        "the package of province {province} is signed by key {}, which this database does not trust for province \
         {province} (ledgerline exchange keys lists those it does; a revoked key is not trusted)",
        signature.key
    )
}

/// A key a database trusts, or trusted, for a province's packages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustedKey {
    pub province: String,
    pub fingerprint: String,
    pub trusted_by: String,
    pub note: Option<String>,
    pub trusted_at: UtcTime,
    pub revoked_by: Option<String>,
    pub revoke_note: Option<String>,
    pub revoked_at: Option<UtcTime>,
}

/// Trusts the public key in `pem` (read from `what`) for province `province`'s packages.
/// A key trusted already (for any province, not revoked) is refused.
pub fn trust(
    db: &mut Database,
    province: &str,
    pem: &[u8],
    what: &str,
    by: &str,
    note: Option<&str>,
) -> Result<TrustedKey> {
    super::check_province(province)?;
    let key = public_key(pem, what)?;
    let fingerprint = fingerprint(&key)?;
    let pem = String::from_utf8(key.public_key_to_pem()?)?;
    db.exclusively(|db, at| {
        let held = db.text(
            "SELECT province FROM exchange_keys WHERE fingerprint = $1 AND revoked_at IS NULL",
            &[&fingerprint],
        )?;
        if let Some(held) = held {
            bail!("key {fingerprint} is trusted already, for province {held}");
        }
        db.execute(
            "INSERT INTO exchange_keys (province, fingerprint, public_key, trusted_by, note, trusted_at)
             VALUES ($1, $2, $3, $4, NULLIF($5, ''), CAST(CAST($6 AS VARCHAR) AS TIMESTAMP))",
            &[
                province,
                &fingerprint,
                &pem,
                by,
                note.unwrap_or_default(),
                &at.sql_text(),
            ],
        )?;
        Ok(TrustedKey {
            province: province.to_string(),
            fingerprint: fingerprint.clone(),
            trusted_by: by.to_string(),
            note: note.map(str::to_string),
            trusted_at: at,
            revoked_by: None,
            revoke_note: None,
            revoked_at: None,
        })
    })
}

/// Revokes the trusted key `fingerprint`: packages signed by it are refused from now on.
pub fn revoke(db: &mut Database, fingerprint: &str, by: &str, note: &str) -> Result<TrustedKey> {
    let ended = end_key(
        db,
        "exchange_keys",
        ["revoked_by", "revoke_note", "revoked_at"],
        fingerprint,
        by,
        note,
    )?;
    if !ended {
        bail!("no trusted key {fingerprint} (ledgerline exchange keys lists them)");
    }
    keys(db)?
        .into_iter()
        .rev()
        .find(|k| k.fingerprint == fingerprint)
        .ok_or_else(|| anyhow!("key {fingerprint} revoked, then not found"))
}

/// Ends the key `fingerprint` of `table` (not ended yet): sets its `ended` columns — who,
/// why, when — in a transaction of its own. Whether there was such a key.
fn end_key(db: &mut Database, table: &str, ended: [&str; 3], fingerprint: &str, by: &str, note: &str) -> Result<bool> {
    db.exclusively(|db, at| end_key_at(db, at, table, ended, fingerprint, by, note))
}

/// [`end_key`] at `at`, inside the caller's transaction.
pub(crate) fn end_key_at(
    db: &mut Database,
    at: UtcTime,
    table: &str,
    ended: [&str; 3],
    fingerprint: &str,
    by: &str,
    note: &str,
) -> Result<bool> {
    let [by_column, note_column, at_column] = ended;
    let rows = db.execute(
        &format!(
            "UPDATE {table} SET {by_column} = $1, {note_column} = $2,
                    {at_column} = CAST(CAST($3 AS VARCHAR) AS TIMESTAMP)
             WHERE fingerprint = $4 AND {at_column} IS NULL"
        ),
        &[by, note, &at.sql_text(), fingerprint],
    )?;
    Ok(rows > 0)
}

/// The keys a database trusts or trusted, in the order they were trusted.
pub fn keys(db: &mut Database) -> Result<Vec<TrustedKey>> {
    if !db.has_table("exchange_keys")? {
        return Ok(Vec::new());
    }
    let rows = db.texts(
        "SELECT province, fingerprint, trusted_by, note, CAST(trusted_at AS VARCHAR),
                revoked_by, revoke_note, CAST(revoked_at AS VARCHAR)
         FROM exchange_keys ORDER BY trusted_at, fingerprint",
        &[],
        8,
    )?;
    rows.chunks(8)
        .map(|v| {
            let text = |i: usize| v[i].clone();
            Ok(TrustedKey {
                province: text(0).unwrap_or_default(),
                fingerprint: text(1).unwrap_or_default(),
                trusted_by: text(2).unwrap_or_default(),
                note: text(3),
                trusted_at: UtcTime::read_sql_text(v[4].as_deref().unwrap_or_default(), "exchange_keys")?,
                revoked_by: text(5),
                revoke_note: text(6),
                revoked_at: v[7]
                    .as_deref()
                    .map(|t| UtcTime::read_sql_text(t, "exchange_keys"))
                    .transpose()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_for_the_manifest_signed_and_no_other() {
        let dir = tempfile::tempdir().unwrap();
        let pair = keygen(dir.path(), "37").unwrap();
        assert!(keygen(dir.path(), "37").is_err(), "a key is not written over");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&pair.private_key).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the private key is its owner's alone");
        }
        let key = read_signing_key(&pair.private_key).unwrap();
        let manifest = br#"{"province": "37", "files": []}"#;
        let signature = sign_into(dir.path(), manifest, &key).unwrap();
        assert_eq!(signature.key, pair.fingerprint);
        assert_eq!(read_signature(dir.path()).unwrap().as_ref(), Some(&signature));
        let public = public_key(&std::fs::read(&pair.public_key).unwrap(), "test").unwrap();
        assert!(signed_by(manifest, &signature, &public).unwrap());
        assert!(!signed_by(br#"{"province": "34", "files": []}"#, &signature, &public).unwrap());
        let other = keygen(&dir.path().join("other"), "37").unwrap();
        let other = public_key(&std::fs::read(&other.public_key).unwrap(), "test").unwrap();
        assert!(!signed_by(manifest, &signature, &other).unwrap());
        assert!(
            read_signing_key(&pair.public_key).is_err(),
            "a public key signs nothing"
        );
    }
}
