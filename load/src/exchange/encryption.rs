//! Encrypted packages. A package holds the personal data of the dead and their families
//! (ID numbers, phones, addresses) and travels between databases by whatever way a
//! province has (a network share, a disc); a signature says who made it, not who may
//! read it. So a package can be encrypted for the database it goes to: that database
//! makes a receiving key pair (`exchange keygen --receiver`), sends the public half to
//! its provinces, which export `--encrypt-for` it; only the private half
//! (`exchange import --decrypt-key`) reads the package.
//!
//! The scheme is the one age and HPKE use, with the system's OpenSSL: an X25519 key pair
//! made for the one package (its public half in the manifest), its Diffie-Hellman secret
//! with the receiving key drawn through HKDF-SHA256 (bound to both public keys) into an
//! AES-256-GCM key, and every file encrypted with it under a nonce of its own, the
//! file's name authenticated beside it (a file put in another's place does not open).
//! The manifest stays readable — province, row counts, times, the load ids withdrawn,
//! no person's data — and names every file's SHA-256 as encrypted, so a package is
//! checked whole, and its signature verified, without the key.
//!
//! A database that receives with a key (`exchange receive`, `exchange_receiving_keys`)
//! takes only packages encrypted for one it receives with ([`check`]): a package sent in
//! the plain is refused, so the province exports it again encrypted.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use openssl::derive::Deriver;
use openssl::md::Md;
use openssl::pkey::{Id, PKey, Private, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::symm::{Cipher, Crypter, Mode};
use serde::{Deserialize, Serialize};

use super::key_table::{KeyRow, KeyTable};
use super::signing::{fingerprint, write_key_pair};
use crate::{Database, UtcTime};

/// What a manifest says of a package's encryption.
pub const ALGORITHM: &str = "x25519-hkdf-sha256-aes-256-gcm";
/// Ends the name of an encrypted file in a package: `deceased.parquet.enc`.
pub const SUFFIX: &str = ".enc";
/// Opens every encrypted file, so a file that is none is told apart from one altered.
const MAGIC: &[u8; 8] = b"LLENC01\n";
const NONCE: usize = 12;
const TAG: usize = 16;
/// Read and written a piece at a time: a package's file can be gigabytes.
const PIECE: usize = 1 << 20;

/// A manifest's `encryption`: how its files were encrypted, and for whom.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Encryption {
    pub algorithm: String,
    /// The fingerprint of the receiving key the package is encrypted for (as
    /// `exchange keygen --receiver` prints it).
    pub recipient: String,
    /// The package's own X25519 public key, hex.
    pub ephemeral_key: String,
}

/// A receiving key pair `exchange keygen --receiver` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ReceivingKeyPair {
    pub receiver: String,
    pub private_key: PathBuf,
    pub public_key: PathBuf,
    pub fingerprint: String,
}

/// Writes a new receiving key pair for `receiver` (the database's name: `nation`, a
/// province's code) into `dir`: `receiver-NAME.key.pem` and `receiver-NAME.pub.pem`.
pub fn keygen(dir: &Path, receiver: &str) -> Result<ReceivingKeyPair> {
    let named = !receiver.is_empty()
        && receiver.len() <= 32
        && receiver
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !named {
        bail!("--receiver {receiver:?}: a name of letters, digits, - and _ (nation, or a province's code)");
    }
    let key = PKey::generate_x25519()?;
    let (private_key, public_key) = write_key_pair(dir, &format!("receiver-{receiver}"), &key)?;
    Ok(ReceivingKeyPair {
        receiver: receiver.to_string(),
        fingerprint: fingerprint(&key)?,
        private_key,
        public_key,
    })
}

const NOT_RECEIVING: &str =
    "not a receiving key (ledgerline exchange keygen --receiver makes them; a province's signing key encrypts nothing)";

