//! The provincial and national basic funeral databases ledgerline loads into: their
//! schema (versioned DDL in `schemas/province/`), how a target is named on the command
//! line, and reading the persons a database already holds, live or backfilled, so new
//! records link to them instead of duplicating them.

use std::path::PathBuf;
use std::sync::Arc;

mod arrow_batch;
pub mod backfill;
pub mod clock;
pub mod conflicts;
pub mod exchange;
pub mod history;
pub mod links;
pub mod live;
pub mod pg;
mod pg_password;
mod pg_tls;
pub mod sampling;
pub mod staging;
pub mod tables;
mod writing;

use anyhow::{bail, Context, Result};
use compact_str::CompactString;
use duckdb::{AccessMode, Config, Connection};
use ledgerline_dedupe::LinkageFields;
use ledgerline_schemas::{Field, RecordFields};
use ledgerline_store::migrations::{apply_list, Migration};
use rayon::prelude::*;

pub use crate::clock::UtcTime;
use crate::staging::{Staged, Stager};
use crate::tables::Rows;

/// The basic database's schema versions, never edited once released. The DDL is plain
/// SQL that DuckDB and PostgreSQL both accept.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "agencies, deceased, agents, cremations, burials, conflicts, loads",
        sql: include_str!("../../schemas/province/0001_basic.sql"),
    },
    Migration {
        version: 2,
        name: "unloads and exchange imports: withdrawals travel, packages arrive in order",
        sql: include_str!("../../schemas/province/0002_exchange.sql"),
    },
    Migration {
        version: 3,
        name: "live imports: which extract brought a live row",
        sql: include_str!("../../schemas/province/0003_live_imports.sql"),
    },
    Migration {
        version: 4,
        name: "conflict decisions and corrections: a DBA settles what a load noted",
        sql: include_str!("../../schemas/province/0004_conflict_decisions.sql"),
    },
    Migration {
        version: 5,
        name: "reopened decisions: a DBA takes a decision on a conflict back",
        sql: include_str!("../../schemas/province/0005_reopened_decisions.sql"),
    },
    Migration {
        version: 6,
        name: "person links: one death two provinces sent, linked at the nation",
        sql: include_str!("../../schemas/province/0006_person_links.sql"),
    },
    Migration {
        version: 7,
        name: "exchange keys: the provinces' public keys a database trusts to sign packages",
        sql: include_str!("../../schemas/province/0007_exchange_keys.sql"),
    },
    Migration {
        version: 8,
        name: "receiving keys: a database takes only packages encrypted for its own",
        sql: include_str!("../../schemas/province/0008_receiving_keys.sql"),
    },
    Migration {
        version: 9,
        name: "send-to keys: the receiving key a database's own packages are encrypted for",
        sql: include_str!("../../schemas/province/0009_send_to_keys.sql"),
    },
];

const VERSION_TABLE: &str = "basic_schema_migrations";

/// A basic database as named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `duckdb:PATH`, or a plain path: an embedded database file.
    DuckDb(PathBuf),
    /// `postgres://…` or `postgresql://…`: a PostgreSQL server.
    Postgres(String),
}

impl Target {
    pub fn parse(text: &str) -> Result<Target> {
        if let Some(path) = text.strip_prefix("duckdb:") {
            if path.is_empty() {
                bail!("{text}: a DuckDB target needs a path, as in duckdb:province.duckdb");
            }
            return Ok(Target::DuckDb(PathBuf::from(path)));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Target::Postgres(text.to_string()));
        }
        // `name:…` with a name of letters is another kind of target, not a file: DuckDB
        // would take the name for an extension to load (`bogus:foo` failed as extension
        // "bogus" not found). A file of such a name is still `duckdb:name:…` or `./name:…`.
        let scheme = text.split_once(':').map(|(scheme, _)| scheme);
        if scheme.is_some_and(|s| s.len() > 1 && s.chars().all(|c| c.is_ascii_alphabetic())) {
            bail!("{text}: unknown target; use duckdb:PATH or postgres://USER@HOST/DB");
        }
        Ok(Target::DuckDb(PathBuf::from(text)))
    }

    /// The target for messages (a PostgreSQL password is left out).
    pub fn display(&self) -> String {
        match self {
            Target::DuckDb(p) => format!("duckdb:{}", p.display()),
            Target::Postgres(url) => pg::redacted(url),
        }
    }

    /// Whether the database is there yet. A PostgreSQL database is taken to be (a
    /// connection to a missing one fails); a DuckDB file may not be.
    pub fn exists(&self) -> bool {
        match self {
            Target::DuckDb(path) => path.is_file(),
            Target::Postgres(_) => true,
        }
    }

    /// Opens the database for writing, creating it and applying pending schema versions.
    pub fn open_for_writing(&self) -> Result<Database> {
        match self {
            Target::DuckDb(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
                }
                let what = path.display().to_string();
                let conn = ledgerline_store::duckdb_file::open_or_create(path, |c| {
                    apply_list(c, MIGRATIONS, VERSION_TABLE, &what).map(drop)
                })?;
                defer_checkpoints(&conn)?;
                staging::remove_stale_staging(&conn)?;
                apply_list(&conn, MIGRATIONS, VERSION_TABLE, &what)?;
                Ok(Database::DuckDb(conn))
            }
            Target::Postgres(url) => {
                let mut client = pg::connect(url)?;
                pg::migrate(&mut client, url)?;
                pg::compress_long_texts_with_lz4(&mut client);
                Ok(Database::Postgres(Box::new(client)))
            }
        }
    }

    /// Opens a database that is a basic funeral database already, for writing: for the
    /// commands that change what one holds (`unload`), where a mistyped target must not
    /// become a new, empty database.
    pub fn open_existing_for_writing(&self) -> Result<Database> {
        drop(self.open_for_reading()?);
        self.open_for_writing()
    }

    /// Opens an existing database for reading (others may be loading into it meanwhile).
    pub fn open_for_reading(&self) -> Result<Database> {
        let (mut db, what) = match self {
            Target::DuckDb(path) => {
                if !self.exists() {
                    bail!("{}: no such database file", path.display());
                }
                let config = Config::default().access_mode(AccessMode::ReadOnly)?;
                let conn = Connection::open_with_flags(path, config)
                    .with_context(|| format!("cannot open {} read-only", path.display()))?;
                (Database::DuckDb(conn), path.display().to_string())
            }
            Target::Postgres(url) => (Database::Postgres(Box::new(pg::connect(url)?)), pg::redacted(url)),
        };
        db.check_schema(&what)?;
        Ok(db)
    }
}

