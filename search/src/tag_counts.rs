//! Hits counted by tag (record type, agency, status, batch): per segment, a count per
//! term ordinal of each tag's fast column; merged by the terms themselves.

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Per tag name, `(value, hits)` in the order of the values, values without hits left out.
pub(crate) type Counts = BTreeMap<String, Vec<(String, u64)>>;

pub(crate) struct TagCounts {
    tags: Vec<&'static str>,
}

impl TagCounts {
    pub(crate) fn new(tags: impl IntoIterator<Item = &'static str>) -> TagCounts {
        TagCounts {
            tags: tags.into_iter().collect(),
        }
    }
}

pub(crate) struct SegmentTagCounts {
    /// Per tag: its column in this segment (none when no document has the tag) and a
    /// count per term ordinal.
    columns: Vec<(&'static str, Option<StrColumn>, Vec<u64>)>,
}

impl Collector for TagCounts {
    type Fruit = Counts;
    type Child = SegmentTagCounts;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentTagCounts> {
        let mut columns = Vec::with_capacity(self.tags.len());
        for &tag in &self.tags {
            let column = segment.fast_fields().str(tag)?;
            let terms = column.as_ref().map_or(0, |c| c.num_terms());
            columns.push((tag, column, vec![0; terms]));
        }
        Ok(SegmentTagCounts { columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut merged: BTreeMap<String, BTreeMap<String, u64>> =
            self.tags.iter().map(|t| (t.to_string(), BTreeMap::new())).collect();
        for counts in segments {
            for (tag, values) in counts {
                let into = merged.entry(tag).or_default();
                for (value, n) in values {
                    *into.entry(value).or_default() += n;
                }
            }
        }
        Ok(merged
            .into_iter()
            .map(|(tag, values)| (tag, values.into_iter().collect()))
            .collect())
    }
}

impl SegmentCollector for SegmentTagCounts {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (_, column, counts) in &mut self.columns {
            if let Some(ord) = column.as_ref().and_then(|c| c.ords().first(doc)) {
                counts[ord as usize] += 1;
            }
        }
    }

    fn harvest(self) -> Counts {
        let mut out = Counts::new();
        for (tag, column, counts) in self.columns {
            let mut values = Vec::new();
            if let Some(column) = column {
                for (ord, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                    let mut value = String::new();
                    // An ordinal from the column is always in its dictionary.
                    if column.ord_to_str(ord as u64, &mut value).unwrap_or(false) {
                        values.push((value, n));
                    }
                }
            }
            out.insert(tag.to_string(), values);
        }
        out
    }
}