/// The public receiving key `--encrypt-for` names.
pub(crate) fn read_recipient(path: &Path) -> Result<PKey<Public>> {
    read_receiving(path, "--encrypt-for", "public", PKey::public_key_from_pem)
}

/// The private receiving key `--decrypt-key` names.
pub fn read_decrypt_key(path: &Path) -> Result<PKey<Private>> {
    read_receiving(path, "--decrypt-key", "private", PKey::private_key_from_pem)
}

/// The `half` (public or private) of a receiving key in PEM at `path`, which `flag` names.
fn read_receiving<T>(
    path: &Path,
    flag: &str,
    half: &str,
    parse: impl Fn(&[u8]) -> Result<PKey<T>, openssl::error::ErrorStack>,
) -> Result<PKey<T>> {
    let what = format!("{flag} {}", path.display());
    let pem = std::fs::read(path).with_context(|| format!("{what}: cannot read"))?;
    receiving_key(&pem, &what, half, parse)
}

/// The `half` of a receiving key in `pem`, read from `what`: an X25519 key.
fn receiving_key<T>(
    pem: &[u8],
    what: &str,
    half: &str,
    parse: impl Fn(&[u8]) -> Result<PKey<T>, openssl::error::ErrorStack>,
) -> Result<PKey<T>> {
    let key = parse(pem).map_err(|_| anyhow!("{what}: not a {half} key in PEM"))?;
    if key.id() != Id::X25519 {
        bail!("{what}: {NOT_RECEIVING}");
    }
    Ok(key)
}

/// The key a package's files are encrypted with: from the Diffie-Hellman secret of the
/// package's key and the receiving key, bound to both public keys.
fn file_key(secret: &[u8], ephemeral: &[u8], recipient: &[u8]) -> Result<[u8; 32]> {
    let mut ctx = PkeyCtx::new_id(Id::HKDF)?;
    ctx.derive_init()?;
    ctx.set_hkdf_md(Md::sha256())?;
    ctx.set_hkdf_key(secret)?;
    ctx.set_hkdf_salt(&[ephemeral, recipient].concat())?;
    ctx.add_hkdf_info(b"ledgerline exchange package files")?;
    let mut key = [0; 32];
    ctx.derive(Some(&mut key))?;
    Ok(key)
}

/// Encrypts a package's files for one receiving key.
pub(crate) struct Encrypter {
    key: [u8; 32],
    pub encryption: Encryption,
}

impl Encrypter {
    /// A key of the package's own, agreed with `recipient`.
    pub(crate) fn new(recipient: &PKey<Public>) -> Result<Encrypter> {
        let ephemeral = PKey::generate_x25519()?;
        let mut deriver = Deriver::new(&ephemeral)?;
        deriver.set_peer(recipient)?;
        let secret = deriver.derive_to_vec()?;
        let ephemeral_public = ephemeral.raw_public_key()?;
        Ok(Encrypter {
            key: file_key(&secret, &ephemeral_public, &recipient.raw_public_key()?)?,
            encryption: Encryption {
                algorithm: ALGORITHM.to_string(),
                recipient: fingerprint(recipient)?,
                ephemeral_key: hex::encode(ephemeral_public),
            },
        })
    }

    /// Writes `plain` encrypted as `to`, a file named `name` in the package.
    pub(crate) fn encrypt(&self, plain: &Path, to: &Path, name: &str) -> Result<()> {
        let mut nonce = [0; NONCE];
        openssl::rand::rand_bytes(&mut nonce)?;
        let mut crypter = Crypter::new(Cipher::aes_256_gcm(), Mode::Encrypt, &self.key, Some(&nonce))?;
        crypter.aad_update(name.as_bytes())?;
        let mut input = std::fs::File::open(plain).with_context(|| format!("{}: cannot read", plain.display()))?;
        let mut output = std::io::BufWriter::new(
            std::fs::File::create(to).with_context(|| format!("cannot create {}", to.display()))?,
        );
        output.write_all(MAGIC)?;
        output.write_all(&nonce)?;
        let mut piece = vec![0; PIECE];
        let mut out = vec![0; PIECE + 16];
        loop {
            let n = input.read(&mut piece)?;
            if n == 0 {
                break;
            }
            let m = crypter.update(&piece[..n], &mut out)?;
            output.write_all(&out[..m])?;
        }
        let m = crypter.finalize(&mut out)?;
        output.write_all(&out[..m])?;
        let mut tag = [0; TAG];
        crypter.get_tag(&mut tag)?;
        output.write_all(&tag)?;
        output.into_inner()?.sync_all()?;
        Ok(())
    }
}

