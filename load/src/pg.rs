//! PostgreSQL as a basic database (the server deployment): connecting, applying the
//! schema versions under an advisory lock (two loaders starting at once apply them once),
//! and writing staged rows with binary `COPY … FROM STDIN`, the server's bulk path;
//! reading a million rows with `COPY … TO STDOUT`, the same path the other way.

use anyhow::{anyhow, bail, Context, Result};
use std::io::{BufRead, Write};

use chrono::NaiveDate;
use postgres::types::ToSql;
use postgres::{Client, NoTls};

use ledgerline_store::migrations::version_table_ddl;

use crate::tables::{Kind, Rows, Table};
use crate::{UtcTime, MAX_WIDTH, MIGRATIONS, VERSION_TABLE};

/// Advisory lock keys (arbitrary, fixed): schema changes, and writes that read the
/// persons held before adding to them (two loads must not both insert one person).
const SCHEMA_LOCK: i64 = 0x6c65_6467_0001;
pub const WRITE_LOCK: i64 = 0x6c65_6467_0002;

/// The URL without its password, for messages.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Connects, with dates and times written as text in ISO form (`2013-04-11`,
/// `2013-04-11 08:30:00`) whatever the server's, the database's or the role's
/// `DateStyle`: every text ledgerline reads of a date compares with the records' own
/// (`SQL, DMY` read a held death date as `11/04/2013`, a conflict with every record
/// linked to the person), and an exchange package's CSV is read back as ISO. The
/// session's time zone is UTC, the zone of every time a basic database holds (see
/// [`crate::clock`]): a server set to `Asia/Shanghai` would otherwise turn a time with
/// a zone into a `TIMESTAMP` eight hours off the rest.
/// The connection is secured as the URL's libpq options say (see [`crate::pg_tls`]):
/// by default with TLS when the server offers it.
pub fn connect(url: &str) -> Result<Client> {
    let shown = redacted(url);
    let tls = crate::pg_tls::Tls::of_url(url, &shown)?;
    let mut config: postgres::Config = tls
        .client_url
        .parse()
        .map_err(|e| anyhow!("{shown}: not a PostgreSQL connection URL: {e}"))?;
    default_connect_timeout(&mut config);
    if let Some(password) = crate::pg_password::find(&config) {
        config.password(password);
    }
    let waited = config.get_connect_timeout().copied().unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let connector = tls.connector(&shown)?;
    // The client's timeout covers the TCP connection only: a server (or anything else at
    // the port) that takes the connection and never answers the TLS or startup messages
    // held a command forever. The whole attempt runs beside, given a little longer, so
    // the client's own timeout is the one said when the TCP connection is what hangs.
    let (sent, answer) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let connected = match connector {
            Some(connector) => config.connect(connector),
            None => config.connect(NoTls),
        };
        drop(sent.send(connected));
    });
    let Ok(connected) = answer.recv_timeout(waited + ANSWER_GRACE) else {
        bail!(
            "{shown}: cannot connect to PostgreSQL: no answer within {} s of connecting (a server too busy \
             to answer, or something other than PostgreSQL at that port; connect_timeout=SECONDS in the URL \
             waits longer)",
            (waited + ANSWER_GRACE).as_secs()
        );
    };
    let mut client = connected.map_err(|e| not_connected(&shown, &e, waited))?;
    client
        .batch_execute("SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'")
        .with_context(|| format!("{shown}: cannot set DateStyle and TimeZone"))?;
    Ok(client)
}

/// How long a connection attempt may take when the URL's `connect_timeout` does not
/// say. libpq waits as long as the system does: to a server behind a firewall that drops
/// what it refuses, a load or an import sat silent for over two minutes before failing.
pub const DEFAULT_CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// How much longer than the connect timeout a whole connection attempt (TCP, TLS,
/// startup) may take.
const ANSWER_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Gives `config` [`DEFAULT_CONNECT_TIMEOUT`] unless it has a `connect_timeout` of its own.
fn default_connect_timeout(config: &mut postgres::Config) {
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
    }
}

/// Why a connection failed, in one line: the client's message already holds its causes
/// (each of which, listed after it, repeated OpenSSL's error stack), and a refused
/// certificate is said as such, with OpenSSL's reason for it.
fn not_connected(shown: &str, e: &postgres::Error, waited: std::time::Duration) -> anyhow::Error {
    let mut said = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !said.contains(&text) {
            said = format!("{said}: {text}");
        }
        cause = c.source();
    }
    if said.contains("certificate verify failed") {
        return anyhow!(
            "{shown}: the server's certificate was refused ({}): sslmode=verify-ca accepts a \
             certificate signed by sslrootcert's authority, verify-full one that also names the host connected to",
            said.rsplit(": ").next().unwrap_or_default().trim()
        );
    }
    if said.contains("timed out") {
        said = format!(
            "{said} after {} s (a firewall dropping the connection, or a server too busy to answer; \
             connect_timeout=SECONDS in the URL waits longer)",
            waited.as_secs()
        );
    }
    anyhow!("{shown}: cannot connect to PostgreSQL: {said}")
}

