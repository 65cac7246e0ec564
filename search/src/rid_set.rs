//! A query matching the documents of a set of records, by the `rid` fast field. It is
//! how updates delete the old documents of changed and removed records: `rid` is a fast
//! field only, because as an indexed field it made a term unique to every record, and
//! unique terms are the dearest part of indexing.

use std::collections::HashSet;
use std::sync::Arc;

use tantivy::query::{BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError};
use tantivy_common::BitSet;

#[derive(Clone, Debug)]
pub(crate) struct RidSet(Arc<HashSet<u64>>);

impl RidSet {
    pub(crate) fn new(rids: HashSet<u64>) -> RidSet {
        RidSet(Arc::new(rids))
    }

    fn matching(&self, reader: &SegmentReader) -> tantivy::Result<BitSet> {
        let rid = reader.fast_fields().u64(crate::RID)?;
        let mut docs = BitSet::with_max_value(reader.max_doc());
        for doc in 0..reader.max_doc() {
            if rid.first(doc).is_some_and(|r| self.0.contains(&r)) {
                docs.insert(doc);
            }
        }
        Ok(docs)
    }
}

impl Query for RidSet {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl Weight for RidSet {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let docs = BitSetDocSet::from(self.matching(reader)?);
        Ok(Box::new(ConstScorer::new(docs, boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) == doc {
            Ok(Explanation::new("record in the set", 1.0))
        } else {
            Err(TantivyError::InvalidArgument(format!(
                "document {doc} is not in the set"
            )))
        }
    }
}