/// Decrypts the files of a package encrypted for one receiving key.
pub(crate) struct Decrypter {
    key: [u8; 32],
}

impl Decrypter {
    /// The package's file key, if `key` is the receiving key `encryption` names.
    pub(crate) fn new(key: &PKey<Private>, encryption: &Encryption) -> Result<Decrypter> {
        if encryption.algorithm != ALGORITHM {
            bail!("encrypted with {:?}, expected {ALGORITHM}", encryption.algorithm);
        }
        let held = fingerprint(key)?;
        if held != encryption.recipient {
            bail!(
                "encrypted for receiving key {}, and --decrypt-key is key {held}: only the key it was \
                 exported --encrypt-for opens it",
                encryption.recipient
            );
        }
        let ephemeral = hex::decode(&encryption.ephemeral_key)
            .ok()
            .and_then(|raw| PKey::public_key_from_raw_bytes(&raw, Id::X25519).ok())
            .ok_or_else(|| anyhow!("its ephemeral_key {:?} is not an X25519 key", encryption.ephemeral_key))?;
        let mut deriver = Deriver::new(key)?;
        deriver.set_peer(&ephemeral)?;
        let secret = deriver.derive_to_vec()?;
        Ok(Decrypter {
            key: file_key(&secret, &ephemeral.raw_public_key()?, &key.raw_public_key()?)?,
        })
    }

    /// Writes the file `encrypted`, named `name` in the package, decrypted as `to`. An
    /// error names the file: `to` then holds nothing to be used.
    pub(crate) fn decrypt(&self, encrypted: &Path, to: &Path, name: &str) -> Result<()> {
        let what = || encrypted.display().to_string();
        let mut input = std::fs::File::open(encrypted).with_context(|| format!("{}: cannot read", what()))?;
        let size = input.metadata()?.len();
        let mut head = [0; MAGIC.len() + NONCE];
        if size < (head.len() + TAG) as u64 || input.read_exact(&mut head).is_err() || &head[..MAGIC.len()] != MAGIC {
            bail!("{}: not a file ledgerline encrypted", what());
        }
        let mut crypter = Crypter::new(
            Cipher::aes_256_gcm(),
            Mode::Decrypt,
            &self.key,
            Some(&head[MAGIC.len()..]),
        )?;
        crypter.aad_update(name.as_bytes())?;
        let mut output = std::io::BufWriter::new(
            std::fs::File::create(to).with_context(|| format!("cannot create {}", to.display()))?,
        );
        let mut left = size - (head.len() + TAG) as u64;
        let mut piece = vec![0; PIECE];
        let mut out = vec![0; PIECE + 16];
        while left > 0 {
            let n = left.min(PIECE as u64) as usize;
            input.read_exact(&mut piece[..n])?;
            let m = crypter.update(&piece[..n], &mut out)?;
            output.write_all(&out[..m])?;
            left -= n as u64;
        }
        let mut tag = [0; TAG];
        input.read_exact(&mut tag)?;
        crypter.set_tag(&tag)?;
        if crypter.finalize(&mut out).is_err() {
            bail!(
                "{}: does not decrypt with the package's key: it was altered after it was encrypted, \
                 or put in another file's place",
                what()
            );
        }
        output.flush()?;
        Ok(())
    }
}