/// Has the server compress long texts written on this connection with lz4 where it can.
/// The long text a load writes is its report (31 MB of JSON for a million-record load,
/// which lists its conflicts and rejections): compressed with PostgreSQL's default,
/// pglz, its insert took 0.54 s of the load's end, on one core with nothing beside.
/// A server older than 14, or built without lz4, refuses the setting and keeps its
/// default; that costs only time.
pub fn compress_long_texts_with_lz4(client: &mut Client) {
    // Outside a transaction a refused setting aborts nothing.
    let _ = client.batch_execute("SET default_toast_compression = lz4");
}

/// Creates the schema or brings it up to date, one transaction per version.
pub fn migrate(client: &mut Client, url: &str) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
    tx.batch_execute(&version_table_ddl(VERSION_TABLE))?;
    let current: i32 = tx
        .query_one(&format!("SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}"), &[])?
        .get(0);
    let latest = MIGRATIONS.last().map_or(0, |m| m.version);
    if current > latest {
        bail!(
            "{}: schema version {current} is newer than this ledgerline knows ({latest})",
            redacted(url)
        );
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.batch_execute(m.sql)
            .with_context(|| format!("{}: schema version {} ({}) failed", redacted(url), m.version, m.name))?;
        tx.execute(
            &format!("INSERT INTO {VERSION_TABLE} (version, name) VALUES ($1, $2)"),
            &[&m.version, &m.name],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// `url` naming the database `name` instead of the one it names.
pub fn with_database(url: &str, name: &str) -> Result<String> {
    let start = url
        .find("://")
        .map(|i| i + 3)
        .ok_or_else(|| anyhow!("{}: not a URL", redacted(url)))?;
    let (rest, query) = match url[start..].find('?') {
        Some(q) => (&url[start..start + q], &url[start + q..]),
        None => (&url[start..], ""),
    };
    let authority = rest.split('/').next().unwrap_or("");
    Ok(format!("{}{authority}/{name}{query}", &url[..start]))
}

/// A database created for a test or a benchmark on a server it may create databases
/// on, dropped (with its connections) when this goes out of scope.
pub struct ScratchDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl ScratchDatabase {
    pub fn create(admin_url: &str, prefix: &str) -> Result<ScratchDatabase> {
        ScratchDatabase::made(admin_url, prefix, "")
    }

    /// A scratch copy of `template` (which must have no open connection).
    pub fn copy_of(admin_url: &str, prefix: &str, template: &ScratchDatabase) -> Result<ScratchDatabase> {
        ScratchDatabase::made(admin_url, prefix, &format!("TEMPLATE {}", template.name))
    }

    fn made(admin_url: &str, prefix: &str, options: &str) -> Result<ScratchDatabase> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "{prefix}_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_micros() % 1_000_000
        );
        connect(admin_url)?
            .batch_execute(&format!("CREATE DATABASE {name} {options}"))
            .with_context(|| format!("{}: cannot create a scratch database", redacted(admin_url)))?;
        Ok(ScratchDatabase {
            url: with_database(admin_url, &name)?,
            admin_url: admin_url.to_string(),
            name,
        })
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        if let Ok(mut c) = connect(&self.admin_url) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// PostgreSQL's epoch for dates and timestamps in the binary format.
fn pg_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).expect("a real date")
}

/// Appends one field of a binary COPY row: its length (-1 for NULL), then its value in
/// the wire form of the column's [`Kind`].
fn encode_field(buf: &mut Vec<u8>, value: Option<&str>, kind: Kind) -> Result<(), String> {
    let Some(v) = value else {
        buf.extend_from_slice(&(-1i32).to_be_bytes());
        return Ok(());
    };
    match kind {
        Kind::Text => {
            let len = i32::try_from(v.len()).map_err(|_| "a value over 2 GiB".to_string())?;
            buf.extend_from_slice(&len.to_be_bytes());
            buf.extend_from_slice(v.as_bytes());
        }
        Kind::Date => {
            let date = crate::tables::parse_date(v).ok_or_else(|| format!("{v:?} is not a YYYY-MM-DD date"))?;
            let days = (date - pg_epoch()).num_days() as i32;
            buf.extend_from_slice(&4i32.to_be_bytes());
            buf.extend_from_slice(&days.to_be_bytes());
        }
        Kind::Int => {
            let n: i32 = v.parse().map_err(|_| format!("{v:?} is not a whole number"))?;
            buf.extend_from_slice(&4i32.to_be_bytes());
            buf.extend_from_slice(&n.to_be_bytes());
        }
        Kind::Bool => {
            let b = match v {
                "true" => 1u8,
                "false" => 0,
                _ => return Err(format!("{v:?} is not true or false")),
            };
            buf.extend_from_slice(&1i32.to_be_bytes());
            buf.push(b);
        }
    }
    Ok(())
}

