//! Search over records (tantivy). The index is derived data kept in the workspace
//! (`index/`): deleting it and running `ledgerline index` again rebuilds it exactly, and a
//! crash mid-update leaves the last commit usable (tantivy commits atomically).
//!
//! [`SearchIndex::update`] indexes only what changed since the last run: every document
//! carries a hash of its record id (`rid`, indexed, for deletes) and of its content
//! (`hash`), both fast fields, so the index itself says what it holds.

pub mod access;
pub mod baseline;
pub mod ids;
pub mod numbers;
mod places;
mod query;
mod rid_set;
mod tag_counts;
pub mod tokens;

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;

use anyhow::{Context, Result};
use ledgerline_dedupe::normalize::strip_address;
use ledgerline_schemas::{codes, Record};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::schema::{Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError};

pub use access::Role;
pub use query::{Hit, SearchRequest, SearchResults, Why};

/// The record id hash: a fast field only (see [`rid_set`]).
pub(crate) const RID: &str = "rid";

/// The fields, resolved once per open.
#[derive(Clone, Copy)]
pub(crate) struct Fields {
    rid: Field,
    hash: Field,
    name: Field,
    name_shape: Field,
    pinyin: Field,
    /// 18-character ID numbers as [`ids::id_key`]s: exact and prefix searches are ranges.
    id_key: Field,
    /// ID numbers of any other shape, as written (exact search only).
    id_other: Field,
    /// The eight birth-date digits of an 18-character ID number, as a number.
    id_birth: Field,
    text: Field,
    /// Cremation certificate and grave numbers, whole: [`numbers::number_hash`] of
    /// [`numbers::number_key`], in a fast column asked by a one-value range, as ID keys
    /// are (indexed as terms, the numbers took a tenth more of indexing's CPU: a term
    /// dictionary of a million numbers each of one record).
    number: Field,
    /// The household division code (GB/T 2260), for places asked by name.
    division: Field,
    /// The day of the cremation or burial, else the death: what `--from`/`--to` bound.
    event_day: Field,
    /// The days a record names (its event's and its death's): what a typed date or year
    /// matches.
    days: Field,
    tags: Tags,
    stored: Field,
}

/// What results are counted by and filtered on: one untokenized term each, and a fast
/// column to count hits by. (Tantivy facets cost three terms per value: the root, the
/// kind, the value.)
#[derive(Clone, Copy)]
pub(crate) struct Tags {
    pub(crate) record_type: Field,
    pub(crate) agency: Field,
    pub(crate) status: Field,
    pub(crate) batch: Field,
}

impl Tags {
    /// Field names, as results name the counts.
    pub(crate) const TYPE: &'static str = "type";
    pub(crate) const AGENCY: &'static str = "agency";
    pub(crate) const STATUS: &'static str = "status";
    pub(crate) const BATCH: &'static str = "batch";
    pub(crate) const NAMES: [&'static str; 4] = [Self::TYPE, Self::AGENCY, Self::STATUS, Self::BATCH];
}

fn text_field(schema: &mut tantivy::schema::SchemaBuilder, name: &str, tokenizer: &str) -> Field {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(tokenizer)
        // Document ids only: fields are short, a token rarely repeats within one, and
        // term frequencies cost a tenth of indexing for no ranking gain.
        .set_index_option(IndexRecordOption::Basic);
    schema.add_text_field(name, TextOptions::default().set_indexing_options(indexing))
}

fn schema() -> (Schema, Fields) {
    let mut s = Schema::builder();
    let mut tag = |name: &str| s.add_text_field(name, STRING | FAST);
    let tags = Tags {
        record_type: tag(Tags::TYPE),
        agency: tag(Tags::AGENCY),
        status: tag(Tags::STATUS),
        batch: tag(Tags::BATCH),
    };
    let fields = Fields {
        rid: s.add_u64_field(RID, FAST),
        hash: s.add_u64_field("hash", FAST),
        name: text_field(&mut s, "name", tokens::NAME),
        name_shape: text_field(&mut s, "name_shape", tokens::NAME_SHAPE),
        pinyin: text_field(&mut s, "pinyin", tokens::PINYIN),
        id_key: s.add_u64_field("id_key", FAST),
        id_other: s.add_text_field("id_other", STRING),
        id_birth: s.add_u64_field("id_birth", FAST),
        text: text_field(&mut s, "text", tokens::ZH),
        number: s.add_u64_field("number", FAST),
        division: s.add_u64_field("division", FAST),
        // Ranges only, which tantivy answers from the fast column.
        event_day: s.add_i64_field("event_day", FAST),
        days: s.add_i64_field("days", FAST),
        tags,
        stored: s.add_text_field("doc", STORED),
    };
    (s.build(), fields)
}

/// What a hit shows, stored with the document. Written from a record's own strings
/// (`StoredRecord<&str>`, nothing copied), read back owned.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredRecord<S = String> {
    pub record_id: S,
    pub record_type: S,
    pub batch: S,
    pub page: S,
    pub row: u32,
    pub status: S,
    pub person_id: Option<S>,
    pub name: Option<S>,
    pub gender: Option<S>,
    pub id_number: Option<S>,
    pub birth_date: Option<S>,
    pub death_date: Option<S>,
    pub event_date: Option<S>,
    pub household_address: Option<S>,
    pub agency_name: Option<S>,
    pub family_name: Option<S>,
    pub family_phone: Option<S>,
    pub cremation_cert_no: Option<S>,
    pub grave_number: Option<S>,
}