/// A receiving key a database takes packages encrypted for, or took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReceivingKey {
    pub fingerprint: String,
    pub received_by: String,
    pub note: Option<String>,
    pub received_at: UtcTime,
    pub retired_by: Option<String>,
    pub retire_note: Option<String>,
    pub retired_at: Option<UtcTime>,
}

/// The receiving keys a database takes packages encrypted for.
const RECEIVING: KeyTable = KeyTable {
    name: "exchange_receiving_keys",
    added_by: "received_by",
    added_at: "received_at",
};

impl From<KeyRow> for ReceivingKey {
    fn from(k: KeyRow) -> ReceivingKey {
        ReceivingKey {
            fingerprint: k.fingerprint,
            received_by: k.added_by,
            note: k.note,
            received_at: k.added_at,
            retired_by: k.retired_by,
            retire_note: k.retire_note,
            retired_at: k.retired_at,
        }
    }
}

/// Makes `db` receive with the public receiving key in `pem` (read from `what`): from now
/// on it takes only packages encrypted for a key it receives with. A key received
/// already (not retired) is refused.
pub fn receive(db: &mut Database, pem: &[u8], what: &str, by: &str, note: Option<&str>) -> Result<ReceivingKey> {
    let (fingerprint, pem) = public_pem(pem, what)?;
    db.exclusively(|db, at| {
        if RECEIVING.current(db, &fingerprint)? {
            bail!("this database receives with key {fingerprint} already");
        }
        RECEIVING.add(db, at, &fingerprint, &pem, by, note)
    })?;
    RECEIVING.latest(db, &fingerprint).map(ReceivingKey::from)
}

/// The fingerprint and the PEM (as OpenSSL writes it) of the public receiving key in
/// `pem`, read from `what`.
pub(crate) fn public_pem(pem: &[u8], what: &str) -> Result<(String, String)> {
    let key = public_key(pem, what)?;
    Ok((fingerprint(&key)?, String::from_utf8(key.public_key_to_pem()?)?))
}

/// The public receiving key in `pem`, read from `what`.
pub(crate) fn public_key(pem: &[u8], what: &str) -> Result<PKey<Public>> {
    receiving_key(pem, what, "public", PKey::public_key_from_pem)
}

/// Whether `db` receives with the key `fingerprint` (not retired).
pub fn receiving(db: &mut Database, fingerprint: &str) -> Result<bool> {
    RECEIVING.current(db, fingerprint)
}

/// Retires the receiving key `fingerprint` (its private half lost, or replaced):
/// packages encrypted for it are refused from now on.
pub fn retire(db: &mut Database, fingerprint: &str, by: &str, note: &str) -> Result<ReceivingKey> {
    if !RECEIVING.retire(db, fingerprint, by, note)? {
        bail!("no receiving key {fingerprint} (ledgerline exchange keys --receiving lists them)");
    }
    RECEIVING.latest(db, fingerprint).map(ReceivingKey::from)
}

/// The receiving keys a database receives with or did, in the order they were received.
pub fn receiving_keys(db: &mut Database) -> Result<Vec<ReceivingKey>> {
    Ok(RECEIVING.rows(db)?.into_iter().map(ReceivingKey::from).collect())
}

