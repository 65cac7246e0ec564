//! How a PostgreSQL connection is secured: libpq's own options in the target's URL
//! (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`), so a DBA's connection string means
//! here what it means to `psql`. A provincial server holds the personal data of the dead
//! and their families, and is often set to take only TLS connections (`hostssl`).
//!
//! - `disable`: no TLS.
//! - `prefer` (the default, as in libpq): TLS when the server offers it, else plain; the
//!   server's certificate is not checked.
//! - `require`: TLS or no connection; the certificate is checked against `sslrootcert`
//!   (or `~/.postgresql/root.crt`) when there is one, as libpq does, else not.
//! - `verify-ca`: TLS, the certificate signed by `sslrootcert`'s authority.
//! - `verify-full`: that, and issued for the host connected to.
//!
//! `sslrootcert=system` trusts the system's authorities (`/etc/ssl/certs`). `sslcert` and
//! `sslkey` give a client certificate, for servers that authenticate by one (`cert` in
//! `pg_hba.conf`). The system's OpenSSL does the work (`postgres-openssl`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode};
use postgres_openssl::MakeTlsConnector;

/// What the URL asks of TLS, and the URL without the options the PostgreSQL client
/// library does not know (`sslrootcert`, `sslcert`, `sslkey`, and `sslmode`'s verify-ca
/// and verify-full, which it is given as `require`).
#[derive(Debug, PartialEq)]
pub(crate) struct Tls {
    pub(crate) client_url: String,
    mode: Mode,
    root_cert: Option<RootCert>,
    client_cert: Option<(PathBuf, PathBuf)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

#[derive(Debug, PartialEq)]
enum RootCert {
    File(PathBuf),
    /// The system's trusted authorities.
    System,
}

/// The authority file libpq looks for when `sslrootcert` is not given.
fn default_root_cert() -> Option<PathBuf> {
    let path = Path::new(&std::env::var_os("HOME")?).join(".postgresql/root.crt");
    path.exists().then_some(path)
}

impl Tls {
    /// Reads the TLS options of `url` (a `postgres://` URL). `shown` is the URL as
    /// messages give it (without its password).
    pub(crate) fn of_url(url: &str, shown: &str) -> Result<Tls> {
        let (base, query) = match url.find("://").and_then(|s| url[s..].find('?').map(|q| s + q)) {
            Some(q) => (&url[..q], &url[q + 1..]),
            None => (url, ""),
        };
        let mut kept = Vec::new();
        let (mut mode, mut root_cert, mut cert, mut key) = (None, None, None, None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = || {
                percent_encoding::percent_decode_str(value)
                    .decode_utf8()
                    .map(|v| v.into_owned())
                    .with_context(|| format!("{shown}: {name} is not UTF-8 once decoded"))
            };
            match name {
                "sslmode" => mode = Some(Mode::named(&decoded()?, shown)?),
                "sslrootcert" => root_cert = Some(decoded()?),
                "sslcert" => cert = Some(PathBuf::from(decoded()?)),
                "sslkey" => key = Some(PathBuf::from(decoded()?)),
                _ => kept.push(pair),
            }
        }
        let mode = mode.unwrap_or(Mode::Prefer);
        let client_cert = match (cert, key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => bail!("{shown}: a client certificate needs both sslcert=FILE and sslkey=FILE"),
        };
        let root_cert = match root_cert.as_deref() {
            Some("system") => Some(RootCert::System),
            Some(file) => Some(RootCert::File(PathBuf::from(file))),
            None if matches!(mode, Mode::Require | Mode::VerifyCa | Mode::VerifyFull) => {
                default_root_cert().map(RootCert::File)
            }
            None => None,
        };
        if root_cert.is_none() && matches!(mode, Mode::VerifyCa | Mode::VerifyFull) {
            bail!(
                "{shown}: sslmode={} checks the server's certificate against its authority: give \
                 sslrootcert=FILE (the authority's certificate, PEM), sslrootcert=system, or put it in \
                 ~/.postgresql/root.crt",
                mode.name()
            );
        }
        if mode == Mode::Disable && client_cert.is_some() {
            bail!("{shown}: sslcert and sslkey need TLS, which sslmode=disable turns off");
        }
        // The client library knows disable, prefer and require; the checks beyond
        // require are this connector's.
        kept.push(match mode {
            Mode::Disable => "sslmode=disable",
            Mode::Prefer => "sslmode=prefer",
            _ => "sslmode=require",
        });
        Ok(Tls {
            client_url: format!("{base}?{}", kept.join("&")),
            mode,
            root_cert,
            client_cert,
        })
    }