impl<'a> StoredRecord<&'a str> {
    pub fn of(r: &'a Record) -> StoredRecord<&'a str> {
        let f = &r.fields;
        StoredRecord {
            record_id: &r.record_id,
            record_type: r.record_type.as_str(),
            batch: &r.source.batch,
            page: &r.source.page,
            row: r.source.row,
            status: r.review.status.as_str(),
            person_id: r.person_id.as_deref(),
            name: f.deceased_name.as_deref(),
            gender: f.gender.as_deref(),
            id_number: f.id_number.as_deref(),
            birth_date: f.birth_date.as_deref(),
            death_date: f.death_date.as_deref(),
            event_date: event_date(r),
            household_address: f.household_address.as_deref(),
            agency_name: f.agency_name.as_deref(),
            family_name: f.family_name.as_deref(),
            family_phone: f.family_phone.as_deref(),
            cremation_cert_no: f.cremation_cert_no.as_deref(),
            grave_number: f.grave_number.as_deref(),
        }
    }
}

/// The date a record is about: its cremation or burial, else the death.
pub fn event_date(r: &Record) -> Option<&str> {
    let f = &r.fields;
    f.cremation_date
        .as_deref()
        .or(f.burial_date.as_deref())
        .or(f.death_date.as_deref())
}

/// Days since 1970-01-01, as linkage counts them.
pub(crate) fn day_number(text: &str) -> Option<i64> {
    ledgerline_dedupe::normalize::Day::parse(text).map(|d| i64::from(d.days))
}

/// What a document stores of a record, and what its content hash is taken of.
fn stored_json(r: &Record) -> String {
    serde_json::to_string(&StoredRecord::of(r)).expect("serializable")
}

/// Which cut of the text the documents were made with ([`tokens`]). It is hashed into
/// every document's content hash, so an index made by an earlier cut is made again by the
/// next `ledgerline index`, as deleting it and indexing anew would.
const TOKENS_VERSION: u32 = 3;

fn content_hash(r: &Record) -> u64 {
    stored_hash(&stored_json(r))
}

fn stored_hash(stored: &str) -> u64 {
    hash_of(&(TOKENS_VERSION, stored))
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

pub(crate) const WRITER_MEMORY: usize = 512 << 20;

enum Change {
    Added,
    Updated,
    Unchanged,
}

/// What an update does, worked out before the writer is opened.
struct Plan {
    /// Per record: its record id hash and what became of it.
    rids: Vec<u64>,
    changes: Vec<Change>,
    /// Documents to delete: of records changed or gone.
    stale: HashSet<u64>,
    counts: UpdateCounts,
}

impl Plan {
    /// Compares `records` with `indexed` (record id hash → content hash) by content
    /// hashes alone: nothing is kept per record but a flag. Old documents go in one
    /// delete before any new one is added, as a delete reaches only documents added
    /// before it.
    fn of(records: &[Record], indexed: &HashMap<u64, u64>) -> Plan {
        let rids: Vec<u64> = records.par_iter().map(|r| hash_of(&r.record_id)).collect();
        if indexed.is_empty() {
            let counts = UpdateCounts {
                added: records.len(),
                ..UpdateCounts::default()
            };
            let changes = (0..records.len()).map(|_| Change::Added).collect();
            return Plan {
                rids,
                changes,
                stale: HashSet::new(),
                counts,
            };
        }
        let changes: Vec<Change> = records
            .par_iter()
            .zip(&rids)
            .map(|(r, rid)| match indexed.get(rid) {
                None => Change::Added,
                Some(&old) if old == content_hash(r) => Change::Unchanged,
                Some(_) => Change::Updated,
            })
            .collect();
        let mut counts = UpdateCounts::default();
        for change in &changes {
            match change {
                Change::Added => counts.added += 1,
                Change::Updated => counts.updated += 1,
                Change::Unchanged => counts.unchanged += 1,
            }
        }
        let present: HashSet<u64> = rids.iter().copied().collect();
        let gone: Vec<u64> = indexed.keys().filter(|rid| !present.contains(rid)).copied().collect();
        counts.deleted = gone.len();
        let updated = rids.iter().zip(&changes).filter(|(_, c)| matches!(c, Change::Updated));
        let stale: HashSet<u64> = updated.map(|(rid, _)| *rid).chain(gone).collect();
        Plan {
            rids,
            changes,
            stale,
            counts,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct UpdateCounts {
    pub added: usize,
    pub updated: usize,
    pub deleted: usize,
    pub unchanged: usize,
}

/// Where a workspace keeps its search index.
pub fn index_dir(workspace_root: &Path) -> std::path::PathBuf {
    workspace_root.join("index")
}

pub struct SearchIndex {
    index: Index,
    fields: Fields,
    reader: IndexReader,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when missing.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        Self::try_open(dir)?.map_err(|_| {
            anyhow::anyhow!(
                "{}: the search index was made by another version of ledgerline; run `ledgerline index` to rebuild it",
                dir.display()
            )
        })
    }

    /// Opens the index in `dir` to update it. An index made with another schema (by an
    /// earlier ledgerline) is derived data this one cannot read: it is removed and made
    /// anew, and the second value says so.
    pub fn open_for_update(dir: &Path) -> Result<(SearchIndex, bool)> {
        if let Ok(index) = Self::try_open(dir)? {
            return Ok((index, false));
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot remove the old index {}", dir.display()))?;
        let index = Self::try_open(dir)?
            .map_err(|e| anyhow::anyhow!("{}: cannot create the search index: {e}", dir.display()))?;
        Ok((index, true))
    }

    /// The index in `dir`; the inner error when one is there with a schema not this one.
    fn try_open(dir: &Path) -> Result<Result<SearchIndex, TantivyError>> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)
            .with_context(|| format!("cannot open the index in {}", dir.display()))?;
        let index = match Index::open_or_create(directory, schema) {
            Ok(index) => index,
            Err(e @ TantivyError::SchemaError(_)) => return Ok(Err(e)),
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "{}: not a readable search index (delete it and run `ledgerline index`)",
                        dir.display()
                    )
                })
            }
        };
        tokens::register(&index);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Ok(SearchIndex { index, fields, reader }))
    }

    /// Sees what `ledgerline index` committed since this index was opened.
    pub fn reload(&self) -> Result<()> {
        Ok(self.reader.reload()?)
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// `record id hash → content hash` of every live document.
    fn indexed(&self) -> Result<HashMap<u64, u64>> {
        let searcher = self.reader.searcher();
        let mut out = HashMap::with_capacity(searcher.num_docs() as usize);
        for segment in searcher.segment_readers() {
            let rid = segment.fast_fields().u64(RID)?;
            let hash = segment.fast_fields().u64("hash")?;
            let alive = segment.alive_bitset();
            for doc in 0..segment.max_doc() {
                if alive.is_some_and(|a| !a.is_alive(doc)) {
                    continue;
                }
                if let (Some(r), Some(h)) = (rid.first(doc), hash.first(doc)) {
                    out.insert(r, h);
                }
            }
        }
        Ok(out)
    }

    /// The document of a record whose stored form is `stored` (JSON, hashed for updates).
    fn document(&self, r: &Record, rid: u64, stored: String, content_hash: u64) -> TantivyDocument {
        let f = self.fields;
        let mut d = doc!(
            f.rid => rid,
            f.hash => content_hash,
            f.stored => stored,
        );
        if let Some(name) = &r.fields.deceased_name {
            d.add_text(f.name, name);
            d.add_text(f.name_shape, name);
            d.add_text(f.pinyin, name);
        }
        if let Some(id) = &r.fields.id_number {
            match ids::id_key(id) {
                Some(key) => d.add_u64(f.id_key, key),
                None => d.add_text(f.id_other, id.to_ascii_uppercase()),
            }
            if let Some(birth) = ids::birth_digits(id) {
                d.add_u64(f.id_birth, birth);
            }
        }
        let fl = &r.fields;
        let division = fl
            .household_division
            .as_deref()
            .filter(|c| codes::division(c).is_some());
        if let Some(code) = division.and_then(|c| c.parse().ok()) {
            d.add_u64(f.division, code);
        }
        if let Some(address) = &fl.household_address {
            // The province and city are in the division code, asked for by its range.
            d.add_text(f.text, strip_address(address, division));
        }
        for number in [&fl.cremation_cert_no, &fl.grave_number].into_iter().flatten() {
            if let Some(key) = numbers::number_key(number) {
                d.add_u64(f.number, numbers::number_hash(&key));
            }
        }
        for text in [&fl.death_place, &fl.death_cause, &fl.family_name, &fl.cemetery_name]
            .into_iter()
            .flatten()
        {
            d.add_text(f.text, text);
        }
        let event_day = event_date(r).and_then(day_number);
        if let Some(day) = event_day {
            d.add_i64(f.event_day, day);
            d.add_i64(f.days, day);
        }
        if let Some(death) = fl
            .death_date
            .as_deref()
            .and_then(day_number)
            .filter(|d| Some(*d) != event_day)
        {
            d.add_i64(f.days, death);
        }
        let t = f.tags;
        d.add_text(t.record_type, r.record_type.as_str());
        d.add_text(t.status, r.review.status.as_str());
        d.add_text(t.batch, &r.source.batch);
        if let Some(agency) = &fl.agency_name {
            // A tag only: queries cut the few agency names into words (query::Agencies).
            d.add_text(t.agency, agency);
        }
        d
    }

    /// Brings the index in line with `records` (all the workspace's records): adds new
    /// ones, replaces changed ones, deletes those gone. `rebuild` reindexes everything.
    pub fn update(
        &mut self,
        records: &[Record],
        rebuild: bool,
        on_progress: &(dyn Fn(u64) + Sync),
    ) -> Result<UpdateCounts> {
        let indexed = if rebuild { HashMap::new() } else { self.indexed()? };
        let Plan {
            rids,
            changes,
            stale,
            counts,
        } = Plan::of(records, &indexed);

        // A large arena makes fewer segments to merge: a million records fit in one segment
        // per indexing thread (256 MiB took 68 s with merging; 512 MiB and 1 GiB both
        // ~25 s). Merging is kept so that repeated updates do not pile up segments.
        let mut writer: IndexWriter = self.index.writer(WRITER_MEMORY)?;
        if rebuild {
            writer.delete_all_documents()?;
        }
        if !stale.is_empty() {
            writer.delete_query(Box::new(rid_set::RidSet::new(stale)))?;
        }
        // Documents are made on all cores and handed to the writer, whose own threads
        // tokenize them.
        let done = std::sync::atomic::AtomicU64::new(0);
        records
            .par_iter()
            .zip(rids.par_iter().zip(&changes))
            .try_for_each(|(r, (&rid, change))| -> Result<()> {
                if !matches!(change, Change::Unchanged) {
                    let stored = stored_json(r);
                    let h = stored_hash(&stored);
                    writer.add_document(self.document(r, rid, stored, h))?;
                }
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n.is_multiple_of(10_000) {
                    on_progress(n);
                }
                Ok(())
            })?;
        writer.commit()?;
        writer.wait_merging_threads()?;
        self.reader.reload()?;
        on_progress(records.len() as u64);
        Ok(counts)
    }

    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults> {
        query::run(&self.reader.searcher(), self.fields, request)
    }
}
