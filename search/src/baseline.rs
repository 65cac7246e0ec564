//! The baseline `ledgerline bench search` sets indexing beside, in the same run: plain
//! tantivy, each record's written fields in one text field cut by tantivy's default
//! tokenizer (whole runs of letters or characters), the same stored form, the same
//! writer memory and threads. What the ratio shows is the price of this crate's fields:
//! name pairs and shapes, pinyin, bigrams, ID keys, tags.

use std::path::Path;

use anyhow::Result;
use ledgerline_schemas::Record;
use rayon::prelude::*;
use tantivy::schema::{Schema, STORED, TEXT};
use tantivy::{doc, Index, IndexWriter};

/// Indexes `records` into a new index in `dir` as plain text; returns when committed.
pub fn index_plain(records: &[Record], dir: &Path) -> Result<()> {
    let mut schema = Schema::builder();
    let text = schema.add_text_field("text", TEXT);
    let stored = schema.add_text_field("doc", STORED);
    let index = Index::create_in_dir(dir, schema.build())?;
    let mut writer: IndexWriter = index.writer(crate::WRITER_MEMORY)?;
    records.par_iter().try_for_each(|r| -> Result<()> {
        let f = &r.fields;
        let written: Vec<&str> = [
            &f.deceased_name,
            &f.id_number,
            &f.household_address,
            &f.death_place,
            &f.death_cause,
            &f.family_name,
            &f.cemetery_name,
            &f.agency_name,
            &f.cremation_date,
            &f.burial_date,
            &f.death_date,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
        writer.add_document(doc!(text => written.join(" "), stored => crate::stored_json(r)))?;
        Ok(())
    })?;
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}