    /// The connector for the connection, or `None` for one without TLS.
    pub(crate) fn connector(&self, shown: &str) -> Result<Option<MakeTlsConnector>> {
        if self.mode == Mode::Disable {
            return Ok(None);
        }
        let mut builder = SslConnector::builder(SslMethod::tls_client())
            .with_context(|| format!("{shown}: cannot set up TLS (OpenSSL)"))?;
        // require without an authority, like prefer, encrypts without checking whom to.
        let checks = match (self.mode, &self.root_cert) {
            (Mode::Prefer, _) | (Mode::Require, None) => None,
            (Mode::VerifyFull, _) => Some(true),
            _ => Some(false),
        };
        match &self.root_cert {
            Some(RootCert::File(file)) if checks.is_some() => builder
                .set_ca_file(file)
                .with_context(|| format!("{shown}: sslrootcert {}: not a certificate file (PEM)", file.display()))?,
            Some(RootCert::System) if checks.is_some() => builder
                .set_default_verify_paths()
                .with_context(|| format!("{shown}: cannot read the system's certificate authorities"))?,
            _ => {}
        }
        if checks.is_none() {
            builder.set_verify(SslVerifyMode::NONE);
        }
        if let Some((cert, key)) = &self.client_cert {
            builder
                .set_certificate_chain_file(cert)
                .with_context(|| format!("{shown}: sslcert {}: not a certificate file (PEM)", cert.display()))?;
            builder
                .set_private_key_file(key, SslFiletype::PEM)
                .with_context(|| format!("{shown}: sslkey {}: not a private key file (PEM)", key.display()))?;
            builder
                .check_private_key()
                .with_context(|| format!("{shown}: sslkey {} is not the key of sslcert", key.display()))?;
        }
        let mut connector = MakeTlsConnector::new(builder.build());
        // verify-ca checks who signed the certificate, not which host it names.
        let host_checked = checks == Some(true);
        connector.set_callback(move |config, _| {
            config.set_verify_hostname(host_checked);
            Ok(())
        });
        Ok(Some(connector))
    }
}

impl Mode {
    /// Each mode with its name in `sslmode`.
    const NAMED: [(Mode, &'static str); 5] = [
        (Mode::Disable, "disable"),
        (Mode::Prefer, "prefer"),
        (Mode::Require, "require"),
        (Mode::VerifyCa, "verify-ca"),
        (Mode::VerifyFull, "verify-full"),
    ];

    fn named(value: &str, shown: &str) -> Result<Mode> {
        match Mode::NAMED.iter().find(|(_, name)| *name == value) {
            Some((mode, _)) => Ok(*mode),
            None => bail!(
                "{shown}: sslmode={value:?}: expected disable, prefer, require, verify-ca or verify-full \
                 (allow, plain first and TLS after, is not offered)"
            ),
        }
    }

    fn name(self) -> &'static str {
        Mode::NAMED
            .iter()
            .find(|(mode, _)| *mode == self)
            .map_or("", |(_, name)| name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls(url: &str) -> Result<Tls> {
        Tls::of_url(url, url)
    }

    #[test]
    fn the_client_library_is_given_only_what_it_knows() {
        let t = tls("postgres://u@h/db").unwrap();
        assert_eq!(
            (t.client_url.as_str(), t.mode),
            ("postgres://u@h/db?sslmode=prefer", Mode::Prefer)
        );
        let t = tls("postgres://u@h/db?connect_timeout=5&sslmode=verify-full&sslrootcert=/etc/ca%20file.pem").unwrap();
        assert_eq!(t.client_url, "postgres://u@h/db?connect_timeout=5&sslmode=require");
        assert_eq!(t.mode, Mode::VerifyFull);
        assert_eq!(t.root_cert, Some(RootCert::File(PathBuf::from("/etc/ca file.pem"))));
        let t = tls("postgres://u@h/db?sslmode=verify-ca&sslrootcert=system&sslcert=c.pem&sslkey=k.pem").unwrap();
        assert_eq!(t.client_url, "postgres://u@h/db?sslmode=require");
        assert_eq!(t.root_cert, Some(RootCert::System));
        assert_eq!(t.client_cert, Some((PathBuf::from("c.pem"), PathBuf::from("k.pem"))));
        assert_eq!(
            tls("postgres://u@h/db?sslmode=disable").unwrap().client_url,
            "postgres://u@h/db?sslmode=disable"
        );
    }

    #[test]
    fn what_cannot_be_done_is_said() {
        for (url, says) in [
            ("postgres://u@h/db?sslmode=allow", "sslmode=\"allow\": expected disable"),
            ("postgres://u@h/db?sslmode=verify-full", "give sslrootcert=FILE"),
            (
                "postgres://u@h/db?sslcert=c.pem",
                "needs both sslcert=FILE and sslkey=FILE",
            ),
            (
                "postgres://u@h/db?sslmode=disable&sslcert=c&sslkey=k",
                "sslmode=disable turns off",
            ),
        ] {
            // No ~/.postgresql/root.crt stands in for the missing sslrootcert.
            if url.contains("verify-full") && default_root_cert().is_some() {
                continue;
            }
            let e = tls(url).unwrap_err().to_string();
            assert!(e.starts_with(url) && e.contains(says), "{e}");
        }
        let missing = tls("postgres://u@h/db?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem").unwrap();
        let e = format!("{:#}", missing.connector("shown").err().unwrap());
        assert!(
            e.contains("sslrootcert /nonexistent/ca.pem: not a certificate file"),
            "{e}"
        );
    }
}