/// Refuses province `province`'s package, encrypted as `encryption` says, when `db`
/// receives with a key (or did: with all retired, nothing is taken until a new one is)
/// and the package is not encrypted for one it receives with.
pub(crate) fn check(db: &mut Database, province: &str, encryption: Option<&Encryption>) -> Result<()> {
    if receiving_keys(db)?.is_empty() {
        return Ok(());
    }
    match encryption {
        None => bail!(
            "the package of province {province} is not encrypted, and this database takes only packages encrypted \
             for a key it receives with (ledgerline exchange keys --receiving): province {province} exports it \
             again --encrypt-for one of them"
        ),
        Some(e) if !receiving(db, &e.recipient)? => bail!(
            "the package of province {province} is encrypted for key {}, which this database does not receive with \
             (ledgerline exchange keys --receiving lists those it does; a retired key is not received with)",
            e.recipient
        ),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A receiving key pair in `dir`, read back as the two flags take it.
    fn receiving(dir: &Path, name: &str) -> (PKey<Public>, PKey<Private>) {
        let pair = keygen(dir, name).unwrap();
        (
            read_recipient(&pair.public_key).unwrap(),
            read_decrypt_key(&pair.private_key).unwrap(),
        )
    }

    #[test]
    fn a_file_decrypts_with_the_receiving_key_only_as_the_file_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (public, private) = receiving(d, "nation");
        // Over a piece long, so the pieces join up.
        let plain: Vec<u8> = (0..PIECE + 1000).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(d.join("plain"), &plain).unwrap();
        let encrypter = Encrypter::new(&public).unwrap();
        encrypter
            .encrypt(&d.join("plain"), &d.join("enc"), "deceased.parquet.enc")
            .unwrap();
        let encrypted = std::fs::read(d.join("enc")).unwrap();
        assert_eq!(encrypted.len(), plain.len() + MAGIC.len() + NONCE + TAG);
        assert!(!encrypted.windows(64).any(|w| plain.windows(64).next() == Some(w)));

        let decrypter = Decrypter::new(&private, &encrypter.encryption).unwrap();
        decrypter
            .decrypt(&d.join("enc"), &d.join("back"), "deceased.parquet.enc")
            .unwrap();
        assert_eq!(std::fs::read(d.join("back")).unwrap(), plain);

        let e = decrypter
            .decrypt(&d.join("enc"), &d.join("back"), "agents.parquet.enc")
            .unwrap_err();
        assert!(e.to_string().contains("put in another file's place"), "{e}");
        let mut altered = encrypted.clone();
        altered[MAGIC.len() + NONCE + 5] ^= 1;
        std::fs::write(d.join("altered"), &altered).unwrap();
        let e = decrypter
            .decrypt(&d.join("altered"), &d.join("back"), "deceased.parquet.enc")
            .unwrap_err();
        assert!(e.to_string().contains("altered after it was encrypted"), "{e}");
        std::fs::write(d.join("short"), &encrypted[..20]).unwrap();
        let e = decrypter
            .decrypt(&d.join("short"), &d.join("back"), "deceased.parquet.enc")
            .unwrap_err();
        assert!(e.to_string().contains("not a file ledgerline encrypted"), "{e}");

        let (_, other) = receiving(&d.join("other"), "nation");
        let e = Decrypter::new(&other, &encrypter.encryption).err().unwrap();
        assert!(
            e.to_string()
                .contains("only the key it was exported --encrypt-for opens it"),
            "{e}"
        );
    }

    #[test]
    fn each_package_has_a_key_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let (public, _) = receiving(dir.path(), "nation");
        let [a, b] = [0, 1].map(|_| Encrypter::new(&public).unwrap());
        assert_eq!(a.encryption.recipient, b.encryption.recipient);
        assert_ne!(a.encryption.ephemeral_key, b.encryption.ephemeral_key);
        assert_ne!(a.key, b.key);
    }

    #[test]
    fn signing_keys_and_receiving_keys_are_not_taken_for_one_another() {
        let dir = tempfile::tempdir().unwrap();
        let signing = super::super::signing::keygen(dir.path(), "37").unwrap();
        let e = read_recipient(&signing.public_key).unwrap_err();
        assert!(e.to_string().contains("not a receiving key"), "{e}");
        assert!(read_decrypt_key(&signing.private_key).is_err());
        let receiving = keygen(dir.path(), "nation").unwrap();
        assert!(super::super::signing::read_signing_key(&receiving.private_key).is_err());
        assert!(keygen(dir.path(), "nation").is_err(), "a key is not written over");
        assert!(keygen(dir.path(), "../x").is_err());
    }
}