/// A commit writes its changes to the write-ahead log, which makes them durable; DuckDB
/// also checkpoints (rewrites the changed tables into the database file) inside the
/// commit of any transaction whose changes it estimates above `checkpoint_threshold`
/// (16 MB by default). A load of a million records crossed it and spent 7 s of its
/// commit checkpointing, while DuckDB's own bulk insert of the same rows stayed under it
/// and checkpointed when its connection closed. Loads are large by nature: their
/// checkpoint waits for the close (or a WAL of 1 GB), as the native path's does.
fn defer_checkpoints(conn: &Connection) -> Result<()> {
    conn.execute_batch("SET checkpoint_threshold = '1GB'")?;
    Ok(())
}

/// The most columns [`Database::each_row`] and [`Database::scan`] read: a row's values
/// are borrowed from the engine's buffer into an array of this many.
const MAX_WIDTH: usize = 24;

/// Hands `each` the first `width` values of a PostgreSQL row, as text borrowed from it.
fn hand_over_row(r: &postgres::Row, width: usize, each: &mut impl FnMut(&[Option<&str>])) -> Result<()> {
    let mut row = [None; MAX_WIDTH];
    for (i, value) in row[..width].iter_mut().enumerate() {
        *value = r.try_get(i)?;
    }
    each(&row[..width]);
    Ok(())
}

/// An open basic database. The SQL ledgerline sends is written once for both engines:
/// `$1`-style parameters, text in and out (`CAST(… AS VARCHAR)` where a column is not).
pub enum Database {
    DuckDb(Connection),
    Postgres(Box<postgres::Client>),
}

impl Database {
    /// Starts a transaction that no other ledgerline writer runs beside: DuckDB lets one
    /// process write a file; on PostgreSQL an advisory lock serializes writers, so a load
    /// reads the persons held and adds to them without another load doing the same.
    /// Returns the time the writer's rows are stamped with, the database's clock once
    /// the lock is held (see [`clock`]).
    pub fn begin_exclusive(&mut self) -> Result<UtcTime> {
        match self {
            Database::DuckDb(c) => c.execute_batch("BEGIN TRANSACTION")?,
            Database::Postgres(c) => {
                c.batch_execute("BEGIN")?;
                c.execute("SELECT pg_advisory_xact_lock($1)", &[&pg::WRITE_LOCK])?;
            }
        }
        self.clock()
    }

    /// Runs `work` in a transaction of its own begun with [`Database::begin_exclusive`]
    /// (given the time its rows are stamped with), committed if it succeeds; rolled back
    /// if it, or the commit, fails.
    pub fn exclusively<T>(&mut self, work: impl FnOnce(&mut Database, UtcTime) -> Result<T>) -> Result<T> {
        let at = self.begin_exclusive()?;
        let done = work(self, at).and_then(|done| self.commit().map(|()| done));
        if done.is_err() {
            self.rollback();
        }
        done
    }

    /// [`Database::exclusively`], or, with `dry_run`, the same work rolled back once done:
    /// what it would do, told, with nothing changed.
    pub fn exclusively_unless_dry<T>(
        &mut self,
        dry_run: bool,
        work: impl FnOnce(&mut Database, UtcTime) -> Result<T>,
    ) -> Result<T> {
        if !dry_run {
            return self.exclusively(work);
        }
        let at = self.begin_exclusive()?;
        let done = work(self, at);
        self.rollback();
        done
    }

    /// The database's clock, in UTC: the server's for PostgreSQL, this machine's for the
    /// embedded engine.
    pub fn clock(&mut self) -> Result<UtcTime> {
        match self {
            Database::DuckDb(_) => Ok(UtcTime::now()),
            Database::Postgres(c) => UtcTime::of_server(c),
        }
    }

    pub fn commit(&mut self) -> Result<()> {
        match self {
            Database::DuckDb(c) => c.execute_batch("COMMIT")?,
            Database::Postgres(c) => c.batch_execute("COMMIT")?,
        }
        Ok(())
    }

    /// Rolls back, keeping the first error: a failed rollback after a failure says less.
    pub fn rollback(&mut self) {
        match self {
            Database::DuckDb(c) => drop(c.execute_batch("ROLLBACK")),
            Database::Postgres(c) => drop(c.batch_execute("ROLLBACK")),
        }
    }