/// Text parameters as the driver takes them.
pub fn params<'a>(texts: &'a [&'a str]) -> Vec<&'a (dyn ToSql + Sync)> {
    texts.iter().map(|s| s as &(dyn ToSql + Sync)).collect()
}

/// `rows` as one binary COPY stream (for [`crate::staging::Stager`]); `constants` fill
/// the table's per-write columns, and every row ends with them and the stamp `at`.
pub fn encode_copy(rows: &Rows, constants: &[Option<&str>], at: UtcTime) -> Result<Vec<u8>> {
    let t = rows.table;
    let mut tail = Vec::new();
    for c in constants {
        encode_field(&mut tail, *c, Kind::Text).map_err(|e| anyhow!("{}: {e}", t.name))?;
    }
    let stamp = at.micros() - pg_epoch().and_time(chrono::NaiveTime::MIN).and_utc().timestamp_micros();
    tail.extend_from_slice(&8i32.to_be_bytes());
    tail.extend_from_slice(&stamp.to_be_bytes());
    let fields = i16::try_from(t.all_columns().len()).expect("a table of few columns");

    let mut buf = Vec::with_capacity(rows.cells.len() * 16);
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0i32.to_be_bytes()); // flags
    buf.extend_from_slice(&0i32.to_be_bytes()); // header extension length
    for (i, row) in rows.iter().enumerate() {
        buf.extend_from_slice(&fields.to_be_bytes());
        for (value, (column, kind)) in row.iter().zip(t.columns) {
            encode_field(&mut buf, value.as_deref(), *kind)
                .map_err(|e| anyhow!("{} row {} column {column}: {e}", t.name, i + 1))?;
        }
        buf.extend_from_slice(&tail);
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    Ok(buf)
}

/// Sends a stream [`encode_copy`] made with one binary COPY (for
/// [`crate::Database::insert`]), in chunks the server parses while the next arrives.
pub fn copy_encoded(client: &mut Client, table: &Table, copy: &[u8]) -> Result<u64> {
    const CHUNK: usize = 1 << 20;
    let mut sink = client.copy_in(&format!(
        "COPY {} ({}) FROM STDIN (FORMAT binary)",
        table.name,
        table.all_columns().join(", ")
    ))?;
    for chunk in copy.chunks(CHUNK) {
        sink.write_all(chunk)?;
    }
    Ok(sink.finish()?)
}

/// The rows of a query, as `COPY (query) TO STDOUT` sends them in its text format, each
/// handed to `each` as its first `width` values (`None` for NULL) as they come.
///
/// The server streams a COPY into the socket while the rows before are handled, and
/// makes each row with less work than a cursor's `FETCH` of it: measured on a
/// million-person load (`bench load --postgres`, three runs each), the server's CPU for
/// the load 10.5 → 8.5 s, reading the persons held 5.8 → 4.2 s.
pub fn scan_copy(client: &mut Client, sql: &str, width: usize, mut each: impl FnMut(&[Option<&str>])) -> Result<()> {
    assert!(width <= MAX_WIDTH, "scan reads up to {MAX_WIDTH} columns");
    // The reader is buffered already: it holds the message (a row) it got last.
    let mut rows = client.copy_out(&format!("COPY ({sql}) TO STDOUT"))?;
    let mut line = Vec::new();
    let mut fields = CopyFields::new(width);
    loop {
        line.clear();
        if rows.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let text = std::str::from_utf8(line.strip_suffix(b"\n").unwrap_or(&line))
            .map_err(|e| anyhow!("PostgreSQL sent a row that is not UTF-8 text: {e}"))?;
        each(&fields.of(text)[..width]);
    }
}

/// Splits lines of COPY's text format into values: tab-separated, `\N` for NULL, and a
/// backslash before a tab, a newline, a backslash or another control character in a
/// value. A value with none (nearly all) is lent as it lies in the line; one with a
/// backslash is unescaped into a buffer kept for its column.
struct CopyFields {
    /// One per column read: how many columns are read.
    unescaped: Vec<String>,
}

impl CopyFields {
    fn new(width: usize) -> CopyFields {
        CopyFields {
            unescaped: vec![String::new(); width],
        }
    }

    fn of<'a>(&'a mut self, line: &'a str) -> [Option<&'a str>; MAX_WIDTH] {
        let mut row = [None; MAX_WIDTH];
        let values = row[..self.unescaped.len()].iter_mut().zip(line.split('\t'));
        // A line without a backslash has neither a NULL nor an escape: its values are as
        // they lie, with no look inside each (the reading thread's hottest loop).
        if !line.as_bytes().contains(&b'\\') {
            values.for_each(|(slot, v)| *slot = Some(v));
            return row;
        }
        for ((slot, v), buffer) in values.zip(self.unescaped.iter_mut()) {
            *slot = match v {
                "\\N" => None,
                v if v.as_bytes().contains(&b'\\') => {
                    buffer.clear();
                    unescape_copy_text(v, buffer);
                    let unescaped: &'a String = buffer;
                    Some(unescaped.as_str())
                }
                v => Some(v),
            };
        }
        row
    }
}

