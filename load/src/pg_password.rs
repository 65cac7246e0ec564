//! A PostgreSQL password from where libpq finds one when the URL gives none: the
//! `PGPASSWORD` variable, then the password file (`PGPASSFILE`, else `~/.pgpass`). A
//! password in `--target` is seen by every user of the machine (`ps`) and kept in the
//! shell's history; a DBA keeps it in the password file instead, as for `psql`.
//!
//! The file's lines are `host:port:database:user:password`; `*` matches anything, `\:`
//! and `\\` stand for `:` and `\`, and `#` starts a comment. As libpq does, a file that
//! others may read is not used (with a warning naming it), and the first line that
//! matches wins.

use std::path::{Path, PathBuf};

use postgres::config::Host;

/// The password for `config`'s connection, if it has none: `PGPASSWORD`'s, else the
/// password file's first matching line's.
pub(crate) fn find(config: &postgres::Config) -> Option<String> {
    if config.get_password().is_some() {
        return None;
    }
    if let Some(password) = std::env::var_os("PGPASSWORD").filter(|p| !p.is_empty()) {
        return Some(password.to_string_lossy().into_owned());
    }
    let file = password_file()?;
    let text = readable_only_by_owner(&file)?;
    let wanted = Wanted::of(config);
    text.lines().find_map(|line| wanted.password_in(line))
}

/// `PGPASSFILE`, else `~/.pgpass`.
fn password_file() -> Option<PathBuf> {
    match std::env::var_os("PGPASSFILE") {
        Some(file) => Some(PathBuf::from(file)),
        None => Some(Path::new(&std::env::var_os("HOME")?).join(".pgpass")),
    }
}

/// The file's text, if it exists and only its owner may read it.
fn readable_only_by_owner(file: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file).ok()?.permissions().mode();
    if mode & 0o077 != 0 {
        eprintln!(
            "warning: {}: not used, since others may read it (its passwords with it); \
             make it yours alone: chmod 0600 {}",
            file.display(),
            file.display()
        );
        return None;
    }
    std::fs::read_to_string(file).ok()
}

/// What a password file's line must match: the connection's first host, port, database
/// and user, as libpq compares them.
struct Wanted {
    host: String,
    port: String,
    database: String,
    user: String,
}

impl Wanted {
    fn of(config: &postgres::Config) -> Wanted {
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(name)) => name.clone(),
            // libpq names a connection over a socket in the default folder `localhost`.
            Some(Host::Unix(_)) | None => "localhost".to_string(),
        };
        let user = config.get_user().unwrap_or_default().to_string();
        Wanted {
            host,
            port: config.get_ports().first().copied().unwrap_or(5432).to_string(),
            database: config.get_dbname().map_or_else(|| user.clone(), str::to_string),
            user,
        }
    }

    /// The line's password, if the line is one for this connection.
    fn password_in(&self, line: &str) -> Option<String> {
        if line.trim_start().starts_with('#') {
            return None;
        }
        let fields = split_fields(line);
        let [host, port, database, user, password] = <[String; 5]>::try_from(fields).ok()?;
        let matches = |field: &str, value: &str| field == "*" || field == value;
        (matches(&host, &self.host)
            && matches(&port, &self.port)
            && matches(&database, &self.database)
            && matches(&user, &self.user))
        .then_some(password)
    }
}

/// A line's fields, split at the colons that are not escaped, the escapes undone; as in
/// libpq, the password is the rest of the line after the fourth, colons and all.
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().unwrap().extend(chars.next()),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(url: &str) -> Wanted {
        Wanted::of(&url.parse().unwrap())
    }

    #[test]
    fn a_line_is_for_the_connection_it_names() {
        let w = wanted("postgres://loader@db.example:5433/province_37");
        for (line, found) in [
            ("db.example:5433:province_37:loader:s3cret", Some("s3cret")),
            ("*:*:*:loader:any", Some("any")),
            ("db.example:*:province_37:*:p\\:w\\\\d", Some("p:w\\d")),
            ("db.example:*:province_37:*:a:b", Some("a:b")),
            ("db.example:5432:province_37:loader:wrong-port", None),
            ("db.example:5433:province_37:other:wrong-user", None),
            ("# db.example:5433:province_37:loader:commented", None),
            ("db.example:5433:province_37", None),
        ] {
            assert_eq!(w.password_in(line).as_deref(), found, "{line}");
        }
        // Without a database named, the user's name is the database's.
        let w = wanted("postgres://loader@db.example/");
        assert_eq!(w.password_in("db.example:5432:loader:loader:x").as_deref(), Some("x"));
    }
}