    /// Refuses a database with no basic schema version recorded, or a newer one than
    /// this ledgerline knows. `what` names the database in the error.
    fn check_schema(&mut self, what: &str) -> Result<()> {
        let version = match self.has_table(VERSION_TABLE)? {
            false => None,
            true => self.text(
                &format!("SELECT CAST(max(version) AS VARCHAR) FROM {VERSION_TABLE}"),
                &[],
            )?,
        };
        let latest = MIGRATIONS.last().map_or(0, |m| m.version);
        match version.and_then(|v| v.parse::<i32>().ok()) {
            None => bail!("{what}: not a basic funeral database (no {VERSION_TABLE} table)"),
            Some(v) if v > latest => bail!("{what}: schema version {v} is newer than this ledgerline knows"),
            Some(_) => Ok(()),
        }
    }

    /// Runs a statement with text parameters; the number of rows changed.
    pub fn execute(&mut self, sql: &str, params: &[&str]) -> Result<u64> {
        Ok(match self {
            Database::DuckDb(c) => c.execute(sql, duckdb::params_from_iter(params))? as u64,
            Database::Postgres(c) => c.execute(sql, &pg::params(params))?,
        })
    }

    /// Runs a query whose `width` columns are all text; the values row after row.
    pub fn texts(&mut self, sql: &str, params: &[&str], width: usize) -> Result<Vec<Option<String>>> {
        let mut out = Vec::new();
        self.each_row(sql, params, width, |row| {
            out.extend(row.iter().map(|v| v.map(str::to_string)))
        })?;
        Ok(out)
    }

    /// Runs a query whose `width` columns are all text and hands `each` every row, its
    /// values borrowed from the engine's own buffers: a million-person read made 11
    /// million strings through the row APIs before it kept any of them. Rows come as the
    /// engine makes them: DuckDB's `query_arrow` ran a million-person read to its end
    /// before handing over the first row (1.6 s longer, and the whole result in memory).
    pub fn each_row(
        &mut self,
        sql: &str,
        params: &[&str],
        width: usize,
        mut each: impl FnMut(&[Option<&str>]),
    ) -> Result<()> {
        assert!(width <= MAX_WIDTH, "each_row reads up to {MAX_WIDTH} columns");
        match self {
            Database::DuckDb(c) => {
                use duckdb::arrow::array::{Array, AsArray};
                let mut stmt = c.prepare(sql)?;
                for batch in stmt.stream_arrow(duckdb::params_from_iter(params))? {
                    let batch = batch?;
                    let columns: Vec<_> = (0..width)
                        .map(|i| {
                            duckdb::arrow::compute::cast(batch.column(i), &duckdb::arrow::datatypes::DataType::Utf8)
                        })
                        .collect::<Result<_, _>>()?;
                    let strings: Vec<_> = columns.iter().map(|c| c.as_string::<i32>()).collect();
                    let mut row = [None; MAX_WIDTH];
                    for r in 0..batch.num_rows() {
                        for (value, column) in row.iter_mut().zip(&strings) {
                            *value = column.is_valid(r).then(|| column.value(r));
                        }
                        each(&row[..width]);
                    }
                }
            }
            Database::Postgres(c) => {
                use postgres::fallible_iterator::FallibleIterator;
                let mut rows = c.query_raw(sql, pg::params(params))?;
                while let Some(r) = rows.next()? {
                    hand_over_row(&r, width, &mut each)?;
                }
            }
        }
        Ok(())
    }

    /// Like [`Database::each_row`], for queries of a million rows.
    ///
    /// The synchronous PostgreSQL client waits for each row of a query's result on its
    /// own (it enters its runtime for every row): the reading thread of a million-record
    /// load spent a quarter of its CPU there. PostgreSQL's rows come by `COPY … TO
    /// STDOUT` instead (see [`pg::scan_copy`]): still a wait per row, but the server
    /// streams the rows beside it, where a cursor's chunks each waited on the last.
    ///
    /// Unlike `each_row`'s, a scan's columns may be of any type: each comes as the text
    /// the engine writes it in (PostgreSQL's COPY, for the dates and times in ISO form,
    /// `pg::connect`; DuckDB's Arrow arrays, turned into text on this side, which was
    /// faster than DuckDB's cast of a million persons' dates): a date `2013-04-11`, a
    /// time `2013-04-11 08:30:00.5` on PostgreSQL, `2013-04-11T08:30:00.500` on DuckDB.
    pub fn scan(&mut self, sql: &str, width: usize, each: impl FnMut(&[Option<&str>])) -> Result<()> {
        match self {
            Database::Postgres(c) => pg::scan_copy(c, sql, width, each),
            Database::DuckDb(_) => self.each_row(sql, &[], width, each),
        }
    }

    /// Starts a read-only transaction: reads inside it see one state of the database.
    pub fn begin_snapshot(&mut self) -> Result<()> {
        match self {
            Database::DuckDb(c) => c.execute_batch("BEGIN TRANSACTION")?,
            Database::Postgres(c) => c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?,
        }
        Ok(())
    }

    /// Whether the database has the table (one of a later schema version may be missing
    /// from a database opened only to read).
    pub fn has_table(&mut self, table: &str) -> Result<bool> {
        let count = self.text(
            "SELECT CAST(count(*) AS VARCHAR) FROM information_schema.tables WHERE table_name = $1",
            &[table],
        )?;
        Ok(count.as_deref() != Some("0"))
    }

    /// The first column of the first row, if any.
    pub fn text(&mut self, sql: &str, params: &[&str]) -> Result<Option<String>> {
        Ok(self.texts(sql, params, 1)?.into_iter().next().flatten())
    }