/// A value of COPY's text format as written: `\t`, `\n`, `\r`, `\b`, `\f` and `\v` are
/// their control characters, a backslash before anything else is that character.
fn unescape_copy_text(value: &str, out: &mut String) {
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some(other) => out.push(other),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_attempt_gives_up_unless_the_url_says_otherwise() {
        let timeout_of = |url: &str| {
            let mut config: postgres::Config = url.parse().unwrap();
            default_connect_timeout(&mut config);
            config.get_connect_timeout().copied()
        };
        assert_eq!(timeout_of("postgres://u@h/db"), Some(DEFAULT_CONNECT_TIMEOUT));
        assert_eq!(
            timeout_of("postgres://u@h/db?connect_timeout=5"),
            Some(std::time::Duration::from_secs(5))
        );
    }

    /// Fields as COPY's text format writes them, in, values out (as tests/data would be).
    #[test]
    fn copy_text_lines_split_into_values_nulls_and_escapes() {
        let cases: [(&str, &[Option<&str>]); 6] = [
            ("P1\t王芳\t\\N", &[Some("P1"), Some("王芳"), None]),
            ("P2\t\t1", &[Some("P2"), Some(""), Some("1")]),
            (
                "P3\t路\\t2号\\\\B座\tx\\ny",
                &[Some("P3"), Some("路\t2号\\B座"), Some("x\ny")],
            ),
            ("P4\t\\\\N\t3", &[Some("P4"), Some("\\N"), Some("3")]),
            ("\\N\t\\\\\t\\N", &[None, Some("\\"), None]),
            ("P5\t张\t4", &[Some("P5"), Some("张"), Some("4")]),
        ];
        let mut fields = CopyFields::new(3);
        for (line, expected) in cases {
            assert_eq!(&fields.of(line)[..3], expected, "{line:?}");
        }
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redacted("postgres://dba:s3cret@db.example:5432/province"),
            "postgres://dba:***@db.example:5432/province"
        );
        assert_eq!(redacted("postgres://dba@h/p"), "postgres://dba@h/p");
        assert_eq!(redacted("postgres:///p?host=/run"), "postgres:///p?host=/run");
    }

    #[test]
    fn urls_name_other_databases() {
        assert_eq!(
            with_database("postgres://u:p@127.0.0.1:5432/postgres?sslmode=disable", "x").unwrap(),
            "postgres://u:p@127.0.0.1:5432/x?sslmode=disable"
        );
        assert_eq!(with_database("postgresql://u@h", "x").unwrap(), "postgresql://u@h/x");
    }

    #[test]
    fn fields_encode_by_kind() {
        let encoded = |v: Option<&str>, k: Kind| {
            let mut buf = Vec::new();
            encode_field(&mut buf, v, k).map(|()| buf)
        };
        // 2013-03-05 is 4812 days after 2000-01-01.
        assert_eq!(
            encoded(Some("2013-03-05"), Kind::Date).unwrap(),
            [0, 0, 0, 4, 0, 0, 0x12, 0xcc]
        );
        assert_eq!(
            encoded(Some("1999-12-31"), Kind::Date).unwrap()[4..],
            (-1i32).to_be_bytes()
        );
        assert!(encoded(Some("2013-3-5x"), Kind::Date).is_err());
        assert!(encoded(Some("2013-02-30"), Kind::Date).is_err());
        assert_eq!(encoded(Some("81"), Kind::Int).unwrap(), [0, 0, 0, 4, 0, 0, 0, 81]);
        assert_eq!(encoded(None, Kind::Bool).unwrap(), (-1i32).to_be_bytes());
        assert!(encoded(Some("yes"), Kind::Bool).is_err());
        assert_eq!(encoded(Some("王"), Kind::Text).unwrap(), [0, 0, 0, 3, 0xe7, 0x8e, 0x8b]);
    }
}
