//! Search over records (tantivy). The index is derived data kept in the workspace
//! (`index/`): deleting it and running `ledgerline index` again rebuilds it exactly, and a
//! crash mid-update leaves the last commit usable (tantivy commits atomically).
//!
//! [`SearchIndex::update`] indexes only what changed since the last run: every document
//! carries a hash of its record id (`rid`, indexed, for deletes) and of its content
//! (`hash`), both fast fields, so the index itself says what it holds.

pub mod access;
mod query;
pub mod tokens;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::Path;

use anyhow::{Context, Result};
use ledgerline_schemas::Record;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub use access::Role;
pub use query::{Hit, SearchRequest, SearchResults};

/// The fields, resolved once per open.
#[derive(Clone, Copy)]
pub(crate) struct Fields {
    rid: Field,
    hash: Field,
    name: Field,
    name_shape: Field,
    pinyin: Field,
    id_exact: Field,
    id_prefix: Field,
    id_birth: Field,
    text: Field,
    event_day: Field,
    facets: Field,
    stored: Field,
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
    let fields = Fields {
        rid: s.add_u64_field("rid", INDEXED | FAST),
        hash: s.add_u64_field("hash", FAST),
        name: text_field(&mut s, "name", tokens::NAME),
        name_shape: text_field(&mut s, "name_shape", tokens::NAME_SHAPE),
        pinyin: text_field(&mut s, "pinyin", tokens::PINYIN),
        id_exact: s.add_text_field("id_exact", STRING),
        id_prefix: text_field(&mut s, "id_prefix", tokens::ID_PREFIX),
        id_birth: s.add_text_field("id_birth", STRING),
        text: text_field(&mut s, "text", tokens::ZH),
        event_day: s.add_i64_field("event_day", INDEXED | FAST),
        facets: s.add_facet_field("facets", FacetOptions::default()),
        stored: s.add_text_field("doc", STORED),
    };
    (s.build(), fields)
}

/// What a hit shows, stored with the document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredRecord {
    pub record_id: String,
    pub record_type: String,
    pub batch: String,
    pub page: String,
    pub row: u32,
    pub status: String,
    pub person_id: Option<String>,
    pub name: Option<String>,
    pub gender: Option<String>,
    pub id_number: Option<String>,
    pub birth_date: Option<String>,
    pub death_date: Option<String>,
    pub event_date: Option<String>,
    pub household_address: Option<String>,
    pub agency_name: Option<String>,
    pub family_name: Option<String>,
    pub family_phone: Option<String>,
}

impl StoredRecord {
    pub fn of(r: &Record) -> StoredRecord {
        let f = &r.fields;
        StoredRecord {
            record_id: r.record_id.clone(),
            record_type: r.record_type.as_str().to_string(),
            batch: r.source.batch.clone(),
            page: r.source.page.clone(),
            row: r.source.row,
            status: r.review.status.as_str().to_string(),
            person_id: r.person_id.clone(),
            name: f.deceased_name.clone(),
            gender: f.gender.clone(),
            id_number: f.id_number.clone(),
            birth_date: f.birth_date.clone(),
            death_date: f.death_date.clone(),
            event_date: event_date(r).map(str::to_string),
            household_address: f.household_address.clone(),
            agency_name: f.agency_name.clone(),
            family_name: f.family_name.clone(),
            family_phone: f.family_phone.clone(),
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

fn hash_of(value: &impl Hash) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

const WRITER_MEMORY: usize = 512 << 20;

enum Change {
    Added,
    Updated,
    Unchanged,
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
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)
            .with_context(|| format!("cannot open the index in {}", dir.display()))?;
        let index = Index::open_or_create(directory, schema).with_context(|| {
            format!(
                "{}: not an index of this ledgerline (delete it and run `ledgerline index`)",
                dir.display()
            )
        })?;
        tokens::register(&index);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex { index, fields, reader })
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
            let rid = segment.fast_fields().u64("rid")?;
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
    fn document(&self, r: &Record, stored: String, content_hash: u64) -> TantivyDocument {
        let f = self.fields;
        let mut d = doc!(
            f.rid => hash_of(&r.record_id),
            f.hash => content_hash,
            f.stored => stored,
        );
        if let Some(name) = &r.fields.deceased_name {
            d.add_text(f.name, name);
            d.add_text(f.name_shape, name);
            d.add_text(f.pinyin, name);
        }
        if let Some(id) = &r.fields.id_number {
            d.add_text(f.id_exact, id.to_ascii_uppercase());
            d.add_text(f.id_prefix, id);
            if id.len() == 18 && id.is_char_boundary(6) && id.is_char_boundary(14) {
                d.add_text(f.id_birth, &id[6..14]);
            }
        }
        let fl = &r.fields;
        for text in [
            &fl.household_address,
            &fl.death_place,
            &fl.death_cause,
            &fl.family_name,
            &fl.cemetery_name,
        ]
        .into_iter()
        .flatten()
        {
            d.add_text(f.text, text);
        }
        if let Some(agency) = &fl.agency_name {
            // A facet only: queries cut the few agency names into words (query::Agencies).
            d.add_facet(f.facets, Facet::from_path(["agency", agency.as_str()]));
        }
        if let Some(day) = event_date(r).and_then(day_number) {
            d.add_i64(f.event_day, day);
        }
        d.add_facet(f.facets, Facet::from_path(["type", r.record_type.as_str()]));
        d.add_facet(f.facets, Facet::from_path(["status", r.review.status.as_str()]));
        d.add_facet(f.facets, Facet::from_path(["batch", r.source.batch.as_str()]));
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
        // A large arena makes fewer segments to merge: a million records fit in one segment
        // per indexing thread (256 MiB took 68 s with merging; 512 MiB and 1 GiB both
        // ~25 s). Merging is kept so that repeated updates do not pile up segments.
        let mut writer: IndexWriter = self.index.writer(WRITER_MEMORY)?;
        if rebuild {
            writer.delete_all_documents()?;
        }
        // Documents are made on all cores and handed to the writer, whose own threads
        // tokenize them; the counts are tallied after.
        let done = std::sync::atomic::AtomicU64::new(0);
        let outcomes: Vec<Result<Change>> = records
            .par_iter()
            .map(|r| {
                let rid = hash_of(&r.record_id);
                let stored = serde_json::to_string(&StoredRecord::of(r)).expect("serializable");
                let h = hash_of(&stored);
                let change = match indexed.get(&rid) {
                    Some(&old) if old == h => Change::Unchanged,
                    Some(_) => {
                        writer.delete_term(Term::from_field_u64(self.fields.rid, rid));
                        writer.add_document(self.document(r, stored, h))?;
                        Change::Updated
                    }
                    None => {
                        writer.add_document(self.document(r, stored, h))?;
                        Change::Added
                    }
                };
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n.is_multiple_of(10_000) {
                    on_progress(n);
                }
                Ok(change)
            })
            .collect();
        let mut counts = UpdateCounts::default();
        for outcome in outcomes {
            match outcome? {
                Change::Added => counts.added += 1,
                Change::Updated => counts.updated += 1,
                Change::Unchanged => counts.unchanged += 1,
            }
        }
        let present: std::collections::HashSet<u64> = records.iter().map(|r| hash_of(&r.record_id)).collect();
        for rid in indexed.keys().filter(|rid| !present.contains(rid)) {
            writer.delete_term(Term::from_field_u64(self.fields.rid, *rid));
            counts.deleted += 1;
        }
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