    /// Adds `rows` to their table through the engine's bulk path; `constants` fill the
    /// table's per-write columns, `at` its stamp column.
    pub fn append(&mut self, rows: &Rows, constants: &[Option<&str>], at: UtcTime) -> Result<u64> {
        let stager = self.stager(at)?;
        let inserted = match stager.stage(rows, constants)? {
            Some(staged) => self.insert(staged),
            None => Ok(0),
        };
        // The stager goes after its file, so that it may remove the directory it made.
        drop(stager);
        inserted
    }

    /// What stages rows for this database, on any thread, stamped `at`.
    pub fn stager(&self, at: UtcTime) -> Result<Stager> {
        match self {
            Database::DuckDb(c) => Stager::for_duckdb(c, at),
            Database::Postgres(_) => Ok(Stager::Postgres { at }),
        }
    }

    /// Inserts rows a [`Stager`] of this database made.
    pub fn insert(&mut self, staged: Staged) -> Result<u64> {
        match (self, staged) {
            (
                Database::DuckDb(c),
                Staged::DuckDb {
                    table,
                    file,
                    constants,
                    at,
                },
            ) => staging::insert_parquet(c, table, file, &constants, at),
            (Database::Postgres(c), Staged::Postgres { table, copy }) => pg::copy_encoded(c, table, &copy),
            _ => bail!("rows staged for another engine"),
        }
    }

    /// Writes what the write-ahead log holds into the database file now (DuckDB; a
    /// PostgreSQL server checkpoints on its own schedule).
    pub fn checkpoint(&self) -> Result<()> {
        if let Database::DuckDb(c) = self {
            c.execute_batch("CHECKPOINT")?;
        }
        Ok(())
    }

    /// The DuckDB connection, for work only the embedded engine does here.
    pub fn duckdb(&self) -> Option<&Connection> {
        match self {
            Database::DuckDb(c) => Some(c),
            Database::Postgres(_) => None,
        }
    }
}

/// A person the database already holds, in the record form linkage compares.
#[derive(Debug, Clone)]
pub struct DbPerson {
    pub person_id: String,
    pub fields: RecordFields,
    /// The events the database holds for the person (a load does not add them again).
    pub held: HeldEvents,
}

/// What a load reads of a person the database holds: the id and the fields linkage and
/// the conflict check look at. (A whole record's fields are 22 optional strings, half a
/// kilobyte a person: a million of them, mostly empty, were half a gigabyte of fresh
/// memory for the reading thread to fault in.) Each text of up to 24 bytes (ids, dates,
/// codes, most names) is kept inline: one allocation a person, for the address, where
/// there were nine.
#[derive(Debug, Clone)]
pub struct HeldPerson {
    pub person_id: CompactString,
    pub deceased_name: Option<CompactString>,
    pub gender: Option<CompactString>,
    pub id_number: Option<CompactString>,
    pub birth_date: Option<CompactString>,
    pub death_date: Option<CompactString>,
    pub household_address: Option<CompactString>,
    pub household_division: Option<CompactString>,
    /// The first agent's name (the ledgers' 家属/承办人).
    pub family_name: Option<CompactString>,
}

impl HeldPerson {
    pub fn linkage(&self) -> LinkageFields<'_> {
        LinkageFields {
            deceased_name: self.deceased_name.as_deref(),
            gender: self.gender.as_deref(),
            id_number: self.id_number.as_deref(),
            birth_date: self.birth_date.as_deref(),
            death_date: self.death_date.as_deref(),
            household_address: self.household_address.as_deref(),
            household_division: self.household_division.as_deref(),
            family_name: self.family_name.as_deref(),
        }
    }

    /// A field's value, `None` also for a field a load does not read.
    pub fn text(&self, field: Field) -> Option<&str> {
        let LinkageFields {
            deceased_name,
            gender,
            id_number,
            birth_date,
            death_date,
            household_address,
            household_division,
            family_name,
        } = self.linkage();
        match field {
            Field::DeceasedName => deceased_name,
            Field::Gender => gender,
            Field::IdNumber => id_number,
            Field::BirthDate => birth_date,
            Field::DeathDate => death_date,
            Field::HouseholdAddress => household_address,
            Field::HouseholdDivision => household_division,
            Field::FamilyName => family_name,
            _ => None,
        }
    }

    fn into_db_person(self, held: HeldEvents) -> DbPerson {
        let text = |t: Option<CompactString>| t.map(CompactString::into_string);
        DbPerson {
            person_id: self.person_id.into_string(),
            fields: RecordFields {
                deceased_name: text(self.deceased_name),
                gender: text(self.gender),
                id_number: text(self.id_number),
                birth_date: text(self.birth_date),
                death_date: text(self.death_date),
                household_address: text(self.household_address),
                household_division: text(self.household_division),
                family_name: text(self.family_name),
                ..Default::default()
            },
            held,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeldEvents {
    pub cremation: bool,
    pub burial: bool,
}

/// Every deceased person with the first agent's name (the ledgers' 家属/承办人) and
/// whether a cremation and a burial of theirs are held, in person-id order.
///
/// Reads in a transaction of its own, begun and ended here: call it on a connection that
/// holds none (PostgreSQL only warns of a `BEGIN` inside a transaction, and the rollback
/// here would end the caller's).
pub fn read_persons(db: &mut Database) -> Result<Vec<DbPerson>> {
    // The persons, their agents and their events as of one moment.
    db.begin_snapshot()?;
    let read = PersonsRead::read(db, |_| {});
    db.rollback();
    let read = read?;
    let order = read.order_by_person_id();
    let mut persons: Vec<Option<DbPerson>> = read.into_persons().into_iter().map(Some).collect();
    Ok(order
        .iter()
        .map(|&i| persons[i as usize].take().expect("each position once"))
        .collect())
}

/// The persons held as read: in the engine's order, in the chunks they were read in
/// (which a load hands to the thread beside the reading as they come, and which stay
/// where they are afterwards: moving a million persons into one vector, then again into
/// person-id order, cost a load 0.5 s of copying and page faults), and the events each
/// has.
pub struct PersonsRead {
    /// All full but the last.
    chunks: Vec<Arc<Vec<HeldPerson>>>,
    held: Vec<HeldEvents>,
    certificates: HeldCertificates,
}

/// The cremation certificates the database holds, as (person read, print of the
/// number), with the status held (a code of `codes::CERT_STATUSES`, `None` for none or
/// another): few, and asked only of a reissued or voided one.
#[derive(Default)]
struct HeldCertificates(rustc_hash::FxHashMap<(u32, u64), Option<&'static str>>);

impl HeldCertificates {
    fn print(number: &str) -> u64 {
        use std::hash::BuildHasher;
        rustc_hash::FxBuildHasher.hash_one(number)
    }

    fn hold(&mut self, person: u32, number: &str, status: Option<&str>) {
        let status = status.and_then(|s| {
            ledgerline_schemas::codes::CERT_STATUSES
                .iter()
                .find(|(code, _)| *code == s)
                .map(|(code, _)| *code)
        });
        self.0.insert((person, Self::print(number)), status);
    }

    /// `None`: not held; `Some(status)`: held, with that status.
    fn status(&self, person: u32, number: &str) -> Option<Option<&'static str>> {
        self.0.get(&(person, Self::print(number))).copied()
    }
}

/// The persons held are read in chunks of this many.
const READ_CHUNK: usize = 4096;

/// Where the person read `i`th is: its chunk, and its place in the chunk. Whatever is
/// kept per person chunk by chunk (the persons, their prepared linkage views) is found
/// by this.
pub(crate) fn chunk_position(i: usize) -> (usize, usize) {
    (i / READ_CHUNK, i % READ_CHUNK)
}

impl PersonsRead {
    /// Reads the persons held, handing each full chunk to `hand_over` as soon as it is
    /// read, then the events they have. Inside a transaction, which makes the three
    /// tables read one state of the database.
    pub fn read(db: &mut Database, mut hand_over: impl FnMut(&Arc<Vec<HeldPerson>>)) -> Result<PersonsRead> {
        let mut chunks: Vec<Arc<Vec<HeldPerson>>> = Vec::new();
        let mut current = Vec::with_capacity(READ_CHUNK);
        let (held, certificates) = on_one_engine_thread(db, |db| {
            read_person_rows(db, |p| {
                current.push(p);
                if current.len() == READ_CHUNK {
                    let chunk = Arc::new(std::mem::replace(&mut current, Vec::with_capacity(READ_CHUNK)));
                    hand_over(&chunk);
                    chunks.push(chunk);
                }
            })?;
            // No more chunks come: whoever takes them may stop waiting.
            drop(hand_over);
            let ids: Vec<&str> = chunks
                .iter()
                .flat_map(|c| c.iter())
                .chain(&current)
                .map(|p| p.person_id.as_str())
                .collect();
            read_held_events(db, &ids)
        })?;
        chunks.push(Arc::new(current));
        Ok(PersonsRead {
            chunks,
            held,
            certificates,
        })
    }

    /// How many persons were read.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// The person read `i`th.
    pub fn person(&self, i: usize) -> &HeldPerson {
        let (chunk, row) = chunk_position(i);
        &self.chunks[chunk][row]
    }

    /// The events the database holds for the person read `i`th.
    pub fn held(&self, i: usize) -> HeldEvents {
        self.held[i]
    }

    /// Whether the database holds a cremation certificate numbered `number` for the
    /// person read `i`th.
    pub fn holds_certificate(&self, i: usize, number: &str) -> bool {
        self.certificate_status(i, number).is_some()
    }

    /// The status the database holds of the person read `i`th's certificate `number`:
    /// `None` when it holds no such certificate, `Some(None)` when it holds it without one.
    pub fn certificate_status(&self, i: usize, number: &str) -> Option<Option<&'static str>> {
        self.certificates.status(i as u32, number)
    }

    /// The persons in chunks (see [`chunk_position`]), in the order read.
    pub fn chunks(&self) -> &[Arc<Vec<HeldPerson>>] {
        &self.chunks
    }

    /// The positions of the persons read in person-id order: matching decides ties the
    /// same way on every run whatever order the engine gave. Sorted here rather than by
    /// the database, which was slower at it.
    pub fn order_by_person_id(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        order.par_sort_unstable_by(|&a, &b| {
            self.person(a as usize)
                .person_id
                .cmp(&self.person(b as usize).person_id)
        });
        order
    }

    /// The persons in the order read, once whoever took chunks has let go of them.
    pub fn into_persons(self) -> Vec<DbPerson> {
        self.chunks
            .into_iter()
            .flat_map(|c| Arc::try_unwrap(c).unwrap_or_else(|shared| (*shared).clone()))
            .zip(self.held)
            .map(|(p, held)| p.into_db_person(held))
            .collect()
    }
}

/// Runs `read` with DuckDB producing rows on the calling thread alone: its other threads
/// add little to these queries and only take turns with the validation a load runs
/// beside them (`backfill::beside_one_thread`).
fn on_one_engine_thread<T>(db: &mut Database, read: impl FnOnce(&mut Database) -> Result<T>) -> Result<T> {
    if let Some(c) = db.duckdb() {
        c.execute_batch("SET threads = 1")?;
    }
    let out = read(db);
    if let Some(c) = db.duckdb() {
        c.execute_batch("RESET threads")?;
    }
    out
}

/// Every deceased person with the first agent's name, in the order the engine gives
/// them, handed to `each` as read; `held` is left for [`read_held_events`].
fn read_person_rows(db: &mut Database, mut each: impl FnMut(HeldPerson)) -> Result<()> {
    let first_agents = read_first_agents(db)?;
    let owned = |v: Option<&str>| v.map(CompactString::from);
    db.scan(
        "SELECT person_id, name, gender, id_number, birth_date, death_date, household_address, household_division
         FROM deceased",
        8,
        |v| {
            let person_id = v[0].unwrap_or_default();
            each(HeldPerson {
                person_id: CompactString::from(person_id),
                deceased_name: owned(v[1]),
                gender: owned(v[2]),
                id_number: owned(v[3]),
                birth_date: owned(v[4]),
                death_date: owned(v[5]),
                household_address: owned(v[6]),
                household_division: owned(v[7]),
                family_name: first_agents.of(person_id),
            })
        },
    )
}

/// Texts kept elsewhere (person ids, in the agents or the persons read), found by their
/// text: a table of 8-byte entries, each a position and a hash of the text at it. A
/// million-entry map holding the ids and names themselves (56 bytes an entry) missed
/// the cache on nearly every one of a million-person read's lookups; this table is a
/// sixth of its size, and the texts are visited about in the order read.
struct Positions(hashbrown::HashTable<u64>);

impl Positions {
    fn with_capacity(n: usize) -> Positions {
        Positions(hashbrown::HashTable::with_capacity(n))
    }

    fn hash(text: &str) -> u32 {
        use std::hash::BuildHasher;
        (rustc_hash::FxBuildHasher.hash_one(text) >> 32) as u32
    }

    /// The table's 64-bit hash for an entry's 32-bit one: spread over all 64 bits, as the
    /// table picks buckets by the low bits and tells entries apart by the top ones.
    fn spread(hash: u32) -> u64 {
        u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    /// The position of `text`, given the text at each position.
    fn find<'a>(&self, text: &str, text_at: impl Fn(u32) -> &'a str) -> Option<u32> {
        let hash = Positions::hash(text);
        self.0
            .find(Positions::spread(hash), |&e| {
                (e >> 32) as u32 == hash && text_at(e as u32) == text
            })
            .map(|&e| e as u32)
    }

    /// Adds the position of `text`, which is not in the table yet.
    fn insert(&mut self, text: &str, position: u32) {
        let hash = Positions::hash(text);
        self.0.insert_unique(
            Positions::spread(hash),
            (u64::from(hash) << 32) | u64::from(position),
            |&e| Positions::spread((e >> 32) as u32),
        );
    }
}

/// The first agent of each person (see [`read_first_agents`]), in the order first read.
struct FirstAgents {
    agents: Vec<FirstAgent>,
    positions: Positions,
}

struct FirstAgent {
    person_id: CompactString,
    loaded_at_us: i64,
    name: CompactString,
}

impl FirstAgents {
    /// Keeps `name`, loaded at `at`, if it is the first of `person`'s agents so far.
    fn offer(&mut self, person: &str, at: i64, name: &str) {
        let agents = &mut self.agents;
        match self.positions.find(person, |i| agents[i as usize].person_id.as_str()) {
            Some(i) => {
                let kept = &mut agents[i as usize];
                if (at, name) < (kept.loaded_at_us, kept.name.as_str()) {
                    kept.loaded_at_us = at;
                    kept.name = CompactString::from(name);
                }
            }
            None => {
                self.positions.insert(person, agents.len() as u32);
                agents.push(FirstAgent {
                    person_id: CompactString::from(person),
                    loaded_at_us: at,
                    name: CompactString::from(name),
                });
            }
        }
    }

    /// The name of `person`'s first agent, if they have one.
    fn of(&self, person: &str) -> Option<CompactString> {
        let i = self
            .positions
            .find(person, |i| self.agents[i as usize].person_id.as_str())?;
        Some(self.agents[i as usize].name.clone())
    }
}

/// The name of each person's first agent (the ledgers' 家属/承办人): of the agents with a
/// name (one without says nothing to match on), the one loaded first, and of those loaded
/// together the name first in code-point order, so that every read takes the same one.
/// Kept from one plain scan: asked of DuckDB as an `arg_min` aggregate joined to the
/// persons, it held a million-person read's first row back for 1.9 s, during which the
/// thread preparing persons for matching had nothing to do.
fn read_first_agents(db: &mut Database) -> Result<FirstAgents> {
    let mut first = FirstAgents {
        agents: Vec::new(),
        positions: Positions::with_capacity(0),
    };
    // The time in microseconds: DuckDB counts them faster than Arrow writes the time as
    // text for us (a million-person read, 1.8 → 2.05 s); PostgreSQL's count (`extract(epoch
    // …)`, a numeric) doubled its work for the scan (0.41 → 0.91 s), so its text is read.
    let (loaded_at, micros): (&str, fn(&str) -> Option<i64>) = if db.duckdb().is_some() {
        ("epoch_us(loaded_at)", |t| t.parse().ok())
    } else {
        ("loaded_at", tables::timestamp_micros)
    };
    let mut unreadable: Option<String> = None;
    db.scan(
        &format!("SELECT person_id, name, {loaded_at} FROM agents WHERE name IS NOT NULL"),
        3,
        |v| {
            let (Some(person), Some(name), Some(at)) = (v[0], v[1], v[2]) else {
                return;
            };
            match micros(at) {
                Some(at) => first.offer(person, at, name),
                None => {
                    // The first such time is named in the error; the scan goes on.
                    unreadable.get_or_insert_with(|| at.to_string());
                }
            }
        },
    )?;
    if let Some(at) = unreadable {
        bail!("agents.loaded_at: cannot read {at:?} as a time");
    }
    Ok(first)
}

/// The events held for each of the persons `ids`: plain scans of one column, looked up
/// here. Asked of the database as joins or IN lists, they cost more than reading the
/// persons, and PostgreSQL plans an IN list larger than its work_mem as one scan per
/// person.
fn read_held_events(db: &mut Database, ids: &[&str]) -> Result<(Vec<HeldEvents>, HeldCertificates)> {
    let mut index = Positions::with_capacity(ids.len());
    // Person ids are the persons' primary key: each comes once.
    for (i, &id) in ids.iter().enumerate() {
        index.insert(id, i as u32);
    }
    let mut certificates = HeldCertificates::default();
    // The cremations' certificate numbers come with them, in the one scan.
    let mut has = |sql: &str, width: usize| -> Result<Vec<bool>> {
        let mut has = vec![false; ids.len()];
        db.scan(sql, width, |v| {
            if let Some(i) = v[0].and_then(|id| index.find(id, |i| ids[i as usize])) {
                has[i as usize] = true;
                if let Some(Some(number)) = v.get(1) {
                    certificates.hold(i, number, v.get(2).copied().flatten());
                }
            }
        })?;
        Ok(has)
    };
    let cremated = has("SELECT person_id, cert_no, cert_status FROM cremations", 3)?;
    let buried = has("SELECT person_id FROM burials", 1)?;
    let held = cremated
        .into_iter()
        .zip(buried)
        .map(|(cremation, burial)| HeldEvents { cremation, burial })
        .collect();
    Ok((held, certificates))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text kept is found at its position, through the table's growth; texts not
    /// kept, also ones a character away, are not found.
    #[test]
    fn positions_find_exactly_the_texts_kept() {
        let texts: Vec<String> = (0..100_000).map(|i| format!("LIVE-D{i:09}")).collect();
        let mut positions = Positions::with_capacity(0);
        for (i, t) in texts.iter().enumerate() {
            positions.insert(t, i as u32);
        }
        let at = |i: u32| texts[i as usize].as_str();
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(positions.find(t, at), Some(i as u32), "{t}");
        }
        for absent in ["LIVE-D000100000", "LIVE-D00000000", "LIVE-D0000000000", "", "王秀英"] {
            assert_eq!(positions.find(absent, at), None, "{absent}");
        }
    }

    #[test]
    fn the_first_agent_is_the_earliest_then_first_by_code_point() {
        let mut first = FirstAgents {
            agents: Vec::new(),
            positions: Positions::with_capacity(0),
        };
        for (person, at, name) in [
            ("P1", 5, "周强"),
            ("P2", 1, "孙丽"),
            ("P1", 3, "钱芳"),
            ("P1", 3, "赵军"),
        ] {
            first.offer(person, at, name);
        }
        assert_eq!(first.of("P1").as_deref(), Some("赵军"));
        assert_eq!(first.of("P2").as_deref(), Some("孙丽"));
        assert_eq!(first.of("P3"), None);
    }

    #[test]
    fn targets() {
        assert_eq!(
            Target::parse("duckdb:/x/p.duckdb").unwrap(),
            Target::DuckDb("/x/p.duckdb".into())
        );
        assert_eq!(Target::parse("p.duckdb").unwrap(), Target::DuckDb("p.duckdb".into()));
        assert!(Target::parse("duckdb:").is_err());
        assert!(Target::parse("mysql://h/db").is_err());
        assert!(Target::parse("sqlite:p.db").is_err(), "another kind of target");
        assert!(Target::parse("bogus:foo").is_err(), "another kind of target");
        assert_eq!(
            Target::parse("./bogus:foo").unwrap(),
            Target::DuckDb("./bogus:foo".into()),
            "a file whose name holds a colon"
        );
        assert_eq!(
            Target::parse("duckdb:bogus:foo").unwrap(),
            Target::DuckDb("bogus:foo".into())
        );
        assert_eq!(
            Target::parse("postgres://dba:pw@127.0.0.1/prov").unwrap().display(),
            "postgres://dba:***@127.0.0.1/prov"
        );
    }

    /// A province's database made before decisions could be reopened keeps its decisions,
    /// and their checks, through version 5, which rebuilds the table; one of them can then
    /// be taken back and made again.
    #[test]
    fn decisions_made_before_version_5_are_kept_and_can_be_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.duckdb");
        let v4 = &MIGRATIONS[..4];
        assert_eq!(v4.last().map(|m| m.version), Some(4));
        {
            let conn = Connection::open(&path).unwrap();
            apply_list(&conn, v4, VERSION_TABLE, "v4").unwrap();
            conn.execute_batch(
                "INSERT INTO conflict_decisions VALUES
                 ('C0123456789abcdef', 'LB', 'PA', 'death_date', '2001-01-01', '2013-04-11', 'R3',
                  'replaced', '张科长', '火化证核对', TIMESTAMP '2026-02-05 08:00')",
            )
            .unwrap();
        }
        let mut db = Target::DuckDb(path).open_for_writing().unwrap();
        let decision = "SELECT decided_by || '|' || note || '|' || CAST(decided_at AS VARCHAR) FROM conflict_decisions";
        assert_eq!(
            db.text(decision, &[]).unwrap().as_deref(),
            Some("张科长|火化证核对|2026-02-05 08:00:00")
        );
        assert_eq!(db.execute("DELETE FROM conflict_decisions", &[]).unwrap(), 1);
        db.execute(
            "INSERT INTO conflict_decisions VALUES
             ('C0123456789abcdef', 'LB', 'PA', 'death_date', '2001-01-01', '2013-04-11', 'R3',
              'kept', '李科长', NULL, TIMESTAMP '2026-02-06 08:00')",
            &[],
        )
        .unwrap();
        assert!(
            db.execute(
                "INSERT INTO conflict_decisions VALUES
                 ('C0123456789abcdef', 'LB', 'PA', 'death_date', NULL, NULL, 'R3', 'undone', 'x', NULL, now())",
                &[],
            )
            .is_err(),
            "a decision is kept or replaced, as before"
        );
        assert!(db.has_table("reopened_decisions").unwrap());
    }

    #[test]
    fn a_large_commit_leaves_the_checkpoint_to_the_close() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.duckdb");
        let wal = dir.path().join("p.duckdb.wal");
        let wal_size = || std::fs::metadata(&wal).map_or(0, |m| m.len());
        let db = Target::DuckDb(path.clone()).open_for_writing().unwrap();
        // 100k rows, under a row group: estimated at ~30 MB of WAL, past DuckDB's default
        // 16 MB threshold for checkpointing inside the commit.
        db.duckdb()
            .unwrap()
            .execute_batch(
                "INSERT INTO deceased (person_id, name, household_address, origin, source_key, loaded_at)
                 SELECT 'P' || i, '王秀英', '山东省济南市历城区山大路' || i || '号', 'live', 'K' || i, now()
                 FROM range(100000) t(i)",
            )
            .unwrap();
        assert!(
            wal_size() > 1_000_000,
            "the commit went to the WAL: {} bytes",
            wal_size()
        );
        drop(db);
        assert_eq!(wal_size(), 0, "the close checkpointed");
        let conn = Connection::open(&path).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM deceased", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 100_000);
    }

    #[test]
    fn rows_are_staged_beside_the_database_and_nothing_stays() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = Target::DuckDb(dir.path().join("p.duckdb")).open_for_writing().unwrap();
        let mut rows = Rows::new(&tables::CONFLICTS);
        rows.push([
            Some("P1"),
            Some("death_date"),
            Some("2013-03-05"),
            Some("2013-03-06"),
            Some("R1"),
        ]);
        rows.push([Some("P2"), Some("gender"), Some("1"), Some("2"), Some("R'2")]);
        assert_eq!(
            staging::staging_dir(db.duckdb().unwrap()).unwrap(),
            dir.path().join("p.duckdb.tmp"),
            "DuckDB's temporary directory, beside the database"
        );
        assert_eq!(db.append(&rows, &[Some("L1")], UtcTime::now()).unwrap(), 2);
        let stored = db
            .texts(
                "SELECT person_id || ' ' || incoming_value || ' ' || source_key || ' ' || load_id FROM conflicts ORDER BY 1",
                &[],
                1,
            )
            .unwrap();
        assert_eq!(
            stored,
            [Some("P1 2013-03-06 R1 L1".to_string()), Some("P2 2 R'2 L1".to_string())]
        );
        drop(db);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["p.duckdb"], "no staging file or directory stays");
    }

    #[test]
    fn a_killed_writers_staging_file_goes_when_the_next_writer_opens() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::DuckDb(dir.path().join("p.duckdb"));
        drop(target.open_for_writing().unwrap());
        let staging = dir.path().join("p.duckdb.tmp");
        std::fs::create_dir_all(&staging).unwrap();
        let stale = staging.join("ledgerline-deceased-Ab3xYz.parquet");
        let theirs = staging.join("duckdb_temp_storage-0.tmp");
        std::fs::write(&stale, b"PAR1").unwrap();
        std::fs::write(&theirs, b"").unwrap();
        drop(target.open_for_writing().unwrap());
        assert!(!stale.exists(), "the stale staging file is removed");
        assert!(theirs.exists(), "a file not ledgerline's is left alone");
    }

    #[test]
    fn schema_applies_and_persons_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::parse(&format!("duckdb:{}", dir.path().join("p.duckdb").display())).unwrap();
        {
            let db = target.open_for_writing().unwrap();
            db.duckdb().unwrap().execute_batch(
                "INSERT INTO deceased (person_id, name, gender, id_number, birth_date, death_date, origin, source_key, loaded_at)
                 VALUES ('L1', '王秀英', '2', '34052419800101001X', DATE '1980-01-01', DATE '2013-03-05', 'live', 'SZ320981-2013-000001', now());
                 INSERT INTO agents (person_id, name, origin, source_key, loaded_at) VALUES ('L1', '李建国', 'live', 'SZ320981-2013-000001', now());",
            )
            .unwrap();
        }
        // Reopening applies nothing twice.
        drop(target.open_for_writing().unwrap());
        let persons = read_persons(&mut target.open_for_reading().unwrap()).unwrap();
        assert_eq!(persons.len(), 1);
        assert_eq!(persons[0].fields.birth_date.as_deref(), Some("1980-01-01"));
        assert_eq!(persons[0].fields.family_name.as_deref(), Some("李建国"));
        let missing = Target::DuckDb(dir.path().join("nope.duckdb"));
        assert!(missing
            .open_for_reading()
            .err()
            .unwrap()
            .to_string()
            .contains("no such database"));
    }
}
